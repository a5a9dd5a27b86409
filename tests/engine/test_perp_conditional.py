"""Conditional orders on the mark or the last price, closePosition, and reduce-only that never grows a position."""
from __future__ import annotations

import pytest

from simulator.engine.perp.rejection import PerpReject
from simulator.engine.rejection import Reject
from tests.engine.helpers import a, rejects
from tests.engine.perp_helpers import (assert_clean, holding_one_btc, limit, market, new_futures, position,
                                       trader)


@pytest.fixture
def long_one():
    engine, _, liquidity, trader_id = holding_one_btc("BUY")
    return engine, liquidity, trader_id


def test_stop_market_on_the_mark_closes_the_position(long_one):
    engine, liquidity, me = long_one
    stop = engine.place_order(me, "BTCUSDT", "SELL", "STOP_MARKET", stop_price=a("49000"), close_position=True,
                              working_type="MARK_PRICE").order
    assert stop.status == "NEW" and stop.order_id in engine.books["BTCUSDT"].stops
    limit(engine, liquidity, "BUY", "48900", "2")
    engine.set_index("BTCUSDT", a("49100"))
    assert stop.status == "NEW" and position(engine, me).amt == a("1")
    engine.set_index("BTCUSDT", a("48950"))
    assert stop.status == "FILLED" and stop.qty == a("1")
    assert position(engine, me).amt == 0
    assert_clean(engine)


def test_take_profit_on_the_last_price(long_one):
    engine, liquidity, me = long_one
    tp = engine.place_order(me, "BTCUSDT", "SELL", "TAKE_PROFIT", qty=a("1"), price=a("51000"),
                            stop_price=a("51000"), tif="GTC", reduce_only=True).order
    limit(engine, liquidity, "SELL", "51000", "0.1")
    other = trader(engine)
    market(engine, other, "BUY", "0.1")  # last price 51,000: the take-profit becomes a limit sell
    assert tp.working_time >= 0 and tp.status == "NEW"
    assert engine.books["BTCUSDT"].asks.best_price() == a("51000")
    assert_clean(engine)


def test_conditional_that_would_trigger_at_once_is_refused(long_one):
    engine, _, me = long_one
    rejects(Reject.WOULD_TRIGGER_IMMEDIATELY, engine.place_order, me, "BTCUSDT", "SELL", "STOP_MARKET",
            stop_price=a("50500"), close_position=True, working_type="MARK_PRICE")


def test_reduce_only_cannot_open_or_exceed(long_one):
    engine, _, me = long_one
    rejects(PerpReject.REDUCE_ONLY_REJECTED, limit, engine, me, "BUY", "40000", "0.1", reduce_only=True)
    rejects(PerpReject.REDUCE_ONLY_REJECTED, limit, engine, me, "SELL", "60000", "1.1", reduce_only=True)
    assert limit(engine, me, "SELL", "60000", "1", reduce_only=True).order.status == "NEW"


def test_reduce_only_order_expires_when_the_position_shrinks_below_it(long_one):
    engine, liquidity, me = long_one
    reducing = limit(engine, me, "SELL", "60000", "1", reduce_only=True).order
    limit(engine, liquidity, "BUY", "50000", "0.5")
    market(engine, me, "SELL", "0.5")
    assert reducing.status == "EXPIRED" and reducing.expiry_reason == "REDUCE_ONLY"
    assert engine.books["BTCUSDT"].asks.best_price() is None
    assert_clean(engine)


def test_close_position_without_a_position_is_refused():
    engine, _ = new_futures()
    me = trader(engine)
    rejects(PerpReject.POSITION_NOT_SUFFICIENT, engine.place_order, me, "BTCUSDT", "SELL", "STOP_MARKET",
            stop_price=a("40000"), close_position=True)


def test_trailing_stop_follows_the_best_price_and_fires_on_the_callback(long_one):
    engine, liquidity, me = long_one
    trail = engine.place_order(me, "BTCUSDT", "SELL", "TRAILING_STOP_MARKET", qty=a("1"), reduce_only=True,
                               callback_rate=10, activation_price=a("51000"), working_type="MARK_PRICE").order
    limit(engine, liquidity, "BUY", "50000", "2")
    engine.set_index("BTCUSDT", a("50900"))
    assert trail.extreme == 0  # below its activation price: not trailing yet
    engine.set_index("BTCUSDT", a("52000"))
    engine.set_index("BTCUSDT", a("51500"))  # 0.96 % back from 52,000: not 1 % yet
    assert trail.status == "NEW" and trail.extreme == a("52000")
    engine.set_index("BTCUSDT", a("51480"))  # exactly 1 % back
    assert trail.status == "FILLED" and position(engine, me).amt == 0
    assert_clean(engine)


def test_trailing_stop_parameters_are_checked(long_one):
    engine, _, me = long_one
    for rate in (0, 101):
        rejects(Reject.INVALID_ORDER, engine.place_order, me, "BTCUSDT", "SELL", "TRAILING_STOP_MARKET",
                qty=a("1"), callback_rate=rate)
    rejects(Reject.INVALID_ORDER, engine.place_order, me, "BTCUSDT", "SELL", "STOP_MARKET", qty=a("1"),
            stop_price=a("40000"), callback_rate=10)


def test_price_protect_holds_a_trigger_while_mark_and_last_diverge(long_one):
    engine, liquidity, me = long_one  # last price 50,000
    protected = engine.place_order(me, "BTCUSDT", "SELL", "STOP_MARKET", qty=a("0.5"), stop_price=a("47000"),
                                   reduce_only=True, working_type="MARK_PRICE", price_protect=True).order
    limit(engine, liquidity, "BUY", "46000", "2")
    engine.set_index("BTCUSDT", a("46900"))  # 6.2 % under the last price: beyond triggerProtect 5 %
    assert protected.status == "NEW" and protected.working_time < 0
    other = trader(engine)
    limit(engine, liquidity, "SELL", "47500", "0.1")
    market(engine, other, "BUY", "0.1")  # last 47,500: within 5 % of the mark, so the stop fires now
    assert protected.status == "FILLED"
    assert_clean(engine)
