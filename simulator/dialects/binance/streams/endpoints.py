"""What every venue's market stream endpoints share: mounting a venue's hub, a market stream connection's life,
and Binance's control frames on it.

A venue (streams.routes for spot, streams.futures_routes for USD-M) says which paths it serves and what its
stream names are (`StreamNames`). Names in the URL (`/ws/<a>/<b>`, `/stream?streams=<a>/<b>`) that are not
streams, such as ccxt's `/ws/0` bucket, are accepted and ignored.

Market connections take Binance's control frames: SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY and
GET_PROPERTY (property `combined`). A live listenKey is a stream name too: subscribing to it (binance-connector's
`user_data`) delivers that account's user data events. Replies are {"result": ..., "id": ...}; errors are
{"error": {"code": 0-4, "msg": ...}, "id": ...} as Binance sends them (the docs' error table shows only the inner
object), without `id` when the request's could not be read. At most 1024 streams per connection (code 4 "Too many
subscriptions").
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from aiohttp import web

from simulator.app_keys import add_background_job
from simulator.dialects.binance.streams.connection import Connection
from simulator.dialects.binance.streams.hub import StreamHub
from simulator.dialects.binance.streams.user import UserSink
from simulator.dialects.binance.wire.listen_keys import ListenKeys
from simulator.dialects.binance.wire.venue_state import BinanceWireState

_ID_TEXT = re.compile(r"[A-Za-z0-9]{1,36}")
_LISTEN_KEY = re.compile(r"[A-Za-z0-9]{1,128}")
INT64 = 2**63
MAX_STREAMS = 1024  # per connection
METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class StreamNames:
    """What one venue's stream names are: its market streams, as `parse` reads them, and its live listenKeys, in
    the store `listen_keys` picks from the wire state, each subscribed as a user data sink made by `sink`
    (connection, account id, listenKey, the event types wanted or None for all)."""

    parse: Callable[[str], object | None]
    listen_keys: Callable[[BinanceWireState], ListenKeys]
    sink: Callable[[Connection, int, str, frozenset[str] | None], UserSink]

    def is_stream(self, hub: StreamHub, name: str) -> bool:
        return self.parse(name) is not None or self.live_listen_key(hub, name) is not None

    def subscribe(self, hub: StreamHub, conn: Connection, name: str, events: frozenset[str] | None = None) -> None:
        spec = self.parse(name)
        if spec is not None:
            hub.subscribe(conn, name, spec)
            return
        account_id = self.live_listen_key(hub, name)
        if account_id is not None:
            hub.subscribe_user(conn, self.sink(conn, account_id, name, events))

    def live_listen_key(self, hub: StreamHub, name: str) -> int | None:
        """The account of a listenKey that is live now, else None."""
        if not _LISTEN_KEY.fullmatch(name):
            return None
        return self.listen_keys(hub.sim.wire).account_of(name, hub.sim.clock.now_ms())


def mount(app: web.Application, key: web.AppKey, hub: StreamHub, routes: Iterable[tuple[str, Handler]]) -> None:
    """Serve a venue's hub at `routes`: its pass runs for the app's whole life, and shutdown closes its clients."""
    app[key] = hub
    for path, handler in routes:
        app.router.add_get(path, handler)
    hub.attach()

    async def run(app: web.Application) -> None:
        await app[key].run()

    async def shutdown(app: web.Application) -> None:
        await app[key].shutdown()

    add_background_job(app, run)
    app.on_shutdown.append(shutdown)


async def serve_market(request: web.Request, hub: StreamHub, names: StreamNames, *, combined: bool,
                       on_open: Callable[[StreamHub, Connection, web.Request], None] | None = None
                       ) -> web.StreamResponse:
    """One market stream connection: the handshake, the streams its URL names, whatever else the venue reads
    from its URL (`on_open`), then its frames until it goes."""
    conn = await hub.handshake(request, combined=combined, market=True)
    if not isinstance(conn, Connection):
        return conn  # over the connection attempts allowed per IP (streams.admission)
    listed = request.match_info.get("names") if not combined else request.query.get("streams", "")
    for name in (listed or "").split("/"):
        if name:
            names.subscribe(hub, conn, name)  # a name that is no stream is ignored
    if on_open is not None:
        on_open(hub, conn, request)
    await hub.serve(conn, functools.partial(_on_control_frame, names=names))
    return conn.ws


# --- control frames -----------------------------------------------------------------------------------
class _Invalid(Exception):
    def __init__(self, code: int, msg: str):
        super().__init__(msg)
        self.code = code
        self.msg = msg


def _on_control_frame(conn: Connection, text: str, names: StreamNames) -> None:
    message: object = None
    try:
        try:
            message = json.loads(text)
        except ValueError as exc:
            raise _Invalid(3, f"Invalid JSON: {_json_error(exc)}") from None
        if not isinstance(message, dict):
            raise _Invalid(2, "Invalid request: expected an object")
        result = _control(conn.hub, conn, message, text, names)
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
