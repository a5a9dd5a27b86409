"""Cancel-replace: the new order's filters first, then the cancel, then the new order (Binance's order of checks).

STOP_ON_FAILURE places nothing when the cancel fails, ALLOW_FAILURE places anyway; a successful cancel stands
when the new order fails; checks the cancel may change (balance, client id, open-order count) wait for the
placement itself.
"""
from __future__ import annotations

import pytest

from simulator.engine.rejection import Reject

from tests.engine.helpers import Recorder, a, fingerprint, free, funded, limit, locked, make_spec, new_engine, rejects


@pytest.fixture
def env():
    engine, _ = new_engine(make_spec(max_num_orders=3))
    me = funded(engine, USDT="10000", BTC="10")
    other = funded(engine, USDT="10000", BTC="10")
    return engine, me, other


def replace(engine, account, cancel_order_id=None, price="98", qty="2", **kwargs):
    """A cancel-replace whose new order is a GTC LIMIT BUY (price and qty as decimal strings)."""
    new = dict(side="BUY", type_="LIMIT", qty=a(qty), price=a(price), tif="GTC")
    new.update({k: kwargs.pop(k) for k in list(kwargs) if k in ("side", "type_", "tif", "client_id", "stp")})
    return engine.cancel_replace(account, "BTCUSDT", cancel_order_id=cancel_order_id, **new, **kwargs)


def test_cancels_then_places(env):
    engine, me, _ = env
    old = limit(engine, me, "BUY", "99", "1", client_id="q").order
    recorder = Recorder(engine)
    result = replace(engine, me, old.order_id, client_id="q", cancel_new_client_id="cxl")
    assert result.cancel.order is old and old.status == "CANCELED" and result.cancel_reject is None
    assert result.cancel.cancel_client_id == "cxl"
    new = result.placed.order
    assert new.status == "NEW" and new.client_id == "q" and result.place_reject is None
    assert locked(engine, me, "USDT") == a("196")
    assert engine.depth("BTCUSDT", 5)[1] == [(a("98"), a("2"))]
    assert [(e.kind, getattr(e, "exec_type", None)) for e in recorder.events][:2] == [
        ("order", "CANCELED"), ("balance", None)]
    assert [e.seq for e in recorder.events] == list(range(result.first_seq, result.last_seq + 1))
    assert result.cancel.last_seq + 1 == result.placed.first_seq


@pytest.mark.parametrize("new, reason", [
    (dict(price="98.001"), Reject.PRICE_FILTER),
    (dict(qty="1.0005"), Reject.LOT_SIZE),
    (dict(qty="0.001", price="1"), Reject.NOTIONAL),
    (dict(qty="0"), Reject.PRICE_QTY_ZERO),
])
def test_a_new_order_failing_its_filters_cancels_nothing(env, new, reason):
    engine, me, _ = env
    old = limit(engine, me, "BUY", "99", "1").order
    recorder = Recorder(engine)
    before = fingerprint(engine)
    asked = []
    rejects(reason, replace, engine, me, old.order_id, before_cancel=lambda: asked.append(1) or True, **new)
    assert old.is_open and fingerprint(engine) == before and recorder.events == [] and asked == []


def test_filters_come_first_even_when_the_account_would_refuse_the_new_order_now(env):
    engine, me, _ = env
    orders = [limit(engine, me, "BUY", p, "1", client_id=f"c{p}").order for p in ("90", "91", "92")]  # the max
    before = fingerprint(engine)
    # the open-order count and the client id are checked before the filters, and the cancel would lift both
    rejects(Reject.LOT_SIZE, replace, engine, me, orders[0].order_id, qty="1.0005")
    rejects(Reject.PRICE_FILTER, replace, engine, me, orders[0].order_id, price="93.001", client_id="c90")
    assert fingerprint(engine) == before


def test_the_new_order_may_use_what_the_cancel_frees(env):
    engine, me, _ = env
    poor = funded(engine, USDT="100")
    old = limit(engine, poor, "BUY", "99", "1", client_id="same").order  # 1 USDT left free
    # the new order needs 98 USDT and the client id the old one holds: both free once the old one is gone
    result = replace(engine, poor, old.order_id, price="98", qty="1", client_id="same")
    assert result.placed.order.client_id == "same" and locked(engine, poor, "USDT") == a("98")
    # the open-order count too (max_num_orders=3)
    orders = [limit(engine, me, "BUY", p, "1").order for p in ("90", "91", "92")]
    result = replace(engine, me, orders[0].order_id, price="93", qty="1")
    assert result.placed.order.status == "NEW" and len(engine.open_orders(me)) == 3


