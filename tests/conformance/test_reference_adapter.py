"""The reference connector's adapter driven the way the suite drives it: built from an `AdapterConfig`, given
`OrderRequest`s, read by attribute and told apart by event class name, against a live server."""
from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from conformance.adapter import AdapterConfig, OrderRequest, Timing
from conformance.adapters.reference import make_adapter
from connector.exsim_control import ExsimControl
from simulator.config import load_config
from simulator.server import build_simulator
from tests.live_server import LiveServer

PAIR = "BTC-USDT"
DEMO_KEY, DEMO_SECRET = "demo-api-key", "demo-api-secret"
FAST = Timing(request_timeout=2.0, ws_silence_timeout=2.0, poll_interval=0.5, lost_order_after=3)


def config(server: LiveServer, **changes) -> AdapterConfig:
    return AdapterConfig(server.base_url, server.ws_url, DEMO_KEY, DEMO_SECRET, (PAIR,), timing=FAST, **changes)


async def next_event(stream, name, cid, seen):
    async with asyncio.timeout(10):
        async for event in stream:
            seen.append(event)
            if type(event).__name__ == name and getattr(event, "client_order_id", None) == cid:
                return event


async def test_perpetual_adapter_settings_positions_and_funding_info(tmp_path):
    server = LiveServer(build_simulator(load_config())).start()
    adapter = make_adapter(config(server, market="perpetual", state_dir=tmp_path))
    assert {"perpetual", "positions", "leverage", "position_mode", "margin_type", "funding"} <= adapter.capabilities
    try:
        await asyncio.wait_for(adapter.start(), 15)
        await adapter.set_leverage(PAIR, 9)
        await adapter.set_position_mode("HEDGE")
        await adapter.set_position_mode("ONEWAY")
        with pytest.raises(Exception) as info:
            await adapter.set_leverage(PAIR, 1000)
        assert info.value.code and info.value.reason
        info = await adapter.funding_info(PAIR)
        assert info.mark_price > 0 and info.next_funding_time_ms > 0
        stream, seen = adapter.events(), []
        cid = await adapter.place(OrderRequest(PAIR, "BUY", "MARKET", D("0.01")))
        await next_event(stream, "OrderCompleted", cid, seen)
        async with asyncio.timeout(10):
            while not await adapter.positions():
                await asyncio.sleep(0.05)
        [position] = await adapter.positions()
        assert (position.position_side, position.amount, position.leverage) == ("BOTH", D("0.01"), 9)
        assert (await adapter.balances())["USDT"].total > 0
    finally:
        await asyncio.wait_for(adapter.stop(), 10)
        server.stop()


async def test_adapter_round_trip_by_attribute_and_class_name(live_server, tmp_path):
    adapter = make_adapter(config(live_server, state_dir=tmp_path / "state"))
    assert {"spot", "order_book", "restart", "cancel_all"} <= adapter.capabilities
    assert "perpetual" not in adapter.capabilities
    control = ExsimControl(live_server.base_url)
    await asyncio.wait_for(adapter.start(), 15)
    stream, seen = adapter.events(), []
    try:
        rules = await adapter.trading_rules()
        assert {"BTC-USDT", "ETH-USDT"} <= set(rules) and rules[PAIR].status == "TRADING"
        cid = await adapter.place(OrderRequest(PAIR, "BUY", "LIMIT", D("0.0100009"), D("50000.009")))
        created = await next_event(stream, "OrderCreated", cid, seen)
        assert created.amount == D("0.01") and created.price == D("50000.00")  # quantized to step and tick
        await control.take(created.exchange_order_id, "0.004")
        fill = await next_event(stream, "OrderFilled", cid, seen)
        assert (fill.side, fill.amount, fill.fee_asset, fill.position_side) == ("BUY", D("0.004"), "BTC", "BOTH")
        [open_order] = await adapter.open_orders(PAIR)
        assert (open_order.client_order_id, open_order.state, open_order.executed_amount) == (
            cid, "PARTIALLY_FILLED", D("0.004"))
        assert await adapter.cancel_all() == [cid]
        await next_event(stream, "OrderCanceled", cid, seen)
        assert await adapter.open_orders() == []
        balances = await adapter.balances()
        assert balances["USDT"].total >= balances["USDT"].available
        book = await adapter.order_book(PAIR, 5)
        assert isinstance(book.bids, tuple) and isinstance(book.asks, tuple)
        tiny = await adapter.place(OrderRequest(PAIR, "BUY", "LIMIT", D("0.00001"), D("50000")))
        failed = await next_event(stream, "OrderFailed", tiny, seen)
        assert "notional" in failed.reason
        with pytest.raises(NotImplementedError):
            await adapter.positions()
    finally:
        await asyncio.wait_for(adapter.stop(), 10)
        await control.close()
    assert any(type(e).__name__ == "BalanceUpdate" for e in seen)
