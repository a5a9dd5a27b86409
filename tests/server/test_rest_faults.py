"""The control plane's REST fault hooks in the spot pipeline (simulator.control.faults, WIRING)."""
from __future__ import annotations

import asyncio

import aiohttp

from tests.server import rest_helpers
from tests.server.rest_helpers import SYMBOL

rest = rest_helpers.rest  # shared fixture
rest_sim = rest_helpers.rest_sim  # shared fixture

LIMIT = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "50000"}


async def test_http_error_refuses_without_applying(rest):
    rest.sim.faults.add({"kind": "http_error", "status": 503, "endpoint": "POST /api/v3/order", "count": 1})
    before = rest.state()
    refused = await rest.order(**LIMIT)
    assert refused.error == (503, -1008, "Server is currently overloaded with other requests. Please try again "
                                         "in a few minutes.")
    assert "X-MBX-USED-WEIGHT-1M" in refused.headers
    assert rest.state() == before
    assert (await rest.order(**LIMIT)).status == 200  # count spent


async def test_unknown_status_applies_then_hides_the_outcome(rest):
    rest.sim.faults.add({"kind": "http_unknown_status", "endpoint": "/api/v3/order", "count": 1})
    reply = await rest.order(newClientOrderId="maybe", **LIMIT)
    assert reply.error[:2] == (503, -1007)
    found = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, origClientOrderId="maybe")
    assert found.body["status"] == "NEW"  # it was placed


async def test_faults_target_symbols_and_accounts(rest):
    rest.sim.faults.add({"kind": "http_error", "status": 500, "symbol": "ETHUSDT"})
    assert (await rest.public("GET", "/api/v3/depth", symbol=SYMBOL)).status == 200
    assert (await rest.public("GET", "/api/v3/depth", symbol="ETHUSDT")).error[:2] == (500, -1000)
    rest.sim.faults.clear()
    rest.sim.faults.add({"kind": "maintenance", "accountId": rest.account_id()})
    assert (await rest.public("GET", "/api/v3/ping")).status == 200  # no key: not that account
    assert (await rest.signed("GET", "/api/v3/account")).error[:2] == (503, -1008)


async def test_fill_during_cancel_turns_the_cancel_into_unknown_order(rest):
    placed = (await rest.order(**LIMIT)).body
    rest.sim.faults.add({"kind": "fill_during_cancel", "count": 1})
    reply = await rest.signed("DELETE", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"])
    assert reply.error == (400, -2011, "Unknown order sent.")
    status = (await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"])).body["status"]
    assert status == "FILLED"  # by the control plane's own counterparty


async def test_blackhole_applies_and_drops_the_connection(rest):
    rest.sim.faults.add({"kind": "http_blackhole", "holdMs": 0, "endpoint": "POST /api/v3/order", "count": 1})
    try:
        await asyncio.wait_for(rest.order(newClientOrderId="lost", **LIMIT), 5)
    except aiohttp.ClientError:
        pass
    else:
        raise AssertionError("the blackholed request got an answer")
    found = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, origClientOrderId="lost")
    assert found.body["status"] == "NEW"
