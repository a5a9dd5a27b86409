"""The control plane's WebSocket faults on the wire (simulator.control.faults WIRING, ws_faults.py): each kind
seen by a real aiohttp client, and normal service once the fault is cleared (or spent).

Silence is proven by a short client-side receive timeout; everything else waits for frames or for the hub's
100 ms passes with timeouts, never by sleeping.
"""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from tests.server.test_ws_api import signed
from tests.server.ws_helpers import TIMEOUT, assert_closed, connect, recv_json, request, wait_for

QUIET_S = 0.5  # how long a silent connection must stay silent (five hub passes)


def add(server, **spec):
    return server.call(server.sim.faults.add, spec)


def clear(server, fault=None):
    return server.call(server.sim.faults.clear, fault.fault_id if fault is not None else None)


async def hub_passes(server, n: int = 2) -> None:
    """Wait until the hub has completed `n` more 100 ms passes (ws_close, reorder releases, depth flushes)."""
    start = server.call(lambda: server.hub.passes)

    async def poll():
        while server.call(lambda: server.hub.passes) < start + n:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), TIMEOUT)


async def assert_silent(ws: aiohttp.ClientWebSocketResponse, seconds: float = QUIET_S) -> None:
    """Nothing at all arrives (not a data frame, not a ping or pong, not a close) and the connection stays up."""
    with pytest.raises(asyncio.TimeoutError):
        msg = await ws.receive(timeout=seconds)
        raise AssertionError(f"expected silence, got {msg.type} {msg.data!r}")
    assert not ws.closed


async def wait_for_frame(ws, frame_type):
    """The next frame of that type (text frames before it are skipped)."""
    async def scan():
        while True:
            msg = await ws.receive()
            if msg.type is frame_type:
                return msg
            assert msg.type is aiohttp.WSMsgType.TEXT, msg
    return await asyncio.wait_for(scan(), TIMEOUT)


def trade(server, maker: int, taker: int, price: str = "60000", qty: str = "0.1", symbol: str = "BTCUSDT") -> int:
    """One public trade (the taker buys); its trade id."""
    server.place(maker, "SELL", price, qty, symbol=symbol)
    return server.place(taker, "BUY", price, qty, symbol=symbol).trades[0].trade_id


async def trades(ws, n: int) -> list[int]:
    return [(await wait_for(ws, lambda m: isinstance(m, dict) and m.get("e") == "trade"))["t"] for _ in range(n)]


async def still_served(ws, request_id: int = 99) -> None:
    reply = await request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": request_id})
    assert "result" in reply


# --- ws_close ------------------------------------------------------------------------------------------------
async def test_ws_close_all_closes_every_kind_of_connection_now(server, session, traders):
    maker, _ = traders
    market = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    user = await connect(session, f"{server.ws_url}/ws/{server.listen_key(maker)}")
    api = await connect(session, f"{server.ws_url}/ws-api/v3")
    bare = await connect(session, f"{server.ws_url}/ws")
    await still_served(bare)
    fault = add(server, kind="ws_close")
    for ws in (market, user, api, bare):
        closed = await assert_closed(ws)
        assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == aiohttp.WSCloseCode.GOING_AWAY
    assert server.call(lambda: len(server.hub.connections)) == 0
    # while it lives, a reconnect is closed again; cleared, connections stay
    again = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    assert (await assert_closed(again)).type is aiohttp.WSMsgType.CLOSE
    assert fault.hits == 2  # one per hub pass that closed something: the four at once, then the reconnect
    clear(server)
    fresh = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    await hub_passes(server, 3)
    await still_served(fresh)
    await fresh.close()


async def test_ws_close_per_stream_spares_other_streams_and_user_data(server, session, traders):
    maker, taker = traders
    btc = await connect(session, f"{server.ws_url}/stream?streams=btcusdt@trade/btcusdt@depth")
    eth = await connect(session, f"{server.ws_url}/ws/ethusdt@trade")
    user = await connect(session, f"{server.ws_url}/ws/{server.listen_key(maker)}")
    add(server, kind="ws_close", scope="stream", stream="btcusdt@*", count=1)
    assert (await assert_closed(btc)).data == aiohttp.WSCloseCode.GOING_AWAY
    await hub_passes(server, 3)
    for i, ws in enumerate((eth, user)):
        await still_served(ws, i)
    # the count is spent: a new btcusdt connection is served normally
    btc = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    await hub_passes(server, 3)
    trade_id = trade(server, maker, taker)
    assert await trades(btc, 1) == [trade_id]
    for ws in (btc, eth, user):
        await ws.close()


