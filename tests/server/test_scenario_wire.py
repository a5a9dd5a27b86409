"""The shipped scenarios that arrange a wire fault, played step by step against a live server while real clients
(aiohttp REST and WebSocket) watch: each shows the effect its fault has on the wire, and the scenario's own
expectations still hold.

`Stepper` drives the scenario Player one step at a time on the server's thread, so a test can connect, wait and
look between steps; a step may also be replaced by what a connector would do itself (a REST order instead of the
control plane's placement).
"""
from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from simulator.control.api import Control
from simulator.control.scenario_schema import SCENARIO_DIR
from simulator.control.scenarios import Player, load_scenario_file
from simulator.dialects.binance.wire import auth
from simulator.dialects.binance.streams.hub import STREAM_HUB, StreamHub
from tests.server.ws_helpers import TIMEOUT, assert_closed, connect, recv_json, request, wait_for


class Stepper:
    def __init__(self, server, name: str):
        self.server = server
        self.scenario = load_scenario_file(SCENARIO_DIR / f"{name}.yaml")
        self.player = Player(self.scenario, Control(server.sim))
        self.next = 0
        server.call(self._setup)

    def _setup(self) -> None:
        self.player._setup()
        self.player.start_seq = self.player.target.events(after=0, limit=1)["lastSeq"]

    @property
    def hub(self) -> StreamHub:
        return self.server.app[STREAM_HUB]

    def step(self, action: str | None = None) -> Any:
        """Play the next step (checking it is an `action` step); the step."""
        step = self.scenario.steps[self.next]
        assert action is None or step.action == action, f"step {self.next} is {step.action}, not {action}"
        self.next += 1
        self.server.call(lambda: list(self.player._run(step)))  # these scenarios' steps never wait
        assert self.player.result.ok, self.player.result.failure
        return step

    def skip(self, action: str) -> Any:
        """Leave out the next step (a test does instead what a connector would do)."""
        step = self.scenario.steps[self.next]
        assert step.action == action, f"step {self.next} is {step.action}, not {action}"
        self.next += 1
        return step

    def rest(self) -> None:
        while self.next < len(self.scenario.steps):
            self.step()

    def account(self, name: str) -> int:
        return self.player.accounts[name]

    def keys(self, name: str):
        return self.server.call(lambda: self.server.sim.keys.keys_of(self.account(name))[0])

    async def passes(self, n: int = 2) -> None:
        start = self.server.call(lambda: self.hub.passes)

        async def poll():
            while self.server.call(lambda: self.hub.passes) < start + n:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(poll(), TIMEOUT)


async def rest(session, server, method: str, path: str, *, keys=None, timestamp: int | None = None,
               timeout: float = TIMEOUT, **params: Any) -> tuple[int, Any]:
    """(status, JSON body) of one REST call; signed when `keys` are given (timestamp: the server's time unless
    the client says otherwise)."""
    headers = {}
    query = urlencode(params)
    if keys is not None:
        params["timestamp"] = server.sim.clock.server_time_ms() if timestamp is None else timestamp
        query = urlencode(params)
        query += "&signature=" + auth.sign(keys.secret, query)
        headers["X-MBX-APIKEY"] = keys.key
    async with session.request(method, f"{server.base_url}{path}?{query}", headers=headers,
                               timeout=aiohttp.ClientTimeout(total=timeout)) as response:
        return response.status, json.loads(await response.text())


def _diff(m) -> bool:
    return isinstance(m, dict) and m.get("e") == "depthUpdate"


async def _snapshot_id(session, server) -> int:
    status, body = await rest(session, server, "GET", "/api/v3/depth", symbol="BTCUSDT", limit=5000)
    assert status == 200
    return body["lastUpdateId"]


