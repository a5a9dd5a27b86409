"""Klines (spot GET /api/v3/klines and /uiKlines, USD-M /fapi/v1/klines and continuousKlines): every Binance
interval, built from an engine's market data.

The engine keeps 1-minute klines (two days) and the last 1000 trades. `1s` candles come from those trades; every
other interval aggregates the minutes into its buckets: fixed widths from the epoch, weeks from Monday 00:00,
months by the calendar, all shifted by `timeZone` when one is sent. Like Binance, an interval without trades is
still a candle: flat at the previous close with zero volume (from the first traded bucket on).
"""
from __future__ import annotations

import bisect
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Protocol

from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.engine.market_data import MarketData

SECOND, MINUTE, HOUR, DAY = 1000, 60_000, 3_600_000, 86_400_000
WIDTHS = {
    "1s": SECOND, "1m": MINUTE, "3m": 3 * MINUTE, "5m": 5 * MINUTE, "15m": 15 * MINUTE, "30m": 30 * MINUTE,
    "1h": HOUR, "2h": 2 * HOUR, "4h": 4 * HOUR, "6h": 6 * HOUR, "8h": 8 * HOUR, "12h": 12 * HOUR,
    "1d": DAY, "3d": 3 * DAY, "1w": 7 * DAY, "1M": 0,
}
WEEK_ORIGIN = 4 * DAY  # 1970-01-05, the first Monday after the epoch
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MAX_TIME = 253_000_000_000_000  # ms, well inside year 9999: times beyond are clamped before any calendar math
_TIME_ZONE = re.compile(r"([+-]?)(\d{1,2})(?::(\d{2}))?")

# one bucket: [open, high, low, close, volume, quote volume, count, taker buy volume, taker buy quote]
Bucket = list[int]


class Formats(Protocol):
    """How a market prints its amounts (an engine Instrument for spot; USD-M prints at the symbol's precision)."""

    def format_price(self, atoms: int) -> str: ...

    def format_qty(self, atoms: int) -> str: ...

    def format_quote(self, atoms: int) -> str: ...


def bad_interval() -> BinanceError:
    return BinanceError(400, -1120, "Invalid interval.")


def parse_interval(text: str | None) -> str:
    if text is None:
        raise errors.mandatory_param("interval")
    if text not in WIDTHS:
        raise bad_interval()
    return text


def parse_time_zone(text: str | None) -> int:
    """`timeZone` ("0", "8", "-1:00", "05:45") as a millisecond offset; -1130 outside [-12:00, +14:00]."""
    if text is None:
        return 0
    match = _TIME_ZONE.fullmatch(text)
    if not match:
        raise errors.invalid_parameter("timeZone")
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    offset = hours * HOUR + minutes * MINUTE
    if minutes >= 60 or offset > (12 * HOUR if sign == "-" else 14 * HOUR):
        raise errors.invalid_parameter("timeZone")
    return -offset if sign == "-" else offset


class Grid:
    """Bucket arithmetic of one interval in one time zone."""

    def __init__(self, interval: str, offset_ms: int):
        self.interval = interval
        self.width = WIDTHS[interval]
        self.offset = offset_ms

    def start(self, t: int) -> int:
        """Open time of the bucket holding t."""
        local = t + self.offset
        if self.interval == "1M":
            day = _EPOCH + timedelta(milliseconds=local)
            return _ms(day.replace(day=1, hour=0, minute=0, second=0, microsecond=0)) - self.offset
        origin = WEEK_ORIGIN if self.interval == "1w" else 0
        return local - (local - origin) % self.width - self.offset

    def next(self, start: int) -> int:
        if self.interval == "1M":
            return self.start(start + 32 * DAY)
        return start + self.width

    def prev(self, start: int) -> int:
        if self.interval == "1M":
            return self.start(start - DAY)
        return start - self.width


def _ms(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _clamp(t: int) -> int:
    return max(0, min(t, MAX_TIME))


def _aggregate(grid: Grid, market: MarketData) -> dict[int, Bucket]:
    """Bucket open time -> totals, in time order."""
    buckets: dict[int, Bucket] = {}
    rows: Iterable[tuple[int, ...]]
    if grid.interval == "1s":
        rows = ((t.time, t.price, t.price, t.price, t.price, t.qty, t.quote_qty, 1,
                 0 if t.buyer_is_maker else t.qty, 0 if t.buyer_is_maker else t.quote_qty) for t in market.trades)
    else:
        rows = ((k.open_time, k.open, k.high, k.low, k.close, k.volume, k.quote_volume, k.count,
                 k.taker_buy_volume, k.taker_buy_quote) for k in market.klines)
    for time, open_, high, low, close, volume, quote, count, buy_volume, buy_quote in rows:
        start = grid.start(time)
        bucket = buckets.get(start)
        if bucket is None:
            buckets[start] = [open_, high, low, close, volume, quote, count, buy_volume, buy_quote]
            continue
        bucket[1] = max(bucket[1], high)
        bucket[2] = min(bucket[2], low)
        bucket[3] = close
        for index, value in ((4, volume), (5, quote), (6, count), (7, buy_volume), (8, buy_quote)):
            bucket[index] += value
    return buckets


def klines(inst: Formats, market: MarketData, interval: str, start: int | None, end: int | None,
           limit: int, now: int, offset_ms: int = 0) -> list[list[Any]]:
    """Candles with open time in [startTime, endTime] (most recent `limit` when no startTime), oldest first."""
    grid = Grid(interval, offset_ms)
    buckets = _aggregate(grid, market)
    if not buckets:
        return []
    first = min(buckets)
    last = grid.start(_clamp(min(end, now) if end is not None else now))
    starts: list[int] = []
    if start is not None:
        at = grid.start(_clamp(start))
        if at < _clamp(start):
            at = grid.next(at)
        at = max(at, first)
        while at <= last and len(starts) < limit:
            starts.append(at)
            at = grid.next(at)
    else:
        at = last
        while at >= first and len(starts) < limit:
            starts.append(at)
            at = grid.prev(at)
        starts.reverse()
    keys = sorted(buckets)
    out = []
    for at in starts:
        bucket = buckets.get(at)
        if bucket is None:  # no trade in this interval: flat at the previous close
            close = buckets[keys[bisect.bisect_left(keys, at) - 1]][3]
            bucket = [close, close, close, close, 0, 0, 0, 0, 0]
        open_, high, low, close, volume, quote, count, buy_volume, buy_quote = bucket
        price, qty, quote_fmt = inst.format_price, inst.format_qty, inst.format_quote
        out.append([at, price(open_), price(high), price(low), price(close), qty(volume), grid.next(at) - 1,
                    quote_fmt(quote), count, qty(buy_volume), quote_fmt(buy_quote), "0"])
    return out
