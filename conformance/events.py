"""The adapter's events as the suite records them: every event kept in order, and waits on them with deadlines.

Events are told apart by class name (`type(e).__name__`, see conformance.adapter), so an adapter may use its own
classes. One log lives for the whole check; a restarted adapter's events are appended to the same log.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Optional


def kind(event: Any) -> str:
    return type(event).__name__


def describe(event: Any) -> str:
    """A short rendering for evidence: the class name and the fields that identify the event."""
    fields = getattr(event, "__dataclass_fields__", None)
    names = list(fields) if fields else [n for n in vars(event) if not n.startswith("_")]
    return f"{kind(event)}(" + ", ".join(f"{n}={getattr(event, n, None)}" for n in names) + ")"


class EventLog:
    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = asyncio.Event()
        self._pumps: list[asyncio.Task] = []
        self.errors: list[BaseException] = []

    def attach(self, adapter: Any) -> None:
        """Start recording an adapter's event stream (call right after building it)."""
        self._pumps.append(asyncio.get_running_loop().create_task(self._pump(adapter)))

    async def _pump(self, adapter: Any) -> None:
        try:
            async for event in adapter.events():
                self.items.append(event)
                self._changed.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an adapter whose stream broke: the checks will see events missing
            self.errors.append(exc)

    async def close(self) -> None:
        for task in self._pumps:
            task.cancel()
        for task in self._pumps:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._pumps.clear()

    def of(self, name: str, **fields: Any) -> list[Any]:
        """Recorded events of that class name whose fields equal the given values."""
        return [e for e in self.items if kind(e) == name
                and all(getattr(e, k, None) == v for k, v in fields.items())]

    def mark(self) -> int:
        """A position in the log; `wait(..., after=mark)` looks only at later events."""
        return len(self.items)

    async def wait(self, match: Callable[[Any], bool], timeout: float, after: int = 0) -> Optional[Any]:
        """The first event (at index >= after) that matches, waiting up to `timeout` s; None if none came."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        index = after
        while True:
            while index < len(self.items):
                event = self.items[index]
                index += 1
                if match(event):
                    return event
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def wait_for(self, name: str, timeout: float, after: int = 0, **fields: Any) -> Optional[Any]:
        return await self.wait(lambda e: kind(e) == name and all(getattr(e, k, None) == v
                                                                 for k, v in fields.items()), timeout, after)

    async def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Wait until no new event has arrived for `quiet` seconds (at most `timeout`): used only before
        asserting that something did NOT happen (a duplicate), never to wait for something expected."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            count = len(self.items)
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(quiet, max(0.0, deadline - loop.time())))
            except asyncio.TimeoutError:
                if len(self.items) == count:
                    return
