"""Rules of USD-M conditional orders (reference §7-8): which price triggers them, what they become when they fire,
how a closing one is cut to the position, the margin checked at firing, priceProtect and trailing stops."""
from __future__ import annotations

import pytest

from tests.engine.helpers import Recorder, a
from tests.engine.perp_helpers import (assert_clean, holding_one_btc, limit, market, new_futures, position,
                                       trader)

SYMBOL = "BTCUSDT"


@pytest.fixture
def long_one():
    """An account long 1 BTC at 50,000 (last price and mark 50,000) and a deep liquidity account."""
    return holding_one_btc("BUY")


@pytest.fixture
def short_one():
    return holding_one_btc("SELL")


def conditional(engine, account, side, type_, stop, qty="0", **kwargs):
    return engine.place_order(account, SYMBOL, side, type_, qty=a(qty), stop_price=a(stop), **kwargs).order


def test_a_stop_buy_fires_only_when_the_price_rises_to_it(short_one):
    engine, _, liquidity, me = short_one
    stop = conditional(engine, me, "BUY", "STOP_MARKET", "51000", "1", working_type="MARK_PRICE")
    limit(engine, liquidity, "SELL", "51500", "2")
    engine.set_index(SYMBOL, a("45000"))  # the price falls away from a stop buy: it keeps waiting
    assert stop.status == "NEW" and stop.working_time < 0
    engine.set_index(SYMBOL, a("51000"))
    assert stop.status == "FILLED" and position(engine, me).amt == 0


def test_a_take_profit_sell_fires_only_when_the_price_rises_to_it(long_one):
    engine, _, liquidity, me = long_one
    tp = conditional(engine, me, "SELL", "TAKE_PROFIT_MARKET", "52000", "1", working_type="MARK_PRICE",
                     reduce_only=True)
    limit(engine, liquidity, "BUY", "49000", "2")
    engine.set_index(SYMBOL, a("47600"))
    assert tp.status == "NEW"
    engine.set_index(SYMBOL, a("52000"))
    assert tp.status == "FILLED" and position(engine, me).amt == 0


def test_firing_reports_new_then_trades_in_one_unbroken_sequence(long_one):
    engine, clock, liquidity, me = long_one
    stop = conditional(engine, me, "SELL", "STOP_MARKET", "49000", close_position=True, working_type="MARK_PRICE")
    limit(engine, liquidity, "BUY", "48900", "2")
    clock.advance(5_000)
    events = Recorder(engine)
    before = engine.seq
    engine.set_index(SYMBOL, a("48950"))
    now = clock.now_ms()
    seqs = [event.seq for event in events.events]
    assert seqs == list(range(before + 1, before + 1 + len(seqs)))
    updates = [u for u in events.of("order") if u.order is stop]
    assert updates[0].exec_type == "NEW" and updates[0].time == now
    assert stop.working_time == now and stop.update_time == now
    assert stop.status == "FILLED" and stop.executed == a("1") and stop.cum_quote == a("48900")


def test_a_reduce_only_stop_larger_than_the_position_is_cut_to_it_when_it_fires(long_one):
    engine, _, liquidity, me = long_one
    stop = conditional(engine, me, "SELL", "STOP_MARKET", "49000", "1", reduce_only=True,
                       working_type="MARK_PRICE")
    limit(engine, liquidity, "BUY", "49500", "0.4")
    market(engine, me, "SELL", "0.4")  # long 0.6 now: the waiting stop (not working yet) is not expired
    assert stop.status == "NEW" and position(engine, me).amt == a("0.6")
    limit(engine, liquidity, "BUY", "48900", "2")
    engine.set_index(SYMBOL, a("48950"))
    assert stop.qty == a("0.6") and stop.status == "FILLED" and position(engine, me).amt == 0
    assert_clean(engine)


def test_a_reduce_only_stop_whose_position_flipped_expires_instead_of_growing_it(long_one):
    engine, _, liquidity, me = long_one
    stop = conditional(engine, me, "SELL", "STOP_MARKET", "49000", "1", reduce_only=True,
                       working_type="MARK_PRICE")
    limit(engine, liquidity, "BUY", "49500", "2")
    market(engine, me, "SELL", "2")  # short 1: a sell could only grow it
    limit(engine, liquidity, "BUY", "48900", "2")
    engine.set_index(SYMBOL, a("48950"))
    assert (stop.status, stop.expiry_reason, stop.executed) == ("EXPIRED", "REDUCE_ONLY", 0)
    assert position(engine, me).amt == -a("1")
    assert_clean(engine)


