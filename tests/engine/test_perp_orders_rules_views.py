"""What the USD-M read endpoints report (reference §9): positionRisk rows per symbol and position side with the
open orders' notional and margin, Binance's liquidation price, the account's assets and totals, premiumIndex."""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import pytest

from tests.engine.helpers import a
from tests.engine.perp_helpers import limit, market, new_futures, perp_spec, trader

SYMBOL = "BTCUSDT"
EIGHT = Decimal("1e-8")


def cut(value: Decimal) -> Decimal:
    return value.quantize(EIGHT, ROUND_DOWN)


@pytest.fixture
def venue():
    engine, clock = new_futures(perp_spec(), perp_spec("ETHUSDT", tick_size=Decimal("0.01")))
    return engine, clock, trader(engine, "10000000"), trader(engine, "10000")


def test_position_rows_cover_every_symbol_in_order_or_the_one_asked(venue):
    engine, _, _, me = venue
    assert [(r.symbol, r.position_side) for r in engine.position_rows(me)] == \
        [("BTCUSDT", "BOTH"), ("ETHUSDT", "BOTH")]
    assert [r.symbol for r in engine.position_rows(me, "ETHUSDT")] == ["ETHUSDT"]
    engine.set_position_mode(me, True)
    assert [(r.symbol, r.position_side) for r in engine.position_rows(me)] == \
        [("BTCUSDT", "LONG"), ("BTCUSDT", "SHORT"), ("ETHUSDT", "LONG"), ("ETHUSDT", "SHORT")]


def test_a_flat_row_shows_the_symbols_margin_type_and_leverage_and_nothing_else(venue):
    engine, _, _, me = venue
    engine.set_margin_type(me, SYMBOL, "ISOLATED")
    engine.set_leverage(me, SYMBOL, 10)
    row = engine.position_rows(me, SYMBOL)[0]
    assert (row.symbol, row.position_side, row.margin_type, row.leverage) == (SYMBOL, "BOTH", "isolated", 10)
    assert (row.amt, row.notional, row.unrealized, row.isolated_margin, row.initial_margin) == (0, 0, 0, 0, 0)
    assert row.liquidation_price == 0 == row.break_even_price and row.mark_price == a("50000")
    assert row.max_notional == engine.instruments[SYMBOL].max_notional_at(10)
    assert engine.position_rows(me, "ETHUSDT")[0].margin_type == "cross"


def test_open_orders_add_their_notional_by_side_and_their_margin_to_their_own_row(venue):
    engine, clock, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "0.1")
    clock.advance(3_000)
    market(engine, me, "BUY", "0.1")  # position margin 5,000 / 20 = 250
    filled_at = clock.now_ms()
    clock.advance(3_000)
    limit(engine, me, "BUY", "40000", "0.1")  # 4,000 of bids, 200 of margin
    limit(engine, me, "SELL", "52000", "0.05")  # 2,600 of asks; it only closes: no margin
    engine.place_order(me, SYMBOL, "BUY", "STOP_MARKET", qty=a("0.1"), stop_price=a("51000"))  # 5,100, no margin
    engine.place_order(me, SYMBOL, "SELL", "TRAILING_STOP_MARKET", qty=a("0.1"), callback_rate=10,
                       reduce_only=True)  # valued at the 50,000 mark: 5,000
    limit(engine, me, "BUY", "40000", "1", symbol="ETHUSDT")  # another symbol's: not in this row
    row = engine.position_rows(me, SYMBOL)[0]
    assert (row.bid_notional, row.ask_notional) == (a("9100"), a("7600"))
    assert (row.position_initial_margin, row.open_order_initial_margin) == (a("250"), a("200"))
    assert row.initial_margin == a("450") and row.update_time == filled_at


def test_hedge_rows_count_only_their_own_sides_orders(venue):
    engine, _, _, me = venue
    engine.set_position_mode(me, True)
    limit(engine, me, "BUY", "40000", "0.1", position_side="LONG")
    limit(engine, me, "SELL", "52000", "0.1", position_side="SHORT")
    long_row, short_row = engine.position_rows(me, SYMBOL)
    assert (long_row.bid_notional, long_row.ask_notional, long_row.open_order_initial_margin) == \
        (a("4000"), 0, a("200"))
    assert (short_row.bid_notional, short_row.ask_notional, short_row.open_order_initial_margin) == \
        (0, a("5200"), a("260"))


