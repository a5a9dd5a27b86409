"""Positions: one per account, symbol and position side (BOTH in one-way mode; LONG and SHORT in hedge mode).

A position keeps its signed size in base atoms and its cost: the exact quote atoms its open size was bought
(long) or sold (short) for. Entry price is cost / size; a reducing fill takes the same share of the cost off as
of the size (rounded down, the rest stays with what remains open), so that for every account

    realized PnL over its life - (open long cost - open short cost)  ==  the cash its fills moved

exactly, and across all accounts (whose fills' cash sums to zero) total realized PnL equals total open long cost
minus total open short cost: the audit checks this to the atom.
"""
from __future__ import annotations

from decimal import Decimal

from simulator.engine.perp.numbers import ratio

CROSSED, ISOLATED = "CROSSED", "ISOLATED"
MARGIN_TYPES = (CROSSED, ISOLATED)


class Position:
    __slots__ = ("account_id", "symbol", "side", "amt", "cost", "realized", "margin_type", "isolated_wallet",
                 "update_time")

    def __init__(self, account_id: int, symbol: str, side: str, margin_type: str = CROSSED):
        self.account_id = account_id
        self.symbol = symbol
        self.side = side  # BOTH / LONG / SHORT
        self.amt = 0  # signed base atoms: > 0 long, < 0 short
        self.cost = 0  # quote atoms paid for (long) or received for (short) the open size; >= 0
        self.realized = 0  # accumulated realized PnL (atoms): ACCOUNT_UPDATE's `cr`
        self.margin_type = margin_type
        self.isolated_wallet = 0  # atoms set aside for this position when ISOLATED
        self.update_time = 0

    @property
    def key(self) -> tuple[int, str, str]:
        return self.account_id, self.symbol, self.side

    def fill(self, delta: int, price: int, base_unit: int) -> tuple[int, int]:
        """Apply a fill of `delta` base atoms (+ buy, - sell) at `price`: (realized PnL, size it closed)."""
        amt = self.amt
        if amt == 0 or (amt > 0) == (delta > 0):
            self.cost += price * abs(delta) // base_unit
            self.amt = amt + delta
            return 0, 0
        closing = min(abs(delta), abs(amt))
        removed = self.cost * closing // abs(amt)
        value = price * closing // base_unit
        pnl = value - removed if amt > 0 else removed - value
        self.cost -= removed
        self.amt = amt + (closing if delta > 0 else -closing)
        opening = abs(delta) - closing
        if opening:  # a one-way position flipped through zero: the rest opens the other way at this price
            self.cost = price * opening // base_unit
            self.amt = opening if delta > 0 else -opening
        self.realized += pnl
        return pnl, closing

    def notional(self, mark: int, base_unit: int) -> int:
        """Signed notional at mark (atoms)."""
        return self.amt * mark // base_unit if self.amt >= 0 else -(-self.amt * mark // base_unit)

    def unrealized(self, mark: int, base_unit: int) -> int:
        if self.amt > 0:
            return self.amt * mark // base_unit - self.cost
        if self.amt < 0:
            return self.cost + self.notional(mark, base_unit)
        return 0

    def entry_price(self, base_unit: int, quote_precision: int) -> Decimal:
        return ratio(self.cost * base_unit, abs(self.amt), quote_precision)

    def state(self) -> list:
        return [getattr(self, name) for name in self.__slots__]

    @classmethod
    def from_state(cls, values: list) -> "Position":
        position = cls.__new__(cls)
        for name, value in zip(cls.__slots__, values, strict=True):
            setattr(position, name, value)
        return position
