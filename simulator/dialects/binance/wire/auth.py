"""HMAC-SHA256 request signing, API keys and the timestamp window (reference §1.3-§1.5, §6.3).

REST: the signed payload is the raw query string without its `signature` pair immediately followed by the raw
body without its `signature` pair, with no separator, exactly as the bytes arrived; clients order parameters
differently, so nothing is ever re-serialised. WebSocket API: the params object minus `signature`, sorted by
key, joined as `k=v` with `&`, not percent-encoded.

Checks run in this order, each with Binance's error: API key format (401 -2014) and existence (401 -2015);
`timestamp` and `signature` present (-1102); `recvWindow` at most 60000 (-1131) with at most 3 decimals
(-1111); the timestamp window (-1021); the signature itself (-1022).
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from decimal import Decimal

from simulator.credentials import valid_api_key
from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.params import Params

DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60000
MAX_AHEAD_MS = 1000  # a timestamp may be at most this far ahead of the server's clock (exclusive)
MICROSECOND_THRESHOLD = 10**14  # timestamps above this are microseconds (spot accepts both)

SecretLookup = Callable[[str], str | None]


def sign(secret: str, payload: str) -> str:
    """Lower-case hex HMAC-SHA256 of `payload` keyed with `secret`."""
    return hmac.new(secret.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).hexdigest()


def signed_payload(raw_query: str, raw_body: bytes) -> str:
    """What a REST client signed: query minus `signature` + body minus `signature`, no separator."""
    body = raw_body.decode("utf-8")  # Params.parse has already refused bodies that are not UTF-8
    return _without_signature(raw_query) + _without_signature(body)


def ws_signed_payload(params: Mapping[str, object]) -> str:
    """What a WebSocket API client signed: params minus `signature`, sorted by key, `k=v` joined by `&`."""
    return "&".join(f"{key}={_ws_text(value)}" for key, value in sorted(params.items()) if key != "signature")


def verify(params: Params, api_key_header: str | None, lookup_secret: SecretLookup, now_ms: int) -> str:
    """Authenticate a signed REST request (X-MBX-APIKEY header); returns the API key or raises BinanceError."""
    payload = signed_payload(params.raw_query, params.raw_body)
    return _authenticate(params, api_key_header, payload, lookup_secret, now_ms)


def verify_ws(ws_params: Mapping[str, object], lookup_secret: SecretLookup, now_ms: int) -> str:
    """Authenticate a signed WebSocket API request (`apiKey` inside params); returns the API key."""
    params = Params({key: _ws_text(value) for key, value in ws_params.items()})
    return _authenticate(params, params.optional("apiKey"), ws_signed_payload(ws_params), lookup_secret, now_ms)


def api_key_secret(api_key: str | None, lookup_secret: SecretLookup) -> str:
    """The secret of a usable API key: 401 -2014 if the key is missing or malformed, 401 -2015 if unknown.

    Also what USER_STREAM endpoints (listenKey) need: a valid key and no signature.
    """
    if not valid_api_key(api_key):
        raise errors.bad_api_key_format()
    secret = lookup_secret(api_key)
    if secret is None:
        raise errors.bad_api_key()
    return secret


def check_timestamp(timestamp: int, recv_window_ms: Decimal, now_ms: int) -> None:
    """Accept iff timestamp < now + 1000 ms and now - timestamp <= recvWindow (reference §1.5).

    Compared in microseconds, so microsecond timestamps and fractional recvWindows need no rounding.
    """
    timestamp_us = timestamp if timestamp > MICROSECOND_THRESHOLD else timestamp * 1000
    now_us = now_ms * 1000
    if timestamp_us >= now_us + MAX_AHEAD_MS * 1000:
        raise errors.timestamp_ahead()
    if now_us - timestamp_us > recv_window_ms * 1000:
        raise errors.timestamp_outside_window()


def check_signature(secret: str, payload: str, signature: str) -> None:
    """-1022 unless `signature` is the HMAC of `payload` (hex, any case; compared in constant time)."""
    expected = sign(secret, payload).encode("ascii")
    if not hmac.compare_digest(expected, signature.lower().encode("utf-8")):
        raise errors.invalid_signature()


def recv_window(params: Params) -> Decimal:
    """recvWindow in ms (default 5000): at most 60000 (-1131) and at most 3 decimals (-1111)."""
    window = params.decimal("recvWindow")
    if window is None:
        return Decimal(DEFAULT_RECV_WINDOW_MS)
    if window > MAX_RECV_WINDOW_MS:
        raise errors.bad_recv_window()
    if window.as_tuple().exponent < -3:
        raise errors.bad_precision("recvWindow")
    return window


def _authenticate(
    params: Params, api_key: str | None, payload: str, lookup_secret: SecretLookup, now_ms: int
) -> str:
    secret = api_key_secret(api_key, lookup_secret)
    timestamp = params.integer("timestamp", required=True)
    signature = params.required("signature")
    check_timestamp(timestamp, recv_window(params), now_ms)
    check_signature(secret, payload, signature)
    return api_key


def _without_signature(part: str) -> str:
    """A form-encoded string with its `signature=...` pair(s) removed and everything else byte-identical."""
    if not part:
        return part
    return "&".join(pair for pair in part.split("&") if pair.partition("=")[0] != "signature")


def _ws_text(value: object) -> str:
    """A WebSocket API param value as the client wrote it into its payload (JSON booleans are lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
