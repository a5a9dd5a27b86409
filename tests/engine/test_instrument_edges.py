"""The edges of an instrument's rules, of the fee schedule and of the audit.

PERCENT_PRICE_BY_SIDE with a limit on one side only; the smallest tick and step an instrument takes and the zero
it does not; the fee schedule an engine gets when given none; and an audit that calls a book crossed as soon as
its best bid reaches its best ask.
"""
from __future__ import annotations

import random
from decimal import Decimal

import pytest

from simulator.engine.audit import audit
from simulator.engine.book import OrderBook
from simulator.engine.clock import ManualClock
from simulator.engine.engine import Engine
from simulator.engine.fees import RATE_SCALE, FeeSchedule, FeeTier
from simulator.engine.instrument import Instrument
from simulator.engine.rejection import Reject

from tests.engine.helpers import START_MS, a, free, funded, limit, make_spec, new_engine, rejects


# --- PERCENT_PRICE_BY_SIDE on one side ----------------------------------------------------------------------
def _with_reference(**multipliers):
    """An engine whose reference (average) price is 100, with only the given percent-price multipliers set."""
    engine, _ = new_engine(make_spec(min_notional="0", **{k: Decimal(v) for k, v in multipliers.items()}))
    buyer = funded(engine, USDT="1000000")
    seller = funded(engine, BTC="100")
    limit(engine, seller, "SELL", "100", "1")
    limit(engine, buyer, "BUY", "100", "1")
    return engine, buyer, seller


def _ok(engine, account, side, price):
    engine.test_order(account, "BTCUSDT", side, "LIMIT", qty=a("1"), price=a(price), tif="GTC")


@pytest.mark.parametrize("name, side, above, below", [
    ("bid_multiplier_up", "BUY", "120.01", None),
    ("bid_multiplier_down", "BUY", None, "79.99"),
    ("ask_multiplier_up", "SELL", "120.01", None),
    ("ask_multiplier_down", "SELL", None, "79.99"),
])
def test_a_single_percent_price_limit_binds_alone(name, side, above, below):
    engine, buyer, seller = _with_reference(**{name: "1.2" if name.endswith("up") else "0.8"})
    account = buyer if side == "BUY" else seller
    other_side, other_account = ("SELL", seller) if side == "BUY" else ("BUY", buyer)
    if above:
        rejects(Reject.PERCENT_PRICE_BY_SIDE, limit, engine, account, side, above, "1")
        _ok(engine, account, side, "120")
        _ok(engine, account, side, "0.01")  # no lower limit on this side
    else:
        rejects(Reject.PERCENT_PRICE_BY_SIDE, limit, engine, account, side, below, "1")
        _ok(engine, account, side, "80")
        _ok(engine, account, side, "100000")  # no upper limit on this side
    # the other side has no limits at all
    _ok(engine, other_account, other_side, "0.01")
    _ok(engine, other_account, other_side, "100000")


def test_no_multipliers_means_no_percent_price_filter():
    engine, buyer, seller = _with_reference()
    _ok(engine, buyer, "BUY", "100000")
    _ok(engine, seller, "SELL", "0.01")


# --- tick and step ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["tick_size", "step_size"])
@pytest.mark.parametrize("value", ["0", "-0.01"])
def test_a_zero_or_negative_tick_or_step_is_refused(field, value):
    with pytest.raises(ValueError, match="positive"):
        Instrument(make_spec(**{field: value}))


def test_the_smallest_tick_and_the_smallest_step_each_work():
    """One atom of quote as the tick (with whole-unit steps) and one atom of base as the step (with whole-unit
    ticks): the finest grids whose every notional is still a whole number of quote atoms."""
    fine_price = Instrument(make_spec(tick_size="0.00000001", step_size="1", min_qty="1", min_price="0",
                                      min_notional="0"))
    assert (fine_price.tick, fine_price.step) == (1, 10**8)
    fine_price.check_limit(1, 10**8)
    fine_qty = Instrument(make_spec(tick_size="1", step_size="0.00000001", min_qty="0", min_price="0",
                                    min_notional="0"))
    assert (fine_qty.tick, fine_qty.step) == (10**8, 1)
    fine_qty.check_limit(10**8, 1)
    with pytest.raises(ValueError):  # both at one atom: a notional of 1e-16
        Instrument(make_spec(tick_size="0.00000001", step_size="0.00000001"))


