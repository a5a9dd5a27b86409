"""Spot public REST endpoints: payload shapes, parameters and weights."""
from __future__ import annotations

import json

import pytest

from tests.server import rest_helpers
from tests.server.rest_helpers import NOW, SYMBOL

rest = rest_helpers.rest  # shared fixture
rest_sim = rest_helpers.rest_sim  # shared fixture

MINUTE = 60_000


async def test_ping_and_time(rest):
    assert (await rest.public("GET", "/api/v3/ping")).body == {}
    reply = await rest.public("GET", "/api/v3/time")
    assert reply.body == {"serverTime": NOW}
    rest.sim.clock.set_skew(-2500)
    assert (await rest.public("GET", "/api/v3/time")).body == {"serverTime": NOW - 2500}


async def test_public_endpoints_ignore_api_keys(rest):
    reply = await rest.request("GET", "/api/v3/depth", query="symbol=BTCUSDT",
                               headers={"X-MBX-APIKEY": "garbage key!"})
    assert reply.status == 200


async def test_exchange_info_symbol_shape(rest):
    reply = await rest.public("GET", "/api/v3/exchangeInfo", symbol=SYMBOL)
    body = reply.body
    assert (body["timezone"], body["serverTime"], body["exchangeFilters"]) == ("UTC", NOW, [])
    assert body["rateLimits"][0] == {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                                     "limit": 6000}
    [info] = body["symbols"]
    assert list(info)[:9] == ["symbol", "status", "baseAsset", "baseAssetPrecision", "quoteAsset",
                              "quotePrecision", "quoteAssetPrecision", "baseCommissionPrecision",
                              "quoteCommissionPrecision"]
    assert (info["symbol"], info["status"], info["baseAsset"], info["quoteAsset"]) == (
        "BTCUSDT", "TRADING", "BTC", "USDT")
    assert info["orderTypes"] == ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT",
                                  "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]
    assert info["permissions"] == [] and info["permissionSets"] == [["SPOT"]]
    assert info["defaultSelfTradePreventionMode"] == "EXPIRE_MAKER"
    filters = {f["filterType"]: f for f in info["filters"]}
    assert filters["PRICE_FILTER"] == {"filterType": "PRICE_FILTER", "minPrice": "0.01000000",
                                       "maxPrice": "1000000.00000000", "tickSize": "0.01000000"}
    assert filters["LOT_SIZE"] == {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000",
                                   "stepSize": "0.00001000"}
    assert filters["NOTIONAL"]["minNotional"] == "5.00000000"
    assert filters["PERCENT_PRICE_BY_SIDE"]["bidMultiplierUp"] == "5"
    assert filters["MAX_NUM_ORDERS"] == {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200}


@pytest.mark.parametrize(("params", "symbols"), [
    ({}, ["BTCUSDT", "ETHUSDT"]),
    ({"symbols": '["ETHUSDT","BTCUSDT"]'}, ["ETHUSDT", "BTCUSDT"]),
    ({"permissions": "SPOT"}, ["BTCUSDT", "ETHUSDT"]),
    ({"permissions": '["MARGIN"]'}, []),
    ({"symbolStatus": "TRADING"}, ["BTCUSDT", "ETHUSDT"]),
    ({"symbolStatus": "HALT"}, []),
])
async def test_exchange_info_selection(rest, params, symbols):
    reply = await rest.public("GET", "/api/v3/exchangeInfo", **params)
    assert [s["symbol"] for s in reply.body["symbols"]] == symbols
    assert reply.headers["X-MBX-USED-WEIGHT-1M"] == "20"


async def test_exchange_info_reports_symbol_status_and_hides_permission_sets(rest):
    rest.sim.engine.set_symbol_status("ETHUSDT", "HALT")
    reply = await rest.public("GET", "/api/v3/exchangeInfo", symbolStatus="HALT", showPermissionSets="false")
    assert [(s["symbol"], s["status"], s["permissionSets"]) for s in reply.body["symbols"]] == [
        ("ETHUSDT", "HALT", [])]