def test_a_close_position_stop_with_nothing_left_to_close_expires_unfilled(long_one):
    engine, clock, liquidity, me = long_one
    stop = conditional(engine, me, "SELL", "STOP_MARKET", "49000", close_position=True, working_type="MARK_PRICE")
    limit(engine, liquidity, "BUY", "49500", "1")
    market(engine, me, "SELL", "1")  # flat: the stop still waits
    limit(engine, liquidity, "BUY", "48900", "1")
    clock.advance(1_000)
    events = Recorder(engine)
    engine.set_index(SYMBOL, a("48950"))
    # shown with a quantity of one atom, nothing filled, expired as a reduce-only race
    assert (stop.status, stop.expiry_reason, stop.qty, stop.executed) == ("EXPIRED", "REDUCE_ONLY", 1, 0)
    assert stop.update_time == clock.now_ms() and stop.order_id not in engine.books[SYMBOL].stops
    assert [(u.exec_type, u.time) for u in events.of("order")] == [("EXPIRED", clock.now_ms())]
    assert stop.order_id not in engine.accounts[me].open_orders
    assert engine.depth(SYMBOL, 5)[1] == [(a("48900"), a("1"))]
    assert_clean(engine)


def test_a_post_only_stop_limit_that_would_take_when_it_fires_expires(long_one):
    engine, clock, liquidity, me = long_one
    stop = engine.place_order(me, SYMBOL, "SELL", "STOP", qty=a("1"), price=a("48000"), stop_price=a("49000"),
                              tif="GTX", reduce_only=True, working_type="MARK_PRICE").order
    limit(engine, liquidity, "BUY", "48000", "1")  # a bid exactly at its price: it would take
    engine.set_index(SYMBOL, a("48950"))
    assert (stop.status, stop.expiry_reason, stop.executed) == ("EXPIRED", "GTX_WOULD_TAKE", 0)
    assert stop.update_time == clock.now_ms() and position(engine, me).amt == a("1")
    assert engine.depth(SYMBOL, 5)[1] == [(a("48000"), a("1"))]
    assert_clean(engine)


def test_a_stop_limit_sell_trades_against_a_bid_exactly_at_its_price(long_one):
    engine, _, liquidity, me = long_one
    stop = engine.place_order(me, SYMBOL, "SELL", "STOP", qty=a("1"), price=a("48000"), stop_price=a("49000"),
                              tif="GTC", reduce_only=True, working_type="MARK_PRICE").order
    limit(engine, liquidity, "BUY", "48000", "1")
    engine.set_index(SYMBOL, a("48950"))
    assert stop.status == "FILLED" and position(engine, me).amt == 0


def test_a_stop_limit_buy_trades_against_an_ask_exactly_at_its_price(short_one):
    engine, _, liquidity, me = short_one
    stop = engine.place_order(me, SYMBOL, "BUY", "STOP", qty=a("1"), price=a("52000"), stop_price=a("51000"),
                              tif="GTC", reduce_only=True, working_type="MARK_PRICE").order
    limit(engine, liquidity, "SELL", "52000", "1")
    limit(engine, liquidity, "BUY", "40000", "1")  # a bid below: not what a buy trades against
    engine.set_index(SYMBOL, a("51000"))
    assert stop.status == "FILLED" and position(engine, me).amt == 0


