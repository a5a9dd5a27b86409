"""Rate limits over HTTP: weight headers on every answer, 429 then 418 with a growing ban, order counts."""
from __future__ import annotations

import pytest

from simulator.dialects.binance.wire.ratelimit import Pool
from tests.server import rest_helpers
from tests.server.rest_helpers import NOW, SYMBOL, make_sim

rest = rest_helpers.rest  # shared fixture

LIMIT = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "50000"}


@pytest.fixture
def weight_limit() -> int:
    return 1000


@pytest.fixture
def rest_sim(weight_limit):
    return make_sim(limits=[Pool("REQUEST_WEIGHT", "MINUTE", 1, weight_limit), Pool("ORDERS", "SECOND", 10, 2),
                            Pool("ORDERS", "DAY", 1, 3), Pool("RAW_REQUESTS", "MINUTE", 5, 1000)])


async def test_weight_header_on_every_answer_and_errors_count_too(rest):
    assert (await rest.public("GET", "/api/v3/ping")).headers["X-MBX-USED-WEIGHT-1M"] == "1"
    bad = await rest.public("GET", "/api/v3/depth", symbol="NOPE")
    assert (bad.status, bad.headers["X-MBX-USED-WEIGHT-1M"]) == (400, "6")
    missing = await rest.request("GET", "/api/v3/nowhere")
    assert (missing.status, missing.headers["X-MBX-USED-WEIGHT-1M"]) == (404, "7")
    unsigned = await rest.signed("GET", "/api/v3/openOrders", secret="wrong")
    assert (unsigned.status, unsigned.headers["X-MBX-USED-WEIGHT-1M"]) == (400, "87")


@pytest.mark.parametrize("weight_limit", [10])
async def test_429_then_418_with_a_ban_that_grows(rest):
    for used in range(1, 11):
        assert (await rest.public("GET", "/api/v3/ping")).headers["X-MBX-USED-WEIGHT-1M"] == str(used)
    limited = await rest.public("GET", "/api/v3/ping")
    assert limited.error == (429, -1003, "Too much request weight used; current limit is 10 request weight per "
                                         "1 MINUTE. Please use WebSocket Streams for live updates to avoid polling "
                                         "the API.")
    assert (limited.headers["Retry-After"], limited.headers["X-MBX-USED-WEIGHT-1M"]) == ("20", "11")
    for _ in range(2):
        assert (await rest.public("GET", "/api/v3/ping")).status == 429
    banned = await rest.public("GET", "/api/v3/time")
    until = NOW + 120_000
    assert banned.error == (418, -1003, f"Way too much request weight used; IP banned until {until}. "
                                        "Please use WebSocket Streams for live updates to avoid bans.")
    assert banned.headers["Retry-After"] == "120"
    rest.sim.clock.advance(60_000)
    still = await rest.public("GET", "/api/v3/ping")
    assert (still.status, still.headers["Retry-After"]) == (418, "60")

    rest.sim.clock.advance(60_000)  # the ban is over, and a new minute has begun
    assert (await rest.public("GET", "/api/v3/ping")).status == 200
    for _ in range(9):
        await rest.public("GET", "/api/v3/ping")
    assert [(await rest.public("GET", "/api/v3/ping")).status for _ in range(4)] == [429, 429, 429, 418]
    second = await rest.public("GET", "/api/v3/ping")
    assert second.headers["Retry-After"] == "480"  # 4 times the first ban


async def test_order_count_headers_and_too_many_orders(rest):
    first = await rest.order(**LIMIT)
    assert (first.headers["X-MBX-ORDER-COUNT-10S"], first.headers["X-MBX-ORDER-COUNT-1D"]) == ("1", "1")
    second = await rest.order(**LIMIT)
    assert second.headers["X-MBX-ORDER-COUNT-10S"] == "2"
    before = rest.state()
    third = await rest.order(**LIMIT)
    assert third.error == (429, -1015, "Too many new orders; current limit is 2 orders per 10 SECOND.")
    assert third.headers["Retry-After"] == "10"
    assert rest.state() == before
    rest.sim.clock.advance(10_000)
    fourth = await rest.order(**LIMIT)
    assert fourth.error == (429, -1015, "Too many new orders; current limit is 3 orders per 1 DAY.")
    # cancels and queries are not orders
    cancel = await rest.signed("DELETE", "/api/v3/order", symbol=SYMBOL, orderId=1)
    assert cancel.status == 200 and "X-MBX-ORDER-COUNT-10S" not in cancel.headers


async def test_order_test_does_not_count_as_an_order(rest):
    for _ in range(3):
        reply = await rest.signed("POST", "/api/v3/order/test", symbol=SYMBOL, **LIMIT)
        assert reply.status == 200 and "X-MBX-ORDER-COUNT-10S" not in reply.headers
    assert (await rest.order(**LIMIT)).headers["X-MBX-ORDER-COUNT-10S"] == "1"


async def test_exchange_info_lists_the_configured_pools(rest):
    body = (await rest.public("GET", "/api/v3/exchangeInfo", symbol=SYMBOL)).body
    assert body["rateLimits"] == [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 1000},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 2},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 3},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 1000},
    ]


async def test_cancel_replace_cancel_only_when_over_the_order_limit(rest):
    await rest.order(newClientOrderId="a", **LIMIT)
    await rest.order(newClientOrderId="b", **LIMIT)
    kept = await rest.signed("POST", "/api/v3/order/cancelReplace", symbol=SYMBOL,
                             cancelReplaceMode="STOP_ON_FAILURE", cancelOrigClientOrderId="a", **LIMIT)
    assert kept.error[:2] == (429, -1015)
    assert [o["clientOrderId"] for o in (await rest.signed("GET", "/api/v3/openOrders")).body] == ["a", "b"]
    cancel_only = await rest.signed("POST", "/api/v3/order/cancelReplace", symbol=SYMBOL,
                                    cancelReplaceMode="STOP_ON_FAILURE", cancelOrigClientOrderId="a",
                                    orderRateLimitExceededMode="CANCEL_ONLY", **LIMIT)
    assert (cancel_only.status, cancel_only.body["code"]) == (429, -2021)
    data = cancel_only.body["data"]
    assert (data["cancelResult"], data["newOrderResult"]) == ("SUCCESS", "FAILURE")
    assert data["newOrderResponse"]["code"] == -1015
    assert [o["clientOrderId"] for o in (await rest.signed("GET", "/api/v3/openOrders")).body] == ["b"]
