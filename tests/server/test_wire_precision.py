"""Every decimal string on the wire at its own asset's precision, on instruments whose base and quote assets have
different precisions, neither of them Binance's usual 8.

FIVETWO trades FIVE (5 decimals) for TWO (2 decimals); THREEFIVE trades THREE (3 decimals) for FIVE, so FIVE is
the base asset of one market and the quote asset of the other. Base and quote precisions differ in both, so a
renderer that writes a quantity at the quote's precision (or a price, a quote amount, a fee or a balance at the
wrong asset's) prints another number of decimals: every payload below, REST and WebSocket, is checked string by
string, and the amounts clients send are written at the full precision of their asset, so reading them at the
other asset's precision is refused (-1111) and fails here too.
"""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import aiohttp
import pytest

from simulator.clock import SimClock
from simulator.config import FeesConfig, FeeTier
from simulator.engine.instrument import InstrumentSpec
from simulator.server import build_simulator
from tests.conftest import quiet_config
from tests.live_server import LiveServer
from tests.server.rest_helpers import Rest
from tests.server.ws_helpers import TIMEOUT, connect, recv_json, wait_for

FROZEN_AT = 1_700_000_030_000  # mid-minute: every trade of a test falls in one kline
START_BALANCE = "1000"
FEE_RATE = Decimal("0.001")  # maker and taker alike
PRECISION = {"FIVE": 5, "TWO": 2, "THREE": 3}
MAKER = ("maker-key", "maker-secret")
TAKER = ("taker-key", "taker-secret")


def fixed(value: Decimal | str, places: int) -> str:
    """`value` written with exactly `places` decimals: what the wire must say (the value must fit)."""
    quantum = Decimal(1).scaleb(-places)
    amount = Decimal(value)
    assert amount.quantize(quantum) == amount, f"{value} does not fit {places} decimals"
    return f"{amount.quantize(quantum):f}"


def places(text: object) -> int:
    assert isinstance(text, str) and re.fullmatch(r"-?\d+(\.\d+)?", text), f"not a decimal string: {text!r}"
    return len(text.partition(".")[2])


def assert_places(payload: dict, keys: tuple[str, ...], expected: int, what: str) -> None:
    wrong = {key: payload[key] for key in keys if places(payload[key]) != expected}
    assert not wrong, f"{what}: not at {expected} decimals: {wrong}"


@dataclass(frozen=True)
class Market:
    """One instrument and the scene every test plays on it: the maker rests an ask and a bid below it; the taker
    buys part of the ask (LIMIT), then sells into the whole bid (MARKET). Fees are FEE_RATE, rounded half up to
    the atom of the asset received: the `*_fee` strings are worked out by hand."""

    symbol: str
    base: str
    quote: str
    base_places: int
    quote_places: int
    tick: str
    step: str
    price: str
    ask_qty: str
    buy_qty: str
    bid_price: str
    bid_qty: str
    taker_buy_fee: str  # base: buy_qty x 0.001
    maker_sell_fee: str  # quote: price x buy_qty x 0.001
    taker_sell_fee: str  # quote: bid_price x bid_qty x 0.001
    maker_buy_fee: str  # base: bid_qty x 0.001

    def b(self, value: Decimal | str) -> str:
        return fixed(value, self.base_places)

    def q(self, value: Decimal | str) -> str:
        return fixed(value, self.quote_places)

    @property
    def notional(self) -> Decimal:
        return Decimal(self.price) * Decimal(self.buy_qty)

    @property
    def bid_notional(self) -> Decimal:
        return Decimal(self.bid_price) * Decimal(self.bid_qty)

    @property
    def rest_qty(self) -> Decimal:
        return Decimal(self.ask_qty) - Decimal(self.buy_qty)

    def spec(self) -> InstrumentSpec:
        return InstrumentSpec(
            symbol=self.symbol, base=self.base, quote=self.quote, tick_size=Decimal(self.tick),
            step_size=Decimal(self.step), min_qty=Decimal(self.step), max_qty=Decimal(9000),
            min_price=Decimal(self.tick), max_price=Decimal(100000), min_notional=Decimal(1),
            max_notional=Decimal(1000000), base_precision=self.base_places, quote_precision=self.quote_places)


