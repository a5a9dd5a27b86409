"""The control plane's REST fault hooks in the spot pipeline (simulator.control.faults, WIRING)."""
from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from urllib.parse import urlencode

import aiohttp
import pytest

from simulator.dialects.binance.wire import auth
from tests.live_server import LiveServer
from tests.server import rest_helpers
from tests.server.rest_helpers import DEMO_KEY, DEMO_SECRET, SYMBOL

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


# --- every REST fault kind on the wire, and normal service once it is cleared -----------------------------
@pytest.mark.parametrize("status, code, msg", [
    (500, -1000, "An unknown error occurred while processing the request."),
    (502, -1000, "An unknown error occurred while processing the request."),
    (503, -1008, "Server is currently overloaded with other requests. Please try again in a few minutes."),
])
async def test_http_error_answers_binance_bodies_until_cleared(rest, status, code, msg):
    rest.sim.faults.add({"kind": "http_error", "status": status, "endpoint": "GET /api/v3/depth"})
    for _ in range(2):
        assert (await rest.public("GET", "/api/v3/depth", symbol=SYMBOL)).error == (status, code, msg)
    assert (await rest.public("GET", "/api/v3/ticker/price", symbol=SYMBOL)).status == 200  # other endpoint
    rest.sim.faults.clear()
    assert (await rest.public("GET", "/api/v3/depth", symbol=SYMBOL)).status == 200


async def test_http_error_comes_after_authentication_and_targets_the_account(rest):
    other_key = rest.sim.create_account(balances={"USDT": Decimal(1000)})
    rest.sim.faults.add({"kind": "http_error", "accountId": rest.account_id()})
    bad_signature = await rest.signed("GET", "/api/v3/account", secret="wrong")
    assert bad_signature.error[:2] == (400, -1022)  # authentication runs first
    assert (await rest.signed("GET", "/api/v3/account")).error[:2] == (503, -1008)
    assert (await rest.signed("GET", "/api/v3/account", key=other_key.key,
                              secret=other_key.secret)).status == 200
    assert (await rest.public("GET", "/api/v3/time")).status == 200


async def test_http_latency_delays_the_answer_until_cleared(rest):
    loop = asyncio.get_running_loop()
    rest.sim.faults.add({"kind": "http_latency", "ms": 1200, "endpoint": "/api/v3/time"})
    start = loop.time()
    assert (await rest.public("GET", "/api/v3/time")).status == 200
    assert loop.time() - start >= 1.2
    rest.sim.faults.clear()
    start = loop.time()
    assert (await rest.public("GET", "/api/v3/time")).status == 200
    assert loop.time() - start < 1.0


async def test_unknown_status_until_cleared(rest):
    rest.sim.faults.add({"kind": "http_unknown_status", "endpoint": "POST /api/v3/order"})
    for client_id in ("u1", "u2"):
        assert (await rest.order(newClientOrderId=client_id, **LIMIT)).error[:2] == (503, -1007)
    assert len(rest.sim.engine.account(rest.account_id()).open_orders) == 2  # both applied
    rest.sim.faults.clear()
    assert (await rest.order(newClientOrderId="u3", **LIMIT)).body["clientOrderId"] == "u3"


async def test_blackhole_holds_until_the_client_gives_up(rest):
    rest.sim.faults.add({"kind": "http_blackhole", "endpoint": "POST /api/v3/order"})
    params = {"symbol": SYMBOL, "newClientOrderId": "never-answered", **LIMIT,
              "timestamp": rest.sim.clock.server_time_ms()}
    query = urlencode(params)
    query += "&signature=" + auth.sign(DEMO_SECRET, query)
    with pytest.raises(asyncio.TimeoutError):
        async with rest.client.post(f"/api/v3/order?{query}", headers={"X-MBX-APIKEY": DEMO_KEY},
                                    timeout=aiohttp.ClientTimeout(total=0.5)) as response:
            await response.read()
    found = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, origClientOrderId="never-answered")
    assert found.body["status"] == "NEW"  # applied all the same
    rest.sim.faults.clear()
    assert (await rest.order(**LIMIT)).status == 200


