"""The traffic log: what the wire's clients did, as the scenarios see their subject (simulator.control.traffic)."""
from __future__ import annotations

import asyncio

import aiohttp

from simulator.control.api import Control
from simulator.control.traffic import Traffic, matches
from tests.live_server import LiveServer

TIMEOUT = 5.0


def _observations(server: LiveServer, after: int = 0) -> list[dict]:
    return server.call(lambda: Control(server.sim).traffic(after=after))["observations"]


async def test_requests_are_logged_with_their_owner_and_status(live_server: LiveServer):
    demo = live_server.sim.demo_keys[0]
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{live_server.base_url}/api/v3/ping") as r:
            assert r.status == 200
        async with session.get(f"{live_server.base_url}/api/v3/account",
                               headers={"X-MBX-APIKEY": demo.key}) as r:
            assert r.status == 400  # unsigned: refused, but it was the demo account asking
        async with session.get(f"{live_server.base_url}/api/v3/nothing-here") as r:
            assert r.status == 404
    seen = [o for o in _observations(live_server) if o["kind"] == "request"]
    assert [(o["endpoint"], o["accountId"], o["status"]) for o in seen] == [
        ("GET /api/v3/ping", None, 200), ("GET /api/v3/account", demo.account_id, 400)]
    assert [o["seq"] for o in seen] == sorted(o["seq"] for o in seen)


async def test_connections_subscriptions_and_user_streams_are_logged(live_server: LiveServer):
    demo = live_server.sim.demo_keys[0]
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{live_server.base_url}/api/v3/userDataStream",
                                headers={"X-MBX-APIKEY": demo.key}) as r:
            key = (await r.json())["listenKey"]
        async with session.ws_connect(f"{live_server.ws_url}/stream?streams=btcusdt@trade") as ws:
            await ws.send_json({"method": "SUBSCRIBE", "params": ["ethusdt@depth@100ms"], "id": 1})
            reply = await asyncio.wait_for(ws.receive_json(), TIMEOUT)
            assert reply == {"result": None, "id": 1}
        async with session.ws_connect(f"{live_server.ws_url}/ws/{key}") as ws:
            assert not ws.closed
    kinds = [(o["kind"], o.get("stream"), o.get("accountId")) for o in _observations(live_server)
             if o["kind"] != "request"]
    # the first socket's close may be noticed after the second opened: compare what each connection saw
    assert ("subscribe", "btcusdt@trade", None) in kinds
    assert ("subscribe", "ethusdt@depth@100ms", None) in kinds
    assert ("userStream", None, demo.account_id) in kinds
    assert [k for k, _, _ in kinds].count("connect") == 2


def test_the_log_is_bounded_and_says_what_a_reader_missed():
    now = iter(range(1000, 2000))
    traffic = Traffic(lambda: next(now), retention=3)
    for i in range(5):
        traffic.connected(i, "/ws")
    page = traffic.page(after=0)
    assert [o["connection"] for o in page["observations"]] == [2, 3, 4]
    assert page["missed"] == 2 and page["lastSeq"] == 5
    assert [o["connection"] for o in traffic.page(after=4)["observations"]] == [4]
    assert traffic.page(after=4)["missed"] == 0
    assert traffic.page(after=5)["observations"] == []


def test_filters_match_endpoints_with_or_without_a_method_and_streams_by_pattern():
    order = {"kind": "request", "endpoint": "POST /api/v3/order", "accountId": 1, "status": 200}
    assert matches(order, {"kind": "request", "endpoint": "POST /api/v3/order"})
    assert matches(order, {"endpoint": "/api/v3/*"})
    assert not matches(order, {"endpoint": "DELETE /api/v3/order"})
    assert not matches(order, {"accountId": 2})
    assert matches(order, {"accountId": None, "status": 200})
    sub = {"kind": "subscribe", "stream": "btcusdt@depth@100ms"}
    assert matches(sub, {"stream": "BTCUSDT@depth*"})
    assert not matches(sub, {"stream": "ethusdt@*"})
    assert not matches(sub, {"endpoint": "GET /api/v3/depth"})
