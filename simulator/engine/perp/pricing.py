"""Index and mark prices of one perpetual, on the injected clock.

The index is the underlying's price: the market maker's random walk (the same index that drives the spot
market) or a control-plane setting. The mark price is index + premium, where the premium follows the perpetual
book's basis (mid price - index) with an exponential decay of half-life about PREMIUM_TAU_MS: a premium set by
the control plane (or a jump of the book) fades into the book's own basis over minutes, never at once. All
integer atoms; the decay step is integer arithmetic on elapsed milliseconds, so the same clock gives the same
marks.
"""
from __future__ import annotations

PREMIUM_TAU_MS = 300_000  # five minutes, as Binance's moving-average basis window


class MarkPrice:
    __slots__ = ("index", "premium", "time")

    def __init__(self) -> None:
        self.index: int | None = None  # quote atoms; None until someone sets it
        self.premium = 0  # atoms, signed
        self.time = 0  # when the premium last moved toward the book's basis

    @property
    def mark(self) -> int | None:
        if self.index is None:
            return None
        return max(1, self.index + self.premium)

    def follow(self, basis: int | None, now: int) -> None:
        """Move the premium toward the book's basis for the time elapsed since the last step."""
        elapsed = now - self.time
        if elapsed <= 0:
            return
        self.time = now
        if basis is None:
            basis = 0  # an empty book pulls the mark back to the index
        self.premium += (basis - self.premium) * elapsed // (elapsed + PREMIUM_TAU_MS)

    def state(self) -> list:
        return [self.index, self.premium, self.time]

    @classmethod
    def from_state(cls, values: list) -> "MarkPrice":
        price = cls()
        price.index, price.premium, price.time = values
        return price
