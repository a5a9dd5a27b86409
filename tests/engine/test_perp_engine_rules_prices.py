"""Index, mark and funding at the engine: the index and premium setters' bounds and what they record, a price move
without checks followed by `check_marks`, the book's basis, the clock's premium samples once a minute, funding
due on the clock or settled by the control plane (one symbol or all, liquidations of every symbol reported), and
the readings a position's margin starts from (its entry while there is no mark, what an order could close)."""
from __future__ import annotations

from decimal import Decimal

from simulator.engine.perp.results import LiquidationResult
from simulator.engine.rejection import Reject
from tests.engine.helpers import START_MS, Recorder, a, rejects
from tests.engine.perp_helpers import (assert_clean, limit, market, new_futures, perp_fingerprint, perp_spec,
                                       position, trader)

MINUTE = 60_000


def _long(engine, maker, account, qty="1", price="50000", symbol="BTCUSDT"):
    limit(engine, maker, "SELL", price, qty, symbol=symbol)
    market(engine, account, "BUY", qty, symbol=symbol)


# --- the index and the premium ---------------------------------------------------------------------------------
def test_an_index_must_be_a_positive_integer_of_atoms():
    engine, _ = new_futures()
    before = perp_fingerprint(engine)
    for price in (0, -1, Decimal(50000), 50000.0):
        rejects(Reject.INVALID_AMOUNT, engine.set_index, "BTCUSDT", price)
    rejects(Reject.UNKNOWN_SYMBOL, engine.set_index, "ETHUSDT", a("1"))
    assert perp_fingerprint(engine) == before
    engine.set_index("BTCUSDT", 1)
    assert (engine.index("BTCUSDT"), engine.mark("BTCUSDT")) == (1, 1)


def test_an_index_without_checks_records_both_prices_and_reports_nothing():
    engine, clock = new_futures()
    engine.set_premium("BTCUSDT", a("20"))
    clock.set(START_MS + 2 * MINUTE + 5_000)
    seq = engine.seq
    result = engine.set_index("BTCUSDT", a("51000"), check=False)
    assert result == LiquidationResult([], seq + 1, seq) and engine.seq == seq
    minute = START_MS + 2 * MINUTE
    assert engine.price_history("BTCUSDT", "index")[-1] == [minute] + [a("51000")] * 4
    assert engine.price_history("BTCUSDT", "mark")[-1] == [minute] + [a("51020")] * 4
    rejects(Reject.INVALID_ORDER, engine.price_history, "BTCUSDT", "last")


def test_a_move_without_checks_liquidates_only_when_the_marks_are_checked():
    engine, clock = new_futures()
    maker, victim = trader(engine, "10000000"), trader(engine, "3000")
    _long(engine, maker, victim)
    limit(engine, maker, "BUY", "47000", "5")
    engine.set_index("BTCUSDT", a("47200"), check=False)
    assert position(engine, victim).amt == a("1") and not engine.force_orders_of(victim)
    clock.set(START_MS + 3_000)
    events = Recorder(engine)
    first = engine.seq + 1
    result = engine.check_marks("BTCUSDT")
    assert [o.account_id for o in result.orders] == [victim] and position(engine, victim).amt == 0
    assert (result.first_seq, result.last_seq) == (first, engine.seq) and engine.seq > first
    assert {e.time for e in events.events} == {START_MS + 3_000}
    rejects(Reject.UNKNOWN_SYMBOL, engine.check_marks, "ETHUSDT")
    assert_clean(engine)


def test_a_mark_move_that_liquidates_nothing_reports_an_empty_range():
    engine, _ = new_futures()
    seq = engine.seq
    assert engine.set_index("BTCUSDT", a("49000")) == LiquidationResult([], seq + 1, seq)
    assert engine.set_premium("BTCUSDT", a("5")) == LiquidationResult([], seq + 1, seq)


