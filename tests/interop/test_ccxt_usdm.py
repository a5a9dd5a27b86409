"""ccxt's `binanceusdm` (sync and async), unmodified but for its URLs, trading perpetuals on a live simulator:
markets, leverage, position mode, longs and shorts opened and closed, reduce-only and stop orders, positions,
balance, income, funding payments after a control-plane settlement, wallet transfers; and ccxt's spot `binance`
listing the swap markets beside the spot ones."""
from __future__ import annotations

import ccxt
import ccxt.async_support as ccxt_async
import pytest

from tests.interop.helpers import DEMO_KEY, DEMO_SECRET, repoint
from tests.interop.usdm_helpers import ASK, BID, SWAP, arrange_perp_market, settle_funding

pytestmark = pytest.mark.interop


@pytest.fixture
def market(live_server):
    live_server.call(arrange_perp_market, live_server.sim)
    return live_server


@pytest.fixture
def exchange(market):
    exchange = ccxt.binanceusdm({"apiKey": DEMO_KEY, "secret": DEMO_SECRET})
    repoint(exchange, market.base_url)
    exchange.load_markets()
    return exchange


def test_markets_are_linear_perpetuals(exchange):
    swap = exchange.markets[SWAP]
    assert (swap["swap"], swap["linear"], swap["contract"], swap["settle"], swap["active"]) == (
        True, True, True, "USDT", True)
    assert swap["precision"]["price"] == 0.1 and swap["precision"]["amount"] == 0.001
    assert swap["limits"]["cost"]["min"] == 100 and swap["limits"]["amount"]["min"] == 0.001
    book = exchange.fetch_order_book(SWAP)
    assert book["bids"][0] == [float(BID), 5.0] and book["asks"][0] == [float(ASK), 5.0]
    assert exchange.fetch_funding_rate(SWAP)["markPrice"] == 50000.0
    assert exchange.fetch_ticker(SWAP)["symbol"] == SWAP
    assert set(exchange.fetch_last_prices()) == {SWAP, "ETH/USDT:USDT"}


def test_leverage_and_position_mode(exchange):
    assert exchange.set_leverage(10, SWAP)["leverage"] == 10
    assert exchange.fetch_leverage(SWAP)["longLeverage"] == 10
    exchange.set_margin_mode("isolated", SWAP)
    assert exchange.fetch_margin_mode(SWAP)["marginMode"] == "isolated"
    assert exchange.fetch_position_mode(SWAP)["hedged"] is False
    exchange.set_position_mode(True)
    assert exchange.fetch_position_mode(SWAP)["hedged"] is True
    exchange.set_position_mode(False)
    with pytest.raises(ccxt.OperationRejected):  # -4059: already one-way
        exchange.set_position_mode(False)


def test_long_and_short_opened_and_closed(exchange):
    exchange.set_leverage(10, SWAP)
    bought = exchange.create_order(SWAP, "market", "buy", 0.01)
    assert (bought["status"], bought["filled"], bought["average"]) == ("closed", 0.01, float(ASK))
    [position] = exchange.fetch_positions([SWAP])
    assert (position["side"], position["contracts"], position["entryPrice"]) == ("long", 0.01, float(ASK))
    closed = exchange.create_order(SWAP, "market", "sell", 0.01, params={"reduceOnly": True})
    assert (closed["status"], closed["reduceOnly"]) == ("closed", True)
    assert exchange.fetch_positions([SWAP]) == []
    exchange.create_order(SWAP, "market", "sell", 0.02)
    [short] = exchange.fetch_positions([SWAP])
    assert (short["side"], short["contracts"], short["entryPrice"]) == ("short", 0.02, float(BID))
    exchange.create_order(SWAP, "market", "buy", 0.02, params={"reduceOnly": True})
    assert exchange.fetch_positions([SWAP]) == []
    with pytest.raises(ccxt.ExchangeError, match="-2022"):  # nothing left to reduce
        exchange.create_order(SWAP, "market", "buy", 0.01, params={"reduceOnly": True})
    trades = exchange.fetch_my_trades(SWAP)
    assert [trade["side"] for trade in trades] == ["buy", "sell", "sell", "buy"]


def test_limit_and_stop_orders(exchange):
    limit = exchange.create_order(SWAP, "limit", "buy", 0.01, 45000)
    assert limit["status"] == "open"
    assert [o["id"] for o in exchange.fetch_open_orders(SWAP)] == [limit["id"]]
    stop = exchange.create_order(SWAP, "STOP_MARKET", "sell", 0.01, params={"stopPrice": 45000})
    assert (stop["status"], stop["triggerPrice"]) == ("open", 45000.0)
    waiting = exchange.fetch_open_orders(SWAP, params={"trigger": True})
    assert [o["id"] for o in waiting] == [stop["id"]]
    assert exchange.fetch_order(stop["id"], SWAP, params={"trigger": True})["status"] == "open"
    exchange.cancel_order(stop["id"], SWAP, params={"trigger": True})
    assert exchange.fetch_open_orders(SWAP, params={"trigger": True}) == []
    edited = exchange.edit_order(limit["id"], SWAP, "limit", "buy", 0.02, 45100)
    assert (edited["id"], edited["price"], edited["amount"]) == (limit["id"], 45100.0, 0.02)
    assert exchange.cancel_order(limit["id"], SWAP)["status"] == "canceled"
    with pytest.raises(ccxt.OrderNotFound):
        exchange.cancel_order(limit["id"], SWAP)
    batch = exchange.create_orders([{"symbol": SWAP, "type": "limit", "side": "buy", "amount": 0.01, "price": price}
                                    for price in (44000, 44100)])
    assert [o["status"] for o in batch] == ["open", "open"]
    assert len(exchange.cancel_orders([o["id"] for o in batch], SWAP)) == 2
    assert exchange.fetch_open_orders(SWAP) == []


