"""What the futures endpoints read: positionRisk rows (Binance's liquidation price formula), account totals,
premiumIndex."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.engine.helpers import a
from tests.engine.perp_helpers import limit, market, new_futures, trader


@pytest.fixture
def venue():
    engine, clock = new_futures()
    return engine, trader(engine, "10000000")


def test_isolated_liquidation_price_is_where_margin_meets_maintenance(venue):
    engine, liquidity = venue
    me = trader(engine, "10000")
    engine.set_margin_type(me, "BTCUSDT", "ISOLATED")
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")  # isolated wallet 2,475
    row = engine.position_rows(me, "BTCUSDT")[0]
    # (2,475 - 50,000) / (0.004 - 1) = 47,715.86...
    assert row.liquidation_price == Decimal("47715.86345381")
    assert (row.margin_type, row.isolated_wallet, row.isolated_margin) == ("isolated", a("2475"), a("2475"))
    assert row.leverage == 20 and row.notional == a("50000") and row.maint_margin == a("200")
    assert row.initial_margin == a("2500") and row.entry_price == Decimal("50000")


def test_cross_liquidation_price_uses_the_whole_wallet(venue):
    engine, liquidity = venue
    me = trader(engine, "10000")
    limit(engine, liquidity, "BUY", "50000", "1")
    market(engine, me, "SELL", "1")  # wallet 9,975, short 1 at 50,000
    row = engine.position_rows(me, "BTCUSDT")[0]
    # first bracket: (9,975 + 50,000) / (0.004 + 1) = 59,736 is beyond its 50,000 cap, so the second bracket's rate
    # and amount: (9,975 + 205 + 50,000) / (0.0081 + 1) = 59,696.45...: margin 278.54 == maintenance 278.54 there
    assert row.liquidation_price == Decimal("59696.45868465")
    assert row.amt == -a("1") and row.notional == -a("50000")


def test_account_totals_add_up(venue):
    engine, liquidity = venue
    me = trader(engine, "10000")
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")
    limit(engine, me, "BUY", "40000", "0.1")  # 200 of open-order margin
    engine.set_index("BTCUSDT", a("51000"))
    totals = engine.account_view(me).totals
    assert totals.wallet_balance == a("9975") and totals.unrealized == a("1000")
    assert totals.margin_balance == a("10975")
    assert totals.position_initial_margin == a("2550") and totals.open_order_initial_margin == a("200")
    assert totals.initial_margin == a("2750")
    assert totals.available_balance == a("10975") - a("2750")
    assert totals.maint_margin == a("208.1")  # 51,000 is in the second bracket: 0.81 % less cum 205


def test_premium_index_view(venue):
    engine, _ = venue
    view = engine.mark_view("BTCUSDT")
    assert (view.mark, view.index) == (a("50000"), a("50000"))
    assert view.last_funding_rate == Decimal("0.0001") and view.interest_rate == Decimal("0.0001")
    assert view.next_funding_time == engine.funding["BTCUSDT"].next_time
