"""Helpers for the WebSocket tests: a live server with only the stream endpoints, a client, and waiting.

`StreamServer` is `LiveServer` with an app holding just `streams.setup` (no REST), so these tests exercise
the WebSocket dialect alone; engine state is arranged and read on the server's thread with `call`. Every wait
has a timeout: a test fails instead of hanging, and never sleeps hoping something has happened.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from decimal import Decimal

import aiohttp
from aiohttp import web

from simulator.app_keys import BACKGROUND_JOBS, SIMULATOR, start_background, stop_background
from simulator.dialects.binance.streams import routes as streams
from simulator.dialects.binance.streams.hub import STREAM_HUB, StreamHub
from tests.live_server import LiveServer

TIMEOUT = 5.0
SYMBOL = "BTCUSDT"


def streams_only_app(sim) -> web.Application:
    app = web.Application()
    app[SIMULATOR] = sim
    app[BACKGROUND_JOBS] = []
    streams.setup(app)
    app.on_startup.append(start_background)
    app.on_shutdown.append(stop_background)
    return app


class StreamServer(LiveServer):
    def __init__(self, sim):
        super().__init__(sim, streams_only_app)

    @property
    def hub(self) -> StreamHub:
        return self.app[STREAM_HUB]

    # --- arranging the scene on the server thread ---------------------------------------------------------
    def account(self, name: str, **balances: str) -> int:
        """A funded account (asset=decimal string); its id."""
        amounts = {asset: Decimal(amount) for asset, amount in balances.items()}
        return self.call(lambda: self.sim.create_account(name, balances=amounts).account_id)

    def place(self, account_id: int, side: str, price: str, qty: str, *, symbol: str = SYMBOL,
              type_: str = "LIMIT", tif: str | None = "GTC", **kwargs):
        engine = self.sim.engine

        def run():
            inst = engine.instruments[symbol]
            return engine.place_order(account_id, symbol, side, type_, qty=inst.parse_qty(qty),
                                      price=inst.parse_price(price) if price else 0, tif=tif, **kwargs)

        return self.call(run)

    def listen_key(self, account_id: int) -> str:
        return self.call(lambda: self.sim.wire.listen_keys.create(account_id, self.sim.clock.now_ms()))

    def book_update_id(self, symbol: str = SYMBOL) -> int:
        return self.call(lambda: self.sim.engine.books[symbol].update_id)


async def connect(session: aiohttp.ClientSession, url: str, **kwargs) -> aiohttp.ClientWebSocketResponse:
    return await asyncio.wait_for(session.ws_connect(url, **kwargs), TIMEOUT)


async def recv_json(ws: aiohttp.ClientWebSocketResponse, timeout: float = TIMEOUT) -> object:
    """The next text frame, parsed; fails on a close or when nothing arrives in time."""
    msg = await asyncio.wait_for(ws.receive(), timeout)
    assert msg.type is aiohttp.WSMsgType.TEXT, f"expected a text frame, got {msg.type} {msg.data!r}"
    return json.loads(msg.data)


async def wait_for(ws: aiohttp.ClientWebSocketResponse, predicate: Callable[[object], bool],
                   timeout: float = TIMEOUT) -> object:
    """Read frames until one satisfies `predicate` (others are skipped); its parsed JSON."""

    async def scan():
        while True:
            message = await recv_json(ws, timeout)
            if predicate(message):
                return message

    return await asyncio.wait_for(scan(), timeout)


async def request(ws: aiohttp.ClientWebSocketResponse, payload: dict, timeout: float = TIMEOUT) -> dict:
    """Send a control frame or API request and wait for the reply with the same id."""
    await ws.send_str(json.dumps(payload))
    return await wait_for(ws, lambda m: isinstance(m, dict) and "id" in m and m.get("id") == payload.get("id")
                          and ("result" in m or "error" in m), timeout)


async def assert_closed(ws: aiohttp.ClientWebSocketResponse, timeout: float = TIMEOUT) -> aiohttp.WSMessage:
    """Read until the server closes the connection (data frames before the close are skipped)."""

    async def scan():
        while True:
            msg = await ws.receive()
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING,
                            aiohttp.WSMsgType.ERROR):
                return msg

    return await asyncio.wait_for(scan(), timeout)
