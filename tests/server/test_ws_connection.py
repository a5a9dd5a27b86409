"""Connection policing: keepalive pings, the incoming message limit, the 24 h lifetime, slow consumers."""
from __future__ import annotations

import asyncio
import json

import aiohttp

from simulator.config import WebSocketConfig
from simulator.core import Simulator
from simulator.dialects.binance.streams.policing import StreamSettings
from tests.conftest import quiet_config
from tests.server.ws_helpers import TIMEOUT, assert_closed, connect, recv_json, request


def test_settings_come_from_the_config():
    config = quiet_config(websocket=WebSocketConfig(max_lifetime_s=7, ping_interval_s=3, max_incoming_per_s=9))
    settings = StreamSettings.from_config(Simulator(config))
    assert (settings.max_lifetime_ms, settings.ping_interval_s, settings.pong_timeout_s,
            settings.max_incoming_per_s) == (7000, 3, 9, 9)


async def test_server_pings_and_a_silent_client_is_dropped(server, session):
    server.hub.settings.ping_interval_s = 0.3
    server.hub.settings.pong_timeout_s = 0.7
    answering = await connect(session, f"{server.ws_url}/ws", autoping=True)
    reply = asyncio.create_task(answering.receive())  # aiohttp pongs while it waits for a data frame
    silent = await connect(session, f"{server.ws_url}/ws", autoping=False)
    msg = await asyncio.wait_for(silent.receive(), TIMEOUT)
    assert msg.type is aiohttp.WSMsgType.PING
    closed = await assert_closed(silent)
    assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == aiohttp.WSCloseCode.POLICY_VIOLATION
    # the client that answered is still served
    await answering.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))
    msg = await asyncio.wait_for(reply, TIMEOUT)
    assert json.loads(msg.data) == {"result": [], "id": 1}
    await answering.close()


async def test_client_pings_are_answered(server, session):
    ws = await connect(session, f"{server.ws_url}/ws", autoping=False)
    await ws.ping(b"hello")
    msg = await asyncio.wait_for(ws.receive(), TIMEOUT)
    assert (msg.type, msg.data) == (aiohttp.WSMsgType.PONG, b"hello")
    await ws.close()


async def test_too_many_incoming_messages_drop_the_connection(server, session):
    limit = server.hub.settings.max_incoming_per_s
    ws = await connect(session, f"{server.ws_url}/ws")
    for i in range(limit + 1):
        await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}))
    replies = []
    while True:
        msg = await asyncio.wait_for(ws.receive(), TIMEOUT)
        if msg.type is not aiohttp.WSMsgType.TEXT:
            break
        replies.append(json.loads(msg.data)["id"])
    assert replies == list(range(limit))
    assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == aiohttp.WSCloseCode.POLICY_VIOLATION


async def test_the_ws_api_has_no_message_limit(server, session):
    ws = await connect(session, f"{server.ws_url}/ws-api/v3")
    count = server.hub.settings.max_incoming_per_s * 2
    for i in range(count):
        await ws.send_str(json.dumps({"id": i, "method": "ping"}))
    assert [(await recv_json(ws))["id"] for _ in range(count)] == list(range(count))
    await ws.close()


async def test_connections_end_at_their_maximum_lifetime(server, session):
    market = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    api = await connect(session, f"{server.ws_url}/ws-api/v3")
    lifetime = server.hub.settings.max_lifetime_ms
    assert lifetime == 24 * 3600 * 1000
    server.call(server.sim.clock.advance, lifetime - 10_000)
    assert await request(market, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == \
        {"result": ["btcusdt@trade"], "id": 1}
    server.call(server.sim.clock.advance, 10_000)
    for ws in (market, api):
        closed = await assert_closed(ws)
        assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == aiohttp.WSCloseCode.GOING_AWAY
    # a new connection is fine
    fresh = await connect(session, f"{server.ws_url}/ws")
    assert await request(fresh, {"method": "LIST_SUBSCRIPTIONS", "id": 2}) == {"result": [], "id": 2}
    await fresh.close()


async def test_a_slow_consumer_is_dropped_without_stalling_the_engine(server, session):
    server.hub.settings.max_queue = 20
    maker = server.account("maker", USDT="1000000", BTC="100")
    slow = await connect(session, f"{server.ws_url}/ws/btcusdt@bookTicker")
    assert await request(slow, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == \
        {"result": ["btcusdt@bookTicker"], "id": 1}
    fast = await connect(session, f"{server.ws_url}/ws/btcusdt@depth@100ms")
    await request(fast, {"method": "LIST_SUBSCRIPTIONS", "id": 1})
    engine = server.sim.engine
    inst = engine.instruments["BTCUSDT"]

    def burst():  # 50 better bids in one synchronous step: the writer cannot drain in between
        for i in range(50):
            engine.place_order(maker, "BTCUSDT", "BUY", "LIMIT", qty=inst.parse_qty("0.01"),
                               price=inst.parse_price(str(50000 + i)), tif="GTC")
        return engine.books["BTCUSDT"].update_id

    last_id = server.call(burst)
    closed = await assert_closed(slow)
    assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == aiohttp.WSCloseCode.POLICY_VIOLATION
    diff = await recv_json(fast)
    assert diff["u"] == last_id and len(diff["b"]) == 50
    await fast.close()


async def test_a_simulator_reset_disconnects_everyone(server, session):
    market = await connect(session, f"{server.ws_url}/ws/btcusdt@depth@100ms")
    api = await connect(session, f"{server.ws_url}/ws-api/v3")
    assert await request(market, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == \
        {"result": ["btcusdt@depth@100ms"], "id": 1}
    server.call(server.sim.reset)
    for ws in (market, api):
        closed = await assert_closed(ws)
        assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == aiohttp.WSCloseCode.SERVICE_RESTART
    # the hub follows the new engine: a new connection gets the new book's diffs
    fresh = await connect(session, f"{server.ws_url}/ws/btcusdt@depth@100ms")
    await request(fresh, {"method": "LIST_SUBSCRIPTIONS", "id": 2})
    maker = server.account("maker", USDT="1000000")
    server.place(maker, "BUY", "50000", "0.1")
    diff = await recv_json(fresh)
    assert (diff["U"], diff["u"]) == (1, 1)
    await fresh.close()
