"""Rules of a USD-M fill (reference §7-8): maker and taker commissions by fee tier in the margin asset, realized
PnL and its income rows, isolated margin moving with the position, reduce-only orders trimmed when the position
shrinks, hedge-mode position sides, and the ACCOUNT_UPDATE an operation reports."""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import pytest

from tests.engine.helpers import Recorder, a
from tests.engine.perp_helpers import assert_clean, limit, market, new_futures, position, trader

SYMBOL = "BTCUSDT"


def fee(quote_atoms: int, rate: str) -> int:
    """Commission in atoms, rounded half up, as the rule states it."""
    exact = Decimal(quote_atoms) * Decimal(rate)
    return int(exact.quantize(Decimal(1), rounding="ROUND_HALF_UP"))


@pytest.fixture
def venue():
    engine, clock = new_futures()
    return engine, clock, trader(engine, "10000000"), trader(engine)


def test_maker_and_taker_pay_their_own_tiers_rates_in_the_margin_asset(venue):
    engine, clock, liquidity, me = venue
    engine.set_fee_tier(liquidity, 1)  # maker 0.016 %
    limit(engine, liquidity, "SELL", "50000", "1")
    result = market(engine, me, "BUY", "1")  # taker, tier 0: 0.05 %
    trade = result.trades[0]
    assert trade.buyer_is_maker is False and trade.symbol == SYMBOL
    assert trade.fee_for(result.order) == (a("25"), "USDT") and trade.fee_for(trade.seller)[1] == "USDT"
    assert (trade.buyer_pnl, trade.seller_pnl, trade.quote_qty) == (0, 0, a("50000"))
    assert [(r.income_type, r.trade_id) for r in engine.income_of(me)[-1:]] == \
        [("COMMISSION", str(trade.trade_id))]
    assert (trade.buyer_fee, trade.seller_fee) == (fee(a("50000"), "0.0005"), fee(a("50000"), "0.00016"))
    assert trade.buyer_fee == a("25") and trade.seller_fee == a("8")
    assert engine.fees_collected["USDT"] == a("33")


def test_a_buyer_maker_pays_the_maker_rate(venue):
    engine, _, liquidity, me = venue
    limit(engine, me, "BUY", "50000", "1")
    trade = market(engine, liquidity, "SELL", "1").trades[0]
    assert trade.buyer_is_maker is True
    assert (trade.buyer_fee, trade.seller_fee) == (a("10"), a("25"))


def test_a_fee_tier_beyond_the_schedule_pays_the_last_tiers_rates(venue):
    engine, _, liquidity, me = venue
    engine.set_fee_tier(liquidity, 15)
    engine.set_fee_tier(me, 12)
    limit(engine, liquidity, "SELL", "50000", "1")
    trade = market(engine, me, "BUY", "1").trades[0]
    assert (trade.buyer_fee, trade.seller_fee) == (fee(a("50000"), "0.00017"), 0)
    limit(engine, me, "BUY", "50000", "1")
    trade = market(engine, liquidity, "SELL", "1").trades[0]
    assert (trade.buyer_fee, trade.seller_fee) == (0, fee(a("50000"), "0.00017"))


def test_each_fill_writes_commission_and_realized_pnl_income_rows_and_adds_up_on_the_order(venue):
    engine, clock, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")
    clock.advance(1_000)
    limit(engine, liquidity, "BUY", "51000", "0.3")
    limit(engine, liquidity, "BUY", "50500", "0.7")
    result = market(engine, me, "SELL", "1")
    order, (first, second) = result.order, result.trades
    assert second.trade_id == first.trade_id + 1
    assert (first.seller_pnl, second.seller_pnl) == (a("300"), a("350"))
    assert order.realized_pnl == a("650")
    assert order.commission == fee(a("15300"), "0.0005") + fee(a("35350"), "0.0005")
    now = clock.now_ms()
    rows = [(r.symbol, r.income_type, r.income, r.asset, r.info, r.time, r.trade_id)
            for r in engine.income_of(me)[-4:]]
    assert rows == [
        (SYMBOL, "REALIZED_PNL", a("300"), "USDT", "", now, str(first.trade_id)),
        (SYMBOL, "COMMISSION", -a("7.65"), "USDT", "", now, str(first.trade_id)),
        (SYMBOL, "REALIZED_PNL", a("350"), "USDT", "", now, str(second.trade_id)),
        (SYMBOL, "COMMISSION", -a("17.675"), "USDT", "", now, str(second.trade_id)),
    ]
    assert all(r.account_id == me for r in engine.income_of(me))
    assert position(engine, me).update_time == now
    assert_clean(engine)


