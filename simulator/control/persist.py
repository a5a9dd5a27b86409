"""`exsim serve --state FILE`: the simulator's state saved to a file now and then, and restored at start.

The state is captured on the event loop, between two requests, by `snapshot.capture`: a copy of what may still
change and references to the history that never does, a few milliseconds even for a large state. Everything
else happens in a worker thread: the document rendered and encoded in short pieces (`Capture.chunks`), so that
the loop runs between them (one long encoding call would hold the interpreter, and the loop, for all of it; a
whole rendered document would wake the garbage collector over the whole heap), written to a temporary file in the same directory, fsync'ed, renamed over FILE, and the directory fsync'ed, so a
kill -9 at any moment leaves either the previous file or the new one, never a mix. Writes are numbered, and a
slow older write never lands after a newer one.

A save that fails, for whatever reason (a full disk, a path that became a directory, a state that cannot be
written), is never silent: it is logged, `status()` (served as `GET /_sim/v1/health`) says what failed and
when, and the periodic saver keeps trying. A save called directly (at start, at shutdown) raises SaveError.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aiohttp import web

from simulator.control.snapshot import Capture, write_atomic

log = logging.getLogger(__name__)


class SaveError(Exception):
    """The state could not be saved; the message says why."""


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


def _yielding(pieces: Iterator[str]) -> Iterator[str]:
    """The pieces, handing the interpreter over after each one. A thread that never blocks keeps it until the
    loop has waited a whole switch interval (5 ms), and the loop asks for it again after every socket read and
    write of a request; `sleep(0)` hands it over at once (the loop's 99th percentile wait drops from tens of
    milliseconds to a few, for a save about a tenth slower)."""
    for piece in pieces:
        yield piece
        time.sleep(0)


class StateSaver:
    def __init__(self, sim, path: str | Path, wall_ms: Callable[[], int] = _wall_ms):
        self.sim = sim
        self.path = Path(path)
        self._wall_ms = wall_ms  # when saves happened, for people: not the simulator's (movable) clock
        self._lock = threading.Lock()
        self._generation = 0
        self._written = 0
        self.last_saved_at: int | None = None
        self.last_error: str | None = None
        self.last_error_at: int | None = None
        self.failures = 0  # in a row, since the last save that worked

    def _capture(self) -> tuple[int, Capture]:
        self._generation += 1
        return self._generation, self.sim.capture()

    def _write(self, generation: int, capture: Capture) -> None:
        with self._lock:
            if generation <= self._written:
                return  # a newer state is already on disk
            write_atomic(self.path, _yielding(capture.chunks()))
            self._written = generation

    def save(self) -> None:
        """Capture and write now, synchronously (at start and at shutdown); SaveError if it cannot be done."""
        try:
            self._write(*self._capture())
        except Exception as exc:  # whatever it is, the caller is told and status() shows it
            raise self._failed(exc) from exc
        self._saved()

    async def save_async(self) -> None:
        """Capture on the loop, render, encode and write in a thread; SaveError if it cannot be done."""
        try:
            generation, capture = self._capture()
            await asyncio.to_thread(self._write, generation, capture)
        except Exception as exc:
            raise self._failed(exc) from exc
        self._saved()

    async def run(self, interval_s: float) -> None:
        """Save every `interval_s` seconds until cancelled; a failure is logged, shown, and tried again next time."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.save_async()
            except SaveError:
                pass  # logged and recorded by save_async

    def _saved(self) -> None:
        if self.failures:
            log.warning("exsim: state saved to %s again, after %d failed attempt(s)", self.path, self.failures)
        self.failures = 0
        self.last_saved_at = self._wall_ms()

    def _failed(self, exc: Exception) -> SaveError:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
        self.failures += 1
        self.last_error = reason
        self.last_error_at = self._wall_ms()
        # An OSError is the machine's doing (disk, permissions); anything else is a bug: keep its traceback.
        log.error("exsim: cannot save state to %s: %s", self.path, reason, exc_info=not isinstance(exc, OSError))
        return SaveError(f"cannot save state to {self.path}: {reason}")

    def status(self) -> dict[str, Any]:
        """How saving goes: failing now or not, the last save that worked and the last error, with their times
        (wall-clock milliseconds)."""
        return {"path": str(self.path), "ok": self.failures == 0, "lastSavedAt": self.last_saved_at,
                "failures": self.failures, "lastError": self.last_error, "lastErrorAt": self.last_error_at}


# The server's StateSaver (with `exsim serve --state`): the control plane's health route reports its status.
STATE_SAVER = web.AppKey("exsim_state_saver", StateSaver)
