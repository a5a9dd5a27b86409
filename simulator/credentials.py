"""API keys: which account a key trades for, and the secret its requests are signed with."""
from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simulator.jsonstate import expect_int, expect_str

# What an API key may look like: Binance's keys are 64 alphanumerics; a config may pin friendlier ones.
API_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")


def valid_api_key(key: object) -> bool:
    """Whether `key` is well-formed as an API key (the wire refuses anything else with -2014)."""
    return isinstance(key, str) and API_KEY_PATTERN.fullmatch(key) is not None


@dataclass(frozen=True, slots=True)
class ApiKey:
    key: str
    secret: str
    account_id: int


class KeyRing:
    """Generated keys and secrets come from the operating system's randomness, never from the simulator's seed:
    two servers started alike must not hand out the same secret. Nothing else depends on them (a key only names
    an account), so the market stays deterministic; a config pins a key where one must be known in advance."""

    def __init__(self) -> None:
        self._by_key: dict[str, ApiKey] = {}

    def add(self, account_id: int, key: str | None = None, secret: str | None = None) -> ApiKey:
        """Register a key (generated when not given); a key belongs to exactly one account."""
        key = key or secrets.token_hex(32)
        if key in self._by_key:
            raise ValueError(f"API key {key!r} is already in use")
        api_key = ApiKey(key, secret or secrets.token_hex(32), account_id)
        self._by_key[key] = api_key
        return api_key

    def get(self, key: str) -> ApiKey | None:
        return self._by_key.get(key)

    def secret_of(self, key: str) -> str | None:
        api_key = self._by_key.get(key)
        return api_key.secret if api_key else None

    def keys_of(self, account_id: int) -> list[ApiKey]:
        return [k for k in self._by_key.values() if k.account_id == account_id]

    def all(self) -> list[ApiKey]:
        return list(self._by_key.values())

    # --- snapshots -----------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """{"keys": [[key, secret, account_id], ...]} in the order added."""
        return {"keys": [[k.key, k.secret, k.account_id] for k in self._by_key.values()]}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Back to the keys that `state()` gave. KeyError, TypeError or ValueError on a bad state, and then
        nothing changes."""
        by_key: dict[str, ApiKey] = {}
        for entry in state["keys"]:
            key, secret, account_id = entry
            api_key = ApiKey(expect_str(key, "API key"), expect_str(secret, f"secret of API key {key!r}"),
                             expect_int(account_id, f"account of API key {key!r}"))
            if key in by_key:
                raise ValueError(f"API key {key!r} appears twice")
            by_key[key] = api_key
        self._by_key = by_key
