"""The futures engine's events to futures stream payloads, as they happen and on the hub's timer.

`FuturesFanout.on_event` is the futures engine's listener: user data is rendered and queued at once (in the
engine's order: an operation's order updates, then its ACCOUNT_UPDATE), forceOrder as the liquidation ends,
and what only means something once an operation is whole waits for its end (aggregate trades, the top of the
book), as on spot (streams.fanout). Depth updates are merged into one batch per symbol and speed.

`FuturesIntervals.flush(speed)` publishes what is due at that speed: diff depth (100 / 250 / 500 ms: the batches
gathered, a depth_gap fault keeping one from a stream), partial depth, mark price (1 s / 3 s, read from the
engine's mark view: there is no event per mark change), klines (250 ms), tickers and mini tickers (500 ms).
"""
from __future__ import annotations

import logging

from simulator import fault_kinds as fk
from simulator.dialects.binance.streams import futures_market as fm, futures_user as fu
from simulator.dialects.binance.streams.market import KLINE_INTERVALS_MS, DepthBatch, best_levels, render_kline
from simulator.dialects.binance.streams.registry import Subscriptions
from simulator.dialects.binance.wire.futures_amounts import Formats
from simulator.engine.events import DepthUpdate, OrderUpdate, TradeEvent
from simulator.engine.perp.events import AccountUpdate, ConfigUpdate, ForceOrder, MarginCall

log = logging.getLogger(__name__)


class FuturesFanout:
    def __init__(self, sim, subscriptions: Subscriptions, user: fu.FuturesUserStreams):
        self.sim = sim
        self.subscriptions = subscriptions
        self.user = user
        self.reset()

    def reset(self) -> None:
        """Forget everything gathered from the engine (its state was replaced)."""
        self.depth: dict[int, dict[str, DepthBatch]] = {speed: {} for speed in fm.DEPTH_SPEEDS_MS}
        self.last_book_ticker: dict[str, tuple[int, int, int, int]] = {}
        self.agg_from: dict[str, list[int]] = {}  # symbol -> [first aggregate id of the operation, its time]
        self.book_changed: dict[str, int] = {}  # symbol -> its last depth update id in the operation under way

    def take_depth(self, speed_ms: int) -> dict[str, DepthBatch]:
        batches, self.depth[speed_ms] = self.depth[speed_ms], {}
        return batches

    def formats(self, symbol: str) -> Formats:
        return Formats(self.sim.futures.instruments[symbol])

    def _precision(self) -> int:
        return next(iter(self.sim.futures.instruments.values())).quote_precision

    # --- engine events (synchronous, never raising) ----------------------------------------------------
    def on_event(self, event) -> None:
        try:
            kind = type(event)
            if kind is DepthUpdate:
                self._on_depth(event)
            elif kind is TradeEvent:
                self._on_trade(event)
            elif kind is OrderUpdate:
                order = event.order
                if self.user.wants(order.account_id):
                    notional = fu.open_notional(self.sim.futures, order.account_id, order.symbol)
                    self.user.deliver(order.account_id,
                                      fu.render_order_update(event, self.formats(order.symbol), notional))
            elif kind is AccountUpdate:
                if self.user.wants(event.account_id):
                    self.user.deliver(event.account_id, fu.render_account_update(
                        event, self.sim.futures.instruments, self._precision()))
            elif kind is ConfigUpdate:
                if self.user.wants(event.account_id):
                    self.user.deliver(event.account_id, fu.render_config_update(event))
            elif kind is MarginCall:
                if self.user.wants(event.account_id):
                    self.user.deliver(event.account_id, fu.render_margin_call(
                        event, self.sim.futures.instruments, self._precision()))
            elif kind is ForceOrder:
                self._on_force_order(event)
        except Exception:  # a dialect bug must never break the engine mid-operation
            log.exception("futures stream fan-out failed on %r", event)

    def on_operation_end(self, first_seq: int, last_seq: int) -> None:
        try:
            if self.agg_from:
                aggs, self.agg_from = self.agg_from, {}
                for symbol, (first, event_time) in aggs.items():
                    self._publish_agg_trades(symbol, first, event_time)
            if self.book_changed:
                changed, self.book_changed = self.book_changed, {}
                for symbol, update_id in changed.items():
                    self._publish_book_ticker(symbol, update_id)
        except Exception:  # never raise into the engine
            log.exception("futures stream fan-out failed at the end of operation %d..%d", first_seq, last_seq)

    def _on_depth(self, event: DepthUpdate) -> None:
        for batches in self.depth.values():
            batch = batches.get(event.symbol)
            if batch is None:
                batch = batches[event.symbol] = DepthBatch(event.update_id)
            batch.add(event)
        self.book_changed[event.symbol] = event.update_id

    def _on_trade(self, event: TradeEvent) -> None:
        symbol = event.trade.symbol
        pending = self.agg_from.get(symbol)
        if pending is not None:
            pending[1] = event.time
            return
        aggs = self.sim.futures.market[symbol].agg_trades  # the trade is recorded before its event
        if aggs:
            self.agg_from[symbol] = [aggs[-1].agg_id, event.time]

    def _publish_agg_trades(self, symbol: str, first: int, event_time: int) -> None:
        names = self.subscriptions.names(fm.AGG_TRADE, symbol)
        if not names:
            return
        fmt = self.formats(symbol)
        done = []
        for agg in reversed(self.sim.futures.market[symbol].agg_trades):
            if agg.agg_id < first:
                break
            done.append(agg)
        for agg in reversed(done):
            payload = fm.render_agg_trade(fmt, agg, event_time)
            for name in names:
                self.subscriptions.publish(name, payload)

    def _publish_book_ticker(self, symbol: str, update_id: int) -> None:
        names = [*self.subscriptions.names(fm.BOOK_TICKER, symbol),
                 *self.subscriptions.names(fm.ALL_BOOK_TICKERS, None)]
        if not names:
            return
        best = best_levels(self.sim.futures, symbol)
        if best == self.last_book_ticker.get(symbol):
            return
        self.last_book_ticker[symbol] = best
        payload = fm.render_book_ticker(self.formats(symbol), update_id, best, self.sim.clock.now_ms())
        for name in names:
            self.subscriptions.publish(name, payload)

    def _on_force_order(self, event: ForceOrder) -> None:
        names = [*self.subscriptions.names(fm.FORCE_ORDER, event.symbol),
                 *self.subscriptions.names(fm.ALL_FORCE_ORDERS, None)]
        if names:
            payload = fm.render_force_order(self.formats(event.symbol), event)
            for name in names:
                self.subscriptions.publish(name, payload)


