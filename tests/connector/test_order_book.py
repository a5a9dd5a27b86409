"""Order book sync by the documented procedure: buffer, snapshot, replay, gaps on U/u (spot) and pu (USD-M),
resync on reconnect. The data source is faked: the tracker gets messages on its queues."""
from __future__ import annotations

import asyncio
from decimal import Decimal as D

from connector import constants as c
from connector.order_book import OrderBook, diff_message, snapshot_message, trade_message
from connector.order_book_tracker import OrderBookTracker

PAIR = "BTC-USDT"


class FakeSource:
    def __init__(self, market=c.SPOT):
        self.trading_pairs = [PAIR]
        self.market = market
        self.diff_queue = asyncio.Queue()
        self.trade_queue = asyncio.Queue()
        self.on_reconnect = None
        self.snapshots = asyncio.Queue()
        self.snapshot_requests = 0

    def start(self):
        pass

    async def stop(self):
        pass

    async def get_snapshot(self, pair):
        self.snapshot_requests += 1
        return await self.snapshots.get()


def snap(uid, bids=(("100", "1"),), asks=(("101", "1"),)):
    return snapshot_message(PAIR, {"lastUpdateId": uid, "bids": list(bids), "asks": list(asks)})


def diff(first, last, bids=(), asks=(), pu=None):
    event = {"e": "depthUpdate", "E": 1, "s": "BTCUSDT", "U": first, "u": last, "b": list(bids), "a": list(asks)}
    if pu is not None:
        event["pu"] = pu
    return diff_message(PAIR, event)


async def settle():
    for _ in range(20):
        await asyncio.sleep(0)


async def started(market=c.SPOT):
    source = FakeSource(market)
    tracker = OrderBookTracker(source)
    tracker.start()
    return source, tracker


def test_book_applies_snapshot_and_absolute_diffs():
    book = OrderBook()
    book.apply_snapshot(snap(10, bids=[("100", "1"), ("99", "2")], asks=[("101", "3")]))
    book.apply_diff(diff(11, 12, bids=[("100", "0"), ("98", "5")], asks=[("101", "1.5")]))
    assert book.top(5) == ([(D("99"), D("2")), (D("98"), D("5"))], [(D("101"), D("1.5"))])
    assert book.last_diff_uid == 12 and book.best_bid == D("99") and book.best_ask == D("101")
    book.apply_trade(trade_message(PAIR, {"t": 7, "p": "100.5", "q": "0.1", "m": True, "T": 5}))
    assert book.last_trade_price == D("100.5")


async def test_buffered_diffs_are_replayed_over_the_snapshot():
    source, tracker = await started()
    try:
        for message in (diff(5, 8), diff(9, 11, bids=[("100", "4")]), diff(12, 12, asks=[("101", "0")])):
            source.diff_queue.put_nowait(message)
        await settle()
        assert not tracker.ready and source.snapshot_requests == 1
        source.snapshots.put_nowait(snap(10))  # covers 5..8 and the first half of 9..11
        await asyncio.wait_for(tracker.synced(PAIR).wait(), 2)
        await settle()
        book = tracker.order_books[PAIR]
        assert book.bids == {D("100"): D("4")} and book.asks == {} and book.last_diff_uid == 12
        assert tracker.gaps == 0
    finally:
        await tracker.stop()


async def test_a_gap_in_U_u_resyncs_from_a_new_snapshot():
    source, tracker = await started()
    try:
        source.diff_queue.put_nowait(diff(11, 11))
        await settle()
        source.snapshots.put_nowait(snap(10))
        await asyncio.wait_for(tracker.synced(PAIR).wait(), 2)
        source.diff_queue.put_nowait(diff(12, 13, bids=[("100", "2")]))
        source.diff_queue.put_nowait(diff(15, 16, bids=[("100", "9")]))  # 14 is missing
        await settle()
        assert tracker.gaps == 1 and not tracker.synced(PAIR).is_set()
        assert tracker.order_books[PAIR].bids[D("100")] == D("2")  # the diff after the gap was not applied
        source.snapshots.put_nowait(snap(16, bids=[("100", "9")]))
        await asyncio.wait_for(tracker.synced(PAIR).wait(), 2)
        assert source.snapshot_requests == 2 and tracker.snapshots_applied == 2
        source.diff_queue.put_nowait(diff(17, 17, bids=[("100", "1")]))
        await settle()
        assert tracker.order_books[PAIR].bids[D("100")] == D("1") and tracker.gaps == 1
    finally:
        await tracker.stop()


async def test_a_snapshot_older_than_the_buffer_is_fetched_again():
    source, tracker = await started()
    try:
        source.diff_queue.put_nowait(diff(20, 21))
        await settle()
        source.snapshots.put_nowait(snap(10))  # 11..19 are lost: not usable
        await settle()
        assert not tracker.synced(PAIR).is_set() and source.snapshot_requests == 2
        source.snapshots.put_nowait(snap(21))
        await asyncio.wait_for(tracker.synced(PAIR).wait(), 2)
    finally:
        await tracker.stop()


async def test_usdm_checks_pu_against_the_previous_u():
    source, tracker = await started(c.USDM)
    try:
        source.snapshots.put_nowait(snap(100))
        source.diff_queue.put_nowait(diff(95, 103, pu=94, bids=[("100", "3")]))  # straddles the snapshot
        await asyncio.wait_for(tracker.synced(PAIR).wait(), 2)
        await settle()
        source.diff_queue.put_nowait(diff(110, 120, pu=103, bids=[("100", "4")]))  # ids jump, pu links: fine
        await settle()
        assert tracker.order_books[PAIR].bids[D("100")] == D("4") and tracker.gaps == 0
        source.diff_queue.put_nowait(diff(121, 130, pu=125))  # pu does not match the last u (120)
        await settle()
        assert tracker.gaps == 1 and not tracker.synced(PAIR).is_set()
    finally:
        await tracker.stop()


async def test_a_reconnect_resyncs_every_book():
    source, tracker = await started()
    try:
        source.snapshots.put_nowait(snap(10))
        source.diff_queue.put_nowait(diff(11, 11))
        await asyncio.wait_for(tracker.synced(PAIR).wait(), 2)
        await source.on_reconnect()
        assert not tracker.ready
        source.snapshots.put_nowait(snap(30))
        await asyncio.wait_for(tracker.synced(PAIR).wait(), 2)
        assert tracker.order_books[PAIR].snapshot_uid == 30
    finally:
        await tracker.stop()


async def test_trades_set_the_last_price_and_reach_the_listener():
    source, tracker = await started()
    seen = []
    tracker.on_trade = seen.append
    try:
        source.trade_queue.put_nowait(trade_message(PAIR, {"t": 3, "p": "100.1", "q": "0.5", "m": False, "T": 9}))
        await settle()
        assert tracker.order_books[PAIR].last_trade_price == D("100.1")
        assert seen[0].content == {"trade_id": 3, "price": D("100.1"), "amount": D("0.5"), "trade_type": "BUY"}
    finally:
        await tracker.stop()
