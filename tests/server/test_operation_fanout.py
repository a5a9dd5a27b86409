"""What both venues' fan-outs hold until an engine operation ends (streams.operation_fanout), driven in process:
the engine's own listener sees the frames each stream got so far, so "not before the operation ends" is exact.

Each test runs once per venue: spot (the spot engine, `streams.fanout`) and USD-M (the futures engine,
`streams.futures_fanout`), each through its hub's real subscriptions, onto connections that record every frame.
"""
from __future__ import annotations

import json
import logging
from decimal import Decimal

import pytest

from simulator.dialects.binance.streams import futures_market as fm, market as ms
from simulator.dialects.binance.streams.futures_hub import FuturesHub
from simulator.dialects.binance.streams.hub import StreamHub
from simulator.engine.events import TradeEvent

SYMBOL = "BTCUSDT"


class RecordingConnection:
    """Just what `Subscriptions` needs of a connection; raw frames, kept as (stream name, payload)."""

    closed = False
    micro = False
    combined = False
    journal = None

    def __init__(self):
        self.names: dict[str, None] = {}
        self.frames: list[tuple[str, dict]] = []

    def send(self, text: str, name: str | None = None) -> None:
        self.frames.append((name, json.loads(text)))

    def on(self, name: str) -> list[dict]:
        return [payload for stream, payload in self.frames if stream == name]


class Venue:
    """One venue's engine and hub, with a recording connection subscribed to `names`."""

    def __init__(self, sim, futures: bool, names: list[str]):
        self.sim = sim
        self.futures = futures
        self.engine = sim.futures if futures else sim.engine
        self.hub = FuturesHub(sim) if futures else StreamHub(sim)
        self.hub.attach()
        self.conn = RecordingConnection()
        parse = fm.parse_stream if futures else ms.parse_stream
        for name in names:
            self.hub.subscriptions.add(self.conn, name, parse(name))

    def trader(self) -> int:
        if self.futures:
            return self.sim.create_account(futures={"USDT": Decimal("1000000")}).account_id
        return self.sim.create_account(balances={"USDT": Decimal("1000000"), "BTC": Decimal("100")}).account_id

    def place(self, account_id: int, side: str, qty: str, price: str, tif: str = "GTC"):
        inst = self.engine.instruments[SYMBOL]
        return self.engine.place_order(account_id, SYMBOL, side, "LIMIT", qty=inst.parse_qty(qty),
                                       price=inst.parse_price(price), tif=tif)


@pytest.fixture(params=["spot", "futures"])
def venue_for(request, sim):
    return lambda names: Venue(sim, request.param == "futures", names)


def test_aggregate_trades_wait_for_the_taker_and_come_oldest_first(venue_for):
    venue = venue_for(["btcusdt@aggTrade"])
    maker, taker = venue.trader(), venue.trader()
    venue.place(maker, "SELL", "0.1", "50000")
    venue.place(maker, "SELL", "0.2", "50000")
    venue.place(maker, "SELL", "0.3", "50010")
    seen_mid_operation = []

    def probe(event):  # subscribed after the hub's fan-out: sees what it has sent by then
        if type(event) is TradeEvent:
            seen_mid_operation.append(len(venue.conn.on("btcusdt@aggTrade")))

    venue.engine.subscribe(probe)
    venue.place(taker, "BUY", "0.6", "50010", tif="IOC")

    assert seen_mid_operation == [0, 0, 0]  # three trades, no aggregate pushed while the taker still matched
    aggs = venue.conn.on("btcusdt@aggTrade")
    # one aggregate per price, oldest first: the two fills at 50000, then the one at 50010
    assert [(Decimal(agg["p"]), Decimal(agg["q"]), agg["l"] - agg["f"] + 1) for agg in aggs] == [
        (Decimal("50000"), Decimal("0.3"), 2), (Decimal("50010"), Decimal("0.3"), 1)]
    assert aggs[1]["a"] == aggs[0]["a"] + 1


def test_book_ticker_once_per_operation_and_only_when_the_top_moves(venue_for):
    venue = venue_for(["btcusdt@bookTicker"])
    maker, taker = venue.trader(), venue.trader()
    venue.place(maker, "BUY", "0.1", "49990")
    venue.place(maker, "SELL", "0.1", "50010")
    venue.place(maker, "SELL", "0.1", "50020")  # behind the best ask: the top is as it was
    tickers = venue.conn.on("btcusdt@bookTicker")
    assert [(Decimal(t["b"]), Decimal(t["a"])) for t in tickers] == [
        (Decimal("49990"), Decimal("0")), (Decimal("49990"), Decimal("50010"))]
    venue.place(taker, "BUY", "0.2", "50020", tif="IOC")  # two levels go in one operation: one ticker
    last = venue.conn.on("btcusdt@bookTicker")[2:]
    assert [(Decimal(t["b"]), Decimal(t["a"]), Decimal(t["A"])) for t in last] == [
        (Decimal("49990"), Decimal("0"), Decimal("0"))]
    assert last[0]["u"] == venue.engine.books[SYMBOL].update_id


def test_futures_book_ticker_also_feeds_the_all_market_stream(sim):
    venue = Venue(sim, True, ["btcusdt@bookTicker", "!bookTicker"])
    venue.place(venue.trader(), "BUY", "0.1", "49990")
    assert venue.conn.on("!bookTicker") == venue.conn.on("btcusdt@bookTicker") != []


def test_a_rendering_failure_is_logged_and_never_reaches_the_engine(venue_for, monkeypatch, caplog):
    venue = venue_for(["btcusdt@aggTrade"])
    maker, taker = venue.trader(), venue.trader()
    venue.place(maker, "SELL", "0.1", "50000")

    def broken(*args):
        raise RuntimeError("rendering bug")

    monkeypatch.setattr(type(venue.hub.fanout), "render_agg_trade", staticmethod(broken))
    with caplog.at_level(logging.ERROR):
        result = venue.place(taker, "BUY", "0.1", "50000", tif="IOC")
    assert result is not None  # the taker's operation completed
    assert venue.conn.on("btcusdt@aggTrade") == []
    assert any("fan-out failed at the end of operation" in record.getMessage() for record in caplog.records)
