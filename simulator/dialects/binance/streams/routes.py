"""Spot WebSocket endpoints (reference §5, §6.1): market streams, listenKey user streams and the WebSocket API.

  /ws, /ws/<name>[/<name>...]     raw frames; names in the path that are not streams (ccxt's `/ws/0` bucket)
                                  are accepted and ignored
  /stream?streams=<a>/<b>         combined frames {"stream": name, "data": event}
  /stream/ws[/<name>...]          /ws again: ccxt.pro tells spot streams from futures ones by "/stream" in the URL
                                  (Binance's spot host is stream.binance.com), so a client repointed at this server
                                  keeps that hint by prefixing its spot stream path with /stream
  /ws-api/v3                      the WebSocket API (ws_api.py)

Market connections take Binance's control frames: SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY and
GET_PROPERTY (property `combined`). A live listenKey is a stream name too: subscribing to it (binance-connector's
`user_data`) or connecting to `/ws/<listenKey>` delivers that account's user data events. Replies are
{"result": ..., "id": ...}; errors are {"error": {"code": 0-4, "msg": ...}, "id": ...} as Binance sends them
(the docs' error table shows only the inner object), without `id` when the request's could not be read.
At most 1024 streams per connection (code 4 "Too many subscriptions").
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import NamedTuple

from aiohttp import web

from simulator.app_keys import SIMULATOR, add_background_job
from simulator.dialects.binance.streams import ws_api
from simulator.dialects.binance.streams.market import parse_stream
from simulator.dialects.binance.streams.connection import Connection
from simulator.dialects.binance.streams.hub import STREAM_HUB, StreamHub
from simulator.dialects.binance.streams.user import UserSink

__all__ = ["STREAM_HUB", "setup"]

MAX_MESSAGE_BYTES = 64 * 1024
_ID_TEXT = re.compile(r"[A-Za-z0-9]{1,36}")
_LISTEN_KEY = re.compile(r"[A-Za-z0-9]{1,128}")
INT64 = 2**63
MAX_STREAMS = 1024  # per connection
METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")


def setup(app: web.Application) -> None:
    hub = StreamHub(app[SIMULATOR])
    app[STREAM_HUB] = hub
    app.router.add_get("/ws", market_handler)
    app.router.add_get("/ws/", market_handler)
    app.router.add_get("/ws/{names:.+}", market_handler)
    app.router.add_get("/stream", market_handler)
    app.router.add_get("/stream/ws", market_handler)
    app.router.add_get("/stream/ws/", market_handler)
    app.router.add_get("/stream/ws/{names:.+}", market_handler)
    app.router.add_get("/ws-api/v3", ws_api.handler)
    hub.attach()
    add_background_job(app, _run_hub)
    app.on_shutdown.append(_shutdown_hub)


async def _run_hub(app: web.Application) -> None:
    await app[STREAM_HUB].run()


async def _shutdown_hub(app: web.Application) -> None:
    await app[STREAM_HUB].shutdown()


async def market_handler(request: web.Request) -> web.StreamResponse:
    hub = request.app[STREAM_HUB]
    combined = request.path == "/stream"
    refused = hub.admit(request)  # connection attempts per IP (streams.admission)
    if refused is not None:
        return refused
    ws = web.WebSocketResponse(autoping=False, max_msg_size=MAX_MESSAGE_BYTES)
    await ws.prepare(request)
    conn = hub.open(ws, request, combined=combined, market=True)
    names = request.match_info.get("names") if not combined else request.query.get("streams", "")
    for name in (names or "").split("/"):
        if name:
            _subscribe(hub, conn, name)  # unknown names in the path are accepted and ignored
    await hub.serve(conn, _on_control_frame)
    return ws


# --- control frames -----------------------------------------------------------------------------------
class _Invalid(Exception):
    def __init__(self, code: int, msg: str):
        super().__init__(msg)
        self.code = code
        self.msg = msg


class StreamNames(NamedTuple):
    """What one venue's stream names are: whether a name is a stream (a market stream or a live listenKey), and
    subscribing a connection to one. Spot's are this module's (SPOT_NAMES); USD-M's are futures_routes'."""

    is_stream: Callable[[StreamHub, str], bool]
    subscribe: Callable[[StreamHub, Connection, str], None]


def control_frame_handler(names: StreamNames) -> Callable[[Connection, str], None]:
    """Binance's control frames (SUBSCRIBE, ...) for connections of another venue's stream names."""
    return functools.partial(_on_control_frame, names=names)


def _on_control_frame(conn: Connection, text: str, names: StreamNames | None = None) -> None:
    message: object = None
    try:
        try:
            message = json.loads(text)
        except ValueError as exc:
            raise _Invalid(3, f"Invalid JSON: {_json_error(exc)}") from None
        if not isinstance(message, dict):
            raise _Invalid(2, "Invalid request: expected an object")
        result = _control(conn.hub, conn, message, text, names or SPOT_NAMES)
        conn.send_json({"result": result, "id": message["id"]})
    except _Invalid as exc:
        reply: dict = {"error": {"code": exc.code, "msg": exc.msg}}
        if isinstance(message, dict) and "id" in message and _valid_id(message["id"]):
            reply["id"] = message["id"]  # an id Binance could not read is left out
        conn.send_json(reply)


def _json_error(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg.lower()} at line {exc.lineno} column {exc.colno}"
    return str(exc)


def _end_position(text: str) -> str:
    """Where a JSON parser notices a missing field: the end of the document."""
    lines = text.rstrip().split("\n")
    return f"at line {len(lines)} column {len(lines[-1])}"


def _valid_id(request_id: object) -> bool:
    if request_id is None:
        return True
    if isinstance(request_id, bool):
        return False
    if isinstance(request_id, int):
        return -INT64 <= request_id < INT64
    return isinstance(request_id, str) and _ID_TEXT.fullmatch(request_id) is not None


def _control(hub: StreamHub, conn: Connection, message: dict, text: str, names: StreamNames) -> object:
    if "method" not in message:
        raise _Invalid(2, f"Invalid request: missing field `method` {_end_position(text)}")
    method = message["method"]
    if method not in METHODS:
        expected = ", ".join(f"`{m}`" for m in METHODS)
        raise _Invalid(2, f"Invalid request: unknown variant `{method}`, expected one of {expected}")
    if "id" not in message or not _valid_id(message["id"]):
        raise _Invalid(2, "Invalid request: request ID must be an unsigned integer")
    params = message.get("params", [])
    if params is None:
        params = []
    if not isinstance(params, list):
        raise _Invalid(2, "Invalid request: params must be an array")
    if method == "SUBSCRIBE":
        if not all(isinstance(name, str) for name in params):
            raise _Invalid(2, "Invalid request: invalid stream")
        if not all(names.is_stream(hub, name) for name in params):
            raise _Invalid(2, "Invalid request: invalid stream")
        if len({*conn.names, *conn.user_sinks, *params}) > MAX_STREAMS:
            raise _Invalid(4, "Too many subscriptions")
        for name in params:
            names.subscribe(hub, conn, name)
        return None
    if method == "UNSUBSCRIBE":
        if not all(isinstance(name, str) for name in params):
            raise _Invalid(2, "Invalid request: invalid stream")
        for name in params:
            hub.unsubscribe(conn, name)
            hub.unsubscribe_user(conn, name)
        return None
    if method == "LIST_SUBSCRIPTIONS":
        return [*conn.names, *(key for key in conn.user_sinks if isinstance(key, str))]
    return _property(conn, method, params)


def _property(conn: Connection, method: str, params: list) -> object:
    wanted = 2 if method == "SET_PROPERTY" else 1
    if len(params) > wanted:
        raise _Invalid(2, "Invalid request: too many parameters")
    if not params or not isinstance(params[0], str):
        raise _Invalid(2, "Invalid request: property name must be a string")
    if params[0] != "combined":
        raise _Invalid(0, "Unknown property")
    if method == "GET_PROPERTY":
        return conn.combined
    if len(params) < 2 or not isinstance(params[1], bool):
        raise _Invalid(1, "Invalid value type: expected Boolean")
    conn.combined = params[1]
    return None


def _is_stream(hub: StreamHub, name: str) -> bool:
    return parse_stream(name) is not None or _live_listen_key(hub, name) is not None


def _live_listen_key(hub: StreamHub, name: str) -> int | None:
    if not _LISTEN_KEY.fullmatch(name):
        return None
    return hub.sim.wire.listen_keys.account_of(name, hub.sim.clock.now_ms())


def _subscribe(hub: StreamHub, conn: Connection, name: str) -> None:
    spec = parse_stream(name)
    if spec is not None:
        hub.subscribe(conn, name, spec)
        return
    account_id = _live_listen_key(hub, name)
    if account_id is not None:
        hub.subscribe_user(conn, UserSink(conn, account_id, listen_key=name))


SPOT_NAMES = StreamNames(_is_stream, _subscribe)
