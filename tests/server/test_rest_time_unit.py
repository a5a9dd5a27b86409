"""X-MBX-TIME-UNIT: MICROSECOND answers every time field in microseconds; MILLISECOND or nothing changes nothing."""
from __future__ import annotations

import pytest

from simulator.dialects.binance.wire.time_unit import rest_to_microseconds
from tests.server import rest_helpers
from tests.server.rest_helpers import NOW, SYMBOL

rest = rest_helpers.rest  # shared fixture
rest_sim = rest_helpers.rest_sim  # shared fixture

MICRO = {"X-MBX-TIME-UNIT": "MICROSECOND"}


@pytest.mark.parametrize("unit", ["MICROSECOND", "microsecond", "MicroSecond"])
async def test_server_time_in_microseconds_whatever_the_case(rest, unit):
    reply = await rest.request("GET", "/api/v3/time", headers={"X-MBX-TIME-UNIT": unit})
    assert reply.body == {"serverTime": NOW * 1000}


@pytest.mark.parametrize("unit", ["MILLISECOND", "millisecond"])
async def test_milliseconds_is_the_default(rest, unit):
    reply = await rest.request("GET", "/api/v3/time", headers={"X-MBX-TIME-UNIT": unit})
    assert reply.body == {"serverTime": NOW}


@pytest.mark.parametrize("unit", ["NANOSECOND", "", "SECOND"])
async def test_an_unknown_time_unit_is_refused(rest, unit):
    reply = await rest.request("GET", "/api/v3/time", headers={"X-MBX-TIME-UNIT": unit})
    assert (reply.status, reply.body) == (400, {"code": -1100, "msg": "Invalid time unit."})


async def test_market_data_times_in_microseconds(rest):
    rest.trade("100")
    trades = (await rest.request("GET", "/api/v3/trades", query=f"symbol={SYMBOL}", headers=MICRO)).body
    assert trades[0]["time"] == NOW * 1000 and trades[0]["id"] == 1
    aggs = (await rest.request("GET", "/api/v3/aggTrades", query=f"symbol={SYMBOL}", headers=MICRO)).body
    assert (aggs[0]["T"], aggs[0]["a"], aggs[0]["f"]) == (NOW * 1000, 1, 1)
    minute = NOW - NOW % 60_000
    klines = (await rest.request("GET", "/api/v3/klines", query=f"symbol={SYMBOL}&interval=1m",
                                 headers=MICRO)).body
    assert (klines[-1][0], klines[-1][6], klines[-1][8]) == (minute * 1000, (minute + 59_999) * 1000, 1)
    ticker = (await rest.request("GET", "/api/v3/ticker", query=f"symbol={SYMBOL}&windowSize=1h",
                                 headers=MICRO)).body
    assert (ticker["openTime"], ticker["closeTime"], ticker["firstId"]) == \
        ((NOW - 3_600_000) // 60_000 * 60_000 * 1000, NOW * 1000, 1)
    avg = (await rest.request("GET", "/api/v3/avgPrice", query=f"symbol={SYMBOL}", headers=MICRO)).body
    assert avg["closeTime"] == NOW * 1000 and avg["mins"] == 5


async def test_order_times_in_microseconds_with_a_microsecond_timestamp(rest):
    reply = await rest.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="50000",
                             timestamp=NOW * 1000, extra_headers=MICRO)
    assert reply.status == 200, reply.body
    assert (reply.body["transactTime"], reply.body["workingTime"], reply.body["orderId"]) == \
        (NOW * 1000, NOW * 1000, 1)
    order = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=1, extra_headers=MICRO)
    assert (order.body["time"], order.body["updateTime"], order.body["workingTime"]) == (NOW * 1000,) * 3
    plain = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=1)
    assert plain.body["time"] == NOW


def test_to_microseconds_keeps_ids_strings_and_markers():
    data = {"time": 5, "T": 6, "id": 7, "workingTime": -1, "closeTime": 0, "nested": [{"updateTime": 8}],
            "C": "abc", "isBuyer": True}
    assert rest_to_microseconds(data) == {"time": 5000, "T": 6000, "id": 7, "workingTime": -1, "closeTime": 0,
                                     "nested": [{"updateTime": 8000}], "C": "abc", "isBuyer": True}
