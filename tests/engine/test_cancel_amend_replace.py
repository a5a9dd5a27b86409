"""Cancel (by id, by client id, all on a symbol), amend-down keeping priority, client ids (cancel-replace:
test_cancel_replace.py)."""
from __future__ import annotations

import pytest

from simulator.engine.rejection import Reject

from tests.engine.helpers import (Recorder, a, fingerprint, funded, limit, locked, make_spec, new_engine,
                                  rejects)


@pytest.fixture
def env():
    engine, _ = new_engine(make_spec(), make_spec(symbol="ETHUSDT", base="ETH"))
    me = funded(engine, USDT="10000", BTC="10", ETH="10")
    other = funded(engine, USDT="10000", BTC="10")
    return engine, me, other


def test_cancel_by_order_id(env):
    engine, me, _ = env
    order = limit(engine, me, "BUY", "99", "1").order
    recorder = Recorder(engine)
    canceled = engine.cancel_order(me, "BTCUSDT", order_id=order.order_id, cancel_client_id="my-cancel")
    assert canceled.order is order and order.status == "CANCELED" and not order.is_open
    assert canceled.cancel_client_id == "my-cancel"
    assert engine.depth("BTCUSDT", 5)[1] == [] and engine.open_orders(me) == []
    (update,) = recorder.of("order")
    assert (update.exec_type, update.status, update.cancel_client_id) == ("CANCELED", "CANCELED", "my-cancel")


def test_cancel_by_client_order_id(env):
    engine, me, _ = env
    order = limit(engine, me, "BUY", "99", "1", client_id="abc").order
    assert engine.find_order(me, "BTCUSDT", client_id="abc") is order
    engine.cancel_order(me, "BTCUSDT", client_id="abc")
    assert order.status == "CANCELED" and locked(engine, me, "USDT") == 0
    # a closed order can still be found by its client id, but not canceled again
    assert engine.find_order(me, "BTCUSDT", client_id="abc") is order
    rejects(Reject.UNKNOWN_ORDER, engine.cancel_order, me, "BTCUSDT", client_id="abc")


def test_cancel_unknown_or_foreign_or_finished_orders_is_rejected(env):
    engine, me, other = env
    mine = limit(engine, me, "BUY", "99", "1").order
    theirs = limit(engine, other, "SELL", "101", "1").order
    filled_buy = limit(engine, me, "BUY", "101", "1").order
    assert filled_buy.status == "FILLED"
    recorder = Recorder(engine)
    before = fingerprint(engine)
    rejects(Reject.UNKNOWN_ORDER, engine.cancel_order, me, "BTCUSDT", order_id=10_000)
    rejects(Reject.UNKNOWN_ORDER, engine.cancel_order, me, "BTCUSDT", order_id=theirs.order_id)
    rejects(Reject.UNKNOWN_ORDER, engine.cancel_order, me, "ETHUSDT", order_id=mine.order_id)
    rejects(Reject.UNKNOWN_ORDER, engine.cancel_order, me, "BTCUSDT", order_id=filled_buy.order_id)
    rejects(Reject.UNKNOWN_ORDER, engine.cancel_order, me, "BTCUSDT", client_id="never-used")
    rejects(Reject.UNKNOWN_ORDER, engine.cancel_order, me, "BTCUSDT")
    rejects(Reject.CLIENT_ID_MISMATCH, engine.cancel_order, me, "BTCUSDT", order_id=mine.order_id,
            client_id="wrong")
    rejects(Reject.UNKNOWN_SYMBOL, engine.cancel_order, me, "DOGEUSDT", order_id=mine.order_id)
    assert fingerprint(engine) == before and recorder.events == []


