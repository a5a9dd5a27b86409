"""fill_order: exactly N of one resting order trades at its price, whatever rests ahead of it."""
from __future__ import annotations

import pytest

from simulator.engine.audit import audit
from simulator.engine.rejection import Reject

from tests.engine.helpers import Recorder, a, fingerprint, free, funded, limit, make_spec, new_engine, rejects


@pytest.fixture
def env():
    engine, _ = new_engine(make_spec())
    ahead = funded(engine, BTC="10")
    target = funded(engine, BTC="10")
    taker = funded(engine, USDT="100000")
    return engine, ahead, target, taker


def test_fills_exactly_the_target_and_nothing_ahead_of_it(env):
    engine, ahead, target, taker = env
    better = limit(engine, ahead, "SELL", "100", "1").order  # better price, would match first
    same_level_first = limit(engine, ahead, "SELL", "101", "1").order  # earlier in the target's queue
    order = limit(engine, target, "SELL", "101", "2").order
    recorder = Recorder(engine)
    result = engine.fill_order(order.order_id, a("0.5"), taker)
    (trade,) = result.trades
    assert (trade.price, trade.qty, trade.seller) == (a("101"), a("0.5"), order)
    assert order.status == "PARTIALLY_FILLED" and order.executed == a("0.5")
    assert better.executed == 0 and same_level_first.executed == 0
    assert result.order.status == "FILLED" and result.order.account_id == taker
    assert free(engine, taker, "BTC") == a("0.5") - trade.buyer_fee
    kinds = [event.kind for event in recorder.events]
    assert kinds[:3] == ["order", "trade", "order"] and kinds[-1] == "depth"
    assert engine.depth("BTCUSDT", 5)[2] == [(a("100"), a("1")), (a("101"), a("2.5"))]
    assert audit(engine) == []


def test_fill_order_refusals_change_nothing(env):
    engine, ahead, target, taker = env
    order = limit(engine, target, "SELL", "101", "1").order
    poor = funded(engine, USDT="1")
    before = fingerprint(engine)
    rejects(Reject.UNKNOWN_ORDER, engine.fill_order, 999, a("0.1"), taker)
    rejects(Reject.LOT_SIZE, engine.fill_order, order.order_id, a("2"), taker)  # more than it has left
    rejects(Reject.LOT_SIZE, engine.fill_order, order.order_id, 0, taker)
    rejects(Reject.INVALID_ORDER, engine.fill_order, order.order_id, a("0.1"), target)  # its own account
    rejects(Reject.INSUFFICIENT_BALANCE, engine.fill_order, order.order_id, a("0.5"), poor)
    engine.set_symbol_status("BTCUSDT", "HALT")
    rejects(Reject.MARKET_CLOSED, engine.fill_order, order.order_id, a("0.1"), taker)
    engine.set_symbol_status("BTCUSDT", "TRADING")
    assert fingerprint(engine) == before
    engine.cancel_order(target, "BTCUSDT", order_id=order.order_id)
    rejects(Reject.UNKNOWN_ORDER, engine.fill_order, order.order_id, a("0.1"), taker)
