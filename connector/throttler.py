"""AsyncThrottler: keeps the connector inside the exchange's rate limits, so it never earns a 429.

Pools come from exchangeInfo's `rateLimits` (REQUEST_WEIGHT, ORDERS, RAW_REQUESTS, each with its own window).
Every request is *linked* to several pools at once: it costs its endpoint's weight in every REQUEST_WEIGHT pool,
one in every RAW_REQUESTS pool, and, when it places an order, one in every ORDERS pool. A request waits until all
of its pools have room (a sliding window: never more in any window's length than the pool allows, which also
keeps every fixed window the exchange counts within its limit, with a guard for the time a request takes to arrive).

What the exchange says wins over what we counted: `X-MBX-USED-WEIGHT-<n><unit>` and `X-MBX-ORDER-COUNT-<n><unit>`
headers raise our count to the exchange's (someone else may share the IP). A 429 or 418 answer bans the connector
itself until `Retry-After` has passed: no request leaves until then (`ban`).

`WsMessageThrottler` is the same idea for what the connector sends on one WebSocket connection: Binance drops a
connection that sends more than 5 messages a second (spot; 10 on USD-M), pings and pongs included.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable, Iterable, Mapping

from connector import constants as c

_HEADER = re.compile(r"^X-MBX-(USED-WEIGHT|ORDER-COUNT)-(\d+)([SMHD])$", re.IGNORECASE)
_UNIT_SECONDS = {"S": 1, "M": 60, "H": 3600, "D": 86400}


IN_FLIGHT_RECHECK_S = 0.05  # how soon a request blocked only by requests in flight looks again


@dataclass
class RateLimitPool:
    kind: str              # REQUEST_WEIGHT | ORDERS | RAW_REQUESTS
    window_s: float
    limit: int             # the exchange's limit
    capacity: int          # what we allow ourselves (limit * safety margin)
    log: deque = field(default_factory=deque)  # (time, amount) of requests answered, by the time of the answer
    in_flight: int = 0  # what requests sent and not yet answered cost: counted until their answer comes

    @property
    def span_s(self) -> float:
        """The window we count over: the exchange's, plus a guard for the time between our charging a request
        and its arrival (the exchange counts fixed windows by arrival: a request charged just before one of its
        window boundaries may land just after it)."""
        return self.window_s + min(1.0, max(0.25, self.window_s * 0.02))

    @property
    def key(self) -> tuple[str, int]:
        return self.kind, int(self.window_s)

    def used(self, now: float) -> int:
        while self.log and self.log[0][0] <= now - self.span_s:
            self.log.popleft()
        return sum(amount for _, amount in self.log) + self.in_flight

    def wait_for(self, amount: int, now: float) -> float:
        """Seconds until `amount` more fits (0 if it fits now)."""
        used = self.used(now)
        if used + amount <= self.capacity or not (self.log or self.in_flight):
            return 0.0
        freed = 0
        for stamp, spent in self.log:
            freed += spent
            if used - freed + amount <= self.capacity:
                return stamp + self.span_s - now
        if self.in_flight:  # what is left is in flight: look again once answers may have come
            return max(self.log[-1][0] + self.span_s - now if self.log else 0.0, IN_FLIGHT_RECHECK_S)
        return self.log[-1][0] + self.span_s - now


def pools_from_rate_limits(rate_limits: Iterable[Mapping], safety_pct: int = c.SAFETY_MARGIN_PCT
                           ) -> list[RateLimitPool]:
    pools = []
    for entry in rate_limits:
        window = c.INTERVAL_SECONDS[entry["interval"]] * int(entry["intervalNum"])
        limit = int(entry["limit"])
        pools.append(RateLimitPool(entry["rateLimitType"], window, limit, max(1, limit * safety_pct // 100)))
    return pools


class AsyncThrottler:
    def __init__(self, rate_limits: Iterable[Mapping], weights: Mapping[tuple[str, str], int] = c.WEIGHTS,
                 clock: Callable[[], float] = time.monotonic, safety_pct: int = c.SAFETY_MARGIN_PCT):
        self._clock = clock
        self._weights = dict(weights)
        self._safety_pct = safety_pct
        self.pools = pools_from_rate_limits(rate_limits, safety_pct)
        self.banned_until = 0.0
        self.bans = 0  # how many 429/418 answers the connector has had (the goal: none)
        self._lock = asyncio.Lock()

    def set_rate_limits(self, rate_limits: Iterable[Mapping]) -> None:
        """Replace the pools with exchangeInfo's, keeping what has been spent in pools of the same shape."""
        old = {p.key: p for p in self.pools}
        pools = pools_from_rate_limits(rate_limits, self._safety_pct)
        for pool in pools:
            if pool.key in old:
                pool.log, pool.in_flight = old[pool.key].log, old[pool.key].in_flight
        if pools:
            self.pools = pools

    def weight(self, method: str, path: str) -> int:
        return self._weights.get((method, path), 1)

    def _costs(self, method: str, path: str, weight: int | None) -> list[tuple[RateLimitPool, int]]:
        weight = self.weight(method, path) if weight is None else weight
        places_order = (method, path) in c.ORDER_PLACING
        costs = []
        for pool in self.pools:
            if pool.kind == c.REQUEST_WEIGHT:
                costs.append((pool, weight))
            elif pool.kind == c.RAW_REQUESTS:
                costs.append((pool, 1))
            elif pool.kind == c.ORDERS and places_order:
                costs.append((pool, 1))
        return costs

    @contextlib.asynccontextmanager
    async def execute_task(self, method: str, path: str, weight: int | None = None) -> AsyncIterator[None]:
        """Wait until the request fits every linked pool and no ban is in force, then charge it."""
        costs = self._costs(method, path, weight)
        async with self._lock:  # first come, first served: a heavy request is not overtaken forever
            while True:
                now = self._clock()
                delay = max([self.banned_until - now] + [pool.wait_for(amount, now) for pool, amount in costs])
                if delay <= 0:
                    break
                await asyncio.sleep(delay)
            for pool, amount in costs:
                pool.in_flight += amount
        try:
            yield
        finally:
            # The exchange counted the request when it arrived, at the latest when it answered: from then on it
            # takes its place in the window (a request charged when sent and delayed on its way, by the network
            # or a busy exchange, could otherwise leave our window before it entered the exchange's).
            now = self._clock()
            current = {pool.key: pool for pool in self.pools}
            for pool, amount in costs:
                pool = current.get(pool.key, pool)
                pool.in_flight = max(0, pool.in_flight - amount)
                if amount:
                    pool.log.append((now, amount))

    def ban(self, retry_after_s: float) -> None:
        """A 429 or 418 answer: nothing is sent before `retry_after_s` has passed."""
        self.bans += 1
        self.banned_until = max(self.banned_until, self._clock() + max(retry_after_s, 1.0))

    @property
    def banned(self) -> bool:
        return self._clock() < self.banned_until

    def update_from_headers(self, headers: Mapping[str, str]) -> None:
        """Raise our counts to the exchange's used-weight and order-count headers."""
        now = self._clock()
        for name, value in headers.items():
            match = _HEADER.match(name)
            if not match or not str(value).isdigit():
                continue
            kind = c.REQUEST_WEIGHT if match.group(1).upper() == "USED-WEIGHT" else c.ORDERS
            window = int(match.group(2)) * _UNIT_SECONDS[match.group(3).upper()]
            for pool in self.pools:
                if pool.kind == kind and int(pool.window_s) == window:
                    missing = int(value) - pool.used(now)
                    if missing > 0:
                        pool.log.append((now, missing))


class WsMessageThrottler:
    """Paces the messages sent on one WebSocket connection (subscribe, unsubscribe, ws-api requests): at most
    `limit - headroom` in any WINDOW_S (a sliding window, which keeps every fixed second the exchange counts
    within its limit too). The headroom is for the control frames the socket sends by itself (our heartbeat ping,
    the pongs answering the server's pings), which the exchange counts as messages. The window is a second plus a
    guard: a message is counted before it is written, and the exchange counts arrivals, so two bursts a bare
    second apart can land less than a second apart. A message beyond that waits; one throttler per connection,
    since the limit is per connection."""

    WINDOW_S = 1.25

    def __init__(self, limit_per_s: int, headroom: int = c.WS_MESSAGE_HEADROOM,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.capacity = max(1, limit_per_s - headroom)
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()  # first come, first sent

    async def acquire(self) -> None:
        """Wait until one more message fits, and count it."""
        async with self._lock:
            while True:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.WINDOW_S:
                    self._sent.popleft()
                if len(self._sent) < self.capacity:
                    break
                await self._sleep(self._sent[0] + self.WINDOW_S - now)
            self._sent.append(self._clock())

