"""The perpetual engine's arithmetic rules one by one, as Binance's USD-M states them (reference §7-9): the
leverage brackets and their maintenance amounts, an instrument's limits, exact ratios and break-even prices,
a position's entry cost and realized PnL, the mark price's decaying premium and its candles, the income ledger,
and the saved state of each of these. Every expected number is worked out here from the rule, not asked of
the code under test."""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import pytest

from simulator.engine.perp.funding import (HISTORY_KEPT, FundingRecord, FundingSchedule, first_funding_time,
                                           premium_index)
from simulator.engine.perp.income import IncomeLedger
from simulator.engine.perp.instrument import HOUR_MS, PerpInstrument, build_brackets
from simulator.engine.perp.numbers import break_even, ceil_div, format_decimal8, ratio
from simulator.engine.perp.position import ISOLATED, Position
from simulator.engine.perp.pricing import PREMIUM_TAU_MS, MarkPrice, PriceKlines
from simulator.engine.perp.settings import AccountSettings
from tests.engine.helpers import START_MS, a
from tests.engine.perp_helpers import perp_spec

UNIT = 10**8
EIGHT = Decimal("0.00000001")


# --- leverage brackets --------------------------------------------------------------------------------------
def test_brackets_of_a_125x_symbol_follow_the_template_with_continuous_maintenance_amounts():
    brackets = build_brackets(125, Decimal("0.004"), UNIT)
    # (number, max leverage, floor, cap, rate, cum) worked out by hand: each later rate is at least half the
    # bracket's initial margin rate (1 / 2L, to 4 decimals), cum(n) = cum(n-1) + floor(n) x (rate(n) - rate(n-1))
    expected = [
        (1, 125, 0, 50_000, "0.004", 0),
        (2, 62, 50_000, 500_000, "0.0081", 205),  # 1/124 -> 0.0081; 50,000 x 0.0041
        (3, 25, 500_000, 8_000_000, "0.02", 6_155),  # + 500,000 x 0.0119
        (4, 12, 8_000_000, 50_000_000, "0.0417", 179_755),  # + 8,000,000 x 0.0217
        (5, 6, 50_000_000, 80_000_000, "0.0833", 2_259_755),  # + 50,000,000 x 0.0416
        (6, 2, 80_000_000, 200_000_000, "0.25", 15_595_755),  # + 80,000,000 x 0.1667
        (7, 1, 200_000_000, 500_000_000, "0.5", 65_595_755),  # + 200,000,000 x 0.25
    ]
    got = [(b.bracket, b.initial_leverage, b.notional_floor, b.notional_cap, b.maint_margin_ratio, b.cum)
           for b in brackets]
    assert got == [(n, lev, lo * UNIT, hi * UNIT, Decimal(rate), cum * UNIT) for n, lev, lo, hi, rate, cum in expected]


def test_a_low_leverage_symbol_never_offers_less_than_1x():
    brackets = build_brackets(10, Decimal("0.01"), UNIT)
    assert [b.initial_leverage for b in brackets] == [10, 5, 2, 1, 1, 1, 1]


def test_maintenance_margin_is_notional_times_rate_less_the_bracket_amount_rounded_up():
    inst = PerpInstrument(perp_spec())
    first, second = inst.brackets[0], inst.brackets[1]
    assert first.maint_margin(250) == 1  # 250 atoms x 0.4 % is exactly one atom
    assert first.maint_margin(251) == 2  # 1.004 atoms: rounded up
    assert first.maint_margin(0) == 0
    assert second.maint_margin(0) == 0  # below its floor the amount would make it negative: never
    assert second.maint_margin(a("100000")) == a("605")  # 100,000 x 0.81 % - 205
    assert type(first.maint_margin(251)) is int


def test_the_maintenance_margin_of_a_notional_uses_the_bracket_it_falls_in():
    inst = PerpInstrument(perp_spec())
    assert inst.maint_margin(a("10000")) == a("40")  # first bracket: 0.4 %
    assert inst.maint_margin(-a("10000")) == a("40")  # a short's notional counts by its size
    assert inst.maint_margin(a("100000")) == a("605")
    assert inst.maint_margin(a("1000000")) == a("13845")  # 1,000,000 x 2 % - 6,155


