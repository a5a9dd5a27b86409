"""Self-trade prevention: what happens when a taker meets a resting order of its own account."""
from __future__ import annotations

import pytest

from simulator.engine.events import Prevention
from simulator.engine.rejection import Reject

from tests.engine.helpers import (Recorder, a, fingerprint, free, funded, limit, locked, make_spec, new_engine,
                                  rejects)


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


# --- what a prevented match records (STP visibility) ------------------------------------------------------
def _prevention_updates(recorder):
    return [(e.order.order_id, e.status, e.prevention) for e in recorder.of("order")
            if e.exec_type == "TRADE_PREVENTION"]


def test_expire_maker_numbers_each_prevented_match_and_names_the_taker(env):
    engine, me, first, mine, behind = env
    recorder = Recorder(engine)
    result = limit(engine, me, "BUY", "101", "3", stp="EXPIRE_MAKER")
    taker = result.order
    [(order_id, status, prevention)] = _prevention_updates(recorder)
    assert (order_id, status) == (mine.order_id, "EXPIRED_IN_MATCH")
    # the first prevented match of the symbol is 0 (as in Binance's STP FAQ); the taker had 2 left by then
    assert prevention == Prevention(match_id=0, counter_order_id=taker.order_id, counter_symbol="BTCUSDT",
                                    last_qty=a("1"), qty=a("1"), price=a("100"), quote_qty=a("100"))
    assert mine.prevented_match_id == 0 and mine.prevented_qty == a("1")
    assert taker.prevented_match_id == -1 and taker.prevented_qty == 0  # EXPIRE_MAKER leaves the taker alone
    assert engine.next_prevented_match_id == {"BTCUSDT": 1}


def test_expire_taker_records_the_takers_remaining_quantity_and_the_maker(env):
    engine, me, first, mine, behind = env
    recorder = Recorder(engine)
    taker = limit(engine, me, "BUY", "101", "3", stp="EXPIRE_TAKER").order
    [(order_id, _, prevention)] = _prevention_updates(recorder)
    assert order_id == taker.order_id
    # it bought 1 from the stranger first: 2 remained, of which 1 would have traded with its own ask at 100
    assert prevention == Prevention(0, mine.order_id, "BTCUSDT", a("2"), a("1"), a("100"), a("100"))
    assert taker.prevented_qty == a("2") and taker.prevented_match_id == 0
    assert mine.prevented_match_id == -1 and mine.prevented_qty == 0


def test_expire_both_shares_one_prevented_match(env):
    engine, me, first, mine, behind = env
    engine.place_order(me, "BTCUSDT", "BUY", "MARKET", qty=a("1.5"), stp="EXPIRE_MAKER")  # match 0: `mine`
    assert mine.prevented_match_id == 0 and behind.remaining == a("0.5")
    other = limit(engine, me, "SELL", "100.5", "2").order
    recorder = Recorder(engine)
    taker = limit(engine, me, "BUY", "101", "3", stp="EXPIRE_BOTH").order
    updates = _prevention_updates(recorder)
    assert [order_id for order_id, _, _ in updates] == [other.order_id, taker.order_id]
    maker_side, taker_side = updates[0][2], updates[1][2]
    # one prevented match (1), seen from each side: 2 of the taker's 3 would have traded at the maker's price
    assert maker_side == Prevention(1, taker.order_id, "BTCUSDT", a("2"), a("2"), a("100.5"), a("201"))
    assert taker_side == Prevention(1, other.order_id, "BTCUSDT", a("3"), a("2"), a("100.5"), a("201"))
    assert other.prevented_match_id == taker.prevented_match_id == 1
    assert (other.prevented_qty, taker.prevented_qty) == (a("2"), a("3"))
    assert engine.next_prevented_match_id["BTCUSDT"] == 2


def test_prevented_match_ids_are_per_symbol():
    engine, _ = new_engine(make_spec(), make_spec("ETHUSDT", "ETH", "USDT"))
    me = funded(engine, USDT="10000", BTC="10", ETH="10")
    for symbol in ("BTCUSDT", "ETHUSDT", "BTCUSDT"):
        limit(engine, me, "SELL", "100", "1", symbol=symbol)
        limit(engine, me, "BUY", "100", "1", symbol=symbol, stp="EXPIRE_TAKER")
    assert engine.next_prevented_match_id == {"BTCUSDT": 2, "ETHUSDT": 1}
