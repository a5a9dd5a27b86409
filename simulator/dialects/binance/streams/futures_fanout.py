"""The futures engine's events to futures stream payloads, as they happen and on the hub's timer.

`FuturesFanout` is the futures engine's listener. What it does as spot does (depth batches per symbol and speed,
aggregate trades and the top of the book held until an operation ends) is streams.operation_fanout's; futures
adds user data, rendered and queued at once (in the engine's order: an operation's order updates, then its
ACCOUNT_UPDATE), forceOrder as the liquidation ends, and the all-market `!bookTicker` stream.

`FuturesIntervals.flush(speed)` publishes what is due at that speed: diff depth (100 / 250 / 500 ms: the batches
gathered, a depth_gap fault keeping one from a stream), partial depth, mark price (1 s / 3 s, read from the
engine's mark view: there is no event per mark change), klines (250 ms), tickers and mini tickers (500 ms).
"""
from __future__ import annotations

from simulator import fault_kinds as fk
from simulator.dialects.binance.streams import futures_market as fm, futures_user as fu
from simulator.dialects.binance.streams.market import render_kline
from simulator.dialects.binance.streams.operation_fanout import OperationFanout
from simulator.dialects.binance.streams.registry import Subscriptions
from simulator.dialects.binance.streams.stream_names import DIFF_DEPTH, KLINE, KLINE_INTERVALS_MS, PARTIAL_DEPTH
from simulator.dialects.binance.wire.futures_amounts import Formats
from simulator.engine.events import OrderUpdate
from simulator.engine.perp.events import AccountUpdate, ConfigUpdate, ForceOrder, MarginCall


class FuturesFanout(OperationFanout):
    VENUE = "futures"
    DEPTH_SPEEDS_MS = fm.DEPTH_SPEEDS_MS
    AGG_TRADE = fm.AGG_TRADE
    BOOK_TICKER = fm.BOOK_TICKER
    render_agg_trade = staticmethod(fm.render_agg_trade)
    user: fu.FuturesUserStreams

    def handlers_by_kind(self) -> dict:
        return {**super().handlers_by_kind(), OrderUpdate: self._on_order, AccountUpdate: self._on_account_update,
                ConfigUpdate: self._on_config_update, MarginCall: self._on_margin_call,
                ForceOrder: self._on_force_order}

    def engine(self):
        return self.sim.futures

    def formats(self, symbol: str) -> Formats:
        return Formats(self.sim.futures.instruments[symbol])

    def book_ticker_names(self, symbol: str) -> list[str]:
        return [*self.subscriptions.names(fm.BOOK_TICKER, symbol), *self.subscriptions.names(fm.ALL_BOOK_TICKERS, None)]

    def render_book_ticker(self, fmt: Formats, update_id: int, best: tuple[int, int, int, int]) -> dict:
        return fm.render_book_ticker(fmt, update_id, best, self.sim.clock.now_ms())

    def _precision(self) -> int:
        return next(iter(self.sim.futures.instruments.values())).quote_precision

    # --- user data and liquidations ------------------------------------------------------------------------
    def _on_order(self, event: OrderUpdate) -> None:
        order = event.order
        if self.user.wants(order.account_id):
            notional = fu.open_notional(self.sim.futures, order.account_id, order.symbol)
            self.user.deliver(order.account_id, fu.render_order_update(event, self.formats(order.symbol), notional))

    def _on_account_update(self, event: AccountUpdate) -> None:
        if self.user.wants(event.account_id):
            self.user.deliver(event.account_id, fu.render_account_update(
                event, self.sim.futures.instruments, self._precision()))

    def _on_config_update(self, event: ConfigUpdate) -> None:
        if self.user.wants(event.account_id):
            self.user.deliver(event.account_id, fu.render_config_update(event))

    def _on_margin_call(self, event: MarginCall) -> None:
        if self.user.wants(event.account_id):
            self.user.deliver(event.account_id, fu.render_margin_call(
                event, self.sim.futures.instruments, self._precision()))

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
            if spec.speed_ms != speed_ms or spec.kind in (DIFF_DEPTH, fm.AGG_TRADE, fm.BOOK_TICKER):
                continue
            key = (spec.kind, spec.symbol, spec.interval, spec.levels)
            if key not in rendered:
                rendered[key] = self._render(spec, now)
            for payload in rendered[key]:
                self.subscriptions.publish(name, payload)

    def _flush_depth(self, speed_ms: int, now: int) -> None:
        faults, specs = self.sim.faults, self.subscriptions.specs
        for symbol, batch in self.fanout.take_depth(speed_ms).items():
            names = [n for n in self.subscriptions.names(DIFF_DEPTH, symbol) if specs[n].speed_ms == speed_ms]
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
        if kind == KLINE:
            return self._klines(spec, now)
        if kind == PARTIAL_DEPTH:
            return [self._partial(spec, now)]
        return []
