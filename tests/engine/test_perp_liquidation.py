"""Liquidation (cross uses the whole wallet, isolated only the position's), the margin call before it, the
insurance fund, and what the liquidation shows: a LIQUIDATION order, a force order event, INSURANCE_CLEAR."""
from __future__ import annotations

import pytest

from tests.engine.helpers import Recorder, a
from tests.engine.perp_helpers import assert_clean, limit, market, new_futures, position, trader


@pytest.fixture
def venue():
    engine, clock = new_futures()
    liquidity = trader(engine, "10000000")
    return engine, liquidity


def _long(engine, liquidity, account, qty="1", price="50000"):
    limit(engine, liquidity, "SELL", price, qty)
    market(engine, account, "BUY", qty)


def test_margin_call_then_cross_liquidation_at_maintenance(venue):
    engine, liquidity = venue
    victim = trader(engine, "3000")
    _long(engine, liquidity, victim)  # wallet 2,975 after the fee; maintenance 0.4 % of notional
    limit(engine, liquidity, "BUY", "47000", "5")  # the bid the liquidation will hit
    events = Recorder(engine)
    engine.set_index("BTCUSDT", a("47400"))  # margin 375 vs maintenance 189.6: 50 % - no call yet
    assert not events.of("margin_call")
    engine.set_index("BTCUSDT", a("47200"))  # margin 175 vs 188.8: liquidated (ratio crossed both)
    forced = events.of("force_order")
    assert len(forced) == 1 and forced[0].order.type == "LIQUIDATION"
    assert forced[0].order.client_id.startswith("autoclose-")
    assert position(engine, victim).amt == 0
    assert engine.force_orders_of(victim)[0] is forced[0].order
    assert_clean(engine)


def test_margin_call_comes_first_and_once(venue):
    engine, liquidity = venue
    victim = trader(engine, "3000")
    _long(engine, liquidity, victim)
    events = Recorder(engine)
    engine.set_index("BTCUSDT", a("47250"))  # margin 225 vs maintenance 189: 84 % of it
    engine.set_index("BTCUSDT", a("47240"))
    calls = events.of("margin_call")
    assert len(calls) == 1 and calls[0].account_id == victim
    assert calls[0].positions[0].margin_type == "CROSSED" and calls[0].positions[0].amt == a("1")
    assert not events.of("force_order")


def test_shortfall_is_paid_by_the_insurance_fund(venue):
    engine, liquidity = venue
    victim = trader(engine, "3000")
    _long(engine, liquidity, victim)
    limit(engine, liquidity, "BUY", "40000", "5")  # a gap: the only bid far below bankruptcy
    events = Recorder(engine)
    engine.set_index("BTCUSDT", a("47000"))
    assert position(engine, victim).amt == 0
    assert engine.accounts[victim].balances["USDT"] == [0, 0]
    clear = [r for r in engine.income_of(victim) if r.income_type == "INSURANCE_CLEAR"]
    assert clear and clear[0].income > 0
    assert engine.insurance_fund("USDT") == -clear[0].income + -engine.funding_total.get("USDT", 0)
    assert any(u.account_id == victim for u in events.of("account_update"))
    assert_clean(engine)


def test_cross_uses_the_whole_wallet(venue):
    engine, liquidity = venue
    rich = trader(engine, "100000")
    _long(engine, liquidity, rich)
    engine.set_index("BTCUSDT", a("47000"))
    assert position(engine, rich).amt == a("1")  # 100,000 behind it: nowhere near


def test_isolated_liquidation_spares_the_rest_of_the_wallet(venue):
    engine, liquidity = venue
    victim = trader(engine, "100000")
    engine.set_margin_type(victim, "BTCUSDT", "ISOLATED")
    _long(engine, liquidity, victim)  # isolated wallet 2,475
    limit(engine, liquidity, "BUY", "47500", "5")
    other = engine.accounts[victim].free("USDT")
    engine.set_index("BTCUSDT", a("47700"))  # 2,475 - 2,300 = 175 < maintenance 190.8
    assert position(engine, victim).amt == 0
    assert engine.accounts[victim].free("USDT") >= other - a("2475")
    assert engine.accounts[victim].free("USDT") > a("97000")
    assert_clean(engine)