# --- WebSocket scenarios -------------------------------------------------------------------------------------
async def test_depth_gap_scenario_shows_a_sequence_gap(live_server, session):
    play = Stepper(live_server, "depth-gap")
    ws = await connect(session, f"{live_server.ws_url}/ws/btcusdt@depth@100ms")
    last_update_id = await _snapshot_id(session, live_server)  # the connector's book starts here
    play.step("fault")
    play.step("place")  # the diff of this change is dropped
    await play.passes()
    play.rest()
    diff = await wait_for(ws, _diff)
    assert diff["U"] > last_update_id + 1  # the gap a connector must detect: resnapshot
    assert (diff["U"], diff["u"]) == (last_update_id + 2, last_update_id + 3)
    fresh = await _snapshot_id(session, live_server)
    assert fresh == diff["u"]  # a new snapshot is where the stream is now
    await ws.close()


async def test_ws_duplicate_reorder_scenario_duplicates_and_swaps_diffs(live_server, session):
    play = Stepper(live_server, "ws-duplicate-reorder")
    ws = await connect(session, f"{live_server.ws_url}/ws/btcusdt@depth@100ms")
    start = await _snapshot_id(session, live_server)
    play.step("fault")
    play.step("fault")
    for _ in range(4):  # one diff per change
        play.step("place")
        await play.passes()
    play.rest()
    received = [(await wait_for(ws, _diff))["U"] - start for _ in range(7)]
    assert received == [2, 2, 1, 1, 4, 3, 3]
    await ws.close()


async def test_ws_silent_disconnect_scenario_goes_silent_then_recovers(live_server, session):
    play = Stepper(live_server, "ws-silent-disconnect")
    ws = await connect(session, f"{live_server.ws_url}/ws/btcusdt@depth@100ms", autoping=False)
    start = await _snapshot_id(session, live_server)
    play.step("fault")
    play.step("expect")
    play.step("place")  # a change the silent stream never reports
    await ws.ping(b"1")
    with pytest.raises(asyncio.TimeoutError):
        await ws.receive(timeout=0.5)  # no diff, no pong, no close frame
    assert not ws.closed
    play.step("advance")  # 30 s later the silence ends
    play.step("expect")
    await ws.ping(b"2")
    msg = await asyncio.wait_for(ws.receive(), TIMEOUT)
    assert (msg.type, msg.data) == (aiohttp.WSMsgType.PONG, b"2")
    maker = play.account("maker")
    live_server.call(lambda: Control(live_server.sim).place_order(maker, "BTCUSDT", "BUY", "LIMIT", quantity="0.1",
                                                                  price="64000", time_in_force="GTC"))
    diff = await wait_for(ws, _diff)
    assert diff["U"] == start + 2  # a connector that resyncs from a snapshot is fine; one that doesn't has a gap
    await ws.close()


async def test_ws_close_scenario_closes_market_then_user_streams(live_server, session):
    play = Stepper(live_server, "ws-close")
    trader = play.account("trader")
    key = live_server.call(lambda: live_server.sim.wire.listen_keys.create(trader, live_server.sim.clock.now_ms()))
    market = await connect(session, f"{live_server.ws_url}/ws/btcusdt@trade")
    eth = await connect(session, f"{live_server.ws_url}/ws/ethusdt@trade")
    user = await connect(session, f"{live_server.ws_url}/ws/{key}")
    play.step("fault")
    assert (await assert_closed(market)).data == aiohttp.WSCloseCode.GOING_AWAY
    play.step("fault")
    assert (await assert_closed(user)).data == aiohttp.WSCloseCode.GOING_AWAY
    play.step("place")
    play.step("take")  # a fill while the user stream is down
    user = await connect(session, f"{live_server.ws_url}/ws/{key}")  # the connector reconnects
    await play.passes(3)
    play.rest()
    report = await wait_for(user, lambda m: m.get("e") == "executionReport")  # the second fill, live
    assert (report["X"], report["l"], report["z"]) == ("FILLED", "0.06000000", "0.10000000")
    status, trades = await rest(session, live_server, "GET", "/api/v3/myTrades", keys=play.keys("trader"),
                                symbol="BTCUSDT")  # and the one missed, by polling
    assert status == 200 and [t["qty"] for t in trades] == ["0.04000000", "0.06000000"]
    assert "result" in await request(eth, {"method": "LIST_SUBSCRIPTIONS", "id": 1})  # never closed
    for ws in (user, eth):
        await ws.close()


