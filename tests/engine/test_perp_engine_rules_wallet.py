"""The futures wallet as the engine keeps it: accounts opened under the spot account's id, deposits and
withdrawals (maxWithdrawAmount: free of margin, never unrealized profit), their TRANSFER income rows and DEPOSIT /
WITHDRAW account updates, fee tiers, the risk figures, the insurance fund and the force orders kept."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest

from simulator.engine.clock import ManualClock
from simulator.engine.perp.engine import FuturesEngine
from simulator.engine.perp.events import BalanceRow
from simulator.engine.perp.income import IncomeRecord
from simulator.engine.perp.instrument import FUTURES_TIERS
from simulator.engine.perp.results import FuturesTransferResult
from simulator.engine.rejection import Reject
from simulator.engine.retention import Retention
from tests.engine.helpers import START_MS, Recorder, a, rejects
from tests.engine.perp_helpers import (assert_clean, limit, market, new_futures, perp_fingerprint, perp_spec,
                                       trader, wallet)


@pytest.fixture
def venue():
    engine, clock = new_futures()
    return engine, clock


# --- accounts --------------------------------------------------------------------------------------------------
def test_an_account_opens_under_the_given_id_with_defaults_and_moves_the_next_id(venue):
    engine, _ = venue
    account = engine.ensure_account(7)
    assert (account.account_id, account.name, account.fee_tier, account.keeps_history) == (7, "account-7", 0, True)
    assert engine.next_account_id == 8
    engine.ensure_account(3)  # a lower id leaves the next one alone
    assert engine.next_account_id == 8
    named = engine.ensure_account(9, "maker", 2, keeps_history=False)
    assert (named.name, named.fee_tier, named.keeps_history) == ("maker", 2, False)
    assert engine.next_account_id == 10


def test_an_existing_account_is_returned_as_it_is(venue):
    engine, _ = venue
    first = engine.ensure_account(5, "first")
    engine.deposit(5, "USDT", a("10"))
    again = engine.ensure_account(5, "second", 3)
    assert again is first and engine.accounts[5] is first
    assert (first.name, first.fee_tier, wallet(engine, 5)) == ("first", 0, a("10"))


def test_fee_tier_selects_the_futures_tier_and_the_last_one_beyond_the_table(venue):
    engine, _ = venue
    account = trader(engine, "0")
    assert engine.commission_rates(account) == FUTURES_TIERS[0]
    engine.set_fee_tier(account, 3)
    assert engine.accounts[account].fee_tier == 3
    assert engine.commission_rates(account) == FUTURES_TIERS[3]
    engine.set_fee_tier(account, 42)
    assert engine.commission_rates(account) == FUTURES_TIERS[9] == FUTURES_TIERS[-1]
    rejects(Reject.UNKNOWN_ACCOUNT, engine.set_fee_tier, 999, 1)
    rejects(Reject.UNKNOWN_ACCOUNT, engine.commission_rates, 999)


# --- deposits --------------------------------------------------------------------------------------------------
def test_a_deposit_credits_the_wallet_records_a_transfer_and_reports_it(venue):
    engine, clock = venue
    account = trader(engine, "0")
    clock.set(START_MS + 12_345)
    events = Recorder(engine)
    first = engine.seq + 1
    result = engine.deposit(account, "USDT", a("250"))
    assert result == FuturesTransferResult(account, "USDT", a("250"), a("250"), 1, first, first)
    assert engine.accounts[account].free("USDT") == a("250")
    assert engine.deposits["USDT"] == a("250")
    assert engine.income_of(account) == [
        IncomeRecord(1, account, "", "TRANSFER", a("250"), "USDT", "DEPOSIT", START_MS + 12_345, "")]
    [update] = events.events
    assert (update.kind, update.seq, update.time, update.account_id, update.reason) == (
        "account_update", first, START_MS + 12_345, account, "DEPOSIT")
    assert update.balances == (BalanceRow("USDT", a("250"), a("250"), a("250")),) and update.positions == ()
    assert engine.accounts[account].update_time == START_MS + 12_345
    second = engine.deposit(account, "USDT", a("50"), reason="TRANSFER_IN", info="from spot")
    assert (second.amount, second.wallet_balance, second.tran_id) == (a("50"), a("300"), 2)
    assert engine.deposits["USDT"] == a("300")
    assert engine.income_of(account)[-1].info == "from spot"
    assert events.events[-1].reason == "TRANSFER_IN"


def test_a_transfer_row_says_its_reason_when_no_info_is_given(venue):
    engine, _ = venue
    account = trader(engine, "0")
    engine.deposit(account, "USDT", a("1"), reason="TRANSFER_IN")
    assert engine.income_of(account)[-1].info == "TRANSFER_IN"


def test_a_deposit_must_be_a_positive_integer_of_atoms(venue):
    engine, _ = venue
    account = trader(engine, "0")
    before = perp_fingerprint(engine)
    for amount in (0, -1, Decimal("5"), 2.0, "5"):
        rejects(Reject.INVALID_AMOUNT, engine.deposit, account, "USDT", amount)
    rejects(Reject.UNKNOWN_ACCOUNT, engine.deposit, 999, "USDT", 1)
    assert perp_fingerprint(engine) == before
    engine.deposit(account, "USDT", 1)  # one atom is a deposit
    assert wallet(engine, account) == 1


# --- withdrawals -----------------------------------------------------------------------------------------------
def test_a_withdrawal_debits_the_wallet_up_to_all_that_is_free(venue):
    engine, clock = venue
    account = trader(engine, "100")
    clock.set(START_MS + 777)
    events = Recorder(engine)
    first = engine.seq + 1
    assert engine.max_withdraw(account, "USDT") == a("100")
    result = engine.withdraw(account, "USDT", a("30"))
    assert result == FuturesTransferResult(account, "USDT", a("30"), a("70"), 2, first, first)
    assert engine.income_of(account)[-1] == IncomeRecord(2, account, "", "TRANSFER", -a("30"), "USDT", "WITHDRAW",
                                                         START_MS + 777, "")
    [update] = events.events
    assert (update.seq, update.time, update.account_id, update.reason) == (first, START_MS + 777, account,
                                                                           "WITHDRAW")
    assert update.balances == (BalanceRow("USDT", a("70"), a("70"), -a("30")),)
    assert engine.withdrawals["USDT"] == a("30")
    engine.withdraw(account, "USDT", 1, reason="TRANSFER_OUT", info="to spot")
    assert engine.withdrawals["USDT"] == a("30") + 1
    assert engine.income_of(account)[-1].info == "to spot" and events.events[-1].reason == "TRANSFER_OUT"
    rejects(Reject.INSUFFICIENT_BALANCE, engine.withdraw, account, "USDT", a("70"))  # one atom more than free
    engine.withdraw(account, "USDT", a("70") - 1)  # exactly all that is left
    assert wallet(engine, account) == 0 and engine.max_withdraw(account, "USDT") == 0
    assert_clean(engine)


def test_a_withdrawal_must_be_a_positive_integer_of_atoms(venue):
    engine, _ = venue
    account = trader(engine, "100")
    before = perp_fingerprint(engine)
    for amount in (0, -1, Decimal("5"), 2.0):
        rejects(Reject.INVALID_AMOUNT, engine.withdraw, account, "USDT", amount)
    rejects(Reject.UNKNOWN_ACCOUNT, engine.withdraw, 999, "USDT", 1)
    rejects(Reject.INSUFFICIENT_BALANCE, engine.withdraw, account, "BTC", 1)  # nothing of that asset
    assert perp_fingerprint(engine) == before
    engine.withdraw(account, "USDT", 1)
    assert wallet(engine, account) == a("100") - 1


def test_max_withdraw_holds_back_position_margin_and_open_orders(venue):
    engine, _ = venue
    maker, account = trader(engine), trader(engine, "100000")
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, account, "BUY", "1")  # fee 25; initial margin 2,500 at 20x
    assert engine.max_withdraw(account, "USDT") == a("100000") - a("25") - a("2500")
    limit(engine, account, "BUY", "40000", "1")  # 2,000 more held by the order
    assert engine.max_withdraw(account, "USDT") == a("100000") - a("25") - a("2500") - a("2000")
    rejects(Reject.INSUFFICIENT_BALANCE, engine.withdraw, account, "USDT", a("95475") + 1)
    engine.withdraw(account, "USDT", a("95475"))
    assert engine.max_withdraw(account, "USDT") == 0
    assert_clean(engine)


def test_unrealized_profit_cannot_be_withdrawn(venue):
    engine, _ = venue
    maker, account = trader(engine), trader(engine, "100000")
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, account, "BUY", "1")
    engine.set_index("BTCUSDT", a("60000"))  # +10,000 unrealized, 3,000 of initial margin
    risk = engine.risk(account, "USDT")
    assert (risk.free, risk.cross_unrealized, risk.cross_initial) == (a("99975"), a("10000"), a("3000"))
    assert risk.available_raw == a("106975")
    assert engine.max_withdraw(account, "USDT") == a("99975")  # the wallet's free part, not more
    rejects(Reject.UNKNOWN_ACCOUNT, engine.risk, 999, "USDT")


def test_nothing_can_be_withdrawn_while_losses_exceed_the_free_margin(venue):
    engine, _ = venue
    maker, account = trader(engine), trader(engine, "3000")
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, account, "BUY", "1")
    engine.set_index("BTCUSDT", a("49000"))  # 2,975 - 1,000 - 2,450: 475 short of the initial margin
    assert engine.risk(account, "USDT").available_raw == -a("475")
    assert engine.max_withdraw(account, "USDT") == 0
    rejects(Reject.INSUFFICIENT_BALANCE, engine.withdraw, account, "USDT", 1)


# --- the insurance fund and force orders ------------------------------------------------------------------------
def test_the_insurance_fund_starts_empty_for_each_margin_asset(venue):
    engine, _ = venue
    assert engine.insurance == {"USDT": 0}
    assert engine.insurance_fund("USDT") == 0 and engine.insurance_fund("BTC") == 0


def _liquidate_two(engine):
    """Two longs of 1 BTC from 3,000 each, liquidated by one index move against a deep bid."""
    liquidity = trader(engine, "10000000")
    victims = [trader(engine, "3000"), trader(engine, "3000")]
    for victim in victims:
        limit(engine, liquidity, "SELL", "50000", "1")
        market(engine, victim, "BUY", "1")
    limit(engine, liquidity, "BUY", "47000", "5")
    result = engine.set_index("BTCUSDT", a("47200"))
    return victims, result


def test_force_orders_are_found_by_account_and_symbol(venue):
    engine, _ = venue
    (first, second), result = _liquidate_two(engine)
    assert [o.account_id for o in result.orders] == [first, second]
    one, two = result.orders
    assert [o.client_id for o in (one, two)] == ["autoclose-1", "autoclose-2"]
    assert engine.next_liquidation == 3
    assert engine.force_orders_of() == [one, two]
    assert engine.force_orders_of(first) == [one] and engine.force_orders_of(second) == [two]
    assert engine.force_orders_of(symbol="BTCUSDT") == [one, two]
    assert engine.force_orders_of(first, "BTCUSDT") == [one]
    assert engine.force_orders_of(first, "ETHUSDT") == [] and engine.force_orders_of(symbol="ETHUSDT") == []
    assert_clean(engine)


def test_force_orders_kept_follow_the_closed_order_retention():
    def engine_with(retention):
        engine = FuturesEngine(ManualClock(START_MS), random.Random(1), instruments=(perp_spec(),),
                               retention=retention)
        engine.set_index("BTCUSDT", a("50000"))
        return engine

    kept_all = engine_with(Retention())
    _, result = _liquidate_two(kept_all)
    assert list(kept_all.force_orders) == result.orders
    kept_two = engine_with(Retention(closed_orders=2))
    _, result = _liquidate_two(kept_two)
    assert kept_two.force_orders.maxlen == 2 and list(kept_two.force_orders) == result.orders
    kept_none = engine_with(Retention(closed_orders=0))  # none kept for accounts: still the latest one
    _, result = _liquidate_two(kept_none)
    assert list(kept_none.force_orders) == result.orders[-1:]
