"""Maker/taker fee tiers. Rates are exact fractions held as integers scaled by RATE_SCALE."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

RATE_SCALE = 10**8  # rates have 8 decimals, as Binance's commissionRates strings do


def rate_to_int(rate: Decimal | str) -> int:
    scaled = Decimal(rate).scaleb(8)
    if scaled != scaled.to_integral_value() or scaled < 0 or scaled >= RATE_SCALE:
        raise ValueError(f"fee rate {rate!r} must be in [0, 1) with at most 8 decimals")
    return int(scaled)


def commission(amount: int, rate: int) -> int:
    """Fee in atoms of the received asset, rounded half up to the atom."""
    return (amount * rate + RATE_SCALE // 2) // RATE_SCALE


@dataclass(frozen=True, slots=True)
class FeeTier:
    maker: int
    taker: int

    @classmethod
    def of(cls, maker: Decimal | str, taker: Decimal | str) -> "FeeTier":
        return cls(rate_to_int(maker), rate_to_int(taker))


class FeeSchedule:
    """Tier 0 is the default; an account's tier index selects its rates."""

    def __init__(self, tiers: list[FeeTier] | None = None):
        self.tiers = tiers or [FeeTier.of("0.001", "0.001")]

    def tier(self, index: int) -> FeeTier:
        if not 0 <= index < len(self.tiers):
            raise ValueError(f"no fee tier {index}; tiers 0..{len(self.tiers) - 1} exist")
        return self.tiers[index]
