"""The USD-M connector against a live exsim (the /fapi dialect): leverage, position mode, positions opened and
closed on both sides, a funding payment after a settlement, a liquidation. A counterparty account trades against
the connector's orders through the control plane. The market maker is paused and its index walk stopped (its
futures quotes stay on the book: the connector's orders go inside the spread, so the counterparty meets them
first)."""
from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from connector.demo import price_inside
from connector.perpetual_derivative import BinancePerpetualDerivative
from connector.perpetual_trading import HEDGE, ONEWAY
from simulator.config import load_config
from simulator.server import build_simulator
from tests.connector.conftest import DEMO_KEY, DEMO_SECRET, FAST
from tests.live_server import LiveServer

PAIR, SYMBOL = "BTC-USDT", "BTCUSDT"
WAIT = 10.0


def of(kind, cid):
    return lambda e: e.kind == kind and getattr(e, "client_order_id", None) == cid


def position(amount, side="BOTH"):
    return lambda e: e.kind == "position_update" and e.position_side == side and e.amount == D(amount)


@pytest.fixture
def live():
    """The default config, market maker included (the index and mark prices come from it)."""
    server = LiveServer(build_simulator(load_config())).start()
    yield server
    server.stop()


@pytest.fixture
async def perp(live, control, tmp_path):
    await control.set_market_maker(False)
    await control.set_walk(False)
    exchange = BinancePerpetualDerivative(DEMO_KEY, DEMO_SECRET, [PAIR], base_url=live.base_url,
                                          tracking_db=str(tmp_path / "perp.sqlite"), funding_poll_interval=1.0,
                                          **FAST)
    await asyncio.wait_for(exchange.start_network(), 10)
    await exchange.wait_until_ready(10)
    yield exchange
    await asyncio.wait_for(exchange.stop_network(), 10)


@pytest.fixture
async def counterparty(control):
    account = await control.create_account("counterparty")
    await control.futures_deposit(account["id"], "USDT", "1000000")
    return account["id"]


async def inside(perp, side):
    """A price that makes the order the best of its side without crossing (connector.demo's rule)."""
    return await price_inside(perp, side)


async def open_long(perp, control, counterparty, amount="0.010", fills=("0.004", "0.006"), side="BUY",
                    position_side="BOTH"):
    """Rest a limit order inside the spread, then let the counterparty hit it in several pieces."""
    price = await inside(perp, side)
    cid = await perp.place_order(side, PAIR, D(amount), "LIMIT", price, position_action="OPEN")
    await perp.events.wait_for(of("order_created", cid), WAIT)
    other = "SELL" if side == "BUY" else "BUY"
    for qty in fills:  # the counterparty trades in one-way mode
        await control.futures_order(counterparty, SYMBOL, other, "MARKET", qty)
    await perp.events.wait_for(of("order_completed", cid), WAIT)
    return cid


async def close_with_market(perp, control, counterparty, side, amount, position_side="BOTH"):
    """The counterparty rests the other side inside the spread; the connector closes into it (reduce-only in
    one-way mode)."""
    price = str(await inside(perp, "SELL" if side == "BUY" else "BUY"))
    await control.futures_order(counterparty, SYMBOL, "SELL" if side == "BUY" else "BUY", "LIMIT", amount, price,
                                "GTC")
    cid = await perp.place_order(side, PAIR, D(amount), "MARKET", position_action="CLOSE", reduce_only=True,
                                 position_side=position_side)
    await perp.events.wait_for(of("order_completed", cid), WAIT)
    return cid


async def test_leverage_and_margin_type_and_position_mode(perp):
    assert await perp.set_leverage(PAIR, 7) == 7
    await perp.set_margin_type(PAIR, "ISOLATED")
    await perp.set_margin_type(PAIR, "ISOLATED")  # "no need to change": not an error
    await perp._update_extra()
    assert perp.leverage[PAIR] == 7 and perp.margin_type[PAIR] == "ISOLATED"
    await perp.set_position_mode(HEDGE)
    await perp._update_position_mode()
    assert perp.position_mode == HEDGE
    await perp.set_position_mode(ONEWAY)
    await perp._update_position_mode()
    assert perp.position_mode == ONEWAY


