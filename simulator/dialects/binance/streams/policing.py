"""Connection policing: keepalive pings and pong timeouts, the maximum connection lifetime, the incoming message
rate of market-stream connections, and the ws_close fault and ws_reorder's stale holds, checked on each of the
hub's 100 ms passes. Times are the event loop's (pings) or the simulator's clock (lifetime, so tests can advance
it)."""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp import WSCloseCode

from simulator import fault_kinds as fk
from simulator.dialects.binance.streams import faults as ws_faults
from simulator.dialects.binance.streams.connection import PING, Connection

LIFETIME_REASON = "Connection reached its maximum lifetime"
MAX_QUEUE = 10_000  # frames waiting for one connection before it counts as too slow and is dropped


@dataclass
class StreamSettings:
    """Connection policing, from the config's `websocket` section; tests may shrink any of it."""

    ping_interval_s: float = 20.0
    pong_timeout_s: float = 60.0  # Binance: a pong must come back within a minute of a ping
    max_lifetime_ms: int = 86_400_000  # on the simulator's clock
    max_incoming_per_s: int = 5  # market-stream connections only (the WebSocket API has weight limits)
    max_queue: int = MAX_QUEUE
    sweep_interval_s: float = 1.0

    @classmethod
    def from_config(cls, sim) -> "StreamSettings":
        ws = sim.config.websocket
        return cls(ping_interval_s=ws.ping_interval_s, pong_timeout_s=3 * ws.ping_interval_s,
                   max_lifetime_ms=ws.max_lifetime_s * 1000, max_incoming_per_s=ws.max_incoming_per_s)


def over_message_limit(conn: Connection, settings: StreamSettings) -> bool:
    """Count one incoming message; whether the connection sent more than its limit within the last second."""
    now = time.monotonic()
    incoming = conn.incoming
    while incoming and now - incoming[0] >= 1.0:
        incoming.popleft()
    incoming.append(now)
    return len(incoming) > settings.max_incoming_per_s


def police(connections: Iterable[Connection], settings: StreamSettings, faults, now_ms: int) -> None:
    """Keepalive pings, unanswered pings, the maximum connection lifetime; ws_close faults, and messages
    ws_reorder held for a fault that is gone."""
    now = time.monotonic()
    connections = list(connections)
    closing = ws_faults.closing(connections, faults) if fk.WS_CLOSE in faults.kinds else {}
    for conn in connections:
        lifetime = ws_faults.lifetime_ms(conn, faults, settings.max_lifetime_ms) if faults.kinds \
            else settings.max_lifetime_ms
        if now_ms - conn.opened_ms >= lifetime:
            conn.close_soon(WSCloseCode.GOING_AWAY, LIFETIME_REASON)
            continue
        if conn.awaiting_pong_since is not None and now - conn.awaiting_pong_since > settings.pong_timeout_s:
            conn.abort(WSCloseCode.POLICY_VIOLATION, "Pong timeout")
            continue
        if conn in closing:
            conn.abort(WSCloseCode.GOING_AWAY, ws_faults.CLOSE_REASON)
            continue
        if conn.held:
            ws_faults.release_stale(conn, faults, now_ms)
        if now - conn.last_ping >= settings.ping_interval_s:
            conn.last_ping = now
            if conn.silenced():  # ws_silence: no keepalive either (and so no pong is awaited)
                continue
            if conn.awaiting_pong_since is None:
                conn.awaiting_pong_since = now
            conn.put(PING)
