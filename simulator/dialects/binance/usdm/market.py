"""USD-M public endpoints (security NONE, reference §7.1, §7.4): connectivity, exchangeInfo, the order book,
trades, klines (contract, continuous, mark and index price), tickers, mark price and funding, open interest.

Everything is read from the futures engine (`sim.futures`): its perpetuals, books, market data, mark views and
funding history. Futures `limit`s refuse values outside their range (usdm.params).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulator.dialects.binance.usdm import params as usdm_params, payloads
from simulator.dialects.binance.wire.futures_amounts import Formats
from simulator.dialects.binance.wire import errors, klines as wire_klines
from simulator.dialects.binance.wire.params import Params
from simulator.dialects.binance.wire.percent import percent
from simulator.dialects.binance.wire.readers import time_window
from simulator.dialects.binance.wire.rest import FUTURES, NONE, Call, Endpoint
from simulator.engine.perp.instrument import PerpInstrument

AGG_TRADES_MAX_HOURS = 1
CONTRACT_TYPES = ("PERPETUAL",)
DEFAULT_FUNDING = (Decimal("0.0075"), Decimal("-0.0075"), 8)  # cap, floor, interval hours: not in fundingInfo


# --- connectivity and exchangeInfo -------------------------------------------------------------------------
def ping(call: Call) -> dict:
    return {}


def server_time(call: Call) -> dict:
    return {"serverTime": call.sim.clock.server_time_ms()}


def exchange_info(call: Call) -> dict[str, Any]:
    sim = call.sim
    instruments = list(sim.futures.instruments.values())
    margin_assets = list(dict.fromkeys(inst.margin_asset for inst in instruments))
    return {
        "timezone": "UTC",
        "serverTime": sim.clock.server_time_ms(),
        "futuresType": "U_MARGINED",
        "rateLimits": sim.wire.futures_limiter.rate_limits_payload(),
        "exchangeFilters": [],
        "assets": [{"asset": asset, "marginAvailable": True, "autoAssetExchange": "0"} for asset in margin_assets],
        "symbols": [payloads.symbol_info(inst) for inst in instruments],
    }


# --- order book and trades ---------------------------------------------------------------------------------
def depth_weight(params: Params) -> int:
    limit = params.integer("limit") or usdm_params.DEPTH_LIMIT.default
    return 2 if limit <= 50 else 5 if limit <= 100 else 10 if limit <= 500 else 20


def depth(call: Call) -> dict[str, Any]:
    """The REST snapshot shares its update ids with the diff depth stream (`U`/`u`/`pu`)."""
    inst = usdm_params.perpetual(call.sim, call.params)
    limit = usdm_params.DEPTH_LIMIT.read(call.params)
    update_id, bids, asks = call.sim.futures.depth(inst.symbol, limit)
    fmt = Formats(inst)
    now = call.sim.clock.now_ms()
    return {
        "lastUpdateId": update_id,
        "E": now,
        "T": now,
        "bids": [[fmt.format_price(price), fmt.format_qty(qty)] for price, qty in bids],
        "asks": [[fmt.format_price(price), fmt.format_qty(qty)] for price, qty in asks],
    }


def recent_trades(call: Call) -> list[dict[str, Any]]:
    inst = usdm_params.perpetual(call.sim, call.params)
    limit = usdm_params.TRADES_LIMIT.read(call.params)
    trades = list(call.sim.futures.market[inst.symbol].trades)[-limit:]
    fmt = Formats(inst)
    return [payloads.public_trade(fmt, trade) for trade in trades]


def historical_trades(call: Call) -> list[dict[str, Any]]:
    inst = usdm_params.perpetual(call.sim, call.params)
    limit = usdm_params.TRADES_LIMIT.read(call.params)
    from_id = call.params.integer("fromId")
    trades = list(call.sim.futures.market[inst.symbol].trades)
    if from_id is None:
        trades = trades[-limit:]
    else:
        trades = [trade for trade in trades if trade.trade_id >= from_id][:limit]
    fmt = Formats(inst)
    return [payloads.public_trade(fmt, trade) for trade in trades]


def agg_trades(call: Call) -> list[dict[str, Any]]:
    params = call.params
    inst = usdm_params.perpetual(call.sim, params)
    from_id = params.integer("fromId")
    start, end = time_window(params, AGG_TRADES_MAX_HOURS)
    limit = usdm_params.TRADES_LIMIT.read(params)
    if from_id is not None and (start is not None or end is not None):
        raise errors.bad_combo()
    aggs = call.sim.futures.market[inst.symbol].agg_trades_between(from_id, start, end, limit)
    fmt = Formats(inst)
    return [payloads.agg_trade(fmt, agg) for agg in aggs]


# --- klines --------------------------------------------------------------------------------------------------
def klines_weight(params: Params) -> int:
    limit = params.integer("limit") or usdm_params.KLINES_LIMIT.default
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


def _klines(call: Call, inst: PerpInstrument) -> list[list[Any]]:
    params = call.params
    interval = wire_klines.parse_interval(params.optional("interval"))
    start, end = time_window(params)
    limit = usdm_params.KLINES_LIMIT.read(params)
    return wire_klines.klines(Formats(inst), call.sim.futures.market[inst.symbol], interval, start, end, limit,
                              call.sim.clock.now_ms())


def klines(call: Call) -> list[list[Any]]:
    return _klines(call, usdm_params.perpetual(call.sim, call.params))


def continuous_klines(call: Call) -> list[list[Any]]:
    """The perpetual's own klines: `pair` names it, `contractType` must be PERPETUAL (the only contract here)."""
    inst = usdm_params.perpetual(call.sim, call.params, "pair")
    call.params.enum("contractType", CONTRACT_TYPES, required=True)
    return _klines(call, inst)


