"""The WebSocket API at /ws-api/v3: ping, time, userDataStream.subscribe.signature / unsubscribe (§6.3)."""
from __future__ import annotations

import json

import pytest

from simulator.dialects.binance.wire.auth import sign, ws_signed_payload
from tests.server.ws_helpers import connect, recv_json, request

DEMO_KEY, DEMO_SECRET = "demo-api-key", "demo-api-secret"
WEIGHT_LIMIT = {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000}


@pytest.fixture
async def api(server, session):
    ws = await connect(session, f"{server.ws_url}/ws-api/v3")
    yield ws
    await ws.close()


def signed(server, key=DEMO_KEY, secret=DEMO_SECRET, **extra) -> dict:
    params = {"apiKey": key, "timestamp": server.sim.clock.server_time_ms(), **extra}
    params["signature"] = sign(secret, ws_signed_payload(params))
    return params


def demo_account(server) -> int:
    return server.sim.keys.get(DEMO_KEY).account_id


async def test_ping_and_time(server, api):
    reply = await request(api, {"id": 1, "method": "ping"})
    assert reply["status"] == 200 and reply["result"] == {}
    assert reply["rateLimits"] == [{**WEIGHT_LIMIT, "count": reply["rateLimits"][0]["count"]}]
    count = reply["rateLimits"][0]["count"]
    reply = await request(api, {"id": "t-2", "method": "v3/time", "params": {}})
    assert reply["id"] == "t-2" and reply["status"] == 200
    assert abs(reply["result"]["serverTime"] - server.sim.clock.server_time_ms()) < 5000
    assert reply["rateLimits"][0]["count"] == count + 1


async def test_return_rate_limits_false(server, api, session):
    reply = await request(api, {"id": 1, "method": "ping", "params": {"returnRateLimits": False}})
    assert reply == {"id": 1, "status": 200, "result": {}}
    ws = await connect(session, f"{server.ws_url}/ws-api/v3?returnRateLimits=false")
    assert await request(ws, {"id": 2, "method": "ping"}) == {"id": 2, "status": 200, "result": {}}
    await ws.close()


async def test_subscribe_signature_and_events(server, api):
    reply = await request(api, {"id": "sub", "method": "userDataStream.subscribe.signature",
                                "params": signed(server)})
    assert reply["status"] == 200 and reply["result"] == {"subscriptionId": 0}
    account = demo_account(server)
    order = server.place(account, "BUY", "50000", "0.01", client_id="ws-api-1").order
    report = await recv_json(api)
    assert list(report) == ["subscriptionId", "event"] and report["subscriptionId"] == 0
    assert (report["event"]["e"], report["event"]["i"], report["event"]["c"]) == \
        ("executionReport", order.order_id, "ws-api-1")
    position = await recv_json(api)
    assert position["subscriptionId"] == 0 and position["event"]["e"] == "outboundAccountPosition"
    status = await request(api, {"id": 5, "method": "session.status"})
    assert status["result"]["userDataStream"] is True


async def test_second_subscription_for_the_same_account_is_refused(server, api):
    await request(api, {"id": 1, "method": "userDataStream.subscribe.signature", "params": signed(server)})
    reply = await request(api, {"id": 2, "method": "userDataStream.subscribe.signature",
                                "params": signed(server)})
    assert (reply["status"], reply["error"]) == \
        (400, {"code": -2035, "msg": "User Data Stream subscription already active."})


async def test_two_accounts_on_one_connection(server, api):
    other = server.call(lambda: server.sim.create_account("other"))
    first = await request(api, {"id": 1, "method": "userDataStream.subscribe.signature", "params": signed(server)})
    second = await request(api, {"id": 2, "method": "userDataStream.subscribe.signature",
                                 "params": signed(server, other.key, other.secret)})
    assert (first["result"], second["result"]) == ({"subscriptionId": 0}, {"subscriptionId": 1})
    reply = await request(api, {"id": 3, "method": "session.subscriptions"})
    assert reply["result"] == [{"subscriptionId": 0}, {"subscriptionId": 1}]
    server.call(server.sim.engine.deposit, other.account_id, "BTC", 5)
    assert (await recv_json(api))["subscriptionId"] == 1


async def test_unsubscribe_terminates_the_stream(server, api):
    await request(api, {"id": 1, "method": "userDataStream.subscribe.signature", "params": signed(server)})
    reply = await request(api, {"id": 2, "method": "userDataStream.unsubscribe",
                                "params": {"subscriptionId": 0}})
    assert reply["status"] == 200 and reply["result"] == {}
    terminated = await recv_json(api)
    assert terminated == {"subscriptionId": 0,
                          "event": {"e": "eventStreamTerminated", "E": terminated["event"]["E"]}}
    server.call(server.sim.engine.deposit, demo_account(server), "BTC", 5)
    reply = await request(api, {"id": 3, "method": "userDataStream.unsubscribe"})
    assert reply["error"] == {"code": -2036, "msg": "User Data Stream subscription not active."}
    # a new subscription gets a new id
    reply = await request(api, {"id": 4, "method": "userDataStream.subscribe.signature", "params": signed(server)})
    assert reply["result"] == {"subscriptionId": 1}


@pytest.mark.parametrize("mutate, status, error", [
    (lambda p: p.update(signature="0" * 64), 400,
     {"code": -1022, "msg": "Signature for this request is not valid."}),
    (lambda p: p.update(apiKey="unknown-key"), 401,
     {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}),
    (lambda p: p.pop("signature"), 400,
     {"code": -1102, "msg": "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."}),
])
async def test_subscription_auth_errors(server, api, mutate, status, error):
    params = signed(server)
    mutate(params)
    reply = await request(api, {"id": 9, "method": "userDataStream.subscribe.signature", "params": params})
    assert (reply["id"], reply["status"], reply["error"]) == (9, status, error)


async def test_stale_timestamp(server, api):
    params = {"apiKey": DEMO_KEY, "timestamp": server.sim.clock.server_time_ms() - 60_000}
    params["signature"] = sign(DEMO_SECRET, ws_signed_payload(params))
    reply = await request(api, {"id": 1, "method": "userDataStream.subscribe.signature", "params": params})
    assert reply["error"]["code"] == -1021


async def test_session_subscribe_needs_a_logon(server, api):
    reply = await request(api, {"id": 1, "method": "userDataStream.subscribe"})
    assert (reply["status"], reply["error"]["code"]) == (401, -1002)


@pytest.mark.parametrize("frame, error", [
    ("nope", {"code": -1135, "msg": "Invalid JSON Request"}),
    ('{"id": 1, "method": "order.teleport"}', {"code": -1020, "msg": "This operation is not supported."}),
    ('{"id": 1, "method": "ping", "params": [1]}',
     {"code": -1135, "msg": "Invalid 'params' in JSON request; expected an object."}),
    ('{"id": 1}',
     {"code": -1102, "msg": "Mandatory parameter 'method' was not sent, was empty/null, or malformed."}),
])
async def test_bad_requests(server, api, frame, error):
    await api.send_str(frame)
    reply = await recv_json(api)
    assert reply["status"] == 400 and reply["error"] == error
    expected_id = json.loads(frame)["id"] if frame.startswith("{") else None
    assert reply["id"] == expected_id