class FuturesIntervals:
    def __init__(self, sim, subscriptions: Subscriptions, fanout: FuturesFanout):
        self.sim = sim
        self.subscriptions = subscriptions
        self.fanout = fanout
        self.partial_last: dict[tuple, int] = {}  # partial depth (symbol, levels, speed) -> the `u` it last sent
        self.kline_open: dict[tuple[str, str], int] = {}  # (symbol, interval) -> open time last pushed

    def reset(self) -> None:
        self.partial_last.clear()
        self.kline_open.clear()

    def stream_gone(self, spec) -> None:
        """The last subscriber of a stream left."""
        self.partial_last.pop((spec.symbol, spec.levels, spec.speed_ms), None)
        self.kline_open.pop((spec.symbol, spec.interval), None)

    def flush(self, speed_ms: int) -> None:
        """Push every futures stream whose interval is `speed_ms` (diff depth batches are consumed either way)."""
        now = self.sim.clock.now_ms()
        if speed_ms in self.fanout.depth:
            self._flush_depth(speed_ms, now)
        specs = self.subscriptions.specs
        rendered: dict[tuple, list] = {}
        for name, spec in list(specs.items()):
            if spec.speed_ms != speed_ms or spec.kind in (fm.DIFF_DEPTH, fm.AGG_TRADE, fm.BOOK_TICKER):
                continue
            key = (spec.kind, spec.symbol, spec.interval, spec.levels)
            if key not in rendered:
                rendered[key] = self._render(spec, now)
            for payload in rendered[key]:
                self.subscriptions.publish(name, payload)

    def _flush_depth(self, speed_ms: int, now: int) -> None:
        faults, specs = self.sim.faults, self.subscriptions.specs
        for symbol, batch in self.fanout.take_depth(speed_ms).items():
            names = [n for n in self.subscriptions.names(fm.DIFF_DEPTH, symbol) if specs[n].speed_ms == speed_ms]
            if not names:
                continue
            payload = fm.render_depth_diff(self.fanout.formats(symbol), batch, now)
            for name in names:
                if fk.DEPTH_GAP in faults.kinds and faults.match(fk.DEPTH_GAP, stream=name, symbol=symbol) is not None:
                    self.subscriptions.drop(name, payload, fk.DEPTH_GAP)  # a sequence gap on this stream
                    continue
                self.subscriptions.publish(name, payload)

    def _partial(self, spec, now: int) -> dict:
        """Partial depth has the diff's shape: U = u = the book's update id, pu the one this stream sent last."""
        update_id, bids, asks = self.sim.futures.depth(spec.symbol, spec.levels)
        key = (spec.symbol, spec.levels, spec.speed_ms)
        previous = self.partial_last.get(key, update_id)
        self.partial_last[key] = update_id
        return fm.render_depth(self.fanout.formats(spec.symbol), update_id, update_id, previous, bids, asks, now)

    def _klines(self, spec, now: int) -> list:
        """The open kline; when its interval has rolled over since the last push, the closed one first."""
        futures, fmt = self.sim.futures, self.fanout.formats(spec.symbol)
        market = futures.market[spec.symbol]
        interval_ms = KLINE_INTERVALS_MS[spec.interval]
        start = now - now % interval_ms
        out = []
        key = (spec.symbol, spec.interval)
        previous = self.kline_open.get(key)
        if previous is not None and previous < start:
            closed = render_kline(fmt, market, spec.interval, previous, True, now)
            if closed is not None:
                out.append(closed)
        self.kline_open[key] = start
        current = render_kline(fmt, market, spec.interval, start, False, now)
        if current is not None:
            out.append(current)
        return out

    def _render(self, spec, now: int) -> list:
        futures = self.sim.futures
        symbols = [spec.symbol] if spec.symbol is not None else list(futures.instruments)
        symbols = [symbol for symbol in symbols if symbol in futures.instruments]
        if not symbols:
            return []
        formats = {symbol: self.fanout.formats(symbol) for symbol in symbols}
        kind = spec.kind
        if kind in (fm.MARK_PRICE, fm.ALL_MARK_PRICES):
            items = [fm.render_mark_price(formats[s], futures.mark_view(s), now) for s in symbols]
            return [items] if kind == fm.ALL_MARK_PRICES else items
        if kind in (fm.TICKER, fm.ALL_TICKERS):
            items = [fm.render_ticker(formats[s], futures.market[s], now) for s in symbols]
            return [items] if kind == fm.ALL_TICKERS else items
        if kind in (fm.MINI_TICKER, fm.ALL_MINI_TICKERS):
            items = [fm.render_mini_ticker(formats[s], futures.market[s], now) for s in symbols]
            return [items] if kind == fm.ALL_MINI_TICKERS else items
        if kind == fm.KLINE:
            return self._klines(spec, now)
        if kind == fm.PARTIAL_DEPTH:
            return [self._partial(spec, now)]
        return []