def test_stop_on_failure_places_nothing_when_the_cancel_fails(env):
    engine, me, _ = env
    recorder = Recorder(engine)
    before = fingerprint(engine)
    result = replace(engine, me, 12345)
    assert result.cancel is None and result.cancel_reject.reason is Reject.UNKNOWN_ORDER
    assert result.placed is None and result.place_reject is None
    assert fingerprint(engine) == before and recorder.events == []
    assert result.last_seq == result.first_seq - 1


def test_allow_failure_places_even_when_the_cancel_fails(env):
    engine, me, _ = env
    result = replace(engine, me, 12345, mode="ALLOW_FAILURE")
    assert result.cancel_reject.reason is Reject.UNKNOWN_ORDER and result.placed.order.status == "NEW"
    # and both halves may fail
    result = replace(engine, me, 12345, mode="ALLOW_FAILURE", qty="1000")
    assert result.cancel_reject.reason is Reject.UNKNOWN_ORDER
    assert result.place_reject.reason is Reject.INSUFFICIENT_BALANCE


def test_the_cancel_stands_when_the_new_order_is_refused(env):
    engine, me, other = env
    old = limit(engine, me, "BUY", "99", "1").order
    limit(engine, other, "SELL", "100", "1")
    recorder = Recorder(engine)
    result = replace(engine, me, old.order_id, type_="LIMIT_MAKER", tif=None, price="100", qty="1")
    assert result.cancel.order is old and old.status == "CANCELED"
    assert result.placed is None and result.place_reject.reason is Reject.WOULD_TAKE
    assert locked(engine, me, "USDT") == 0 and free(engine, me, "USDT") == a("10000")
    assert recorder.events[-1].kind == "rejected" and recorder.events[-1].seq == result.last_seq


def test_the_cancel_half_finds_by_client_order_id_and_checks_both_ids(env):
    engine, me, _ = env
    old = limit(engine, me, "BUY", "99", "1", client_id="mine").order
    wrong = engine.cancel_replace(me, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("98"), tif="GTC",
                                  cancel_order_id=old.order_id, cancel_client_id="other")
    assert wrong.cancel_reject.reason is Reject.CLIENT_ID_MISMATCH and old.is_open and wrong.placed is None
    result = engine.cancel_replace(me, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("98"), tif="GTC",
                                   cancel_client_id="mine")
    assert result.cancel.order is old and result.placed.order.price == a("98")


@pytest.mark.parametrize("mode", ["STOP_ON_FAILURE", "ALLOW_FAILURE"])
def test_cancel_restrictions_apply_to_the_cancel_half(env, mode):
    engine, me, other = env
    partial = limit(engine, me, "BUY", "99", "2").order
    limit(engine, other, "SELL", "99", "1")
    fresh = limit(engine, me, "BUY", "97", "1").order
    result = replace(engine, me, partial.order_id, restriction="ONLY_NEW", mode=mode, price="90", qty="1")
    assert result.cancel_reject.reason is Reject.CANCEL_RESTRICTED and partial.is_open
    assert (result.placed is not None) == (mode == "ALLOW_FAILURE")
    result = replace(engine, me, fresh.order_id, restriction="ONLY_PARTIALLY_FILLED", mode=mode, price="91",
                     qty="1")
    assert result.cancel_reject.reason is Reject.CANCEL_RESTRICTED and fresh.is_open
    assert replace(engine, me, fresh.order_id, restriction="ONLY_NEW", price="92", qty="1").cancel.order is fresh
    result = replace(engine, me, partial.order_id, restriction="ONLY_PARTIALLY_FILLED", price="93", qty="1")
    assert result.cancel.order is partial and result.placed is not None


def test_before_cancel_may_refuse_the_new_order_and_the_cancel_still_runs(env):
    engine, me, _ = env
    old = limit(engine, me, "BUY", "99", "1").order
    result = replace(engine, me, old.order_id, before_cancel=lambda: False)
    assert result.cancel.order is old and result.placed is None and result.place_reject is None
    assert engine.open_orders(me) == []


def test_unknown_modes_and_restrictions_are_refused_before_anything(env):
    engine, me, _ = env
    old = limit(engine, me, "BUY", "99", "1").order
    rejects(Reject.INVALID_ORDER, replace, engine, me, old.order_id, mode="SOMETIMES")
    rejects(Reject.INVALID_ORDER, replace, engine, me, old.order_id, restriction="ONLY_OLD")
    rejects(Reject.INVALID_ORDER, engine.cancel_order, me, "BTCUSDT", old.order_id, restriction="ONLY_OLD")
    assert old.is_open
