"""The throttler: pools read from rateLimits, linked pools, waiting for room, headers, bans."""
from __future__ import annotations

import asyncio
import time

from connector import constants as c
from connector.throttler import AsyncThrottler, pools_from_rate_limits


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def limits(weight=10, orders=2, window="SECOND"):
    return [{"rateLimitType": "REQUEST_WEIGHT", "interval": window, "intervalNum": 1, "limit": weight},
            {"rateLimitType": "ORDERS", "interval": window, "intervalNum": 1, "limit": orders},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 1000}]


def test_pools_from_exchange_info_keep_a_safety_margin():
    pools = pools_from_rate_limits(c.DEFAULT_SPOT_POOLS)
    assert [(p.kind, p.window_s, p.limit, p.capacity) for p in pools] == [
        ("REQUEST_WEIGHT", 60, 6000, 5400), ("ORDERS", 10, 100, 90), ("ORDERS", 86400, 200000, 180000),
        ("RAW_REQUESTS", 300, 61000, 54900)]


async def test_a_request_is_charged_to_every_linked_pool():
    throttler = AsyncThrottler(limits(weight=100, orders=100), safety_pct=100, clock=FakeClock())
    async with throttler.execute_task("POST", c.ORDER):
        pass
    async with throttler.execute_task("GET", c.ACCOUNT):
        pass
    used = {p.kind: p.used(1000.0) for p in throttler.pools}
    assert used == {"REQUEST_WEIGHT": 1 + 20, "ORDERS": 1, "RAW_REQUESTS": 2}


async def test_requests_wait_for_room_and_never_exceed_a_window():
    throttler = AsyncThrottler(limits(weight=5, orders=100), safety_pct=100)  # 5 weight a second, real clock
    sent = []

    async def one():
        async with throttler.execute_task("GET", c.PING):
            sent.append(time.monotonic())

    start = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(one() for _ in range(12))), 10)
    assert time.monotonic() - start >= 2.0  # 12 requests at 5 a second: three windows
    for i, stamp in enumerate(sent):
        assert sum(1 for other in sent if stamp - 1.0 < other <= stamp) <= 5, i


async def test_order_pool_limits_orders_but_not_other_requests():
    throttler = AsyncThrottler(limits(weight=1000, orders=2), safety_pct=100)
    for _ in range(2):
        async with throttler.execute_task("POST", c.ORDER):
            pass
    async with asyncio.timeout(0.5):  # a cancel is not an order: it goes at once
        async with throttler.execute_task("DELETE", c.ORDER):
            pass
    start = time.monotonic()
    async with asyncio.timeout(3):
        async with throttler.execute_task("POST", c.ORDER):
            pass
    assert time.monotonic() - start >= 0.5


def test_headers_raise_our_count_to_the_exchanges():
    clock = FakeClock()
    throttler = AsyncThrottler(c.DEFAULT_SPOT_POOLS, clock=clock)
    throttler.update_from_headers({"X-MBX-USED-WEIGHT-1M": "5000", "X-MBX-ORDER-COUNT-10S": "7",
                                   "Content-Type": "application/json", "X-MBX-USED-WEIGHT-1H": "junk"})
    weight = next(p for p in throttler.pools if p.kind == "REQUEST_WEIGHT")
    orders10 = next(p for p in throttler.pools if p.kind == "ORDERS" and p.window_s == 10)
    assert weight.used(clock.now) == 5000 and orders10.used(clock.now) == 7
    assert weight.wait_for(500, clock.now) == 61  # 5000 + 500 > 5400: the window and its 1 s guard pass
    throttler.update_from_headers({"X-MBX-USED-WEIGHT-1M": "10"})  # lower than ours: ours stands
    assert weight.used(clock.now) == 5000


async def test_a_ban_holds_every_request_until_retry_after():
    throttler = AsyncThrottler(limits(weight=1000, orders=1000))
    throttler.ban(1.0)
    assert throttler.banned and throttler.bans == 1
    start = time.monotonic()
    async with asyncio.timeout(5):
        async with throttler.execute_task("GET", c.PING):
            pass
    assert time.monotonic() - start >= 0.95
    assert not throttler.banned


def test_set_rate_limits_replaces_pools_and_keeps_the_spend():
    clock = FakeClock()
    throttler = AsyncThrottler(c.DEFAULT_SPOT_POOLS, clock=clock)
    throttler.pools[0].log.append((clock.now, 100))
    throttler.set_rate_limits([{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                                "limit": 1200}])
    assert len(throttler.pools) == 1 and throttler.pools[0].capacity == 1080
    assert throttler.pools[0].used(clock.now) == 100
    throttler.set_rate_limits([])  # an exchange that lists none keeps ours
    assert len(throttler.pools) == 1


async def test_a_request_counts_while_in_flight_and_for_a_window_from_its_answer():
    """Charged when sent, a request slow to arrive would leave a window counted from sending before it entered
    the exchange's: it counts while in flight, and from its answer on for the window's length."""
    clock = FakeClock()
    throttler = AsyncThrottler(limits(weight=20, orders=100), safety_pct=100, clock=clock)
    weight = next(p for p in throttler.pools if p.kind == c.REQUEST_WEIGHT)
    async with throttler.execute_task("GET", c.ACCOUNT):  # weight 20: the whole pool
        clock.now += 5  # long past the window while still waiting for the answer
        assert weight.used(clock.now) == 20
        assert weight.wait_for(1, clock.now) > 0
    answered = clock.now
    clock.now += weight.span_s - 0.01
    assert weight.used(clock.now) == 20  # counted from the answer, not from the sending
    clock.now = answered + weight.span_s
    assert weight.used(clock.now) == 0 and weight.in_flight == 0
