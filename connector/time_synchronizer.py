"""TimeSynchronizer: the server's clock as the connector sees it, for signed requests' `timestamp`.

It asks the time endpoint, measures the round trip, and takes the server time to have been read halfway through
it: offset = serverTime - (sent + received) / 2. The median of the last few samples is used, so one slow answer
does not move it. An exchange answering -1021 means the offset is stale: the caller clears it and syncs again.

Clocks drift, and the exchange's can be moved, so the offset is also measured again every `resync_interval`
seconds (Hummingbot's time synchronizer does the same), whether or not anything was refused: `resync_due` says
when. The new samples join the old ones (nothing is cleared), so requests signed while a resync runs use the
offset as it stands. A failed sync is tried again after `retry_interval`, not at once.
"""
from __future__ import annotations

import statistics
import time
from collections import deque
from typing import Awaitable, Callable

from connector import constants as c


class TimeSynchronizer:
    def __init__(self, clock: Callable[[], float] = time.time, samples: int = 5,
                 resync_interval: float = c.TIME_SYNC_INTERVAL, retry_interval: float = c.TIME_SYNC_RETRY):
        self._clock = clock  # seconds, wall clock; injected by tests
        self._offsets_ms: deque[int] = deque(maxlen=samples)
        self.last_round_trip_ms: int | None = None
        self.resync_interval = resync_interval
        self._retry_interval = retry_interval
        self._next_sync_s = -float("inf")  # by `clock`: due at once until a first sync
        self.syncs = 0  # completed syncs (start, -1021 and periodic alike)

    @property
    def synced(self) -> bool:
        return bool(self._offsets_ms)

    @property
    def offset_ms(self) -> int:
        return int(statistics.median(self._offsets_ms)) if self._offsets_ms else 0

    def now_ms(self) -> int:
        """The exchange's time now, in milliseconds (the local clock until a sync happened)."""
        return int(self._clock() * 1000) + self.offset_ms

    def add_sample(self, sent_ms: int, received_ms: int, server_ms: int) -> None:
        self.last_round_trip_ms = received_ms - sent_ms
        self._offsets_ms.append(server_ms - (sent_ms + received_ms) // 2)

    def clear(self) -> None:
        self._offsets_ms.clear()

    @property
    def resync_due(self) -> bool:
        return self._clock() >= self._next_sync_s

    async def update_server_time_offset(self, fetch_server_time_ms: Callable[[], Awaitable[int]],
                                        rounds: int = 1) -> None:
        """Measure `rounds` samples with `fetch_server_time_ms` (an unsigned GET of the time endpoint)."""
        try:
            for _ in range(rounds):
                sent = int(self._clock() * 1000)
                server = await fetch_server_time_ms()
                received = int(self._clock() * 1000)
                self.add_sample(sent, received, server)
        except BaseException:
            self._next_sync_s = self._clock() + min(self._retry_interval, self.resync_interval)
            raise
        self._next_sync_s = received / 1000 + self.resync_interval
        self.syncs += 1