def test_a_fill_reports_one_account_update_per_account_with_wallet_and_position(venue):
    engine, clock, liquidity, me = venue
    limit(engine, me, "BUY", "40000", "0.1")  # 200 USDT held for an open order
    limit(engine, liquidity, "SELL", "50000", "1")
    clock.advance(1_000)
    events = Recorder(engine)
    before = engine.seq
    market(engine, me, "BUY", "1")
    now = clock.now_ms()
    updates = {u.account_id: u for u in events.of("account_update")}
    mine = updates[me]
    assert (mine.reason, mine.time) == ("ORDER", now)
    wallet = a("100000") - a("25")
    assert [tuple(row) for row in mine.balances] == [("USDT", wallet, wallet, 0)]
    row = mine.positions[0]
    assert (row.symbol, row.position_side, row.amt, row.cost, row.realized, row.unrealized) == \
        (SYMBOL, "BOTH", a("1"), a("50000"), 0, 0)
    assert (row.margin_type, row.isolated_wallet, row.base_unit, row.quote_precision, row.taker_rate) == \
        ("cross", 0, 10**8, 8, 50_000)
    assert engine.accounts[me].update_time == now
    seqs = [event.seq for event in events.events]
    assert seqs == list(range(before + 1, before + 1 + len(seqs)))
    assert events.of("depth")[0].time == now


def test_a_position_row_without_a_mark_shows_no_unrealized_pnl():
    engine, _ = new_futures(index=None)
    liquidity, me = trader(engine, "10000000"), trader(engine)
    limit(engine, liquidity, "SELL", "50000", "1")
    events = Recorder(engine)
    market(engine, me, "BUY", "1")
    row = [u for u in events.of("account_update") if u.account_id == me][0].positions[0]
    assert row.unrealized == 0 and row.amt == a("1")
    engine.set_index(SYMBOL, a("50100"))
    assert engine.position_row(position(engine, me)).unrealized == a("100")


def test_an_account_with_nothing_in_the_asset_has_a_zero_balance_row(venue):
    engine, _, _, _ = venue
    empty = trader(engine, "0")
    assert tuple(engine.balance_row(empty, "USDT")) == ("USDT", 0, 0, 0)


def test_break_even_pays_the_base_taker_fee_both_ways(venue):
    engine, _, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")
    expected = (Decimal(50000) * Decimal("1.0005") / Decimal("0.9995")).quantize(Decimal("1e-8"), ROUND_DOWN)
    assert engine.break_even(position(engine, me), engine.instruments[SYMBOL]) == expected
    assert engine.position_rows(me, SYMBOL)[0].break_even_price == expected


def isolated_long(engine, liquidity, me, leverage=10):
    engine.set_margin_type(me, SYMBOL, "ISOLATED")
    engine.set_leverage(me, SYMBOL, leverage)
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")


def test_an_isolated_position_holds_its_margin_at_its_leverage(venue):
    engine, _, liquidity, me = venue
    isolated_long(engine, liquidity, me)
    assert position(engine, me).isolated_wallet == a("5000") - a("25")  # 50,000 / 10, less the commission
    assert engine.balance_row(me, "USDT").wallet_balance == a("100000") - a("25")


def test_partly_closing_an_isolated_position_returns_the_closed_share_of_its_margin(venue):
    engine, _, liquidity, me = venue
    isolated_long(engine, liquidity, me)
    limit(engine, liquidity, "BUY", "51000", "0.4")
    market(engine, me, "SELL", "0.4")
    wallet = a("4975") + a("400") - fee(a("20400"), "0.0005")  # PnL and commission go through the wallet
    back = wallet * 4 // 10
    assert position(engine, me).isolated_wallet == wallet - back
    assert engine.accounts[me].free("USDT") == a("100000") - a("5000") + back
    assert_clean(engine)


def test_closing_an_isolated_position_whole_returns_all_its_margin(venue):
    engine, _, liquidity, me = venue
    isolated_long(engine, liquidity, me)
    limit(engine, liquidity, "BUY", "51000", "1")
    market(engine, me, "SELL", "1")
    assert position(engine, me).isolated_wallet == 0
    assert engine.accounts[me].free("USDT") == a("100000") - a("25") + a("1000") - a("25.5")


def test_flipping_an_isolated_position_settles_the_old_side_and_margins_the_new_one(venue):
    engine, _, liquidity, me = venue
    isolated_long(engine, liquidity, me)
    limit(engine, liquidity, "BUY", "51000", "1.5")
    market(engine, me, "SELL", "1.5")
    assert position(engine, me).amt == -a("0.5")
    assert position(engine, me).isolated_wallet == a("2550")  # 0.5 x 51,000 / 10, afresh
    assert engine.accounts[me].free("USDT") == \
        a("100000") - a("25") + a("1000") - fee(a("76500"), "0.0005") - a("2550")
    assert_clean(engine)