def test_a_stop_limit_that_does_not_cross_rests_holding_margin_at_its_own_price_and_leverage():
    engine, clock = new_futures()
    liquidity, me = trader(engine, "10000000"), trader(engine, "5100")
    engine.set_leverage(me, SYMBOL, 10)
    limit(engine, liquidity, "SELL", "52000", "1")
    limit(engine, liquidity, "BUY", "50000", "1")  # a bid below its price must not make a buy cross
    stop = engine.place_order(me, SYMBOL, "BUY", "STOP", qty=a("1"), price=a("51000"), stop_price=a("50500"),
                              tif="GTC", working_type="MARK_PRICE").order
    assert engine.accounts[me].locked("USDT") == 0  # a conditional order holds nothing while it waits
    clock.advance(1_000)
    engine.set_index(SYMBOL, a("50600"))
    # margin at firing: 1 x 51,000 (its limit price, not the 50,500 stop) / leverage 10 = 5,100, all it has
    assert stop.status == "NEW" and stop.executed == 0
    assert stop.working_time == stop.update_time == clock.now_ms()
    assert stop.locked == a("5100") and engine.accounts[me].locked("USDT") == a("5100")
    assert engine.depth(SYMBOL, 5)[1:] == ([(a("51000"), a("1")), (a("50000"), a("1"))], [(a("52000"), a("1"))])
    assert_clean(engine)


def test_a_stop_limit_that_cannot_afford_its_margin_when_it_fires_expires():
    engine, clock = new_futures()
    liquidity, me = trader(engine, "10000000"), trader(engine, "2549.99999999")
    limit(engine, liquidity, "SELL", "52000", "1")
    stop = engine.place_order(me, SYMBOL, "BUY", "STOP", qty=a("1"), price=a("51000"), stop_price=a("50500"),
                              tif="GTC", working_type="MARK_PRICE").order
    clock.advance(1_000)
    engine.set_index(SYMBOL, a("50600"))
    assert (stop.status, stop.expiry_reason, stop.locked) == ("EXPIRED", "MARGIN_INSUFFICIENT", 0)
    assert stop.update_time == clock.now_ms()
    assert engine.accounts[me].locked("USDT") == 0 and engine.depth(SYMBOL, 5)[1] == []
    assert_clean(engine)


@pytest.mark.parametrize("usdt, fires", [("2600", True), ("2599.99999999", False)])
def test_a_stop_market_margin_is_judged_at_the_average_price_it_would_take(usdt, fires):
    engine, _ = new_futures()
    liquidity, me = trader(engine, "10000000"), trader(engine, usdt)
    stop = conditional(engine, me, "BUY", "STOP_MARKET", "50500", "1", working_type="MARK_PRICE")
    limit(engine, liquidity, "SELL", "52000", "0.5")
    engine.set_index(SYMBOL, a("50600"))
    # the book holds 0.5 at 52,000: the whole quantity is judged at that average, 52,000 / 20 = 2,600
    if fires:
        assert stop.executed == a("0.5") and position(engine, me).amt == a("0.5")
    else:
        assert (stop.status, stop.expiry_reason, stop.executed) == ("EXPIRED", "MARGIN_INSUFFICIENT", 0)
        assert position(engine, me) is None
    assert_clean(engine)


def test_a_stop_market_with_no_book_is_judged_at_its_stop_price():
    engine, _ = new_futures()
    me = trader(engine, "2524.99999999")
    stop = conditional(engine, me, "BUY", "STOP_MARKET", "50500", "1", working_type="MARK_PRICE")
    engine.set_index(SYMBOL, a("50600"))  # 50,500 / 20 = 2,525 > what it has
    assert (stop.status, stop.expiry_reason) == ("EXPIRED", "MARGIN_INSUFFICIENT")


def test_conditional_orders_on_the_last_price_set_each_other_off(long_one):
    engine, _, liquidity, me = long_one
    other = trader(engine)
    first = conditional(engine, me, "SELL", "STOP_MARKET", "49900", "0.5", reduce_only=True)
    second = conditional(engine, me, "SELL", "STOP_MARKET", "49500", "0.5", reduce_only=True)
    limit(engine, liquidity, "BUY", "49900", "0.1")
    limit(engine, liquidity, "BUY", "49400", "2")
    market(engine, other, "SELL", "0.1")  # last 49,900: the first fires, trades at 49,400, which fires the second
    assert first.status == second.status == "FILLED"
    assert position(engine, me).amt == 0
    assert_clean(engine)


