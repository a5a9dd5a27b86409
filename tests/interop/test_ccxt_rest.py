"""ccxt's `binance` (sync and async), unmodified but for its URLs, against a live simulator."""
from __future__ import annotations

import dataclasses

import ccxt
import ccxt.async_support as ccxt_async
import pytest

from simulator.clock import SimClock
from simulator.server import build_simulator
from simulator.dialects.binance.wire.ratelimit import Pool
from tests.conftest import quiet_config
from tests.interop.helpers import (ASK, BID, DEMO_KEY, DEMO_SECRET, LAST, arrange_market,
                                   free_and_locked, repoint)
from tests.live_server import LiveServer

pytestmark = pytest.mark.interop
PAIR = "BTC/USDT"


def sync_exchange(server: LiveServer, api_key: str = DEMO_KEY, secret: str = DEMO_SECRET) -> ccxt.binance:
    exchange = ccxt.binance({"apiKey": api_key, "secret": secret})
    repoint(exchange, server.base_url)
    return exchange


def async_exchange(server: LiveServer) -> ccxt_async.binance:
    exchange = ccxt_async.binance({"apiKey": DEMO_KEY, "secret": DEMO_SECRET})
    repoint(exchange, server.base_url)
    return exchange


@pytest.fixture
def market(live_server):
    live_server.call(arrange_market, live_server.sim)
    return live_server


def test_sync_round_trip(market):
    exchange = sync_exchange(market)
    markets = exchange.load_markets()
    assert markets[PAIR]["spot"] and markets[PAIR]["active"]
    assert markets[PAIR]["precision"]["price"] == 0.01 and markets[PAIR]["limits"]["cost"]["min"] == 5

    book = exchange.fetch_order_book(PAIR)
    assert book["asks"][0] == [float(ASK), 1.0] and book["bids"][0] == [float(BID), 1.0]
    ticker = exchange.fetch_ticker(PAIR)
    assert ticker["symbol"] == PAIR and ticker["last"] == float(LAST) and ticker["bid"] == float(BID)
    trades = exchange.fetch_trades(PAIR)
    assert [trade["price"] for trade in trades] == [float(LAST)]
    candles = exchange.fetch_ohlcv(PAIR, "1m")
    assert candles[-1][1:5] == [float(LAST)] * 4

    order = exchange.create_order(PAIR, "limit", "buy", 0.01, 50000)
    assert order["status"] == "open" and order["filled"] == 0
    assert [o["id"] for o in exchange.fetch_open_orders(PAIR)] == [order["id"]]
    assert exchange.fetch_order(order["id"], PAIR)["status"] == "open"
    canceled = exchange.cancel_order(order["id"], PAIR)
    assert canceled["status"] == "canceled"
    assert exchange.fetch_open_orders(PAIR) == []

    before = exchange.fetch_balance()
    taken = exchange.create_order(PAIR, "market", "buy", 0.01)
    assert taken["status"] == "closed" and taken["filled"] == 0.01 and taken["average"] == float(ASK)
    assert taken["fee"]["currency"] == "BTC" and taken["fee"]["cost"] == 0.00001
    after = exchange.fetch_balance()
    assert after["BTC"]["free"] == pytest.approx(before["BTC"]["free"] + 0.01 - 0.00001)
    assert after["USDT"]["free"] == pytest.approx(before["USDT"]["free"] - 600)
    mine = exchange.fetch_my_trades(PAIR)
    assert [(t["order"], t["price"], t["amount"], t["side"], t["takerOrMaker"]) for t in mine] == [
        (taken["id"], float(ASK), 0.01, "buy", "taker")]


def test_sync_errors_map_to_ccxt_exceptions(market):
    exchange = sync_exchange(market)
    exchange.load_markets()
    with pytest.raises(ccxt.InsufficientFunds):
        exchange.create_order(PAIR, "limit", "buy", 100, 50000)  # 5,000,000 USDT
    with pytest.raises(ccxt.OrderNotFound):
        exchange.fetch_order("987654", PAIR)
    with pytest.raises(ccxt.OrderNotFound):
        exchange.cancel_order("987654", PAIR)
    with pytest.raises(ccxt.InvalidOrder, match="PRICE_FILTER"):
        exchange.create_order(PAIR, "limit", "sell", 0.01, 2_000_000)  # above maxPrice
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        exchange.create_order(PAIR, "limit", "buy", 0.01, float(ASK), params={"postOnly": True})
    with pytest.raises(ccxt.BadSymbol):
        exchange.public_get_depth({"symbol": "NOPEUSDT"})  # past ccxt's own symbol check
    stranger = sync_exchange(market, api_key="not-a-key", secret="whatever")
    stranger.markets, stranger.markets_by_id, stranger.symbols = exchange.markets, exchange.markets_by_id, \
        exchange.symbols
    with pytest.raises(ccxt.AuthenticationError):
        stranger.fetch_balance()
    # nothing above changed the demo account: no order was accepted
    assert market.call(free_and_locked, market.sim, DEMO_KEY, "USDT")[1] == 0


def test_rate_limit_surfaces_as_ddos_protection():
    limits = [Pool("REQUEST_WEIGHT", "MINUTE", 1, 3), Pool("ORDERS", "SECOND", 10, 100)]
    config = quiet_config()
    config = dataclasses.replace(config, rate_limits=dataclasses.replace(config.rate_limits, spot=tuple(limits)))
    sim = build_simulator(config, clock=SimClock(frozen_at_ms=1_700_000_000_000))  # one window for the whole test
    server = LiveServer(sim).start()
    try:
        exchange = sync_exchange(server)
        for _ in range(3):
            exchange.fetch_time()
        with pytest.raises(ccxt.DDoSProtection):
            exchange.fetch_time()
    finally:
        server.stop()


async def test_async_round_trip(market):
    exchange = async_exchange(market)
    try:
        await exchange.load_markets()
        book = await exchange.fetch_order_book(PAIR)
        assert book["asks"][0] == [float(ASK), 1.0]
        ticker = await exchange.fetch_ticker(PAIR)
        assert ticker["symbol"] == PAIR and ticker["ask"] == float(ASK)
        assert [t["price"] for t in await exchange.fetch_trades(PAIR)] == [float(LAST)]
        assert (await exchange.fetch_ohlcv(PAIR, "1m"))[-1][4] == float(LAST)

        order = await exchange.create_order(PAIR, "limit", "sell", 0.02, 70000)
        assert [o["id"] for o in await exchange.fetch_open_orders(PAIR)] == [order["id"]]
        assert (await exchange.cancel_order(order["id"], PAIR))["status"] == "canceled"

        taken = await exchange.create_order(PAIR, "market", "sell", 0.01)
        assert taken["status"] == "closed" and taken["average"] == float(BID)
        assert (taken["fee"]["currency"], taken["fee"]["cost"]) == ("USDT", 0.59)
        balance = await exchange.fetch_balance()
        assert balance["BTC"]["total"] == pytest.approx(10 - 0.01)
        assert balance["USDT"]["total"] == pytest.approx(1_000_000 + 590 - 0.59)
        mine = await exchange.fetch_my_trades(PAIR)
        assert [(t["order"], t["side"], t["price"]) for t in mine] == [(taken["id"], "sell", float(BID))]
        with pytest.raises(ccxt.InsufficientFunds):
            await exchange.create_order(PAIR, "limit", "sell", 50, 70000)  # 10 BTC held
    finally:
        await exchange.close()