def price_klines(kind: str):
    """markPriceKlines (`symbol`) / indexPriceKlines (`pair`): candles of the mark or the index price, from the
    one-minute samples the engine keeps (`futures.price_history`: a minute without a change has no row, so an
    interval without one is flat at the previous close); no volume, as on Binance."""

    def handler(call: Call) -> list[list[Any]]:
        params = call.params
        inst = usdm_params.perpetual(call.sim, params, "pair" if kind == "index" else "symbol")
        grid = wire_klines.Grid(wire_klines.parse_interval(params.optional("interval")), 0)
        start, end = time_window(params)
        limit = usdm_params.KLINES_LIMIT.read(params)
        buckets: dict[int, list[int]] = {}
        for open_time, open_, high, low, close in call.sim.futures.price_history(inst.symbol, kind):
            at = grid.start(open_time)
            bucket = buckets.get(at)
            if bucket is None:
                buckets[at] = [open_, high, low, close]
            else:
                bucket[1], bucket[2], bucket[3] = max(bucket[1], high), min(bucket[2], low), close
        if not buckets:
            return []
        now = call.sim.clock.now_ms()
        last = grid.start(min(end, now) if end is not None else now)
        starts, at, close = [], min(buckets), None
        while at <= last:
            if at in buckets:
                close = buckets[at][3]
            else:  # no sample in this interval: flat at the previous close
                buckets[at] = [close, close, close, close]
            if start is None or at >= grid.start(start):
                starts.append(at)
            at = grid.next(at)
        starts = starts[:limit] if start is not None else starts[-limit:]
        fmt = Formats(inst)
        return [[at, *(fmt.format_price(value) for value in buckets[at]), "0", grid.next(at) - 1, "0", 0, "0", "0",
                 "0"] for at in starts]

    handler.__name__ = f"{kind}_price_klines"
    return handler


# --- tickers ---------------------------------------------------------------------------------------------------
def _chosen(call: Call) -> tuple[list[PerpInstrument], bool]:
    one = usdm_params.optional_perpetual(call.sim, call.params)
    if one is not None:
        return [one], True
    return list(call.sim.futures.instruments.values()), False


def _shape(items: list[dict[str, Any]], single: bool):
    return items[0] if single else items


def _one_or_all(one: int, every: int):
    def weight(params: Params) -> int:
        return one if params.optional("symbol") is not None else every
    return weight


def ticker_price(call: Call):
    chosen, single = _chosen(call)
    now = call.sim.clock.now_ms()
    items = []
    for inst in chosen:
        last = call.sim.futures.market[inst.symbol].last_price or 0
        items.append({"symbol": inst.symbol, "price": Formats(inst).format_price(last), "time": now})
    return _shape(items, single)


def book_ticker(call: Call):
    chosen, single = _chosen(call)
    now = call.sim.clock.now_ms()
    items = []
    for inst in chosen:
        fmt = Formats(inst)
        bid, ask = call.sim.futures.best_bid_ask(inst.symbol)
        bid_price, bid_qty = bid or (0, 0)
        ask_price, ask_qty = ask or (0, 0)
        items.append({"symbol": inst.symbol, "bidPrice": fmt.format_price(bid_price),
                      "bidQty": fmt.format_qty(bid_qty), "askPrice": fmt.format_price(ask_price),
                      "askQty": fmt.format_qty(ask_qty), "time": now})
    return _shape(items, single)


