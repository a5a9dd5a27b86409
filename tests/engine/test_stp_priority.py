"""Self-trade prevention keeps price-time priority: expiring one's own order never skips anyone else's.

EXPIRE_MAKER removes the taker's own resting order and goes on with the *next order at the same price*, then
the deeper levels; the prevented order's level is reported like any other depth change, on its own side.
"""
from __future__ import annotations

from simulator.engine.audit import audit

from tests.engine.helpers import Recorder, a, free, funded, limit, locked, new_engine


def test_expire_maker_goes_on_with_another_accounts_order_at_the_same_price():
    engine, _ = new_engine()
    me = funded(engine, USDT="10000", BTC="10")
    stranger = funded(engine, BTC="10")
    mine = limit(engine, me, "SELL", "100", "1").order  # first in the queue at 100
    theirs = limit(engine, stranger, "SELL", "100", "1").order  # behind it, same price
    deeper = limit(engine, stranger, "SELL", "101", "1").order
    result = limit(engine, me, "BUY", "101", "1.5", stp="EXPIRE_MAKER")
    assert [(t.seller, t.price, t.qty) for t in result.trades] == [(theirs, a("100"), a("1")),
                                                                   (deeper, a("101"), a("0.5"))]
    assert mine.status == "EXPIRED_IN_MATCH" and theirs.status == "FILLED"
    assert result.order.status == "FILLED" and result.order.cum_quote == a("150.5")
    assert engine.depth("BTCUSDT", 5)[2] == [(a("101"), a("0.5"))]
    assert audit(engine) == []


def test_expire_maker_skips_each_own_order_within_a_level():
    engine, _ = new_engine()
    me = funded(engine, USDT="10000")
    stranger = funded(engine, USDT="10000")
    mine = [limit(engine, me, "BUY", "99", "1").order for _ in range(2)]
    theirs = limit(engine, stranger, "BUY", "99", "1").order
    mine.append(limit(engine, me, "BUY", "99", "1").order)
    lower = funded(engine, USDT="1000")
    limit(engine, lower, "BUY", "98", "1")  # a lower bid of another account
    recorder = Recorder(engine)
    engine.deposit(me, "BTC", a("2"))
    result = engine.place_order(me, "BTCUSDT", "SELL", "MARKET", qty=a("2"), stp="EXPIRE_MAKER")
    assert [(t.buyer.account_id, t.price) for t in result.trades] == [(stranger, a("99")), (lower, a("98"))]
    assert [o.status for o in mine] == ["EXPIRED_IN_MATCH"] * 3 and theirs.status == "FILLED"
    # the prevented bids' level is reported on the bid side, gone
    (depth,) = recorder.of("depth")
    assert depth.bids == [(a("99"), 0), (a("98"), 0)] and depth.asks == []
    prevented = [e for e in recorder.of("order") if e.exec_type == "TRADE_PREVENTION"]
    assert [e.order for e in prevented] == mine
    assert all(e.cancel_client_id == "" and e.trade is None for e in prevented)
    assert [e.seq for e in recorder.events] == list(range(recorder.events[0].seq, engine.seq + 1))
    assert audit(engine) == []


def test_expire_taker_stops_at_its_own_order_even_behind_another_accounts_at_the_same_price():
    engine, _ = new_engine()
    me = funded(engine, USDT="10000", BTC="10")
    stranger = funded(engine, BTC="10")
    theirs = limit(engine, stranger, "SELL", "100", "1").order
    mine = limit(engine, me, "SELL", "100", "1").order
    also_theirs = limit(engine, stranger, "SELL", "100", "1").order
    result = limit(engine, me, "BUY", "100", "3", stp="EXPIRE_TAKER")
    assert [t.seller for t in result.trades] == [theirs]
    assert result.order.status == "EXPIRED_IN_MATCH" and result.order.executed == a("1")
    assert mine.status == "NEW" and also_theirs.status == "NEW"


def test_a_market_buy_under_expire_both_pays_for_what_it_took_before_its_own_order():
    engine, _ = new_engine()
    me = funded(engine, USDT="1000", BTC="10")
    stranger = funded(engine, BTC="10")
    limit(engine, stranger, "SELL", "100", "1")
    mine = limit(engine, me, "SELL", "101", "1").order
    result = engine.place_order(me, "BTCUSDT", "BUY", "MARKET", qty=a("3"), stp="EXPIRE_BOTH")
    assert result.order.status == mine.status == "EXPIRED_IN_MATCH"
    assert result.order.cum_quote == a("100") and free(engine, me, "USDT") == a("900")
    assert locked(engine, me, "USDT") == 0 and audit(engine) == []
