"""Index and mark prices of one perpetual, on the injected clock.

The index is the underlying's price: the market maker's random walk (the same index that drives the spot
market) or a control-plane setting. The mark price is index + premium, where the premium follows the perpetual
book's basis (mid price - index) with an exponential decay of half-life about PREMIUM_TAU_MS: a premium set by
the control plane (or a jump of the book) fades into the book's own basis over minutes, never at once. All
integer atoms; the decay step is integer arithmetic on elapsed milliseconds, so the same clock gives the same
marks.
"""
from __future__ import annotations

from collections import deque

PREMIUM_TAU_MS = 300_000  # five minutes, as Binance's moving-average basis window


class MarkPrice:
    """`mark` is kept up to date by the setters (read on every margin check, so it is a plain attribute)."""

    __slots__ = ("index", "premium", "time", "mark")

    def __init__(self) -> None:
        self.index: int | None = None  # quote atoms; None until someone sets it
        self.premium = 0  # atoms, signed
        self.time = 0  # when the premium last moved toward the book's basis
        self.mark: int | None = None

    def set_index(self, index: int) -> None:
        self.index = index
        self.mark = max(1, index + self.premium)

    def set_premium(self, premium: int) -> None:
        self.premium = premium
        if self.index is not None:
            self.mark = max(1, self.index + premium)

    def follow(self, basis: int | None, now: int) -> None:
        """Move the premium toward the book's basis for the time elapsed since the last step."""
        elapsed = now - self.time
        if elapsed <= 0:
            return
        self.time = now
        if basis is None:
            basis = 0  # an empty book pulls the mark back to the index
        self.set_premium(self.premium + (basis - self.premium) * elapsed // (elapsed + PREMIUM_TAU_MS))

    def state(self) -> list:
        return [self.index, self.premium, self.time]

    @classmethod
    def from_state(cls, values: list) -> "MarkPrice":
        price = cls()
        index, premium, price.time = values
        price.set_premium(premium)
        if index is not None:
            price.set_index(index)
        return price


MINUTE_MS = 60_000


class PriceKlines:
    """One-minute candles of a price series (mark or index), for markPriceKlines / indexPriceKlines: each row is
    [open_time, open, high, low, close] in price atoms, oldest first, `kept` minutes at most."""

    __slots__ = ("rows",)

    def __init__(self, kept: int):
        self.rows: deque[list[int]] = deque(maxlen=max(1, kept))

    def record(self, now: int, price: int) -> None:
        open_time = now - now % MINUTE_MS
        rows = self.rows
        if rows and rows[-1][0] == open_time:
            row = rows[-1]
            if price > row[2]:
                row[2] = price
            if price < row[3]:
                row[3] = price
            row[4] = price
        elif not rows or rows[-1][0] < open_time:
            rows.append([open_time, price, price, price, price])

    def state(self) -> list[list[int]]:
        return [list(row) for row in self.rows]

    def restore(self, rows: list) -> None:
        self.rows.clear()
        for row in rows:
            if len(row) != 5 or not all(type(v) is int for v in row):
                raise ValueError("price kline rows are [open_time, open, high, low, close] integers")
            self.rows.append(list(row))
