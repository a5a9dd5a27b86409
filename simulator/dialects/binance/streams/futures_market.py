"""USD-M futures market stream names and their payloads (reference §8.1, §8.2), spelled as Binance spells them.

Supported names (symbols lowercase; matched case-insensitively):
  <sym>@depth  <sym>@depth@100ms  <sym>@depth@250ms  <sym>@depth@500ms     diff depth with U/u/pu (250 ms default)
  <sym>@depth5|10|20[@100ms|@250ms|@500ms]                               partial depth (the same event shape)
  <sym>@aggTrade  <sym>@bookTicker  !bookTicker                           as they happen
  <sym>@markPrice  <sym>@markPrice@1s  !markPrice@arr  !markPrice@arr@1s  every 3 s, or every second
  <sym>@kline_<interval>  <sym>@ticker  <sym>@miniTicker  !ticker@arr  !miniTicker@arr
  <sym>@forceOrder  !forceOrder@arr                                       liquidation orders

Diff depth on futures carries `pu`, the `u` of the stream's previous event: the futures book's update ids are
contiguous (one per operation that changed it), so a batch's `pu` is its first update id minus one, and a message
a fault kept from a stream (depth_gap) shows as a `pu` that is not the last `u` the client saw.
"""
from __future__ import annotations

import re

from simulator.dialects.binance.streams.market import DepthBatch
from simulator.dialects.binance.streams.stream_names import REAL_TIME, StreamGrammar
from simulator.dialects.binance.wire.futures_amounts import Formats, computed, money
from simulator.dialects.binance.wire.percent import percent
from simulator.engine.market_data import AggTrade, MarketData

# kinds (stream_names: diff depth, partial depth and klines, spelled alike on both venues)
AGG_TRADE = "aggTrade"
BOOK_TICKER = "bookTicker"
MARK_PRICE = "markPrice"
TICKER = "ticker"
MINI_TICKER = "miniTicker"
FORCE_ORDER = "forceOrder"
ALL_BOOK_TICKERS = "!bookTicker"
ALL_MARK_PRICES = "!markPrice@arr"
ALL_FORCE_ORDERS = "!forceOrder@arr"
ALL_TICKERS = "!ticker@arr"
ALL_MINI_TICKERS = "!miniTicker@arr"

DEPTH_SPEEDS_MS = (100, 250, 500)
DEFAULT_DEPTH_MS = 250
MARK_SPEEDS_MS = (1000, 3000)
TICKER_SPEED_MS = 500  # ticker, miniTicker and their arrays
KLINE_SPEED_MS = 250
INTERVAL_SPEEDS_MS = tuple(sorted({*DEPTH_SPEEDS_MS, *MARK_SPEEDS_MS, TICKER_SPEED_MS, KLINE_SPEED_MS}))

FUTURES_NAMES = StreamGrammar(
    whole_market={ALL_BOOK_TICKERS: (ALL_BOOK_TICKERS, REAL_TIME), ALL_MARK_PRICES: (ALL_MARK_PRICES, 3000),
                  ALL_MARK_PRICES + "@1s": (ALL_MARK_PRICES, 1000), ALL_FORCE_ORDERS: (ALL_FORCE_ORDERS, REAL_TIME),
                  ALL_TICKERS: (ALL_TICKERS, TICKER_SPEED_MS), ALL_MINI_TICKERS: (ALL_MINI_TICKERS, TICKER_SPEED_MS)},
    per_symbol={"aggTrade": (AGG_TRADE, REAL_TIME), "bookTicker": (BOOK_TICKER, REAL_TIME),
                "markPrice": (MARK_PRICE, 3000), "markPrice@1s": (MARK_PRICE, 1000),
                "ticker": (TICKER, TICKER_SPEED_MS), "miniTicker": (MINI_TICKER, TICKER_SPEED_MS),
                "forceOrder": (FORCE_ORDER, REAL_TIME)},
    depth=re.compile(r"depth(?P<levels>5|10|20)?(?:@(?P<speed>100|250|500)ms)?"),
    depth_default_ms=DEFAULT_DEPTH_MS,
    kline_ms=KLINE_SPEED_MS,
)
parse_stream = FUTURES_NAMES.parse


