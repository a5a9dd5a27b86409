"""Index prices: the seeded random walk the background market quotes around.

Prices are integer quote atoms on the symbol's tick grid. A walk step moves each walking symbol by a whole
number of basis points drawn from the seeded RNG, so the same seed always draws the same path.
"""
from __future__ import annotations

import random

from simulator.engine.instrument import Instrument

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