async def test_depth_levels_limits_and_weights(rest):
    maker = rest.counterparty()
    for i in range(6):
        rest.place(maker, "SELL", "0.5", str(60000 + i))
        rest.place(maker, "BUY", "0.25", str(59000 - i))
    reply = await rest.public("GET", "/api/v3/depth", symbol=SYMBOL, limit=2)
    assert reply.body == {"lastUpdateId": 12, "bids": [["59000.00000000", "0.25000000"],
                                                       ["58999.00000000", "0.25000000"]],
                          "asks": [["60000.00000000", "0.50000000"], ["60001.00000000", "0.50000000"]]}
    used = 5
    assert reply.headers["X-MBX-USED-WEIGHT-1M"] == str(used)
    for limit, weight in ((100, 5), (101, 25), (500, 25), (1000, 50), (5000, 250), (6000, 250)):
        reply = await rest.public("GET", "/api/v3/depth", symbol=SYMBOL, limit=limit)
        used += weight
        assert reply.status == 200 and len(reply.body["asks"]) == 6
        assert reply.headers["X-MBX-USED-WEIGHT-1M"] == str(used)


async def test_trades_and_agg_trades(rest):
    for i, price in enumerate(("100", "101", "102")):
        rest.trade(price)
        rest.sim.clock.advance(1000)
    trades = (await rest.public("GET", "/api/v3/trades", symbol=SYMBOL, limit=2)).body
    assert trades == [
        {"id": 2, "price": "101.00000000", "qty": "0.10000000", "quoteQty": "10.10000000", "time": NOW + 1000,
         "isBuyerMaker": False, "isBestMatch": True},
        {"id": 3, "price": "102.00000000", "qty": "0.10000000", "quoteQty": "10.20000000", "time": NOW + 2000,
         "isBuyerMaker": False, "isBestMatch": True},
    ]
    history = (await rest.public("GET", "/api/v3/historicalTrades", symbol=SYMBOL, fromId=1, limit=1)).body
    assert [t["id"] for t in history] == [1]
    agg = (await rest.public("GET", "/api/v3/aggTrades", symbol=SYMBOL, startTime=NOW + 500)).body
    assert agg == [
        {"a": 2, "p": "101.00000000", "q": "0.10000000", "f": 2, "l": 2, "T": NOW + 1000, "m": False, "M": True},
        {"a": 3, "p": "102.00000000", "q": "0.10000000", "f": 3, "l": 3, "T": NOW + 2000, "m": False, "M": True},
    ]
    assert [a["a"] for a in (await rest.public("GET", "/api/v3/aggTrades", symbol=SYMBOL, fromId=3)).body] == [3]
    reply = await rest.public("GET", "/api/v3/aggTrades", symbol=SYMBOL, startTime=NOW, endTime=NOW + 3_600_001)
    assert reply.error == (400, -1127, "More than 1 hours between startTime and endTime.")


async def test_agg_trades_aggregate_one_takers_fills_at_one_price(rest):
    maker, taker = rest.counterparty(), rest.counterparty()
    rest.place(maker, "SELL", "0.1", "100")
    rest.place(maker, "SELL", "0.2", "100")
    rest.place(maker, "SELL", "0.3", "101")
    rest.place(taker, "BUY", "0.5", "101")  # trades 1, 2 at 100 and 3 at 101
    rest.sim.clock.advance(1000)
    rest.trade("101")  # trade 4: a new taker, so a new aggregate at the same price
    agg = (await rest.public("GET", "/api/v3/aggTrades", symbol=SYMBOL)).body
    assert agg == [
        {"a": 1, "p": "100.00000000", "q": "0.30000000", "f": 1, "l": 2, "T": NOW, "m": False, "M": True},
        {"a": 2, "p": "101.00000000", "q": "0.20000000", "f": 3, "l": 3, "T": NOW, "m": False, "M": True},
        {"a": 3, "p": "101.00000000", "q": "0.10000000", "f": 4, "l": 4, "T": NOW + 1000, "m": False, "M": True},
    ]
    # fromId is an aggregate id, not a trade id
    assert [a["a"] for a in (await rest.public("GET", "/api/v3/aggTrades", symbol=SYMBOL, fromId=2)).body] == [2, 3]
    assert [(a["a"], a["f"]) for a in (await rest.public("GET", "/api/v3/aggTrades", symbol=SYMBOL, fromId=3,
                                                         limit=1)).body] == [(3, 4)]
    window = (await rest.public("GET", "/api/v3/aggTrades", symbol=SYMBOL, startTime=NOW, endTime=NOW)).body
    assert [a["a"] for a in window] == [1, 2]
    assert [a["a"] for a in (await rest.public("GET", "/api/v3/aggTrades", symbol=SYMBOL, limit=1)).body] == [3]
    reply = await rest.public("GET", "/api/v3/aggTrades", symbol=SYMBOL, fromId=1, startTime=NOW)
    assert reply.status == 400