def test_a_notional_at_a_cap_belongs_to_the_next_bracket_and_beyond_the_last_cap_to_the_last():
    inst = PerpInstrument(perp_spec())
    assert inst.bracket(a("49999.99999999")).bracket == 1
    assert inst.bracket(a("50000")).bracket == 2
    assert inst.bracket(a("500000000")).bracket == 7
    assert inst.bracket(a("900000000")).bracket == 7


def test_max_notional_at_a_leverage_is_the_cap_of_the_last_bracket_allowing_it():
    inst = PerpInstrument(perp_spec())
    assert inst.max_notional_at(125) == a("50000")
    assert inst.max_notional_at(63) == a("50000")
    assert inst.max_notional_at(62) == a("500000")
    assert inst.max_notional_at(20) == a("8000000")
    assert inst.max_notional_at(1) == a("500000000")
    assert inst.max_notional_at(126) == 0  # no bracket allows it
    table = inst.max_notional_by_leverage
    assert len(table) == 126 and table[0] == 0
    assert table[125] == a("50000") and table[62] == a("500000") and table[2] == a("200000000")


# --- an instrument's limits ---------------------------------------------------------------------------------
def test_a_perpetual_keeps_its_spot_grid_and_filters():
    spec = perp_spec(base_precision=3, quote_precision=6, max_num_orders=50, min_notional=Decimal("7"),
                     funding_interval_hours=4)
    inst = PerpInstrument(spec)
    assert (inst.base, inst.quote, inst.margin_asset) == ("BTC", "USDT", "USDT")
    assert (inst.base_precision, inst.quote_precision, inst.base_unit) == (3, 6, 1000)
    assert inst.min_price == inst.tick == 100_000  # 0.1 at 6 decimals: the lowest price is one tick
    assert inst.min_notional == 7_000_000 and inst.max_num_orders == 50
    assert inst.perp_spec is spec
    assert inst.funding_interval_hours == 4 and inst.funding_interval_ms == 4 * 3_600_000
    assert inst.interest_rate == Decimal("0.00005")
    assert inst.brackets[0].notional_cap == 50_000 * 10**6  # caps in whole units of the margin asset


@pytest.mark.parametrize("leverage", [1, 125])
def test_max_leverage_from_1_to_125_is_accepted(leverage):
    assert PerpInstrument(perp_spec(max_leverage=leverage)).max_leverage == leverage


@pytest.mark.parametrize("leverage", [0, 126])
def test_max_leverage_outside_1_to_125_is_refused(leverage):
    with pytest.raises(ValueError):
        PerpInstrument(perp_spec(max_leverage=leverage))


@pytest.mark.parametrize("rate", ["0", "0.4", "0.4999"])
def test_a_maintenance_rate_below_half_is_accepted(rate):
    assert PerpInstrument(perp_spec(maint_margin_rate=Decimal(rate))).brackets[0].maint_margin_ratio == Decimal(rate)


@pytest.mark.parametrize("rate", ["0.5", "0.6", "1"])
def test_a_maintenance_rate_of_half_or_more_is_refused(rate):
    with pytest.raises(ValueError):
        PerpInstrument(perp_spec(maint_margin_rate=Decimal(rate)))


def test_percent_price_bounds_a_buy_at_mark_times_up_and_a_sell_at_mark_times_down():
    inst = PerpInstrument(perp_spec())
    mark = a("50000")
    assert inst.check_percent_to_mark(True, a("52500"), mark)  # exactly 1.05 x mark
    assert not inst.check_percent_to_mark(True, a("52500.00000001"), mark)
    assert inst.check_percent_to_mark(False, a("47500"), mark)  # exactly 0.95 x mark
    assert not inst.check_percent_to_mark(False, a("47499.99999999"), mark)
    assert inst.check_percent_to_mark(True, a("1000000"), None)  # no mark yet: no bound
    assert inst.check_percent_to_mark(False, 1, None)


