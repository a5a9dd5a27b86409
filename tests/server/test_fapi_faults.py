"""The control plane's faults on /fapi: the shared REST pipeline applies every REST fault kind to futures paths
(targeted by endpoint "METHOD /fapi/...", symbol or account), and the state faults reach the futures venue's
own rate limiter and listenKeys."""
from __future__ import annotations

import asyncio

import aiohttp

from tests.server import fapi_helpers
from tests.server.fapi_helpers import SYMBOL
from tests.server.rest_helpers import DEMO_KEY

fapi = fapi_helpers.fapi
fapi_sim = fapi_helpers.fapi_sim
KEY = {"X-MBX-APIKEY": DEMO_KEY}
LIMIT = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.010", "price": "40000"}


async def test_maintenance_refuses_futures_endpoints(fapi):
    fapi.sim.faults.add({"kind": "maintenance", "endpoint": "GET /fapi/v1/exchangeInfo"})
    refused = await fapi.public("GET", "/fapi/v1/exchangeInfo")
    assert refused.error == (503, -1008, "Request throttled by system-level protection. Reduce-only/close-position "
                             "orders are exempt. Please try again.")
    assert "X-MBX-USED-WEIGHT-1M" in refused.headers
    assert (await fapi.public("GET", "/fapi/v1/ping")).status == 200


async def test_http_error_targets_a_futures_endpoint_once(fapi):
    fapi.sim.faults.add({"kind": "http_error", "status": 500, "endpoint": "GET /fapi/v1/time", "count": 1})
    assert (await fapi.public("GET", "/fapi/v1/time")).error[:2] == (500, -1000)
    assert (await fapi.public("GET", "/fapi/v1/time")).status == 200


async def test_unknown_status_applies_then_hides_the_outcome(fapi):
    fapi.sim.faults.add({"kind": "http_unknown_status", "endpoint": "POST /fapi/v1/listenKey", "count": 1})
    hidden = await fapi.request("POST", "/fapi/v1/listenKey", headers=KEY)
    assert hidden.error[:2] == (503, -1007)
    assert len(fapi.sim.wire.futures_listen_keys.entries()) == 1  # it was created


async def test_listen_key_expire_reaches_futures_keys(fapi):
    key = (await fapi.request("POST", "/fapi/v1/listenKey", headers=KEY)).body["listenKey"]
    fapi.sim.faults.add({"kind": "listen_key_expire", "accountId": fapi.account_id()})
    fapi.sim.tick()
    gone = await fapi.request("PUT", "/fapi/v1/listenKey", query=f"listenKey={key}", headers=KEY)
    assert gone.error[:2] == (400, -1125)


async def test_blackhole_applies_a_futures_order_and_drops_the_connection(fapi):
    fapi.sim.faults.add({"kind": "http_blackhole", "holdMs": 0, "endpoint": "POST /fapi/v1/order", "count": 1})
    try:
        await asyncio.wait_for(fapi.order(newClientOrderId="lost", **LIMIT), 5)
    except aiohttp.ClientError:
        pass
    else:
        raise AssertionError("the blackholed request got an answer")
    found = await fapi.signed("GET", "/fapi/v1/order", symbol=SYMBOL, origClientOrderId="lost")
    assert found.body["status"] == "NEW"


async def test_latency_delays_a_futures_answer(fapi):
    fapi.sim.faults.add({"kind": "http_latency", "ms": 300, "endpoint": "GET /fapi/v1/time", "count": 1})
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert (await fapi.public("GET", "/fapi/v1/time")).status == 200
    assert loop.time() - start >= 0.3


async def test_faults_target_a_futures_symbol(fapi):
    fapi.sim.faults.add({"kind": "http_error", "status": 500, "symbol": "ETHUSDT"})
    assert (await fapi.public("GET", "/fapi/v1/depth", symbol=SYMBOL)).status == 200
    assert (await fapi.public("GET", "/fapi/v1/depth", symbol="ETHUSDT")).error[:2] == (500, -1000)
