"""What Binance's wire keeps per venue beside the engine: the rate limiters and the listenKeys.

Spot and USD-M futures are separate hosts on Binance: each counts request weight and orders in its own pools
(config `rate_limits.spot` / `rate_limits.futures`) and hands out its own listenKeys (a futures key opens a futures
user stream, never a spot one). `limiter_for(venue)` picks the pools of a REST endpoint's venue.

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
        self.futures_listen_keys = ListenKeys(config.user_stream.listen_key_ttl_s * 1000)
        self.futures_limiter = RateLimiter(config.rate_limits.futures, clock=clock.now_ms,
                                           enabled=config.rate_limits.enabled)
        # USD-M countdownCancelAll: (account id, symbol) -> when its open orders are all canceled, unless the
        # client renews it first. A dead man's switch of the connection, so not kept in snapshots.
        self.countdowns: dict[tuple[int, str], int] = {}

    def limiter_for(self, venue: str) -> RateLimiter:
        """The rate limiter of a venue: "futures" (USD-M, /fapi) or anything else (spot)."""
        return self.futures_limiter if venue == "futures" else self.limiter

    def _all_listen_keys(self) -> tuple[ListenKeys, ListenKeys]:
        return self.listen_keys, self.futures_listen_keys

    # --- snapshots: the top-level sections this part owns ---------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"listen_keys": self.listen_keys.state()["keys"], "limiter": self.limiter.state(),
                "futures_listen_keys": self.futures_listen_keys.state()["keys"],
                "futures_limiter": self.futures_limiter.state()}

    def restore(self, document: Mapping[str, Any]) -> None:
        """The futures sections came later: a document without them restores fresh futures keys and counters."""
        self.listen_keys.restore({"keys": document["listen_keys"]})
        self.limiter.restore(document["limiter"])
        if "futures_listen_keys" in document:
            self.futures_listen_keys.restore({"keys": document["futures_listen_keys"]})
        if "futures_limiter" in document:
            self.futures_limiter.restore(document["futures_limiter"])

    def owners(self) -> list[tuple[int, str]]:
        """(account id, what) for everything in this state that belongs to an account."""
        return [(k["account_id"], f"listenKey {k['key']!r}") for keys in self._all_listen_keys()
                for k in keys.entries()]

    # --- what the control plane reads and does ------------------------------------------------------------
    def create_listen_key(self, account_id: int, now: int) -> str:
        return self.listen_keys.create(account_id, now)

    def listen_key_entries(self) -> list[dict[str, Any]]:
        """{"key", "account_id", "expires_at"} per listenKey (spot and futures), live or not yet swept."""
        return [entry for keys in self._all_listen_keys() for entry in keys.entries()]

    def rate_limit_status(self, now: int) -> dict[str, Any]:
        """What the rate limiter would do to the next request because of a forced refusal (a fault)."""
        forced = self.limiter.forced
        refusing = forced[0] if forced is not None and now < forced[1] else None
        return {"enabled": self.limiter.enabled, "forced": refusing, "forcedUntil": forced[1] if refusing else None,
                "rateLimits": self.limiter.rate_limits_payload()}

    # --- what faults do to it ---------------------------------------------------------------------------
    def force_rate_limit(self, status: int, until_ms: int) -> None:
        """Refuse every request (spot and futures) with 429 or 418 until `until_ms` (a time in the past ends it)."""
        self.limiter.force(status, until_ms)
        self.futures_limiter.force(status, until_ms)

    def expire_listen_keys(self, now: int, account_id: int | None = None, key: str | None = None) -> list[str]:
        """Expire the live listenKeys matching the account and key (None: any) now; the keys expired."""
        expired = []
        for keys in self._all_listen_keys():
            matching = [k["key"] for k in keys.entries()
                        if (key is None or k["key"] == key) and (account_id is None or k["account_id"] == account_id)
                        and k["expires_at"] > now]
            for name in matching:
                keys.expire_now(name)
            expired += matching
        return expired

    def set_listen_key_ttls(self, overrides: dict[int | None, int], now: int) -> None:
        """listenKeys (spot and futures) live `overrides[accountId]` ms (key None: every account) from their last
        POST or PUT instead of the configured TTL; an empty mapping goes back to it (ListenKeys.set_ttl_overrides)."""
        for keys in self._all_listen_keys():
            keys.set_ttl_overrides(overrides, now)


def binance_wire(config, seed: int, clock) -> BinanceWireState:
    """The wire factory a Simulator serving Binance's dialect is built with (the seed is unused: rate limits
    are counted, not drawn, and listenKeys are secrets from the OS)."""
    return BinanceWireState(config, clock)
