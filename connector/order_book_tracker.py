"""OrderBookTracker: keeps one OrderBook per pair in step with the exchange, by the documented procedure.

Per pair: diffs arriving before the book is synchronised are buffered; a REST snapshot is fetched and put on the
same queue as the diffs, so the router sees it in order. On the snapshot: apply it, replay the buffer, then every
diff in turn:
  * `u` <= the book's id: old, skipped;
  * spot: `U` > book id + 1 is a gap;  USD-M: the first diff after a snapshot must straddle it (U <= id <= u),
    later ones must have `pu` == the previous `u`; anything else is a gap;
  * a gap (or a reconnect of the socket) marks the pair unsynchronised and fetches a new snapshot.
`synced(pair)` is an asyncio.Event set while the pair's book can be trusted; `snapshots_applied` counts snapshots
(the first and every resync), `gaps` the gaps seen.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Callable

from connector import constants as c
from connector.order_book import OrderBook, OrderBookMessage, OrderBookMessageType
from connector.order_book_data_source import OrderBookTrackerDataSource

log = logging.getLogger(__name__)


@dataclass
class _PairState:
    book: OrderBook = field(default_factory=OrderBook)
    synced: asyncio.Event = field(default_factory=asyncio.Event)
    buffer: list[OrderBookMessage] = field(default_factory=list)
    snapshot_pending: bool = False
    first_after_snapshot: bool = False


class OrderBookTracker:
    def __init__(self, data_source: OrderBookTrackerDataSource):
        self.data_source = data_source
        self._states = {pair: _PairState() for pair in data_source.trading_pairs}
        self._tasks: list[asyncio.Task] = []
        self.snapshots_applied = 0
        self.gaps = 0
        self.on_trade: Callable[[OrderBookMessage], None] | None = None
        data_source.on_reconnect = self._on_reconnect

    @property
    def order_books(self) -> dict[str, OrderBook]:
        return {pair: state.book for pair, state in self._states.items()}

    def synced(self, trading_pair: str) -> asyncio.Event:
        return self._states[trading_pair].synced

    @property
    def ready(self) -> bool:
        return all(state.synced.is_set() for state in self._states.values())

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._route_diffs(), name="book-diffs"),
                       loop.create_task(self._route_trades(), name="book-trades")]
        self.data_source.start()

    async def stop(self) -> None:
        await self.data_source.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def add_trading_pair(self, trading_pair: str) -> None:
        """Follow one more pair: subscribe, then synchronise its book as after a reconnect (the diffs that arrive
        before the snapshot are buffered)."""
        if trading_pair in self._states:
            return
        self._states[trading_pair] = _PairState()
        await self.data_source.add_trading_pair(trading_pair)
        if trading_pair in self._states:  # not removed meanwhile
            self._resync(trading_pair)

    async def remove_trading_pair(self, trading_pair: str) -> None:
        if self._states.pop(trading_pair, None) is not None:
            await self.data_source.remove_trading_pair(trading_pair)

    async def _on_reconnect(self) -> None:
        for pair in self._states:
            self._resync(pair)

    def _resync(self, pair: str) -> None:
        state = self._states[pair]
        state.synced.clear()
        state.buffer.clear()
        if not state.snapshot_pending:
            state.snapshot_pending = True
            asyncio.get_running_loop().create_task(self._fetch_snapshot(pair), name=f"snapshot:{pair}")

    async def _fetch_snapshot(self, pair: str) -> None:
        delay = 0.0
        while True:
            await asyncio.sleep(delay)
            try:
                snapshot = await self.data_source.get_snapshot(pair)
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the REST side fails too: try again, slower each time
                log.info("snapshot %s failed: %r", pair, exc)
                delay = min(max(delay * 2, 0.5), 10.0)
        self.data_source.diff_queue.put_nowait(snapshot)

    async def _route_diffs(self) -> None:
        while True:
            message = await self.data_source.diff_queue.get()
            state = self._states.get(message.trading_pair)
            if state is None:
                continue
            if message.type is OrderBookMessageType.SNAPSHOT:
                self._apply_snapshot(message.trading_pair, state, message)
            elif state.synced.is_set():
                self._apply_diff(message.trading_pair, state, message)
            else:
                if not state.snapshot_pending:
                    self._resync(message.trading_pair)
                state.buffer.append(message)

    def _apply_snapshot(self, pair: str, state: _PairState, snapshot: OrderBookMessage) -> None:
        state.snapshot_pending = False
        self.snapshots_applied += 1
        state.book.apply_snapshot(snapshot)
        state.first_after_snapshot = True
        state.synced.set()
        buffered, state.buffer = state.buffer, []
        for message in buffered:
            if not state.synced.is_set():
                break
            self._apply_diff(pair, state, message)

    def _apply_diff(self, pair: str, state: _PairState, diff: OrderBookMessage) -> None:
        book = state.book
        if diff.update_id <= book.last_diff_uid:
            return
        if self.data_source.market == c.USDM and diff.prev_update_id is not None and not state.first_after_snapshot:
            gap = diff.prev_update_id != book.last_diff_uid
        else:
            gap = diff.first_update_id > book.last_diff_uid + 1
        if gap:
            self.gaps += 1
            log.info("%s: depth gap (book at %s, diff %s..%s), resynchronising", pair, book.last_diff_uid,
                     diff.first_update_id, diff.update_id)
            self._resync(pair)
            state.buffer.append(diff)
            return
        state.first_after_snapshot = False
        book.apply_diff(diff)

    async def _route_trades(self) -> None:
        while True:
            message = await self.data_source.trade_queue.get()
            state = self._states.get(message.trading_pair)
            if state is not None:
                state.book.apply_trade(message)
                if self.on_trade:
                    self.on_trade(message)
