"""Leverage, margin type, position mode and isolated margin at their exact edges: leverage 1 up to the symbol's
maximum, a position exactly at the bracket cap, open orders re-margined on their own symbol only, the available
balance compared exactly, and what each change reports (its result, its event, its sequence range)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.engine.perp.events import BalanceRow
from simulator.engine.perp.rejection import PerpReject
from simulator.engine.perp.results import LeverageResult, MarginResult, SettingResult
from simulator.engine.rejection import Reject
from tests.engine.helpers import START_MS, Recorder, a, rejects
from tests.engine.perp_helpers import (assert_clean, limit, market, new_futures, perp_spec, position, trader,
                                       wallet)


@pytest.fixture
def venue():
    engine, clock = new_futures()
    return engine, clock, trader(engine, "10000000")


@pytest.fixture
def two_symbols():
    engine, _ = new_futures(perp_spec("BTCUSDT"), perp_spec("ETHUSDT"))
    return engine, trader(engine, "10000000")


# --- leverage --------------------------------------------------------------------------------------------------
def test_leverage_one_is_allowed_and_reaches_the_last_bracket(venue):
    engine, _, _ = venue
    account = trader(engine)
    first = engine.seq + 1
    assert engine.set_leverage(account, "BTCUSDT", 1) == LeverageResult("BTCUSDT", 1, a("500000000"), first, first)
    assert engine.leverage_of(account, "BTCUSDT") == 1
    for bad in (0, -1, 126, Decimal(5), 5.0):
        rejects(PerpReject.LEVERAGE_INVALID, engine.set_leverage, account, "BTCUSDT", bad)


def test_a_leverage_change_emits_one_config_update_and_says_its_range(venue):
    engine, clock, _ = venue
    account = trader(engine)
    clock.set(START_MS + 4_321)
    events = Recorder(engine)
    first = engine.seq + 1
    result = engine.set_leverage(account, "BTCUSDT", 50)
    assert result == LeverageResult("BTCUSDT", 50, a("500000"), first, first)
    [update] = events.events
    assert (update.kind, update.seq, update.time, update.account_id, update.symbol, update.leverage) == (
        "config_update", first, START_MS + 4_321, account, "BTCUSDT", 50)
    assert engine.seq == first


def test_a_position_exactly_at_the_bracket_cap_may_take_that_leverage(venue):
    engine, _, maker = venue
    account = trader(engine)
    limit(engine, maker, "SELL", "50000", "1.001")
    market(engine, account, "BUY", "1")  # 50,000 of notional at the mark: the 125x bracket's cap
    assert engine.set_leverage(account, "BTCUSDT", 125).max_notional == a("50000")
    engine.set_leverage(account, "BTCUSDT", 20)
    market(engine, account, "BUY", "0.001")  # 50,050: one step beyond it
    rejects(PerpReject.MAX_POSITION_AT_LEVERAGE, engine.set_leverage, account, "BTCUSDT", 125)


def test_lowering_leverage_may_use_exactly_the_available_balance(venue):
    engine, _, _ = venue
    poor = trader(engine, "1000")
    order = limit(engine, poor, "BUY", "40000", "0.4").order  # 16,000 at 20x: 800 held, 200 free
    engine.set_leverage(poor, "BTCUSDT", 16)  # 1,000 held: the 200 more is all that was available
    assert order.locked == a("1000") and engine.accounts[poor].free("USDT") == 0
    rejects(PerpReject.LEVERAGE_MARGIN_INSUFFICIENT, engine.set_leverage, poor, "BTCUSDT", 15)
    assert_clean(engine)


def test_raising_leverage_is_allowed_with_nothing_available(venue):
    engine, _, maker = venue
    account = trader(engine, "3000")
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, account, "BUY", "1")  # 2,975 left in the wallet
    # at 48,984.375 and 25x: 2,975 - 1,015.625 of loss - 1,959.375 of initial margin = exactly 0 available
    engine.set_index("BTCUSDT", a("48984.375"))
    engine.set_leverage(account, "BTCUSDT", 25)
    assert engine.risk(account, "USDT").available_raw == 0
    assert engine.leverage_of(account, "BTCUSDT") == 25


def test_leverage_on_one_symbol_leaves_other_symbols_orders_alone(two_symbols):
    engine, _ = two_symbols
    account = trader(engine)
    order = limit(engine, account, "BUY", "40000", "1", symbol="ETHUSDT").order  # 2,000 held at 20x
    engine.set_leverage(account, "BTCUSDT", 40)
    assert order.locked == a("2000") and engine.accounts[account].locked("USDT") == a("2000")
    assert engine.leverage_of(account, "ETHUSDT") == 20
    assert_clean(engine)


def test_a_symbol_without_exposure_takes_any_leverage_whatever_other_symbols_lost(two_symbols):
    engine, maker = two_symbols
    account = trader(engine, "3000")
    limit(engine, maker, "SELL", "50000", "1", symbol="ETHUSDT")
    market(engine, account, "BUY", "1", symbol="ETHUSDT")
    engine.set_index("ETHUSDT", a("49000"))  # 475 short of the initial margin
    assert engine.risk(account, "USDT").available_raw == -a("475")
    engine.set_leverage(account, "BTCUSDT", 10)
    assert engine.leverage_of(account, "BTCUSDT") == 10


# --- margin type and position mode -------------------------------------------------------------------------------
def test_margin_type_change_reports_no_event_and_carries_to_a_flat_position(venue):
    engine, _, maker = venue
    account = trader(engine)
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, account, "BUY", "1")
    limit(engine, maker, "BUY", "50000", "1")
    market(engine, account, "SELL", "1")  # flat again: the position stays, empty
    before = engine.seq
    assert engine.set_margin_type(account, "BTCUSDT", "ISOLATED") == SettingResult(before + 1, before)
    assert position(engine, account).margin_type == "ISOLATED"
    assert engine.settings_of(account).margin_type_of("BTCUSDT") == "ISOLATED"
    assert engine.seq == before


def test_position_mode_change_is_per_account_and_reports_no_event(venue):
    engine, _, other = venue
    account = trader(engine)
    before = engine.seq
    assert engine.set_position_mode(account, True) == SettingResult(before + 1, before)
    assert engine.settings_of(account).dual_side and not engine.settings_of(other).dual_side
    rejects(PerpReject.POSITION_MODE_UNCHANGED, engine.set_position_mode, account, True)
    assert engine.set_position_mode(account, False) == SettingResult(before + 1, before)
    assert not engine.settings_of(account).dual_side
    rejects(PerpReject.POSITION_MODE_UNCHANGED, engine.set_position_mode, account, False)
    assert engine.seq == before


# --- isolated margin -------------------------------------------------------------------------------------------
def _isolated_long(engine, maker, usdt="100000", leverage=None, **kwargs):
    account = trader(engine, usdt)
    engine.set_margin_type(account, "BTCUSDT", "ISOLATED")
    if leverage:
        engine.set_leverage(account, "BTCUSDT", leverage)
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, account, "BUY", "1", **kwargs)
    return account


def test_adding_isolated_margin_may_use_exactly_the_available_balance(venue):
    engine, _, maker = venue
    account = _isolated_long(engine, maker)  # 2,500 set aside, less the 25 fee; 97,500 free
    assert engine.risk(account, "USDT").available_raw == a("97500")
    rejects(Reject.INSUFFICIENT_BALANCE, engine.adjust_margin, account, "BTCUSDT", a("97500") + 1, True)
    engine.adjust_margin(account, "BTCUSDT", a("97500"), True)
    assert position(engine, account).isolated_wallet == a("2475") + a("97500")
    assert engine.accounts[account].free("USDT") == 0 and wallet(engine, account) == a("99975")
    assert_clean(engine)


def test_isolated_margin_change_must_be_a_positive_integer_of_atoms(venue):
    engine, _, maker = venue
    account = _isolated_long(engine, maker)
    for amount in (0, -1, Decimal(1), 1.0):
        rejects(Reject.INVALID_AMOUNT, engine.adjust_margin, account, "BTCUSDT", amount, True)
    engine.adjust_margin(account, "BTCUSDT", 1, True)
    assert position(engine, account).isolated_wallet == a("2475") + 1


def test_isolated_margin_needs_an_open_isolated_position(venue):
    engine, _, maker = venue
    nobody = trader(engine)
    rejects(PerpReject.POSITION_NOT_SUFFICIENT, engine.adjust_margin, nobody, "BTCUSDT", 1, True)  # no position
    account = _isolated_long(engine, maker)
    limit(engine, maker, "BUY", "50000", "1")
    market(engine, account, "SELL", "1")  # flat, still ISOLATED
    rejects(PerpReject.POSITION_NOT_SUFFICIENT, engine.adjust_margin, account, "BTCUSDT", 1, True)
    rejects(PerpReject.POSITION_NOT_SUFFICIENT, engine.adjust_margin, account, "BTCUSDT", 1, False)


def test_removing_isolated_margin_keeps_the_initial_margin_and_counts_losses_not_profits(venue):
    engine, _, maker = venue
    account = _isolated_long(engine, maker)
    engine.adjust_margin(account, "BTCUSDT", a("1000"), True)  # 3,475 aside
    engine.set_index("BTCUSDT", a("51000"))  # +1,000 unrealized (not removable); 2,550 to keep
    rejects(PerpReject.ISOLATED_BALANCE_INSUFFICIENT, engine.adjust_margin, account, "BTCUSDT", a("925") + 1,
            False)
    engine.adjust_margin(account, "BTCUSDT", a("925"), False)
    assert position(engine, account).isolated_wallet == a("2550")
    engine.adjust_margin(account, "BTCUSDT", a("925"), True)
    engine.set_index("BTCUSDT", a("49000"))  # -1,000 unrealized; 2,450 to keep: 25 spare
    rejects(PerpReject.ISOLATED_BALANCE_INSUFFICIENT, engine.adjust_margin, account, "BTCUSDT", a("25") + 1, False)
    engine.adjust_margin(account, "BTCUSDT", a("25"), False)
    assert position(engine, account).isolated_wallet == a("3450")
    assert_clean(engine)


def test_removing_isolated_margin_keeps_the_margin_at_the_accounts_leverage(venue):
    engine, _, maker = venue
    account = _isolated_long(engine, maker, leverage=10)  # 5,000 aside less the 25 fee
    engine.adjust_margin(account, "BTCUSDT", a("100"), True)  # 5,075: 75 above the 10x margin
    rejects(PerpReject.ISOLATED_BALANCE_INSUFFICIENT, engine.adjust_margin, account, "BTCUSDT", a("75") + 1, False)
    engine.adjust_margin(account, "BTCUSDT", a("75"), False)
    assert position(engine, account).isolated_wallet == a("5000")


def test_an_isolated_margin_change_reports_the_wallet_and_the_position(venue):
    engine, clock, maker = venue
    account = trader(engine)
    engine.set_position_mode(account, True)
    engine.set_margin_type(account, "BTCUSDT", "ISOLATED")
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, account, "BUY", "1", position_side="LONG")
    clock.set(START_MS + 9_999)
    events = Recorder(engine)
    first = engine.seq + 1
    result = engine.adjust_margin(account, "BTCUSDT", a("500"), True, position_side="LONG")
    assert result == MarginResult("BTCUSDT", "LONG", a("500"), True, first, first)
    held = position(engine, account, side="LONG")
    assert held.update_time == START_MS + 9_999
    [update] = events.events
    assert (update.kind, update.seq, update.time, update.account_id, update.reason) == (
        "account_update", first, START_MS + 9_999, account, "MARGIN_TRANSFER")
    assert update.balances == (BalanceRow("USDT", a("99975"), a("99975") - a("2975"), 0),)
    assert [(p.symbol, p.position_side, p.isolated_wallet) for p in update.positions] == [
        ("BTCUSDT", "LONG", a("2975"))]
    result = engine.adjust_margin(account, "BTCUSDT", a("400"), False, position_side="LONG")
    assert result == MarginResult("BTCUSDT", "LONG", a("400"), False, first + 1, first + 1)
    assert engine.accounts[account].update_time == START_MS + 9_999
    assert_clean(engine)
