"""ccxt.pro's `binanceusdm`, unmodified but for its URLs, on the simulator's futures streams: the order book from
/public diffs (seeded from REST depth, contiguous on pu), mark price from /market, and orders, positions and
balance from the /private listenKey stream."""
from __future__ import annotations

import asyncio

import ccxt.pro as ccxtpro
import pytest

from tests.interop.helpers import DEMO_KEY, DEMO_SECRET, repoint
from tests.interop.usdm_helpers import ASK, BID, INDEX, SWAP, arrange_perp_market

pytestmark = pytest.mark.interop
TIMEOUT = 10.0


@pytest.fixture
async def exchange(live_server):
    live_server.call(arrange_perp_market, live_server.sim)
    exchange = ccxtpro.binanceusdm({"apiKey": DEMO_KEY, "secret": DEMO_SECRET})
    repoint(exchange, live_server.base_url)
    await exchange.load_markets()
    yield exchange
    await exchange.close()


async def until(watch, predicate):
    """Call `watch()` until what it returns satisfies `predicate`; that answer (bounded in time)."""
    async def loop():
        while True:
            answer = await watch()
            if predicate(answer):
                return answer
    return await asyncio.wait_for(loop(), TIMEOUT)


async def test_order_book_and_mark_price(exchange):
    book = await asyncio.wait_for(exchange.watch_order_book(SWAP), TIMEOUT)
    assert book["bids"][0] == [float(BID), 5.0] and book["asks"][0] == [float(ASK), 5.0]
    mark = await asyncio.wait_for(exchange.watch_mark_price(SWAP), TIMEOUT)
    assert mark["markPrice"] == float(INDEX)


async def test_orders_positions_and_balance_from_the_user_stream(exchange):
    orders = asyncio.ensure_future(until(lambda: exchange.watch_orders(SWAP),
                                         lambda got: any(o["status"] == "closed" for o in got)))
    positions = asyncio.ensure_future(until(lambda: exchange.watch_positions([SWAP]),
                                            lambda got: any(p["contracts"] for p in got)))
    balance = asyncio.ensure_future(until(exchange.watch_balance, lambda got: "USDT" in got))
    await asyncio.sleep(0.5)  # the listenKey stream is open before the order goes in
    placed = await exchange.create_order(SWAP, "market", "buy", 0.01)
    filled = [o for o in await orders if o["status"] == "closed"]
    assert [(o["id"], o["filled"], o["average"]) for o in filled] == [(placed["id"], 0.01, float(ASK))]
    [position] = [p for p in await positions if p["contracts"]]
    assert (position["symbol"], position["side"], position["contracts"]) == (SWAP, "long", 0.01)
    usdt = (await balance)["USDT"]
    # the taker fee (0.05 % of 501) is all that left the wallet
    assert usdt["total"] == pytest.approx(1_000_000 - 0.2505, abs=1e-9)


async def test_spot_and_swap_books_of_one_id_stay_apart(exchange, live_server):
    """BTCUSDT is both a spot and a swap id: ccxt.pro's spot client (with the swaps loaded too) tells its stream
    messages apart by "/stream" in the URL, which repoint() keeps."""
    from tests.interop.helpers import arrange_market
    live_server.call(arrange_market, live_server.sim)  # spot: 59000 / 60000
    spot = ccxtpro.binance({"apiKey": DEMO_KEY, "secret": DEMO_SECRET})
    repoint(spot, live_server.base_url)
    try:
        await spot.load_markets()
        assert SWAP in spot.markets
        spot_book = await asyncio.wait_for(spot.watch_order_book("BTC/USDT"), TIMEOUT)
        swap_book = await asyncio.wait_for(exchange.watch_order_book(SWAP), TIMEOUT)
        assert spot_book["bids"][0][0] == 59000.0 and swap_book["bids"][0][0] == float(BID)
    finally:
        await spot.close()
