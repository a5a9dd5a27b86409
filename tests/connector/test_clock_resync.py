"""The clock offset is measured again every `time_sync_interval`, not only at start and on -1021: driven by an
injected time source (no sleeping through the interval), in the background (a signed request made while the
time endpoint is slow leaves at once, with the offset as it stood), and a failed resync is retried later, not
at once."""
from __future__ import annotations

import asyncio
from decimal import Decimal as D
from urllib.parse import parse_qsl

from aioresponses import aioresponses

from connector import constants as c
from connector.exchange import BinanceExchange
from connector.time_synchronizer import TimeSynchronizer
from tests.connector.test_exchange import BASE, PAIR, count, order_answer, url
from tests.connector.test_trading_rules import SPOT_INFO


class FakeTime:
    """The connector's wall clock, moved by the test."""

    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


async def synced_exchange(now: FakeTime, server_ms: int) -> BinanceExchange:
    ex = BinanceExchange("k", "s", [PAIR], base_url=BASE, time_source=now, time_sync_interval=300)
    with aioresponses() as m:
        m.get(url(c.EXCHANGE_INFO), payload=SPOT_INFO)
        m.get(url(c.TIME), payload={"serverTime": server_ms}, repeat=True)
        await ex._update_trading_rules()
        await ex.api.sync_time()
    return ex


async def test_resync_is_due_after_the_interval_by_the_injected_clock():
    now = FakeTime()
    ex = await synced_exchange(now, int(now.now * 1000) + 2000)
    try:
        assert ex.time_synchronizer.offset_ms == 2000 and ex.time_synchronizer.syncs == 1
        with aioresponses() as m:
            m.get(url(c.TIME), payload={"serverTime": int(now.now * 1000) + 300_000 + 7000}, repeat=True)
            now.now += 299
            ex._resync_clock_if_due()
            assert ex._clock_sync is None and count(m, "GET", c.TIME) == 0  # not yet
            now.now += 1
            ex._resync_clock_if_due()
            ex._resync_clock_if_due()  # one resync at a time
            await asyncio.wait_for(ex._clock_sync, 5)
            assert count(m, "GET", c.TIME) == 3
        # Three new samples outvote the two old ones left: the offset follows the server's move.
        assert ex.time_synchronizer.offset_ms == 7000 and ex.time_synchronizer.syncs == 2
        ex._resync_clock_if_due()
        assert ex._clock_sync.done()  # the next one is 300 s away again
    finally:
        await ex.stop_network()


async def test_a_signed_request_does_not_wait_for_a_resync():
    now = FakeTime()
    ex = await synced_exchange(now, int(now.now * 1000) + 2000)
    release = asyncio.Event()

    async def slow_time(url, **kwargs):
        await release.wait()

    try:
        with aioresponses() as m:
            m.get(url(c.TIME), payload={"serverTime": int(now.now * 1000) + 400_000}, callback=slow_time,
                  repeat=True)
            m.post(url(c.ORDER), payload=order_answer("during"))
            now.now += 300
            ex._resync_clock_if_due()
            await asyncio.sleep(0)
            assert not ex._clock_sync.done()
            await asyncio.wait_for(ex.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("60000"),
                                                  client_order_id="during"), 5)
            sent = [dict(parse_qsl(u.query_string)) for (verb, u), calls in m.requests.items() if verb == "POST"]
            assert int(sent[0]["timestamp"]) == int(now.now * 1000) + 2000  # signed with the offset as it stood
            release.set()
            await asyncio.wait_for(ex._clock_sync, 5)
    finally:
        await ex.stop_network()


async def test_the_status_poll_starts_a_due_resync():
    now = FakeTime()
    ex = await synced_exchange(now, int(now.now * 1000))
    try:
        with aioresponses() as m:
            m.get(url(c.TIME), payload={"serverTime": int(now.now * 1000) + 300_000}, repeat=True)
            m.get(url(c.ACCOUNT), payload={"balances": []}, repeat=True)
            now.now += 300
            ex._poll_notifier.set()
            poll = asyncio.create_task(ex._status_polling_loop())
            try:
                async with asyncio.timeout(5):
                    while ex.time_synchronizer.syncs < 2:
                        await asyncio.sleep(0.01)
            finally:
                poll.cancel()
    finally:
        await ex.stop_network()


async def test_a_failed_resync_is_retried_after_the_retry_interval_not_at_once():
    now = FakeTime(1000.0)
    sync = TimeSynchronizer(clock=now, resync_interval=300, retry_interval=10)
    assert sync.resync_due  # never synced

    async def unreachable() -> int:
        raise ConnectionError("down")

    try:
        await sync.update_server_time_offset(unreachable)
    except ConnectionError:
        pass
    assert not sync.resync_due and sync.syncs == 0
    now.now += 10
    assert sync.resync_due