def test_an_isolated_row_shows_its_margin_with_the_unrealized_pnl(venue):
    engine, _, liquidity, me = venue
    engine.set_margin_type(me, SYMBOL, "ISOLATED")
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")  # isolated wallet 2,500 - 25
    engine.set_index(SYMBOL, a("51000"))
    row = engine.position_rows(me, SYMBOL)[0]
    assert (row.unrealized, row.isolated_wallet, row.isolated_margin) == (a("1000"), a("2475"), a("3475"))
    assert (row.mark_price, row.notional) == (a("51000"), a("51000"))


def test_without_a_mark_a_row_values_the_position_at_its_entry():
    engine, _ = new_futures(index=None)
    liquidity, me = trader(engine, "10000000"), trader(engine)
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")
    row = engine.position_rows(me, SYMBOL)[0]
    assert (row.mark_price, row.unrealized, row.notional) == (0, 0, a("50000"))


def test_cross_liquidation_price_counts_the_other_positions_maintenance_and_pnl(venue):
    engine, _, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")  # commission 25
    limit(engine, liquidity, "SELL", "50000", "0.1", symbol="ETHUSDT")
    market(engine, me, "BUY", "0.1", symbol="ETHUSDT")  # commission 2.5
    engine.set_index("ETHUSDT", a("51000"))
    engine.set_index(SYMBOL, a("50500"))  # the position's own PnL and mark do not move its liquidation price
    wallet = Decimal("10000") - Decimal("25") - Decimal("2.5")
    eth_maint, eth_pnl = Decimal("5100") * Decimal("0.004"), Decimal("100")
    # LP = (WB - TMM1 + UPNL1 + cum - size x EP) / (size x MMR - size), in the first bracket
    expected = (wallet - eth_maint + eth_pnl - Decimal("50000")) / (Decimal("0.004") - 1)
    assert engine.position_rows(me, SYMBOL)[0].liquidation_price == cut(expected)


def test_a_position_no_price_can_liquidate_shows_zero(venue):
    engine, _, liquidity, me = venue
    rich = trader(engine, "1000000")
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, rich, "BUY", "1")
    assert engine.position_rows(rich, SYMBOL)[0].liquidation_price == 0


def test_the_account_view_lists_each_asset_and_their_totals(venue):
    engine, clock, liquidity, me = venue
    engine.set_fee_tier(me, 3)
    engine.set_position_mode(me, True)
    clock.advance(1_000)
    engine.deposit(me, "USDT", a("1"))
    view = engine.account_view(me)
    time = engine.accounts[me].update_time
    assert time == clock.now_ms()
    assert (view.fee_tier, view.dual_side, view.update_time) == (3, True, time)
    assert [(row.asset, row.wallet_balance, row.update_time) for row in view.assets] == \
        [("USDT", a("10001"), time)]
    assert (view.totals.asset, view.totals.wallet_balance, view.totals.update_time) == ("", a("10001"), time)


def test_an_asset_held_outside_the_margin_assets_is_listed_too(venue):
    engine, _, _, me = venue
    engine.deposit(me, "BNB", a("2"))
    assets = [(row.asset, row.wallet_balance) for row in engine.account_view(me).assets]
    assert assets == [("BNB", a("2")), ("USDT", a("10000"))]


def test_max_withdraw_is_never_below_zero(venue):
    engine, _, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "4")
    market(engine, me, "BUY", "3.9")  # initial margin 9,750 of a 9,902.5 wallet
    engine.set_index(SYMBOL, a("49900"))  # 390 of loss: nothing is free any more
    totals = engine.account_view(me).totals
    assert totals.available_balance == 0 and totals.max_withdraw_amount == 0


def test_premium_index_shows_the_symbol_mark_as_estimated_settle_and_the_time(venue):
    engine, clock, _, _ = venue
    engine.set_index(SYMBOL, a("50100"))
    clock.advance(7_000)
    view = engine.mark_view(SYMBOL)
    assert (view.symbol, view.mark, view.estimated_settle, view.time) == \
        (SYMBOL, a("50100"), a("50100"), clock.now_ms())


def test_a_cross_row_shows_no_isolated_margin_whatever_its_pnl(venue):
    engine, _, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")
    engine.set_index(SYMBOL, a("50500"))
    row = engine.position_rows(me, SYMBOL)[0]
    assert (row.margin_type, row.unrealized, row.isolated_margin, row.isolated_wallet) == ("cross", a("500"), 0, 0)
