"""Spot WebSocket endpoints (reference §5, §6.1): market streams, listenKey user streams and the WebSocket API.

  /ws, /ws/<name>[/<name>...]     raw frames; names in the path that are not streams (ccxt's `/ws/0` bucket)
                                  are accepted and ignored
  /stream?streams=<a>/<b>         combined frames {"stream": name, "data": event}
  /stream/ws[/<name>...]          /ws again: ccxt.pro tells spot streams from futures ones by "/stream" in the URL
                                  (Binance's spot host is stream.binance.com), so a client repointed at this server
                                  keeps that hint by prefixing its spot stream path with /stream
  /ws-api/v3                      the WebSocket API (ws_api.py)

A live spot listenKey is a stream name: connecting to `/ws/<listenKey>`, or subscribing to it, delivers that
account's user data events. Control frames and the rest of a market connection's life are streams.endpoints'.
"""
from __future__ import annotations

from operator import attrgetter

from aiohttp import web

from simulator.app_keys import SIMULATOR
from simulator.dialects.binance.streams import ws_api
from simulator.dialects.binance.streams.connection import Connection
from simulator.dialects.binance.streams.endpoints import StreamNames, mount, serve_market
from simulator.dialects.binance.streams.hub import STREAM_HUB, StreamHub
from simulator.dialects.binance.streams.market import parse_stream
from simulator.dialects.binance.streams.user import UserSink

__all__ = ["STREAM_HUB", "setup"]

MARKET_PATHS = ("/ws", "/ws/", "/ws/{names:.+}", "/stream", "/stream/ws", "/stream/ws/", "/stream/ws/{names:.+}")


def setup(app: web.Application) -> None:
    routes = [*((path, market_handler) for path in MARKET_PATHS), ("/ws-api/v3", ws_api.handler)]
    mount(app, STREAM_HUB, StreamHub(app[SIMULATOR]), routes)


async def market_handler(request: web.Request) -> web.StreamResponse:
    return await serve_market(request, request.app[STREAM_HUB], SPOT_NAMES, combined=request.path == "/stream")


def _user_sink(conn: Connection, account_id: int, listen_key: str, events: frozenset[str] | None) -> UserSink:
    return UserSink(conn, account_id, listen_key=listen_key)  # spot has no event-type filter: events is None


SPOT_NAMES = StreamNames(parse_stream, attrgetter("listen_keys"), _user_sink)