FIVE_TWO = Market(
    "FIVETWO", "FIVE", "TWO", 5, 2, tick="0.05", step="0.2", price="123.45", ask_qty="2.4", buy_qty="1.2",
    bid_price="120.05", bid_qty="0.6",
    taker_buy_fee="0.00120", maker_sell_fee="0.15", taker_sell_fee="0.07", maker_buy_fee="0.00060")
THREE_FIVE = Market(
    "THREEFIVE", "THREE", "FIVE", 3, 5, tick="0.001", step="0.01", price="12.345", ask_qty="5.1", buy_qty="2.55",
    bid_price="12.001", bid_qty="0.7",
    taker_buy_fee="0.003", maker_sell_fee="0.03148", taker_sell_fee="0.00840", maker_buy_fee="0.001")
MARKETS = pytest.mark.parametrize("m", [FIVE_TWO, THREE_FIVE], ids=lambda m: m.symbol)


def test_the_scene_is_what_this_module_claims():
    for m in (FIVE_TWO, THREE_FIVE):
        assert m.base_places != m.quote_places and 8 not in (m.base_places, m.quote_places)
        assert PRECISION[m.base] == m.base_places and PRECISION[m.quote] == m.quote_places

    def fee(amount: Decimal, digits: int) -> str:
        return f"{(amount * FEE_RATE).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP):f}"

    for m in (FIVE_TWO, THREE_FIVE):
        assert (m.taker_buy_fee, m.maker_buy_fee) == \
            (fee(Decimal(m.buy_qty), m.base_places), fee(Decimal(m.bid_qty), m.base_places))
        assert (m.maker_sell_fee, m.taker_sell_fee) == \
            (fee(m.notional, m.quote_places), fee(m.bid_notional, m.quote_places))


# --- the venue ------------------------------------------------------------------------------------------------
@pytest.fixture
def server():
    config = quiet_config(spot=(FIVE_TWO.spec(), THREE_FIVE.spec()), accounts=(),
                          fees=FeesConfig(tiers=(FeeTier(maker=FEE_RATE, taker=FEE_RATE),)))
    sim = build_simulator(config, clock=SimClock(frozen_at_ms=FROZEN_AT))
    for name, (key, secret) in (("maker", MAKER), ("taker", TAKER)):
        sim.create_account(name, api_key=key, secret=secret,
                           balances={asset: Decimal(START_BALANCE) for asset in PRECISION})
    server = LiveServer(sim).start()
    yield server
    server.stop()


@pytest.fixture
async def rest(server):
    async with aiohttp.ClientSession(base_url=server.base_url) as session:
        yield Rest(session, server.sim)


async def signed(rest: Rest, who: tuple[str, str], method: str, path: str, **params) -> dict | list:
    key, secret = who
    reply = await rest.signed(method, path, key=key, secret=secret, **params)
    assert reply.status == 200, reply.body
    return reply.body


async def public(rest: Rest, path: str, **params) -> dict | list:
    reply = await rest.public("GET", path, **params)
    assert reply.status == 200, reply.body
    return reply.body


async def user_stream(rest: Rest, session: aiohttp.ClientSession, server: LiveServer, who: tuple[str, str]):
    """A listenKey from REST, and its raw stream."""
    reply = await rest.request("POST", "/api/v3/userDataStream", headers={"X-MBX-APIKEY": who[0]})
    return await connect(session, f"{server.ws_url}/ws/{reply.body['listenKey']}")


@dataclass
class Scene:
    ask: dict
    bid: dict
    buy: dict
    sell: dict


async def play(rest: Rest, m: Market) -> Scene:
    """The scene, over REST; amounts written at their asset's full precision ("1.20000", "123.45")."""
    order = dict(symbol=m.symbol, type="LIMIT", timeInForce="GTC")
    ask = await signed(rest, MAKER, "POST", "/api/v3/order", **order, side="SELL", quantity=m.b(m.ask_qty),
                       price=m.q(m.price), newOrderRespType="RESULT")
    bid = await signed(rest, MAKER, "POST", "/api/v3/order", **order, side="BUY", quantity=m.b(m.bid_qty),
                       price=m.q(m.bid_price), newOrderRespType="RESULT")
    buy = await signed(rest, TAKER, "POST", "/api/v3/order", **order, side="BUY", quantity=m.b(m.buy_qty),
                       price=m.q(m.price), newOrderRespType="FULL")
    sell = await signed(rest, TAKER, "POST", "/api/v3/order", symbol=m.symbol, type="MARKET", side="SELL",
                        quantity=m.b(m.bid_qty), newOrderRespType="FULL")
    return Scene(ask, bid, buy, sell)


