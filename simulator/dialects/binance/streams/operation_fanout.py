"""What the spot and the futures fan-out (streams.fanout, streams.futures_fanout) do alike with an engine's events.

An engine calls `on_event` synchronously, in the middle of its operations, and `on_operation_end` once after each
operation's last event. A fan-out never blocks there and never raises into the engine: it renders each payload at
once (so it captures the state of that moment) and puts the text on each interested connection's queue. Diff
depth is merged into one batch per symbol and speed for the hub's timer. What only means something once an
operation is whole waits for its end: its aggregate trades (the taker may still add to the last one) and the top
of the book (a requote removes a level before it adds the next one: in between, one side may be empty).

A venue's fan-out says only what differs: the engine it listens to, its depth speeds, its other events (user
data, `@trade`, forceOrder), how its amounts are formatted, the shape of its aggTrade and bookTicker payloads
and which streams carry the book ticker.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from simulator.dialects.binance.streams.market import DepthBatch, best_levels
from simulator.dialects.binance.streams.registry import Subscriptions
from simulator.engine.events import DepthUpdate, Event, TradeEvent

log = logging.getLogger(__name__)


class OperationFanout:
    VENUE: str  # names the venue in the log when a payload fails to render
    DEPTH_SPEEDS_MS: tuple[int, ...]  # the diff depth speeds the venue's streams offer
    AGG_TRADE: str  # stream kinds, as the venue's stream name parser spells them
    BOOK_TICKER: str
    render_agg_trade: Callable  # (formats, aggregate trade, event time) -> payload

    def __init__(self, sim, subscriptions: Subscriptions, user):
        self.sim = sim
        self.subscriptions = subscriptions
        self.user = user
        # One lookup per event rather than a chain of type tests; a venue adds its own kinds.
        self.handlers: dict[type, Callable[[Event], None]] = self.handlers_by_kind()
        self.reset()

    # --- what a venue says ---------------------------------------------------------------------------------
    def handlers_by_kind(self) -> dict[type, Callable[[Event], None]]:
        return {DepthUpdate: self._on_depth, TradeEvent: self._on_trade}

    def engine(self):
        """The engine whose events this fans out (looked up each time: a reset or restore replaces it)."""
        raise NotImplementedError

    def formats(self, symbol: str):
        """What formats the symbol's prices and quantities for the venue's payloads."""
        raise NotImplementedError

    def render_book_ticker(self, fmt, update_id: int, best: tuple[int, int, int, int]) -> dict:
        raise NotImplementedError

    def book_ticker_names(self, symbol: str) -> list[str]:
        return self.subscriptions.names(self.BOOK_TICKER, symbol)

    def settle_user(self) -> None:
        """An operation ended: user data held until then goes first, before its trades and book ticker."""

    # --- state ---------------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything gathered from the engine (its state was replaced)."""
        self.depth: dict[int, dict[str, DepthBatch]] = {speed: {} for speed in self.DEPTH_SPEEDS_MS}
        self.last_book_ticker: dict[str, tuple[int, int, int, int]] = {}
        # symbol -> [id of the first aggregate trade of the operation under way, time of its last trade]
        self.agg_from: dict[str, list[int]] = {}
        self.book_changed: dict[str, int] = {}  # symbol -> its last depth update id in the operation under way

    def take_depth(self, speed_ms: int) -> dict[str, DepthBatch]:
        """The diff depth batches gathered for one speed since the last call."""
        batches, self.depth[speed_ms] = self.depth[speed_ms], {}
        return batches

    # --- engine events (synchronous, never raising) --------------------------------------------------------
    def on_event(self, event: Event) -> None:
        try:
            handler = self.handlers.get(type(event))
            if handler is not None:
                handler(event)
        except Exception:  # a dialect bug must never break the engine mid-operation
            log.exception("%s stream fan-out failed on %r", self.VENUE, event)

    def on_operation_end(self, first_seq: int, last_seq: int) -> None:
        """An engine operation is over: its aggregate trades are complete, its book is settled."""
        try:
            self.settle_user()
            if self.agg_from:
                aggs, self.agg_from = self.agg_from, {}
                for symbol, (first, event_time) in aggs.items():
                    self._publish_agg_trades(symbol, first, event_time)
            if self.book_changed:
                changed, self.book_changed = self.book_changed, {}
                for symbol, update_id in changed.items():
                    self._publish_book_ticker(symbol, update_id)
        except Exception:  # never raise into the engine
            log.exception("%s stream fan-out failed at the end of operation %d..%d", self.VENUE, first_seq, last_seq)

    def _on_depth(self, event: DepthUpdate) -> None:
        symbol = event.symbol
        for batches in self.depth.values():
            batch = batches.get(symbol)
            if batch is None:
                batch = batches[symbol] = DepthBatch(event.update_id)
            batch.add(event)
        self.book_changed[symbol] = event.update_id

    def _on_trade(self, event: TradeEvent) -> None:
        symbol = event.trade.symbol
        pending = self.agg_from.get(symbol)
        if pending is not None:
            pending[1] = event.time
            return
        # The engine records a trade (and so extends or opens its aggregate) before it emits the TradeEvent, so
        # the last aggregate is this trade's: the first of the operation's aggregates for the symbol.
        aggs = self.engine().market[symbol].agg_trades
        if aggs:
            self.agg_from[symbol] = [aggs[-1].agg_id, event.time]

    def _publish_agg_trades(self, symbol: str, first: int, event_time: int) -> None:
        """Push the aggregate trades of the operation that just ended, oldest first."""
        subscriptions = self.subscriptions
        names = subscriptions.names(self.AGG_TRADE, symbol)
        if not names:
            return
        fmt = self.formats(symbol)
        done = []
        for agg in reversed(self.engine().market[symbol].agg_trades):
            if agg.agg_id < first:
                break
            done.append(agg)
        for agg in reversed(done):
            payload = self.render_agg_trade(fmt, agg, event_time)
            for name in names:
                subscriptions.publish(name, payload)

    def _publish_book_ticker(self, symbol: str, update_id: int) -> None:
        """The top of the book once an operation settled it, when it differs from the last one sent."""
        names = self.book_ticker_names(symbol)
        if not names:
            return
        best = best_levels(self.engine(), symbol)
        if best == self.last_book_ticker.get(symbol):
            return
        self.last_book_ticker[symbol] = best
        payload = self.render_book_ticker(self.formats(symbol), update_id, best)
        for name in names:
            self.subscriptions.publish(name, payload)
