"""listenKeys: the REST-created handles of a user data stream (spot /api/v3/userDataStream).

A key lives `ttl_ms` from its last POST or PUT; a POST for an account that has a live key returns that key and
extends it, as Binance does. Expiry is swept by the server, which then pushes `listenKeyExpired`.

A listenKey is a bearer secret (whoever knows it reads the account's user stream), so it comes from the
operating system's randomness, never from the simulator's seed.
"""
from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simulator.jsonstate import expect_int, expect_str

_ALPHABET = string.ascii_letters + string.digits


@dataclass(slots=True)
class ListenKey:
    key: str
    account_id: int
    expires_at: int


class ListenKeys:
    def __init__(self, ttl_ms: int = 3_600_000):
        self.ttl_ms = ttl_ms
        self._keys: dict[str, ListenKey] = {}
        # listen_key_ttl faults: {account id, or None for every account: lifetime ms} instead of ttl_ms
        self.ttl_overrides: dict[int | None, int] = {}

    def ttl_for(self, account_id: int) -> int:
        overrides = self.ttl_overrides
        return overrides.get(account_id, overrides.get(None, self.ttl_ms)) if overrides else self.ttl_ms

    def set_ttl_overrides(self, overrides: dict[int | None, int], now: int) -> None:
        """Keys live `overrides[account]` ms (None: any account) from their last POST or PUT instead of ttl_ms.
        A live key whose lifetime shrinks expires at most that long from now; one whose lifetime grows back (the
        fault ended) lives its full new lifetime from now, so the end of a fault never expires a key."""
        before = {key.key: self.ttl_for(key.account_id) for key in self._keys.values()}
        self.ttl_overrides = dict(overrides)
        for listen_key in self._keys.values():
            if listen_key.expires_at <= now:
                continue
            ttl = self.ttl_for(listen_key.account_id)
            if ttl < before[listen_key.key]:
                listen_key.expires_at = min(listen_key.expires_at, now + ttl)
            elif ttl > before[listen_key.key]:
                listen_key.expires_at = max(listen_key.expires_at, now + ttl)

    def create(self, account_id: int, now: int) -> str:
        for listen_key in self._keys.values():
            if listen_key.account_id == account_id and listen_key.expires_at > now:
                listen_key.expires_at = now + self.ttl_for(account_id)
                return listen_key.key
        key = "".join(secrets.choice(_ALPHABET) for _ in range(60))
        self._keys[key] = ListenKey(key, account_id, now + self.ttl_for(account_id))
        return key

    def _owned(self, key: str, account_id: int, now: int) -> ListenKey | None:
        listen_key = self._keys.get(key)
        if listen_key is None or listen_key.account_id != account_id or listen_key.expires_at <= now:
            return None
        return listen_key

    def keepalive(self, key: str, account_id: int, now: int) -> bool:
        listen_key = self._owned(key, account_id, now)
        if listen_key is None:
            return False
        listen_key.expires_at = now + self.ttl_for(account_id)
        return True

    def close(self, key: str, account_id: int, now: int) -> bool:
        if self._owned(key, account_id, now) is None:
            return False
        del self._keys[key]
        return True

    def account_of(self, key: str, now: int) -> int | None:
        listen_key = self._keys.get(key)
        if listen_key is None or listen_key.expires_at <= now:
            return None
        return listen_key.account_id

    def holds(self, key: str) -> bool:
        """Whether the key is still held, live or expired but not yet swept (a closed key is not)."""
        return key in self._keys

    def expire_now(self, key: str) -> bool:
        """Fault injection: the key dies at once (the next sweep reports it)."""
        listen_key = self._keys.get(key)
        if listen_key is None:
            return False
        listen_key.expires_at = 0
        return True

    def sweep(self, now: int) -> list[ListenKey]:
        """Remove and return the keys whose time is up."""
        expired = [k for k in self._keys.values() if k.expires_at <= now]
        for listen_key in expired:
            del self._keys[listen_key.key]
        return expired

    def entries(self) -> list[dict[str, Any]]:
        """Every key held, expired ones not yet swept included: [{"key", "account_id", "expires_at"}, ...]."""
        return [{"key": k.key, "account_id": k.account_id, "expires_at": k.expires_at}
                for k in self._keys.values()]

    # --- snapshots -----------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """{"keys": `entries()`}. The TTL comes from the config."""
        return {"keys": self.entries()}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Back to the keys that `state()` gave. KeyError, TypeError or ValueError on a bad state, and then
        nothing changes."""
        keys: dict[str, ListenKey] = {}
        for entry in state["keys"]:
            key = expect_str(entry["key"], "listenKey")
            if key in keys:
                raise ValueError(f"listenKey {key!r} appears twice")
            keys[key] = ListenKey(key, expect_int(entry["account_id"], f"account of listenKey {key!r}"),
                                  expect_int(entry["expires_at"], f"expiry of listenKey {key!r}"))
        self._keys = keys
