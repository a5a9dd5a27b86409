"""Spot parameter readers shared by the market-data and trading endpoints (symbols, limits, time windows)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.dialects.binance.wire.params import Params
from simulator.engine.engine import Engine
from simulator.engine.instrument import Instrument

SYMBOL_RANGE = "^[A-Z0-9-_.]{1,20}$"
_SYMBOL = re.compile(r"[A-Z0-9_.-]{1,20}")
HOUR_MS = 3_600_000


def symbol(engine: Engine, params: Params, name: str = "symbol") -> Instrument:
    """The instrument named by a mandatory symbol: -1102 absent, -1100 not a symbol's shape, -1121 unknown."""
    text = params.required(name)
    return instrument(engine, text, name)


def optional_symbol(engine: Engine, params: Params, name: str = "symbol") -> Instrument | None:
    text = params.optional(name)
    return None if text is None else instrument(engine, text, name)


def instrument(engine: Engine, text: str, name: str = "symbol") -> Instrument:
    if not _SYMBOL.fullmatch(text):
        raise errors.illegal_chars(name, SYMBOL_RANGE)
    inst = engine.instruments.get(text)
    if inst is None:
        raise errors.bad_symbol()
    return inst


def symbols(engine: Engine, params: Params) -> list[Instrument] | None:
    """`symbols=["BTCUSDT","ETHUSDT"]`: None when absent; -1102 for an empty list, -1151 for a repeat."""
    names = params.json_list("symbols")
    if names is None:
        return None
    if not names:
        raise errors.mandatory_param("symbols")
    if len(set(names)) != len(names):
        raise duplicate_symbols()
    return [instrument(engine, name, "symbols") for name in names]


def symbol_or_symbols(engine: Engine, params: Params) -> tuple[Instrument | None, list[Instrument] | None]:
    """Exactly one of `symbol` / `symbols`, or neither (all symbols); both at once is -1128."""
    if params.optional("symbol") is not None and params.optional("symbols") is not None:
        raise errors.bad_combo()
    return optional_symbol(engine, params), symbols(engine, params)


def count_symbols(params: Params) -> int | None:
    """How many symbols `symbols` names, for weights (None: absent or unreadable)."""
    try:
        names = params.json_list("symbols")
    except BinanceError:
        return None
    return None if names is None else len(names)


@dataclass(frozen=True)
class Limit:
    """One endpoint's `limit` rule: the default when it is absent, the maximum, and what a larger value gets.

    Spot truncates a value above the maximum to the maximum (GET /api/v3/aggTrades?limit=5000 answers 1000
    rows; the docs say so for depth); USD-M refuses it with -1130, so the rule is per endpoint. Below 1 is
    -1130 and anything but digits -1100 on both."""

    default: int
    maximum: int
    truncates: bool = True

    def read(self, params: Params) -> int:
        value = params.integer("limit", min=1, max=None if self.truncates else self.maximum)
        return self.default if value is None else min(value, self.maximum)


def time_window(params: Params, max_hours: int | None = None) -> tuple[int | None, int | None]:
    """(startTime, endTime): -1127 when both are sent and further apart than max_hours, -1128 when reversed."""
    start = params.integer("startTime")
    end = params.integer("endTime")
    if start is not None and end is not None:
        if end < start:
            raise errors.bad_combo()
        if max_hours is not None and end - start > max_hours * HOUR_MS:
            raise errors.more_than_hours(max_hours)
    return start, end


def decimal_digits(value: Decimal) -> int:
    """Decimal places as written: "0.10" has 2."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def duplicate_symbols() -> BinanceError:
    return BinanceError(400, -1151, "Symbol is present multiple times in the list.")
