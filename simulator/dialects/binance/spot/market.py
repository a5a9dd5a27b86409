"""Spot public endpoints (security NONE): connectivity, exchangeInfo, order book, trades, klines and tickers.

Plus the start-up stubs ccxt needs (reference §10.1): three /sapi paths answer `[]`, and /dapi/v1/exchangeInfo
an empty venue, or ccxt's default load_markets() fails (/fapi/v1/exchangeInfo is USD-M's own: usdm.market).
"""
from __future__ import annotations

import json
from typing import Any

from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.spot import params as spot_params, payloads as spot_payloads
from simulator.dialects.binance.wire import klines as spot_klines  # every market's klines
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.dialects.binance.wire.rest import NONE, Call, Endpoint
from simulator.dialects.binance.wire.params import Params
from simulator.engine.instrument import DELISTED, Instrument

DEPTH_LIMIT = spot_params.Limit(default=100, maximum=5000)
TRADES_LIMIT = spot_params.Limit(default=500, maximum=1000)  # trades, historicalTrades, aggTrades
KLINES_LIMIT = spot_params.Limit(default=500, maximum=1000)  # klines, uiKlines
AGG_TRADES_MAX_HOURS = 1
PERMISSIONS = ("SPOT", "MARGIN", "LEVERAGED", "TRD_GRP_002", "TRD_GRP_003")
SYMBOL_PERMISSIONS = frozenset(("SPOT",))
DEFAULT_PERMISSIONS = ("SPOT", "MARGIN", "LEVERAGED")
FILTERABLE_STATUSES = ("TRADING", "HALT", "BREAK")
WINDOW_TICKER_MAX_SYMBOLS = 100
MINUTE_MS, DAY_MS = 60_000, 86_400_000
_WINDOW_UNITS = {"m": (MINUTE_MS, 59), "h": (60 * MINUTE_MS, 23), "d": (DAY_MS, 7)}


# --- errors only these endpoints use ------------------------------------------------------------------------
def invalid_symbol_status() -> BinanceError:
    return BinanceError(400, -1122, "Invalid symbolStatus.")


def symbol_status_mismatch() -> BinanceError:
    return BinanceError(400, -1220, "The symbol's status does not match the requested symbolStatus.")


def invalid_ticker_type() -> BinanceError:
    return BinanceError(400, -1139, "Invalid ticker type.")


def invalid_window_size() -> BinanceError:
    # Binance documents the accepted values (1m..59m, 1h..23h, 1d..7d), not this answer's exact text
    return errors.illegal_chars("windowSize", "1m..59m, 1h..23h, 1d..7d")


def too_many_symbols(count: int) -> BinanceError:
    return BinanceError(400, -1101, f"Too many parameters; expected '{WINDOW_TICKER_MAX_SYMBOLS}' and received "
                                    f"'{count}'.")


# --- connectivity ------------------------------------------------------------------------------------------
def ping(call: Call) -> dict:
    return {}


def server_time(call: Call) -> dict:
    return {"serverTime": call.sim.clock.server_time_ms()}


# --- exchangeInfo ------------------------------------------------------------------------------------------
def exchange_info(call: Call) -> dict[str, Any]:
    sim, params = call.sim, call.params
    permissions = _permissions(params)
    status = params.optional("symbolStatus")
    if status is not None and status not in FILTERABLE_STATUSES:
        raise invalid_symbol_status()
    show_sets = params.boolean("showPermissionSets")
    one, many = spot_params.symbol_or_symbols(sim.engine, params)
    if (one is not None or many is not None) and (permissions is not None or status is not None):
        raise errors.bad_combo()  # permissions and symbolStatus cannot be combined with symbol(s)
    if one is not None or many is not None:
        chosen = [one] if one is not None else many
    else:
        wanted = set(permissions or DEFAULT_PERMISSIONS)
        chosen = [inst for inst in sim.engine.instruments.values() if inst.status != DELISTED] \
            if wanted & SYMBOL_PERMISSIONS else []
    if status is not None:
        chosen = [inst for inst in chosen if inst.status == status]
    return {
        "timezone": "UTC",
        "serverTime": sim.clock.server_time_ms(),
        "rateLimits": sim.wire.limiter.rate_limits_payload(),
        "exchangeFilters": [],
        "symbols": [spot_payloads.symbol_info(inst, show_sets is not False) for inst in chosen],
    }


