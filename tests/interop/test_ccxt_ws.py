"""ccxt.pro's `binance`, unmodified but for its URLs, on the simulator's WebSocket streams and WebSocket API."""
from __future__ import annotations

import asyncio
import random
from decimal import Decimal

import ccxt.pro as ccxtpro
import pytest

from simulator.dialects.binance.streams.hub import STREAM_HUB, StreamHub
from tests.interop.helpers import ASK, BID, DEMO_KEY, DEMO_SECRET, SYMBOL, arrange_market, repoint
from tests.live_server import LiveServer

pytestmark = pytest.mark.interop
PAIR = "BTC/USDT"
TIMEOUT = 10.0


def hub_of(server: LiveServer) -> StreamHub:
    return server.app[STREAM_HUB]


async def eventually(server: LiveServer, condition, timeout: float = TIMEOUT) -> None:
    """Wait until `condition()` (run on the server thread) holds: e.g. a subscription has reached the server."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await asyncio.to_thread(server.call, condition):
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


@pytest.fixture
def market(live_server):
    live_server.call(arrange_market, live_server.sim)
    return live_server


@pytest.fixture
async def exchange(market):
    exchange = ccxtpro.binance({"apiKey": DEMO_KEY, "secret": DEMO_SECRET})
    repoint(exchange, market.base_url)
    yield exchange
    await exchange.close()


def random_activity(sim, seed: int, steps: int) -> None:
    """Run on the server thread: two accounts place, cross and cancel limit orders around the spread."""
    rng = random.Random(seed)
    engine = sim.engine
    inst = engine.instruments[SYMBOL]
    accounts = [sim.create_account(f"trader-{seed}-{i}", balances={"BTC": Decimal(50), "USDT": Decimal(10**7)})
                .account_id for i in range(2)]
    for _ in range(steps):
        account = rng.choice(accounts)
        open_orders = engine.open_orders(account, SYMBOL)
        if open_orders and rng.random() < 0.25:
            engine.cancel_order(account, SYMBOL, rng.choice(open_orders).order_id)
            continue
        price = Decimal(59500) + Decimal(rng.randint(-60, 60)) * 10
        qty = Decimal(rng.randint(1, 50)) / 100
        engine.place_order(account, SYMBOL, rng.choice(("BUY", "SELL")), "LIMIT", qty=inst.parse_qty(qty),
                           price=inst.parse_price(price), tif="GTC")


async def test_watch_order_book_matches_the_rest_book(market, exchange):
    book = await asyncio.wait_for(exchange.watch_order_book(PAIR), TIMEOUT)
    assert book["asks"][0] == [float(ASK), 1.0] and book["bids"][0] == [float(BID), 1.0]
    for seed in range(3):
        await asyncio.to_thread(market.call, random_activity, market.sim, seed, 40)
        target = market.call(lambda: market.sim.engine.books[SYMBOL].update_id)
        while book["nonce"] < target:
            book = await asyncio.wait_for(exchange.watch_order_book(PAIR), TIMEOUT)
        assert book["nonce"] == target
        rest = await exchange.fetch_order_book(PAIR, 100)  # (a small limit: ccxt throttles heavy requests)
        assert rest["nonce"] == target
        assert 1 < len(rest["bids"]) < 100 and 1 < len(rest["asks"]) < 100  # the whole book
        assert book["bids"] == rest["bids"] and book["asks"] == rest["asks"]


async def test_watch_trades(market, exchange):
    watching = asyncio.ensure_future(exchange.watch_trades(PAIR))
    await eventually(market, lambda: "btcusdt@trade" in hub_of(market).subscriptions.subscribers)
    await exchange.create_order(PAIR, "limit", "buy", 0.25, float(ASK))  # takes from the 60000 ask
    trades = await asyncio.wait_for(watching, TIMEOUT)
    trade = trades[-1]
    assert (trade["symbol"], trade["price"], trade["amount"], trade["side"]) == (PAIR, float(ASK), 0.25, "buy")
    assert trade["id"] == "2" and trade["cost"] == 15000.0


async def test_watch_orders_over_the_ws_api(market, exchange):
    demo = market.sim.keys.get(DEMO_KEY).account_id
    watching = asyncio.ensure_future(exchange.watch_orders(PAIR))
    await eventually(market, lambda: demo in hub_of(market).user.sinks)

    placed = await exchange.create_order(PAIR, "limit", "buy", 0.01, 50000)
    orders = await asyncio.wait_for(watching, TIMEOUT)
    order = orders[-1]
    assert (order["id"], order["status"], order["side"], order["price"], order["amount"], order["filled"]) == \
        (placed["id"], "open", "buy", 50000.0, 0.01, 0.0)
    assert order["clientOrderId"] == placed["clientOrderId"]

    await exchange.cancel_order(placed["id"], PAIR)
    orders = await asyncio.wait_for(exchange.watch_orders(PAIR), TIMEOUT)
    assert (orders[-1]["id"], orders[-1]["status"]) == (placed["id"], "canceled")

    taken = await exchange.create_order(PAIR, "limit", "sell", 0.3, float(BID))  # fills against the 59000 bid
    seen = {}
    while seen.get("status") != "closed":
        orders = await asyncio.wait_for(exchange.watch_orders(PAIR), TIMEOUT)
        seen = next((o for o in reversed(orders) if o["id"] == taken["id"]), {})
    assert (seen["filled"], seen["remaining"], seen["average"], seen["cost"]) == (0.3, 0.0, float(BID), 17700.0)


async def test_watch_balance_over_the_ws_api(market, exchange):
    demo = market.sim.keys.get(DEMO_KEY).account_id
    watching = asyncio.ensure_future(exchange.watch_balance())
    await eventually(market, lambda: demo in hub_of(market).user.sinks)
    await exchange.create_order(PAIR, "limit", "buy", 0.1, 50000)
    balance = await asyncio.wait_for(watching, TIMEOUT)
    assert balance["USDT"]["used"] == 5000.0 and balance["USDT"]["free"] == 995000.0
