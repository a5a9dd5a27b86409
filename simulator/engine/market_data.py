"""Public market data the engine keeps per symbol: recent trades, aggregate trades, 1 m klines and rolling 24 h
statistics.

Aggregate trades follow Binance's rule ("trades that fill at the time, from the same taker order, with the same
price will have the quantity aggregated"): record() extends the last aggregate when a trade has the same taker
order, the same price and the same time as it and directly follows its last trade; otherwise it opens a new one
with the symbol's next aggregate id (1, 2, ...: ids of their own, not trade ids). A taker only takes during the
operation that placed or triggered it, so an aggregate never spans operations and is complete when its operation
ends. Built from recorded trades only, so it is as deterministic as the trades themselves.

Klines are built on the injected clock from trades as they happen. The 24 h and rolling-window statistics
(`stats_between`) are derived from the klines of the window, newest first, so they cost O(minutes of the window)
per query and nothing per trade beyond the kline update.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from simulator.engine.events import Trade

MINUTE_MS = 60_000
DAY_MS = 24 * 60 * MINUTE_MS


class AggTrade:
    """Consecutive trades of one taker order at one price: Binance's aggregate trade (`a`, `f`, `l`, `q`, ...)."""

    __slots__ = ("agg_id", "price", "qty", "first_id", "last_id", "time", "buyer_is_maker", "taker_order_id")

    def __init__(self, agg_id: int, trade: Trade, taker_order_id: int):
        self.agg_id = agg_id
        self.price = trade.price
        self.qty = trade.qty
        self.first_id = self.last_id = trade.trade_id
        self.time = trade.time
        self.buyer_is_maker = trade.buyer_is_maker
        self.taker_order_id = taker_order_id

    def state(self) -> list[int]:
        return [getattr(self, name) for name in self.__slots__]

    @classmethod
    def from_state(cls, values: list) -> "AggTrade":
        agg = cls.__new__(cls)
        for name, value in zip(cls.__slots__, values):
            setattr(agg, name, value)
        return agg


class Kline:
    __slots__ = ("open_time", "open", "high", "low", "close", "volume", "quote_volume", "count",
                 "taker_buy_volume", "taker_buy_quote", "first_id", "last_id")

    def __init__(self, open_time: int, trade: Trade):
        self.open_time = open_time
        self.open = self.high = self.low = self.close = trade.price
        self.volume = 0
        self.quote_volume = 0
        self.count = 0
        self.taker_buy_volume = 0
        self.taker_buy_quote = 0
        self.first_id = trade.trade_id
        self.last_id = trade.trade_id

    def add(self, trade: Trade) -> None:
        price = trade.price
        if price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price
        self.close = price
        self.volume += trade.qty
        self.quote_volume += trade.quote_qty
        self.count += 1
        self.last_id = trade.trade_id
        if not trade.buyer_is_maker:
            self.taker_buy_volume += trade.qty
            self.taker_buy_quote += trade.quote_qty

    def state(self) -> list[int]:
        return [getattr(self, name) for name in self.__slots__]

    @classmethod
    def from_state(cls, values: list[int]) -> "Kline":
        kline = cls.__new__(cls)
        for name, value in zip(cls.__slots__, values):
            setattr(kline, name, value)
        return kline


@dataclass(slots=True)
class Stats24h:
    open_time: int
    close_time: int
    open: int
    high: int
    low: int
    last: int
    last_qty: int
    volume: int
    quote_volume: int
    first_id: int
    last_id: int
    count: int
    prev_close: int