async def test_ws_close_with_count_1_closes_every_socket_it_targets_in_one_pass(server, session, traders):
    sockets = [await connect(session, f"{server.ws_url}/ws/btcusdt@trade"),
               await connect(session, f"{server.ws_url}/stream?streams=btcusdt@trade/btcusdt@depth"),
               await connect(session, f"{server.ws_url}/ws/btcusdt@depth@100ms")]
    eth = await connect(session, f"{server.ws_url}/ws/ethusdt@trade")
    fault = add(server, kind="ws_close", stream="btcusdt@*", count=1)
    for ws in sockets:
        assert (await assert_closed(ws)).data == aiohttp.WSCloseCode.GOING_AWAY
    assert fault.hits == 1 and fault.remaining == 0
    await hub_passes(server, 3)
    await still_served(eth)
    again = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")  # the count is spent
    await hub_passes(server, 3)
    await still_served(again, 2)
    for ws in (eth, again):
        await ws.close()


async def test_ws_close_per_listen_key_closes_user_data_connections_only(server, session, traders):
    alice, bob = traders
    alice_key = server.listen_key(alice)
    alice_stream = await connect(session, f"{server.ws_url}/ws/{alice_key}")
    bob_stream = await connect(session, f"{server.ws_url}/ws/{server.listen_key(bob)}")
    market = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    by_key = add(server, kind="ws_close", scope="listenKey", stream=alice_key)
    assert (await assert_closed(alice_stream)).data == aiohttp.WSCloseCode.GOING_AWAY
    await hub_passes(server, 3)
    await still_served(bob_stream, 1)
    await still_served(market, 2)
    clear(server, by_key)
    # by account: a WebSocket API user data subscription is a user data connection too
    api = await connect(session, f"{server.ws_url}/ws-api/v3")
    reply = await request(api, {"id": "s", "method": "userDataStream.subscribe.signature",
                                "params": signed(server)})
    assert reply["status"] == 200
    demo = server.call(lambda: server.sim.keys.get("demo-api-key").account_id)
    add(server, kind="ws_close", scope="listenKey", accountId=demo)
    assert (await assert_closed(api)).data == aiohttp.WSCloseCode.GOING_AWAY
    await still_served(bob_stream, 3)
    await still_served(market, 4)
    for ws in (bob_stream, market):
        await ws.close()


# --- ws_silence ----------------------------------------------------------------------------------------------
async def test_ws_silence_sends_nothing_not_even_pongs_and_never_closes(server, session, traders):
    maker, _ = traders
    server.hub.settings.ping_interval_s = 0.2  # keepalive pings would show up within the quiet period
    silent = await connect(session, f"{server.ws_url}/ws/btcusdt@depth@100ms", autoping=False)
    other = await connect(session, f"{server.ws_url}/ws/ethusdt@depth@100ms", autoping=True)
    fault = add(server, kind="ws_silence", stream="btcusdt@*")
    start_id = server.book_update_id()
    server.place(maker, "BUY", "59000", "0.1")
    server.place(maker, "BUY", "3000", "0.1", symbol="ETHUSDT")
    await silent.ping(b"anyone there?")
    await silent.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))
    assert (await wait_for(other, lambda m: m.get("e") == "depthUpdate"))["s"] == "ETHUSDT"  # others are served
    await assert_silent(silent)
    assert server.call(lambda: len(server.hub.connections)) == 2  # still open on the server too
    assert fault.hits > 0
    clear(server)
    await silent.ping(b"back")
    msg = await asyncio.wait_for(silent.receive(), TIMEOUT)
    assert (msg.type, msg.data) == (aiohttp.WSMsgType.PONG, b"back")  # the first ping was never answered
    assert await request(silent, {"method": "LIST_SUBSCRIPTIONS", "id": 2}) == \
        {"result": ["btcusdt@depth@100ms"], "id": 2}
    server.place(maker, "BUY", "59001", "0.1")
    diff = await wait_for(silent, lambda m: isinstance(m, dict) and m.get("e") == "depthUpdate")
    assert diff["U"] == start_id + 2  # what was dropped during the silence is not replayed
    msg = await wait_for_frame(silent, aiohttp.WSMsgType.PING)  # and keepalive pings are back
    await silent.pong(msg.data)
    await silent.close()
    await other.close()


