"""Futures orders at the engine: what a placement records and reports (its ids, its refusal event), immediate
limit orders that never rest, reduce-only orders expired by a fill, the control plane's exact fill of one resting
order (a taker IOC that needs its own margin), and the order test endpoint running every check with each of its
keywords while changing nothing."""
from __future__ import annotations

import re

import pytest

from simulator.engine.perp.rejection import PerpReject
from simulator.engine.rejection import Reject
from tests.engine.helpers import START_MS, Recorder, a, rejects
from tests.engine.perp_helpers import (assert_clean, limit, market, new_futures, perp_fingerprint, position,
                                       trader, wallet)

NOW = START_MS + 61_234


@pytest.fixture
def venue():
    engine, clock = new_futures()
    clock.set(NOW)
    return engine, clock, trader(engine, "10000000")


# --- placement -------------------------------------------------------------------------------------------------
def test_a_placed_order_keeps_its_ids_defaults_and_time(venue):
    engine, _, _ = venue
    account = trader(engine)
    first_id = engine.next_order_id
    mine = limit(engine, account, "BUY", "49000", "1", client_id="mine").order
    auto = limit(engine, account, "BUY", "48000", "1").order
    assert (mine.order_id, auto.order_id, engine.next_order_id) == (first_id, first_id + 1, first_id + 2)
    assert mine.client_id == "mine" and re.fullmatch(r"[0-9a-f]{22}", auto.client_id)
    assert (mine.stp, mine.time, mine.working_time, mine.price_protect) == ("EXPIRE_MAKER", NOW, NOW, False)
    rejects(Reject.DUPLICATE_CLIENT_ORDER_ID, limit, engine, account, "BUY", "47000", "1", client_id="mine")


def test_a_placement_reports_its_event_range(venue):
    engine, _, maker = venue
    account = trader(engine)
    limit(engine, maker, "SELL", "50000", "1")
    events = Recorder(engine)
    first = engine.seq + 1
    result = market(engine, account, "BUY", "1")
    assert (result.first_seq, result.last_seq) == (first, engine.seq) and engine.seq > first
    assert [e.seq for e in events.events] == list(range(first, engine.seq + 1))
    assert {e.time for e in events.events} == {NOW}
    assert {e.account_id for e in events.of("account_update")} == {maker, account}


def test_a_refused_placement_emits_one_rejection_event_and_raises(venue):
    engine, _, _ = venue
    account = trader(engine)
    events = Recorder(engine)
    first = engine.seq + 1
    rejects(Reject.PRICE_QTY_ZERO, engine.place_order, account, "BTCUSDT", "SELL", "LIMIT", qty=0, price=a("1"),
            tif="GTC", client_id="why")
    rejects(Reject.INVALID_ORDER, engine.place_order, account, "BTCUSDT", "BUY", "MARKET", quote_qty=a("100"))
    one, two = events.events
    assert (one.kind, one.seq, one.time, one.account_id, one.symbol, one.client_id, one.side, one.type,
            one.reason) == ("rejected", first, NOW, account, "BTCUSDT", "why", "SELL", "LIMIT",
                            Reject.PRICE_QTY_ZERO.value)
    assert (two.seq, two.client_id, two.side, two.type, two.reason) == (first + 1, "", "BUY", "MARKET",
                                                                       Reject.INVALID_ORDER.value)
    assert engine.seq == first + 1


@pytest.mark.parametrize("tif", ["IOC", "FOK"])
def test_an_immediate_limit_order_that_crosses_nothing_expires_instead_of_resting(venue, tif):
    engine, _, maker = venue
    account = trader(engine)
    limit(engine, maker, "SELL", "50000", "1")
    order = limit(engine, account, "BUY", "49000", "1", tif=tif).order
    assert order.status == "EXPIRED" and not order.is_open
    assert engine.books["BTCUSDT"].bids.best_price() is None
    assert engine.accounts[account].locked("USDT") == 0
    assert_clean(engine)


def test_a_gtc_order_that_crosses_nothing_rests(venue):
    engine, _, _ = venue
    account = trader(engine)
    order = limit(engine, account, "BUY", "49000", "1").order
    assert order.status == "NEW" and engine.books["BTCUSDT"].bids.best_price() == a("49000")
    assert engine.accounts[account].locked("USDT") == a("2450")


