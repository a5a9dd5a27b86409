"""One WebSocket client as the server sees it: a bounded outbound queue drained by one writer task, and closing.

Sending never blocks: `send` puts the text on the connection's queue (through the ws_* fault hooks while any
fault is registered), and the writer task delivers queued items in order, so control replies, pings and events
leave in the order they were queued. A connection whose queue overflows (a consumer too slow to keep up) is
dropped at once; the engine never waits for a socket.

What a connection carries (its market stream names and user data sinks) is filled in by the hub; the
connection only keeps it, for the hub's fan-out and for fault targeting.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable
from typing import Any, Protocol

from aiohttp import WSCloseCode, web

from simulator.app_keys import JOURNAL
from simulator.dialects.binance.streams import faults as ws_faults
from simulator.dialects.binance.streams.user import UserSink, dumps

CLOSE_TIMEOUT_S = 2.0


class Owner(Protocol):
    """What a connection needs of the hub that opened it."""

    sim: Any

    def spawn(self, coro: Awaitable) -> asyncio.Future: ...

    def forget(self, conn: Connection) -> None: ...


class Ping:
    """A keepalive ping waiting in the queue."""


PING = Ping()


class Pong:
    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data


class Connection:
    """One WebSocket client: its outbound queue, its subscriptions and what policing needs to know."""

    def __init__(self, hub: Owner, ws: web.WebSocketResponse, request: web.Request, *, conn_id: int,
                 max_queue: int, combined: bool, market: bool):
        self.hub = hub
        self.ws = ws
        self.request = request
        self.remote = request.remote or ""
        self.combined = combined
        self.market = market
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=max_queue)
        self.names: dict[str, None] = {}  # market stream names, in subscription order
        self.user_sinks: dict[str | int, UserSink] = {}  # by listenKey, or by WebSocket API subscription id
        self.next_subscription_id = 0
        self.return_rate_limits = request.query.get("returnRateLimits", "").lower() != "false"
        # timeUnit=MICROSECOND (any case) on /ws or /stream: event times in microseconds
        self.micro = market and request.query.get("timeUnit", "").upper() == "MICROSECOND"
        self.opened_ms = hub.sim.clock.now_ms()
        self.connected_since = hub.sim.clock.server_time_ms()
        now = time.monotonic()
        self.last_ping = now
        self.awaiting_pong_since: float | None = None
        self.incoming: deque[float] = deque()
        self.closed = False  # forgotten by the hub: nothing more is queued
        self.closing = False
        self.closing_task: asyncio.Future | None = None
        self.held: dict[tuple, ws_faults.Held] = {}  # ws_reorder: frames waiting for their stream's next one
        self.conn_id = conn_id
        self.path = request.path_qs
        self.journal = request.app.get(JOURNAL)
        if self.journal is not None:
            self.journal.ws("open", self.conn_id, self.path, None, remote=self.remote)
        self.writer = asyncio.create_task(self._write())

    # --- sending (never blocks) ------------------------------------------------------------------------
    def send(self, text: str, stream: str | None = None, account_id: int | None = None,
             details: dict[str, str | None] | None = None) -> None:
        """Queue one text message; `stream` (a market stream name or a listenKey), `account_id` (of a user
        data message) and `details` (a user data event's type and execution type) are what faults target it by."""
        injector = self.hub.sim.faults
        if injector.kinds:
            ws_faults.send(self, injector, text, stream, account_id, details)
        else:
            self.put(text)

    def send_json(self, payload: object) -> None:
        self.send(dumps(payload))

    def silenced(self) -> bool:
        """A ws_silence fault holds this connection: not even pings or pongs leave it."""
        injector = self.hub.sim.faults
        return bool(injector.kinds) and ws_faults.silenced(self, injector)

    def journal_drop(self, text: str, kind: str) -> None:
        if self.journal is not None:
            self.journal.ws("drop", self.conn_id, self.path, text, fault=kind)

    def put(self, item: object) -> None:
        """Queue an item as it is (text, a delayed text, a ping or a pong), past the faults."""
        if self.closed:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.abort(WSCloseCode.POLICY_VIOLATION, "Send queue overflow: consumer too slow")

    async def _write(self) -> None:
        ws, queue, journal = self.ws, self.queue, self.journal
        loop = asyncio.get_running_loop()
        try:
            while True:
                item = await queue.get()
                try:
                    if isinstance(item, ws_faults.Delayed):  # ws_delay: it, and all behind it, wait
                        wait = item.due - loop.time()
                        if wait > 0:
                            await asyncio.sleep(wait)
                        item = item.text
                    if isinstance(item, str):
                        await ws.send_str(item)
                        if journal is not None:
                            journal.ws("out", self.conn_id, self.path, item)
                    elif item is PING:
                        await ws.ping(b"")
                        if journal is not None:
                            journal.ws("out", self.conn_id, self.path, None, frame="ping")
                    elif isinstance(item, Pong):
                        await ws.pong(item.data)
                        if journal is not None:
                            journal.ws("out", self.conn_id, self.path, None, frame="pong")
                finally:
                    queue.task_done()
        except asyncio.CancelledError:
            raise
        except Exception:  # the peer went away mid-write: stop here, the reader sees the close
            self.close_soon(WSCloseCode.ABNORMAL_CLOSURE, "write failed", drain=False)

    # --- closing ---------------------------------------------------------------------------------------
    def abort(self, code: int, reason: str) -> None:
        """Drop the connection now, from synchronous code: what is still queued is discarded."""
        self.close_soon(code, reason, drain=False)

    def close_soon(self, code: int, reason: str, *, drain: bool = True) -> None:
        """Stop all sending to this connection now and close it in the background."""
        if self._start_closing():
            self.closing_task = self.hub.spawn(self._finish(code, reason, drain))

    async def close(self, code: int, reason: str) -> None:
        """Close from async code: let queued frames go first (up to a short timeout), then close."""
        self.close_soon(code, reason)
        if self.closing_task is not None:
            await asyncio.shield(self.closing_task)

    def _start_closing(self) -> bool:
        if self.closing:
            return False
        self.closing = True
        self.hub.forget(self)
        return True

    def journal_close(self, **details: object) -> None:
        journal, self.journal = self.journal, None  # once per connection
        if journal is not None:
            journal.ws("close", self.conn_id, self.path, None, **details)

    async def _finish(self, code: int, reason: str, drain: bool) -> None:
        if drain:
            try:
                await asyncio.wait_for(self.queue.join(), CLOSE_TIMEOUT_S)
            except asyncio.TimeoutError:
                pass
        self.writer.cancel()
        try:
            await asyncio.wait_for(self.ws.close(code=code, message=reason.encode()), CLOSE_TIMEOUT_S)
        except (asyncio.TimeoutError, ConnectionError, RuntimeError):
            pass
        finally:
            # abort, not close: close() lets the transport flush what it holds first, and a consumer too slow to
            # read leaves megabytes there, so the socket (and its kernel buffers) would live until the client
            # left. After a clean handshake nothing is left to flush, and aborting the closed transport is a no-op.
            transport = self.request.transport
            if transport is not None:
                transport.abort()
            self.journal_close(code=code, reason=reason)
