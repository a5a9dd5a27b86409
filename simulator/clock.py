"""The simulator's clock: wall time, shifted by what the control plane asks for.

`advance` moves simulated time forward for everything (klines, funding, listenKey expiry); `skew` moves only the
time the server *reports and checks timestamps against*, so a client that never resyncs starts to get -1021.
A frozen clock ignores the wall entirely, for tests and replays that must not depend on when they run.
"""
from __future__ import annotations

import time


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

    def set_skew(self, ms: int) -> None:
        self.skew_ms = ms