# --- exact numbers ------------------------------------------------------------------------------------------
def test_a_ratio_is_cut_to_8_decimals_and_0_over_0_is_0():
    assert ratio(2, 3, 0) == Decimal("0.66666666")
    assert ratio(-2, 3, 0) == Decimal("-0.66666666")  # cut toward zero
    assert ratio(5, 0, 8) == 0
    assert ratio(10**21, 1, 0) == Decimal(10**21)  # 29 digits with the 8 decimals: past the default precision


def test_a_computed_amount_prints_with_8_decimals_cut():
    assert format_decimal8(Decimal("1.234567899")) == "1.23456789"
    assert format_decimal8(Decimal(0)) == "0.00000000"
    assert format_decimal8(Decimal(10**21)) == "1" + "0" * 21 + ".00000000"


def test_ceil_div_rounds_up():
    assert ceil_div(7, 2) == 4 and ceil_div(8, 2) == 4 and ceil_div(0, 3) == 0


def _break_even_by_hand(entry: str, fee: str, long: bool) -> Decimal:
    entry_d, fee_d = Decimal(entry), Decimal(fee)
    value = entry_d * (1 + fee_d) / (1 - fee_d) if long else entry_d * (1 - fee_d) / (1 + fee_d)
    return value.quantize(EIGHT, rounding=ROUND_DOWN)


def test_break_even_covers_the_taker_fee_both_ways():
    fee = 50_000  # 0.05 % x 1e8
    assert break_even(a("50000"), UNIT, UNIT, 8, fee) == _break_even_by_hand("50000", "0.0005", True)
    assert break_even(a("50000"), -UNIT, UNIT, 8, fee) == _break_even_by_hand("50000", "0.0005", False)
    # one atom of size, long: still the long formula
    assert break_even(50_000, 1, UNIT, 8, fee) == _break_even_by_hand("50000", "0.0005", True)
    assert break_even(a("150001"), 3 * UNIT, UNIT, 8, fee) == _break_even_by_hand("50000.33333333333", "0.0005",
                                                                                  True)
    assert break_even(0, 0, UNIT, 8, fee) == 0


# --- a position's cost, entry price and realized PnL ----------------------------------------------------------
def _position(amt: int = 0, cost: int = 0) -> Position:
    position = Position(7, "BTCUSDT", "BOTH")
    position.amt, position.cost = amt, cost
    return position


def test_opening_adds_the_fill_value_rounded_down_to_the_cost():
    position = _position()
    assert position.fill(1, a("50000.1"), UNIT) == (0, 0)  # one atom at 50,000.1: 0.000500001 USDT
    assert (position.amt, position.cost) == (1, 50_000)
    assert position.fill(1, a("50000.1"), UNIT) == (0, 0)  # a one-atom long grows by one atom
    assert (position.amt, position.cost) == (2, 100_000)
    assert type(position.cost) is int
    short = _position()
    short.fill(-3, a("0.5"), UNIT)
    assert (short.amt, short.cost) == (-3, 1)


def test_reducing_takes_the_same_share_of_the_cost_and_realizes_the_difference():
    position = _position(3, 1000)  # three atoms that cost 1,000 atoms
    pnl, closed = position.fill(-1, a("500"), UNIT)  # 1 atom at 500: worth 500 atoms; cost share 333 (down)
    assert (pnl, closed) == (500 - 333, 1)
    assert (position.amt, position.cost, position.realized) == (2, 667, 167)
    assert type(pnl) is int and type(position.cost) is int


def test_a_one_atom_long_closing_realizes_value_less_cost():
    position = _position(1, 600)
    assert position.fill(-1, a("500"), UNIT) == (-100, 1)
    assert (position.amt, position.cost, position.realized) == (0, 0, -100)


def test_a_short_bought_back_one_atom_realizes_cost_less_value():
    position = _position(-2, 1000)
    assert position.fill(1, a("400"), UNIT) == (500 - 400, 1)
    assert (position.amt, position.cost) == (-1, 500)
    assert position.fill(1, a("0.00000150"), UNIT) == (500 - 0, 1)  # worth 1.5e-6 atoms: rounded down to 0
    assert (position.amt, position.cost, position.realized) == (0, 0, 600)