async def test_open_with_partial_fills_then_close_reduce_only(perp, control, counterparty):
    await perp.set_leverage(PAIR, 5)
    cid = await open_long(perp, control, counterparty)
    fills = [e for e in perp.events.history if e.kind == "order_filled" and e.client_order_id == cid]
    assert [f.amount for f in fills] == [D("0.004"), D("0.006")] and {f.fee_asset for f in fills} == {"USDT"}
    await perp.events.wait_for(position("0.010"), WAIT)
    assert perp.positions[0].amount == D("0.010")
    assert perp.positions[0].entry_price == fills[0].price
    await close_with_market(perp, control, counterparty, "SELL", "0.010")
    await perp.events.wait_for(position("0"), WAIT)
    assert perp.positions == []


async def test_short_then_close(perp, control, counterparty):
    await open_long(perp, control, counterparty, side="SELL", fills=("0.010",))
    await perp.events.wait_for(position("-0.010"), WAIT)
    await close_with_market(perp, control, counterparty, "BUY", "0.010")
    await perp.events.wait_for(position("0"), WAIT)


async def test_hedge_mode_holds_long_and_short_at_once(perp, control, counterparty):
    await perp.set_position_mode(HEDGE)
    await open_long(perp, control, counterparty, fills=("0.010",), position_side="LONG")
    await open_long(perp, control, counterparty, side="SELL", fills=("0.010",), position_side="SHORT")
    await perp.events.wait_for(position("0.010", "LONG"), WAIT)
    await perp.events.wait_for(position("-0.010", "SHORT"), WAIT)
    assert {(p.position_side, p.amount) for p in perp.positions} == {("LONG", D("0.010")), ("SHORT", D("-0.010"))}
    await close_with_market(perp, control, counterparty, "SELL", "0.010", position_side="LONG")
    await perp.events.wait_for(position("0", "LONG"), WAIT)
    assert [(p.position_side, p.amount) for p in perp.positions] == [("SHORT", D("-0.010"))]


async def test_funding_payment_after_a_settlement(perp, control, counterparty):
    await open_long(perp, control, counterparty, fills=("0.010",))
    await perp.events.wait_for(position("0.010"), WAIT)
    settled = await control.settle_funding(SYMBOL)
    payment = await perp.events.wait_for(lambda e: e.kind == "funding_payment", WAIT)
    rate = D(settled["settled"][0]["fundingRate"])
    mark = D(settled["settled"][0]["markPrice"])
    assert payment.trading_pair == PAIR and payment.asset == "USDT"
    assert payment.amount == -(D("0.010") * mark * rate)  # a long pays a positive rate
    await asyncio.sleep(0)
    assert sum(1 for e in perp.events.history if e.kind == "funding_payment") == 1


async def test_liquidation_closes_the_position(perp, control, counterparty):
    """Isolated at 50x: the margin is 2 % of the notional, so a 10 % fall of the mark liquidates the long."""
    await perp.set_margin_type(PAIR, "ISOLATED")
    await perp.set_leverage(PAIR, 50)
    await open_long(perp, control, counterparty, fills=("0.010",))
    await perp.events.wait_for(position("0.010"), WAIT)
    entry = perp.positions[0].entry_price
    # Liquidity for the liquidation's IOC sell (with nothing to sell into, exsim's liquidation order expires and
    # the position stays open).
    await control.futures_order(counterparty, SYMBOL, "BUY", "LIMIT", "0.010", str((entry * D("0.8")).quantize(
        D("0.1"))), "GTC")
    moved = await control.set_mark(SYMBOL, str((entry * D("0.9")).quantize(D("0.1"))))
    assert [o["clientOrderId"][:10] for o in moved["liquidated"]] == ["autoclose-"]
    await perp.events.wait_for(position("0"), WAIT)
    assert perp.positions == [] and not perp.in_flight_orders  # the exchange's closing order is not ours


