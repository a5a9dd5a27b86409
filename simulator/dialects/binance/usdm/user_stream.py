"""USD-M listenKeys (USER_STREAM: an API key, no signature), the handles of a futures user data stream.

Futures keys are the futures venue's own (`sim.wire.futures_listen_keys`): one live key per account, which POST
returns again (extending it) rather than making a new one, as Binance does. PUT extends the account's key and
DELETE closes it; both take `listenKey` optionally (binance-futures-connector sends it, ccxt does not) and, when
it is sent, it must be the account's live key. Without a live key, PUT and DELETE are -1125.
"""
from __future__ import annotations

from simulator.dialects.binance.usdm import errors as futures_errors
from simulator.dialects.binance.wire.listen_keys import ListenKeys
from simulator.dialects.binance.wire.rest import FUTURES, USER_STREAM, Call, Endpoint


def _keys(call: Call) -> ListenKeys:
    return call.sim.wire.futures_listen_keys


def _live_key(call: Call) -> str:
    """The account's live futures listenKey (the one sent, if any): -1125 when there is none."""
    now = call.sim.clock.now_ms()
    sent = call.params.optional("listenKey")
    keys = _keys(call)
    live = [entry["key"] for entry in keys.entries()
            if entry["account_id"] == call.account_id and entry["expires_at"] > now]
    if not live or (sent is not None and sent not in live):
        raise futures_errors.invalid_listen_key()
    return sent if sent is not None else live[0]


def new_listen_key(call: Call) -> dict[str, str]:
    return {"listenKey": _keys(call).create(call.account_id, call.sim.clock.now_ms())}


def keepalive_listen_key(call: Call) -> dict:
    _keys(call).keepalive(_live_key(call), call.account_id, call.sim.clock.now_ms())
    return {}


def close_listen_key(call: Call) -> dict:
    _keys(call).close(_live_key(call), call.account_id, call.sim.clock.now_ms())
    return {}


ENDPOINTS = [
    Endpoint("POST", "/fapi/v1/listenKey", USER_STREAM, 1, new_listen_key, venue=FUTURES),
    Endpoint("PUT", "/fapi/v1/listenKey", USER_STREAM, 1, keepalive_listen_key, venue=FUTURES),
    Endpoint("DELETE", "/fapi/v1/listenKey", USER_STREAM, 1, close_listen_key, venue=FUTURES),
]