def test_a_fill_that_shrinks_the_position_expires_a_larger_reduce_only_order_at_that_time(venue):
    engine, clock, maker = venue
    account = trader(engine)
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, account, "BUY", "1")
    closing = limit(engine, account, "SELL", "51000", "1", reduce_only=True).order
    limit(engine, maker, "BUY", "50000", "0.5")
    clock.set(NOW + 5_000)
    market(engine, account, "SELL", "0.5")  # 0.5 left: the reduce-only order of 1 would flip it
    assert closing.status == "EXPIRED" and closing.update_time == NOW + 5_000
    assert_clean(engine)


def test_modify_finds_the_order_by_client_id(venue):
    engine, _, _ = venue
    account = trader(engine)
    order = limit(engine, account, "BUY", "49000", "1", client_id="edit-me").order
    result = engine.modify_order(account, "BTCUSDT", "BUY", a("2"), a("49500"), client_id="edit-me")
    assert result.order is order and (order.price, order.qty) == (a("49500"), a("2"))


def test_spot_style_amend_and_cancel_replace_do_not_exist_on_futures(venue):
    engine, _, _ = venue
    account = trader(engine)
    order = limit(engine, account, "BUY", "49000", "2").order
    rejects(Reject.INVALID_ORDER, engine.amend_order, account, "BTCUSDT", order.order_id, a("1"))
    rejects(Reject.INVALID_ORDER, engine.cancel_replace, account, "BTCUSDT", "BUY", "LIMIT")
    assert order.qty == a("2") and order.is_open


# --- the exact fill of one resting order -----------------------------------------------------------------------
def test_fill_order_trades_exactly_that_order_with_an_ioc_taker(venue):
    engine, clock, maker = venue
    taker = trader(engine)
    resting = limit(engine, maker, "SELL", "50000", "2").order
    limit(engine, maker, "SELL", "49900", "1")  # a better price the fill must not touch
    stop_owner = trader(engine)
    stop = engine.place_order(stop_owner, "BTCUSDT", "SELL", "STOP_MARKET", qty=a("0.1"), stop_price=a("50000"))
    clock.set(NOW + 1_000)
    events = Recorder(engine)
    first, order_id = engine.seq + 1, engine.next_order_id
    result = engine.fill_order(resting.order_id, a("0.5"), taker)
    order = result.order
    assert (order.order_id, order.account_id, order.symbol, order.side, order.type, order.tif) == (
        order_id, taker, "BTCUSDT", "BUY", "LIMIT", "IOC")
    assert (order.price, order.qty, order.executed, order.stop_price, order.stp) == (
        a("50000"), a("0.5"), a("0.5"), 0, "NONE")
    assert (order.time, order.working_time, order.position_side, order.status) == (NOW + 1_000, NOW + 1_000,
                                                                                   "BOTH", "FILLED")
    assert re.fullmatch(r"[0-9a-f]{22}", order.client_id) and order.locked == 0
    assert engine.next_order_id == order_id + 1  # the stop that fired keeps its own id
    [trade] = [t for t in result.trades if t.buyer is order]
    assert (trade.price, trade.qty, trade.seller) == (a("50000"), a("0.5"), resting)
    assert resting.remaining == a("1.5") and engine.books["BTCUSDT"].asks.best_price() == a("49900")
    assert position(engine, taker).amt == a("0.5") and position(engine, maker).amt == -a("0.5")
    assert wallet(engine, taker) == a("100000") - a("12.5")  # the taker fee, 0.05 % of 25,000
    # the last price reached the stop: it fired in the same operation
    assert stop.order.working_time == NOW + 1_000 and stop.order.update_time == NOW + 1_000
    assert (result.first_seq, result.last_seq) == (first, engine.seq)
    assert [e.seq for e in events.events] == list(range(first, engine.seq + 1))
    assert {e.time for e in events.events} == {NOW + 1_000}
    assert_clean(engine)


