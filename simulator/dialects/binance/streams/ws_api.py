"""The spot WebSocket API at /ws-api/v3 (reference §6.3): what clients use for user data today.

Requests are JSON text frames {"id", "method", "params"}; a `v3/` prefix on the method is allowed. Replies:
  success  {"id", "status": 200, "result": ..., "rateLimits": [...]}
  failure  {"id", "status": 4xx, "error": {"code", "msg"}, "rateLimits": [...]}
`rateLimits` is left out when the request (or the connection URL) says `returnRateLimits=false`. Weight is
charged to the caller's IP in the same REQUEST_WEIGHT pools as REST.

Methods: ping, time, session.status, session.subscriptions, userDataStream.subscribe.signature (HMAC over the
sorted params, auth.verify_ws), userDataStream.unsubscribe. User data events arrive as
{"subscriptionId": N, "event": {...}}; an unsubscribed stream ends with `eventStreamTerminated`.
`userDataStream.subscribe` (no signature) needs an Ed25519 `session.logon`, which is not offered.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from simulator.dialects.binance.wire import auth, errors
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.dialects.binance.wire.ratelimit import REQUEST_WEIGHT
from simulator.dialects.binance.streams.connection import Connection
from simulator.dialects.binance.streams.hub import STREAM_HUB
from simulator.dialects.binance.streams.user import UserSink

MAX_SUBSCRIPTIONS = 1000


async def handler(request: web.Request) -> web.StreamResponse:
    hub = request.app[STREAM_HUB]
    conn = await hub.handshake(request, combined=False, market=False)
    if not isinstance(conn, Connection):
        return conn  # over the connection attempts allowed per IP (streams.admission)
    await hub.serve(conn, _on_request)
    return conn.ws


# --- errors -------------------------------------------------------------------------------------------
def _error(status: int, code: int, msg: str) -> BinanceError:
    return BinanceError(status, code, msg)


def _invalid_json() -> BinanceError:
    return _error(400, -1135, "Invalid JSON Request")


def _unknown_method() -> BinanceError:
    return _error(400, -1020, "This operation is not supported.")


def _subscription_active() -> BinanceError:
    return _error(400, -2035, "User Data Stream subscription already active.")


def _subscription_inactive() -> BinanceError:
    return _error(400, -2036, "User Data Stream subscription not active.")


def _not_logged_on() -> BinanceError:
    return _error(401, -1002, "You are not authorized to execute this request.")


# --- dispatch -----------------------------------------------------------------------------------------
def _on_request(conn: Connection, text: str) -> None:
    request_id: Any = None
    rate_limits: list | None = None
    show_limits = conn.return_rate_limits
    after: Callable[[], None] | None = None
    try:
        try:
            message = json.loads(text)
        except ValueError:
            raise _invalid_json() from None
        if not isinstance(message, dict):
            raise _invalid_json()
        request_id = message.get("id")
        params = message.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise _error(400, -1135, "Invalid 'params' in JSON request; expected an object.")
        if isinstance(params.get("returnRateLimits"), bool):
            show_limits = params["returnRateLimits"]
        method = message.get("method")
        if not isinstance(method, str) or not method:
            raise errors.mandatory_param("method")
        method = method.removeprefix("v3/")
        entry = _METHODS.get(method)
        if entry is None:
            raise _unknown_method()
        weight, run = entry
        rate_limits = _charge(conn, weight)
        result, after = run(conn, {k: v for k, v in params.items() if k != "returnRateLimits"})
        reply: dict[str, Any] = {"id": request_id, "status": 200, "result": result}
    except BinanceError as exc:
        if rate_limits is None and exc.headers:
            rate_limits = _limits_from_headers(conn, exc.headers)
        reply = {"id": request_id, "status": exc.status, "error": exc.to_body()}
    if show_limits:
        reply["rateLimits"] = rate_limits or []
    conn.send_json(reply)
    if after is not None:
        after()


def _charge(conn: Connection, weight: int) -> list:
    headers = conn.hub.sim.wire.limiter.charge_request(conn.remote, weight)  # BinanceError 429/418 when over
    return _limits_from_headers(conn, headers)


def _limits_from_headers(conn: Connection, headers: dict[str, str]) -> list:
    out = []
    for pool in conn.hub.sim.wire.limiter.pools:
        if pool.type != REQUEST_WEIGHT:
            continue
        used = headers.get("X-MBX-USED-WEIGHT-" + pool.header_suffix)
        if used is not None:
            out.append({**pool.payload(), "count": int(used)})
    return out


# --- methods: (conn, params) -> (result, what to do after the reply is queued) --------------------------
def _ping(conn: Connection, params: dict) -> tuple:
    return {}, None


def _time(conn: Connection, params: dict) -> tuple:
    return {"serverTime": conn.hub.sim.clock.server_time_ms()}, None


def _session_status(conn: Connection, params: dict) -> tuple:
    sim = conn.hub.sim
    return {"apiKey": None, "authorizedSince": None, "connectedSince": conn.connected_since,
            "returnRateLimits": conn.return_rate_limits, "serverTime": sim.clock.server_time_ms(),
            "userDataStream": bool(_subscriptions(conn))}, None


def _session_subscriptions(conn: Connection, params: dict) -> tuple:
    return [{"subscriptionId": sid} for sid in _subscriptions(conn)], None


def _subscriptions(conn: Connection) -> list[int]:
    return [key for key in conn.user_sinks if isinstance(key, int)]


def _subscribe_signature(conn: Connection, params: dict) -> tuple:
    sim = conn.hub.sim
    api_key = auth.verify_ws(params, sim.keys.secret_of, sim.clock.server_time_ms())
    account_id = sim.keys.get(api_key).account_id
    if any(sink.account_id == account_id for sink in conn.user_sinks.values()):
        raise _subscription_active()
    if len(_subscriptions(conn)) >= MAX_SUBSCRIPTIONS:
        raise _error(400, -1020, "This operation is not supported.")
    subscription_id = conn.next_subscription_id
    conn.next_subscription_id += 1
    conn.hub.subscribe_user(conn, UserSink(conn, account_id, subscription_id=subscription_id))
    return {"subscriptionId": subscription_id}, None


def _subscribe_session(conn: Connection, params: dict) -> tuple:
    raise _not_logged_on()


def _unsubscribe(conn: Connection, params: dict) -> tuple:
    wanted = params.get("subscriptionId")
    active = _subscriptions(conn)
    if wanted is None:
        closing = active
    elif isinstance(wanted, int) and not isinstance(wanted, bool) and wanted in active:
        closing = [wanted]
    else:
        closing = []
    if not closing:
        raise _subscription_inactive()
    for subscription_id in closing:
        conn.hub.unsubscribe_user(conn, subscription_id)

    def terminated() -> None:
        now = conn.hub.sim.clock.now_ms()
        for subscription_id in closing:
            conn.send_json({"subscriptionId": subscription_id,
                            "event": {"e": "eventStreamTerminated", "E": now}})

    return {}, terminated


_METHODS: dict[str, tuple[int, Callable[[Connection, dict], tuple]]] = {
    "ping": (1, _ping),
    "time": (1, _time),
    "session.status": (2, _session_status),
    "session.subscriptions": (2, _session_subscriptions),
    "userDataStream.subscribe.signature": (2, _subscribe_signature),
    "userDataStream.subscribe": (2, _subscribe_session),
    "userDataStream.unsubscribe": (2, _unsubscribe),
}
