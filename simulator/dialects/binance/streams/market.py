"""Spot market stream names and their payloads (reference §5.1-§5.2), spelled as Binance spells them.

`parse_stream` turns a stream name such as `btcusdt@depth@100ms` into a `StreamSpec` (by the grammar of
stream_names.py, with spot's suffixes and speeds); the `render_*` functions turn engine state or events into the
JSON-ready dicts Binance pushes. Rendering reads the engine at the moment it is called, which is why the hub
renders real-time payloads inside the engine listener, and interval payloads (diff depth, partial depth,
tickers, klines) when their interval ends.

Supported names (symbols lowercase; `<sym>` is matched case-insensitively):
  <sym>@trade  <sym>@aggTrade  <sym>@bookTicker  <sym>@avgPrice  <sym>@ticker  <sym>@miniTicker
  <sym>@depth  <sym>@depth@100ms  <sym>@depth@1000ms            diff depth, U/u on the book's update ids
  <sym>@depth5|10|20[@100ms|@1000ms]                           partial depth snapshots
  <sym>@kline_<1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d>
  !ticker@arr  !miniTicker@arr                                  symbols that traded in the last second

`timeUnit=MICROSECOND` (any case) in a /ws or /stream URL asks for every time field in microseconds:
`wire.time_unit.event_to_microseconds` rewrites a rendered event (market or user data), by event type, since one letter is a
time in one event and an id in another (`u`, `t`).
"""
from __future__ import annotations

import re

from simulator.dialects.binance.streams.stream_names import KLINE_INTERVALS_MS, REAL_TIME, StreamGrammar
from simulator.dialects.binance.wire.percent import percent
from simulator.engine.book import OrderBook
from simulator.engine.engine import Engine
from simulator.engine.events import DepthUpdate, Trade
from simulator.engine.instrument import Instrument
from simulator.engine.market_data import AggTrade, Kline, MarketData

# kinds (stream_names: diff depth, partial depth and klines, spelled alike on both venues)
TRADE = "trade"
AGG_TRADE = "aggTrade"
BOOK_TICKER = "bookTicker"
AVG_PRICE = "avgPrice"
TICKER = "ticker"
MINI_TICKER = "miniTicker"
ALL_TICKERS = "!ticker@arr"
ALL_MINI_TICKERS = "!miniTicker@arr"

DEFAULT_SPEED_MS = 1000
FAST_SPEED_MS = 100
KLINE_SPEED_MS = 2000

SPOT_NAMES = StreamGrammar(
    whole_market={ALL_TICKERS: (ALL_TICKERS, DEFAULT_SPEED_MS), ALL_MINI_TICKERS: (ALL_MINI_TICKERS, DEFAULT_SPEED_MS)},
    per_symbol={"trade": (TRADE, REAL_TIME), "aggTrade": (AGG_TRADE, REAL_TIME), "bookTicker": (BOOK_TICKER, REAL_TIME),
                "avgPrice": (AVG_PRICE, DEFAULT_SPEED_MS), "ticker": (TICKER, DEFAULT_SPEED_MS),
                "miniTicker": (MINI_TICKER, DEFAULT_SPEED_MS)},
    depth=re.compile(r"depth(?P<levels>5|10|20)?(?:@(?P<speed>100|1000)ms)?"),
    depth_default_ms=DEFAULT_SPEED_MS,
    kline_ms=KLINE_SPEED_MS,
)
parse_stream = SPOT_NAMES.parse


# --- real-time payloads -----------------------------------------------------------------------------------
def render_trade(inst: Instrument, trade: Trade, event_time: int) -> dict:
    return {"e": "trade", "E": event_time, "s": inst.symbol, "t": trade.trade_id,
            "p": inst.format_price(trade.price), "q": inst.format_qty(trade.qty), "T": trade.time,
            "m": trade.buyer_is_maker, "M": True}


def render_agg_trade(inst: Instrument, agg: AggTrade, event_time: int) -> dict:
    """One aggregate trade (market_data.AggTrade), the same aggregate REST /aggTrades serves."""
    return {"e": "aggTrade", "E": event_time, "s": inst.symbol, "a": agg.agg_id,
            "p": inst.format_price(agg.price), "q": inst.format_qty(agg.qty), "f": agg.first_id,
            "l": agg.last_id, "T": agg.time, "m": agg.buyer_is_maker, "M": True}


def best_levels(engine: Engine, symbol: str) -> tuple[int, int, int, int]:
    """(bid price, bid qty, ask price, ask qty) in atoms; zeros for an empty side."""
    bid, ask = engine.best_bid_ask(symbol)
    return (*(bid or (0, 0)), *(ask or (0, 0)))


def render_book_ticker(inst: Instrument, update_id: int, best: tuple[int, int, int, int]) -> dict:
    """Spot bookTicker has no `e` and no `E`; `u` is the book's update id (the depth sequence)."""
    bid, bid_qty, ask, ask_qty = best
    return {"u": update_id, "s": inst.symbol, "b": inst.format_price(bid), "B": inst.format_qty(bid_qty),
            "a": inst.format_price(ask), "A": inst.format_qty(ask_qty)}


