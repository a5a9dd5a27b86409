"""UserStreamTrackerDataSource: the private side of the wire (orders, fills, balances, positions, funding).

Two ways in, both kept alive by a ReconnectingStream (reconnect after a close, an error or silence):
  * spot, `mode="ws_api"` (the default, Binance's current way): connect to /ws-api/v3 and send
    `userDataStream.subscribe.signature`; events arrive wrapped as {"subscriptionId", "event"};
  * `mode="listen_key"` (spot's legacy way, USD-M's only way): POST a listenKey, connect to it, PUT it every
    30 minutes; an expired key (`listenKeyExpired`, or a keep-alive answered -1125) is dropped and a new one
    created on the reconnect that follows.
Events (unwrapped) go to `queue`; `on_reconnect` tells the exchange that events may have been missed, so it
polls order status and balances at once.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any, Awaitable, Callable

import aiohttp

from connector import constants as c
from connector.web_assistant import ExchangeError, WebAssistantsFactory
from connector.ws_connection import ReconnectingStream

log = logging.getLogger(__name__)
_ids = itertools.count(1)


class UserStreamTrackerDataSource:
    def __init__(self, api: WebAssistantsFactory, ws_base: str, market: str = c.SPOT, mode: str = "ws_api",
                 heartbeat: float = c.WS_HEARTBEAT_TIMEOUT, keepalive_interval: float = c.LISTEN_KEY_KEEPALIVE):
        if market == c.USDM:
            mode = "listen_key"
        self._api = api
        self._ws_base = ws_base.rstrip("/")
        self.market = market
        self.mode = mode
        self._keepalive_interval = keepalive_interval
        self.listen_key: str | None = None
        self.listen_keys_created = 0
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.on_reconnect: Callable[[], Awaitable[None]] | None = None
        self.stream = ReconnectingStream(f"{market}-user", api, self._url, self._handle, self._connected,
                                         heartbeat=heartbeat, messages_per_s=c.WS_MESSAGES_PER_S[market])
        self._keepalive_task: asyncio.Task | None = None
        self.subscribed = asyncio.Event()

    @property
    def _listen_key_path(self) -> str:
        return c.USER_DATA_STREAM if self.market == c.SPOT else c.F_LISTEN_KEY

    @property
    def last_recv_time(self) -> float:
        return self.stream.last_recv_time

    def start(self) -> None:
        self.stream.start()
        if self.mode == "listen_key":
            self._keepalive_task = asyncio.get_running_loop().create_task(self._keepalive_loop(), name="listenKey")

    async def stop(self) -> None:
        if self._keepalive_task:
            self._keepalive_task.cancel()
            await asyncio.gather(self._keepalive_task, return_exceptions=True)
        await self.stream.stop()
        if self.listen_key:
            try:
                await self._api.api_request("DELETE", self._listen_key_path, {"listenKey": self.listen_key},
                                            api_key=True)
            except Exception:  # closing down: a key we fail to delete expires on its own
                pass
            self.listen_key = None

    async def _url(self) -> str:
        self.subscribed.clear()
        if self.mode == "ws_api":
            return f"{self._ws_base}/ws-api/v3"
        if self.listen_key is None:
            answer = await self._api.api_request("POST", self._listen_key_path, api_key=True)
            self.listen_key = answer["listenKey"]
            self.listen_keys_created += 1
        if self.market == c.USDM:
            return f"{self._ws_base}/private/ws?listenKey={self.listen_key}"
        return f"{self._ws_base}/ws/{self.listen_key}"

    async def _connected(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        if self.mode == "ws_api":
            await self._subscribe(ws)
        self.subscribed.set()
        if self.on_reconnect:
            await self.on_reconnect()

    async def _subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        request_id = next(_ids)
        params = self._api.auth.sign_ws_params({})
        await self.stream.send_json({"id": request_id, "method": "userDataStream.subscribe.signature",
                                     "params": params})
        async with asyncio.timeout(10):
            while True:
                message = await ws.receive_json()
                if message.get("id") != request_id:
                    continue
                if message.get("status") == 200:
                    return
                error = message.get("error", {})
                if error.get("code") == c.INVALID_TIMESTAMP:
                    self._api.time_synchronizer.clear()
                    await self._api.sync_time()
                raise ExchangeError(message.get("status", 0), error.get("code"), error.get("msg", ""), "WS",
                                    "userDataStream.subscribe.signature")

    async def _handle(self, frame: Any) -> None:
        if not isinstance(frame, dict):
            return
        event = frame.get("event") if "subscriptionId" in frame else frame
        if not isinstance(event, dict) or "e" not in event:
            return  # replies to requests, anything unexpected
        if event["e"] == "listenKeyExpired":
            await self._drop_listen_key()
            return
        if event["e"] == "eventStreamTerminated":
            await self._reconnect_now()
            return
        self.queue.put_nowait(event)

    async def _drop_listen_key(self) -> None:
        log.info("listenKey expired: a new one on the reconnect")
        self.listen_key = None
        await self._reconnect_now()

    async def _reconnect_now(self) -> None:
        ws = self.stream.ws
        if ws is not None and not ws.closed:
            await ws.close()  # the stream's read loop sees the close and reconnects (asking a new key first)

    async def _keepalive_loop(self) -> None:
        while True:
            await asyncio.sleep(self._keepalive_interval)
            await self.keepalive()

    async def keepalive(self) -> None:
        if self.listen_key is None:
            return
        try:
            await self._api.api_request("PUT", self._listen_key_path, {"listenKey": self.listen_key}, api_key=True)
        except ExchangeError as exc:
            if exc.code == -1125:  # the key is gone: recreate it on a fresh connection
                await self._drop_listen_key()
            else:
                log.info("listenKey keep-alive failed: %s", exc)