def test_a_one_way_position_flips_through_zero_at_the_fill_price():
    position = _position(-1, 500)
    pnl, closed = position.fill(4, a("0.5"), UNIT)  # closes 1 atom, opens 3 long at 0.5 x 3 / 1e8 ...
    assert (pnl, closed) == (500 - 0, 1)
    assert (position.amt, position.cost) == (3, 1)  # ... 1.5 atoms of cost, rounded down
    long = _position(2, 100)
    long.fill(-5, a("3"), UNIT)
    assert (long.amt, long.cost, long.realized) == (-3, 9, 6 - 100)


def test_notional_is_floored_for_a_long_and_truncated_toward_zero_for_a_short():
    long, short = _position(1), _position(-1)
    assert long.notional(150, UNIT) == 0 and short.notional(150, UNIT) == 0  # 1.5e-6 atoms either way: 0
    assert _position(3).notional(a("0.5"), UNIT) == 1  # 1.5 atoms
    assert _position(-3).notional(a("0.5"), UNIT) == -1
    assert _position(0).notional(a("0.5"), UNIT) == 0
    assert type(_position(3).notional(a("0.5"), UNIT)) is int
    assert type(_position(-3).notional(a("0.5"), UNIT)) is int


def test_unrealized_pnl_is_value_at_mark_against_cost():
    assert _position(1, 40).unrealized(a("0.5"), UNIT) == 0 - 40  # a one-atom long
    assert _position(3, 1).unrealized(a("0.5"), UNIT) == 1 - 1
    assert _position(3, 0).unrealized(a("0.5"), UNIT) == 1
    assert _position(-3, 5).unrealized(a("0.5"), UNIT) == 5 - 1
    assert _position(0, 0).unrealized(a("0.5"), UNIT) == 0
    assert type(_position(3, 0).unrealized(a("0.5"), UNIT)) is int


def test_a_new_position_is_flat_and_its_saved_state_restores_every_field():
    position = Position(7, "BTCUSDT", "LONG", ISOLATED)
    assert (position.amt, position.cost, position.realized, position.isolated_wallet, position.update_time) == \
        (0, 0, 0, 0, 0)
    assert position.entry_price(UNIT, 8) == 0
    position.fill(a("0.003"), a("50000.3"), UNIT)
    position.isolated_wallet, position.update_time = 123, START_MS
    values = position.state()
    assert values == [7, "BTCUSDT", "LONG", a("0.003"), a("150.0009"), 0, ISOLATED, 123, START_MS]
    restored = Position.from_state(values)
    assert restored.state() == values and restored.key == (7, "BTCUSDT", "LONG")
    assert restored.entry_price(UNIT, 8) == Decimal("50000.3")
    with pytest.raises(ValueError):
        Position.from_state(values[:-1])


# --- the mark price -----------------------------------------------------------------------------------------
def test_the_mark_is_index_plus_premium_and_never_below_one_atom():
    price = MarkPrice()
    assert (price.index, price.premium, price.time, price.mark) == (None, 0, 0, None)
    price.set_premium(5)
    assert price.mark is None  # no index yet: no mark
    price.set_index(100)
    assert price.mark == 105
    price.set_index(3)
    price.set_premium(-4)
    assert price.mark == 1
    price.set_premium(0)
    price.set_index(1)
    assert price.mark == 1


def test_the_premium_decays_toward_the_basis_by_elapsed_over_elapsed_plus_five_minutes():
    price = MarkPrice()
    price.set_index(a("50000"))
    price.follow(PREMIUM_TAU_MS + 1, 1)  # one millisecond: the basis's 1 / (1 + 300,000) share
    assert (price.premium, price.time, price.mark) == (1, 1, a("50000") + 1)
    price.follow(10**6, 1)  # no time elapsed: nothing moves
    assert price.premium == 1
    price.follow(1000, 1 + PREMIUM_TAU_MS)  # half-way: 1 + 999 x 300,000 // 600,000
    assert price.premium == 1 + 499 and type(price.premium) is int


