"""How USD-M futures prints amounts, on REST (usdm/) and streams alike (reference §9.1 "Printing"): prices and
quantities on a perpetual's grid at the symbol's precision, the decimals of its tick and step sizes ("50000.00"
for a tick of "0.10"... "0.010" for a step of "0.001"); computed amounts (average, entry and liquidation prices,
PnL, margins, balances, rates) at 8 decimals, cut, not rounded."""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from simulator.dialects.binance.wire.readers import decimal_digits
from simulator.engine.instrument import format_atoms
from simulator.engine.perp.instrument import PerpInstrument
EIGHT = Decimal("0.00000001")


class Formats:
    """How one perpetual prints its amounts (also what wire.klines needs)."""

    __slots__ = ("inst", "symbol", "price_places", "qty_places", "quote_places")

    def __init__(self, inst: PerpInstrument):
        self.inst = inst
        self.symbol = inst.symbol
        spec = inst.perp_spec
        self.price_places = min(decimal_digits(spec.tick_size), inst.quote_precision)
        self.qty_places = min(decimal_digits(spec.step_size), inst.base_precision)
        # price x quantity on their grids has exactly this many decimals
        self.quote_places = min(self.price_places + self.qty_places, inst.quote_precision)

    def format_price(self, atoms: int) -> str:
        return _cut(format_atoms(atoms, self.inst.quote_precision), self.inst.quote_precision - self.price_places)

    def format_qty(self, atoms: int) -> str:
        return _cut(format_atoms(atoms, self.inst.base_precision), self.inst.base_precision - self.qty_places)

    def format_quote(self, atoms: int) -> str:
        return _cut(format_atoms(atoms, self.inst.quote_precision), self.inst.quote_precision - self.quote_places)


def _cut(text: str, digits: int) -> str:
    """Drop `digits` trailing decimals (and the point with the last of them)."""
    if digits <= 0:
        return text
    text = text[:-digits]
    return text[:-1] if text.endswith(".") else text


def money(precision: int, atoms: int) -> str:
    """Atoms of the margin asset (balance, PnL, margin, commission, mark price) at 8 decimals."""
    return computed(Decimal(atoms).scaleb(-precision))


def computed(value: Decimal) -> str:
    """A computed amount or a rate (Decimal), at 8 decimals, cut: "0.00000000", never "0E-8"."""
    return f"{value.quantize(EIGHT, rounding=ROUND_DOWN):f}"
