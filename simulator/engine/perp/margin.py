"""Margin arithmetic of one futures account, from scratch, in atoms of the margin asset (reference §9.1).

The futures wallet of an account is its `Account` balance of the margin asset: `free` (the cross wallet less
open orders' margin) and `locked` (open orders' initial margin). Each ISOLATED position holds its own
`isolated_wallet` beside it. So:

    cross wallet balance   = free + locked
    wallet balance         = cross wallet + isolated wallets
    unrealized PnL         = size x (mark - entry), summed
    position initial margin= |notional at mark| / leverage (rounded up)
    maintenance margin     = |notional| x bracket rate - bracket amount
    margin balance         = wallet balance + unrealized PnL
    available balance      = cross wallet + cross unrealized - cross position margin - open-order margin
                           = free + cross unrealized - cross position margin   (never below 0 when shown)
"""
from __future__ import annotations

from dataclasses import dataclass, field

from simulator.engine.perp.numbers import ceil_div
from simulator.engine.perp.position import ISOLATED, Position
from simulator.engine.perp.settings import NO_SETTINGS


@dataclass(slots=True)
class Risk:
    """One account's margin figures for one margin asset; ints in atoms."""

    asset: str
    free: int = 0
    locked: int = 0  # open orders' initial margin
    isolated_wallets: int = 0
    cross_unrealized: int = 0
    isolated_unrealized: int = 0
    cross_initial: int = 0  # cross positions' initial margin
    isolated_initial: int = 0
    cross_maint: int = 0
    isolated_maint: int = 0
    positions: list[Position] = field(default_factory=list)

    @property
    def cross_wallet(self) -> int:
        return self.free + self.locked

    @property
    def wallet_balance(self) -> int:
        return self.free + self.locked + self.isolated_wallets

    @property
    def unrealized(self) -> int:
        return self.cross_unrealized + self.isolated_unrealized

    @property
    def margin_balance(self) -> int:
        return self.wallet_balance + self.unrealized

    @property
    def cross_margin_balance(self) -> int:
        return self.cross_wallet + self.cross_unrealized

    @property
    def position_initial(self) -> int:
        return self.cross_initial + self.isolated_initial

    @property
    def initial_margin(self) -> int:
        return self.cross_initial + self.isolated_initial + self.locked

    @property
    def maint_margin(self) -> int:
        return self.cross_maint + self.isolated_maint

    @property
    def available_raw(self) -> int:
        """What new orders may use: may be negative (then nothing may be opened)."""
        return self.free + self.cross_unrealized - self.cross_initial

    @property
    def available(self) -> int:
        return max(0, self.available_raw)


def initial_margin(notional: int, leverage: int) -> int:
    return ceil_div(abs(notional), leverage)


def risk(engine, account_id: int, asset: str) -> Risk:
    """The account's figures now, at each symbol's mark (a symbol without a mark yet counts at entry)."""
    account = engine.accounts[account_id]
    free, locked = account.balances.get(asset, (0, 0))
    out = Risk(asset, free, locked)
    leverage = (engine.settings.get(account_id) or NO_SETTINGS).leverage
    instruments, prices = engine.instruments, engine.prices
    for position in engine.account_positions.get(account_id, {}).values():
        inst = instruments[position.symbol]
        if inst.margin_asset != asset:
            continue
        isolated = position.margin_type == ISOLATED
        if isolated:
            out.isolated_wallets += position.isolated_wallet
        amt = position.amt
        if not amt:
            continue
        out.positions.append(position)
        mark = prices[position.symbol].mark
        if mark is None:
            mark = engine.mark_or_entry(position)
        unit = inst.base_unit
        if amt > 0:
            notional = amt * mark // unit
            unrealized = notional - position.cost
        else:
            notional = -amt * mark // unit
            unrealized = position.cost - notional
        initial = -(-notional // (leverage.get(position.symbol) or inst.default_leverage))
        maint = inst.maint_margin(notional)
        if isolated:
            out.isolated_unrealized += unrealized
            out.isolated_initial += initial
            out.isolated_maint += maint
        else:
            out.cross_unrealized += unrealized
            out.cross_initial += initial
            out.cross_maint += maint
    return out


def cross_totals(engine, account_id: int, asset: str) -> tuple[int, int]:
    """(cross unrealized PnL, cross initial margin) of the account's positions in `asset`, at the marks: what
    every placement and every mark move asks, so computed lean (no Risk)."""
    unrealized = initial = 0
    positions = engine.account_positions.get(account_id)
    if not positions:
        return 0, 0
    leverage = (engine.settings.get(account_id) or NO_SETTINGS).leverage
    instruments, prices = engine.instruments, engine.prices
    for position in positions.values():
        amt = position.amt
        if not amt or position.margin_type == ISOLATED:
            continue
        inst = instruments[position.symbol]
        if inst.margin_asset != asset:
            continue
        mark = prices[position.symbol].mark
        if mark is None:
            mark = engine.mark_or_entry(position)
        if amt > 0:
            notional = amt * mark // inst.base_unit
            unrealized += notional - position.cost
        else:
            notional = -amt * mark // inst.base_unit
            unrealized += position.cost - notional
        initial += -(-notional // (leverage.get(position.symbol) or inst.default_leverage))
    return unrealized, initial


def available(engine, account_id: int, asset: str) -> int:
    """What new orders may use (may be negative): free + cross unrealized PnL - cross positions' initial margin."""
    unrealized, initial = cross_totals(engine, account_id, asset)
    return engine.accounts[account_id].balances.get(asset, (0, 0))[0] + unrealized - initial