def test_orders_on_the_finest_grids_trade_exactly():
    engine, _ = new_engine(make_spec(tick_size="0.00000001", step_size="1", min_qty="1", min_price="0",
                                     min_notional="0", market_min_qty="0"))
    seller = funded(engine, BTC="5")
    buyer = funded(engine, USDT="5")
    limit(engine, seller, "SELL", "0.00000003", "2")
    rejects(Reject.LOT_SIZE, limit, engine, buyer, "BUY", "0.00000003", "1.5")
    result = limit(engine, buyer, "BUY", "0.00000004", "2")
    (trade,) = result.trades
    assert (trade.price, trade.qty, trade.quote_qty) == (3, a("2"), 6)
    assert free(engine, buyer, "USDT") == a("5") - 6 and audit(engine) == []


# --- the default fee schedule -------------------------------------------------------------------------------
def test_the_default_fee_schedule_is_one_tier_of_a_tenth_of_a_percent():
    schedule = FeeSchedule()
    assert schedule.tiers == [FeeTier(maker=RATE_SCALE // 1000, taker=RATE_SCALE // 1000)]
    assert schedule.tier(0) == FeeTier.of("0.001", "0.001")
    with pytest.raises(ValueError):
        schedule.tier(1)
    with pytest.raises(ValueError):
        schedule.tier(-1)


def test_an_engine_given_no_fee_schedule_charges_the_default():
    engine = Engine(ManualClock(START_MS), random.Random(1), instruments=[make_spec()])
    seller = funded(engine, BTC="1")
    buyer = funded(engine, USDT="1000")
    limit(engine, seller, "SELL", "100", "1")
    (trade,) = limit(engine, buyer, "BUY", "100", "1").trades
    assert (trade.buyer_fee, trade.seller_fee) == (a("0.001"), a("0.1"))
    rejects(Reject.INVALID_AMOUNT, engine.set_fee_tier, buyer, 1)
    with pytest.raises(ValueError):
        engine.open_account(fee_tier=1)


def test_the_last_tier_of_a_schedule_is_usable_and_the_next_is_not():
    engine, _ = new_engine(tiers=[FeeTier.of("0.001", "0.001"), FeeTier.of("0", "0.0005")])
    account = engine.open_account(fee_tier=1).account_id
    engine.set_fee_tier(account, 0)
    engine.set_fee_tier(account, 1)
    assert engine.accounts[account].fee_tier == 1
    rejects(Reject.INVALID_AMOUNT, engine.set_fee_tier, account, 2)
    rejects(Reject.INVALID_AMOUNT, engine.set_fee_tier, account, -1)
    assert engine.accounts[account].fee_tier == 1


# --- a book whose best bid reaches its best ask -------------------------------------------------------------
def _move(book_side, order, price):
    book_side.remove(order)
    order.price = price
    book_side.add(order)


def test_a_book_whose_best_bid_equals_its_best_ask_fails_the_audit():
    engine, _ = new_engine()
    mm = funded(engine, USDT="1000", BTC="10")
    bid = limit(engine, mm, "BUY", "99", "1").order
    ask = limit(engine, mm, "SELL", "101", "1").order
    assert audit(engine) == [] and not engine.books["BTCUSDT"].is_crossed()
    _move(engine.books["BTCUSDT"].asks, ask, bid.price)  # state no operation can reach: bid 99 = ask 99
    assert engine.books["BTCUSDT"].is_crossed()
    assert "BTCUSDT: resting book crossed" in audit(engine)


def test_is_crossed_compares_the_best_prices_only():
    book = OrderBook("BTCUSDT")
    assert not book.is_crossed()
    engine, _ = new_engine()
    mm = funded(engine, USDT="1000", BTC="10")
    bid = limit(engine, mm, "BUY", "100", "1").order
    assert not engine.books["BTCUSDT"].is_crossed()  # one side only
    ask = limit(engine, mm, "SELL", "100.01", "1").order
    book = engine.books["BTCUSDT"]
    assert not book.is_crossed()
    _move(book.bids, bid, a("100.02"))
    assert book.is_crossed()
    _move(book.bids, bid, a("100"))
    _move(book.asks, ask, a("99.99"))
    assert book.is_crossed()
