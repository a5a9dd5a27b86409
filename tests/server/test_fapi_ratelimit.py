"""USD-M rate limits (reference §1.7): the futures pools count apart from spot's (Binance's hosts count apart),
X-MBX-USED-WEIGHT-1M on every /fapi answer, 429 then 418 from the futures REQUEST_WEIGHT pool."""
from __future__ import annotations

import pytest

from simulator.rate_limits import Pool
from tests.server import fapi_helpers
from tests.server.fapi_helpers import make_futures_sim
from tests.server.rest_helpers import NOW

fapi = fapi_helpers.fapi


@pytest.fixture
def fapi_sim():
    return make_futures_sim(futures_limits=[Pool("REQUEST_WEIGHT", "MINUTE", 1, 3),
                                            Pool("ORDERS", "MINUTE", 1, 1200), Pool("ORDERS", "SECOND", 10, 300)])


async def test_futures_weight_is_counted_apart_from_spot(fapi):
    assert (await fapi.public("GET", "/fapi/v1/ping")).headers["X-MBX-USED-WEIGHT-1M"] == "1"
    assert (await fapi.public("GET", "/api/v3/ping")).headers["X-MBX-USED-WEIGHT-1M"] == "1"
    assert (await fapi.public("GET", "/fapi/v1/time")).headers["X-MBX-USED-WEIGHT-1M"] == "2"


async def test_errors_carry_the_futures_weight_too(fapi):
    unsigned = await fapi.request("POST", "/fapi/v1/listenKey")
    assert (unsigned.status, unsigned.headers["X-MBX-USED-WEIGHT-1M"]) == (401, "1")


async def test_429_then_418_on_the_futures_pool_only(fapi):
    for _ in range(3):
        assert (await fapi.public("GET", "/fapi/v1/ping")).status == 200
    limited = await fapi.public("GET", "/fapi/v1/ping")
    assert limited.error == (429, -1003, "Too much request weight used; current limit is 3 request weight per "
                                         "1 MINUTE. Please use WebSocket Streams for live updates to avoid polling "
                                         "the API.")
    assert limited.headers["Retry-After"] == "20"
    assert (await fapi.public("GET", "/api/v3/ping")).status == 200  # spot is another host
    for _ in range(2):
        assert (await fapi.public("GET", "/fapi/v1/ping")).status == 429
    banned = await fapi.public("GET", "/fapi/v1/time")
    assert banned.error[:2] == (418, -1003)
    assert f"IP banned until {NOW + 120_000}" in banned.error[2]


async def test_a_rate_limit_fault_refuses_futures_requests_too(fapi):
    fapi.sim.faults.add({"kind": "rate_limit", "status": 429, "ms": 10_000})
    assert (await fapi.public("GET", "/fapi/v1/ping")).error[:2] == (429, -1003)
    assert (await fapi.public("GET", "/api/v3/ping")).error[:2] == (429, -1003)
