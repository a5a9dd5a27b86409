"""The simulator's clock: wall time, shifted by what the control plane asks for.

`advance` moves simulated time forward for everything (klines, funding, listenKey expiry); `skew` moves only the
time the server *reports and checks timestamps against*, so a client that never resyncs starts to get -1021.
A frozen clock ignores the wall entirely, for tests and replays that must not depend on when they run.

The model a person can predict: an advance never goes backwards while the simulator lives, so a client that syncs
with `GET /api/v3/time` (Binance's documented practice, e.g. ccxt's `adjustForTimeDifference`) keeps signing valid
timestamps across it; a snapshot carries both offsets (its timestamps were made on them); `reset` (a new world
from the config) `rewind`s both to zero: back to wall time, or to the frozen start.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from simulator.jsonstate import expect_int, expect_optional_int


class SimClock:
    def __init__(self, frozen_at_ms: int | None = None):
        self._frozen = frozen_at_ms
        self.advanced_ms = 0
        self.skew_ms = 0

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def now_ms(self) -> int:
        """Simulated time: what the engine, streams and expiries run on."""
        base = self._frozen if self._frozen is not None else time.time_ns() // 1_000_000
        return base + self.advanced_ms

    def server_time_ms(self) -> int:
        """What /time reports and what request timestamps are checked against."""
        return self.now_ms() + self.skew_ms

    def advance(self, ms: int) -> None:
        if ms < 0:
            raise ValueError("the clock never goes backwards")
        self.advanced_ms += ms

    def rewind_by(self, ms: int) -> None:
        """Take back ms of earlier advances (never past the wall, or the frozen start). The one exception to
        "never backwards", for a scenario giving back the future it borrowed when it ends."""
        if not 0 <= ms <= self.advanced_ms:
            raise ValueError(f"can take back 0 to {self.advanced_ms} ms of advance, not {ms}")
        self.advanced_ms -= ms

    def set_skew(self, ms: int) -> None:
        self.skew_ms = ms

    def ahead_ms(self) -> int:
        """How far the reported time is ahead of the wall (or of the frozen start); negative when behind."""
        return self.advanced_ms + self.skew_ms

    def rewind(self) -> None:
        """Back to the start: wall time (or the frozen instant), no skew. Only for a reset: everything that
        kept a timestamp is discarded with it."""
        self.advanced_ms = 0
        self.skew_ms = 0

    # --- snapshots -----------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"frozen_at": self._frozen, "advanced_ms": self.advanced_ms, "skew_ms": self.skew_ms}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "SimClock":
        """A clock in the state that `state()` gave. An unfrozen clock reads the wall clock again, so only
        the offsets carry over. KeyError, TypeError or ValueError if `state` is not a valid state."""
        clock = cls(frozen_at_ms=expect_optional_int(state["frozen_at"], "clock frozen_at"))
        clock.advanced_ms = expect_int(state["advanced_ms"], "clock advanced_ms")
        if clock.advanced_ms < 0:
            raise ValueError(f"clock advanced_ms: {clock.advanced_ms} is negative (time never goes backwards)")
        clock.skew_ms = expect_int(state["skew_ms"], "clock skew_ms")
        return clock
