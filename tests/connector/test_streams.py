"""WebSocket handling against a fake loopback server: reconnect after a close, detection of a silent socket,
the spot ws-api subscription, and listenKey expiry and keep-alive (REST side through a real handler too)."""
from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

from connector import constants as c
from connector.auth import BinanceAuth, hmac_sha256_hex
from connector.throttler import AsyncThrottler
from connector.time_synchronizer import TimeSynchronizer
from connector.user_stream_data_source import UserStreamTrackerDataSource
from connector.web_assistant import WebAssistantsFactory
from connector.ws_connection import ReconnectingStream


class FakeServer:
    """Counts connections; each handler is the test's own coroutine (ws, request) -> None."""

    def __init__(self):
        self.app = web.Application()
        self.connections = 0
        self.handler = None
        self.listen_keys = 0
        self.keepalives = []
        self.sockets: list[web.WebSocketResponse] = []
        self.app.router.add_get("/ws-api/v3", self._ws)
        self.app.router.add_get("/ws/{key}", self._ws)
        self.app.router.add_get("/stream", self._ws)
        self.app.router.add_post(c.USER_DATA_STREAM, self._new_key)
        self.app.router.add_put(c.USER_DATA_STREAM, self._keepalive)
        self.app.router.add_delete(c.USER_DATA_STREAM, self._delete_key)

    async def _ws(self, request):
        ws = web.WebSocketResponse(autoping=request.query.get("silent") is None)
        await ws.prepare(request)
        self.connections += 1
        self.sockets.append(ws)
        await self.handler(ws, request)
        return ws

    async def _new_key(self, request):
        self.listen_keys += 1
        return web.json_response({"listenKey": f"key{self.listen_keys}"})

    async def _delete_key(self, request):
        return web.json_response({})

    async def _keepalive(self, request):
        self.keepalives.append(request.query.get("listenKey"))
        if request.query.get("listenKey") == "key1" and len(self.keepalives) > 1:
            return web.json_response({"code": -1125, "msg": "This listenKey does not exist."}, status=400)
        return web.json_response({})

    async def start(self):
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self):
        for ws in self.sockets:
            await ws.close()
        await self.runner.cleanup()


@pytest.fixture
async def server():
    s = await FakeServer().start()
    yield s
    await s.stop()


@pytest.fixture
async def api(server):
    sync = TimeSynchronizer()
    factory = WebAssistantsFactory(f"http://127.0.0.1:{server.port}", BinanceAuth("k", "s", sync),
                                   AsyncThrottler(c.DEFAULT_SPOT_POOLS), sync)
    yield factory
    await factory.close()


async def wait_until(predicate, timeout=5.0):
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def drain(ws):
    async for _ in ws:
        pass


async def test_a_closed_socket_is_reopened(server, api):
    async def handler(ws, request):
        await ws.send_json({"n": server.connections})
        if server.connections == 1:
            await ws.close()
        else:
            await drain(ws)

    server.handler = handler
    received = []

    async def on_message(frame):
        received.append(frame)

    url = f"ws://127.0.0.1:{server.port}/stream"
    stream = ReconnectingStream("t", api, lambda: _const(url), on_message, backoff=(0.05,))
    stream.start()
    try:
        await wait_until(lambda: received == [{"n": 1}, {"n": 2}])
        assert stream.connections == 2
    finally:
        await stream.stop()


async def test_a_frame_that_cannot_be_handled_does_not_cost_the_connection(server, api):
    async def handler(ws, request):
        await ws.send_str("not json")
        await ws.send_json({"bad": True})
        await ws.send_json({"good": True})
        await drain(ws)

    server.handler = handler
    received = []

    async def on_message(frame):
        if "bad" in frame:
            raise KeyError("bad")
        received.append(frame)

    stream = ReconnectingStream("t", api, lambda: _const(f"ws://127.0.0.1:{server.port}/stream"), on_message)
    stream.start()
    try:
        await wait_until(lambda: received == [{"good": True}])
        assert stream.connections == 1
    finally:
        await stream.stop()


async def _const(value):
    return value


async def test_a_silent_socket_is_detected_by_its_unanswered_pings(server, api):
    async def handler(ws, request):
        await drain(ws)  # the first connection never answers pings (autoping off) and sends nothing

    server.handler = handler
    reconnected = asyncio.Event()

    async def on_connected(ws):
        if server.connections >= 1 and stream.connections >= 2:
            reconnected.set()

    urls = iter([f"ws://127.0.0.1:{server.port}/stream?silent=1"])
    stream = ReconnectingStream("t", api, lambda: _const(next(urls, f"ws://127.0.0.1:{server.port}/stream")),
                                _noop, on_connected, heartbeat=0.4, backoff=(0.05,))
    loop = asyncio.get_running_loop()
    start = loop.time()
    stream.start()
    try:
        await asyncio.wait_for(reconnected.wait(), 5)
        assert loop.time() - start < 3
    finally:
        await stream.stop()


async def _noop(frame):
    pass


async def test_spot_ws_api_subscription_is_signed_and_events_unwrapped(server, api):
    seen = {}

    async def handler(ws, request):
        request_frame = json.loads((await ws.receive()).data)
        seen.update(request_frame)
        params = request_frame["params"]
        payload = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "signature")
        ok = params["signature"] == hmac_sha256_hex("s", payload) and params["apiKey"] == "k"
        await ws.send_json({"id": request_frame["id"], "status": 200 if ok else 400,
                            "result": {"subscriptionId": 0}})
        await ws.send_json({"subscriptionId": 0, "event": {"e": "outboundAccountPosition", "E": 1, "B": []}})
        await drain(ws)

    server.handler = handler
    source = UserStreamTrackerDataSource(api, f"ws://127.0.0.1:{server.port}", c.SPOT, "ws_api")
    source.start()
    try:
        event = await asyncio.wait_for(source.queue.get(), 5)
        assert event["e"] == "outboundAccountPosition" and source.subscribed.is_set()
        assert seen["method"] == "userDataStream.subscribe.signature"
    finally:
        await source.stop()


async def test_listen_key_expiry_makes_a_new_key_and_a_new_connection(server, api):
    async def handler(ws, request):
        key = request.match_info["key"]
        if key == "key1":
            await ws.send_json({"e": "listenKeyExpired", "E": 1, "listenKey": key})
        else:
            await ws.send_json({"e": "executionReport", "E": 2, "key": key})
        await drain(ws)

    server.handler = handler
    source = UserStreamTrackerDataSource(api, f"ws://127.0.0.1:{server.port}", c.SPOT, "listen_key")
    source.stream._backoff = (0.05,)
    source.start()
    try:
        event = await asyncio.wait_for(source.queue.get(), 5)
        assert event["key"] == "key2" and source.listen_keys_created == 2
    finally:
        await source.stop()


async def test_keepalive_puts_the_key_and_recreates_a_dead_one(server, api):
    async def handler(ws, request):
        await drain(ws)

    server.handler = handler
    source = UserStreamTrackerDataSource(api, f"ws://127.0.0.1:{server.port}", c.SPOT, "listen_key")
    source.stream._backoff = (0.05,)
    source.start()
    try:
        await asyncio.wait_for(source.subscribed.wait(), 5)
        await source.keepalive()
        assert server.keepalives == ["key1"] and source.listen_key == "key1"
        await source.keepalive()  # the server answers -1125 now: drop the key, reconnect with a new one
        await wait_until(lambda: source.listen_key == "key2" and source.subscribed.is_set())
        assert server.connections == 2
    finally:
        await source.stop()
