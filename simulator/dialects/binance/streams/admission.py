"""Connection attempts per IP: Binance allows 300 WebSocket connections per 5 minutes per IP (reference §1.7);
the `ws_connect_limit` fault lowers that budget, so a client reconnecting in a tight loop is refused while one
that backs off gets in.

An attempt over the budget is refused before the WebSocket handshake, with HTTP 429, a JSON body with code
-1003 and `Retry-After` (seconds until the oldest counted attempt leaves the window). Binance documents the limit
but not the refusal's body: this one follows its REST 429. Only admitted connections count, so a client that
waits out Retry-After gets in. Times are the simulator's clock, in a window sliding over the last `window_ms`.
"""
from __future__ import annotations

from collections import deque

from aiohttp import web

from simulator import fault_kinds as fk
from simulator.dialects.binance.streams.user import dumps

CONNECT_LIMIT = 300
CONNECT_WINDOW_MS = 300_000
MAX_TRACKED_IPS = 10_000  # beyond this, IPs without a recent attempt are forgotten


class ConnectionAttempts:
    def __init__(self, limit: int = CONNECT_LIMIT, window_ms: int = CONNECT_WINDOW_MS):
        self.limit = limit
        self.window_ms = window_ms
        self._admitted: dict[str, deque[int]] = {}  # IP -> times of its admitted connections in the window

    def admit(self, request: web.Request, now: int, faults) -> web.Response | None:
        """None to let the connection in (it is counted), or the 429 that refuses it."""
        limit, window_ms = self.limit, self.window_ms
        if fk.WS_CONNECT_LIMIT in faults.kinds:
            fault = faults.find(fk.WS_CONNECT_LIMIT, endpoint=f"GET {request.path}")
            if fault is not None:
                limit, window_ms = min(limit, fault.params["limit"]), fault.params["windowMs"]
        ip = request.remote or "unknown"
        times = self._admitted.get(ip)
        if times is None:
            if len(self._admitted) >= MAX_TRACKED_IPS:
                self._forget_idle(now)
            times = self._admitted[ip] = deque()
        while times and times[0] <= now - window_ms:
            times.popleft()
        if len(times) >= limit:
            retry_s = max(1, -(-(times[-limit] + window_ms - now) // 1000))
            body = {"code": -1003, "msg": f"Too many connection attempts; current limit is {limit} connections per "
                                          f"{window_ms // 1000} seconds."}
            return web.Response(status=429, body=dumps(body).encode(), content_type="application/json",
                                headers={"Retry-After": str(retry_s)})
        times.append(now)
        return None

    def _forget_idle(self, now: int) -> None:
        for ip in [ip for ip, times in self._admitted.items() if not times or times[-1] <= now - CONNECT_WINDOW_MS]:
            del self._admitted[ip]
