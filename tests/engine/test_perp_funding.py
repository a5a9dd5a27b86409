"""Funding: the rate as Binance composes it, settlement at each interval on the injected clock, who pays whom,
income rows, history, the next funding time, and the FUNDING_FEE account updates."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.engine.perp.funding import funding_rate, premium_index
from simulator.engine.perp.instrument import HOUR_MS
from tests.engine.helpers import Recorder, a
from tests.engine.perp_helpers import assert_clean, limit, market, new_futures, perp_spec, trader, wallet


@pytest.fixture
def positioned():
    """A long (taker) and a short (maker) of 1 BTC at 50,000, the index at 50,000."""
    engine, clock = new_futures()
    maker, taker = trader(engine), trader(engine)
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, taker, "BUY", "1")
    return engine, clock, maker, taker


def test_rate_is_premium_plus_clamped_interest_then_capped():
    interest, floor, cap = Decimal("0.0001"), Decimal("-0.0075"), Decimal("0.0075")
    assert funding_rate(Decimal(0), interest, floor, cap) == Decimal("0.0001")
    # a premium within 0.05 % of the interest rate gives exactly the interest rate
    assert funding_rate(Decimal("0.0003"), interest, floor, cap) == Decimal("0.0001")
    assert funding_rate(Decimal("0.002"), interest, floor, cap) == Decimal("0.0015")  # clamp at -0.05 %
    assert funding_rate(Decimal("0.02"), interest, floor, cap) == Decimal("0.0075")  # the cap
    assert funding_rate(Decimal("-0.02"), interest, floor, cap) == Decimal("-0.0075")


def test_premium_index_from_best_prices():
    assert premium_index(a("50100"), a("50200"), a("50000")) == Decimal("0.002")
    assert premium_index(a("49800"), a("49900"), a("50000")) == Decimal("-0.002")
    assert premium_index(a("49900"), a("50100"), a("50000")) == 0


def test_positive_rate_longs_pay_shorts(positioned):
    engine, _, maker, taker = positioned
    long_before, short_before = wallet(engine, taker), wallet(engine, maker)
    engine.set_funding_rate("BTCUSDT", Decimal("0.001"))
    result = engine.settle_funding("BTCUSDT")
    assert wallet(engine, taker) == long_before - a("50")  # 1 x 50,000 x 0.1 %
    assert wallet(engine, maker) == short_before + a("50")
    assert result.settlements[0].payers == 1 and result.settlements[0].receivers == 1
    assert engine.income_of(taker)[-1][3:6] == ("FUNDING_FEE", -a("50"), "USDT")
    assert engine.funding_history("BTCUSDT")[-1].rate == Decimal("0.001")
    assert_clean(engine)


def test_negative_rate_shorts_pay_longs(positioned):
    engine, _, maker, taker = positioned
    long_before = wallet(engine, taker)
    engine.set_funding_rate("BTCUSDT", Decimal("-0.0002"))
    engine.settle_funding()
    assert wallet(engine, taker) == long_before + a("10")
    assert_clean(engine)


def test_rounding_never_creates_money():
    engine, _ = new_futures(index="33333.3")
    maker = trader(engine)
    longs = [trader(engine) for _ in range(3)]
    for account in longs:
        limit(engine, maker, "SELL", "33333.3", "0.001")
        market(engine, account, "BUY", "0.001")
    engine.set_funding_rate("BTCUSDT", Decimal("0.00012345"))
    engine.settle_funding()
    assert engine.funding_total["USDT"] <= 0 and engine.insurance["USDT"] == -engine.funding_total["USDT"]
    assert_clean(engine)


def test_settles_on_the_clock_at_the_interval_and_rolls(positioned):
    engine, clock, maker, taker = positioned
    events = Recorder(engine)
    due = engine.funding["BTCUSDT"].next_time
    assert due % (8 * HOUR_MS) == 0
    engine.tick(due - 1)
    assert not engine.funding_history("BTCUSDT")
    clock.set(due)
    engine.tick(due)
    assert engine.funding_history("BTCUSDT")[-1].funding_time == due
    assert engine.funding["BTCUSDT"].next_time == due + 8 * HOUR_MS
    settled = events.of("funding")
    assert len(settled) == 1 and settled[0].rate == Decimal("0.0001")  # no premium: the interest rate
    updates = [e for e in events.of("account_update") if e.reason == "FUNDING_FEE"]
    assert {u.account_id for u in updates} == {maker, taker}
    assert all(not u.positions for u in updates)  # cross positions: the balance only
    assert updates[0].balances[0].balance_change in (-a("5"), a("5"))


def test_only_positions_open_at_settlement_pay(positioned):
    engine, _, maker, taker = positioned
    limit(engine, maker, "BUY", "50000", "1")
    market(engine, taker, "SELL", "1")  # both flat again
    before = wallet(engine, taker)
    engine.settle_funding("BTCUSDT")
    assert wallet(engine, taker) == before


def test_isolated_position_pays_from_its_wallet_and_reports_it(positioned):
    engine, _, maker, _ = positioned
    iso = trader(engine)
    engine.set_margin_type(iso, "BTCUSDT", "ISOLATED")
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, iso, "BUY", "1")
    held = engine.positions[(iso, "BTCUSDT", "BOTH")].isolated_wallet
    events = Recorder(engine)
    engine.settle_funding("BTCUSDT")
    assert engine.positions[(iso, "BTCUSDT", "BOTH")].isolated_wallet == held - a("5")
    update = [e for e in events.of("account_update") if e.account_id == iso][0]
    assert update.positions and update.positions[0].margin_type == "isolated"
    assert_clean(engine)


def test_each_symbol_its_own_interval():
    engine, _ = new_futures(perp_spec("BTCUSDT"), perp_spec("ETHUSDT", funding_interval_hours=4))
    assert engine.funding["ETHUSDT"].next_time % (4 * HOUR_MS) == 0
    assert engine.instruments["ETHUSDT"].funding_interval_ms == 4 * HOUR_MS


def test_funding_that_exhausts_the_margin_liquidates():
    engine, _ = new_futures()
    liquidity, victim = trader(engine, "1000000"), trader(engine, "2700")
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, victim, "BUY", "1")  # margin 2,675 vs maintenance 200
    limit(engine, liquidity, "BUY", "49990", "5")
    engine.set_funding_rate("BTCUSDT", Decimal("0.05"))  # 2,500 to pay: 175 left, under maintenance
    result = engine.settle_funding("BTCUSDT")
    assert [o.type for o in result.liquidated] == ["LIQUIDATION"]
    assert engine.positions[(victim, "BTCUSDT", "BOTH")].amt == 0
    assert_clean(engine)


def test_interest_is_per_eight_hours_scaled_to_the_interval():
    engine, _ = new_futures(perp_spec("BTCUSDT"), perp_spec("ETHUSDT", funding_interval_hours=4))
    assert engine.mark_view("BTCUSDT").interest_rate == Decimal("0.0001")
    assert engine.mark_view("ETHUSDT").interest_rate == Decimal("0.00005")
    assert engine.mark_view("ETHUSDT").last_funding_rate == Decimal("0.00005")