def test_conditional_orders_firing_together_go_in_order_of_their_ids(long_one):
    engine, _, liquidity, me = long_one
    first = conditional(engine, me, "SELL", "STOP_MARKET", "49000", "0.5", reduce_only=True,
                        working_type="MARK_PRICE")
    second = conditional(engine, me, "SELL", "STOP_MARKET", "49500", "0.5", reduce_only=True,
                         working_type="MARK_PRICE")
    limit(engine, liquidity, "BUY", "48000", "0.5")
    limit(engine, liquidity, "BUY", "47000", "0.5")
    engine.set_index(SYMBOL, a("48500"))
    assert (first.cum_quote, second.cum_quote) == (a("24000"), a("23500"))


def test_price_protect_holds_only_its_own_order(long_one):
    engine, _, liquidity, me = long_one
    protected = conditional(engine, me, "SELL", "STOP_MARKET", "47000", "0.5", reduce_only=True,
                            working_type="MARK_PRICE", price_protect=True)
    plain = conditional(engine, me, "SELL", "STOP_MARKET", "47000", "0.5", reduce_only=True,
                        working_type="MARK_PRICE")
    limit(engine, liquidity, "BUY", "46000", "2")
    engine.set_index(SYMBOL, a("46900"))  # 6.2 % from the last price: the protected one is held, not the other
    assert plain.status == "FILLED" and plain.cum_quote == a("23000")
    # the plain stop's fill made 46,000 the last price, within 5 % of the mark: the protected one followed
    assert protected.status == "FILLED"


def test_price_protect_lets_a_trigger_through_at_exactly_the_protect_threshold(long_one):
    engine, _, liquidity, me = long_one  # last 50,000
    protected = conditional(engine, me, "SELL", "STOP_MARKET", "47600", "0.5", reduce_only=True,
                            working_type="MARK_PRICE", price_protect=True)
    limit(engine, liquidity, "BUY", "47000", "2")
    engine.set_index(SYMBOL, a("47500"))  # exactly 5 % under the last price: not beyond triggerProtect
    assert protected.status == "FILLED"


def test_a_buy_trailing_stop_follows_the_lowest_price_and_fires_on_the_rebound(short_one):
    engine, _, liquidity, me = short_one
    trail = engine.place_order(me, SYMBOL, "BUY", "TRAILING_STOP_MARKET", qty=a("1"), reduce_only=True,
                               callback_rate=10, activation_price=a("49000"), working_type="MARK_PRICE").order
    limit(engine, liquidity, "SELL", "49000", "2")
    engine.set_index(SYMBOL, a("49100"))
    assert trail.extreme == 0  # above its activation price: a buy trail is not active yet
    engine.set_index(SYMBOL, a("49000"))  # exactly at the activation price: active
    assert trail.extreme == a("49000")
    engine.set_index(SYMBOL, a("48000"))
    engine.set_index(SYMBOL, a("48479.9"))  # just under 1 % above the low of 48,000
    assert trail.status == "NEW" and trail.extreme == a("48000")
    engine.set_index(SYMBOL, a("48480"))  # exactly 1 % up from the low
    assert trail.status == "FILLED" and position(engine, me).amt == 0
    assert_clean(engine)


def test_a_sell_trailing_stop_activates_at_exactly_its_activation_price(long_one):
    engine, _, liquidity, me = long_one
    trail = engine.place_order(me, SYMBOL, "SELL", "TRAILING_STOP_MARKET", qty=a("1"), reduce_only=True,
                               callback_rate=5, activation_price=a("51000"), working_type="MARK_PRICE").order
    engine.set_index(SYMBOL, a("51000"))
    assert trail.extreme == a("51000") and trail.status == "NEW"


def test_a_sell_trailing_stop_without_activation_price_trails_at_once_and_fires_on_the_callback(long_one):
    engine, _, liquidity, me = long_one
    trail = engine.place_order(me, SYMBOL, "SELL", "TRAILING_STOP_MARKET", qty=a("1"), reduce_only=True,
                               callback_rate=20, working_type="MARK_PRICE").order
    limit(engine, liquidity, "BUY", "45000", "2")
    engine.set_index(SYMBOL, a("50000"))
    engine.set_index(SYMBOL, a("49000.1"))  # 1.9998 % back from 50,000: not 2 % yet
    assert trail.status == "NEW" and trail.extreme == a("50000")
    engine.set_index(SYMBOL, a("49000"))
    assert trail.status == "FILLED"


