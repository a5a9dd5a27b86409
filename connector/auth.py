"""BinanceAuth: signs private REST requests and WebSocket API requests.

REST: the signature is HMAC-SHA256 (hex) over exactly the bytes sent: the encoded query string followed, with no
separator, by the encoded form body. The connector therefore encodes the parameters once, here, and the web
assistant sends that very string; nothing re-encodes it on the way. `timestamp` comes from the TimeSynchronizer.
WebSocket API: HMAC over the params sorted by key, joined as k=v with '&', not percent-encoded (reference §6.3).
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode

from connector.time_synchronizer import TimeSynchronizer

API_KEY_HEADER = "X-MBX-APIKEY"


def hmac_sha256_hex(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def encode_params(params: dict[str, Any] | None) -> str:
    """One canonical encoding: insertion order kept, booleans as true/false, everything else str()."""
    if not params:
        return ""
    return urlencode([(k, _wire_value(v)) for k, v in params.items() if v is not None])


def _wire_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        raise TypeError("floats never reach the wire: pass Decimal or str")
    return str(value)


class BinanceAuth:
    def __init__(self, api_key: str, secret: str, time_provider: TimeSynchronizer, recv_window_ms: int = 5000):
        self.api_key = api_key
        self._secret = secret
        self.time_provider = time_provider
        self.recv_window_ms = recv_window_ms

    def header(self) -> dict[str, str]:
        return {API_KEY_HEADER: self.api_key}

    def sign_query(self, params: dict[str, Any] | None, body: str = "") -> str:
        """The full query string to send for a signed request whose (already encoded) body is `body`:
        params + recvWindow + timestamp, then signature last, as the futures docs ask."""
        signed = dict(params or {})
        signed["recvWindow"] = self.recv_window_ms
        signed["timestamp"] = self.time_provider.now_ms()
        query = encode_params(signed)
        return f"{query}&signature={hmac_sha256_hex(self._secret, query + body)}"

    def sign_ws_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """WebSocket API params with apiKey, timestamp and signature added."""
        signed = dict(params)
        signed["apiKey"] = self.api_key
        signed["timestamp"] = self.time_provider.now_ms()
        payload = "&".join(f"{k}={_wire_value(signed[k])}" for k in sorted(signed))
        signed["signature"] = hmac_sha256_hex(self._secret, payload)
        return signed
