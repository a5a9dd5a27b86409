"""Rules of modifying a resting USD-M LIMIT order (PUT /fapi/v1/order, reference §7): found by order id or client
order id, checked as a new order would be (filters, percent price, MIN_NOTIONAL unless reduce-only, post-only,
reduce-only, margin at the account's leverage), then re-entered as a taker with a new place in the queue."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.engine.perp.rejection import PerpReject
from simulator.engine.rejection import Reject
from tests.engine.helpers import Recorder, a, rejects
from tests.engine.perp_helpers import assert_clean, limit, market, new_futures, position, trader

SYMBOL = "BTCUSDT"


@pytest.fixture
def venue():
    engine, clock = new_futures()
    return engine, clock, trader(engine, "10000000"), trader(engine)


def modify(engine, account, order, qty, price, side=None, **ids):
    ids = ids or dict(order_id=order.order_id)
    return engine.modify_order(account, SYMBOL, side or order.side, a(qty), a(price), **ids)


def test_an_order_is_found_by_its_client_order_id(venue):
    engine, _, _, me = venue
    order = limit(engine, me, "BUY", "49000", "1", client_id="mine").order
    assert modify(engine, me, order, "1", "48000", client_id="mine").order is order
    assert order.price == a("48000")


def test_only_a_working_open_order_can_be_modified(venue):
    engine, _, _, me = venue
    stop = engine.place_order(me, SYMBOL, "BUY", "STOP", qty=a("1"), price=a("51000"), stop_price=a("51000"),
                              tif="GTC").order
    rejects(Reject.UNKNOWN_ORDER, modify, engine, me, stop, "1", "51000")
    order = limit(engine, me, "BUY", "49000", "1").order
    engine.cancel_order(me, SYMBOL, order_id=order.order_id)
    rejects(Reject.UNKNOWN_ORDER, modify, engine, me, order, "1", "48000")


@pytest.mark.parametrize("qty, price", [(Decimal(10**8), a("48000")), (a("1"), Decimal(a("48000")))])
def test_a_new_quantity_or_price_that_is_not_whole_atoms_is_refused(venue, qty, price):
    engine, _, _, me = venue
    order = limit(engine, me, "BUY", "49000", "1").order
    rejects(Reject.INVALID_AMEND, engine.modify_order, me, SYMBOL, "BUY", qty, price, order_id=order.order_id)


def test_the_new_quantity_must_exceed_what_already_filled_and_the_rest_is_margined(venue):
    engine, _, liquidity, me = venue
    order = limit(engine, me, "BUY", "49000", "1").order
    market(engine, liquidity, "SELL", "0.4")
    rejects(Reject.INVALID_AMEND, modify, engine, me, order, "0.4", "49000")
    modify(engine, me, order, "2", "48000")
    # 1.6 left to fill at 48,000 / leverage 20
    assert order.remaining == a("1.6") and order.locked == a("3840")
    assert engine.accounts[me].locked("USDT") == a("3840")
    assert_clean(engine)


def test_the_margin_is_held_at_the_accounts_leverage(venue):
    engine, _, _, me = venue
    engine.set_leverage(me, SYMBOL, 10)
    order = limit(engine, me, "BUY", "49000", "1").order
    modify(engine, me, order, "1", "48000")
    assert order.locked == a("4800")


def test_percent_price_bounds_the_new_price_on_the_orders_side(venue):
    engine, _, _, me = venue
    buy = limit(engine, me, "BUY", "49000", "0.1").order
    sell = limit(engine, me, "SELL", "51000", "0.1").order
    rejects(Reject.PERCENT_PRICE_BY_SIDE, modify, engine, me, buy, "0.1", "52500.1")
    rejects(Reject.PERCENT_PRICE_BY_SIDE, modify, engine, me, sell, "0.1", "47499.9")
    modify(engine, me, buy, "0.1", "47000")  # a buy far under the mark is within its band
    assert buy.price == a("47000")


def test_min_notional_applies_to_a_modified_order_unless_reduce_only(venue):
    engine, _, liquidity, me = venue
    order = limit(engine, me, "BUY", "49000", "0.1").order
    rejects(Reject.NOTIONAL, modify, engine, me, order, "0.001", "4000")  # 4 USDT < 5
    limit(engine, liquidity, "BUY", "50000", "1")
    market(engine, me, "SELL", "1")
    cover = limit(engine, me, "BUY", "49000", "0.5", reduce_only=True).order
    modify(engine, me, cover, "0.001", "4000")
    assert (cover.qty, cover.price, cover.locked) == (a("0.001"), a("4000"), 0)


def test_a_reduce_only_order_may_be_modified_up_to_the_position_and_no_further(venue):
    engine, _, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")
    take = limit(engine, me, "SELL", "60000", "0.5", reduce_only=True).order
    modify(engine, me, take, "1", "59000")
    assert (take.qty, take.price, take.locked) == (a("1"), a("59000"), 0)
    rejects(PerpReject.REDUCE_ONLY_REJECTED, modify, engine, me, take, "1.001", "59000")


@pytest.mark.parametrize("side, price, new_price, others", [
    ("BUY", "49000", "49500", [("BUY", "49400"), ("SELL", "50000")]),
    ("SELL", "51000", "50500", [("SELL", "50600"), ("BUY", "50000")])])
def test_a_post_only_order_moved_short_of_the_other_side_keeps_resting(venue, side, price, new_price, others):
    engine, _, liquidity, me = venue
    for other_side, other_price in others:
        limit(engine, liquidity, other_side, other_price, "1")
    order = limit(engine, me, side, price, "0.1", tif="GTX").order
    modify(engine, me, order, "0.1", new_price)
    assert order.price == a(new_price) and order.status == "NEW" and order.locked == a(new_price) // 10 // 20
    levels = engine.depth(SYMBOL, 5)[1 if side == "BUY" else 2]
    assert levels[0] == (a(new_price), a("0.1"))


def test_a_sell_moved_onto_the_best_bid_trades_at_it(venue):
    engine, _, liquidity, me = venue
    limit(engine, liquidity, "BUY", "50000", "1")
    order = limit(engine, me, "SELL", "51000", "1").order
    result = modify(engine, me, order, "1", "50000")
    assert order.status == "FILLED" and position(engine, me).amt == -a("1")
    assert [t.price for t in result.trades] == [a("50000")]


def test_a_modified_order_takes_only_up_to_its_new_price_and_rests_the_rest(venue):
    engine, _, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "0.5")
    limit(engine, liquidity, "SELL", "50100", "0.5")
    order = limit(engine, me, "BUY", "49000", "1").order
    modify(engine, me, order, "1", "50000")
    assert order.executed == a("0.5") and order.status == "PARTIALLY_FILLED"
    assert engine.depth(SYMBOL, 5)[1:] == ([(a("50000"), a("0.5"))], [(a("50100"), a("0.5"))])
    assert order.locked == a("1250")  # the 0.5 left at 50,000 / 20
    assert_clean(engine)


def test_a_modified_order_applies_its_self_trade_prevention(venue):
    engine, _, liquidity, me = venue
    own = limit(engine, me, "SELL", "50000", "0.1").order
    limit(engine, liquidity, "SELL", "50050", "1")
    order = limit(engine, me, "BUY", "49000", "1", stp="EXPIRE_MAKER").order
    modify(engine, me, order, "1", "50100")
    assert own.status == "EXPIRED_IN_MATCH"
    assert order.status == "FILLED" and order.cum_quote == a("50050")


def test_a_modified_sell_moves_its_level_in_the_asks(venue):
    engine, _, _, me = venue
    order = limit(engine, me, "SELL", "51000", "1").order
    modify(engine, me, order, "2", "52000")
    assert engine.depth(SYMBOL, 5)[1:] == ([], [(a("52000"), a("2"))])


def test_a_modification_is_one_operation_with_an_amendment_update_and_both_levels_reported(venue):
    engine, clock, _, me = venue
    order = limit(engine, me, "BUY", "49000", "1").order
    clock.advance(2_000)
    events = Recorder(engine)
    before = engine.seq
    result = modify(engine, me, order, "2", "48000")
    now = clock.now_ms()
    update = events.of("order")[0]
    assert (update.seq, update.time, update.exec_type) == (before + 1, now, "AMENDMENT")
    assert order.update_time == now
    assert (result.first_seq, result.last_seq) == (before + 1, engine.seq)
    depth = events.of("depth")[0]
    assert depth.asks == [] and sorted(depth.bids) == [(a("48000"), a("2")), (a("49000"), 0)]


def test_a_trade_made_by_a_modification_fires_stops_and_reports_the_account(venue):
    engine, clock, liquidity, me = venue
    other = trader(engine)
    limit(engine, liquidity, "SELL", "50000", "1")
    stop = engine.place_order(other, SYMBOL, "BUY", "STOP_MARKET", qty=a("0.1"), stop_price=a("50000")).order
    limit(engine, liquidity, "SELL", "50200", "1")
    order = limit(engine, me, "BUY", "49000", "0.5").order
    clock.advance(1_000)
    events = Recorder(engine)
    modify(engine, me, order, "0.5", "50000")  # trades at 50,000: the stop on the last price fires
    assert stop.status == "FILLED" and stop.cum_quote == a("5000")
    mine = [u for u in events.of("account_update") if u.account_id == me]
    assert len(mine) == 1 and mine[0].time == clock.now_ms()
    assert_clean(engine)


def test_a_modification_counts_the_position_against_the_bracket_cap(venue):
    engine, _, liquidity, me = venue
    engine.set_leverage(me, SYMBOL, 125)  # maxNotionalValue 50,000
    limit(engine, liquidity, "SELL", "50000", "0.5")
    market(engine, me, "BUY", "0.5")  # 25,000 at the mark
    order = limit(engine, me, "BUY", "49000", "0.4").order
    rejects(PerpReject.MAX_POSITION_AT_LEVERAGE, modify, engine, me, order, "0.6", "49000")
    modify(engine, me, order, "0.5", "49000")  # 25,000 + 24,500 fits
    assert order.qty == a("0.5")


def test_a_modified_order_under_expire_taker_expires_at_its_own_resting_order(venue):
    engine, _, liquidity, me = venue
    own = limit(engine, me, "SELL", "50000", "0.1").order
    limit(engine, liquidity, "SELL", "50050", "1")
    order = limit(engine, me, "BUY", "49000", "1", stp="EXPIRE_TAKER").order
    modify(engine, me, order, "1", "50100")
    assert own.status == "NEW" and order.executed == 0 and not order.is_open
    assert engine.accounts[me].locked("USDT") == own.locked
