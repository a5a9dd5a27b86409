"""What the connector sends on a WebSocket is paced below Binance's per-connection limit (5 messages a second on
spot, 10 on USD-M, pings and pongs included): the throttler alone on an injected clock, then subscriptions sent
through a ReconnectingStream to a loopback server that notes when each arrives, and a pair added and removed at
run time."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from connector import constants as c
from connector.order_book import snapshot_message
from connector.order_book_data_source import OrderBookTrackerDataSource
from connector.order_book_tracker import OrderBookTracker
from connector.throttler import WsMessageThrottler
from connector.trading_rules import PairMap, parse_spot_rules
from connector.ws_connection import ReconnectingStream
from tests.connector.test_streams import _const, _noop, api, drain, server, wait_until  # noqa: F401 (fixtures)
from tests.connector.test_trading_rules import SPOT_INFO


class FakeTime:
    def __init__(self):
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def most_in_a_window(stamps, window):
    return max(sum(1 for t in stamps if start <= t < start + window) for start in stamps)


@pytest.mark.parametrize("market,capacity", [(c.SPOT, 4), (c.USDM, 9)])
async def test_no_second_holds_more_than_the_limit_less_headroom(market, capacity):
    clock = FakeTime()
    throttler = WsMessageThrottler(c.WS_MESSAGES_PER_S[market], clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(3 * capacity + 1):
        await throttler.acquire()
        sent.append(clock.now)
    assert throttler.capacity == capacity < c.WS_MESSAGES_PER_S[market]
    assert most_in_a_window(sent, WsMessageThrottler.WINDOW_S) == capacity
    assert sent[capacity - 1] == 100.0 and sent[capacity] == 101.25  # a full share goes out at once
    assert sent[-1] == 103.75  # and no slower than that


async def test_the_pace_frees_up_as_the_second_passes():
    clock = FakeTime()
    throttler = WsMessageThrottler(5, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        await throttler.acquire()
    clock.now += WsMessageThrottler.WINDOW_S
    await throttler.acquire()
    assert clock.slept == []


async def test_subscriptions_through_a_stream_arrive_below_the_limit(server, api):  # noqa: F811
    arrivals: list[tuple[float, dict]] = []
    loop = asyncio.get_running_loop()

    async def handler(ws, request):
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                arrivals.append((loop.time(), json.loads(message.data)))

    server.handler = handler
    stream = ReconnectingStream("t", api, lambda: _const(f"ws://127.0.0.1:{server.port}/stream"), _noop,
                                heartbeat=30.0)
    stream.start()
    try:
        await asyncio.wait_for(stream.connected.wait(), 5)
        await asyncio.gather(*(stream.request("SUBSCRIBE", [f"s{i}@trade"]) for i in range(6)))
        await wait_until(lambda: len(arrivals) == 6)
    finally:
        await stream.stop()
    stamps = [t for t, _ in arrivals]
    assert most_in_a_window(stamps, 1.0) <= 4 and stamps[-1] - stamps[0] >= 1.0
    assert [f["id"] for _, f in arrivals] == [1, 2, 3, 4, 5, 6] and server.connections == 1


async def test_a_new_connection_starts_with_a_fresh_share(server, api):  # noqa: F811
    async def handler(ws, request):
        await drain(ws)

    server.handler = handler
    stream = ReconnectingStream("t", api, lambda: _const(f"ws://127.0.0.1:{server.port}/stream"), _noop,
                                heartbeat=30.0, backoff=(0.05,))
    stream.start()
    try:
        await asyncio.wait_for(stream.connected.wait(), 5)
        first = stream.send_throttler
        for i in range(4):
            await stream.request("SUBSCRIBE", [f"s{i}@trade"])
        await server.sockets[0].close()
        await wait_until(lambda: stream.connections == 2 and stream.connected.is_set())
        assert stream.send_throttler is not first
        async with asyncio.timeout(0.5):  # four more at once: the old connection's count is not this one's
            for i in range(4):
                await stream.request("SUBSCRIBE", [f"t{i}@trade"])
    finally:
        await stream.stop()


async def test_a_pair_added_and_removed_at_run_time_is_subscribed_and_unsubscribed(server, api):  # noqa: F811
    frames = []

    async def handler(ws, request):
        frames.append(("url", request.query["streams"]))
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                frames.append(("sent", json.loads(message.data)))

    server.handler = handler
    pairs = PairMap()
    pairs.update(parse_spot_rules(SPOT_INFO).values())
    source = OrderBookTrackerDataSource(api, f"ws://127.0.0.1:{server.port}", ["BTC-USDT"], pairs)
    tracker = OrderBookTracker(source)
    snapshots = []

    async def get_snapshot(pair):  # queued, not applied: the tracker's router is not running here
        snapshots.append(pair)
        return snapshot_message(pair, {"lastUpdateId": 1, "bids": [], "asks": []})

    source.get_snapshot = get_snapshot
    source.start()
    try:
        await asyncio.wait_for(source.stream.connected.wait(), 5)
        await tracker.add_trading_pair("ETH-BTC")
        await wait_until(lambda: "ETH-BTC" in snapshots)
        assert not tracker.synced("ETH-BTC").is_set()  # until its snapshot is applied
        await tracker.remove_trading_pair("ETH-BTC")
        await wait_until(lambda: len(frames) == 3)
    finally:
        await source.stop()
    assert frames[0] == ("url", "btcusdt@depth@100ms/btcusdt@trade")
    assert [(f["method"], f["params"]) for _, f in frames[1:]] == [
        ("SUBSCRIBE", ["ethbtc@depth@100ms", "ethbtc@trade"]), ("UNSUBSCRIBE", ["ethbtc@depth@100ms", "ethbtc@trade"])]
    assert source.trading_pairs == ["BTC-USDT"] and "ETH-BTC" not in tracker.order_books