def _permissions(params: Params) -> list[str] | None:
    """`permissions=SPOT` or `permissions=["MARGIN","LEVERAGED"]`."""
    text = params.optional("permissions")
    if text is None:
        return None
    names: Any = [text]
    if text.startswith("["):
        try:
            names = json.loads(text)
        except ValueError:
            raise errors.invalid_parameter("permissions") from None
    if not isinstance(names, list) or not names or not all(name in PERMISSIONS for name in names):
        raise errors.invalid_parameter("permissions")
    return names


# --- order book and trades ---------------------------------------------------------------------------------
def depth_weight(params: Params) -> int:
    limit = params.integer("limit") or DEPTH_LIMIT.default
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


def depth(call: Call) -> dict[str, Any]:
    inst = spot_params.symbol(call.sim.engine, call.params)
    limit = DEPTH_LIMIT.read(call.params)
    _check_status(inst, call.params)
    update_id, bids, asks = call.sim.engine.depth(inst.symbol, limit)
    return {
        "lastUpdateId": update_id,
        "bids": [[inst.format_price(price), inst.format_qty(qty)] for price, qty in bids],
        "asks": [[inst.format_price(price), inst.format_qty(qty)] for price, qty in asks],
    }


def _check_status(inst: Instrument, params: Params) -> None:
    status = params.optional("symbolStatus")
    if status is None:
        return
    if status not in FILTERABLE_STATUSES:
        raise invalid_symbol_status()
    if inst.status != status:
        raise symbol_status_mismatch()


def recent_trades(call: Call) -> list[dict[str, Any]]:
    inst = spot_params.symbol(call.sim.engine, call.params)
    limit = TRADES_LIMIT.read(call.params)
    trades = list(call.sim.engine.market[inst.symbol].trades)[-limit:]
    return [spot_payloads.public_trade(trade, inst) for trade in trades]


def historical_trades(call: Call) -> list[dict[str, Any]]:
    inst = spot_params.symbol(call.sim.engine, call.params)
    limit = TRADES_LIMIT.read(call.params)
    from_id = call.params.integer("fromId")
    trades = list(call.sim.engine.market[inst.symbol].trades)
    if from_id is None:
        trades = trades[-limit:]
    else:
        trades = [trade for trade in trades if trade.trade_id >= from_id][:limit]
    return [spot_payloads.public_trade(trade, inst) for trade in trades]


def agg_trades(call: Call) -> list[dict[str, Any]]:
    """Aggregate trades as the engine's market data builds them (market_data.py): consecutive trades of one taker
    order at one price are one aggregate, with an id of its own; `fromId` is an aggregate id."""
    params = call.params
    inst = spot_params.symbol(call.sim.engine, params)
    from_id = params.integer("fromId")
    start, end = spot_params.time_window(params, AGG_TRADES_MAX_HOURS)
    limit = TRADES_LIMIT.read(params)
    if from_id is not None and (start is not None or end is not None):
        raise errors.bad_combo()
    aggs = call.sim.engine.market[inst.symbol].agg_trades_between(from_id, start, end, limit)
    return [spot_payloads.agg_trade(agg, inst) for agg in aggs]


def klines(call: Call) -> list[list[Any]]:
    params = call.params
    inst = spot_params.symbol(call.sim.engine, params)
    interval = spot_klines.parse_interval(params.optional("interval"))
    start, end = spot_params.time_window(params)
    offset = spot_klines.parse_time_zone(params.optional("timeZone"))
    limit = KLINES_LIMIT.read(params)
    return spot_klines.klines(inst, call.sim.engine.market[inst.symbol], interval, start, end, limit,
                              call.sim.clock.now_ms(), offset)


