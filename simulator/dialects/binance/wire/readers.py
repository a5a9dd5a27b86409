"""Parameter readers every Binance market shares (spot /api/v3 and USD-M /fapi): the per-endpoint `limit` rule,
a startTime/endTime window, the shape of a symbol name, and decimal places as written.

Each market looks symbols up in its own instruments (spot.params, usdm.params); what a symbol name may look
like, and how a limit or a window is read, is the same on both.
"""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.params import Params

SYMBOL_RANGE = "^[A-Z0-9-_.]{1,20}$"
_SYMBOL = re.compile(r"[A-Z0-9_.-]{1,20}")
HOUR_MS = 3_600_000


def symbol_name(text: str, name: str = "symbol") -> str:
    """A symbol name as sent: -1100 unless it has a symbol's shape (whether it is listed is the market's)."""
    if not _SYMBOL.fullmatch(text):
        raise errors.illegal_chars(name, SYMBOL_RANGE)
    return text


@dataclass(frozen=True)
class Limit:
    """One endpoint's `limit` rule: the default when it is absent, the maximum, and what a larger value gets.

    Spot truncates a value above the maximum to the maximum (GET /api/v3/aggTrades?limit=5000 answers 1000
    rows; the docs say so for depth); USD-M refuses it with -1130, so the rule is per endpoint. Below 1 is
    -1130 and anything but digits -1100 on both. `allowed`, when given, is the only values accepted (USD-M
    depth: 5, 10, 20, 50, 100, 500, 1000); another value is -1130."""

    default: int
    maximum: int
    truncates: bool = True
    allowed: Collection[int] = ()

    def read(self, params: Params) -> int:
        value = params.integer("limit", min=1, max=None if self.truncates else self.maximum)
        if value is None:
            return self.default
        if self.allowed and value not in self.allowed:
            raise errors.invalid_parameter("limit")
        return min(value, self.maximum)


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