def test_an_empty_book_pulls_the_premium_back_to_the_index():
    price = MarkPrice()
    price.set_index(a("50000"))
    price.set_premium(-1)
    price.follow(None, PREMIUM_TAU_MS)  # toward 0: -1 + 1 x 300,000 // 600,000 = -1 + 0
    assert price.premium == -1
    price.set_premium(-3)
    price.follow(None, 2 * PREMIUM_TAU_MS)  # -3 + 3 // 2
    assert price.premium == -2


def test_the_mark_price_state_restores_index_premium_and_time():
    price = MarkPrice()
    price.set_index(a("50000"))
    price.set_premium(-a("12.5"))
    price.time = START_MS
    restored = MarkPrice.from_state(price.state())
    assert (restored.index, restored.premium, restored.time, restored.mark) == \
        (a("50000"), -a("12.5"), START_MS, a("49987.5"))
    unset = MarkPrice.from_state([None, 7, 3])
    assert (unset.index, unset.premium, unset.time, unset.mark) == (None, 7, 3, None)


def test_price_candles_are_per_minute_with_high_low_close():
    klines = PriceKlines(10)
    klines.record(START_MS + 30_000, 100)
    klines.record(START_MS + 31_000, 90)
    klines.record(START_MS + 32_000, 95)  # below the high of 100, above the low of 90
    klines.record(START_MS + 33_000, 110)
    klines.record(START_MS + 34_000, 105)  # below the close of 110, above the low
    klines.record(START_MS + 60_000, 7)
    assert klines.state() == [[START_MS, 100, 110, 90, 105], [START_MS + 60_000, 7, 7, 7, 7]]
    klines.record(START_MS + 30_000, 1)  # a minute already closed: not rewritten
    assert klines.state()[-1] == [START_MS + 60_000, 7, 7, 7, 7] and len(klines.state()) == 2


@pytest.mark.parametrize("kept, rows", [(0, 1), (1, 1), (2, 2)])
def test_price_candles_keep_the_newest_minutes(kept, rows):
    klines = PriceKlines(kept)
    for minute in range(3):
        klines.record(START_MS + minute * 60_000, 100 + minute)
    assert [row[1] for row in klines.state()] == [100 + m for m in range(3 - rows, 3)]


def test_price_candles_restore_only_rows_of_five_integers():
    klines = PriceKlines(10)
    klines.restore([[START_MS, 1, 3, 1, 2], [START_MS + 60_000, 2, 2, 2, 2]])
    assert klines.state() == [[START_MS, 1, 3, 1, 2], [START_MS + 60_000, 2, 2, 2, 2]]
    for bad in ([START_MS, 1, 3, 1], [START_MS, 1, 3, 1, 2, 9], [START_MS, 1, 3, 1, 2.0]):
        with pytest.raises(ValueError):
            PriceKlines(10).restore([bad])


# --- the income ledger and account settings -----------------------------------------------------------------
def test_income_rows_are_numbered_from_1_and_kept_per_account():
    ledger = IncomeLedger(2)
    first = ledger.add(5, "BTCUSDT", "FUNDING_FEE", -3, "USDT", "FUNDING_FEE", START_MS)
    assert tuple(first) == (1, 5, "BTCUSDT", "FUNDING_FEE", -3, "USDT", "FUNDING_FEE", START_MS, "")
    second = ledger.add(5, "", "TRANSFER", 4, "USDT", "DEPOSIT", START_MS + 1, "9")
    assert (second.tran_id, second.trade_id) == (2, "9")
    ledger.add(5, "", "TRANSFER", 6, "USDT", "DEPOSIT", START_MS + 2)
    assert [r.tran_id for r in ledger.of(5)] == [2, 3]  # two kept: the oldest dropped
    assert ledger.of(6) == [] and ledger.next_tran_id == 4


