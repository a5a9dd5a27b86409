"""Time as the engine sees it: an injected source of milliseconds, never the wall clock directly."""
from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...


class ManualClock:
    """A clock that only moves when told to: tests, replays and benchmarks run on it."""

    __slots__ = ("_now",)

    def __init__(self, start_ms: int = 1_700_000_000_000):
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, ms: int) -> None:
        if ms < 0:
            raise ValueError("a clock never goes backwards")
        self._now += ms

    def set(self, ms: int) -> None:
        if ms < self._now:
            raise ValueError("a clock never goes backwards")
        self._now = ms
