"""Market stream names: `<symbol>@<what>[@<speed>]` or a whole-market name, parsed into a `StreamSpec`.

Spot and USD-M spell their names the same way (a symbol, `@`, then a fixed suffix, a depth suffix with optional
levels and speed, or `kline_<interval>`); what differs is which suffixes exist and at what speed each is pushed.
Each venue states those in a `StreamGrammar` (market.py, futures_market.py); the parsing is this one.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from simulator.engine.market_data import MINUTE_MS

REAL_TIME = 0
KLINE_INTERVALS_MS = {
    "1m": MINUTE_MS, "3m": 3 * MINUTE_MS, "5m": 5 * MINUTE_MS, "15m": 15 * MINUTE_MS, "30m": 30 * MINUTE_MS,
    "1h": 60 * MINUTE_MS, "2h": 120 * MINUTE_MS, "4h": 240 * MINUTE_MS, "6h": 360 * MINUTE_MS,
    "8h": 480 * MINUTE_MS, "12h": 720 * MINUTE_MS, "1d": 1440 * MINUTE_MS,
}
DIFF_DEPTH = "depthUpdate"
PARTIAL_DEPTH = "partialDepth"
KLINE = "kline"

_NAME = re.compile(r"(?P<symbol>[A-Za-z0-9]{1,30})@(?P<rest>[A-Za-z0-9_@]+)")


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """What one market stream name asks for. `symbol` is the engine's (upper-case) spelling; None for the
    whole-market streams."""

    kind: str
    symbol: str | None = None
    speed_ms: int = REAL_TIME  # 0 = pushed as events happen
    levels: int = 0  # partial depth
    interval: str = ""  # kline


@dataclass(frozen=True)
class StreamGrammar:
    """One venue's market stream names."""

    whole_market: Mapping[str, tuple[str, int]]  # name -> (kind, speed)
    per_symbol: Mapping[str, tuple[str, int]]  # what follows `<symbol>@` -> (kind, speed)
    depth: re.Pattern  # `depth`, optional levels (group `levels`), optional `@<speed>ms` (group `speed`)
    depth_default_ms: int
    kline_ms: int

    def parse(self, name: str) -> StreamSpec | None:
        """The spec of a market stream name, or None if it names no market stream."""
        if name in self.whole_market:
            kind, speed = self.whole_market[name]
            return StreamSpec(kind, None, speed)
        match = _NAME.fullmatch(name)
        if match is None:
            return None
        symbol, rest = match["symbol"].upper(), match["rest"]
        if rest in self.per_symbol:
            kind, speed = self.per_symbol[rest]
            return StreamSpec(kind, symbol, speed)
        depth = self.depth.fullmatch(rest)
        if depth is not None:
            speed = int(depth["speed"] or self.depth_default_ms)
            if depth["levels"]:
                return StreamSpec(PARTIAL_DEPTH, symbol, speed, levels=int(depth["levels"]))
            return StreamSpec(DIFF_DEPTH, symbol, speed)
        if rest.startswith("kline_") and rest[6:] in KLINE_INTERVALS_MS:
            return StreamSpec(KLINE, symbol, self.kline_ms, interval=rest[6:])
        return None