def avg_price(call: Call) -> dict[str, Any]:
    inst = spot_params.symbol(call.sim.engine, call.params)
    market = call.sim.engine.market[inst.symbol]
    now = call.sim.clock.now_ms()
    price = market.average_price(now, inst.avg_price_mins) or 0
    close_time = market.last_trade.time if market.last_trade else 0
    return {"mins": inst.avg_price_mins, "price": inst.format_price(price), "closeTime": close_time}


# --- tickers -----------------------------------------------------------------------------------------------
def _chosen(call: Call) -> tuple[list[Instrument], bool]:
    """The instruments a ticker request names, and whether the answer is a single object (`symbol=`)."""
    one, many = spot_params.symbol_or_symbols(call.sim.engine, call.params)
    if one is not None:
        return [one], True
    if many is not None:
        return many, False
    return [inst for inst in call.sim.engine.instruments.values() if inst.status != DELISTED], False


def _shape(items: list[dict[str, Any]], single: bool) -> dict[str, Any] | list[dict[str, Any]]:
    return items[0] if single else items


def small_ticker_weight(params: Params) -> int:
    return 2 if params.optional("symbol") is not None and params.optional("symbols") is None else 4


def ticker_price(call: Call):
    chosen, single = _chosen(call)
    items = []
    for inst in chosen:
        last = call.sim.engine.market[inst.symbol].last_price or 0
        items.append({"symbol": inst.symbol, "price": inst.format_price(last)})
    return _shape(items, single)


def book_ticker(call: Call):
    chosen, single = _chosen(call)
    return _shape([spot_payloads.book_ticker(inst, *call.sim.engine.best_bid_ask(inst.symbol)) for inst in chosen], single)


def ticker_24h_weight(params: Params) -> int:
    if params.optional("symbol") is not None and params.optional("symbols") is None:
        return 2
    count = spot_params.count_symbols(params)
    if count is None:
        return 80
    return 2 if count <= 20 else 40 if count <= 100 else 80


def ticker_24h(call: Call):
    kind = call.params.optional("type") or "FULL"
    if kind not in ("FULL", "MINI"):
        raise invalid_ticker_type()
    chosen, single = _chosen(call)
    now = call.sim.clock.now_ms()
    items = []
    for inst in chosen:
        stats = call.sim.engine.market[inst.symbol].stats_24h(now)
        items.append(spot_payloads.ticker_24h(inst, stats, *call.sim.engine.best_bid_ask(inst.symbol), full=kind == "FULL"))
    return _shape(items, single)


def window_ticker_weight(params: Params) -> int:
    """4 per symbol, capped at 200 once more than 50 symbols are asked for."""
    if params.optional("symbol") is not None and params.optional("symbols") is None:
        return 4
    count = spot_params.count_symbols(params) or 1
    return min(4 * count, 200)


def parse_window_size(text: str | None) -> int:
    """`windowSize` (1m..59m, 1h..23h, 1d..7d; default 1d) in milliseconds."""
    if text is None:
        return DAY_MS
    unit = _WINDOW_UNITS.get(text[-1:])
    digits = text[:-1]
    if unit is None or not digits.isascii() or not digits.isdigit() or digits.startswith("0") or len(digits) > 2:
        raise invalid_window_size()
    amount = int(digits)
    if not 1 <= amount <= unit[1]:
        raise invalid_window_size()
    return amount * unit[0]


def _window_chosen(call: Call) -> tuple[list[Instrument], bool, bool]:
    """(instruments, single, full) of a /ticker or /ticker/tradingDay request: symbol or symbols (at most 100)
    is mandatory."""
    params = call.params
    if params.optional("symbol") is None and params.optional("symbols") is None:
        raise errors.mandatory_one_of("symbol", "symbols")
    count = spot_params.count_symbols(params)
    if count is not None and count > WINDOW_TICKER_MAX_SYMBOLS:
        raise too_many_symbols(count)
    kind = params.optional("type") or "FULL"
    if kind not in ("FULL", "MINI"):
        raise invalid_ticker_type()
    chosen, single = _chosen(call)
    return chosen, single, kind == "FULL"