async def test_listen_key_expiry_scenario_pushes_listen_key_expired(live_server, session):
    play = Stepper(live_server, "listen-key-expiry")
    play.hub.settings.sweep_interval_s = 0.1
    play.step("listenKey")
    first = play.player.listen_keys["first"]
    ws = await connect(session, f"{live_server.ws_url}/ws/{first}")
    play.step("expect")
    play.step("fault")
    assert (await wait_for(ws, lambda m: m.get("e") == "listenKeyExpired"))["listenKey"] == first
    play.step("expect")
    play.step("expect")
    play.step("place")  # never delivered on the dead stream
    assert await request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == {"result": [], "id": 1}
    play.step("listenKey")
    fresh = await connect(session, f"{live_server.ws_url}/ws/{play.player.listen_keys['second']}")
    play.rest()
    live_server.call(live_server.sim.engine.deposit, play.account("trader"), "USDT", 100)
    assert (await recv_json(fresh))["e"] == "balanceUpdate"
    await ws.close()
    await fresh.close()


# --- REST scenarios ------------------------------------------------------------------------------------------
async def test_maintenance_window_scenario_answers_503_then_resumes(live_server, session):
    play = Stepper(live_server, "maintenance-window")
    trader = play.keys("trader")
    play.step("fault")
    for path in ("/api/v3/exchangeInfo", "/api/v3/ping"):
        assert await rest(session, live_server, "GET", path) == \
            (503, {"code": -1008, "msg": "Server is currently overloaded with other requests. Please try again "
                                         "in a few minutes."})
    assert (await rest(session, live_server, "POST", "/api/v3/order", keys=trader, symbol="BTCUSDT", side="BUY",
                       type="LIMIT", timeInForce="GTC", quantity="0.01", price="60000"))[0] == 503
    play.step("expect")
    play.step("expect")
    play.step("place")  # BREAK: the engine refuses orders too
    play.step("advance")  # the minute is over
    play.rest()
    status, info = await rest(session, live_server, "GET", "/api/v3/exchangeInfo", symbol="BTCUSDT")
    assert status == 200 and info["symbols"][0]["status"] == "TRADING"


async def test_order_unknown_status_scenario_through_a_rest_order(live_server, session):
    play = Stepper(live_server, "order-unknown-status")
    play.step("fault")
    play.step("expect")
    play.skip("place")  # the connector places it
    status, body = await rest(session, live_server, "POST", "/api/v3/order", keys=play.keys("trader"),
                              symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
                              price="60000", newClientOrderId="unknown-status-1")
    assert (status, body["code"]) == (503, -1007)
    play.rest()  # one open order, NEW: it was applied
    status, order = await rest(session, live_server, "GET", "/api/v3/order", keys=play.keys("trader"),
                               symbol="BTCUSDT", origClientOrderId="unknown-status-1")
    assert (status, order["status"]) == (200, "NEW")


async def test_order_response_lost_scenario_through_a_rest_order(live_server, session):
    play = Stepper(live_server, "order-response-lost")
    play.step("fault")
    play.step("expect")
    play.step("note")
    play.skip("place")
    with pytest.raises(asyncio.TimeoutError):  # the connector's own timeout
        await rest(session, live_server, "POST", "/api/v3/order", keys=play.keys("trader"), symbol="BTCUSDT",
                   side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="60000",
                   newClientOrderId="lost-response-1", timeout=0.5)
    status, order = await rest(session, live_server, "GET", "/api/v3/order", keys=play.keys("trader"),
                               symbol="BTCUSDT", origClientOrderId="lost-response-1")
    assert (status, order["status"]) == (200, "NEW")
    play.player.orders["resting"] = order["orderId"]
    play.rest()