# --- interval payloads ------------------------------------------------------------------------------------
class DepthBatch:
    """DepthUpdates of one symbol merged over an interval: the first and last update id, and the latest
    absolute quantity of every level that changed (0 = level gone)."""

    __slots__ = ("first_id", "last_id", "bids", "asks")

    def __init__(self, first_id: int):
        self.first_id = first_id
        self.last_id = first_id
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}

    def add(self, update: DepthUpdate) -> None:
        self.last_id = update.update_id
        for price, qty in update.bids:
            self.bids[price] = qty
        for price, qty in update.asks:
            self.asks[price] = qty


def render_depth_diff(inst: Instrument, batch: DepthBatch, event_time: int) -> dict:
    price, qty = inst.format_price, inst.format_qty
    return {"e": "depthUpdate", "E": event_time, "s": inst.symbol, "U": batch.first_id, "u": batch.last_id,
            "b": [[price(p), qty(q)] for p, q in sorted(batch.bids.items(), reverse=True)],
            "a": [[price(p), qty(q)] for p, q in sorted(batch.asks.items())]}


def render_partial_depth(inst: Instrument, book: OrderBook, levels: int) -> dict:
    price, qty = inst.format_price, inst.format_qty
    return {"lastUpdateId": book.update_id,
            "bids": [[price(p), qty(q)] for p, q in book.bids.depth(levels)],
            "asks": [[price(p), qty(q)] for p, q in book.asks.depth(levels)]}


def render_avg_price(inst: Instrument, market: MarketData, now: int) -> dict | None:
    average = market.average_price(now, inst.avg_price_mins)
    if average is None:
        return None
    last = market.last_trade
    return {"e": "avgPrice", "E": now, "s": inst.symbol, "i": f"{inst.avg_price_mins}m",
            "w": inst.format_price(average), "T": last.time if last else now}


def render_mini_ticker(inst: Instrument, market: MarketData, now: int) -> dict:
    stats = market.stats_24h(now)
    price, qty = inst.format_price, inst.format_qty
    return {"e": "24hrMiniTicker", "E": now, "s": inst.symbol, "c": price(stats.last), "o": price(stats.open),
            "h": price(stats.high), "l": price(stats.low), "v": qty(stats.volume),
            "q": inst.format_quote(stats.quote_volume)}


def render_ticker(inst: Instrument, market: MarketData, engine: Engine, now: int) -> dict:
    stats = market.stats_24h(now)
    price, qty = inst.format_price, inst.format_qty
    weighted = stats.quote_volume * inst.base_unit // stats.volume if stats.volume else 0
    bid, bid_qty, ask, ask_qty = best_levels(engine, inst.symbol)
    return {"e": "24hrTicker", "E": now, "s": inst.symbol, "p": price(stats.last - stats.open),
            "P": percent(stats.last - stats.open, stats.open), "w": price(weighted),
            "x": price(stats.prev_close), "c": price(stats.last), "Q": qty(stats.last_qty),
            "b": price(bid), "B": qty(bid_qty), "a": price(ask), "A": qty(ask_qty),
            "o": price(stats.open), "h": price(stats.high), "l": price(stats.low), "v": qty(stats.volume),
            "q": inst.format_quote(stats.quote_volume), "O": stats.open_time, "C": stats.close_time,
            "F": stats.first_id, "L": stats.last_id, "n": stats.count}


def kline_bucket(market: MarketData, start: int, interval_ms: int) -> list[Kline]:
    """The 1-minute klines that fall in [start, start + interval)."""
    end = start + interval_ms
    picked = []
    for kline in reversed(market.klines):
        if kline.open_time < start:
            break
        if kline.open_time < end:
            picked.append(kline)
    picked.reverse()
    return picked


def render_kline(inst: Instrument, market: MarketData, interval: str, start: int, closed: bool,
                 now: int) -> dict | None:
    """The kline of `interval` opening at `start`, built from the engine's 1-minute klines; a quiet interval
    repeats the previous close with zero volume. None before the symbol's first trade."""
    interval_ms = KLINE_INTERVALS_MS[interval]
    klines = kline_bucket(market, start, interval_ms)
    price, qty = inst.format_price, inst.format_qty
    if klines:
        first, last = klines[0], klines[-1]
        body = {"f": first.first_id, "L": last.last_id, "o": price(first.open), "c": price(last.close),
                "h": price(max(k.high for k in klines)), "l": price(min(k.low for k in klines)),
                "v": qty(sum(k.volume for k in klines)), "n": sum(k.count for k in klines),
                "q": inst.format_quote(sum(k.quote_volume for k in klines)),
                "V": qty(sum(k.taker_buy_volume for k in klines)),
                "Q": inst.format_quote(sum(k.taker_buy_quote for k in klines))}
    else:
        previous = [k for k in market.klines if k.open_time < start]
        if not previous:
            return None
        close = price(previous[-1].close)
        zero_qty, zero_quote = qty(0), inst.format_quote(0)
        body = {"f": -1, "L": -1, "o": close, "c": close, "h": close, "l": close, "v": zero_qty, "n": 0,
                "q": zero_quote, "V": zero_qty, "Q": zero_quote}
    kline = {"t": start, "T": start + interval_ms - 1, "s": inst.symbol, "i": interval, "f": body["f"],
             "L": body["L"], "o": body["o"], "c": body["c"], "h": body["h"], "l": body["l"], "v": body["v"],
             "n": body["n"], "x": closed, "q": body["q"], "V": body["V"], "Q": body["Q"], "B": "0"}
    return {"e": "kline", "E": now, "s": inst.symbol, "k": kline}
