"""The event bus: listeners, queues, and waiting for an event with a deadline (past events included or not)."""
from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from connector.events import BalanceUpdateEvent, EventBus, OrderFailureEvent


def balance(asset):
    return BalanceUpdateEvent(asset, D(1), D(1), "ws")


async def test_listeners_queues_and_history():
    bus, heard = EventBus(history=2), []
    bus.add_listener(heard.append)
    queue = bus.subscribe()
    for asset in ("A", "B", "C"):
        bus.trigger(balance(asset))
    assert [e.asset for e in heard] == ["A", "B", "C"] and queue.qsize() == 3
    assert [e.asset for e in bus.history] == ["B", "C"]  # bounded
    bus.unsubscribe(queue)
    bus.trigger(balance("D"))
    assert queue.qsize() == 3


async def test_wait_for_finds_past_and_future_events_and_times_out():
    bus = EventBus()
    bus.trigger(balance("PAST"))
    assert (await bus.wait_for(lambda e: e.kind == "balance_update", 1)).asset == "PAST"
    later = asyncio.get_running_loop().call_later(0.05, bus.trigger, OrderFailureEvent("c", "BTC-USDT", "no"))
    failed = await bus.wait_for(lambda e: e.kind == "order_failed", 2, include_past=False)
    assert failed.reason == "no" and later.cancelled() is False
    with pytest.raises(TimeoutError):
        await bus.wait_for(lambda e: e.kind == "funding_payment", 0.05)
    assert not bus._queues  # the waiter's queue is gone