async def test_rest_5xx_burst_scenario(live_server, session):
    play = Stepper(live_server, "rest-5xx-burst")
    trader = play.keys("trader")
    play.step("fault")
    play.step("fault")
    play.step("place")
    statuses = [(await rest(session, live_server, "GET", "/api/v3/account", keys=trader))[0] for _ in range(20)]
    assert set(statuses) == {200, 503}  # about half
    for _ in range(2):
        status, body = await rest(session, live_server, "GET", "/api/v3/openOrders", keys=trader)
        assert (status, body["code"]) == (502, -1000)
    play.rest()  # 10 s later: the 503s are over, one 502 is left
    assert {(await rest(session, live_server, "GET", "/api/v3/account", keys=trader))[0] for _ in range(5)} == {200}
    assert (await rest(session, live_server, "GET", "/api/v3/openOrders", keys=trader))[0] == 502
    status, orders = await rest(session, live_server, "GET", "/api/v3/openOrders", keys=trader)
    assert status == 200 and len(orders) == 1


async def test_clock_skew_scenario_fails_a_client_that_never_resyncs(live_server, session):
    play = Stepper(live_server, "clock-skew")
    keys = live_server.call(lambda: live_server.sim.keys.get("demo-api-key"))
    own_clock = live_server.sim.clock.now_ms  # the client's clock: true time, never corrected

    async def account(**kwargs) -> tuple[int, Any]:
        return await rest(session, live_server, "GET", "/api/v3/account", keys=keys, **kwargs)

    play.step("expect")
    play.step("fault")  # the server is 3 s ahead
    play.step("expect")
    status, body = await account(timestamp=own_clock(), recvWindow=2000)
    assert (status, body["code"]) == (400, -1021)
    play.step("fault")  # now 2 s behind
    play.step("expect")
    status, body = await account(timestamp=own_clock())
    assert (status, body["code"], body["msg"]) == \
        (400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    assert (await account())[0] == 200  # a client that resyncs from /time is fine
    play.rest()  # skews cleared
    assert (await account(timestamp=own_clock(), recvWindow=2000))[0] == 200


async def test_fill_during_cancel_scenario_through_a_rest_cancel(live_server, session):
    play = Stepper(live_server, "fill-during-cancel")
    play.step("place")
    play.step("take")
    play.step("fault")
    play.skip("cancel")  # the trader's own REST cancel instead of the control plane's
    status, body = await rest(session, live_server, "DELETE", "/api/v3/order", keys=play.keys("trader"),
                              symbol="BTCUSDT", orderId=play.player.orders["sell"])
    assert (status, body) == (400, {"code": -2011, "msg": "Unknown order sent."})
    play.rest()  # FILLED, the fault spent once, nothing canceled, invariants hold


async def test_halted_symbol_scenario(live_server, session):
    play = Stepper(live_server, "halted-symbol")
    trader = play.keys("trader")
    order = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "60000"}
    play.step("fault")
    status, info = await rest(session, live_server, "GET", "/api/v3/exchangeInfo")
    assert {s["symbol"]: s["status"] for s in info["symbols"]} == {"BTCUSDT": "HALT", "ETHUSDT": "TRADING"}
    assert await rest(session, live_server, "POST", "/api/v3/order", keys=trader, symbol="BTCUSDT", **order) == \
        (400, {"code": -2010, "msg": "Market is closed."})
    play.rest()  # cleared: trading again
    assert (await rest(session, live_server, "POST", "/api/v3/order", keys=trader, symbol="BTCUSDT", **order))[0] \
        == 200


async def test_rate_limit_429_storm_scenario(live_server, session):
    play = Stepper(live_server, "rate-limit-429-storm")
    play.step("expect")
    play.step("fault")
    async with session.get(f"{live_server.base_url}/api/v3/time") as response:
        assert response.status == 429 and response.headers["Retry-After"] == "10"
        assert (await response.json())["code"] == -1003
    play.step("expect")
    play.step("advance")
    async with session.get(f"{live_server.base_url}/api/v3/time") as response:
        assert response.status == 429 and response.headers["Retry-After"] == "5"
    play.rest()
    assert (await rest(session, live_server, "GET", "/api/v3/time"))[0] == 200
