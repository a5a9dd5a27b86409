"""Trading rules that change mid-session (simulator.engine.rule_changes): new tick, step and min notional apply to
new orders while resting ones stay; a delisting cancels every open order with the usual events and refuses new
ones; invalid changes change nothing."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.engine.instrument import DELISTED
from simulator.engine.rejection import Reject
from simulator.engine.rule_changes import change_rules, delist
from tests.engine.helpers import Recorder, a, fingerprint, free, funded, limit, locked, make_spec, new_engine, rejects


@pytest.fixture
def setup():
    engine, clock = new_engine()
    alice = funded(engine, USDT="1000000", BTC="100")
    bob = funded(engine, USDT="1000000", BTC="100")
    return engine, alice, bob


def test_a_new_tick_size_applies_to_new_orders_and_resting_ones_stay(setup):
    engine, alice, bob = setup
    resting = limit(engine, alice, "BUY", "50000.01", "0.001").order  # on the old 0.01 grid
    change_rules(engine, "BTCUSDT", tick_size=Decimal("0.1"))
    assert engine.instruments["BTCUSDT"].tick == a("0.1")
    rejects(Reject.PRICE_FILTER, limit, engine, alice, "BUY", "50000.05", "0.001")
    assert limit(engine, alice, "BUY", "50000.1", "0.001").order.is_open
    assert resting.is_open and resting.price == a("50000.01")
    filled = limit(engine, bob, "SELL", "50000", "0.001")  # the old-grid order still trades
    assert filled.trades and filled.trades[0].price in (a("50000.1"), a("50000.01"))


def test_a_new_step_size_and_min_notional(setup):
    engine, alice, _ = setup
    change_rules(engine, "BTCUSDT", step_size=Decimal("0.01"), min_notional=Decimal("1000"))
    rejects(Reject.LOT_SIZE, limit, engine, alice, "BUY", "50000", "0.015")
    rejects(Reject.NOTIONAL, limit, engine, alice, "BUY", "50000", "0.01")  # 500 < 1000
    assert limit(engine, alice, "BUY", "50000", "0.02").order.is_open  # 1000: the boundary passes
    assert engine.instruments["BTCUSDT"].spec.min_notional == Decimal("1000")


@pytest.mark.parametrize("changes", [
    {"tick_size": Decimal("0")}, {"step_size": Decimal("-0.1")}, {"tick_size": Decimal("0.000000001")},
    {"min_notional": Decimal("-1")}, {"tick_size": Decimal("NaN")},
    {"tick_size": Decimal("0.00000001"), "step_size": Decimal("0.00000001")},  # price x qty below a quote atom
])
def test_invalid_rules_are_refused_and_change_nothing(setup, changes):
    engine, alice, _ = setup
    limit(engine, alice, "BUY", "50000", "0.001")
    before = fingerprint(engine), engine.instruments["BTCUSDT"].spec
    rejects(Reject.INVALID_ORDER, change_rules, engine, "BTCUSDT", **changes)
    assert (fingerprint(engine), engine.instruments["BTCUSDT"].spec) == before


def test_delisting_cancels_every_open_order_with_events_and_refuses_new_ones(setup):
    engine, alice, bob = setup
    engine.add_instrument(make_spec("ETHUSDT", "ETH", "USDT"))
    engine.deposit(alice, "ETH", a("10"))
    buy = limit(engine, alice, "BUY", "50000", "0.002").order
    sell = limit(engine, bob, "SELL", "60000", "0.003").order
    stop = engine.place_order(bob, "BTCUSDT", "SELL", "STOP_LOSS_LIMIT", qty=a("0.001"), price=a("40000"),
                              stop_price=a("40001"), tif="GTC").order
    eth = limit(engine, alice, "SELL", "3000", "1", symbol="ETHUSDT").order
    events = Recorder(engine)
    result = delist(engine, "BTCUSDT")
    assert [o.order_id for o in result.canceled] == [buy.order_id, sell.order_id, stop.order_id]
    assert all(o.status == "CANCELED" for o in (buy, sell, stop)) and eth.is_open
    updates = [e for e in events.of("order") if e.exec_type == "CANCELED"]
    assert [u.order.order_id for u in updates] == [buy.order_id, sell.order_id, stop.order_id]
    assert events.kinds()[-1] == "symbol_status" and events.events[-1].status == DELISTED
    assert (result.first_seq, result.last_seq) == (events.events[0].seq, events.events[-1].seq)
    assert locked(engine, alice, "USDT") == 0 and locked(engine, bob, "BTC") == 0
    assert free(engine, alice, "USDT") == a("1000000")
    rejects(Reject.MARKET_CLOSED, limit, engine, alice, "BUY", "50000", "0.001")
    rejects(Reject.UNKNOWN_SYMBOL, delist, engine, "BTCUSDT")
    rejects(Reject.UNKNOWN_SYMBOL, change_rules, engine, "BTCUSDT", tick_size=Decimal("1"))


def test_delisting_a_symbol_without_orders_is_one_status_change(setup):
    engine, _, _ = setup
    events = Recorder(engine)
    result = delist(engine, "BTCUSDT")
    assert result.canceled == [] and events.kinds() == ["symbol_status"]
    assert result.first_seq == result.last_seq == events.events[0].seq
