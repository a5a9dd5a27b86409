"""Self-trade prevention: what happens when a taker meets a resting order of its own account."""
from __future__ import annotations

import pytest

from simulator.engine.rejection import Reject

from tests.engine.helpers import a, fingerprint, free, funded, limit, locked, make_spec, new_engine, rejects


@pytest.fixture
def env():
    """`me` rests an ask at 100 behind a stranger's ask at 100, with a second stranger's ask at 101."""
    engine, _ = new_engine()
    me = funded(engine, USDT="10000", BTC="10")
    stranger = funded(engine, BTC="10")
    first = limit(engine, stranger, "SELL", "100", "1").order
    mine = limit(engine, me, "SELL", "100", "1").order
    behind = limit(engine, stranger, "SELL", "101", "1").order
    return engine, me, first, mine, behind


def test_none_lets_an_account_trade_with_itself(env):
    engine, me, first, mine, behind = env
    result = limit(engine, me, "BUY", "100", "2", stp="NONE")
    assert [t.seller for t in result.trades] == [first, mine]
    assert mine.status == "FILLED" and result.order.status == "FILLED"
    self_trade = result.trades[1]
    assert self_trade.buyer.account_id == self_trade.seller.account_id == me
    assert engine.fees_collected == {"BTC": a("0.002"), "USDT": a("0.2")}


def test_expire_taker_stops_the_taker_at_its_own_order(env):
    engine, me, first, mine, behind = env
    result = limit(engine, me, "BUY", "101", "3", stp="EXPIRE_TAKER")
    taker = result.order
    assert [t.seller for t in result.trades] == [first]  # what came before its own order still traded
    assert taker.status == "EXPIRED_IN_MATCH" and taker.expiry_reason == "STP_EXPIRE_TAKER"
    assert taker.executed == a("1") and taker.locked == 0
    assert mine.status == "NEW" and behind.status == "NEW"
    assert locked(engine, me, "USDT") == 0


def test_expire_maker_removes_its_own_order_and_keeps_taking(env):
    engine, me, first, mine, behind = env
    result = limit(engine, me, "BUY", "101", "3", stp="EXPIRE_MAKER")
    assert [t.seller for t in result.trades] == [first, behind]
    assert mine.status == "EXPIRED_IN_MATCH" and mine.expiry_reason == "STP_EXPIRE_MAKER"
    assert mine.prevented_qty == a("1") and mine.locked == 0
    assert result.order.status == "PARTIALLY_FILLED" and result.order.remaining == a("1")
    # the taker rests; the prevented maker's base came back to free
    assert engine.depth("BTCUSDT", 5)[1] == [(a("101"), a("1"))]
    assert free(engine, me, "BTC") == a("10") + a("2") - a("0.002")


def test_expire_both_expires_the_maker_and_the_taker(env):
    engine, me, first, mine, behind = env
    result = limit(engine, me, "BUY", "101", "3", stp="EXPIRE_BOTH")
    assert [t.seller for t in result.trades] == [first]
    assert mine.status == "EXPIRED_IN_MATCH" and result.order.status == "EXPIRED_IN_MATCH"
    assert behind.status == "NEW"
    assert engine.depth("BTCUSDT", 5)[2] == [(a("101"), a("1"))]
    assert locked(engine, me, "USDT") == 0 and locked(engine, me, "BTC") == 0


def test_the_instruments_default_mode_applies_when_none_is_given(env):
    engine, me, first, mine, behind = env
    assert engine.instruments["BTCUSDT"].default_stp == "EXPIRE_MAKER"
    result = limit(engine, me, "BUY", "100", "2")
    assert result.order.stp == "EXPIRE_MAKER" and mine.status == "EXPIRED_IN_MATCH"


def test_own_orders_beyond_the_limit_are_not_touched(env):
    engine, me, first, mine, behind = env
    other = funded(engine, BTC="1")
    limit(engine, other, "SELL", "99", "1")
    result = limit(engine, me, "BUY", "99", "1", stp="EXPIRE_BOTH")  # fills at 99 without reaching 100
    assert result.order.status == "FILLED" and mine.status == "NEW"


def test_market_orders_apply_self_trade_prevention_too(env):
    engine, me, first, mine, behind = env
    result = engine.place_order(me, "BTCUSDT", "BUY", "MARKET", qty=a("3"), stp="EXPIRE_TAKER")
    assert result.order.status == "EXPIRED_IN_MATCH" and result.order.executed == a("1")
    assert result.order.cum_quote == a("100") and locked(engine, me, "USDT") == 0


def test_a_mode_the_symbol_does_not_allow_is_rejected():
    engine, _ = new_engine(make_spec(allowed_stp=("NONE", "EXPIRE_MAKER")))
    me = funded(engine, USDT="1000")
    before = fingerprint(engine)
    rejects(Reject.STP_MODE_NOT_ALLOWED, limit, engine, me, "BUY", "100", "1", stp="EXPIRE_BOTH")
    rejects(Reject.STP_MODE_NOT_ALLOWED, limit, engine, me, "BUY", "100", "1", stp="DECREMENT")
    assert fingerprint(engine) == before
    assert limit(engine, me, "BUY", "100", "1", stp="NONE").order.stp == "NONE"