def window_ticker(call: Call):
    """Rolling window statistics from the 1 m klines: openTime is the start of the minute `now - windowSize`
    falls in, closeTime is now, so the window is up to a minute wider than asked (as on Binance)."""
    size = parse_window_size(call.params.optional("windowSize"))
    chosen, single, full = _window_chosen(call)
    now = call.sim.clock.now_ms()
    since = now - size
    open_time = since - since % MINUTE_MS
    items = [spot_payloads.window_ticker(inst, call.sim.engine.market[inst.symbol].stats_between(since, now, open_time),
                                         full) for inst in chosen]
    return _shape(items, single)


def trading_day_ticker(call: Call):
    """Statistics of the current trading day in `timeZone` (default UTC): openTime is the day's first
    millisecond, closeTime its last; the trades so far count."""
    offset = spot_klines.parse_time_zone(call.params.optional("timeZone"))
    chosen, single, full = _window_chosen(call)
    now = call.sim.clock.now_ms()
    day_start = (now + offset) - (now + offset) % DAY_MS - offset
    items = []
    for inst in chosen:
        stats = call.sim.engine.market[inst.symbol].stats_between(day_start, now)
        stats.close_time = day_start + DAY_MS - 1
        items.append(spot_payloads.window_ticker(inst, stats, full))
    return _shape(items, single)


# --- ccxt start-up stubs -----------------------------------------------------------------------------------
def empty_list(call: Call) -> list:
    return []


def dapi_exchange_info(call: Call) -> dict[str, Any]:
    return {"timezone": "UTC", "serverTime": call.sim.clock.server_time_ms(), "rateLimits": [],
            "exchangeFilters": [], "symbols": []}


ENDPOINTS = [
    Endpoint("GET", "/api/v3/ping", NONE, 1, ping),
    Endpoint("GET", "/api/v3/time", NONE, 1, server_time),
    Endpoint("GET", "/api/v3/exchangeInfo", NONE, 20, exchange_info),
    Endpoint("GET", "/api/v3/depth", NONE, depth_weight, depth),
    Endpoint("GET", "/api/v3/trades", NONE, 25, recent_trades),
    Endpoint("GET", "/api/v3/historicalTrades", NONE, 25, historical_trades),
    Endpoint("GET", "/api/v3/aggTrades", NONE, 4, agg_trades),
    Endpoint("GET", "/api/v3/klines", NONE, 2, klines),
    Endpoint("GET", "/api/v3/uiKlines", NONE, 2, klines),
    Endpoint("GET", "/api/v3/avgPrice", NONE, 2, avg_price),
    Endpoint("GET", "/api/v3/ticker/price", NONE, small_ticker_weight, ticker_price),
    Endpoint("GET", "/api/v3/ticker/bookTicker", NONE, small_ticker_weight, book_ticker),
    Endpoint("GET", "/api/v3/ticker/24hr", NONE, ticker_24h_weight, ticker_24h),
    Endpoint("GET", "/api/v3/ticker", NONE, window_ticker_weight, window_ticker),
    Endpoint("GET", "/api/v3/ticker/tradingDay", NONE, window_ticker_weight, trading_day_ticker),
    Endpoint("GET", "/sapi/v1/capital/config/getall", NONE, 10, empty_list),
    Endpoint("GET", "/sapi/v1/margin/allPairs", NONE, 1, empty_list),
    Endpoint("GET", "/sapi/v1/margin/isolated/allPairs", NONE, 10, empty_list),
    Endpoint("GET", "/dapi/v1/exchangeInfo", NONE, 1, dapi_exchange_info),
]