def test_cancel_restrictions(env):
    engine, me, other = env
    fresh = limit(engine, me, "BUY", "99", "1").order
    partial = limit(engine, me, "BUY", "98", "2").order
    limit(engine, other, "SELL", "98", "1.5")  # fills fresh (1) and half a step into partial
    assert fresh.status == "FILLED" and partial.status == "PARTIALLY_FILLED"
    rejects(Reject.CANCEL_RESTRICTED, engine.cancel_order, me, "BTCUSDT", order_id=partial.order_id,
            restriction="ONLY_NEW")
    new = limit(engine, me, "BUY", "97", "1").order
    rejects(Reject.CANCEL_RESTRICTED, engine.cancel_order, me, "BTCUSDT", order_id=new.order_id,
            restriction="ONLY_PARTIALLY_FILLED")
    engine.cancel_order(me, "BTCUSDT", order_id=partial.order_id, restriction="ONLY_PARTIALLY_FILLED")
    engine.cancel_order(me, "BTCUSDT", order_id=new.order_id, restriction="ONLY_NEW")
    assert locked(engine, me, "USDT") == 0


def test_cancel_all_on_one_symbol(env):
    engine, me, _ = env
    btc = [limit(engine, me, "BUY", p, "1").order for p in ("97", "98")]
    btc.append(limit(engine, me, "SELL", "105", "1").order)
    btc.append(engine.place_order(me, "BTCUSDT", "SELL", "STOP_LOSS", qty=a("1"), stop_price=a("90")).order)
    eth = limit(engine, me, "BUY", "50", "1", symbol="ETHUSDT").order
    recorder = Recorder(engine)
    canceled = engine.cancel_all(me, "BTCUSDT").orders
    assert canceled == btc and all(o.status == "CANCELED" for o in btc)
    assert eth.status == "NEW" and engine.open_orders(me) == [eth]
    assert locked(engine, me, "BTC") == 0 and locked(engine, me, "USDT") == a("50")
    assert len(recorder.of("depth")) == 1  # one book update for the whole batch
    rejects(Reject.UNKNOWN_ORDER, engine.cancel_all, me, "BTCUSDT")  # nothing left to cancel


def test_client_order_ids_are_unique_among_open_orders(env):
    engine, me, other = env
    order = limit(engine, me, "BUY", "99", "1", client_id="dup").order
    before = fingerprint(engine)
    rejects(Reject.DUPLICATE_CLIENT_ORDER_ID, limit, engine, me, "BUY", "98", "1", client_id="dup")
    # even on another symbol: the id is unique among all the account's open orders
    rejects(Reject.DUPLICATE_CLIENT_ORDER_ID, limit, engine, me, "BUY", "98", "1", client_id="dup",
            symbol="ETHUSDT")
    assert fingerprint(engine) == before
    limit(engine, other, "BUY", "98", "1", client_id="dup")  # another account may use it
    engine.cancel_order(me, "BTCUSDT", order_id=order.order_id)
    again = limit(engine, me, "BUY", "98", "1", client_id="dup").order  # free again once closed
    assert engine.find_order(me, "BTCUSDT", client_id="dup") is again


def test_generated_client_ids_come_from_the_injected_rng():
    ids = []
    for _ in range(2):
        engine, _ = new_engine(seed=99)
        me = funded(engine, USDT="1000")
        ids.append([limit(engine, me, "BUY", "10", "1").order.client_id for _ in range(3)])
    assert ids[0] == ids[1] and len(set(ids[0])) == 3
    engine, _ = new_engine(seed=100)
    me = funded(engine, USDT="1000")
    assert limit(engine, me, "BUY", "10", "1").order.client_id != ids[0][0]


def test_amend_down_keeps_queue_priority_and_releases_funds(env):
    engine, me, other = env
    first = limit(engine, me, "BUY", "99", "3").order
    second = limit(engine, other, "BUY", "99", "1").order
    recorder = Recorder(engine)
    update_id = engine.depth("BTCUSDT", 5)[0]
    amended = engine.amend_order(me, "BTCUSDT", a("1.5"), order_id=first.order_id).order
    assert amended is first and first.qty == a("1.5") and first.status == "NEW"
    assert first.locked == locked(engine, me, "USDT") == a("148.5")
    assert engine.depth("BTCUSDT", 5) == (update_id + 1, [(a("99"), a("2.5"))], [])
    assert [(e.exec_type, e.qty) for e in recorder.of("order")] == [("REPLACED", a("1.5"))]
    assert recorder.of("depth")[0].bids == [(a("99"), a("2.5"))]
    # still ahead of the order that arrived after it
    seller = funded(engine, BTC="1")
    result = limit(engine, seller, "SELL", "99", "1")
    assert [t.buyer for t in result.trades] == [first]
    assert second.executed == 0