async def test_ws_silence_by_account_silences_that_accounts_user_data(server, session, traders):
    alice, bob = traders
    alice_ws = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    bob_ws = await connect(session, f"{server.ws_url}/ws/{server.listen_key(bob)}")
    add(server, kind="ws_silence", accountId=alice)
    server.call(server.sim.engine.deposit, alice, "BTC", 1)
    server.call(server.sim.engine.deposit, bob, "BTC", 1)
    assert (await recv_json(bob_ws))["e"] == "balanceUpdate"
    await assert_silent(alice_ws)
    clear(server)
    server.call(server.sim.engine.deposit, alice, "BTC", 2)
    update = await recv_json(alice_ws)
    assert (update["e"], update["d"]) == ("balanceUpdate", "0.00000002")
    await alice_ws.close()
    await bob_ws.close()


# --- ws_delay ------------------------------------------------------------------------------------------------
async def test_ws_delay_holds_messages_back_in_order(server, session, traders):
    maker, taker = traders
    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    add(server, kind="ws_delay", ms=1500, stream="btcusdt@trade")
    loop = asyncio.get_running_loop()
    start = loop.time()
    first = trade(server, maker, taker)
    await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))  # queued behind the delayed trade
    got = await recv_json(ws)
    assert got["t"] == first and loop.time() - start >= 1.5
    assert await recv_json(ws) == {"result": ["btcusdt@trade"], "id": 1}  # latency, not reordering
    clear(server)
    start = loop.time()
    second = trade(server, maker, taker)
    assert (await recv_json(ws))["t"] == second and loop.time() - start < 1.0
    await ws.close()


# --- ws_duplicate --------------------------------------------------------------------------------------------
async def test_ws_duplicate_sends_messages_twice_until_spent(server, session, traders):
    maker, taker = traders
    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    fault = add(server, kind="ws_duplicate", stream="btcusdt@trade", count=2)
    ids = [trade(server, maker, taker) for _ in range(3)]
    assert await trades(ws, 5) == [ids[0], ids[0], ids[1], ids[1], ids[2]]
    assert fault.remaining == 0
    assert await request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == {"result": ["btcusdt@trade"], "id": 1}


async def test_ws_duplicate_until_cleared_then_once(server, session, traders):
    maker, taker = traders
    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    add(server, kind="ws_duplicate")
    await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))
    assert [await recv_json(ws) for _ in range(2)] == [{"result": ["btcusdt@trade"], "id": 1}] * 2
    clear(server)
    tid = trade(server, maker, taker)
    await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 2}))
    assert (await recv_json(ws))["t"] == tid
    assert await recv_json(ws) == {"result": ["btcusdt@trade"], "id": 2}  # the trade came once
    await ws.close()


# --- ws_reorder ----------------------------------------------------------------------------------------------
async def test_ws_reorder_swaps_adjacent_messages_of_a_stream(server, session, traders):
    maker, taker = traders
    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    fault = add(server, kind="ws_reorder", stream="btcusdt@trade")
    ids = [trade(server, maker, taker) for _ in range(4)]
    assert await trades(ws, 4) == [ids[1], ids[0], ids[3], ids[2]]
    # a message held when the fault is cleared is released by the hub's next pass
    held = trade(server, maker, taker)
    assert fault.hits == 3
    clear(server)
    assert await trades(ws, 1) == [held]
    ids = [trade(server, maker, taker) for _ in range(2)]
    assert await trades(ws, 2) == ids
    await ws.close()


async def test_ws_reorder_with_a_count_swaps_that_many_pairs(server, session, traders):
    maker, taker = traders
    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    add(server, kind="ws_reorder", count=1)
    ids = [trade(server, maker, taker) for _ in range(4)]
    assert await trades(ws, 4) == [ids[1], ids[0], ids[2], ids[3]]
    await ws.close()