async def test_klines_one_minute_with_a_flat_gap(rest):
    minute0 = NOW - NOW % MINUTE
    rest.trade("100")
    rest.trade("104")
    rest.sim.clock.advance(2 * MINUTE)  # a minute with no trade, then one more
    rest.trade("101", qty="0.3")
    klines = (await rest.public("GET", "/api/v3/klines", symbol=SYMBOL, interval="1m")).body
    assert klines == [
        [minute0, "100.00000000", "104.00000000", "100.00000000", "104.00000000", "0.20000000",
         minute0 + MINUTE - 1, "20.40000000", 2, "0.20000000", "20.40000000", "0"],
        [minute0 + MINUTE, "104.00000000", "104.00000000", "104.00000000", "104.00000000", "0.00000000",
         minute0 + 2 * MINUTE - 1, "0.00000000", 0, "0.00000000", "0.00000000", "0"],
        [minute0 + 2 * MINUTE, "101.00000000", "101.00000000", "101.00000000", "101.00000000", "0.30000000",
         minute0 + 3 * MINUTE - 1, "30.30000000", 1, "0.30000000", "30.30000000", "0"],
    ]
    limited = (await rest.public("GET", "/api/v3/klines", symbol=SYMBOL, interval="1m", limit=1)).body
    assert [k[0] for k in limited] == [minute0 + 2 * MINUTE]
    started = (await rest.public("GET", "/api/v3/klines", symbol=SYMBOL, interval="1m", startTime=minute0 + 1,
                                 limit=1)).body
    assert [k[0] for k in started] == [minute0 + MINUTE]
    ended = (await rest.public("GET", "/api/v3/uiKlines", symbol=SYMBOL, interval="1m", endTime=minute0)).body
    assert [k[0] for k in ended] == [minute0]


async def test_klines_aggregate_larger_intervals(rest):
    rest.trade("100")
    rest.sim.clock.advance(MINUTE)
    rest.trade("90")
    rest.sim.clock.advance(MINUTE)
    rest.trade("95")
    hour = NOW - NOW % 3_600_000
    [kline] = (await rest.public("GET", "/api/v3/klines", symbol=SYMBOL, interval="1h")).body
    assert kline[:9] == [hour, "100.00000000", "100.00000000", "90.00000000", "95.00000000", "0.30000000",
                         hour + 3_600_000 - 1, "28.50000000", 3]
    [week] = (await rest.public("GET", "/api/v3/klines", symbol=SYMBOL, interval="1w")).body
    assert week[0] == 1699833600000  # Monday 2023-11-13 00:00 UTC
    [month] = (await rest.public("GET", "/api/v3/klines", symbol=SYMBOL, interval="1M")).body
    assert (month[0], month[6]) == (1698796800000, 1701388800000 - 1)  # November 2023
    [shifted] = (await rest.public("GET", "/api/v3/klines", symbol=SYMBOL, interval="1d", timeZone="8")).body
    assert shifted[0] == 1699977600000  # 2023-11-15 00:00 at UTC+8 is 2023-11-14 16:00 UTC
    seconds = (await rest.public("GET", "/api/v3/klines", symbol=SYMBOL, interval="1s")).body
    assert [k[4] for k in seconds][0] == "100.00000000" and seconds[-1][4] == "95.00000000"