async def test_an_expired_listen_key_is_replaced_and_events_flow_again(perp, control, counterparty):
    source = perp.user_stream_tracker.data_source
    first_key = source.listen_key
    await control.add_fault("listen_key_expire", accountId=1)
    async with asyncio.timeout(WAIT):
        while source.listen_key in (None, first_key) or not perp.ready:
            await asyncio.sleep(0.02)
    await open_long(perp, control, counterparty, fills=("0.010",))
    fills = [e for e in perp.events.history if e.kind == "order_filled"]
    assert fills and fills[-1].source == "ws"


async def test_cancel_all_with_the_bulk_endpoint_learns_the_outcomes_from_the_user_stream(perp):
    price = await inside(perp, "BUY")
    cids = [await perp.place_order("BUY", PAIR, D("0.010"), "LIMIT", price - step, position_action="OPEN")
            for step in (0, 1, 2)]
    for cid in cids:
        await perp.events.wait_for(of("order_created", cid), WAIT)
    results = await perp.cancel_all()
    assert [(r.client_order_id, r.success) for r in results] == [(cid, True) for cid in cids]
    assert not perp.in_flight_orders and await perp.get_open_orders(PAIR) == []


async def test_stop_market_close_position_fires_on_the_mark_and_closes_the_position(perp, control, counterparty):
    """Sent to the algo-order endpoint, tracked from the user stream through its trigger (the released MARKET
    order keeps the client id) to its fills; the position it closed is gone."""
    await open_long(perp, control, counterparty, fills=("0.010",))
    await perp.events.wait_for(position("0.010"), WAIT)
    entry = perp.positions[0].entry_price
    stop = (entry * D("0.95")).quantize(D("0.1"))
    cid = await perp.place_order("SELL", PAIR, D(0), "STOP_MARKET", trigger_price=stop, close_position=True,
                                 working_type="MARK_PRICE", position_action="CLOSE")
    await perp.events.wait_for(of("order_created", cid), WAIT)
    assert perp.in_flight_orders[cid].is_open and perp.positions[0].amount == D("0.010")  # waiting
    # the bid the released MARKET sell takes (with none, it would expire unfilled)
    await control.futures_order(counterparty, SYMBOL, "BUY", "LIMIT", "0.010", str(stop - 100), "GTC")
    await control.set_mark(SYMBOL, str(stop - 1))
    done = await perp.events.wait_for(of("order_completed", cid), WAIT)
    fills = [e for e in perp.events.history if e.kind == "order_filled" and e.client_order_id == cid]
    assert sum(f.amount for f in fills) == D("0.010") and done.base_amount == D("0.010")
    await perp.events.wait_for(position("0"), WAIT)
    assert perp.positions == [] and cid not in perp.in_flight_orders


async def test_a_waiting_take_profit_is_canceled_on_the_algo_endpoint(perp, control, counterparty):
    await open_long(perp, control, counterparty, fills=("0.010",))
    await perp.events.wait_for(position("0.010"), WAIT)
    target = (perp.positions[0].entry_price * D("1.05")).quantize(D("0.1"))
    cid = await perp.place_order("SELL", PAIR, D("0.010"), "TAKE_PROFIT_MARKET", trigger_price=target,
                                 working_type="CONTRACT_PRICE", position_action="CLOSE")
    await perp.events.wait_for(of("order_created", cid), WAIT)
    perp.cancel(PAIR, cid)
    await perp.events.wait_for(of("order_canceled", cid), WAIT)
    assert perp.positions[0].amount == D("0.010") and cid not in perp.in_flight_orders
