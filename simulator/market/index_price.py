"""Index prices: the seeded random walk the background market quotes around.

Prices are integer quote atoms on the symbol's tick grid. A walk step moves each walking symbol by a whole
number of basis points drawn from the seeded RNG, so the same seed always draws the same path.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from simulator.engine.instrument import Instrument
from simulator.jsonstate import expect_bool, expect_int, rng_from_state, rng_state

BPS = 10_000


class IndexPrices:
    def __init__(self, rng: random.Random, volatility_bps: int):
        self._rng = rng
        self.volatility_bps = volatility_bps
        self.prices: dict[str, int] = {}
        self.walking: dict[str, bool] = {}
        self._instruments: dict[str, Instrument] = {}

    def track(self, inst: Instrument, price: int, walking: bool = True) -> None:
        self._instruments[inst.symbol] = inst
        self.set(inst.symbol, price)
        self.walking[inst.symbol] = walking

    def set(self, symbol: str, price: int) -> None:
        """Pin the index (control plane); rounded down to the tick, never below one tick."""
        inst = self._instruments[symbol]
        self.prices[symbol] = max(inst.tick, price - price % inst.tick)

    def step(self) -> None:
        """One walk step for every symbol whose walk is on, in a fixed (sorted) order."""
        for symbol in sorted(self.prices):
            if self.walking[symbol] and self.volatility_bps:
                move = self._rng.randint(-self.volatility_bps, self.volatility_bps)
                self.set(symbol, self.prices[symbol] * (BPS + move) // BPS)

    # --- snapshots -----------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """{"rng": the walk's RNG, "prices": {symbol: atoms}, "walking": {symbol: bool}}; the volatility and
        the instruments are wiring (config and engine)."""
        return {"rng": rng_state(self._rng), "prices": dict(self.prices), "walking": dict(self.walking)}

    @classmethod
    def from_state(cls, state: Mapping[str, Any], volatility_bps: int,
                   instruments: Mapping[str, Instrument]) -> "IndexPrices":
        """Index prices in the state that `state()` gave, for these instruments: the same prices, and the
        same walk from here. KeyError, TypeError or ValueError on a bad state."""
        index = cls(rng_from_state(state["rng"]), volatility_bps)
        prices, walking = state["prices"], state["walking"]
        if set(prices) != set(walking):
            raise ValueError("index prices: 'prices' and 'walking' name different symbols")
        for symbol, price in prices.items():
            if symbol not in instruments:
                raise ValueError(f"index prices: unknown symbol {symbol!r}")
            if expect_int(price, f"index price of {symbol}") <= 0:
                raise ValueError(f"index price of {symbol}: {price} is not positive")
            index._instruments[symbol] = instruments[symbol]
            index.prices[symbol] = price  # exactly as saved, not re-rounded by `set`
            index.walking[symbol] = expect_bool(walking[symbol], f"index walk of {symbol}")
        return index