# --- payloads ------------------------------------------------------------------------------------------------
def render_depth(fmt: Formats, first_id: int, last_id: int, previous_id: int, bids, asks, now: int) -> dict:
    price, qty = fmt.format_price, fmt.format_qty
    return {"e": "depthUpdate", "E": now, "T": now, "s": fmt.symbol, "U": first_id, "u": last_id, "pu": previous_id,
            "b": [[price(p), qty(q)] for p, q in bids], "a": [[price(p), qty(q)] for p, q in asks]}


def render_depth_diff(fmt: Formats, batch: DepthBatch, now: int) -> dict:
    return render_depth(fmt, batch.first_id, batch.last_id, batch.first_id - 1,
                        sorted(batch.bids.items(), reverse=True), sorted(batch.asks.items()), now)


def render_agg_trade(fmt: Formats, agg: AggTrade, event_time: int) -> dict:
    """`q` includes RPI orders and `nq` excludes them; there are none here, so both are the quantity."""
    qty = fmt.format_qty(agg.qty)
    return {"e": "aggTrade", "E": event_time, "s": fmt.symbol, "a": agg.agg_id, "p": fmt.format_price(agg.price),
            "q": qty, "nq": qty, "f": agg.first_id, "l": agg.last_id, "T": agg.time, "m": agg.buyer_is_maker}


def render_book_ticker(fmt: Formats, update_id: int, best: tuple[int, int, int, int], now: int) -> dict:
    """Unlike spot's, the futures bookTicker carries `e`, `E` and `T`."""
    bid, bid_qty, ask, ask_qty = best
    return {"e": "bookTicker", "u": update_id, "E": now, "T": now, "s": fmt.symbol, "b": fmt.format_price(bid),
            "B": fmt.format_qty(bid_qty), "a": fmt.format_price(ask), "A": fmt.format_qty(ask_qty)}


def render_mark_price(fmt: Formats, view, now: int) -> dict:
    precision = fmt.inst.quote_precision
    mark = money(precision, view.mark or 0)  # zeros before the perpetual has an index price
    return {"e": "markPriceUpdate", "E": now, "s": view.symbol, "p": mark, "ap": mark,
            "i": money(precision, view.index or 0), "P": money(precision, view.estimated_settle or 0),
            "r": computed(view.last_funding_rate), "T": view.next_funding_time}


def render_force_order(fmt: Formats, event) -> dict:
    """A liquidation order as it ended (`p` its bankruptcy price, `ap` its average fill price)."""
    order = event.order
    return {"e": "forceOrder", "E": event.time, "o": {
        "s": event.symbol, "S": event.side, "o": "LIMIT", "f": "IOC", "q": fmt.format_qty(event.qty),
        "p": fmt.format_price(event.price), "ap": event.avg_price, "X": event.status,
        "l": fmt.format_qty(event.executed), "z": fmt.format_qty(event.executed), "T": order.update_time}}


def render_ticker(fmt: Formats, market: MarketData, now: int) -> dict:
    """24hrTicker without spot's bid/ask fields and previous close."""
    stats = market.stats_24h(now)
    price, qty = fmt.format_price, fmt.format_qty
    weighted = stats.quote_volume * fmt.inst.base_unit // stats.volume if stats.volume else 0
    return {"e": "24hrTicker", "E": now, "s": fmt.symbol, "p": price(stats.last - stats.open),
            "P": percent(stats.last - stats.open, stats.open), "w": price(weighted), "c": price(stats.last),
            "Q": qty(stats.last_qty), "o": price(stats.open), "h": price(stats.high), "l": price(stats.low),
            "v": qty(stats.volume), "q": fmt.format_quote(stats.quote_volume), "O": stats.open_time,
            "C": stats.close_time, "F": stats.first_id, "L": stats.last_id, "n": stats.count}


def render_mini_ticker(fmt: Formats, market: MarketData, now: int) -> dict:
    stats = market.stats_24h(now)
    price = fmt.format_price
    return {"e": "24hrMiniTicker", "E": now, "s": fmt.symbol, "c": price(stats.last), "o": price(stats.open),
            "h": price(stats.high), "l": price(stats.low), "v": fmt.format_qty(stats.volume),
            "q": fmt.format_quote(stats.quote_volume)}

