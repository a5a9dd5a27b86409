"""Percentages as Binance writes them: priceChangePercent and friends, three decimals, half away from zero."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

THREE_DECIMALS = Decimal("0.001")


def percent(change: int, base: int) -> str:
    """`change` as a percentage of `base` (both in the same atoms); "0.000" when there is no base."""
    if not base:
        return "0.000"
    return f"{(Decimal(change) * 100 / Decimal(base)).quantize(THREE_DECIMALS, rounding=ROUND_HALF_UP):f}"
