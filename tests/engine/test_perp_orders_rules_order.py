"""What a USD-M order carries (reference §7): its original type, its own PnL and commission over its fills, the
average price, which types trade at market once working, and where a falling trigger fires."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.engine.perp.order import PerpOrder, is_market_type
from simulator.engine.rejection import Reject
from tests.engine.helpers import a, rejects
from tests.engine.perp_helpers import limit, market, new_futures, position, trader

SYMBOL = "BTCUSDT"


@pytest.mark.parametrize("type_, at_market", [
    ("MARKET", True), ("LIQUIDATION", True), ("STOP_MARKET", True), ("TAKE_PROFIT_MARKET", True),
    ("TRAILING_STOP_MARKET", True), ("LIMIT", False), ("STOP", False), ("TAKE_PROFIT", False)])
def test_which_order_types_trade_at_market_once_working(type_, at_market):
    assert is_market_type(type_) is at_market


def test_a_new_order_starts_with_nothing_realized_or_charged_and_keeps_its_original_type():
    engine, clock = new_futures()
    me = trader(engine)
    stop = engine.place_order(me, SYMBOL, "BUY", "STOP_MARKET", qty=a("1"), stop_price=a("51000")).order
    assert (stop.orig_type, stop.type) == ("STOP_MARKET", "STOP_MARKET")
    assert (stop.realized_pnl, stop.commission, stop.bankruptcy_price, stop.quote_qty) == (0, 0, 0, 0)
    assert (stop.reduce_only, stop.close_position, stop.price_protect) == (False, False, False)
    assert (stop.activation_price, stop.callback_rate, stop.extreme) == (0, 0, 0)
    assert stop.time == clock.now_ms() and stop.stp == engine.instruments[SYMBOL].default_stp


def test_an_order_built_without_options_is_a_plain_one_way_order():
    order = PerpOrder(1, "c", 1, SYMBOL, "BUY", "LIMIT", "GTC", a("50000"), a("1"), 0, "NONE", 5)
    assert (order.position_side, order.reduce_only, order.close_position, order.price_protect) == \
        ("BOTH", False, False, False)
    assert (order.working_type, order.activation_price, order.callback_rate) == ("CONTRACT_PRICE", 0, 0)
    assert (order.quote_qty, order.stp, order.time) == (0, "NONE", 5)


def test_an_orders_state_holds_every_field_but_the_derived_side_flag():
    engine, _ = new_futures()
    me = trader(engine)
    order = limit(engine, me, "BUY", "49000", "1", reduce_only=False).order
    state = order.state()
    assert "is_buy" not in state
    assert (state["order_id"], state["side"], state["position_side"], state["orig_type"]) == \
        (order.order_id, "BUY", "BOTH", "LIMIT")
    assert state["locked"] == a("2450") and state["extreme"] == 0


def test_the_average_price_is_the_quote_filled_over_the_quantity_filled():
    engine, _ = new_futures()
    liquidity, me = trader(engine, "10000000"), trader(engine)
    limit(engine, liquidity, "SELL", "50000", "0.5")
    limit(engine, liquidity, "SELL", "50100", "0.5")
    order = market(engine, me, "BUY", "1").order
    assert order.avg_price(8, 10**8) == Decimal("50050")
    fresh = limit(engine, me, "BUY", "40000", "0.1").order
    assert fresh.avg_price(8, 10**8) == 0


def test_a_falling_stop_fires_at_exactly_its_stop_price_and_cannot_be_placed_there():
    engine, _ = new_futures()
    liquidity, me = trader(engine, "10000000"), trader(engine)
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")  # last and mark 50,000
    rejects(Reject.WOULD_TRIGGER_IMMEDIATELY, engine.place_order, me, SYMBOL, "SELL", "STOP_MARKET", qty=a("1"),
            stop_price=a("50000"), reduce_only=True)
    stop = engine.place_order(me, SYMBOL, "SELL", "STOP_MARKET", qty=a("1"), stop_price=a("49000"),
                              reduce_only=True, working_type="MARK_PRICE").order
    limit(engine, liquidity, "BUY", "48000", "1")
    engine.set_index(SYMBOL, a("49000"))
    assert stop.status == "FILLED" and position(engine, me).amt == 0


def test_a_fill_order_taker_is_a_plain_order_that_may_open():
    engine, _ = new_futures()
    liquidity, me = trader(engine, "10000000"), trader(engine)
    resting = limit(engine, liquidity, "SELL", "50000", "1").order
    taker = engine.fill_order(resting.order_id, a("0.4"), me).order
    assert (taker.reduce_only, taker.close_position, taker.position_side) == (False, False, "BOTH")
    assert position(engine, me).amt == a("0.4") and engine.closing_orders.get(me, 0) == 0
