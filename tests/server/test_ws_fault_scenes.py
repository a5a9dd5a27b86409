"""The WebSocket faults the scenario scenes need, on the wire: depth faults on the diffs a connection receives
(bounded reorder holds, counts per delivered diff, nothing held after a clear), user data events duplicated,
reordered or dropped by event type and execution type (listenKey streams and WebSocket API subscriptions), and
the connection lifecycle (forced disconnect at a maximum age, listenKeys lapsing without keepalives, connection
attempts refused during a reconnect storm).

Every wait has a timeout; time-driven effects move the simulator's (frozen) clock and wait for hub passes."""
from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import aiohttp
import pytest

from simulator.control.faults import FaultSpecError, validate_spec
from simulator.dialects.binance.streams.faults import REORDER_HOLD_MS
from simulator.dialects.binance.streams.hub import STREAM_HUB
from simulator.dialects.binance.streams.policing import LIFETIME_REASON
from simulator.dialects.binance.wire import auth
from tests.live_server import LiveServer
from tests.server.rest_helpers import DEMO_SECRET
from tests.server.test_ws_api import signed
from tests.server.test_ws_faults import add, assert_silent, clear, hub_passes
from tests.server.ws_helpers import assert_closed, connect, recv_json, request, wait_for

DIFF = "btcusdt@depth@100ms"


def advance(server, ms: int) -> None:
    server.call(lambda: server.sim.clock.advance(ms))


def is_diff(message) -> bool:
    return isinstance(message, dict) and message.get("e") == "depthUpdate"


async def diff(ws) -> dict:
    return await wait_for(ws, is_diff)


# --- depth faults on delivered diffs --------------------------------------------------------------------------
async def test_a_reordered_diff_with_nothing_behind_it_is_released_after_a_bounded_hold(server, session, traders):
    maker, _ = traders
    ws = await connect(session, f"{server.ws_url}/ws/{DIFF}")
    await hub_passes(server)
    fault = add(server, kind="ws_reorder", stream=DIFF, count=1)
    server.place(maker, "SELL", "61000", "0.1")  # one change, one diff: held, and nothing comes behind it
    await hub_passes(server, 3)
    assert fault.remaining == 0 and server.call(lambda: len(next(iter(server.hub.connections)).held)) == 1
    await assert_silent(ws, 0.3)
    advance(server, REORDER_HOLD_MS)
    held = await diff(ws)  # released on the next hub pass, on the simulator's clock
    assert held["a"] == [["61000.00000000", "0.10000000"]]
    server.place(maker, "SELL", "61001", "0.1")
    assert (await diff(ws))["U"] == held["u"] + 1  # nothing armed any more: in order, no gap
    await ws.close()


async def test_merged_changes_are_one_delivered_diff_and_consume_one_count(server, session, traders):
    maker, _ = traders
    ws = await connect(session, f"{server.ws_url}/ws/{DIFF}")
    await hub_passes(server)

    engine = server.sim.engine

    def three_changes(first: int):  # back to back on the server's thread, within one interval: one merged diff
        inst = engine.instruments["BTCUSDT"]
        for price in (first, first + 1, first + 2):
            engine.place_order(maker, "BTCUSDT", "SELL", "LIMIT", qty=inst.parse_qty("0.1"),
                               price=inst.parse_price(str(price)), tif="GTC")

    fault = add(server, kind="ws_duplicate", stream=DIFF, count=1)
    server.call(three_changes, 61000)
    first, second = await diff(ws), await diff(ws)
    assert first == second and len(first["a"]) == 3 and fault.remaining == 0
    server.place(maker, "SELL", "61003", "0.1")
    after = await diff(ws)
    assert after["U"] == first["u"] + 1
    gap = add(server, kind="depth_gap", stream=DIFF, count=1)
    server.call(three_changes, 61100)  # one merged diff dropped: the whole merge, and only it
    await hub_passes(server, 3)
    assert gap.remaining == 0
    server.place(maker, "SELL", "62000", "0.1")
    jumped = await diff(ws)
    assert jumped["U"] == after["u"] + 3 + 1 and jumped["a"] == [["62000.00000000", "0.10000000"]]
    await ws.close()


