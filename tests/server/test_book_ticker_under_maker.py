"""`<symbol>@bookTicker` as a connector sees it while the market maker requotes: every message has a bid and an
ask, the bid below the ask. The clock is frozen and the test moves it, so the requotes are the same every run."""
from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import aiohttp

from simulator.clock import SimClock
from simulator.config import load_config
from simulator.dialects.binance.streams.hub import STREAM_HUB
from simulator.engine.order import BUY, MARKET
from simulator.server import build_simulator
from tests.live_server import LiveServer

START = 1_700_000_000_000
STEP_MS, STEPS = 100, 300  # 30 s of simulated time: 60 requotes of each symbol, counterparty trades among them
TIMEOUT = 20.0


def drive(sim) -> None:
    sim.clock.advance(STEP_MS)
    sim.tick()


def barrier_trade(sim) -> int:
    """A small market buy by a counterparty: its trade frame comes after every frame the run sent before it."""
    maker = sim.market_maker
    inst = sim.engine.instruments["BTCUSDT"]
    result = sim.engine.place_order(maker.counterparties[0], "BTCUSDT", BUY, MARKET, qty=inst.parse_qty("0.001"))
    return result.trades[0].trade_id


async def test_book_ticker_never_shows_an_empty_side_or_a_crossed_top():
    sim = build_simulator(load_config(), clock=SimClock(frozen_at_ms=START))
    server = LiveServer(sim).start()
    try:
        server.call(sim.tick)  # the first ladder
        async with aiohttp.ClientSession() as session:
            url = f"{server.ws_url}/stream?streams=btcusdt@bookTicker/btcusdt@trade"
            async with session.ws_connect(url) as ws:
                hub_subscribed = False
                for _ in range(200):  # the subscription is registered once the handshake is handled
                    hub_subscribed = server.call(lambda: "btcusdt@bookTicker" in
                                                 server.app[STREAM_HUB].subscriptions.specs)
                    if hub_subscribed:
                        break
                    await asyncio.sleep(0.02)
                assert hub_subscribed
                for _ in range(STEPS):
                    await asyncio.to_thread(server.call, drive, sim)
                last_trade = await asyncio.to_thread(server.call, barrier_trade, sim)
                tickers, problems = 0, []
                while True:
                    frame = json.loads((await asyncio.wait_for(ws.receive(), TIMEOUT)).data)
                    data = frame["data"]
                    if frame["stream"] == "btcusdt@trade":
                        if data["t"] == last_trade:
                            break
                        continue
                    tickers += 1
                    bid, ask = Decimal(data["b"]), Decimal(data["a"])
                    if not (0 < bid < ask and Decimal(data["B"]) > 0 and Decimal(data["A"]) > 0):
                        problems.append(data)
        assert tickers > 100, tickers  # the top did move, many times
        assert problems == [], f"{len(problems)} of {tickers} book tickers empty or crossed: {problems[:3]}"
    finally:
        server.stop()