def test_amend_a_partially_filled_order(env):
    engine, me, other = env
    order = limit(engine, me, "SELL", "101", "3", client_id="s").order
    limit(engine, other, "BUY", "101", "1")
    engine.amend_order(me, "BTCUSDT", a("2"), client_id="s")
    assert order.remaining == a("1") and order.locked == locked(engine, me, "BTC") == a("1")
    assert order.status == "PARTIALLY_FILLED"
    # down to what already filled (or below) or up is not an amend
    for new_qty in (a("1"), a("0.5"), a("2"), a("5")):
        rejects(Reject.INVALID_AMEND, engine.amend_order, me, "BTCUSDT", new_qty, order_id=order.order_id)
    rejects(Reject.LOT_SIZE, engine.amend_order, me, "BTCUSDT", a("1.0005"), order_id=order.order_id)


def test_amend_can_rename_the_order(env):
    engine, me, other = env
    order = limit(engine, me, "BUY", "99", "3", client_id="old").order
    limit(engine, me, "BUY", "98", "1", client_id="taken")
    limit(engine, other, "BUY", "97", "1", client_id="elsewhere")
    # another open order of the account already has the id: nothing changes
    rejects(Reject.DUPLICATE_CLIENT_ORDER_ID, engine.amend_order, me, "BTCUSDT", a("2"),
            order_id=order.order_id, new_client_id="taken")
    assert (order.qty, order.client_id) == (a("3"), "old")
    # another account's id, or the order's own, is fine
    engine.amend_order(me, "BTCUSDT", a("2"), client_id="old", new_client_id="old")
    assert order.client_id == "old"
    engine.amend_order(me, "BTCUSDT", a("1.5"), client_id="old", new_client_id="elsewhere")
    assert order.client_id == "elsewhere" and order.qty == a("1.5")
    assert engine.find_order(me, "BTCUSDT", client_id="elsewhere") is order
    rejects(Reject.UNKNOWN_ORDER, engine.find_order, me, "BTCUSDT", client_id="old")
    # "" draws a random id; None (the default) keeps it
    engine.amend_order(me, "BTCUSDT", a("1"), order_id=order.order_id, new_client_id="")
    drawn = order.client_id
    assert drawn not in ("", "elsewhere") and engine.find_order(me, "BTCUSDT", client_id=drawn) is order
    engine.amend_order(me, "BTCUSDT", a("0.5"), order_id=order.order_id)
    assert order.client_id == drawn
    # the freed id can be used again, and a closed order's id leaves the open set
    limit(engine, me, "BUY", "96", "1", client_id="old")
    engine.cancel_order(me, "BTCUSDT", order_id=order.order_id)
    assert drawn not in engine.account(me).client_ids


def test_amend_a_pending_stop_order(env):
    engine, me, _ = env
    order = engine.place_order(me, "BTCUSDT", "BUY", "STOP_LOSS", qty=a("2"), stop_price=a("150")).order
    update_id = engine.depth("BTCUSDT", 5)[0]
    engine.amend_order(me, "BTCUSDT", a("1"), order_id=order.order_id)
    assert order.locked == locked(engine, me, "USDT") == a("150")
    assert engine.depth("BTCUSDT", 5)[0] == update_id


def test_amend_or_cancel_of_a_closed_order_is_rejected(env):
    engine, me, _ = env
    order = limit(engine, me, "BUY", "99", "2").order
    engine.cancel_order(me, "BTCUSDT", order_id=order.order_id)
    before = fingerprint(engine)
    rejects(Reject.UNKNOWN_ORDER, engine.amend_order, me, "BTCUSDT", a("1"), order_id=order.order_id)
    rejects(Reject.UNKNOWN_ORDER, engine.cancel_order, me, "BTCUSDT", order_id=order.order_id)
    assert fingerprint(engine) == before