def test_liquidation_cancels_the_open_orders_first(venue):
    engine, liquidity = venue
    victim = trader(engine, "3100")
    _long(engine, liquidity, victim)
    resting = limit(engine, victim, "BUY", "30000", "0.001").order
    limit(engine, liquidity, "BUY", "47000", "5")
    engine.set_index("BTCUSDT", a("47100"))  # 3,075 - 2,900 = 175 < maintenance 188.4
    assert resting.status == "CANCELED"
    assert position(engine, victim).amt == 0
    assert_clean(engine)


def test_a_short_is_liquidated_when_the_price_rises(venue):
    engine, liquidity = venue
    victim = trader(engine, "3000")
    limit(engine, liquidity, "BUY", "50000", "1")
    market(engine, victim, "SELL", "1")
    limit(engine, liquidity, "SELL", "53000", "5")
    engine.set_index("BTCUSDT", a("52800"))
    assert position(engine, victim).amt == 0
    assert_clean(engine)


def test_what_is_left_above_bankruptcy_goes_to_the_insurance_fund(venue):
    engine, liquidity = venue
    victim = trader(engine, "3000")
    _long(engine, liquidity, victim)  # cross wallet 2,975
    limit(engine, liquidity, "BUY", "47200", "5")  # the liquidation sells at the mark: above bankruptcy
    fund = engine.insurance_fund("USDT")
    engine.set_index("BTCUSDT", a("47200"))  # margin 175 vs maintenance 188.8
    assert position(engine, victim).amt == 0
    assert engine.accounts[victim].balances["USDT"] == [0, 0]  # a cross wallet at bankruptcy: nothing left
    fee = [r for r in engine.income_of(victim) if r.info == "LIQUIDATION_CLEARANCE"]
    # 175 of margin at the mark, less the 23.60 taker fee of the close: 151.40 kept by the fund
    assert len(fee) == 1 and fee[0].income == -a("151.4") and fee[0].income_type == "INSURANCE_CLEAR"
    assert engine.insurance_fund("USDT") == fund + a("151.4")
    assert_clean(engine)


def test_hedge_mode_cross_liquidation_closes_both_sides(venue):
    engine, liquidity = venue
    victim = trader(engine, "3600")
    engine.set_position_mode(victim, True)
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, victim, "BUY", "1", position_side="LONG")
    limit(engine, liquidity, "BUY", "50000", "0.2")
    market(engine, victim, "SELL", "0.2", position_side="SHORT")  # a small hedge: net long 0.8
    limit(engine, liquidity, "BUY", "46000", "5")
    limit(engine, liquidity, "SELL", "48000", "5")
    events = Recorder(engine)
    engine.set_index("BTCUSDT", a("45600"))  # 3,570 - 4,400 + 880 = 50 < maintenance 218.88 (both sides)
    assert position(engine, victim, side="LONG").amt == 0 and position(engine, victim, side="SHORT").amt == 0
    assert {e.order.position_side for e in events.of("force_order")} == {"LONG", "SHORT"}
    assert_clean(engine)


def test_a_liquidation_that_fills_a_thin_account_liquidates_it_in_the_same_move(venue):
    engine, liquidity = venue
    bidder = trader(engine, "2600")  # no position when the move starts: not among the accounts first judged
    victim = trader(engine, "3000")
    _long(engine, liquidity, victim)  # long 1 at 50,000
    limit(engine, bidder, "BUY", "47000", "1")  # a resting bid far above where the market goes, 20x
    limit(engine, liquidity, "BUY", "40000", "5")
    events = Recorder(engine)
    engine.set_index("BTCUSDT", a("44000"))  # the victim is liquidated into the bidder's order...
    forced = [e.order.account_id for e in events.of("force_order")]
    # ...which leaves the bidder long 1 at 47,000 with the mark at 44,000: 2,600 - 23.5 - 3,000 < maintenance
    assert forced[:2] == [victim, bidder]
    assert position(engine, bidder).amt == 0
    assert_clean(engine)