async def test_clearing_releases_what_reorder_holds_and_leaves_nothing_armed(server, session, traders):
    maker, _ = traders
    ws = await connect(session, f"{server.ws_url}/ws/{DIFF}")
    await hub_passes(server)
    add(server, kind="ws_reorder", stream=DIFF)
    server.place(maker, "SELL", "61000", "0.1")
    await hub_passes(server, 3)
    clear(server)
    held = await diff(ws)
    assert held["a"] == [["61000.00000000", "0.10000000"]]
    assert server.call(lambda: server.sim.faults.kinds) == frozenset()
    server.place(maker, "SELL", "61001", "0.1")
    assert (await diff(ws))["U"] == held["u"] + 1
    await ws.close()


# --- user data events --------------------------------------------------------------------------------------
async def reports(ws, n: int) -> list[dict]:
    return [await wait_for(ws, lambda m: isinstance(m, dict) and m.get("e") == "executionReport")
            for _ in range(n)]


async def test_trade_before_new_by_holding_the_new_report_until_the_next_execution_report(
        server, session, alice, bob):
    ws = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    add(server, kind="ws_reorder", accountId=alice, event="executionReport", execType="NEW", count=1)
    order = server.place(alice, "SELL", "60000", "0.5").order
    position = await recv_json(ws)  # an account update does not release the held NEW
    assert position["e"] == "outboundAccountPosition"
    server.place(bob, "BUY", "60000", "0.2")
    trade, new = await recv_json(ws), await recv_json(ws)
    assert (trade["x"], trade["i"]) == ("TRADE", order.order_id)
    assert (new["x"], new["i"]) == ("NEW", order.order_id)
    assert (await recv_json(ws))["e"] == "outboundAccountPosition"
    await ws.close()


async def test_a_missing_trade_report_and_a_duplicated_account_update(server, session, alice, bob):
    ws = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    dropped = add(server, kind="ws_drop", accountId=alice, event="executionReport", execType="TRADE", count=1)
    doubled = add(server, kind="ws_duplicate", accountId=alice, event="outboundAccountPosition", count=1)
    server.place(alice, "SELL", "60000", "0.5")
    new, position, again = [await recv_json(ws) for _ in range(3)]
    assert new["x"] == "NEW" and position == again and position["e"] == "outboundAccountPosition"
    server.place(bob, "BUY", "60000", "0.2")  # alice's TRADE report is lost; her account update is not
    assert (await recv_json(ws))["e"] == "outboundAccountPosition"
    assert dropped.remaining == 0 and doubled.remaining == 0
    server.place(bob, "BUY", "60000", "0.1")
    fill = await recv_json(ws)
    assert (fill["x"], fill["z"]) == ("TRADE", "0.30000000")  # the cumulative quantity shows what went missing
    await ws.close()


async def test_user_data_faults_reach_websocket_api_subscriptions(server, session, bob):
    api = await connect(session, f"{server.ws_url}/ws-api/v3")
    reply = await request(api, {"id": "s", "method": "userDataStream.subscribe.signature", "params": signed(server)})
    assert reply["status"] == 200
    demo = server.call(lambda: server.sim.keys.get("demo-api-key").account_id)
    add(server, kind="ws_drop", accountId=demo, event="executionReport", execType="NEW", count=1)
    server.place(demo, "SELL", "60000", "0.01")
    first = await recv_json(api)
    assert first["event"]["e"] == "outboundAccountPosition"  # its NEW report never came
    await api.close()


def test_user_data_filters_are_validated():
    with pytest.raises(FaultSpecError, match="execType"):
        validate_spec({"kind": "ws_drop", "event": "outboundAccountPosition", "execType": "TRADE"})
    with pytest.raises(FaultSpecError, match="event"):
        validate_spec({"kind": "ws_duplicate", "event": "executionreport"})
    with pytest.raises(FaultSpecError, match="execType"):
        validate_spec({"kind": "ws_reorder", "execType": "FILL"})


# --- connection lifecycle ------------------------------------------------------------------------------------
async def test_connections_older_than_the_max_age_are_closed_by_the_server(server, session):
    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    add(server, kind="ws_lifetime", ms=10_000)
    advance(server, 9_999)
    await hub_passes(server, 3)
    reply = await request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1})
    assert reply["result"] == ["btcusdt@trade"]
    advance(server, 1)
    closed = await assert_closed(ws)
    assert (closed.data, closed.extra) == (aiohttp.WSCloseCode.GOING_AWAY, LIFETIME_REASON)
    young = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")  # its own age counts from now
    await hub_passes(server, 3)
    assert "result" in await request(young, {"method": "LIST_SUBSCRIPTIONS", "id": 2})
    await young.close()


