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
binance-futures-connector's `user_data` does). Control frames and the rest of a market connection's life are
spot's (streams.endpoints).
"""
from __future__ import annotations

from operator import attrgetter

from aiohttp import web

from simulator.app_keys import SIMULATOR
from simulator.dialects.binance.streams.connection import Connection
from simulator.dialects.binance.streams.endpoints import StreamNames, mount, serve_market
from simulator.dialects.binance.streams.futures_hub import FUTURES_HUB, FuturesHub
from simulator.dialects.binance.streams.futures_market import parse_stream
from simulator.dialects.binance.streams.futures_user import FuturesUserSink

PREFIXES = ("/public", "/market", "/private", "/fstream")


def setup(app: web.Application) -> None:
    paths = [path for prefix in PREFIXES
             for path in (f"{prefix}/ws", f"{prefix}/ws/", f"{prefix}/ws/{{names:.+}}", f"{prefix}/stream")]
    mount(app, FUTURES_HUB, FuturesHub(app[SIMULATOR]), [(path, handler) for path in paths])


async def handler(request: web.Request) -> web.StreamResponse:
    return await serve_market(request, request.app[FUTURES_HUB], FUTURES_NAMES,
                              combined=request.path.split("/")[2] == "stream", on_open=_subscribe_listen_key)


def _subscribe_listen_key(hub: FuturesHub, conn: Connection, request: web.Request) -> None:
    """`?listenKey=<key>&events=A/B` (the /private paths): that key's user data, only those event types."""
    key = request.query.get("listenKey", "")
    events = request.query.get("events")
    if key:
        FUTURES_NAMES.subscribe(hub, conn, key, frozenset(events.split("/")) if events else None)


FUTURES_NAMES = StreamNames(parse_stream, attrgetter("futures_listen_keys"), FuturesUserSink)