def test_balance_transfer_income_and_funding(exchange, market):
    before = exchange.fetch_balance()["USDT"]["total"]
    exchange.transfer("USDT", 100, "spot", "swap")
    assert exchange.fetch_balance()["USDT"]["total"] == before + 100
    exchange.transfer("USDT", 50, "swap", "spot")
    exchange.create_order(SWAP, "market", "buy", 0.01)
    settle_funding(market.base_url)
    [payment] = exchange.fetch_funding_history(SWAP)
    # 0.01 x mark 50000 x 0.0001, paid by the long
    assert (payment["symbol"], payment["amount"], payment["code"]) == (SWAP, -0.05, "USDT")
    income = exchange.fetch_ledger("USDT")
    assert {entry["info"]["incomeType"] for entry in income} == {"TRANSFER", "COMMISSION", "FUNDING_FEE"}


async def test_async_client_round_trip(market):
    exchange = ccxt_async.binanceusdm({"apiKey": DEMO_KEY, "secret": DEMO_SECRET})
    repoint(exchange, market.base_url)
    try:
        await exchange.load_markets()
        order = await exchange.create_order(SWAP, "market", "buy", 0.01)
        assert order["status"] == "closed"
        [position] = await exchange.fetch_positions([SWAP])
        assert position["side"] == "long"
        balance = await exchange.fetch_balance()
        assert balance["USDT"]["used"] > 0
    finally:
        await exchange.close()


def test_spot_client_lists_the_swaps_too(market):
    exchange = ccxt.binance({"apiKey": DEMO_KEY, "secret": DEMO_SECRET})
    repoint(exchange, market.base_url)
    markets = exchange.load_markets()
    assert markets["BTC/USDT"]["spot"] and markets[SWAP]["swap"]


def test_liquidation_after_a_control_plane_mark_move(market):
    """An account at 100x goes long; the control plane moves the mark below its liquidation price; ccxt sees the
    engine's closing order in fetch_my_liquidations and the position gone."""
    from decimal import Decimal

    from tests.interop.usdm_helpers import SYMBOL, post

    small = market.call(lambda: market.sim.create_account("small", futures={"USDT": Decimal(1000)}))
    exchange = ccxt.binanceusdm({"apiKey": small.key, "secret": small.secret})
    repoint(exchange, market.base_url)
    exchange.load_markets()
    exchange.set_leverage(100, SWAP)
    exchange.create_order(SWAP, "market", "buy", 0.2)  # 10,020 notional on 1,000 of margin
    [position] = exchange.fetch_positions([SWAP])
    assert position["liquidationPrice"] > 45000
    post(market.base_url, "/_sim/v1/funding/mark", {"symbol": SYMBOL, "markPrice": "45000"})
    [liquidation] = exchange.fetch_my_liquidations(SWAP)
    assert (liquidation["symbol"], liquidation["contracts"]) == (SWAP, 0.2)
    assert exchange.fetch_positions([SWAP]) == []


def test_liquidation_after_a_control_plane_index_move():
    """With the market maker quoting both markets around one index: an account at 100x goes long, the control
    plane moves the index 23 % down (the maker requotes, the mark follows), and ccxt sees the liquidation."""
    from decimal import Decimal

    from simulator.clock import SimClock
    from simulator.config import load_config
    from simulator.server import build_simulator
    from tests.interop.usdm_helpers import SYMBOL, post
    from tests.live_server import LiveServer

    server = LiveServer(build_simulator(load_config(), clock=SimClock())).start()  # signed on the wall clock
    try:
        small = server.call(lambda: server.sim.create_account("small", futures={"USDT": Decimal(1000)}))
        exchange = ccxt.binanceusdm({"apiKey": small.key, "secret": small.secret})
        repoint(exchange, server.base_url)
        exchange.load_markets()
        exchange.set_leverage(100, SWAP)
        exchange.create_order(SWAP, "market", "buy", 0.1)  # about 6,500 notional on 1,000 of margin
        [position] = exchange.fetch_positions([SWAP])
        assert 50000 < position["liquidationPrice"] < 65000
        moved = post(server.base_url, "/_sim/v1/prices/index", {"symbol": SYMBOL, "price": "50000"})
        assert moved["liquidated"], moved
        [liquidation] = exchange.fetch_my_liquidations(SWAP)
        assert (liquidation["symbol"], liquidation["contracts"]) == (SWAP, 0.1)
        assert exchange.fetch_positions([SWAP]) == []
    finally:
        server.stop()
