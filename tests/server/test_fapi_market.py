"""USD-M public market data (reference §7.1, §8.2): the perpetual's own book, trades and klines, tickers with
`time`, funding history and open interest; futures `limit`s refuse what spot would truncate."""
from __future__ import annotations

import pytest

from tests.server import fapi_helpers
from tests.server.fapi_helpers import SYMBOL, place, trade, trader
from tests.server.rest_helpers import NOW

fapi = fapi_helpers.fapi
fapi_sim = fapi_helpers.fapi_sim


@pytest.fixture
def book(fapi):
    """A maker quoting 0.5 at 49990.0 / 50010.0 after one public trade at 50000.0."""
    trade(fapi.sim, "50000.0", "0.020")
    maker = trader(fapi.sim)
    place(fapi.sim, maker, "BUY", "0.500", "49990.0")
    place(fapi.sim, maker, "SELL", "0.500", "50010.0")
    return fapi


async def test_depth_is_the_perpetuals_own_book_with_event_times(book):
    reply = await book.public("GET", "/fapi/v1/depth", symbol=SYMBOL, limit=5)
    assert reply.body == {"lastUpdateId": book.sim.futures.books[SYMBOL].update_id, "E": NOW, "T": NOW,
                          "bids": [["49990.00", "0.500"]], "asks": [["50010.00", "0.500"]]}
    spot = await book.public("GET", "/api/v3/depth", symbol=SYMBOL)
    assert spot.body["bids"] == [] and spot.body["asks"] == []  # spot is another market


@pytest.mark.parametrize("limit,weight", [(5, 2), (50, 2), (100, 5), (500, 10), (1000, 20)])
async def test_depth_weight_follows_the_limit(fapi, limit, weight):
    reply = await fapi.public("GET", "/fapi/v1/depth", symbol=SYMBOL, limit=limit)
    assert (reply.status, reply.headers["X-MBX-USED-WEIGHT-1M"]) == (200, str(weight))


@pytest.mark.parametrize("path,limit", [("/fapi/v1/depth", 7), ("/fapi/v1/depth", 5000), ("/fapi/v1/depth", 0),
                                        ("/fapi/v1/trades", 1001), ("/fapi/v1/aggTrades", 1001),
                                        ("/fapi/v1/historicalTrades", 1001), ("/fapi/v1/klines", 1501)])
async def test_limits_out_of_range_are_refused_not_truncated(fapi, path, limit):
    reply = await fapi.public("GET", path, symbol=SYMBOL, limit=limit, interval="1m")
    assert reply.error == (400, -1130, "Data sent for parameter 'limit' is not valid.")


async def test_unknown_and_malformed_symbols(fapi):
    assert (await fapi.public("GET", "/fapi/v1/depth", symbol="DOGEUSDT")).error == (400, -1121, "Invalid symbol.")
    assert (await fapi.public("GET", "/fapi/v1/depth", symbol="btc usdt")).error[:2] == (400, -1100)
    assert (await fapi.public("GET", "/fapi/v1/depth")).error == (
        400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")


async def test_trades_and_aggregate_trades(book):
    trades = (await book.public("GET", "/fapi/v1/trades", symbol=SYMBOL)).body
    assert trades == [{"id": 1, "price": "50000.00", "qty": "0.020", "quoteQty": "1000.00000", "time": NOW,
                       "isBuyerMaker": False, "isRPITrade": False}]
    assert (await book.public("GET", "/fapi/v1/historicalTrades", symbol=SYMBOL, fromId=1)).body == trades
    aggs = (await book.public("GET", "/fapi/v1/aggTrades", symbol=SYMBOL)).body
    assert aggs == [{"a": 1, "p": "50000.00", "q": "0.020", "nq": "0.020", "f": 1, "l": 1, "T": NOW, "m": False}]


async def test_klines_and_continuous_klines(book):
    rows = (await book.public("GET", "/fapi/v1/klines", symbol=SYMBOL, interval="1m")).body
    minute = NOW - NOW % 60_000
    assert rows == [[minute, "50000.00", "50000.00", "50000.00", "50000.00", "0.020", minute + 59_999,
                     "1000.00000", 1, "0.020", "1000.00000", "0"]]
    continuous = await book.public("GET", "/fapi/v1/continuousKlines", pair=SYMBOL, contractType="PERPETUAL",
                                   interval="1m")
    assert continuous.body == rows
    bad = await book.public("GET", "/fapi/v1/continuousKlines", pair=SYMBOL, contractType="CURRENT_QUARTER",
                            interval="1m")
    assert bad.error[:2] == (400, -1130)
    assert (await book.public("GET", "/fapi/v1/klines", symbol=SYMBOL, interval="7m")).error == (
        400, -1120, "Invalid interval.")


async def test_tickers_carry_time_and_no_book_fields_in_24hr(book):
    price = (await book.public("GET", "/fapi/v1/ticker/price", symbol=SYMBOL)).body
    assert price == {"symbol": SYMBOL, "price": "50000.00", "time": NOW}
    top = (await book.public("GET", "/fapi/v1/ticker/bookTicker", symbol=SYMBOL)).body
    assert top == {"symbol": SYMBOL, "bidPrice": "49990.00", "bidQty": "0.500", "askPrice": "50010.00",
                   "askQty": "0.500", "time": NOW}
    day = (await book.public("GET", "/fapi/v1/ticker/24hr", symbol=SYMBOL)).body
    assert (day["lastPrice"], day["volume"], day["count"]) == ("50000.00", "0.020", 1)
    assert not {"bidPrice", "askPrice", "prevClosePrice"} & set(day)
    every = (await book.public("GET", "/fapi/v1/ticker/price")).body
    assert [item["symbol"] for item in every] == ["BTCUSDT", "ETHUSDT"]


async def test_ticker_weights_with_and_without_symbol(fapi):
    one = await fapi.public("GET", "/fapi/v1/ticker/24hr", symbol=SYMBOL)
    every = await fapi.public("GET", "/fapi/v1/ticker/24hr")
    assert (one.headers["X-MBX-USED-WEIGHT-1M"], every.headers["X-MBX-USED-WEIGHT-1M"]) == ("1", "41")


async def test_open_interest_counts_one_side(book):
    reply = await book.public("GET", "/fapi/v1/openInterest", symbol=SYMBOL)
    assert reply.body == {"openInterest": "0.020", "symbol": SYMBOL, "time": NOW}
