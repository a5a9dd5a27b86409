"""Engine events to stream payloads, as they happen: `@trade`, `@aggTrade`, `@bookTicker`, the diff depth batches
the interval pass publishes, and every user data event.

The engine calls `EventFanout.on_event` synchronously, in the middle of its operations, and `on_operation_end`
once after each operation's last event. It never blocks there and never raises into the engine: it renders each
payload at once (so it captures the state of that moment) and puts the text on each interested connection's
queue. What only means something once an operation is whole waits for its end: an aggregate trade (its taker may
still add to it), the top of the book (a requote removes a level before it adds the next one: in between, one
side may be empty) and an account's balances (one outboundAccountPosition per operation).
"""
from __future__ import annotations

import logging

from simulator.dialects.binance.streams import market as ms
from simulator.dialects.binance.streams.market import DepthBatch
from simulator.dialects.binance.streams.registry import Subscriptions
from simulator.dialects.binance.streams.user import UserStreams
from simulator.engine.events import BalanceUpdate, DepthUpdate, Event, OrderUpdate, TradeEvent

log = logging.getLogger(__name__)

SPEEDS_MS = (ms.FAST_SPEED_MS, ms.DEFAULT_SPEED_MS)


class EventFanout:
    def __init__(self, sim, subscriptions: Subscriptions, user: UserStreams):
        self.sim = sim
        self.subscriptions = subscriptions
        self.user = user
        self.reset()

    def reset(self) -> None:
        """Forget everything gathered from the engine (its state was replaced)."""
        self.depth: dict[int, dict[str, DepthBatch]] = {speed: {} for speed in SPEEDS_MS}
        self.last_book_ticker: dict[str, tuple[int, int, int, int]] = {}
        self.traded: set[str] = set()  # symbols with trades since the last `!ticker@arr` push
        # symbol -> (id of the first aggregate trade of the operation under way, time of its last trade)
        self.agg_from: dict[str, list[int]] = {}
        self.book_changed: dict[str, int] = {}  # symbol -> its last depth update id in the operation under way

    def take_depth(self, speed_ms: int) -> dict[str, DepthBatch]:
        """The diff depth batches gathered for one speed since the last call."""
        batches, self.depth[speed_ms] = self.depth[speed_ms], {}
        return batches

    def take_traded(self) -> set[str]:
        traded, self.traded = self.traded, set()
        return traded

    # --- engine events (synchronous, never raising) ----------------------------------------------------
    def on_event(self, event: Event) -> None:
        try:
            kind = type(event)
            if kind is BalanceUpdate:
                self.user.on_balance(event)
                return
            if kind is OrderUpdate:
                self.user.on_order(event)
                return
            if kind is DepthUpdate:
                self._on_depth(event)
            elif kind is TradeEvent:
                self._on_trade(event)
        except Exception:  # a dialect bug must never break the engine mid-operation
            log.exception("stream fan-out failed on %r", event)

    def on_operation_end(self, first_seq: int, last_seq: int) -> None:
        """An engine operation is over: its aggregate trades are complete, its book is settled."""
        try:
            self.user.flush_balances()
            if self.agg_from:
                aggs, self.agg_from = self.agg_from, {}
                for symbol, (first, event_time) in aggs.items():
                    self._publish_agg_trades(symbol, first, event_time)
            if self.book_changed:
                changed, self.book_changed = self.book_changed, {}
                for symbol, update_id in changed.items():
                    self._publish_book_ticker(symbol, update_id)
        except Exception:  # never raise into the engine
            log.exception("stream fan-out failed at the end of operation %d..%d", first_seq, last_seq)

    def _on_trade(self, event: TradeEvent) -> None:
        trade = event.trade
        symbol = trade.symbol
        self.traded.add(symbol)
        inst = self.sim.engine.instruments[symbol]
        subscriptions = self.subscriptions
        for name in subscriptions.names(ms.TRADE, symbol):
            subscriptions.publish(name, ms.render_trade(inst, trade, event.time))
        pending = self.agg_from.get(symbol)
        if pending is not None:
            pending[1] = event.time
        else:
            # The engine records a trade (and so extends or opens its aggregate) before it emits the TradeEvent,
            # so the last aggregate is this trade's: the first of the operation's aggregates for the symbol.
            aggs = self.sim.engine.market[symbol].agg_trades
            if aggs:
                self.agg_from[symbol] = [aggs[-1].agg_id, event.time]

    def _publish_agg_trades(self, symbol: str, first: int, event_time: int) -> None:
        """Push the aggregate trades of the operation that just ended, oldest first.

        A trade may still be added to the last aggregate while its taker keeps matching at one price, so an
        aggregate is only complete when the taker's operation ends. The `@trade` stream still pushes each trade
        as it happens.
        """
        subscriptions = self.subscriptions
        names = subscriptions.names(ms.AGG_TRADE, symbol)
        if not names:
            return
        inst = self.sim.engine.instruments[symbol]
        done = []
        for agg in reversed(self.sim.engine.market[symbol].agg_trades):
            if agg.agg_id < first:
                break
            done.append(agg)
        for agg in reversed(done):
            payload = ms.render_agg_trade(inst, agg, event_time)
            for name in names:
                subscriptions.publish(name, payload)

    def _on_depth(self, event: DepthUpdate) -> None:
        symbol = event.symbol
        for batches in self.depth.values():
            batch = batches.get(symbol)
            if batch is None:
                batch = batches[symbol] = DepthBatch(event.update_id)
            batch.add(event)
        self.book_changed[symbol] = event.update_id

    def _publish_book_ticker(self, symbol: str, update_id: int) -> None:
        """The top of the book once an operation settled it, when it differs from the last one sent."""
        subscriptions = self.subscriptions
        names = subscriptions.names(ms.BOOK_TICKER, symbol)
        if names:
            best = ms.best_levels(self.sim.engine, symbol)
            if best != self.last_book_ticker.get(symbol):
                self.last_book_ticker[symbol] = best
                payload = ms.render_book_ticker(self.sim.engine.instruments[symbol], update_id, best)
                for name in names:
                    subscriptions.publish(name, payload)