async def test_maintenance_shows_break_and_answers_503_elsewhere_charging_nothing(rest):
    fault = rest.sim.faults.add({"kind": "maintenance"})
    first = await rest.public("GET", "/api/v3/depth", symbol=SYMBOL)
    assert first.error == (503, -1008, "Server is currently overloaded with other requests. Please try again in "
                                       "a few minutes.")
    for reply in (await rest.order(**LIMIT),
                  await rest.request("POST", "/api/v3/userDataStream", headers={"X-MBX-APIKEY": DEMO_KEY}),
                  await rest.signed("GET", "/api/v3/account")):
        assert reply.error[:2] == (503, -1008)
        assert reply.headers["X-MBX-USED-WEIGHT-1M"] == first.headers["X-MBX-USED-WEIGHT-1M"]  # nothing charged
    assert rest.state()[1] == {}  # the order never reached the engine
    # what a client needs to see the venue is in maintenance keeps answering: BREAK on every symbol
    info = await rest.public("GET", "/api/v3/exchangeInfo")
    assert info.status == 200 and {s["status"] for s in info.body["symbols"]} == {"BREAK"}
    assert (await rest.public("GET", "/api/v3/ping")).status == 200
    assert (await rest.public("GET", "/api/v3/time")).status == 200
    rest.sim.faults.clear(fault.fault_id)
    info = await rest.public("GET", "/api/v3/exchangeInfo")
    assert {s["status"] for s in info.body["symbols"]} == {"TRADING"}
    assert (await rest.order(**LIMIT)).status == 200


async def test_maintenance_of_some_endpoints_shows_break_in_exchange_info(rest):
    rest.sim.faults.add({"kind": "maintenance", "endpoint": "/api/v3/order"})
    info = await rest.public("GET", "/api/v3/exchangeInfo")
    assert info.status == 200 and {s["status"] for s in info.body["symbols"]} == {"BREAK"}
    assert (await rest.order(**LIMIT)).error[:2] == (503, -1008)
    rest.sim.faults.clear()
    info = await rest.public("GET", "/api/v3/exchangeInfo")
    assert {s["status"] for s in info.body["symbols"]} == {"TRADING"}


async def test_halt_stops_one_symbol_until_cleared(rest):
    rest.sim.faults.add({"kind": "halt", "symbol": SYMBOL})
    info = await rest.public("GET", "/api/v3/exchangeInfo")
    assert {s["symbol"]: s["status"] for s in info.body["symbols"]} == {"BTCUSDT": "HALT", "ETHUSDT": "TRADING"}
    assert (await rest.order(**LIMIT)).error == (400, -2010, "Market is closed.")
    assert (await rest.order(**{**LIMIT, "symbol": "ETHUSDT", "price": "3000"})).status == 200
    rest.sim.faults.clear()
    info = await rest.public("GET", "/api/v3/exchangeInfo", symbol=SYMBOL)
    assert info.body["symbols"][0]["status"] == "TRADING"
    assert (await rest.order(**LIMIT)).status == 200


@pytest.mark.parametrize("status, code", [(429, -1003), (418, -1003)])
async def test_rate_limit_forces_429_or_418_until_cleared(rest, status, code):
    rest.sim.faults.add({"kind": "rate_limit", "status": status, "ms": 60_000})
    refused = await rest.public("GET", "/api/v3/time")
    assert refused.error[:2] == (status, code)
    assert refused.headers["Retry-After"] == "60"
    assert (await rest.order(**LIMIT)).status == status
    rest.sim.faults.clear()
    assert (await rest.public("GET", "/api/v3/time")).status == 200
    assert (await rest.order(**LIMIT)).status == 200


