"""Interval streams: what the hub publishes on its timer rather than per engine event: diff depth every 100 ms
or 1000 ms (the batches the fan-out gathered), partial depth, tickers, mini tickers, average price, klines, and
the all-market ticker arrays. The depth_gap fault acts here: a diff depth message it matches is not published to
that stream, so the next one's U jumps past the last u + 1 its subscribers saw.
"""
from __future__ import annotations

from simulator import fault_kinds as fk
from simulator.dialects.binance.streams import market as ms
from simulator.dialects.binance.streams.fanout import EventFanout
from simulator.dialects.binance.streams.registry import Subscriptions
from simulator.dialects.binance.streams.stream_names import (DIFF_DEPTH, KLINE, KLINE_INTERVALS_MS, PARTIAL_DEPTH,
                                                             StreamSpec)


class IntervalStreams:
    def __init__(self, sim, subscriptions: Subscriptions, fanout: EventFanout):
        self.sim = sim
        self.subscriptions = subscriptions
        self.fanout = fanout
        self.kline_open: dict[tuple[str, str], int] = {}  # (symbol, interval) -> open time last pushed

    def reset(self) -> None:
        self.kline_open.clear()

    def stream_gone(self, spec: StreamSpec) -> None:
        """The last subscriber of a stream left."""
        if spec.kind == KLINE:
            self.kline_open.pop((spec.symbol, spec.interval), None)

    def flush(self, speed_ms: int) -> None:
        """Push every stream whose interval is `speed_ms` (diff depth batches are consumed either way)."""
        now = self.sim.clock.now_ms()
        engine = self.sim.engine
        subscriptions = self.subscriptions
        specs = subscriptions.specs
        if speed_ms in self.fanout.depth:
            for symbol, batch in self.fanout.take_depth(speed_ms).items():
                names = [n for n in subscriptions.names(DIFF_DEPTH, symbol) if specs[n].speed_ms == speed_ms]
                if names:
                    payload = ms.render_depth_diff(engine.instruments[symbol], batch, now)
                    faults = self.sim.faults
                    for name in names:
                        if fk.DEPTH_GAP in faults.kinds and \
                                faults.match(fk.DEPTH_GAP, stream=name, symbol=symbol) is not None:
                            subscriptions.drop(name, payload, fk.DEPTH_GAP)  # a sequence gap on this stream
                            continue
                        subscriptions.publish(name, payload)
        rendered: dict[tuple, list] = {}
        for name, spec in list(specs.items()):
            if spec.speed_ms != speed_ms or spec.kind in (DIFF_DEPTH, ms.ALL_TICKERS, ms.ALL_MINI_TICKERS):
                continue
            inst = engine.instruments.get(spec.symbol)
            if inst is None:
                continue
            key = (spec.kind, spec.symbol, spec.levels, spec.interval)
            if key not in rendered:
                rendered[key] = self._render(spec, inst, now)
            for payload in rendered[key]:
                subscriptions.publish(name, payload)
        if speed_ms == ms.DEFAULT_SPEED_MS:
            self._flush_all_market_tickers(now)

    def _render(self, spec: StreamSpec, inst, now: int) -> list:
        engine = self.sim.engine
        symbol = spec.symbol
        if spec.kind == PARTIAL_DEPTH:
            return [ms.render_partial_depth(inst, engine.books[symbol], spec.levels)]
        if spec.kind == ms.TICKER:
            return [ms.render_ticker(inst, engine.market[symbol], engine, now)]
        if spec.kind == ms.MINI_TICKER:
            return [ms.render_mini_ticker(inst, engine.market[symbol], now)]
        if spec.kind == ms.AVG_PRICE:
            payload = ms.render_avg_price(inst, engine.market[symbol], now)
            return [payload] if payload else []
        if spec.kind == KLINE:
            return self._render_klines(spec, inst, now)
        return []

    def _render_klines(self, spec: StreamSpec, inst, now: int) -> list:
        """The current kline, preceded once by the closed one when an interval has just ended."""
        market = self.sim.engine.market[spec.symbol]
        interval_ms = KLINE_INTERVALS_MS[spec.interval]
        start = now - now % interval_ms
        key = (spec.symbol, spec.interval)
        payloads = []
        previous = self.kline_open.get(key)
        if previous is not None and previous < start:
            closed = ms.render_kline(inst, market, spec.interval, previous, True, now)
            if closed:
                payloads.append(closed)
        current = ms.render_kline(inst, market, spec.interval, start, False, now)
        if current:
            payloads.append(current)
            self.kline_open[key] = start
        return payloads

    def _flush_all_market_tickers(self, now: int) -> None:
        traded = self.fanout.take_traded()
        subscriptions = self.subscriptions
        wanted = [(name, subscriptions.specs[name].kind)
                  for name in (*subscriptions.names(ms.ALL_TICKERS, None),
                               *subscriptions.names(ms.ALL_MINI_TICKERS, None))]
        if not wanted or not traded:
            return
        engine = self.sim.engine
        for name, kind in wanted:
            payload = []
            for symbol in sorted(traded):
                inst, market = engine.instruments[symbol], engine.market[symbol]
                if kind == ms.ALL_TICKERS:
                    payload.append(ms.render_ticker(inst, market, engine, now))
                else:
                    payload.append(ms.render_mini_ticker(inst, market, now))
            subscriptions.publish(name, payload)