def test_account_settings_default_and_restore():
    settings = AccountSettings()
    assert settings.dual_side is False and settings.margin_type_of("BTCUSDT") == "CROSSED"
    settings.dual_side = True
    settings.leverage["BTCUSDT"] = 7
    settings.margin_type["ETHUSDT"] = ISOLATED
    state = settings.state()
    assert state == {"dual_side": True, "leverage": {"BTCUSDT": 7}, "margin_type": {"ETHUSDT": ISOLATED}}
    restored = AccountSettings.from_state({"dual_side": 1, "leverage": {"BTCUSDT": "7"},
                                           "margin_type": {"ETHUSDT": ISOLATED}})
    assert restored.state() == state and restored.dual_side is True
    assert restored.margin_type_of("ETHUSDT") == ISOLATED


# --- the funding schedule ------------------------------------------------------------------------------------
def test_the_first_funding_time_is_the_next_interval_boundary():
    eight = 8 * HOUR_MS
    assert first_funding_time(5 * eight, eight) == 6 * eight
    assert first_funding_time(5 * eight + 1, eight) == 6 * eight
    assert first_funding_time(6 * eight - 1, eight) == 6 * eight


def test_a_book_without_sides_has_no_premium():
    assert premium_index(None, None, a("50000")) == 0
    assert premium_index(None, a("49000"), a("50000")) == Decimal("-0.02")
    assert premium_index(a("51000"), None, a("50000")) == Decimal("0.02")


def test_a_settlement_starts_a_new_period_and_rolls_the_funding_time():
    eight = 8 * HOUR_MS
    schedule = FundingSchedule(6 * eight)
    assert (schedule.next_sample, schedule.samples, schedule.premium_sum, schedule.override) == (0, 0, 0, None)
    schedule.sample(Decimal("0.001"))
    schedule.override = Decimal("0.002")
    schedule.settled(FundingRecord("BTCUSDT", Decimal("0.002"), 6 * eight, a("50000")), eight)
    assert (schedule.samples, schedule.premium_sum, schedule.override) == (0, 0, None)
    assert schedule.next_time == 7 * eight
    assert schedule.current_rate(Decimal("0.0001"), Decimal("-0.0075"), Decimal("0.0075")) == Decimal("0.0001")
    schedule.settled(FundingRecord("BTCUSDT", Decimal("0.0001"), 9 * eight, a("50000")), eight)
    assert schedule.next_time == 10 * eight  # a late settlement rolls past every missed boundary
    schedule.settled(FundingRecord("BTCUSDT", Decimal("0.0001"), 9 * eight + 5, a("50000")), eight)
    assert schedule.next_time == 10 * eight  # settled before the boundary: it stays


def test_funding_history_keeps_the_last_1000_rates():
    schedule = FundingSchedule(0)
    for n in range(HISTORY_KEPT + 1):
        schedule.settled(FundingRecord("BTCUSDT", Decimal(n), n, 1), 1)
    assert len(schedule.history) == HISTORY_KEPT and schedule.history[0].rate == 1


def test_the_funding_schedule_state_restores_every_field():
    schedule = FundingSchedule(9 * HOUR_MS)
    schedule.sample(Decimal("0.0003"))
    schedule.sample(Decimal("0.0001"))
    schedule.next_sample = START_MS
    schedule.override = Decimal("-0.001")
    schedule.history.append(FundingRecord("BTCUSDT", Decimal("0.0001"), 8 * HOUR_MS, a("50000")))
    state = schedule.state()
    assert state == {"next_time": 9 * HOUR_MS, "premium_sum": "0.0004", "samples": 2, "next_sample": START_MS,
                     "override": "-0.001", "history": [["BTCUSDT", "0.0001", 8 * HOUR_MS, a("50000")]]}
    restored = FundingSchedule.from_state(state)
    assert (restored.next_time, restored.premium_sum, restored.samples, restored.next_sample, restored.override) \
        == (9 * HOUR_MS, Decimal("0.0004"), 2, START_MS, Decimal("-0.001"))
    assert list(restored.history) == [FundingRecord("BTCUSDT", Decimal("0.0001"), 8 * HOUR_MS, a("50000"))]
    assert restored.state() == state
    schedule.override = None
    assert schedule.state()["override"] is None and FundingSchedule.from_state(schedule.state()).override is None