def test_the_premium_needs_an_index_and_keeps_the_mark_positive():
    engine, _ = new_futures(index=None)
    rejects(Reject.INVALID_ORDER, engine.set_premium, "BTCUSDT", a("1"))
    engine.set_index("BTCUSDT", a("100"))
    before = perp_fingerprint(engine)
    for premium in (-a("100"), -a("101"), Decimal(1), 1.0):
        rejects(Reject.INVALID_AMOUNT, engine.set_premium, "BTCUSDT", premium)
    assert perp_fingerprint(engine) == before
    engine.set_premium("BTCUSDT", -a("100") + 1)  # a mark of one atom
    assert engine.mark("BTCUSDT") == 1


# --- the basis and the clock -----------------------------------------------------------------------------------
def test_the_basis_needs_both_sides_of_the_book_and_an_index():
    engine, _ = new_futures(index=None)
    maker = trader(engine)
    limit(engine, maker, "BUY", "49999.9", "1")
    limit(engine, maker, "SELL", "50000.3", "1")
    assert engine.basis("BTCUSDT") is None  # no index
    engine.set_index("BTCUSDT", a("49990"))
    basis = engine.basis("BTCUSDT")
    assert basis == a("10.1") and type(basis) is int  # mid 50,000.1 less the index
    one_sided, _ = new_futures()
    limit(one_sided, trader(one_sided), "BUY", "49999.9", "1")
    assert one_sided.basis("BTCUSDT") is None


def test_the_premium_is_sampled_from_the_book_once_a_minute():
    engine, _ = new_futures(perp_spec("ADAUSDT"), perp_spec("BTCUSDT"), index=None)
    engine.set_index("BTCUSDT", a("50000"))  # ADAUSDT, sorted first, has no index: skipped, not the end
    maker = trader(engine)
    limit(engine, maker, "BUY", "50100", "1")
    limit(engine, maker, "SELL", "50200", "1")
    schedule = engine.funding["BTCUSDT"]
    engine.tick(START_MS + 30_000)
    assert (schedule.samples, schedule.premium_sum) == (1, Decimal("0.002"))
    assert schedule.next_sample == START_MS + MINUTE  # the next minute boundary
    assert engine.funding["ADAUSDT"].samples == 0
    engine.tick(START_MS + MINUTE - 1)
    assert schedule.samples == 1
    engine.cancel_all(maker, "BTCUSDT")
    limit(engine, maker, "BUY", "49800", "1")
    limit(engine, maker, "SELL", "49900", "1")
    engine.tick(START_MS + MINUTE)  # due exactly now
    assert (schedule.samples, schedule.premium_sum) == (2, Decimal(0))
    assert schedule.next_sample == START_MS + 2 * MINUTE


def test_the_clock_records_the_mark_only_when_its_premium_moves():
    engine, clock = new_futures()
    clock.set(START_MS + MINUTE)
    engine.tick(START_MS + MINUTE)  # an empty book pulls the premium to 0: it is 0 already
    assert len(engine.price_history("BTCUSDT", "mark")) == 1
    engine.set_premium("BTCUSDT", a("1000"))
    clock.set(START_MS + 2 * MINUTE)
    engine.tick(START_MS + 2 * MINUTE)  # a minute since the premium was set: decay toward 0, 5 minute constant
    premium = a("1000") + (0 - a("1000")) * MINUTE // (MINUTE + 300_000)
    assert engine.mark("BTCUSDT") == a("50000") + premium
    assert engine.price_history("BTCUSDT", "mark")[-1] == [START_MS + 2 * MINUTE] + [a("50000") + premium] * 4


# --- funding ---------------------------------------------------------------------------------------------------
def test_funding_due_on_the_clock_reports_its_range_and_liquidates_at_that_time():
    engine, clock = new_futures()
    maker, victim = trader(engine, "10000000"), trader(engine, "2700")
    _long(engine, maker, victim)
    limit(engine, maker, "BUY", "49990", "5")
    engine.set_funding_rate("BTCUSDT", Decimal("0.05"))  # 2,500 to pay: under maintenance
    due = engine.funding["BTCUSDT"].next_time
    clock.set(due)
    events = Recorder(engine)
    first = engine.seq + 1
    result = engine.settle_due(due)
    assert [s.symbol for s in result.settlements] == ["BTCUSDT"]
    assert [o.account_id for o in result.liquidated] == [victim]
    assert (result.first_seq, result.last_seq) == (first, engine.seq)
    assert [e.seq for e in events.events] == list(range(first, engine.seq + 1))
    assert {e.time for e in events.events} == {due}
    assert_clean(engine)