# --- exchangeInfo ---------------------------------------------------------------------------------------------
@MARKETS
async def test_exchange_info(rest, m):
    [info] = (await public(rest, "/api/v3/exchangeInfo", symbol=m.symbol))["symbols"]
    assert (info["baseAsset"], info["quoteAsset"]) == (m.base, m.quote)
    assert (info["baseAssetPrecision"], info["quotePrecision"], info["quoteAssetPrecision"]) == \
        (m.base_places, m.quote_places, m.quote_places)
    assert (info["baseCommissionPrecision"], info["quoteCommissionPrecision"]) == (m.base_places, m.quote_places)
    filters = {f["filterType"]: f for f in info["filters"]}
    assert filters["PRICE_FILTER"] == {"filterType": "PRICE_FILTER", "minPrice": m.q(m.tick),
                                       "maxPrice": m.q(100000), "tickSize": m.q(m.tick)}
    assert filters["LOT_SIZE"] == {"filterType": "LOT_SIZE", "minQty": m.b(m.step), "maxQty": m.b(9000),
                                   "stepSize": m.b(m.step)}
    assert filters["MARKET_LOT_SIZE"] == {"filterType": "MARKET_LOT_SIZE", "minQty": m.b(m.step),
                                          "maxQty": m.b(9000), "stepSize": m.b(0)}
    assert (filters["NOTIONAL"]["minNotional"], filters["NOTIONAL"]["maxNotional"]) == (m.q(1), m.q(1000000))


# --- orders in, orders out ------------------------------------------------------------------------------------
@MARKETS
async def test_order_responses(rest, m):
    scene = await play(rest, m)
    for resting, price, qty in ((scene.ask, m.price, m.ask_qty), (scene.bid, m.bid_price, m.bid_qty)):
        assert (resting["price"], resting["origQty"], resting["executedQty"], resting["cummulativeQuoteQty"],
                resting["origQuoteOrderQty"]) == (m.q(price), m.b(qty), m.b(0), m.q(0), m.q(0))
    buy = scene.buy
    assert (buy["status"], buy["price"], buy["origQty"], buy["executedQty"], buy["cummulativeQuoteQty"],
            buy["origQuoteOrderQty"]) == ("FILLED", m.q(m.price), m.b(m.buy_qty), m.b(m.buy_qty),
                                          m.q(m.notional), m.q(0))
    assert [{k: v for k, v in fill.items() if k != "tradeId"} for fill in buy["fills"]] == [
        {"price": m.q(m.price), "qty": m.b(m.buy_qty), "commission": m.taker_buy_fee, "commissionAsset": m.base}]
    sell = scene.sell
    assert (sell["status"], sell["price"], sell["origQty"], sell["executedQty"], sell["cummulativeQuoteQty"]) == \
        ("FILLED", m.q(0), m.b(m.bid_qty), m.b(m.bid_qty), m.q(m.bid_notional))
    assert [{k: v for k, v in fill.items() if k != "tradeId"} for fill in sell["fills"]] == [
        {"price": m.q(m.bid_price), "qty": m.b(m.bid_qty), "commission": m.taker_sell_fee,
         "commissionAsset": m.quote}]


