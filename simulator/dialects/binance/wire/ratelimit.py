"""Binance rate limits: request weight and raw requests per IP, new orders per account (reference §1.7).

Each pool counts in fixed windows aligned the way Binance aligns them: a window of `interval_num` x `interval`
starts at `now - now % window_ms` (epoch milliseconds from the injected clock), so a 1-MINUTE window starts at
the top of every minute. Every request is counted, refused or not, which is why Binance's used-weight headers
can exceed the limit.

Refusals:
* a request that pushes an IP over a REQUEST_WEIGHT or RAW_REQUESTS pool gets 429 -1003 with `Retry-After`
  (seconds until that window ends);
* one rule for every 429, organic or forced by a fault: an IP that has had a 429 and sends
  `BAN_AFTER_IGNORED_429` more requests that are refused before its `Retry-After` has elapsed is banned: that
  request and every one until the ban ends get 418 -1003 "... IP banned until <ms> ..." (Retry-After: the ban's
  length). A client that waits out Retry-After starts afresh. The first ban lasts 2 minutes and each later ban
  of the same IP 4 times longer, up to 3 days;
* an order that pushes an account over an ORDERS pool gets 429 -1015 (orders never lead to a ban).

`enabled=False` stops the refusals but keeps counting, so the headers stay truthful. A fault injector can
`force` a 429 or a 418 on every request until a given time, whether or not enforcement is enabled (a forced 429
says Retry-After: until then, and hammering through it leads to a ban as above).
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.jsonstate import expect_bool, expect_int
from simulator.rate_limits import ORDERS, RAW_REQUESTS, REQUEST_WEIGHT, Pool

BAN_AFTER_IGNORED_429 = 3
FIRST_BAN_MS = 2 * 60_000
BAN_GROWTH = 4
MAX_BAN_MS = 3 * 86_400_000

Clock = Callable[[], int]


@dataclass
class _IpState:
    limited_until: int = 0  # when the Retry-After of this IP's last 429 elapses; 0 when not limited
    ignored_429: int = 0  # requests refused since that 429, before it elapsed
    banned_until: int = 0
    bans: int = 0


class RateLimiter:
    """Counts and enforces one venue's pools (spot or USD-M) against an injected millisecond clock."""

    def __init__(self, pools: Iterable[Pool], clock: Clock, enabled: bool = True):
        self.pools = tuple(pools)
        if not any(pool.type == REQUEST_WEIGHT for pool in self.pools):
            raise ValueError("a REQUEST_WEIGHT pool is required: its header goes on every response")
        self.enabled = enabled
        self._clock = clock
        self._windows: dict[tuple[int, Hashable], list[int]] = {}  # (pool index, ip/account) -> [start, used]
        self._ips: dict[str, _IpState] = {}
        self._forced: tuple[int, int] | None = None  # (418 or 429, until ms)

    def rate_limits_payload(self) -> list[dict[str, str | int]]:
        """The exchangeInfo `rateLimits` list."""
        return [pool.payload() for pool in self.pools]

    def force(self, kind: int, until_ms: int) -> None:
        """Answer every request with a 429 (`kind=429`) or a 418 (`kind=418`) until `until_ms`.

        A time in the past ends a forced refusal early.
        """
        if kind not in (429, 418):
            raise ValueError(f"can only force 429 or 418, not {kind!r}")
        self._forced = (kind, until_ms)

    @property
    def forced(self) -> tuple[int, int] | None:
        """(418 or 429, until ms) of the last `force`, even if that time has passed; None if never forced."""
        return self._forced

    def charge_request(self, ip: str, weight: int) -> dict[str, str]:
        """Count one request of `weight` from `ip`; the X-MBX-USED-WEIGHT-* headers, or BinanceError 429/418."""
        now = self._clock()
        state = self._ips.setdefault(ip, _IpState())
        if state.banned_until > now:
            raise self._with_headers(_ban_error(state.banned_until, now), self.weight_headers(ip, now))
        self._refuse_if_forced(ip, state, now)
        over = self._charge(ip, now, {REQUEST_WEIGHT: weight, RAW_REQUESTS: 1})
        headers = self.weight_headers(ip, now)
        if over is None or not self.enabled:
            return headers
        error = errors.too_much_weight(over.limit, over.interval_text, _seconds(over.window_end(now) - now))
        raise self._with_headers(_refusal(state, now, over.window_end(now), error), headers)

    def charge_order(self, account_id: Hashable) -> dict[str, str]:
        """Count one new order; the X-MBX-ORDER-COUNT-* headers, or BinanceError 429 -1015."""
        now = self._clock()
        over = self._charge(account_id, now, {ORDERS: 1})
        headers = self._usage_headers(ORDERS, "X-MBX-ORDER-COUNT-", account_id, now)
        if over is None or not self.enabled:
            return headers
        error = errors.too_many_orders(over.limit, over.interval_text, _seconds(over.window_end(now) - now))
        raise self._with_headers(error, headers)

    def order_counts(self, account_id: Hashable) -> list[tuple[Pool, int]]:
        """Each ORDERS pool with the orders `account_id` has placed in its current window, counting nothing
        (GET /api/v3/rateLimit/order)."""
        now = self._clock()
        counts = []
        for index, pool in enumerate(self.pools):
            if pool.type == ORDERS:
                window = self._windows.get((index, account_id))
                counts.append((pool, window[1] if window and window[0] == pool.window_start(now) else 0))
        return counts

    # --- counting ---------------------------------------------------------------------------------------
    def _charge(self, subject: Hashable, now: int, amounts: dict[str, int]) -> Pool | None:
        """Add `amounts[pool.type]` to each matching pool; the first pool now over its limit, if any."""
        over = None
        for index, pool in enumerate(self.pools):
            if pool.type not in amounts:
                continue
            window = self._window(index, pool, subject, now)
            window[1] += amounts[pool.type]
            if over is None and window[1] > pool.limit:
                over = pool
        return over

    def _window(self, index: int, pool: Pool, subject: Hashable, now: int) -> list[int]:
        """[start, used] of the current window, restarting from zero when a new window has begun."""
        start = pool.window_start(now)
        window = self._windows.get((index, subject))
        if window is None or window[0] != start:
            window = self._windows[(index, subject)] = [start, 0]
        return window

    def _usage_headers(self, pool_type: str, prefix: str, subject: Hashable, now: int) -> dict[str, str]:
        return {
            prefix + pool.header_suffix: str(self._window(index, pool, subject, now)[1])
            for index, pool in enumerate(self.pools)
            if pool.type == pool_type
        }

    def weight_headers(self, ip: str, now: int) -> dict[str, str]:
        """The used-weight headers for an IP without charging anything (e.g. on a maintenance 503)."""
        return self._usage_headers(REQUEST_WEIGHT, "X-MBX-USED-WEIGHT-", ip, now)

    # --- refusing ---------------------------------------------------------------------------------------
    def _refuse_if_forced(self, ip: str, state: _IpState, now: int) -> None:
        if self._forced is None or now >= self._forced[1]:
            return
        kind, until = self._forced
        if kind == 418:
            error = _ban_error(until, now)
        else:
            pool = next(pool for pool in self.pools if pool.type == REQUEST_WEIGHT)
            error = _refusal(state, now, until,
                             errors.too_much_weight(pool.limit, pool.interval_text, _seconds(until - now)))
        raise self._with_headers(error, self.weight_headers(ip, now))

    @staticmethod
    def _with_headers(error: BinanceError, headers: dict[str, str]) -> BinanceError:
        error.headers.update(headers)
        return error

    # --- snapshots -----------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The counters, bans and forced refusal; the pools and the clock are wiring (from the config).

        A window's subject (an IP or an account id) must be a string or an int to survive JSON."""
        return {
            "enabled": self.enabled,
            "windows": [[index, subject, start, used] for (index, subject), (start, used) in self._windows.items()],
            "ips": [[ip, asdict(state)] for ip, state in self._ips.items()],
            "forced": list(self._forced) if self._forced is not None else None,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Back to the state that `state()` gave, for the same pools. KeyError, TypeError or ValueError on a
        bad state, and then nothing changes."""
        enabled = expect_bool(state["enabled"], "rate limiter enabled")
        windows: dict[tuple[int, Hashable], list[int]] = {}
        for index, subject, start, used in state["windows"]:
            if expect_int(index, "rate limit pool index") not in range(len(self.pools)):
                raise ValueError(f"rate limit pool index {index} is not one of the {len(self.pools)} pools")
            if type(subject) not in (str, int):
                raise TypeError(f"rate limit subject: expected an IP or an account id, got {subject!r}")
            windows[(index, subject)] = [expect_int(start, "rate limit window start"),
                                         expect_int(used, "rate limit window count")]
        names = {f.name for f in fields(_IpState)}
        ips: dict[str, _IpState] = {}
        for ip, values in state["ips"]:
            if not isinstance(ip, str) or set(values) != names:
                raise ValueError(f"rate limit IP state: expected an IP and the fields {sorted(names)}")
            ips[ip] = _IpState(**{name: expect_int(values[name], f"rate limit {ip} {name}") for name in names})
        forced = state["forced"]
        if forced is not None:
            kind, until = forced
            if expect_int(kind, "forced refusal") not in (429, 418):
                raise ValueError(f"forced refusal: can only be 429 or 418, not {kind!r}")
            forced = (kind, expect_int(until, "forced refusal until"))
        self.enabled, self._windows, self._ips, self._forced = enabled, windows, ips, forced


def _refusal(state: _IpState, now: int, retry_at: int, error: BinanceError) -> BinanceError:
    """The 429 `error` (whose Retry-After points at `retry_at`), or a 418 ban once the IP has ignored enough 429s:
    a request refused before the Retry-After of the IP's last 429 has elapsed ignores it."""
    if state.limited_until > now:
        state.ignored_429 += 1
        if state.ignored_429 >= BAN_AFTER_IGNORED_429:
            return _ban(state, now)
    else:
        state.limited_until = retry_at
        state.ignored_429 = 0
    return error


def _ban(state: _IpState, now: int) -> BinanceError:
    """Ban the IP: 2 minutes the first time, 4x longer each time after, at most 3 days."""
    state.banned_until = now + min(FIRST_BAN_MS * BAN_GROWTH**state.bans, MAX_BAN_MS)
    state.bans += 1
    state.limited_until = 0
    state.ignored_429 = 0
    return _ban_error(state.banned_until, now)


def _ban_error(until_ms: int, now: int) -> BinanceError:
    return errors.ip_banned(until_ms, _seconds(until_ms - now))


def _seconds(ms: int) -> int:
    """Milliseconds rounded up to whole seconds, for Retry-After."""
    return -(-ms // 1000)
