"""USD-M futures WebSocket endpoints (reference §8.1), beside spot's on the same port:

  /public/ws[/<name>...], /public/stream?streams=   depth, bookTicker (Binance's 2026 split)
  /market/ws[/<name>...], /market/stream?streams=   aggTrade, markPrice, kline, tickers, forceOrder
  /private/ws?listenKey=<key>, /private/stream?listenKey=<key>   user data (`&events=A/B`: only those event types)
  /fstream/ws[/<name>...], /fstream/stream          the old root (`/ws`, `/stream` on fstream.binance.com),
                                                    which spot's /ws holds on this port: give clients that
                                                    append /ws themselves (binance-futures-connector's
                                                    UMFuturesWebsocketClient) the base ws://HOST:PORT/fstream

Every path serves every futures stream: the split into public and market categories is not enforced. A live
futures listenKey is a stream name on all of them too (`/fstream/ws/<listenKey>`, or SUBSCRIBE to it, as
binance-futures-connector's `user_data` does). Control frames are spot's (routes.control_frame_handler).
"""
from __future__ import annotations

import re

from aiohttp import web

from simulator.app_keys import SIMULATOR, add_background_job
from simulator.dialects.binance.streams.futures_hub import FUTURES_HUB, FuturesHub
from simulator.dialects.binance.streams.futures_market import parse_stream
from simulator.dialects.binance.streams.routes import MAX_MESSAGE_BYTES, StreamNames, control_frame_handler
from simulator.dialects.binance.streams.futures_user import FuturesUserSink

PREFIXES = ("/public", "/market", "/private", "/fstream")
_LISTEN_KEY = re.compile(r"[A-Za-z0-9]{1,128}")


def setup(app: web.Application) -> None:
    hub = FuturesHub(app[SIMULATOR])
    app[FUTURES_HUB] = hub
    for prefix in PREFIXES:
        app.router.add_get(f"{prefix}/ws", handler)
        app.router.add_get(f"{prefix}/ws/", handler)
        app.router.add_get(f"{prefix}/ws/{{names:.+}}", handler)
        app.router.add_get(f"{prefix}/stream", handler)
    hub.attach()
    add_background_job(app, _run_hub)
    app.on_shutdown.append(_shutdown_hub)


async def _run_hub(app: web.Application) -> None:
    await app[FUTURES_HUB].run()


async def _shutdown_hub(app: web.Application) -> None:
    await app[FUTURES_HUB].shutdown()


async def handler(request: web.Request) -> web.StreamResponse:
    hub = request.app[FUTURES_HUB]
    combined = request.path.split("/")[2] == "stream"
    refused = hub.admit(request)
    if refused is not None:
        return refused
    ws = web.WebSocketResponse(autoping=False, max_msg_size=MAX_MESSAGE_BYTES)
    await ws.prepare(request)
    conn = hub.open(ws, request, combined=combined, market=True)
    names = request.match_info.get("names") if not combined else request.query.get("streams", "")
    for name in (names or "").split("/"):
        if name:
            _subscribe(hub, conn, name)  # names that are no stream (ccxt's `/ws/0` bucket) are ignored
    key = request.query.get("listenKey", "")
    events = request.query.get("events")
    if key:
        _subscribe(hub, conn, key, frozenset(events.split("/")) if events else None)
    await hub.serve(conn, _on_control_frame)
    return ws


def _live_listen_key(hub: FuturesHub, name: str) -> int | None:
    if not _LISTEN_KEY.fullmatch(name):
        return None
    return hub.sim.wire.futures_listen_keys.account_of(name, hub.sim.clock.now_ms())


def _is_stream(hub: FuturesHub, name: str) -> bool:
    return parse_stream(name) is not None or _live_listen_key(hub, name) is not None


def _subscribe(hub: FuturesHub, conn, name: str, events: frozenset[str] | None = None) -> None:
    spec = parse_stream(name)
    if spec is not None:
        hub.subscribe(conn, name, spec)
        return
    account_id = _live_listen_key(hub, name)
    if account_id is not None:
        hub.subscribe_user(conn, FuturesUserSink(conn, account_id, name, events))


FUTURES_NAMES = StreamNames(_is_stream, _subscribe)
_on_control_frame = control_frame_handler(FUTURES_NAMES)