def test_open_orders_that_may_only_close_are_counted_per_account(venue):
    engine, _, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")
    limit(engine, me, "BUY", "40000", "0.1")
    assert engine.closing_orders.get(me, 0) == 0
    first = limit(engine, me, "SELL", "60000", "0.3", reduce_only=True).order
    limit(engine, me, "SELL", "61000", "0.3", reduce_only=True)
    assert engine.closing_orders[me] == 2 == engine.count_closing_orders()[me]
    engine.cancel_order(me, SYMBOL, order_id=first.order_id)
    assert engine.closing_orders[me] == 1 and first.locked == 0


def test_a_cancelled_order_gives_back_its_margin_and_holds_nothing(venue):
    engine, _, _, me = venue
    order = limit(engine, me, "BUY", "40000", "1").order
    assert order.locked == a("2000")
    engine.cancel_order(me, SYMBOL, order_id=order.order_id)
    assert order.locked == 0 and engine.accounts[me].locked("USDT") == 0


def test_a_reduce_only_order_equal_to_the_shrunk_position_keeps_working(venue):
    engine, _, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")
    keep = limit(engine, me, "SELL", "60000", "0.5", reduce_only=True).order
    limit(engine, liquidity, "BUY", "49000", "0.5")
    market(engine, me, "SELL", "0.5")
    assert keep.status == "NEW" and engine.depth(SYMBOL, 5)[2] == [(a("60000"), a("0.5"))]


def test_a_reduce_only_buy_outgrown_by_its_short_leaves_the_bids(venue):
    engine, clock, liquidity, me = venue
    limit(engine, liquidity, "BUY", "50000", "1")
    market(engine, me, "SELL", "1")
    cover = limit(engine, me, "BUY", "45000", "1", reduce_only=True).order
    limit(engine, liquidity, "SELL", "51000", "0.5")
    clock.advance(1_000)
    events = Recorder(engine)
    market(engine, me, "BUY", "0.5")
    assert (cover.status, cover.expiry_reason, cover.update_time) == ("EXPIRED", "REDUCE_ONLY", clock.now_ms())
    assert engine.depth(SYMBOL, 5)[1] == []
    assert (a("45000"), 0) in events.of("depth")[-1].bids
    assert_clean(engine)


@pytest.fixture
def hedged(venue):
    engine, clock, liquidity, me = venue
    engine.set_position_mode(me, True)
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1", position_side="LONG")
    return engine, clock, liquidity, me


def test_hedge_mode_closing_orders_expire_when_their_side_shrinks_below_them(hedged):
    engine, _, liquidity, me = hedged
    closing = limit(engine, me, "SELL", "60000", "1", position_side="LONG").order
    opening = limit(engine, me, "BUY", "40000", "0.1", position_side="LONG").order
    limit(engine, liquidity, "BUY", "49000", "0.5")
    market(engine, me, "SELL", "0.5", position_side="LONG")
    assert (closing.status, closing.expiry_reason) == ("EXPIRED", "REDUCE_ONLY")
    assert opening.status == "NEW"  # an order that opens its side is never trimmed
    assert position(engine, me, side="LONG").amt == a("0.5")
    assert_clean(engine)


def test_a_hedge_mode_closing_stop_is_cut_to_its_side_when_it_fires(hedged):
    engine, _, liquidity, me = hedged
    stop = engine.place_order(me, SYMBOL, "SELL", "STOP_MARKET", qty=a("1"), stop_price=a("49000"),
                              position_side="LONG", working_type="MARK_PRICE").order
    limit(engine, liquidity, "BUY", "49500", "0.5")
    market(engine, me, "SELL", "0.5", position_side="LONG")
    limit(engine, liquidity, "BUY", "48900", "2")
    engine.set_index(SYMBOL, a("48950"))
    assert stop.qty == a("0.5") and stop.status == "FILLED"
    assert position(engine, me, side="LONG").amt == 0 and position(engine, me, side="SHORT") is None
    assert_clean(engine)


def test_hedge_mode_trades_carry_their_position_sides(hedged):
    engine, _, liquidity, me = hedged
    limit(engine, liquidity, "BUY", "49000", "1")
    trade = market(engine, me, "SELL", "1", position_side="SHORT").trades[0]
    assert (trade.buyer_position_side, trade.seller_position_side) == ("BOTH", "SHORT")
    assert position(engine, me, side="SHORT").amt == -a("1") and position(engine, me, side="LONG").amt == a("1")
    rows = engine.position_rows(me, SYMBOL)
    assert [(r.position_side, r.amt) for r in rows] == [("LONG", a("1")), ("SHORT", -a("1"))]