async def test_clock_skew_fails_a_client_that_never_resyncs_until_cleared(rest):
    own_clock = rest.sim.clock.now_ms  # the client's clock: the true time, never corrected from /time
    rest.sim.faults.add({"kind": "clock_skew", "ms": -2000})  # server behind: the client is 2 s ahead
    assert (await rest.signed("GET", "/api/v3/account", timestamp=own_clock())).error == \
        (400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    rest.sim.faults.clear()
    rest.sim.faults.add({"kind": "clock_skew", "ms": 10_000})  # server ahead, past the 5 s recvWindow
    assert (await rest.signed("GET", "/api/v3/account", timestamp=own_clock())).error == \
        (400, -1021, "Timestamp for this request is outside of the recvWindow.")
    server_time = (await rest.public("GET", "/api/v3/time")).body["serverTime"]  # a client that resyncs
    assert server_time == own_clock() + 10_000
    assert (await rest.signed("GET", "/api/v3/account", timestamp=server_time)).status == 200
    rest.sim.faults.clear()
    assert (await rest.signed("GET", "/api/v3/account", timestamp=own_clock())).status == 200


async def test_fill_during_cancel_through_cancel_replace(rest):
    placed = (await rest.order(**LIMIT)).body
    rest.sim.faults.add({"kind": "fill_during_cancel", "symbol": SYMBOL, "accountId": rest.account_id(),
                         "count": 1})
    replace = {**LIMIT, "symbol": SYMBOL, "cancelReplaceMode": "STOP_ON_FAILURE", "price": "49000"}
    reply = await rest.signed("POST", "/api/v3/order/cancelReplace", cancelOrderId=placed["orderId"], **replace)
    assert reply.error[:2] == (400, -2022)
    assert reply.body["data"]["cancelResponse"] == {"code": -2011, "msg": "Unknown order sent."}
    assert reply.body["data"]["newOrderResult"] == "NOT_ATTEMPTED"
    found = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"])
    assert found.body["status"] == "FILLED"
    # spent: the next cancelReplace cancels normally
    placed = (await rest.order(**LIMIT)).body
    reply = await rest.signed("POST", "/api/v3/order/cancelReplace", cancelOrderId=placed["orderId"], **replace)
    assert reply.status == 200 and reply.body["cancelResult"] == "SUCCESS"


async def test_partial_fill_of_an_exact_quantity_at_an_exact_moment(rest):
    listen_key = (await rest.request("POST", "/api/v3/userDataStream",
                                     headers={"X-MBX-APIKEY": DEMO_KEY})).body["listenKey"]
    ws = await rest.client.ws_connect(f"/ws/{listen_key}")
    placed = (await rest.order(**{**LIMIT, "quantity": "0.03"})).body
    rest.sim.faults.add({"kind": "partial_fill", "orderId": placed["orderId"], "qty": "0.01", "afterMs": 1000})
    rest.sim.clock.advance(999)
    rest.sim.tick()
    found = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"])
    assert found.body["executedQty"] == "0.00000000"
    rest.sim.clock.advance(1)
    rest.sim.tick()
    found = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"])
    assert (found.body["status"], found.body["executedQty"]) == ("PARTIALLY_FILLED", "0.01000000")

    async def execution_report():
        while True:
            message = json.loads((await ws.receive()).data)
            if message.get("e") == "executionReport" and message["x"] == "TRADE":
                return message

    report = await asyncio.wait_for(execution_report(), 5)
    assert (report["i"], report["l"], report["z"], report["T"]) == \
        (placed["orderId"], "0.01000000", "0.01000000", rest.sim.clock.now_ms())
    rest.sim.clock.advance(1000)
    rest.sim.tick()  # fired once only
    found = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"])
    assert found.body["executedQty"] == "0.01000000"
    await ws.close()


async def test_a_request_held_for_ever_is_let_go_when_the_server_stops(sim):
    server = LiveServer(sim).start()
    server.call(sim.faults.add, {"kind": "http_blackhole", "endpoint": "/api/v3/time"})
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:
        held = asyncio.ensure_future(session.get(f"{server.base_url}/api/v3/time"))
        await asyncio.wait_for(_until(lambda: server.call(lambda: sim.faults.list()[0].hits) == 1), 5)
        start = loop.time()
        await loop.run_in_executor(None, server.stop)
        assert loop.time() - start < 5  # not the graceful shutdown's 60 s wait for the held request
        with pytest.raises(aiohttp.ClientError):
            await asyncio.wait_for(held, 5)


async def _until(condition) -> None:
    while not condition():
        await asyncio.sleep(0.01)