def test_fill_order_of_a_bid_sells_to_it(venue):
    engine, _, maker = venue
    taker = trader(engine)
    resting = limit(engine, maker, "BUY", "49000", "1").order
    order = engine.fill_order(resting.order_id, a("1"), taker).order
    assert (order.side, order.price, order.status) == ("SELL", a("49000"), "FILLED")
    assert position(engine, taker).amt == -a("1") and not resting.is_open


@pytest.mark.parametrize("maker_side, taker_side", [("SELL", "LONG"), ("BUY", "SHORT")])
def test_fill_order_in_hedge_mode_opens_the_taker_side_it_trades(venue, maker_side, taker_side):
    engine, _, maker = venue
    taker = trader(engine)
    engine.set_position_mode(taker, True)
    resting = limit(engine, maker, maker_side, "50000", "1").order
    order = engine.fill_order(resting.order_id, a("1"), taker).order
    assert order.position_side == taker_side
    assert abs(position(engine, taker, side=taker_side).amt) == a("1")
    assert_clean(engine)


def test_fill_order_needs_the_takers_initial_margin_at_the_makers_price(venue):
    engine, _, maker = venue
    resting = limit(engine, maker, "SELL", "50100", "1").order  # 2,505 of margin at 20x (2,500 at the mark)
    poor = trader(engine, "2504")
    before = perp_fingerprint(engine)
    rejects(PerpReject.MARGIN_INSUFFICIENT, engine.fill_order, resting.order_id, a("1"), poor)
    assert perp_fingerprint(engine) == before
    enough = trader(engine, "2505")
    engine.fill_order(resting.order_id, a("1"), enough)
    assert position(engine, enough).amt == a("1")


def test_fill_order_that_closes_the_takers_position_needs_no_margin(venue):
    engine, _, maker = venue
    taker = trader(engine, "3000")
    limit(engine, maker, "BUY", "50000", "1")
    market(engine, taker, "SELL", "1")  # short 1: 2,500 held, 475 available
    resting = limit(engine, maker, "SELL", "50000", "1").order
    engine.fill_order(resting.order_id, a("1"), taker)
    assert position(engine, taker).amt == 0
    assert_clean(engine)


def test_fill_order_respects_the_bracket_cap_at_the_takers_leverage(venue):
    engine, _, maker = venue
    taker = trader(engine)
    engine.set_leverage(taker, "BTCUSDT", 125)  # up to 50,000 of notional
    limit(engine, maker, "SELL", "50000", "0.9")
    market(engine, taker, "BUY", "0.9")
    resting = limit(engine, maker, "SELL", "50000", "1").order
    rejects(PerpReject.MAX_POSITION_AT_LEVERAGE, engine.fill_order, resting.order_id, a("0.2"), taker)
    engine.fill_order(resting.order_id, a("0.1"), taker)  # exactly 50,000
    assert position(engine, taker).amt == a("1")


def test_fill_order_refuses_what_is_not_one_resting_order_of_someone_else(venue):
    engine, _, maker = venue
    taker = trader(engine)
    resting = limit(engine, maker, "SELL", "50000", "1").order
    before = perp_fingerprint(engine)
    rejects(Reject.UNKNOWN_ORDER, engine.fill_order, 999_999, a("1"), taker)
    rejects(Reject.INVALID_ORDER, engine.fill_order, resting.order_id, a("1"), maker)
    rejects(Reject.LOT_SIZE, engine.fill_order, resting.order_id, a("1.001"), taker)
    rejects(Reject.UNKNOWN_ACCOUNT, engine.fill_order, resting.order_id, a("1"), 999)
    assert perp_fingerprint(engine) == before


# --- the order test endpoint -----------------------------------------------------------------------------------
@pytest.fixture
def tested(venue):
    """A book with both sides, no trade yet (no last price), a funded one-way account and a hedge-mode one."""
    engine, _, maker = venue
    limit(engine, maker, "SELL", "50000", "5", client_id="taken")
    limit(engine, maker, "BUY", "49000", "5")
    account, hedge = trader(engine), trader(engine)
    engine.set_position_mode(hedge, True)
    limit(engine, account, "BUY", "48000", "1", client_id="taken")
    return engine, account, hedge


