"""What Binance's wire keeps per venue beside the engine: the rate limiter and the listenKeys.

The Simulator builds one through the factory it was given (`Simulator(wire=binance_wire)`), rebuilds it on
reset, and hands it the snapshot sections it owns, so the engine and the control plane never import the dialect.
The control plane's faults reach it through the small interface below (`force_rate_limit`,
`expire_listen_keys`); snapshot checks ask it which accounts its state refers to (`owners`).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.dialects.binance.wire.listen_keys import ListenKeys
from simulator.dialects.binance.wire.ratelimit import RateLimiter


class BinanceWireState:
    def __init__(self, config, clock):
        self.listen_keys = ListenKeys(config.user_stream.listen_key_ttl_s * 1000)
        self.limiter = RateLimiter(config.rate_limits.spot, clock=clock.now_ms, enabled=config.rate_limits.enabled)

    # --- snapshots: the top-level sections this part owns ---------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"listen_keys": self.listen_keys.state()["keys"], "limiter": self.limiter.state()}

    def restore(self, document: Mapping[str, Any]) -> None:
        self.listen_keys.restore({"keys": document["listen_keys"]})
        self.limiter.restore(document["limiter"])

    def owners(self) -> list[tuple[int, str]]:
        """(account id, what) for everything in this state that belongs to an account."""
        return [(k["account_id"], f"listenKey {k['key']!r}") for k in self.listen_keys.entries()]

    # --- what the control plane reads and does ------------------------------------------------------------
    def create_listen_key(self, account_id: int, now: int) -> str:
        return self.listen_keys.create(account_id, now)

    def listen_key_entries(self) -> list[dict[str, Any]]:
        """{"key", "account_id", "expires_at"} per listenKey, live or not yet swept."""
        return self.listen_keys.entries()

    def rate_limit_status(self, now: int) -> dict[str, Any]:
        """What the rate limiter would do to the next request because of a forced refusal (a fault)."""
        forced = self.limiter.forced
        refusing = forced[0] if forced is not None and now < forced[1] else None
        return {"enabled": self.limiter.enabled, "forced": refusing, "forcedUntil": forced[1] if refusing else None,
                "rateLimits": self.limiter.rate_limits_payload()}

    # --- what faults do to it ---------------------------------------------------------------------------
    def force_rate_limit(self, status: int, until_ms: int) -> None:
        """Refuse every request with 429 or 418 until `until_ms` (a time in the past ends it)."""
        self.limiter.force(status, until_ms)

    def expire_listen_keys(self, now: int, account_id: int | None = None, key: str | None = None) -> list[str]:
        """Expire the live listenKeys matching the account and key (None: any) now; the keys expired."""
        keys = [k["key"] for k in self.listen_keys.entries()
                if (key is None or k["key"] == key) and (account_id is None or k["account_id"] == account_id)
                and k["expires_at"] > now]
        for expired in keys:
            self.listen_keys.expire_now(expired)
        return keys


def binance_wire(config, seed: int, clock) -> BinanceWireState:
    """The wire factory a Simulator serving Binance's dialect is built with (the seed is unused: rate limits
    are counted, not drawn, and listenKeys are secrets from the OS)."""
    return BinanceWireState(config, clock)