@pytest.mark.parametrize("side, stop, price, book_side, book_price", [
    ("BUY", "50500", "51000", "SELL", "51100"), ("SELL", "49500", "49000", "BUY", "48900")])
def test_a_post_only_stop_limit_that_does_not_cross_when_it_fires_rests(side, stop, price, book_side, book_price):
    engine, _ = new_futures()
    liquidity, me = trader(engine, "10000000"), trader(engine)
    limit(engine, liquidity, book_side, book_price, "1")
    order = engine.place_order(me, SYMBOL, side, "STOP", qty=a("0.1"), price=a(price), stop_price=a(stop),
                               tif="GTX", working_type="MARK_PRICE").order
    engine.set_index(SYMBOL, a(stop))
    assert order.status == "NEW" and order.working_time >= 0 and order.executed == 0
    assert order.locked == a(price) // 10 // 20  # 0.1 x its price / leverage 20


def test_a_fired_stop_limit_takes_only_down_to_its_price_and_rests_the_rest(long_one):
    engine, _, liquidity, me = long_one
    stop = engine.place_order(me, SYMBOL, "SELL", "STOP", qty=a("1"), price=a("48000"), stop_price=a("49000"),
                              tif="GTC", reduce_only=True, working_type="MARK_PRICE").order
    limit(engine, liquidity, "BUY", "48500", "0.5")
    limit(engine, liquidity, "BUY", "47000", "1")
    engine.set_index(SYMBOL, a("48950"))
    assert stop.executed == a("0.5") and stop.status == "PARTIALLY_FILLED"
    assert engine.depth(SYMBOL, 5)[1:] == ([(a("47000"), a("1"))], [(a("48000"), a("0.5"))])


def test_a_fired_stop_applies_its_self_trade_prevention(long_one):
    engine, _, liquidity, me = long_one
    own = limit(engine, me, "BUY", "48900", "0.1").order  # its own bid, first in line
    limit(engine, liquidity, "BUY", "48800", "2")
    stop = conditional(engine, me, "SELL", "STOP_MARKET", "49000", "1", reduce_only=True,
                       working_type="MARK_PRICE", stp="EXPIRE_MAKER")
    engine.set_index(SYMBOL, a("48950"))
    assert own.status == "EXPIRED_IN_MATCH" and own.executed == 0
    assert stop.status == "FILLED" and stop.cum_quote == a("48800")


def test_a_fired_stop_market_with_an_empty_book_expires_unfilled(long_one):
    engine, _, _, me = long_one
    stop = conditional(engine, me, "SELL", "STOP_MARKET", "49000", "1", reduce_only=True,
                       working_type="MARK_PRICE")
    engine.set_index(SYMBOL, a("48950"))
    assert (stop.status, stop.executed) == ("EXPIRED", 0) and stop.expiry_reason != "REDUCE_ONLY"
    assert engine.depth(SYMBOL, 5)[1:] == ([], [])


def test_a_fired_ioc_stop_limit_that_does_not_cross_expires(long_one):
    engine, _, liquidity, me = long_one
    stop = engine.place_order(me, SYMBOL, "SELL", "STOP", qty=a("1"), price=a("48000"), stop_price=a("49000"),
                              tif="IOC", reduce_only=True, working_type="MARK_PRICE").order
    limit(engine, liquidity, "BUY", "47000", "1")
    engine.set_index(SYMBOL, a("48950"))
    assert (stop.status, stop.executed) == ("EXPIRED", 0)
    assert engine.depth(SYMBOL, 5)[2] == []


def test_a_fired_stop_under_expire_taker_expires_itself_against_its_own_order(long_one):
    engine, _, liquidity, me = long_one
    own = limit(engine, me, "BUY", "48900", "0.1").order
    limit(engine, liquidity, "BUY", "48800", "2")
    stop = conditional(engine, me, "SELL", "STOP_MARKET", "49000", "1", reduce_only=True,
                       working_type="MARK_PRICE", stp="EXPIRE_TAKER")
    engine.set_index(SYMBOL, a("48950"))
    assert own.status == "NEW" and stop.executed == 0 and not stop.is_open