CHECKS = [  # (keywords, the refusal place_order would give or None)
    (dict(type_="LIMIT", qty=a("1"), price=a("49500"), tif="GTC"), None),
    (dict(type_="LIMIT", price=a("49500"), tif="GTC"), Reject.PRICE_QTY_ZERO),
    (dict(type_="LIMIT", qty=a("1"), tif="GTC"), Reject.PRICE_QTY_ZERO),
    (dict(type_="LIMIT", qty=a("1"), price=a("49500")), Reject.INVALID_ORDER),
    (dict(type_="MARKET", qty=a("1")), None),
    (dict(type_="STOP_MARKET", side="SELL", qty=a("1"), stop_price=a("48000")), None),
    (dict(type_="STOP_MARKET", side="SELL", qty=a("1")), Reject.INVALID_ORDER),
    (dict(type_="LIMIT", qty=a("1"), price=a("49500"), tif="GTC", client_id="taken"),
     Reject.DUPLICATE_CLIENT_ORDER_ID),
    (dict(type_="LIMIT", qty=a("1"), price=a("49500"), tif="GTC", stp="BOGUS"), Reject.STP_MODE_NOT_ALLOWED),
    (dict(type_="MARKET", qty=a("1"), reduce_only=True), PerpReject.REDUCE_ONLY_REJECTED),
    (dict(type_="STOP_MARKET", side="SELL", stop_price=a("48000"), close_position=True),
     PerpReject.POSITION_NOT_SUFFICIENT),
    (dict(type_="STOP_MARKET", qty=a("1"), stop_price=a("49000"), working_type="MARK_PRICE"),
     Reject.WOULD_TRIGGER_IMMEDIATELY),
    (dict(type_="STOP_MARKET", qty=a("1"), stop_price=a("49000")), None),  # no last price yet
    (dict(type_="TRAILING_STOP_MARKET", side="SELL", qty=a("1"), callback_rate=10), None),
    (dict(type_="TRAILING_STOP_MARKET", side="SELL", qty=a("1")), Reject.INVALID_ORDER),
    (dict(type_="TRAILING_STOP_MARKET", side="SELL", qty=a("1"), callback_rate=10,
          activation_price=a("50000.05")), Reject.PRICE_FILTER),
    (dict(type_="TRAILING_STOP_MARKET", side="SELL", qty=a("1"), callback_rate=10,
          activation_price=a("50000.1")), None),
    (dict(type_="HOLD", qty=a("1")), Reject.INVALID_ORDER),
    (dict(type_="MARKET", side="HOLD", qty=a("1")), Reject.INVALID_ORDER),
    (dict(type_="MARKET", symbol="ETHUSDT", qty=a("1")), Reject.UNKNOWN_SYMBOL),
    (dict(type_="MARKET", account=999, qty=a("1")), Reject.UNKNOWN_ACCOUNT),
]


@pytest.mark.parametrize("keywords, refusal", CHECKS)
def test_order_test_runs_every_placement_check_and_changes_nothing(tested, keywords, refusal):
    engine, account, _ = tested
    keywords = dict(keywords)
    type_, side = keywords.pop("type_"), keywords.pop("side", "BUY")
    account, symbol = keywords.pop("account", account), keywords.pop("symbol", "BTCUSDT")
    before, seq = perp_fingerprint(engine), engine.seq
    if refusal is None:
        assert engine.test_order(account, symbol, side, type_, **keywords) is None
    else:
        rejects(refusal, engine.test_order, account, symbol, side, type_, **keywords)
    assert perp_fingerprint(engine) == before and engine.seq == seq
    if refusal is None:  # and the same order is placed
        engine.place_order(account, symbol, side, type_, **keywords)
    else:
        rejects(refusal, engine.place_order, account, symbol, side, type_, **keywords)


def test_order_test_takes_the_hedge_mode_position_side(tested):
    engine, _, hedge = tested
    engine.test_order(hedge, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("49500"), tif="GTC",
                      position_side="LONG")
    rejects(PerpReject.POSITION_SIDE_MISMATCH, engine.test_order, hedge, "BTCUSDT", "BUY", "LIMIT", qty=a("1"),
            price=a("49500"), tif="GTC")
