"""A venue's published rate limits: the pools exchangeInfo lists under `rateLimits`, as the config declares them.

Counting and enforcing them is the wire dialect's business (simulator.dialects.binance.wire.ratelimit); this
module only says what a pool is, so that the config can describe one without knowing any dialect.
"""
from __future__ import annotations

from dataclasses import dataclass

INTERVAL_MS = {"SECOND": 1_000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000}
REQUEST_WEIGHT, ORDERS, RAW_REQUESTS = "REQUEST_WEIGHT", "ORDERS", "RAW_REQUESTS"
RATE_LIMIT_TYPES = (REQUEST_WEIGHT, ORDERS, RAW_REQUESTS)


@dataclass(frozen=True)
class Pool:
    """One entry of exchangeInfo `rateLimits`: at most `limit` units per `interval_num` x `interval`."""

    type: str
    interval: str
    interval_num: int
    limit: int

    @property
    def window_ms(self) -> int:
        return INTERVAL_MS[self.interval] * self.interval_num

    @property
    def interval_text(self) -> str:
        """As Binance writes it in error messages: "1 MINUTE", "10 SECOND"."""
        return f"{self.interval_num} {self.interval}"

    @property
    def header_suffix(self) -> str:
        """As Binance writes it in header names: "1M", "10S", "1D"."""
        return f"{self.interval_num}{self.interval[0]}"

    def window_start(self, now_ms: int) -> int:
        return now_ms - now_ms % self.window_ms

    def window_end(self, now_ms: int) -> int:
        return self.window_start(now_ms) + self.window_ms

    def payload(self) -> dict[str, str | int]:
        return {
            "rateLimitType": self.type,
            "interval": self.interval,
            "intervalNum": self.interval_num,
            "limit": self.limit,
        }
