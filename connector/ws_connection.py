"""ReconnectingStream: one WebSocket kept alive: connect, hand every JSON frame to a callback, and on a close, an
error or silence reconnect with backoff.

Silence is detected by a ping of our own every `heartbeat` seconds that must be answered within half of it: a
socket that went quiet without a close frame fails this even on a quiet market, where no data frame is due (a
timeout on data frames alone would take a quiet market for a dead socket). `on_connected` runs after each
(re)connect, before frames are read, so the caller can subscribe and resynchronise what it may have missed while
down. Every message the connector sends goes through `send_json`, paced by a WsMessageThrottler of the
connection's own (Binance drops a connection that sends too many messages a second).
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable

import aiohttp

from connector import constants as c
from connector.throttler import WsMessageThrottler
from connector.web_assistant import WebAssistantsFactory

log = logging.getLogger(__name__)


class ReconnectingStream:
    def __init__(self, name: str, api: WebAssistantsFactory, url: Callable[[], Awaitable[str]],
                 on_message: Callable[[Any], Awaitable[None]],
                 on_connected: Callable[[aiohttp.ClientWebSocketResponse], Awaitable[None]] | None = None,
                 heartbeat: float = c.WS_HEARTBEAT_TIMEOUT, backoff: tuple[float, ...] = c.RECONNECT_BACKOFF,
                 messages_per_s: int = c.WS_MESSAGES_PER_S[c.SPOT]):
        self.name = name
        self._api = api
        self._url = url
        self._on_message = on_message
        self._on_connected = on_connected
        self._heartbeat = heartbeat
        self._backoff = backoff
        self.connected = asyncio.Event()
        self.connections = 0     # successful connects (1 + reconnects)
        self.last_recv_time = 0.0  # loop time of the last data frame
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._messages_per_s = messages_per_s
        self.send_throttler = WsMessageThrottler(messages_per_s)
        self._request_id = 0
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"ws:{self.name}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._close()

    async def send_json(self, payload: Any) -> None:
        """Send on the current connection, waiting if this second's share of messages is spent."""
        ws = self.ws
        await self.send_throttler.acquire()
        if ws is None or ws.closed or ws is not self.ws:
            raise ConnectionError(f"{self.name}: not connected")  # the next connection sends what it needs
        await ws.send_json(payload)

    async def request(self, method: str, params: list[str]) -> None:
        """A control request (SUBSCRIBE, UNSUBSCRIBE); its reply, {"result": null, "id": n}, needs no answer."""
        self._request_id += 1
        await self.send_json({"method": method, "params": params, "id": self._request_id})

    async def _close(self) -> None:
        self.connected.clear()
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        self.ws = None

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                url = await self._url()
                self.ws = await self._api.ws_connect(url, heartbeat=self._heartbeat)
                self.send_throttler = WsMessageThrottler(self._messages_per_s)  # the limit is per connection
                self.connections += 1
                if self._on_connected:
                    await self._on_connected(self.ws)
                self.connected.set()
                failures = 0
                await self._read(self.ws)
                log.info("%s: socket closed, reconnecting", self.name)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: drop the socket and try again after a pause
                log.info("%s: %r, reconnecting", self.name, exc)
            await self._close()
            await asyncio.sleep(self._backoff[min(failures, len(self._backoff) - 1)])
            failures += 1

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        loop = asyncio.get_running_loop()
        while True:
            message = await ws.receive()
            if message.type == aiohttp.WSMsgType.TEXT:
                self.last_recv_time = loop.time()
                try:
                    frame = json.loads(message.data)
                except ValueError:
                    log.warning("%s: not JSON, skipped: %.200s", self.name, message.data)
                    continue
                try:
                    await self._on_message(frame)
                except Exception:  # one frame we cannot use must not cost the connection
                    log.exception("%s: frame not handled: %.200s", self.name, message.data)
            elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED,
                                  aiohttp.WSMsgType.ERROR):
                return