def ticker_24h(call: Call):
    """Like spot's FULL ticker without the bid/ask fields and prevClosePrice (reference §7.1)."""
    chosen, single = _chosen(call)
    now = call.sim.clock.now_ms()
    items = []
    for inst in chosen:
        fmt = Formats(inst)
        stats = call.sim.futures.market[inst.symbol].stats_24h(now)
        change = stats.last - stats.open
        weighted = stats.quote_volume * inst.base_unit // stats.volume if stats.volume else 0
        items.append({
            "symbol": inst.symbol, "priceChange": fmt.format_price(change),
            "priceChangePercent": percent(change, stats.open), "weightedAvgPrice": fmt.format_price(weighted),
            "lastPrice": fmt.format_price(stats.last), "lastQty": fmt.format_qty(stats.last_qty),
            "openPrice": fmt.format_price(stats.open), "highPrice": fmt.format_price(stats.high),
            "lowPrice": fmt.format_price(stats.low), "volume": fmt.format_qty(stats.volume),
            "quoteVolume": fmt.format_quote(stats.quote_volume), "openTime": stats.open_time,
            "closeTime": stats.close_time, "firstId": stats.first_id, "lastId": stats.last_id,
            "count": stats.count})
    return _shape(items, single)


# --- mark price, funding, open interest ------------------------------------------------------------------------
def premium_index(call: Call):
    chosen, single = _chosen(call)
    return _shape([payloads.premium_index(inst, call.sim.futures.mark_view(inst.symbol)) for inst in chosen],
                  single)


def funding_rate(call: Call) -> list[dict[str, Any]]:
    """Settled funding, oldest first: `limit` rows from startTime on, or the most recent `limit` ones."""
    params = call.params
    inst = usdm_params.optional_perpetual(call.sim, params)
    start, end = time_window(params)
    limit = usdm_params.FUNDING_LIMIT.read(params)
    symbols = [inst] if inst is not None else list(call.sim.futures.instruments.values())
    records = sorted((record for one in symbols for record in call.sim.futures.funding_history(one.symbol)),
                     key=lambda record: (record.funding_time, record.symbol))
    picked = [record for record in records
              if (start is None or record.funding_time >= start) and (end is None or record.funding_time <= end)]
    picked = picked[:limit] if start is not None else picked[-limit:]
    instruments = call.sim.futures.instruments
    return [payloads.funding_record(instruments[record.symbol], record) for record in picked]


def funding_info(call: Call) -> list[dict[str, Any]]:
    """Only the perpetuals whose funding cap, floor or interval differ from the default (reference §7.4)."""
    return [{"symbol": inst.symbol, "adjustedFundingRateCap": payloads.rate(inst.funding_cap),
             "adjustedFundingRateFloor": payloads.rate(inst.funding_floor),
             "fundingIntervalHours": inst.funding_interval_hours, "disclaimer": False}
            for inst in call.sim.futures.instruments.values()
            if (inst.funding_cap, inst.funding_floor, inst.funding_interval_hours) != DEFAULT_FUNDING]


def open_interest(call: Call) -> dict[str, Any]:
    inst = usdm_params.perpetual(call.sim, call.params)
    return {"openInterest": Formats(inst).format_qty(call.sim.futures.open_interest(inst.symbol)),
            "symbol": inst.symbol, "time": call.sim.clock.now_ms()}


def _endpoint(method: str, path: str, weight, handler) -> Endpoint:
    return Endpoint(method, path, NONE, weight, handler, venue=FUTURES)


ENDPOINTS = [
    _endpoint("GET", "/fapi/v1/ping", 1, ping),
    _endpoint("GET", "/fapi/v1/time", 1, server_time),
    _endpoint("GET", "/fapi/v1/exchangeInfo", 1, exchange_info),
    _endpoint("GET", "/fapi/v1/depth", depth_weight, depth),
    _endpoint("GET", "/fapi/v1/trades", 5, recent_trades),
    _endpoint("GET", "/fapi/v1/historicalTrades", 20, historical_trades),
    _endpoint("GET", "/fapi/v1/aggTrades", 20, agg_trades),
    _endpoint("GET", "/fapi/v1/klines", klines_weight, klines),
    _endpoint("GET", "/fapi/v1/continuousKlines", klines_weight, continuous_klines),
    _endpoint("GET", "/fapi/v1/markPriceKlines", klines_weight, price_klines("mark")),
    _endpoint("GET", "/fapi/v1/indexPriceKlines", klines_weight, price_klines("index")),
    _endpoint("GET", "/fapi/v1/ticker/price", _one_or_all(1, 2), ticker_price),
    _endpoint("GET", "/fapi/v2/ticker/price", _one_or_all(1, 2), ticker_price),  # ccxt's fetch_last_prices
    _endpoint("GET", "/fapi/v1/ticker/bookTicker", _one_or_all(2, 5), book_ticker),
    _endpoint("GET", "/fapi/v1/ticker/24hr", _one_or_all(1, 40), ticker_24h),
    _endpoint("GET", "/fapi/v1/premiumIndex", _one_or_all(1, 10), premium_index),
    # Binance counts these two in a pool of their own (500 per 5 minutes per IP), not in REQUEST_WEIGHT
    _endpoint("GET", "/fapi/v1/fundingRate", 0, funding_rate),
    _endpoint("GET", "/fapi/v1/fundingInfo", 0, funding_info),
    _endpoint("GET", "/fapi/v1/openInterest", 1, open_interest),
]