class MarketData:
    __slots__ = ("symbol", "base_unit", "trades", "klines", "last_trade", "_average", "agg_trades", "next_agg_id")

    def __init__(self, symbol: str, base_unit: int, trades_kept: int, kline_minutes: int):
        """Keeps the latest `trades_kept` trades and aggregate trades and `kline_minutes` klines (retention.py):
        one Kline per minute that traded, so eight days are about 11.5 k small objects per symbol at most."""
        self.symbol = symbol
        self.base_unit = base_unit
        self.trades: deque[Trade] = deque(maxlen=trades_kept)
        self.klines: deque[Kline] = deque(maxlen=kline_minutes)
        self.last_trade: Trade | None = None
        self._average: tuple = (None, None)  # ((minute, minutes), value) of the last average_price answer
        self.agg_trades: deque[AggTrade] = deque(maxlen=trades_kept)
        self.next_agg_id = 1  # per symbol, like the engine's trade ids

    def record(self, trade: Trade) -> None:
        self.trades.append(trade)
        self._aggregate(trade)
        self.last_trade = trade
        self._average = (None, None)
        minute = trade.time - trade.time % MINUTE_MS
        klines = self.klines
        if not klines or klines[-1].open_time != minute:
            klines.append(Kline(minute, trade))
        klines[-1].add(trade)

    def _aggregate(self, trade: Trade) -> None:
        taker = trade.seller if trade.buyer_is_maker else trade.buyer
        taker_id = taker.order_id
        aggs = self.agg_trades
        if aggs:
            last = aggs[-1]
            if (last.taker_order_id == taker_id and last.price == trade.price and last.time == trade.time
                    and last.last_id + 1 == trade.trade_id):
                last.qty += trade.qty
                last.last_id = trade.trade_id
                return
        aggs.append(AggTrade(self.next_agg_id, trade, taker_id))
        self.next_agg_id += 1

    def rebuild_agg_trades(self) -> None:
        """Aggregate the kept trades afresh (a snapshot written before aggregates were kept)."""
        self.agg_trades.clear()
        self.next_agg_id = 1
        for trade in self.trades:
            self._aggregate(trade)

    def agg_trades_between(self, from_id: int | None, start: int | None, end: int | None,
                           limit: int) -> list[AggTrade]:
        """GET /aggTrades: from an aggregate id (inclusive), or in a time window (inclusive), or the latest."""
        aggs = self.agg_trades
        if from_id is not None:
            return [agg for agg in aggs if agg.agg_id >= from_id][:limit]
        if start is not None or end is not None:
            picked = [agg for agg in aggs
                      if (start is None or agg.time >= start) and (end is None or agg.time <= end)]
            return picked[:limit] if start is not None else picked[-limit:]
        return list(aggs)[-limit:]

    @property
    def last_price(self) -> int | None:
        return self.last_trade.price if self.last_trade else None

    def average_price(self, now: int, minutes: int) -> int | None:
        """Volume-weighted price over the last `minutes` (Binance's avgPrice); last price if none traded.

        Every priced order asks for this (PERCENT_PRICE_BY_SIDE). The answer depends only on the trades recorded
        (record() forgets it) and on the minute `now` falls in (klines are whole minutes), so it is kept per
        (minute, minutes) until the next trade.
        """
        key = (now // MINUTE_MS, minutes)
        cached_key, cached = self._average
        if cached_key == key:
            return cached
        value = self._average_price(now, minutes)
        self._average = (key, value)
        return value

    def _average_price(self, now: int, minutes: int) -> int | None:
        since = now - minutes * MINUTE_MS
        volume = quote = 0
        for kline in reversed(self.klines):
            if kline.open_time + MINUTE_MS <= since:
                break
            volume += kline.volume
            quote += kline.quote_volume
        if volume:
            return quote * self.base_unit // volume
        return self.last_price

    def stats_24h(self, now: int) -> Stats24h:
        """Rolling statistics over the minutes of the last 24 h (a quiet symbol reports zeros)."""
        return self.stats_between(now - DAY_MS, now)

    def stats_between(self, since: int, now: int, open_time: int | None = None) -> Stats24h:
        """Statistics over the klines whose minute ends after `since` and starts at or before `now`, newest
        first so that a short window costs only its own minutes; openTime is `since` unless given."""
        window: list[Kline] = []
        prev_close = 0
        for kline in reversed(self.klines):
            if kline.open_time + MINUTE_MS <= since:
                prev_close = kline.close
                break
            if kline.open_time <= now:
                window.append(kline)
        start = since if open_time is None else open_time
        if not window:
            last = self.last_trade
            price = last.price if last else 0
            return Stats24h(start, now, price, price, price, price, 0, 0, 0, -1, -1, 0, price)
        window.reverse()
        first = window[0]
        return Stats24h(
            open_time=start, close_time=now, open=first.open,
            high=max(k.high for k in window), low=min(k.low for k in window), last=window[-1].close,
            last_qty=self.last_trade.qty if self.last_trade else 0,
            volume=sum(k.volume for k in window), quote_volume=sum(k.quote_volume for k in window),
            first_id=first.first_id, last_id=window[-1].last_id, count=sum(k.count for k in window),
            prev_close=prev_close,
        )