async def test_a_reconnect_storm_is_refused_while_a_client_that_backs_off_gets_in(server, session):
    add(server, kind="ws_connect_limit", limit=3, windowMs=10_000)
    sockets = [await connect(session, f"{server.ws_url}/ws/btcusdt@trade") for _ in range(3)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(session, f"{server.ws_url}/ws-api/v3")
    assert refused.value.status == 429
    async with session.get(f"{server.base_url}/ws/btcusdt@trade",
                           headers={"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                                    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}) as answer:
        assert answer.status == 429 and answer.headers["Retry-After"] == "10"
        assert (await answer.json())["code"] == -1003
    for ws in sockets:
        await ws.close()
    advance(server, 10_000)  # backing off for the window: admitted again
    for _ in range(3):
        ws = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
        await ws.close()
        advance(server, 4_000)  # one connection every 4 s stays within 3 per 10 s


@pytest.fixture
def full_server(sim):
    server = LiveServer(sim).start()
    server.call(lambda: setattr(server.app[STREAM_HUB].settings, "sweep_interval_s", 0.1))
    yield server
    server.stop()


async def test_a_listen_key_lapses_without_keepalives_and_lives_with_them(full_server, session):
    server = full_server
    keeper_key = server.call(lambda: server.sim.create_account("keeper", balances={}).key)
    headers = {"X-MBX-APIKEY": "demo-api-key"}
    add(server, kind="listen_key_ttl", ms=5_000)

    async def post(api_key: str) -> str:
        async with session.post(f"{server.base_url}/api/v3/userDataStream",
                                headers={"X-MBX-APIKEY": api_key}) as answer:
            return (await answer.json())["listenKey"]

    lapsing, kept = await post("demo-api-key"), await post(keeper_key)
    ws_lapsing = await connect(session, f"{server.ws_url}/ws/{lapsing}")
    ws_kept = await connect(session, f"{server.ws_url}/ws/{kept}")
    for _ in range(3):  # the keeper sends a keepalive every 3 s; the other never does
        advance(server, 3_000)
        async with session.put(f"{server.base_url}/api/v3/userDataStream?{urlencode({'listenKey': kept})}",
                               headers={"X-MBX-APIKEY": keeper_key}) as answer:
            assert answer.status == 200
    expired = await wait_for(ws_lapsing, lambda m: isinstance(m, dict) and m.get("e") == "listenKeyExpired")
    assert expired["listenKey"] == lapsing
    async with session.put(f"{server.base_url}/api/v3/userDataStream?{urlencode({'listenKey': lapsing})}",
                           headers=headers) as answer:
        assert answer.status == 400  # gone: the client must create a new one
    assert server.call(lambda: server.sim.wire.listen_keys.account_of(kept, server.sim.clock.now_ms())) is not None
    await assert_silent(ws_kept, 0.3)  # no listenKeyExpired for the key kept alive
    for ws in (ws_lapsing, ws_kept):
        await ws.close()


async def test_the_listen_key_lifetime_returns_when_the_fault_ends(full_server, session):
    server = full_server
    fault = add(server, kind="listen_key_ttl", ms=5_000, durationMs=4_000)
    async with session.post(f"{server.base_url}/api/v3/userDataStream",
                            headers={"X-MBX-APIKEY": "demo-api-key"}) as answer:
        key = (await answer.json())["listenKey"]
    advance(server, 4_000)
    server.call(lambda: server.sim.faults.tick())
    assert fault.state(server.call(lambda: server.sim.clock.now_ms())) == "expired"
    advance(server, 10_000)  # past the short lifetime: the key now lives its configured hour
    assert server.call(lambda: server.sim.wire.listen_keys.account_of(key, server.sim.clock.now_ms())) is not None


async def test_an_event_between_a_keys_expiry_and_the_sweep_does_not_lose_listen_key_expired(server, session, alice):
    server.hub.settings.sweep_interval_s = 3600  # the test sweeps by hand
    add(server, kind="listen_key_ttl", ms=1_000)
    key = server.listen_key(alice)
    ws = await connect(session, f"{server.ws_url}/ws/{key}")
    advance(server, 1_000)  # expired, not yet swept
    server.place(alice, "BUY", "50000", "0.01")  # its events must not reach the expired key...
    server.call(server.hub.user.sweep_listen_keys)
    expired = await recv_json(ws)  # ...and the sweep still tells the client
    assert expired == {"e": "listenKeyExpired", "E": expired["E"], "listenKey": key}
    await ws.close()


async def test_a_first_hit_window_starts_with_the_subjects_connection(server, session):
    spec = {"kind": "halt", "symbol": "BTCUSDT", "durationMs": 2_000, "window": "firstHit", "stream": "btcusdt@*"}
    fault = server.call(server.sim.faults.add, spec)
    status = lambda: server.call(lambda: server.sim.engine.instruments["BTCUSDT"].status)  # noqa: E731
    assert status() == "HALT"
    advance(server, 10_000)
    other = await connect(session, f"{server.ws_url}/ws/ethusdt@trade")  # not its target
    await hub_passes(server)
    assert fault.first_hit_at is None and status() == "HALT"
    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    await hub_passes(server)
    assert fault.first_hit_at == server.call(server.sim.clock.now_ms)
    advance(server, 2_000)
    server.call(server.sim.faults.tick)
    assert status() == "TRADING"
    for socket in (other, ws):
        await socket.close()


async def test_a_dropped_listen_key_expired_leaves_a_silent_dead_stream(server, session, alice):
    server.hub.settings.sweep_interval_s = 3600  # the test sweeps by hand
    key = server.listen_key(alice)
    ws = await connect(session, f"{server.ws_url}/ws/{key}")
    dropped = add(server, kind="ws_drop", event="listenKeyExpired", count=1)
    add(server, kind="listen_key_expire", accountId=alice)
    server.call(server.hub.user.sweep_listen_keys)
    assert dropped.remaining == 0
    server.place(alice, "BUY", "50000", "0.01")
    await assert_silent(ws, 0.3)  # nothing more on the expired key, and its notice was lost
    await ws.close()


async def test_a_first_hit_window_on_an_account_starts_when_its_user_stream_is_subscribed(server, session, alice):
    fault = add(server, kind="clock_skew", ms=1_000, accountId=alice, durationMs=1_000, window="firstHit")
    ws = await connect(session, f"{server.ws_url}/ws")
    advance(server, 5_000)
    assert fault.first_hit_at is None
    reply = await request(ws, {"method": "SUBSCRIBE", "params": [server.listen_key(alice)], "id": 1})
    assert reply == {"result": None, "id": 1}
    await hub_passes(server)
    assert fault.first_hit_at == server.call(server.sim.clock.now_ms)
    await ws.close()


async def test_the_execution_report_arrives_before_the_rest_answer(full_server, session):
    server = full_server
    async with session.post(f"{server.base_url}/api/v3/userDataStream",
                            headers={"X-MBX-APIKEY": "demo-api-key"}) as answer:
        key = (await answer.json())["listenKey"]
    ws = await connect(session, f"{server.ws_url}/ws/{key}")
    add(server, kind="http_latency", ms=1_500, phase="after", endpoint="POST /api/v3/order", count=1)
    query = urlencode({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                       "quantity": "0.001", "price": "50000", "newClientOrderId": "racing",
                       "timestamp": server.call(server.sim.clock.server_time_ms)})
    signed_query = f"{query}&signature={auth.sign(DEMO_SECRET, query)}"
    answer_task = asyncio.ensure_future(session.post(f"{server.base_url}/api/v3/order?{signed_query}",
                                                     headers={"X-MBX-APIKEY": "demo-api-key"}))
    report = await wait_for(ws, lambda m: isinstance(m, dict) and m.get("e") == "executionReport")
    assert (report["x"], report["c"]) == ("NEW", "racing")
    assert not answer_task.done()  # the order is live and streamed; its answer is still on its way
    answer = await asyncio.wait_for(answer_task, 10)
    assert answer.status == 200 and (await answer.json())["orderId"] == report["i"]
    answer.release()
    await ws.close()