@MARKETS
async def test_quote_sized_market_order(rest, m):
    await play(rest, m)
    spend = m.q(m.price)  # buys one whole base unit's worth: the largest step multiple that fits
    reply = await signed(rest, TAKER, "POST", "/api/v3/order", symbol=m.symbol, side="BUY", type="MARKET",
                         quoteOrderQty=spend, newOrderRespType="FULL")
    qty = (Decimal(1) // Decimal(m.step)) * Decimal(m.step)
    assert (reply["origQuoteOrderQty"], reply["executedQty"], reply["cummulativeQuoteQty"]) == \
        (spend, m.b(qty), m.q(qty * Decimal(m.price)))


@MARKETS
async def test_amounts_are_read_at_their_own_asset_precision(rest, m):
    order = dict(symbol=m.symbol, side="BUY", type="LIMIT", timeInForce="GTC", price=m.q(m.bid_price))
    too_fine_qty = m.b(m.bid_qty) + "1"
    too_fine_price = m.q(m.bid_price) + "1"
    for params, name in (({"quantity": too_fine_qty}, "quantity"),
                         ({"quantity": m.b(m.bid_qty), "price": too_fine_price}, "price")):
        reply = await rest.signed("POST", "/api/v3/order", key=TAKER[0], secret=TAKER[1], **{**order, **params})
        assert reply.error == (400, -1111, f"Parameter '{name}' has too much precision.")


@MARKETS
async def test_order_queries_and_trades(rest, m):
    scene = await play(rest, m)
    queried = await signed(rest, TAKER, "GET", "/api/v3/order", symbol=m.symbol, orderId=scene.buy["orderId"])
    assert (queried["price"], queried["origQty"], queried["executedQty"], queried["cummulativeQuoteQty"],
            queried["stopPrice"], queried["icebergQty"], queried["origQuoteOrderQty"]) == \
        (m.q(m.price), m.b(m.buy_qty), m.b(m.buy_qty), m.q(m.notional), m.q(0), m.b(0), m.q(0))
    [still_open] = await signed(rest, MAKER, "GET", "/api/v3/openOrders", symbol=m.symbol)
    assert (still_open["orderId"], still_open["price"], still_open["origQty"], still_open["executedQty"],
            still_open["cummulativeQuoteQty"]) == \
        (scene.ask["orderId"], m.q(m.price), m.b(m.ask_qty), m.b(m.buy_qty), m.q(m.notional))
    every = await signed(rest, TAKER, "GET", "/api/v3/allOrders", symbol=m.symbol)
    assert [(o["price"], o["origQty"], o["executedQty"], o["cummulativeQuoteQty"]) for o in every] == [
        (m.q(m.price), m.b(m.buy_qty), m.b(m.buy_qty), m.q(m.notional)),
        (m.q(0), m.b(m.bid_qty), m.b(m.bid_qty), m.q(m.bid_notional))]
    for o in every:
        assert_places(o, ("stopPrice", "origQuoteOrderQty"), m.quote_places, "allOrders")
        assert_places(o, ("icebergQty",), m.base_places, "allOrders")

    def amounts(trades):
        return [(t["price"], t["qty"], t["quoteQty"], t["commission"], t["commissionAsset"]) for t in trades]

    assert amounts(await signed(rest, TAKER, "GET", "/api/v3/myTrades", symbol=m.symbol)) == [
        (m.q(m.price), m.b(m.buy_qty), m.q(m.notional), m.taker_buy_fee, m.base),
        (m.q(m.bid_price), m.b(m.bid_qty), m.q(m.bid_notional), m.taker_sell_fee, m.quote)]
    assert amounts(await signed(rest, MAKER, "GET", "/api/v3/myTrades", symbol=m.symbol)) == [
        (m.q(m.price), m.b(m.buy_qty), m.q(m.notional), m.maker_sell_fee, m.quote),
        (m.q(m.bid_price), m.b(m.bid_qty), m.q(m.bid_notional), m.maker_buy_fee, m.base)]


@MARKETS
async def test_amend_cancel_and_cancel_replace(rest, m):
    scene = await play(rest, m)
    step = Decimal(m.step)
    amended = (await signed(rest, MAKER, "PUT", "/api/v3/order/amend/keepPriority", symbol=m.symbol,
                            orderId=scene.ask["orderId"], newQty=m.b(Decimal(m.ask_qty) - step)))["amendedOrder"]
    assert (amended["price"], amended["qty"], amended["executedQty"], amended["preventedQty"],
            amended["quoteOrderQty"], amended["cumulativeQuoteQty"]) == \
        (m.q(m.price), m.b(Decimal(m.ask_qty) - step), m.b(m.buy_qty), m.b(0), m.q(0), m.q(m.notional))
    replaced = await signed(rest, MAKER, "POST", "/api/v3/order/cancelReplace", symbol=m.symbol, side="SELL",
                            type="LIMIT", timeInForce="GTC", cancelReplaceMode="STOP_ON_FAILURE",
                            cancelOrderId=scene.ask["orderId"], quantity=m.b(m.buy_qty), price=m.q(m.price))
    canceled, placed = replaced["cancelResponse"], replaced["newOrderResponse"]
    assert (canceled["price"], canceled["origQty"], canceled["executedQty"], canceled["cummulativeQuoteQty"],
            canceled["origQuoteOrderQty"]) == \
        (m.q(m.price), m.b(Decimal(m.ask_qty) - step), m.b(m.buy_qty), m.q(m.notional), m.q(0))
    assert (placed["price"], placed["origQty"], placed["executedQty"], placed["cummulativeQuoteQty"]) == \
        (m.q(m.price), m.b(m.buy_qty), m.b(0), m.q(0))
    canceled = await signed(rest, MAKER, "DELETE", "/api/v3/order", symbol=m.symbol, orderId=placed["orderId"])
    assert (canceled["price"], canceled["origQty"], canceled["executedQty"], canceled["cummulativeQuoteQty"],
            canceled["origQuoteOrderQty"]) == (m.q(m.price), m.b(m.buy_qty), m.b(0), m.q(0), m.q(0))


@MARKETS
async def test_self_trade_prevention_amounts(rest, session, server, m):
    ws = await user_stream(rest, session, server, TAKER)
    await signed(rest, TAKER, "POST", "/api/v3/order", symbol=m.symbol, side="SELL", type="LIMIT",
                 timeInForce="GTC", quantity=m.b(m.ask_qty), price=m.q(m.price))
    buy = await signed(rest, TAKER, "POST", "/api/v3/order", symbol=m.symbol, side="BUY", type="LIMIT",
                       timeInForce="GTC", quantity=m.b(m.buy_qty), price=m.q(m.price),
                       selfTradePreventionMode="EXPIRE_BOTH", newOrderRespType="FULL")
    assert (buy["status"], buy["preventedQuantity"], buy["executedQty"]) == \
        ("EXPIRED_IN_MATCH", m.b(m.buy_qty), m.b(0))
    prevented = await wait_for(ws, lambda e: e.get("x") == "TRADE_PREVENTION" and e["S"] == "SELL")
    assert (prevented["A"], prevented["B"], prevented["pl"], prevented["pL"], prevented["pY"]) == \
        (m.b(m.ask_qty), m.b(m.ask_qty), m.b(m.buy_qty), m.q(m.price), m.q(m.notional))
    await ws.close()


# --- the account ----------------------------------------------------------------------------------------------
def balances_after_the_scene(m: Market) -> dict[str, dict[str, tuple[Decimal, Decimal]]]:
    """(free, locked) per account and asset after `play`, worked out from the scene's own numbers."""
    start = Decimal(START_BALANCE)
    base_taker = start + Decimal(m.buy_qty) - Decimal(m.taker_buy_fee) - Decimal(m.bid_qty)
    quote_taker = start - m.notional + m.bid_notional - Decimal(m.taker_sell_fee)
    base_maker_free = start - Decimal(m.ask_qty) + Decimal(m.bid_qty) - Decimal(m.maker_buy_fee)
    quote_maker = start + m.notional - Decimal(m.maker_sell_fee) - m.bid_notional
    return {"taker": {m.base: (base_taker, Decimal(0)), m.quote: (quote_taker, Decimal(0))},
            "maker": {m.base: (base_maker_free, m.rest_qty), m.quote: (quote_maker, Decimal(0))}}


@MARKETS
async def test_account_balances(rest, m):
    await play(rest, m)
    expected = balances_after_the_scene(m)
    for who, name in ((TAKER, "taker"), (MAKER, "maker")):
        balances = {b["asset"]: b for b in (await signed(rest, who, "GET", "/api/v3/account"))["balances"]}
        assert set(balances) == set(PRECISION)
        for asset, digits in PRECISION.items():
            free, locked = expected[name].get(asset, (Decimal(START_BALANCE), Decimal(0)))
            assert balances[asset] == \
                {"asset": asset, "free": fixed(free, digits), "locked": fixed(locked, digits)}


# --- the user data stream -------------------------------------------------------------------------------------
def _report(kind: str, side: str):
    return lambda e: e.get("e") == "executionReport" and e["x"] == kind and e["S"] == side


def _position(e) -> bool:
    return e.get("e") == "outboundAccountPosition"


@MARKETS
async def test_user_data_stream(rest, session, server, m):
    taker_ws = await user_stream(rest, session, server, TAKER)
    maker_ws = await user_stream(rest, session, server, MAKER)
    await play(rest, m)
    expected = balances_after_the_scene(m)
    amounts = ("q", "p", "l", "L", "z", "Z", "Y", "Q", "n")

    def report_amounts(report):
        return {key: report[key] for key in amounts}

    new = await wait_for(taker_ws, _report("NEW", "BUY"))
    assert report_amounts(new) == {"q": m.b(m.buy_qty), "p": m.q(m.price), "l": m.b(0), "L": m.q(0),
                                   "z": m.b(0), "Z": m.q(0), "Y": m.q(0), "Q": m.q(0), "n": "0"}
    assert_places(new, ("P",), m.quote_places, "executionReport")
    assert_places(new, ("F",), m.base_places, "executionReport")
    bought = await wait_for(taker_ws, _report("TRADE", "BUY"))
    assert report_amounts(bought) == {
        "q": m.b(m.buy_qty), "p": m.q(m.price), "l": m.b(m.buy_qty), "L": m.q(m.price), "z": m.b(m.buy_qty),
        "Z": m.q(m.notional), "Y": m.q(m.notional), "Q": m.q(0), "n": m.taker_buy_fee}
    assert bought["N"] == m.base
    position = await wait_for(taker_ws, _position)
    start = Decimal(START_BALANCE)
    assert {b["a"]: (b["f"], b["l"]) for b in position["B"]} == {  # both legs, each at its own precision
        m.quote: (m.q(start - m.notional), m.q(0)),
        m.base: (m.b(start + Decimal(m.buy_qty) - Decimal(m.taker_buy_fee)), m.b(0))}
    sold = await wait_for(taker_ws, _report("TRADE", "SELL"))
    assert report_amounts(sold) == {
        "q": m.b(m.bid_qty), "p": m.q(0), "l": m.b(m.bid_qty), "L": m.q(m.bid_price), "z": m.b(m.bid_qty),
        "Z": m.q(m.bid_notional), "Y": m.q(m.bid_notional), "Q": m.q(0), "n": m.taker_sell_fee}
    assert sold["N"] == m.quote
    position = await wait_for(taker_ws, _position)
    assert {b["a"]: (b["f"], b["l"]) for b in position["B"]} == {
        asset: (fixed(free, PRECISION[asset]), fixed(locked, PRECISION[asset]))
        for asset, (free, locked) in expected["taker"].items()}

    maker_sold = await wait_for(maker_ws, _report("TRADE", "SELL"))
    assert report_amounts(maker_sold) == {
        "q": m.b(m.ask_qty), "p": m.q(m.price), "l": m.b(m.buy_qty), "L": m.q(m.price), "z": m.b(m.buy_qty),
        "Z": m.q(m.notional), "Y": m.q(m.notional), "Q": m.q(0), "n": m.maker_sell_fee}
    maker_bought = await wait_for(maker_ws, _report("TRADE", "BUY"))
    assert (maker_bought["l"], maker_bought["L"], maker_bought["n"], maker_bought["N"]) == \
        (m.b(m.bid_qty), m.q(m.bid_price), m.maker_buy_fee, m.base)
    position = await wait_for(maker_ws, _position)
    assert {b["a"]: (b["f"], b["l"]) for b in position["B"]} == {
        asset: (fixed(free, PRECISION[asset]), fixed(locked, PRECISION[asset]))
        for asset, (free, locked) in expected["maker"].items()}

    taker_id = server.sim.keys.get(TAKER[0]).account_id
    for asset, digits in PRECISION.items():  # a deposit of one atom of each asset
        server.call(server.sim.engine.deposit, taker_id, asset, 1)
        update = await wait_for(taker_ws, lambda e: e.get("e") == "balanceUpdate")
        assert (update["a"], update["d"]) == (asset, fixed(Decimal(1).scaleb(-digits), digits))
    await taker_ws.close()
    await maker_ws.close()


# --- market data: REST ----------------------------------------------------------------------------------------
@MARKETS
async def test_rest_market_data(rest, m):
    await play(rest, m)
    await signed(rest, MAKER, "POST", "/api/v3/order", symbol=m.symbol, side="BUY", type="LIMIT",
                 timeInForce="GTC", quantity=m.b(m.bid_qty), price=m.q(m.bid_price))  # a bid again: both sides
    depth = await public(rest, "/api/v3/depth", symbol=m.symbol)
    assert (depth["bids"], depth["asks"]) == \
        ([[m.q(m.bid_price), m.b(m.bid_qty)]], [[m.q(m.price), m.b(m.rest_qty)]])
    trades = [(m.q(m.price), m.b(m.buy_qty), m.q(m.notional)),
              (m.q(m.bid_price), m.b(m.bid_qty), m.q(m.bid_notional))]
    for path in ("/api/v3/trades", "/api/v3/historicalTrades"):
        assert [(t["price"], t["qty"], t["quoteQty"]) for t in await public(rest, path, symbol=m.symbol)] == trades
    assert [(a["p"], a["q"]) for a in await public(rest, "/api/v3/aggTrades", symbol=m.symbol)] == \
        [(price, qty) for price, qty, _ in trades]
    volume, quote_volume = Decimal(m.buy_qty) + Decimal(m.bid_qty), m.notional + m.bid_notional
    for path in ("/api/v3/klines", "/api/v3/uiKlines"):
        [kline] = await public(rest, path, symbol=m.symbol, interval="1m")
        assert kline[1:6] == [m.q(m.price), m.q(m.price), m.q(m.bid_price), m.q(m.bid_price), m.b(volume)]
        assert kline[7] == m.q(quote_volume)
        assert kline[9:11] == [m.b(m.buy_qty), m.q(m.notional)]  # the taker bought once
    average = (await public(rest, "/api/v3/avgPrice", symbol=m.symbol))["price"]
    assert places(average) == m.quote_places
    assert await public(rest, "/api/v3/ticker/price", symbol=m.symbol) == \
        {"symbol": m.symbol, "price": m.q(m.bid_price)}
    assert await public(rest, "/api/v3/ticker/bookTicker", symbol=m.symbol) == {
        "symbol": m.symbol, "bidPrice": m.q(m.bid_price), "bidQty": m.b(m.bid_qty), "askPrice": m.q(m.price),
        "askQty": m.b(m.rest_qty)}
    prices = ("openPrice", "highPrice", "lowPrice", "lastPrice")
    full = await public(rest, "/api/v3/ticker/24hr", symbol=m.symbol)
    assert (full["openPrice"], full["highPrice"], full["lowPrice"], full["lastPrice"], full["lastQty"],
            full["volume"], full["quoteVolume"]) == (m.q(m.price), m.q(m.price), m.q(m.bid_price),
                                                     m.q(m.bid_price), m.b(m.bid_qty), m.b(volume),
                                                     m.q(quote_volume))
    assert_places(full, ("priceChange", "weightedAvgPrice", "prevClosePrice", "bidPrice", "askPrice"),
                  m.quote_places, "ticker/24hr")
    assert_places(full, ("bidQty", "askQty"), m.base_places, "ticker/24hr")
    mini = await public(rest, "/api/v3/ticker/24hr", symbol=m.symbol, type="MINI")
    assert_places(mini, prices, m.quote_places, "MINI ticker")
    assert (mini["volume"], mini["quoteVolume"]) == (m.b(volume), m.q(quote_volume))
    for path in ("/api/v3/ticker", "/api/v3/ticker/tradingDay"):
        window = await public(rest, path, symbol=m.symbol)
        assert_places(window, (*prices, "priceChange", "weightedAvgPrice"), m.quote_places, path)
        assert (window["volume"], window["quoteVolume"]) == (m.b(volume), m.q(quote_volume))


# --- market data: streams -------------------------------------------------------------------------------------
@MARKETS
async def test_market_streams(rest, session, server, m):
    sym = m.symbol.lower()
    names = ("trade", "aggTrade", "bookTicker", "depth@100ms", "depth5@100ms", "kline_1m", "ticker",
             "miniTicker", "avgPrice")
    ws = await connect(session, f"{server.ws_url}/stream?streams=" + "/".join(f"{sym}@{n}" for n in names))
    await play(rest, m)
    final_id = server.call(lambda: server.sim.engine.books[m.symbol].update_id)
    volume, quote_volume = Decimal(m.buy_qty) + Decimal(m.bid_qty), m.notional + m.bid_notional
    last_price = m.q(m.bid_price)
    # Which frame of each stream to check, chosen by ids and counts (never by the strings under test): the first
    # trade, the first book ticker with both sides, every diff depth, and the interval payloads of the whole scene.
    done = {
        f"{sym}@trade": lambda d: True,
        f"{sym}@aggTrade": lambda d: True,
        f"{sym}@bookTicker": lambda d: Decimal(d["b"]) > 0,
        f"{sym}@depth@100ms": lambda d: d["u"] == final_id,
        f"{sym}@depth5@100ms": lambda d: d["lastUpdateId"] == final_id,
        f"{sym}@kline_1m": lambda d: d["k"]["n"] == 2,
        f"{sym}@ticker": lambda d: d["n"] == 2,
        f"{sym}@miniTicker": lambda d: Decimal(d["v"]) == volume,
        f"{sym}@avgPrice": lambda d: True,
    }
    seen: dict[str, dict] = {}
    diffs: list[dict] = []

    async def collect():
        while len(seen) < len(done):
            frame = await recv_json(ws)
            stream, data = frame["stream"], frame["data"]
            if stream == f"{sym}@depth@100ms":
                diffs.append(data)
            if stream not in seen and done[stream](data):
                seen[stream] = data

    await asyncio.wait_for(collect(), 3 * TIMEOUT)
    await ws.close()

    trade = seen[f"{sym}@trade"]
    assert (trade["p"], trade["q"]) == (m.q(m.price), m.b(m.buy_qty))
    agg = seen[f"{sym}@aggTrade"]
    assert (agg["p"], agg["q"]) == (m.q(m.price), m.b(m.buy_qty))
    book = seen[f"{sym}@bookTicker"]
    assert (book["b"], book["B"], book["a"], book["A"]) == \
        (m.q(m.bid_price), m.b(m.bid_qty), m.q(m.price), m.b(m.ask_qty))
    levels = [level for diff in diffs for level in (*diff["b"], *diff["a"])]
    assert levels and all((places(p), places(q)) == (m.quote_places, m.base_places) for p, q in levels), levels
    # the last change of each side: what rests of the ask, the bid gone
    assert [level for diff in diffs for level in diff["a"]][-1] == [m.q(m.price), m.b(m.rest_qty)]
    assert [level for diff in diffs for level in diff["b"]][-1] == [m.q(m.bid_price), m.b(0)]
    assert seen[f"{sym}@depth5@100ms"]["asks"] == [[m.q(m.price), m.b(m.rest_qty)]]
    k = seen[f"{sym}@kline_1m"]["k"]
    assert (k["o"], k["h"], k["l"], k["c"], k["v"], k["q"], k["V"], k["Q"]) == (
        m.q(m.price), m.q(m.price), m.q(m.bid_price), last_price, m.b(volume), m.q(quote_volume),
        m.b(m.buy_qty), m.q(m.notional))
    ticker = seen[f"{sym}@ticker"]
    assert (ticker["o"], ticker["h"], ticker["l"], ticker["c"], ticker["Q"], ticker["v"], ticker["q"]) == (
        m.q(m.price), m.q(m.price), m.q(m.bid_price), last_price, m.b(m.bid_qty), m.b(volume), m.q(quote_volume))
    assert (ticker["b"], ticker["B"], ticker["a"], ticker["A"]) == (m.q(0), m.b(0), m.q(m.price), m.b(m.rest_qty))
    assert_places(ticker, ("p", "w", "x"), m.quote_places, "24hrTicker")
    mini = seen[f"{sym}@miniTicker"]
    assert (mini["o"], mini["h"], mini["l"], mini["q"]) == \
        (m.q(m.price), m.q(m.price), m.q(m.bid_price), m.q(quote_volume))
    assert places(seen[f"{sym}@avgPrice"]["w"]) == m.quote_places