@pytest.mark.parametrize(("params", "error"), [
    ({"interval": "7m"}, (400, -1120, "Invalid interval.")),
    ({"interval": "1H"}, (400, -1120, "Invalid interval.")),
    ({}, (400, -1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.")),
    ({"interval": "1m", "timeZone": "15"}, (400, -1130, "Data sent for parameter 'timeZone' is not valid.")),
    ({"interval": "1m", "limit": "0"}, (400, -1130, "Data sent for parameter 'limit' is not valid.")),
    ({"interval": "1m", "startTime": "-5"},
     (400, -1100, "Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'.")),
])
async def test_kline_parameter_errors(rest, params, error):
    assert (await rest.public("GET", "/api/v3/klines", symbol=SYMBOL, **params)).error == error


async def test_avg_price(rest):
    empty = (await rest.public("GET", "/api/v3/avgPrice", symbol=SYMBOL)).body
    assert empty == {"mins": 5, "price": "0.00000000", "closeTime": 0}
    rest.trade("100", qty="0.1")
    rest.trade("200", qty="0.3")
    assert (await rest.public("GET", "/api/v3/avgPrice", symbol=SYMBOL)).body == {
        "mins": 5, "price": "175.00000000", "closeTime": NOW}


async def test_price_and_book_tickers_shapes(rest):
    rest.trade("100")
    maker = rest.counterparty()
    rest.place(maker, "BUY", "0.2", "99")
    rest.place(maker, "SELL", "0.3", "101")
    one = await rest.public("GET", "/api/v3/ticker/price", symbol=SYMBOL)
    assert (one.body, one.headers["X-MBX-USED-WEIGHT-1M"]) == ({"symbol": SYMBOL, "price": "100.00000000"}, "2")
    every = await rest.public("GET", "/api/v3/ticker/price")
    assert every.body == [{"symbol": SYMBOL, "price": "100.00000000"}, {"symbol": "ETHUSDT", "price": "0.00000000"}]
    assert every.headers["X-MBX-USED-WEIGHT-1M"] == "6"
    book = await rest.public("GET", "/api/v3/ticker/bookTicker", symbols='["BTCUSDT"]')
    assert book.body == [{"symbol": SYMBOL, "bidPrice": "99.00000000", "bidQty": "0.20000000",
                          "askPrice": "101.00000000", "askQty": "0.30000000"}]


async def test_ticker_24hr_full_is_a_spot_ticker_for_ccxt(rest):
    rest.trade("100")
    rest.sim.clock.advance(MINUTE)
    rest.trade("110", qty="0.3")
    ticker = (await rest.public("GET", "/api/v3/ticker/24hr", symbol=SYMBOL)).body
    assert "bidQty" in ticker and "time" not in ticker
    assert ticker == {
        "symbol": SYMBOL, "priceChange": "10.00000000", "priceChangePercent": "10.000",
        "weightedAvgPrice": "107.50000000", "prevClosePrice": "0.00000000", "lastPrice": "110.00000000",
        "lastQty": "0.30000000", "bidPrice": "0.00000000", "bidQty": "0.00000000", "askPrice": "0.00000000",
        "askQty": "0.00000000", "openPrice": "100.00000000", "highPrice": "110.00000000",
        "lowPrice": "100.00000000", "volume": "0.40000000", "quoteVolume": "43.00000000",
        "openTime": NOW + MINUTE - 86_400_000, "closeTime": NOW + MINUTE, "firstId": 1, "lastId": 2, "count": 2,
    }
    mini = (await rest.public("GET", "/api/v3/ticker/24hr", symbol=SYMBOL, type="MINI")).body
    assert list(mini) == ["symbol", "openPrice", "highPrice", "lowPrice", "lastPrice", "volume", "quoteVolume",
                          "openTime", "closeTime", "firstId", "lastId", "count"]


@pytest.mark.parametrize(("params", "weight"), [
    ({"symbol": SYMBOL}, 2), ({}, 80), ({"symbols": json.dumps([SYMBOL])}, 2),
])
async def test_ticker_24hr_weights(rest, params, weight):
    reply = await rest.public("GET", "/api/v3/ticker/24hr", **params)
    assert reply.status == 200 and reply.headers["X-MBX-USED-WEIGHT-1M"] == str(weight)


async def test_rolling_window_ticker_counts_the_minutes_of_its_window(rest):
    rest.trade("100")  # NOW = 40 s into a minute
    rest.sim.clock.advance(10 * MINUTE)
    rest.trade("110", qty="0.3")
    now = NOW + 10 * MINUTE
    wide = (await rest.public("GET", "/api/v3/ticker", symbol=SYMBOL, windowSize="15m")).body
    assert wide == {
        "symbol": SYMBOL, "priceChange": "10.00000000", "priceChangePercent": "10.000",
        "weightedAvgPrice": "107.50000000", "openPrice": "100.00000000", "highPrice": "110.00000000",
        "lowPrice": "100.00000000", "lastPrice": "110.00000000", "volume": "0.40000000",
        "quoteVolume": "43.00000000", "openTime": (now - 15 * MINUTE) // MINUTE * MINUTE, "closeTime": now,
        "firstId": 1, "lastId": 2, "count": 2,
    }
    narrow = (await rest.public("GET", "/api/v3/ticker", symbols='["BTCUSDT"]', windowSize="5m",
                                type="MINI")).body
    assert narrow == [{
        "symbol": SYMBOL, "openPrice": "110.00000000", "highPrice": "110.00000000", "lowPrice": "110.00000000",
        "lastPrice": "110.00000000", "volume": "0.30000000", "quoteVolume": "33.00000000",
        "openTime": (now - 5 * MINUTE) // MINUTE * MINUTE, "closeTime": now, "firstId": 2, "lastId": 2,
        "count": 1,
    }]
    default = (await rest.public("GET", "/api/v3/ticker", symbol=SYMBOL)).body
    assert default["openTime"] == (now - 86_400_000) // MINUTE * MINUTE and default["count"] == 2


async def test_rolling_window_ticker_reaches_seven_days_back(rest):
    rest.trade("100")
    rest.sim.clock.advance(6 * 86_400_000)
    rest.trade("120")
    week = (await rest.public("GET", "/api/v3/ticker", symbol=SYMBOL, windowSize="7d", type="MINI")).body
    day = (await rest.public("GET", "/api/v3/ticker", symbol=SYMBOL, windowSize="1d", type="MINI")).body
    assert (week["openPrice"], week["count"], day["openPrice"], day["count"]) == \
        ("100.00000000", 2, "120.00000000", 1)


async def test_trading_day_ticker_spans_the_day_in_its_time_zone(rest):
    rest.trade("100")
    day = (await rest.public("GET", "/api/v3/ticker/tradingDay", symbol=SYMBOL)).body
    start = NOW - NOW % 86_400_000
    assert day == {
        "symbol": SYMBOL, "priceChange": "0.00000000", "priceChangePercent": "0.000",
        "weightedAvgPrice": "100.00000000", "openPrice": "100.00000000", "highPrice": "100.00000000",
        "lowPrice": "100.00000000", "lastPrice": "100.00000000", "volume": "0.10000000",
        "quoteVolume": "10.00000000", "openTime": start, "closeTime": start + 86_400_000 - 1,
        "firstId": 1, "lastId": 1, "count": 1,
    }
    eastern = (await rest.public("GET", "/api/v3/ticker/tradingDay", symbols='["ETHUSDT"]', timeZone="-5",
                                 type="MINI")).body
    local = NOW - 5 * 3_600_000
    assert eastern[0]["openTime"] == local - local % 86_400_000 + 5 * 3_600_000
    assert (eastern[0]["count"], eastern[0]["firstId"]) == (0, -1)


@pytest.mark.parametrize(("path", "params", "weight"), [
    ("/api/v3/ticker", {"symbol": SYMBOL}, 4),
    ("/api/v3/ticker", {"symbols": json.dumps([SYMBOL, "ETHUSDT"])}, 8),
    ("/api/v3/ticker/tradingDay", {"symbol": SYMBOL}, 4),
    ("/api/v3/ticker/tradingDay", {"symbols": json.dumps([SYMBOL, "ETHUSDT"])}, 8),
])
async def test_window_ticker_weights(rest, path, params, weight):
    reply = await rest.public("GET", path, **params)
    assert reply.status == 200 and reply.headers["X-MBX-USED-WEIGHT-1M"] == str(weight)


def test_window_ticker_weight_caps_at_200():
    from simulator.dialects.binance.wire.params import Params
    from simulator.dialects.binance.spot.market import window_ticker_weight
    assert window_ticker_weight(Params({"symbols": json.dumps([f"S{i}" for i in range(51)])})) == 200
    assert window_ticker_weight(Params({"symbols": json.dumps([f"S{i}" for i in range(50)])})) == 200
    assert window_ticker_weight(Params({"symbols": json.dumps([f"S{i}" for i in range(10)])})) == 40


@pytest.mark.parametrize("size", ["0m", "60m", "24h", "8d", "1w", "1", "m", "01m", "1M", "1s", "１m"])
async def test_rolling_window_ticker_refuses_other_window_sizes(rest, size):
    reply = await rest.public("GET", "/api/v3/ticker", symbol=SYMBOL, windowSize=size)
    assert (reply.status, reply.body["code"]) == (400, -1100)


@pytest.mark.parametrize("path", ["/sapi/v1/capital/config/getall", "/sapi/v1/margin/allPairs",
                                  "/sapi/v1/margin/isolated/allPairs"])
async def test_ccxt_startup_stubs(rest, path):
    reply = await rest.request("GET", path, query="timestamp=1&signature=x", headers={"X-MBX-APIKEY": "k"})
    assert (reply.status, reply.body) == (200, [])


async def test_dapi_exchange_info_is_empty(rest):
    reply = await rest.public("GET", "/dapi/v1/exchangeInfo")
    assert reply.body == {"timezone": "UTC", "serverTime": NOW, "rateLimits": [], "exchangeFilters": [],
                          "symbols": []}