# --- depth_gap -----------------------------------------------------------------------------------------------
def _diff(m) -> bool:
    return isinstance(m, dict) and m.get("e") == "depthUpdate"


async def test_depth_gap_drops_one_diff_so_update_ids_jump(server, session, traders):
    maker, _ = traders
    btc = await connect(session, f"{server.ws_url}/ws/btcusdt@depth@100ms")
    eth = await connect(session, f"{server.ws_url}/ws/ethusdt@depth@100ms")
    server.place(maker, "BUY", "59000", "0.1")
    first = await wait_for(btc, _diff)
    fault = add(server, kind="depth_gap", symbol="BTCUSDT", count=1)
    server.place(maker, "BUY", "59001", "0.1")  # its diff is dropped
    server.place(maker, "BUY", "3000", "0.1", symbol="ETHUSDT")
    await hub_passes(server)
    assert fault.remaining == 0
    server.place(maker, "BUY", "59002", "0.1")
    after_gap = await wait_for(btc, _diff)
    assert after_gap["U"] == first["u"] + 2 > first["u"] + 1  # the gap a connector must detect
    server.place(maker, "BUY", "59003", "0.1")
    assert (await wait_for(btc, _diff))["U"] == after_gap["u"] + 1  # spent: contiguous again
    assert (await wait_for(eth, _diff))["s"] == "ETHUSDT"  # another symbol never had a gap
    await btc.close()
    await eth.close()


async def test_depth_gap_until_cleared(server, session, traders):
    maker, _ = traders
    ws = await connect(session, f"{server.ws_url}/stream?streams=btcusdt@depth@100ms/btcusdt@trade")
    start_id = server.book_update_id()
    add(server, kind="depth_gap", stream="btcusdt@depth*")
    for i in range(3):
        server.place(maker, "BUY", str(59000 + i), "0.1")
        await hub_passes(server)
    await assert_silent(ws, 0.3)  # every diff dropped (and nothing else was due)
    clear(server)
    server.place(maker, "BUY", "59100", "0.1")
    diff = (await wait_for(ws, lambda m: m.get("stream") == "btcusdt@depth@100ms"))["data"]
    assert diff["U"] == start_id + 4  # three update ids never seen
    server.place(maker, "BUY", "59101", "0.1")
    assert (await wait_for(ws, lambda m: m.get("stream") == "btcusdt@depth@100ms"))["data"]["U"] == diff["u"] + 1
    await ws.close()


# --- listen_key_expire ---------------------------------------------------------------------------------------
async def test_listen_key_expire_ends_the_stream_now(server, session, traders):
    alice, _ = traders
    server.hub.settings.sweep_interval_s = 0.1
    key = server.listen_key(alice)
    ws = await connect(session, f"{server.ws_url}/ws/{key}")
    add(server, kind="listen_key_expire", accountId=alice)
    expired = await wait_for(ws, lambda m: m.get("e") == "listenKeyExpired")
    assert expired["listenKey"] == key
    server.call(server.sim.engine.deposit, alice, "BTC", 1)
    assert await request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == {"result": [], "id": 1}  # no event
    # the one-shot is spent: a new key streams normally
    fresh = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    server.call(server.sim.engine.deposit, alice, "BTC", 1)
    assert (await recv_json(fresh))["e"] == "balanceUpdate"
    await ws.close()
    await fresh.close()


# --- no faults, no cost --------------------------------------------------------------------------------------
def test_an_empty_registry_is_one_truth_test(sim):
    assert not sim.faults.kinds
    fault = sim.faults.add({"kind": "ws_delay", "ms": 5})
    assert sim.faults.kinds == {"ws_delay"}
    sim.faults.clear(fault.fault_id)
    assert not sim.faults.kinds


async def test_a_reset_drops_the_faults_and_their_connections(server, session, traders):
    maker, taker = traders
    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    add(server, kind="ws_silence")
    server.call(server.sim.reset)  # the hub's on_swap callback closes every connection
    closed = await assert_closed(ws)
    assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == aiohttp.WSCloseCode.SERVICE_RESTART
    assert not server.call(lambda: server.sim.faults.kinds)
    fresh = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    await still_served(fresh)
    await fresh.close()