def test_funding_settled_for_one_symbol_leaves_the_others():
    engine, _ = new_futures(perp_spec("BTCUSDT"), perp_spec("ETHUSDT"))
    seq = engine.seq
    result = engine.settle_funding("ETHUSDT")
    assert [s.symbol for s in result.settlements] == ["ETHUSDT"] and (result.first_seq, result.last_seq) == (
        seq + 1, seq + 1)
    assert engine.funding_history("BTCUSDT") == [] and len(engine.funding_history("ETHUSDT")) == 1
    assert [s.symbol for s in engine.settle_funding().settlements] == ["BTCUSDT", "ETHUSDT"]
    rejects(Reject.UNKNOWN_SYMBOL, engine.settle_funding, "XRPUSDT")


def test_funding_settled_for_all_symbols_reports_every_liquidation():
    engine, _ = new_futures(perp_spec("BTCUSDT"), perp_spec("ETHUSDT"))
    maker, victim = trader(engine, "10000000"), trader(engine, "2700")
    _long(engine, maker, victim)  # on BTCUSDT, settled before ETHUSDT
    limit(engine, maker, "BUY", "49990", "5")
    engine.set_funding_rate("BTCUSDT", Decimal("0.05"))
    result = engine.settle_funding()
    assert [s.symbol for s in result.settlements] == ["BTCUSDT", "ETHUSDT"]
    assert [o.account_id for o in result.liquidated] == [victim]
    assert_clean(engine)


# --- readings --------------------------------------------------------------------------------------------------
def test_without_a_mark_a_position_counts_at_its_entry_price_rounded_down():
    engine, _ = new_futures(index=None)
    maker, account = trader(engine), trader(engine)
    _long(engine, maker, account, "0.001", "50000")
    _long(engine, maker, account, "0.002", "50000.1")
    held = position(engine, account)
    assert held.cost == a("150.0002") and held.amt == a("0.003")
    entry = engine.mark_or_entry(held)
    assert entry == a("150.0002") * a("1") // a("0.003") == 5000006666666 and type(entry) is int
    limit(engine, maker, "BUY", "50000", "0.003")
    market(engine, account, "SELL", "0.003")
    assert held.amt == 0 and engine.mark_or_entry(held) == 0


def test_what_an_order_could_close_is_the_opposite_positions_size():
    engine, _ = new_futures()
    maker, account = trader(engine), trader(engine)
    assert engine.position_size(account, "BTCUSDT", "BOTH", False) == 0  # no position
    _long(engine, maker, account, "0.5")
    assert engine.position_size(account, "BTCUSDT", "BOTH", False) == a("0.5")
    assert engine.position_size(account, "BTCUSDT", "BOTH", True) == 0  # a buy would open more
    assert engine.position_size(maker, "BTCUSDT", "BOTH", True) == a("0.5")
    assert engine.open_interest("BTCUSDT") == a("0.5")


def test_position_rows_of_one_symbol_show_that_symbol_only():
    engine, _ = new_futures(perp_spec("BTCUSDT"), perp_spec("ETHUSDT"))
    maker, account = trader(engine), trader(engine)
    _long(engine, maker, account, symbol="ETHUSDT")
    assert [r.symbol for r in engine.position_rows(account, "ETHUSDT")] == ["ETHUSDT"]
    assert [r.symbol for r in engine.position_rows(account, "BTCUSDT")] == ["BTCUSDT"]
    assert [r.symbol for r in engine.position_rows(account)] == ["BTCUSDT", "ETHUSDT"]
