"""Funding, as Binance computes it (reference §9):

- the premium index is sampled on the clock, once a minute: P = (max(0, bid - index) - max(0, index - ask)) / index
  from the perpetual book's best prices;
- at settlement, rate = avg(P) + clamp(interest - avg(P), -0.05 %, +0.05 %), then capped to the symbol's
  [floor, cap], at 8 decimals (a rate set by the control plane replaces it, once);
- settlement happens at each symbol's interval boundary (00:00, 08:00, 16:00 UTC for 8 h) on the injected clock,
  and positions open at that instant pay or receive |size| x mark x rate: longs pay shorts when the rate is
  positive. Each payer pays its amount rounded up to the atom and each receiver gets its amount rounded down,
  so the accounts' total is never positive; the rounding rest goes to the insurance fund and the ledger
  (funding paid by accounts + funding rest to the fund == 0) holds exactly.
"""
from __future__ import annotations

from collections import deque
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import NamedTuple

MINUTE_MS = 60_000
RATE_STEP = Decimal("0.00000001")
CLAMP = Decimal("0.0005")
HISTORY_KEPT = 1000  # funding-rate history rows per symbol (/fapi/v1/fundingRate answers at most 1000)
_CONTEXT = Context(prec=40)


class FundingRecord(NamedTuple):
    symbol: str
    rate: Decimal
    funding_time: int
    mark: int


def first_funding_time(now: int, interval_ms: int) -> int:
    """The next interval boundary after `now` (boundaries are multiples of the interval since the epoch)."""
    return (now // interval_ms + 1) * interval_ms


def premium_index(bid: int | None, ask: int | None, index: int) -> Decimal:
    """One premium-index sample from the book's best prices (a missing side contributes nothing)."""
    up = max(0, bid - index) if bid is not None else 0
    down = max(0, index - ask) if ask is not None else 0
    return _CONTEXT.divide(Decimal(up - down), Decimal(index))


def funding_rate(average_premium: Decimal, interest: Decimal, floor: Decimal, cap: Decimal) -> Decimal:
    clamp = min(max(interest - average_premium, -CLAMP), CLAMP)
    rate = min(max(average_premium + clamp, floor), cap)
    return rate.quantize(RATE_STEP, rounding=ROUND_HALF_EVEN, context=_CONTEXT)


class FundingSchedule:
    """One symbol's funding state: when it settles next, the premium samples of the current period, a rate the
    control plane set for the next settlement, and the settled history."""

    __slots__ = ("next_time", "premium_sum", "samples", "next_sample", "override", "history")

    def __init__(self, next_time: int):
        self.next_time = next_time
        self.premium_sum = Decimal(0)
        self.samples = 0
        self.next_sample = 0  # the clock time the next premium sample is due
        self.override: Decimal | None = None
        self.history: deque[FundingRecord] = deque(maxlen=HISTORY_KEPT)

    def sample(self, premium: Decimal) -> None:
        self.premium_sum = _CONTEXT.add(self.premium_sum, premium)
        self.samples += 1

    def average_premium(self) -> Decimal:
        if not self.samples:
            return Decimal(0)
        return _CONTEXT.divide(self.premium_sum, Decimal(self.samples))

    def current_rate(self, interest: Decimal, floor: Decimal, cap: Decimal) -> Decimal:
        """The rate the next settlement will apply if nothing changes (premiumIndex's lastFundingRate)."""
        if self.override is not None:
            return self.override
        return funding_rate(self.average_premium(), interest, floor, cap)

    def settled(self, record: FundingRecord, interval_ms: int) -> None:
        """A settlement happened: record it, start a new period, roll the next funding time past it."""
        self.history.append(record)
        self.premium_sum = Decimal(0)
        self.samples = 0
        self.override = None
        while self.next_time <= record.funding_time:
            self.next_time += interval_ms

    def state(self) -> dict:
        return {"next_time": self.next_time, "premium_sum": str(self.premium_sum), "samples": self.samples,
                "next_sample": self.next_sample,
                "override": None if self.override is None else str(self.override),
                "history": [[r.symbol, str(r.rate), r.funding_time, r.mark] for r in self.history]}

    @classmethod
    def from_state(cls, state: dict) -> "FundingSchedule":
        schedule = cls(int(state["next_time"]))
        schedule.premium_sum = Decimal(state["premium_sum"])
        schedule.samples = int(state["samples"])
        schedule.next_sample = int(state["next_sample"])
        schedule.override = None if state["override"] is None else Decimal(state["override"])
        for symbol, rate, time, mark in state["history"]:
            schedule.history.append(FundingRecord(symbol, Decimal(rate), int(time), int(mark)))
        return schedule
