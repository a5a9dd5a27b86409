"""Read-only views of the futures state, shaped after what Binance's futures endpoints answer
(positionRisk, account, balance, premiumIndex), with every amount computed here so the dialect only prints.

Amounts are integer atoms of the margin asset (notional, margins, PnL) or of the price; prices that fall off the
grid (entry, break-even, liquidation) are Decimals cut to 8 decimals.
"""
from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from simulator.engine.perp.margin import risk
from simulator.engine.perp.numbers import ceil_div, ratio
from simulator.engine.perp.order import BOTH, LONG, SHORT
from simulator.engine.perp.position import ISOLATED, Position


class PositionView(NamedTuple):
    symbol: str
    position_side: str
    amt: int  # signed
    entry_price: Decimal
    break_even_price: Decimal
    mark_price: int
    unrealized: int
    liquidation_price: Decimal  # 0 without a position
    leverage: int
    max_notional: int
    margin_type: str  # "cross" / "isolated"
    isolated_margin: int  # isolated wallet + unrealized (0 when cross)
    isolated_wallet: int
    notional: int  # signed
    initial_margin: int  # position + its open orders'
    maint_margin: int
    position_initial_margin: int
    open_order_initial_margin: int
    bid_notional: int
    ask_notional: int
    update_time: int


class AssetView(NamedTuple):
    asset: str
    wallet_balance: int
    unrealized: int
    margin_balance: int
    maint_margin: int
    initial_margin: int
    position_initial_margin: int
    open_order_initial_margin: int
    cross_wallet_balance: int
    cross_unpnl: int
    available_balance: int
    max_withdraw_amount: int
    update_time: int


class AccountView(NamedTuple):
    assets: list[AssetView]
    totals: AssetView  # the same figures over every margin asset (asset "")
    fee_tier: int
    dual_side: bool
    update_time: int


class MarkView(NamedTuple):
    symbol: str
    mark: int | None
    index: int | None
    estimated_settle: int | None
    last_funding_rate: Decimal  # what the next settlement applies if nothing changes
    interest_rate: Decimal
    next_funding_time: int
    time: int


def sides(engine, account_id: int) -> tuple[str, ...]:
    return (LONG, SHORT) if engine.settings_of(account_id).dual_side else (BOTH,)


def position_rows(engine, account_id: int, symbol: str | None = None) -> list[PositionView]:
    """One row per symbol and position side of the account's mode (flat rows included), symbols sorted."""
    engine.account(account_id)
    symbols = [engine.instrument(symbol).symbol] if symbol is not None else sorted(engine.instruments)
    return [position_view(engine, account_id, s, side) for s in symbols for side in sides(engine, account_id)]


def position_view(engine, account_id: int, symbol: str, side: str) -> PositionView:
    inst = engine.instruments[symbol]
    unit, precision = inst.base_unit, inst.quote_precision
    position = engine.positions.get((account_id, symbol, side)) or \
        Position(account_id, symbol, side, engine.settings_of(account_id).margin_type_of(symbol))
    mark = engine.mark(symbol)
    shown_mark = mark if mark is not None else 0
    leverage = engine.leverage_of(account_id, symbol)
    notional = position.notional(engine.mark_or_entry(position), unit) if position.amt else 0
    unrealized = position.unrealized(mark, unit) if mark is not None else 0
    bid = ask = order_margin = 0
    for order in engine.accounts[account_id].open_orders.values():
        if order.symbol == symbol and order.position_side == side:
            value = inst.notional(order.price or order.stop_price or shown_mark, order.remaining)
            if order.is_buy:
                bid += value
            else:
                ask += value
            order_margin += order.locked
    position_margin = ceil_div(abs(notional), leverage)
    isolated = position.margin_type == ISOLATED
    return PositionView(
        symbol, side, position.amt, position.entry_price(unit, precision), engine.break_even(position, inst),
        shown_mark, unrealized, liquidation_price(engine, position), leverage, inst.max_notional_at(leverage),
        "isolated" if isolated else "cross", position.isolated_wallet + unrealized if isolated else 0,
        position.isolated_wallet, notional, position_margin + order_margin, inst.maint_margin(notional),
        position_margin, order_margin, bid, ask, position.update_time)


def liquidation_price(engine, position: Position) -> Decimal:
    """Binance's formula (reference §9.1) for one position, iterating over the bracket at the result; 0 for a
    flat position or one no price can liquidate."""
    if not position.amt:
        return Decimal(0)
    inst = engine.instruments[position.symbol]
    unit, precision = inst.base_unit, inst.quote_precision
    size = abs(position.amt)
    side = 1 if position.amt > 0 else -1
    entry_value = position.cost  # size x entry, in atoms
    if position.margin_type == ISOLATED:
        wallet = position.isolated_wallet
        others_maint = others_pnl = 0
    else:
        figures = risk(engine, position.account_id, inst.margin_asset)
        mark = engine.mark_or_entry(position)
        wallet = figures.cross_wallet
        own_notional = abs(position.notional(mark, unit))
        others_maint = figures.cross_maint - inst.maint_margin(own_notional)
        others_pnl = figures.cross_unrealized - position.unrealized(mark, unit)
    bracket = inst.bracket(entry_value)
    for _ in range(len(inst.brackets)):
        num, den = bracket.maint_margin_ratio.as_integer_ratio()
        # LP = (WB - TMM1 + UPNL1 + cum - side x size x EP) / (size x MMR - side x size), in price atoms
        top = (wallet - others_maint + others_pnl + bracket.cum - side * entry_value) * unit * den
        bottom = size * num - side * size * den
        if bottom == 0:
            return Decimal(0)
        price_atoms = ratio(top, bottom, 0)
        if price_atoms <= 0:
            return Decimal(0)
        at_price = inst.bracket(int(price_atoms) * size // unit)
        if at_price == bracket:
            return ratio(top, bottom, precision)
        bracket = at_price
    return ratio(top, bottom, precision)


def account_view(engine, account_id: int) -> AccountView:
    account = engine.account(account_id)
    assets = sorted({inst.margin_asset for inst in engine.instruments.values()} |
                    {asset for asset in account.balances})
    rows = [_asset_view(engine, account_id, asset, account.update_time) for asset in assets]
    totals = AssetView("", *(sum(getattr(row, name) for row in rows) for name in AssetView._fields[1:-1]),
                       account.update_time)
    return AccountView(rows, totals, account.fee_tier, engine.settings_of(account_id).dual_side,
                       account.update_time)


def _asset_view(engine, account_id: int, asset: str, update_time: int) -> AssetView:
    f = risk(engine, account_id, asset)
    return AssetView(asset, f.wallet_balance, f.unrealized, f.margin_balance, f.maint_margin, f.initial_margin,
                     f.position_initial, f.locked, f.cross_wallet, f.cross_unrealized, f.available,
                     max(0, min(f.free, f.available_raw)), update_time)


def mark_view(engine, symbol: str) -> MarkView:
    inst = engine.instrument(symbol)
    state, schedule = engine.prices[symbol], engine.funding[symbol]
    rate = schedule.current_rate(inst.interest_rate, inst.funding_floor, inst.funding_cap)
    return MarkView(symbol, state.mark, state.index, state.mark, rate, inst.interest_rate, schedule.next_time,
                    engine.clock.now_ms())
