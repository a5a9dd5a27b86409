"""Exact numbers the futures engine computes off the atom grid: ratios as Decimals cut to 8 decimals, rates as
exact integer fractions, and rounding that always favours the same side."""
from __future__ import annotations

from decimal import ROUND_DOWN, Context, Decimal

EIGHT = Decimal("0.00000001")
_EXACT = Context(prec=60)  # enough digits that every quotient of two 64-bit amounts is exact before the cut


def ratio(numerator: int, denominator: int, precision: int) -> Decimal:
    """numerator / denominator atoms at `precision` decimals, cut (not rounded) to 8 decimals; 0 for 0/0."""
    if not denominator:
        return Decimal(0)
    value = _EXACT.divide(Decimal(numerator), Decimal(denominator)).scaleb(-precision)
    return value.quantize(EIGHT, rounding=ROUND_DOWN, context=_EXACT)


def format_decimal8(value: Decimal) -> str:
    """A computed amount as Binance prints it: 8 decimals, cut."""
    return f"{value.quantize(EIGHT, rounding=ROUND_DOWN, context=_EXACT):f}"  # never "0E-8"


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def break_even(cost: int, amt: int, base_unit: int, precision: int, fee_rate: int) -> Decimal:
    """The price at which closing the position now, paying `fee_rate` (x 1e8) on opening and closing, breaks
    even: entry x (1 + fee) / (1 - fee) for a long, entry x (1 - fee) / (1 + fee) for a short; 0 when flat."""
    if not amt:
        return Decimal(0)
    scale = 10**8
    if amt > 0:
        numerator, denominator = cost * (scale + fee_rate), scale - fee_rate
    else:
        numerator, denominator = cost * (scale - fee_rate), scale + fee_rate
    return ratio(numerator * base_unit, abs(amt) * denominator, precision)
