"""`exsim serve --state FILE`: the simulator's state saved to a file now and then, and restored at start.

The state is captured on the event loop (a consistent snapshot between two requests), then written in a worker
thread: to a temporary file in the same directory, fsync'ed, renamed over FILE, and the directory fsync'ed, so a
kill -9 at any moment leaves either the previous file or the new one, never a mix. Writes are numbered, and a
slow older write never lands after a newer one.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from simulator.control.snapshot import to_json, write_atomic

log = logging.getLogger(__name__)


class StateSaver:
    def __init__(self, sim, path: str | Path):
        self.sim = sim
        self.path = Path(path)
        self._lock = threading.Lock()
        self._generation = 0
        self._written = 0

    def _capture(self) -> tuple[int, str]:
        self._generation += 1
        return self._generation, to_json(self.sim.snapshot())

    def _write(self, generation: int, text: str) -> None:
        with self._lock:
            if generation <= self._written:
                return  # a newer state is already on disk
            write_atomic(self.path, text)
            self._written = generation

    def save(self) -> None:
        """Capture and write now, synchronously (at start and at shutdown). OSError if it cannot be written."""
        self._write(*self._capture())

    async def save_async(self) -> None:
        generation, text = self._capture()
        await asyncio.to_thread(self._write, generation, text)

    async def run(self, interval_s: float) -> None:
        """Save every `interval_s` seconds until cancelled; a failed write is logged and retried next time."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.save_async()
            except OSError as exc:
                log.error("exsim: cannot save state to %s: %s", self.path, exc.strerror or exc)
