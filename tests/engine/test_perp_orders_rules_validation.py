"""Rules of USD-M order placement (reference §7): each malformed parameter refused with its own code, the filters
(PRICE_FILTER, LOT_SIZE, MIN_NOTIONAL unless reduce-only, PERCENT_PRICE around the mark), position side against
the account's mode, GTX / FOK / MARKET against the book, -2022 reduce-only, -2027 the bracket cap and -2019 the
initial margin of the part that opens exposure."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.engine.perp.rejection import PerpReject
from simulator.engine.rejection import Reject
from tests.engine.helpers import a, rejects
from tests.engine.perp_helpers import assert_clean, limit, market, new_futures, perp_spec, position, trader

SYMBOL = "BTCUSDT"


@pytest.fixture
def venue():
    engine, clock = new_futures()
    return engine, trader(engine, "10000000"), trader(engine)


def place(engine, account, side, type_, **kwargs):
    return engine.place_order(account, SYMBOL, side, type_, **kwargs)


@pytest.mark.parametrize("side, type_", [("HOLD", "LIMIT"), ("BUY", "ICEBERG")])
def test_an_unknown_side_or_type_is_an_invalid_order(venue, side, type_):
    engine, _, me = venue
    rejects(Reject.INVALID_ORDER, place, engine, me, side, type_, qty=a("1"), price=a("50000"), tif="GTC")


@pytest.mark.parametrize("field", ["qty", "price", "stop_price"])
def test_amounts_that_are_not_whole_atoms_are_an_invalid_order(venue, field):
    engine, _, me = venue
    amounts = dict(qty=a("1"), price=a("50000"), stop_price=a("51000"))
    amounts[field] = Decimal(amounts[field])
    rejects(Reject.INVALID_ORDER, place, engine, me, "BUY", "STOP", tif="GTC", **amounts)


@pytest.mark.parametrize("extra", [dict(position_side="MIDDLE"), dict(working_type="INDEX_PRICE")])
def test_an_unknown_position_side_or_working_type_is_an_invalid_order(venue, extra):
    engine, _, me = venue
    rejects(Reject.INVALID_ORDER, place, engine, me, "BUY", "LIMIT", qty=a("1"), price=a("50000"), tif="GTC",
            **extra)


def test_a_price_on_an_order_type_without_one_is_an_invalid_order(venue):
    engine, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "1")
    rejects(Reject.INVALID_ORDER, place, engine, me, "BUY", "MARKET", qty=a("1"), price=a("50000"))


def test_a_zero_price_is_refused_as_zero_and_a_one_atom_price_by_the_price_filter(venue):
    engine, _, me = venue
    rejects(Reject.PRICE_QTY_ZERO, place, engine, me, "BUY", "LIMIT", qty=a("1"), price=0, tif="GTC")
    rejects(Reject.PRICE_FILTER, place, engine, me, "BUY", "LIMIT", qty=a("1"), price=1, tif="GTC")


def test_a_stop_price_belongs_to_stop_and_take_profit_types_only(venue):
    engine, _, me = venue
    rejects(Reject.INVALID_ORDER, place, engine, me, "BUY", "LIMIT", qty=a("1"), price=a("49000"), tif="GTC",
            stop_price=a("49000"))
    rejects(Reject.INVALID_ORDER, place, engine, me, "BUY", "STOP_MARKET", qty=a("1"))
    rejects(Reject.PRICE_FILTER, place, engine, me, "BUY", "STOP_MARKET", qty=a("1"), stop_price=1)


def test_trailing_stop_activation_price_is_optional_on_the_price_grid_and_never_negative(venue):
    engine, _, me = venue
    trail = dict(qty=a("1"), callback_rate=10)
    assert place(engine, me, "BUY", "TRAILING_STOP_MARKET", **trail).order.activation_price == 0
    rejects(Reject.INVALID_ORDER, place, engine, me, "BUY", "TRAILING_STOP_MARKET", activation_price=-a("1"),
            **trail)
    rejects(Reject.PRICE_FILTER, place, engine, me, "BUY", "TRAILING_STOP_MARKET", activation_price=a("51000.05"),
            **trail)
    rejects(Reject.INVALID_ORDER, place, engine, me, "BUY", "STOP_MARKET", qty=a("1"), stop_price=a("51000"),
            activation_price=a("51000"))


def test_position_side_must_match_the_accounts_mode(venue):
    engine, _, me = venue
    order = dict(qty=a("0.1"), price=a("49000"), tif="GTC")
    rejects(PerpReject.POSITION_SIDE_MISMATCH, place, engine, me, "BUY", "LIMIT", position_side="LONG", **order)
    engine.set_position_mode(me, True)
    rejects(PerpReject.POSITION_SIDE_MISMATCH, place, engine, me, "BUY", "LIMIT", **order)
    rejects(PerpReject.REDUCE_ONLY_IN_HEDGE_MODE, place, engine, me, "SELL", "LIMIT", position_side="LONG",
            reduce_only=True, **order)


@pytest.mark.parametrize("type_, extra", [("STOP", dict(price=a("52000"), tif="GTC")),
                                          ("STOP_MARKET", dict(qty=a("1"))),
                                          ("STOP_MARKET", dict(reduce_only=True))])
def test_close_position_goes_with_a_market_stop_without_quantity_or_reduce_only(venue, type_, extra):
    engine, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")
    rejects(Reject.INVALID_ORDER, place, engine, me, "SELL", type_, stop_price=a("49000"), close_position=True,
            **extra)


def test_close_position_needs_a_position_its_side_would_close_and_holds_no_margin(venue):
    engine, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")
    rejects(PerpReject.POSITION_NOT_SUFFICIENT, place, engine, me, "BUY", "STOP_MARKET", stop_price=a("52000"),
            close_position=True)
    stop = place(engine, me, "SELL", "STOP_MARKET", stop_price=a("49000"), close_position=True).order
    assert stop.locked == 0 and engine.accounts[me].locked("USDT") == 0


def test_a_zero_quantity_is_refused_as_zero_and_a_one_atom_quantity_by_the_lot_size(venue):
    engine, _, me = venue
    rejects(Reject.PRICE_QTY_ZERO, place, engine, me, "BUY", "LIMIT", qty=0, price=a("49000"), tif="GTC")
    rejects(Reject.LOT_SIZE, place, engine, me, "BUY", "LIMIT", qty=1, price=a("49000"), tif="GTC")


def test_time_in_force_is_required_by_priced_types_and_refused_by_the_others(venue):
    engine, liquidity, me = venue
    rejects(Reject.INVALID_ORDER, place, engine, me, "BUY", "LIMIT", qty=a("1"), price=a("49000"))
    limit(engine, liquidity, "SELL", "50000", "1")
    rejects(Reject.INVALID_ORDER, place, engine, me, "BUY", "MARKET", qty=a("1"), tif="IOC")
    stop = place(engine, me, "BUY", "STOP_MARKET", qty=a("1"), stop_price=a("51000")).order
    assert stop.tif == "GTC"


def test_a_client_order_id_in_use_is_refused(venue):
    engine, _, me = venue
    limit(engine, me, "BUY", "49000", "0.1", client_id="mine")
    rejects(Reject.DUPLICATE_CLIENT_ORDER_ID, limit, engine, me, "BUY", "48000", "0.1", client_id="mine")


def test_the_open_order_cap_counts_the_symbols_orders():
    engine, _ = new_futures(perp_spec(max_num_orders=2))
    me = trader(engine)
    limit(engine, me, "BUY", "49000", "0.1")
    limit(engine, me, "BUY", "48000", "0.1")
    rejects(Reject.MAX_NUM_ORDERS, limit, engine, me, "BUY", "47000", "0.1")


def test_percent_price_bounds_limit_orders_around_the_mark_reduce_only_or_not(venue):
    engine, liquidity, me = venue
    rejects(Reject.PERCENT_PRICE_BY_SIDE, limit, engine, me, "BUY", "52500.1", "0.1")
    assert limit(engine, me, "BUY", "52500", "0.1", tif="GTX").order.status == "NEW"
    rejects(Reject.PERCENT_PRICE_BY_SIDE, limit, engine, me, "SELL", "47499.9", "0.1")
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")
    rejects(Reject.PERCENT_PRICE_BY_SIDE, limit, engine, me, "SELL", "47499.9", "0.1", reduce_only=True)


def test_without_a_mark_no_percent_price_band_applies():
    engine, _ = new_futures(index=None)
    me = trader(engine)
    assert limit(engine, me, "BUY", "90000", "0.01").order.status == "NEW"


def test_min_notional_applies_to_opening_orders_at_price_stop_or_mark_not_to_reduce_only():
    engine, _ = new_futures(perp_spec(min_notional=Decimal("100")))
    liquidity, me = trader(engine, "10000000"), trader(engine)
    rejects(Reject.NOTIONAL, place, engine, me, "SELL", "STOP_MARKET", qty=a("0.002"), stop_price=a("40000"))
    limit(engine, liquidity, "SELL", "50000", "1")
    rejects(Reject.NOTIONAL, market, engine, me, "BUY", "0.001")  # 0.001 x the 50,000 mark = 50
    market(engine, me, "BUY", "0.003")
    limit(engine, liquidity, "BUY", "49000", "1")
    assert market(engine, me, "SELL", "0.001", reduce_only=True).order.status == "FILLED"
    stop = place(engine, me, "SELL", "STOP_MARKET", qty=a("0.001"), stop_price=a("40000"), reduce_only=True)
    assert stop.order.status == "NEW"


def test_would_trigger_immediately_is_judged_on_the_orders_own_working_type(venue):
    engine, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")  # last 50,000
    engine.set_index(SYMBOL, a("48000"))
    rejects(Reject.WOULD_TRIGGER_IMMEDIATELY, place, engine, me, "SELL", "STOP_MARKET", qty=a("1"),
            stop_price=a("49000"), reduce_only=True, working_type="MARK_PRICE")
    stop = place(engine, me, "SELL", "STOP_MARKET", qty=a("1"), stop_price=a("49000"), reduce_only=True)
    assert stop.order.status == "NEW"


def test_a_market_order_against_an_empty_side_is_refused(venue):
    engine, liquidity, me = venue
    limit(engine, liquidity, "BUY", "49000", "1")
    rejects(Reject.NO_LIQUIDITY, market, engine, me, "BUY", "1")


def test_a_market_order_under_expire_maker_removes_its_own_resting_order(venue):
    engine, liquidity, me = venue
    own = limit(engine, me, "SELL", "50000", "1").order
    limit(engine, liquidity, "SELL", "50100", "1")
    result = market(engine, me, "BUY", "1", stp="EXPIRE_MAKER")
    assert own.status == "EXPIRED_IN_MATCH" and result.order.cum_quote == a("50100")
    assert position(engine, me).amt == a("1")


def test_a_crossing_limit_takes_only_up_to_its_price_and_rests_the_rest(venue):
    engine, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "0.5")
    limit(engine, liquidity, "SELL", "50100", "0.5")
    order = limit(engine, me, "BUY", "50000", "1").order
    assert order.executed == a("0.5") and order.status == "PARTIALLY_FILLED"
    assert engine.depth(SYMBOL, 5)[1:] == ([(a("50000"), a("0.5"))], [(a("50100"), a("0.5"))])


def test_a_sell_limit_under_the_best_bid_takes_it(venue):
    engine, liquidity, me = venue
    limit(engine, liquidity, "BUY", "50000", "1")
    assert limit(engine, me, "SELL", "49000", "1").order.status == "FILLED"
    limit(engine, liquidity, "BUY", "50000", "1")
    rejects(Reject.WOULD_TAKE, limit, engine, me, "SELL", "49000", "1", tif="GTX")


def test_a_limit_ioc_that_does_not_cross_expires_and_a_gtc_rests(venue):
    engine, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "1")
    assert limit(engine, me, "BUY", "49000", "1", tif="IOC").order.status == "EXPIRED"
    assert limit(engine, me, "BUY", "49000", "1").order.status == "NEW"
    assert engine.accounts[me].locked("USDT") == a("2450")


def test_fok_fills_whole_or_is_refused_also_when_self_trade_prevention_would_cut_it(venue):
    engine, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "1")
    assert limit(engine, me, "BUY", "50000", "1", tif="FOK").order.status == "FILLED"
    limit(engine, me, "SELL", "50000", "0.5")  # its own order first in the queue
    limit(engine, liquidity, "SELL", "50000", "1")
    rejects(PerpReject.FOK_REJECTED, limit, engine, me, "BUY", "50000", "1.501", tif="FOK")
    rejects(PerpReject.FOK_REJECTED, limit, engine, me, "BUY", "50000", "1", tif="FOK", stp="EXPIRE_TAKER")


def test_a_conditional_order_holds_no_margin_until_it_fires():
    engine, _ = new_futures()
    me = trader(engine, "10")
    stop = place(engine, me, "BUY", "STOP_MARKET", qty=a("1"), stop_price=a("51000")).order
    assert stop.status == "NEW" and stop.locked == 0


@pytest.mark.parametrize("side", ["BUY", "SELL"])
def test_an_opening_limit_needs_exactly_its_initial_margin_available(side):
    engine, _ = new_futures()
    me, poor = trader(engine, "2500"), trader(engine, "2499.99999999")
    assert limit(engine, me, side, "50000", "1").order.locked == a("2500")  # 50,000 / leverage 20
    rejects(PerpReject.MARGIN_INSUFFICIENT, limit, engine, poor, side, "50000", "1")


def test_a_market_order_needs_the_margin_of_the_prices_it_would_take():
    engine, _ = new_futures()
    liquidity, me = trader(engine, "10000000"), trader(engine, "2599.99999999")
    limit(engine, liquidity, "SELL", "52000", "1")  # the mark is 50,000; the book asks 52,000
    rejects(PerpReject.MARGIN_INSUFFICIENT, market, engine, me, "BUY", "1")


def test_reduce_only_may_close_at_most_the_position(venue):
    engine, liquidity, me = venue
    rejects(PerpReject.REDUCE_ONLY_REJECTED, limit, engine, me, "SELL", "50000", "0.001", reduce_only=True)
    limit(engine, liquidity, "BUY", "50000", "1")
    market(engine, me, "SELL", "1")
    assert limit(engine, me, "BUY", "49000", "1", reduce_only=True).order.locked == 0


def test_the_bracket_cap_at_the_accounts_leverage_allows_exactly_the_cap(venue):
    engine, _, me = venue
    engine.set_leverage(me, SYMBOL, 125)  # maxNotionalValue 50,000 at 125x
    rejects(PerpReject.MAX_POSITION_AT_LEVERAGE, limit, engine, me, "BUY", "50000.1", "1")
    assert limit(engine, me, "BUY", "50000", "1").order.status == "NEW"


def test_hedge_mode_sides_close_up_to_their_size_and_open_with_margin(venue):
    engine, liquidity, me = venue
    engine.set_position_mode(me, True)
    rejects(PerpReject.REDUCE_ONLY_REJECTED, limit, engine, me, "SELL", "51000", "0.1", position_side="LONG")
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1", position_side="LONG")
    assert limit(engine, me, "SELL", "51000", "1", position_side="LONG").order.locked == 0
    rejects(PerpReject.REDUCE_ONLY_REJECTED, limit, engine, me, "SELL", "51000", "1.001", position_side="LONG")
    assert limit(engine, me, "BUY", "40000", "0.5", position_side="LONG").order.locked == a("1000")
    assert limit(engine, me, "SELL", "51000", "0.5", position_side="SHORT").order.locked == a("1275")
    assert_clean(engine)


def test_a_stop_limit_without_price_or_a_stop_without_quantity_is_refused_as_zero(venue):
    engine, _, me = venue
    rejects(Reject.PRICE_QTY_ZERO, place, engine, me, "BUY", "STOP", qty=a("1"), price=0, stop_price=a("51000"),
            tif="GTC")
    rejects(Reject.PRICE_QTY_ZERO, place, engine, me, "BUY", "STOP_MARKET", qty=0, stop_price=a("51000"))


def test_a_market_order_whose_first_match_is_its_own_under_expire_taker_has_nothing_to_take(venue):
    engine, liquidity, me = venue
    own = limit(engine, me, "SELL", "50000", "0.5").order
    limit(engine, liquidity, "SELL", "50100", "1")
    rejects(Reject.NO_LIQUIDITY, market, engine, me, "BUY", "1", stp="EXPIRE_TAKER")
    assert own.status == "NEW" and engine.depth(SYMBOL, 5)[2] == [(a("50000"), a("0.5")), (a("50100"), a("1"))]


def test_a_crossing_limit_needs_the_margin_of_its_own_price():
    engine, _ = new_futures()
    liquidity, me = trader(engine, "10000000"), trader(engine, "2504.99999999")
    limit(engine, liquidity, "SELL", "50000", "0.5")
    # 1 x 50,100 / 20 = 2,505: judged at its limit price, not at the 50,000 it would take first
    rejects(PerpReject.MARGIN_INSUFFICIENT, limit, engine, me, "BUY", "50100", "1")