def test_reduce_only_orders_outgrown_together_all_expire(venue):
    engine, _, liquidity, me = venue
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")
    first = limit(engine, me, "SELL", "60000", "0.6", reduce_only=True).order
    second = limit(engine, me, "SELL", "61000", "0.7", reduce_only=True).order
    limit(engine, liquidity, "BUY", "49000", "0.5")
    market(engine, me, "SELL", "0.5")
    assert first.status == second.status == "EXPIRED" and engine.depth(SYMBOL, 5)[2] == []


def test_an_isolated_position_closed_beyond_its_margin_is_made_whole_by_the_insurance_fund(venue):
    engine, clock, liquidity, me = venue
    engine.set_margin_type(me, SYMBOL, "ISOLATED")
    limit(engine, liquidity, "SELL", "50000", "1")
    market(engine, me, "BUY", "1")  # isolated wallet 2,500 - 25
    limit(engine, liquidity, "BUY", "47000", "1")
    clock.advance(1_000)
    events = Recorder(engine)
    market(engine, me, "SELL", "1")  # -3,000 of PnL and 23.5 of commission: 548.5 beyond the margin
    shortfall = a("3000") + a("23.5") - a("2475")
    assert engine.insurance_cleared["USDT"] == shortfall and engine.insurance["USDT"] == -shortfall
    (row,) = [r for r in engine.income_of(me) if r.income_type == "INSURANCE_CLEAR"]
    assert (row.symbol, row.income, row.asset, row.time) == (SYMBOL, shortfall, "USDT", clock.now_ms())
    assert position(engine, me).isolated_wallet == 0
    assert engine.balance_row(me, "USDT").wallet_balance == a("100000") - a("2500")
    (update,) = [u for u in events.of("account_update") if u.account_id == me]
    assert update.balances[0].balance_change == shortfall  # the fund's payment, not the PnL or commission


def test_a_deposit_reports_its_amount_as_the_balance_change(venue):
    engine, _, _, me = venue
    events = Recorder(engine)
    engine.deposit(me, "USDT", a("12.5"))
    (update,) = events.of("account_update")
    assert tuple(update.balances[0]) == ("USDT", a("100012.5"), a("100012.5"), a("12.5"))
    assert update.positions == () and update.reason == "DEPOSIT"


def test_a_partial_fill_releases_the_filled_share_of_the_orders_margin_rounded_down(venue):
    engine, _, liquidity, me = venue
    engine.set_leverage(me, SYMBOL, 3)
    order = limit(engine, me, "BUY", "50000", "0.003").order  # 150 / 3 = 50 held
    market(engine, liquidity, "SELL", "0.001")
    released = a("50") * 1 // 3  # a third of it, cut to the atom
    assert order.locked == a("50") - released == 3_333_333_334
    assert engine.accounts[me].locked("USDT") == 3_333_333_334


def test_a_hedge_mode_stop_buying_back_a_short_is_cut_to_the_short_when_it_fires(venue):
    engine, _, liquidity, me = venue
    engine.set_position_mode(me, True)
    limit(engine, liquidity, "BUY", "50000", "1")
    market(engine, me, "SELL", "1", position_side="SHORT")
    stop = engine.place_order(me, SYMBOL, "BUY", "STOP_MARKET", qty=a("1"), stop_price=a("51000"),
                              position_side="SHORT", working_type="MARK_PRICE").order
    limit(engine, liquidity, "SELL", "50500", "0.5")
    market(engine, me, "BUY", "0.5", position_side="SHORT")  # short 0.5 left
    limit(engine, liquidity, "SELL", "51100", "2")
    engine.set_index(SYMBOL, a("51000"))
    assert stop.qty == a("0.5") and stop.status == "FILLED" and stop.locked == 0
    assert position(engine, me, side="SHORT").amt == 0 and position(engine, me, side="LONG") is None
    assert_clean(engine)


def test_one_account_update_lists_every_position_side_an_operation_moved(venue):
    engine, _, liquidity, me = venue
    engine.set_position_mode(me, True)
    limit(engine, me, "SELL", "50000", "1", position_side="SHORT", stp="NONE")
    events = Recorder(engine)
    market(engine, me, "BUY", "1", position_side="LONG", stp="NONE")  # its own short order: both sides open
    (update,) = events.of("account_update")
    assert [(row.position_side, row.amt) for row in update.positions] == [("LONG", a("1")), ("SHORT", -a("1"))]
