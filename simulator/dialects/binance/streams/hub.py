"""WebSocket connections, their subscriptions, and the fan-out of engine events to them.

The engine calls `StreamHub.on_event` synchronously, in the middle of its operations. The hub never blocks
there and never raises into the engine: it renders each payload at once (so it captures the state of that
moment), serialises it once per wrapping, and puts the text on each interested connection's bounded outbound
queue. A connection whose queue overflows (a consumer too slow to keep up) is dropped; the engine never waits
for a socket. Each connection has one writer task that drains its queue in order, so control replies, pings
and events leave in the order they were queued.

Interval streams (diff depth every 100 ms or 1000 ms, partial depth, tickers, klines) are produced by `run`, the
hub's background job, which also sends keepalive pings, drops connections that stopped answering them or that
reached their maximum lifetime (on the simulator's clock, so tests can advance it), and sweeps expired
listenKeys.

Faults (ws_faults.py): every outgoing message goes through `Connection.send`, which hands it to the ws_* fault
hooks only while the simulator has faults registered; ws_close and releasing reordered messages run in the
100 ms pass; depth_gap in `flush_interval`. With `--journal`, every frame in and out (and each connection's
open and close, and each message a fault dropped) is recorded with `Journal.ws`.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import WSCloseCode, WSMsgType, web

from simulator.control.journal import JOURNAL
from simulator.core import Simulator
from simulator.dialects.binance.streams import market as ms
from simulator.dialects.binance.streams import faults as ws_faults
from simulator.dialects.binance.streams.market import DepthBatch, StreamSpec
from simulator.dialects.binance.streams.user import UserSink, UserStreams, dumps
from simulator.engine.events import BalanceUpdate, DepthUpdate, Event, OrderUpdate, TradeEvent

log = logging.getLogger(__name__)

TICK_S = 0.1
SPEEDS_MS = (ms.FAST_SPEED_MS, ms.DEFAULT_SPEED_MS)
MAX_QUEUE = 10_000  # frames waiting for one connection before it counts as too slow and is dropped
CLOSE_TIMEOUT_S = 2.0


@dataclass
class StreamSettings:
    """Connection policing, from the config's `websocket` section; tests may shrink any of it."""

    ping_interval_s: float = 20.0
    pong_timeout_s: float = 60.0  # Binance: a pong must come back within a minute of a ping
    max_lifetime_ms: int = 86_400_000  # on the simulator's clock
    max_incoming_per_s: int = 5  # market-stream connections only (the WebSocket API has weight limits)
    max_queue: int = MAX_QUEUE
    sweep_interval_s: float = 1.0

    @classmethod
    def from_config(cls, sim: Simulator) -> "StreamSettings":
        ws = sim.config.websocket
        return cls(ping_interval_s=ws.ping_interval_s, pong_timeout_s=3 * ws.ping_interval_s,
                   max_lifetime_ms=ws.max_lifetime_s * 1000, max_incoming_per_s=ws.max_incoming_per_s)


class _Ping:
    pass


_PING = _Ping()


class _Pong:
    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data


class Connection:
    """One WebSocket client: its outbound queue, its subscriptions and what policing needs to know."""

    def __init__(self, hub: StreamHub, ws: web.WebSocketResponse, request: web.Request, *, combined: bool,
                 market: bool):
        self.hub = hub
        self.ws = ws
        self.request = request
        self.remote = request.remote or ""
        self.combined = combined
        self.market = market
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=hub.settings.max_queue)
        self.names: dict[str, None] = {}  # market stream names, in subscription order
        self.user_sinks: dict[str | int, UserSink] = {}  # by listenKey, or by WebSocket API subscription id
        self.next_subscription_id = 0
        self.return_rate_limits = request.query.get("returnRateLimits", "").lower() != "false"
        # timeUnit=MICROSECOND (any case) on /ws or /stream: event times in microseconds
        self.micro = market and request.query.get("timeUnit", "").upper() == "MICROSECOND"
        self.opened_ms = hub.sim.clock.now_ms()
        self.connected_since = hub.sim.clock.server_time_ms()
        now = time.monotonic()
        self.last_ping = now
        self.awaiting_pong_since: float | None = None
        self.incoming: deque[float] = deque()
        self.closed = False  # forgotten by the hub: nothing more is queued
        self.closing = False
        self.closing_task: asyncio.Future | None = None
        self.held: dict[tuple, ws_faults.Held] = {}  # ws_reorder: frames waiting for their stream's next one
        self.conn_id = hub.next_connection_id()
        self.path = request.path_qs
        self.journal = request.app.get(JOURNAL)
        if self.journal is not None:
            self.journal.ws("open", self.conn_id, self.path, None, remote=self.remote)
        self.writer = asyncio.create_task(self._write())

    # --- sending (never blocks) ------------------------------------------------------------------------
    def send(self, text: str, stream: str | None = None, account_id: int | None = None) -> None:
        """Queue one text message; `stream` (a market stream name or a listenKey) and `account_id` (of a user
        data message) are what faults target it by."""
        injector = self.hub.sim.faults
        if injector.kinds:
            ws_faults.send(self, injector, text, stream, account_id)
        else:
            self._put(text)

    def send_json(self, payload: object) -> None:
        self.send(dumps(payload))

    def silenced(self) -> bool:
        """A ws_silence fault holds this connection: not even pings or pongs leave it."""
        injector = self.hub.sim.faults
        return bool(injector.kinds) and ws_faults.silenced(self, injector)

    def journal_drop(self, text: str, kind: str) -> None:
        if self.journal is not None:
            self.journal.ws("drop", self.conn_id, self.path, text, fault=kind)

    def _put(self, item: object) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.abort(WSCloseCode.POLICY_VIOLATION, "Send queue overflow: consumer too slow")

    async def _write(self) -> None:
        ws, queue, journal = self.ws, self.queue, self.journal
        loop = asyncio.get_running_loop()
        try:
            while True:
                item = await queue.get()
                try:
                    if isinstance(item, ws_faults.Delayed):  # ws_delay: it, and all behind it, wait
                        wait = item.due - loop.time()
                        if wait > 0:
                            await asyncio.sleep(wait)
                        item = item.text
                    if isinstance(item, str):
                        await ws.send_str(item)
                        if journal is not None:
                            journal.ws("out", self.conn_id, self.path, item)
                    elif item is _PING:
                        await ws.ping(b"")
                        if journal is not None:
                            journal.ws("out", self.conn_id, self.path, None, frame="ping")
                    elif isinstance(item, _Pong):
                        await ws.pong(item.data)
                        if journal is not None:
                            journal.ws("out", self.conn_id, self.path, None, frame="pong")
                finally:
                    queue.task_done()
        except asyncio.CancelledError:
            raise
        except Exception:  # the peer went away mid-write: stop here, the reader sees the close
            self.close_soon(WSCloseCode.ABNORMAL_CLOSURE, "write failed", drain=False)

    # --- closing ---------------------------------------------------------------------------------------
    def abort(self, code: int, reason: str) -> None:
        """Drop the connection now, from synchronous code: what is still queued is discarded."""
        self.close_soon(code, reason, drain=False)

    def close_soon(self, code: int, reason: str, *, drain: bool = True) -> None:
        """Stop all sending to this connection now and close it in the background."""
        if self._start_closing():
            self.closing_task = self.hub.spawn(self._finish(code, reason, drain))

    async def close(self, code: int, reason: str) -> None:
        """Close from async code: let queued frames go first (up to a short timeout), then close."""
        self.close_soon(code, reason)
        if self.closing_task is not None:
            await asyncio.shield(self.closing_task)

    def _start_closing(self) -> bool:
        if self.closing:
            return False
        self.closing = True
        self.hub.forget(self)
        return True

    def journal_close(self, **details: object) -> None:
        journal, self.journal = self.journal, None  # once per connection
        if journal is not None:
            journal.ws("close", self.conn_id, self.path, None, **details)

    async def _finish(self, code: int, reason: str, drain: bool) -> None:
        if drain:
            try:
                await asyncio.wait_for(self.queue.join(), CLOSE_TIMEOUT_S)
            except asyncio.TimeoutError:
                pass
        self.writer.cancel()
        try:
            await asyncio.wait_for(self.ws.close(code=code, message=reason.encode()), CLOSE_TIMEOUT_S)
        except (asyncio.TimeoutError, ConnectionError, RuntimeError):
            pass
        finally:
            transport = self.request.transport
            if transport is not None and not self.ws.closed:
                transport.close()
            self.journal_close(code=code, reason=reason)


class StreamHub:
    def __init__(self, sim: Simulator, settings: StreamSettings | None = None):
        self.sim = sim
        self.settings = settings or StreamSettings.from_config(sim)
        self.connections: dict[Connection, None] = {}
        self.subscribers: dict[str, dict[Connection, None]] = {}  # market stream name -> connections
        self.specs: dict[str, StreamSpec] = {}
        self.by_symbol_kind: dict[tuple[str, str | None], dict[str, None]] = {}  # (kind, symbol) -> names
        self.user = UserStreams(sim)
        self.depth: dict[int, dict[str, DepthBatch]] = {speed: {} for speed in SPEEDS_MS}
        self.last_book_ticker: dict[str, tuple[int, int, int, int]] = {}
        self.traded: set[str] = set()  # symbols with trades since the last `!ticker@arr` push
        self.kline_open: dict[tuple[str, str], int] = {}  # (symbol, interval) -> open time last pushed
        # symbol -> id of the first aggregate trade of the operation under way (see _on_trade / _flush_agg_trades)
        self.agg_from: dict[str, int] = {}
        self._tasks: set[asyncio.Task] = set()
        self._connection_ids = itertools.count(1)
        self.passes = 0  # 100 ms passes completed (tests wait on it)

    def next_connection_id(self) -> int:
        return next(self._connection_ids)

    # --- lifecycle -------------------------------------------------------------------------------------
    def attach(self) -> None:
        self.sim.engine.subscribe(self.on_event)  # Simulator reset/restore carries it to the new engine
        self.sim.on_swap.append(self.on_swap)

    def detach(self) -> None:
        if self.on_event in self.sim.engine.listeners:
            self.sim.engine.unsubscribe(self.on_event)
        if self.on_swap in self.sim.on_swap:
            self.sim.on_swap.remove(self.on_swap)

    def on_swap(self, sim: Simulator) -> None:
        """The simulator's state was reset or restored: update ids, orders and accounts changed under every
        stream, so each client is disconnected to start over (resubscribe, new snapshot, new listenKey)."""
        self.depth = {speed: {} for speed in SPEEDS_MS}
        self.last_book_ticker.clear()
        self.traded.clear()
        self.kline_open.clear()
        self.agg_from.clear()
        for conn in list(self.connections):
            conn.close_soon(WSCloseCode.SERVICE_RESTART, "Simulator state replaced", drain=False)

    def spawn(self, coro: Awaitable) -> asyncio.Future:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def open(self, ws: web.WebSocketResponse, request: web.Request, *, combined: bool,
             market: bool) -> Connection:
        conn = Connection(self, ws, request, combined=combined, market=market)
        self.connections[conn] = None
        return conn

    def forget(self, conn: Connection) -> None:
        """Remove a connection from everything; idempotent."""
        if conn.closed:
            return
        conn.closed = True
        self.connections.pop(conn, None)
        for name in list(conn.names):
            self.unsubscribe(conn, name)
        for sink in list(conn.user_sinks.values()):
            self.user.remove(sink)
        conn.user_sinks.clear()

    async def serve(self, conn: Connection, on_text: Callable[[Connection, str], None]) -> None:
        """Read frames until the peer goes: pings are answered, pongs noted, text handed to `on_text`."""
        ws = conn.ws
        try:
            while not conn.closed:
                msg = await ws.receive()
                if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    break
                if conn.journal is not None:
                    if msg.type is WSMsgType.TEXT:
                        conn.journal.ws("in", conn.conn_id, conn.path, msg.data)
                    else:
                        conn.journal.ws("in", conn.conn_id, conn.path, None, frame=msg.type.name.lower())
                if conn.market and self._over_message_limit(conn):
                    conn.close_soon(WSCloseCode.POLICY_VIOLATION, "Too many messages")
                    break
                if msg.type is WSMsgType.TEXT:
                    try:
                        on_text(conn, msg.data)
                    except Exception:  # a dialect bug answers nothing but keeps the connection
                        log.exception("failed to handle %r", msg.data[:200])
                elif msg.type is WSMsgType.PING:
                    if not conn.silenced():  # ws_silence: pings go unanswered
                        conn._put(_Pong(msg.data))
                elif msg.type is WSMsgType.PONG:
                    conn.awaiting_pong_since = None
        finally:
            self.forget(conn)
            if conn.closing_task is not None:  # the server is closing it: let that finish
                await asyncio.shield(conn.closing_task)
            else:  # the peer left
                conn.writer.cancel()
                if not ws.closed:
                    await ws.close()
                conn.journal_close(by="client", code=ws.close_code)

    def _over_message_limit(self, conn: Connection) -> bool:
        now = time.monotonic()
        incoming = conn.incoming
        while incoming and now - incoming[0] >= 1.0:
            incoming.popleft()
        incoming.append(now)
        return len(incoming) > self.settings.max_incoming_per_s

    async def shutdown(self) -> None:
        """Server shutdown: tell market-stream clients (Binance's serverShutdown event) and close everyone."""
        self.detach()
        event = {"e": "serverShutdown", "E": self.sim.clock.now_ms()}
        closing = []
        for conn in list(self.connections):
            if conn.market:
                data = ms.event_to_microseconds(event) if conn.micro else event
                conn.send(dumps({"stream": "!serverShutdown", "data": data} if conn.combined else data))
            closing.append(conn.close(WSCloseCode.GOING_AWAY, "Server shutdown"))
        await asyncio.gather(*closing, return_exceptions=True)

    # --- subscriptions ---------------------------------------------------------------------------------
    def subscribe(self, conn: Connection, name: str, spec: StreamSpec) -> None:
        if conn.closed or name in conn.names:
            return
        conn.names[name] = None
        subscribers = self.subscribers.get(name)
        if subscribers is None:
            subscribers = self.subscribers[name] = {}
            self.specs[name] = spec
            self.by_symbol_kind.setdefault((spec.kind, spec.symbol), {})[name] = None
        subscribers[conn] = None

    def unsubscribe(self, conn: Connection, name: str) -> None:
        conn.names.pop(name, None)
        subscribers = self.subscribers.get(name)
        if subscribers is None:
            return
        subscribers.pop(conn, None)
        if not subscribers:
            del self.subscribers[name]
            spec = self.specs.pop(name)
            names = self.by_symbol_kind[(spec.kind, spec.symbol)]
            del names[name]
            if not names:
                del self.by_symbol_kind[(spec.kind, spec.symbol)]
            if spec.kind == ms.KLINE:
                self.kline_open.pop((spec.symbol, spec.interval), None)

    def subscribe_user(self, conn: Connection, sink: UserSink) -> None:
        key = sink.listen_key if sink.listen_key is not None else sink.subscription_id
        if conn.closed or key in conn.user_sinks:
            return
        conn.user_sinks[key] = sink
        self.user.add(sink)

    def unsubscribe_user(self, conn: Connection, key: str | int) -> UserSink | None:
        sink = conn.user_sinks.pop(key, None)
        if sink is not None:
            self.user.remove(sink)
        return sink

    def publish(self, name: str, payload: object) -> None:
        """Send one payload to a market stream's subscribers, raw or wrapped as each connection wants it."""
        subscribers = self.subscribers.get(name)
        if not subscribers:
            return
        text = dumps(payload)
        wrapped = micro = micro_wrapped = None
        for conn in list(subscribers):
            if conn.micro:  # the microsecond variant, serialised only when someone asked for it
                if micro is None:
                    micro = dumps(ms.event_to_microseconds(payload))
                if conn.combined:
                    if micro_wrapped is None:
                        micro_wrapped = f'{{"stream":{json.dumps(name)},"data":{micro}}}'
                    conn.send(micro_wrapped, name)
                else:
                    conn.send(micro, name)
            elif conn.combined:
                if wrapped is None:
                    wrapped = f'{{"stream":{json.dumps(name)},"data":{text}}}'
                conn.send(wrapped, name)
            else:
                conn.send(text, name)

    def _drop(self, name: str, payload: object, kind: str) -> None:
        """A message a fault keeps from a whole stream: journaled for each subscriber, sent to none."""
        text = None
        for conn in self.subscribers.get(name, ()):
            if conn.journal is not None:
                text = text if text is not None else dumps(payload)
                conn.journal_drop(text, kind)

    def _names(self, kind: str, symbol: str | None) -> list[str]:
        names = self.by_symbol_kind.get((kind, symbol))
        return list(names) if names else []

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
            self.user.on_other()
            if kind is DepthUpdate:
                self._on_depth(event)
            elif kind is TradeEvent:
                self._on_trade(event)
        except Exception:  # a dialect bug must never break the engine mid-operation
            log.exception("stream hub failed on %r", event)

    def _on_trade(self, event: TradeEvent) -> None:
        trade = event.trade
        symbol = trade.symbol
        self.traded.add(symbol)
        inst = self.sim.engine.instruments[symbol]
        for name in self._names(ms.TRADE, symbol):
            self.publish(name, ms.render_trade(inst, trade, event.time))
        if symbol not in self.agg_from:
            # The engine records a trade (and so extends or opens its aggregate) before it emits the TradeEvent,
            # so the last aggregate is this trade's: the first of the operation's aggregates for the symbol.
            aggs = self.sim.engine.market[symbol].agg_trades
            if aggs:
                self.agg_from[symbol] = aggs[-1].agg_id

    def _flush_agg_trades(self, symbol: str, event_time: int) -> None:
        """Push the aggregate trades of the operation that just ended, oldest first.

        A trade may still be added to the last aggregate while its taker keeps matching at one price, so an
        aggregate is only complete when the taker's operation ends. Every operation with trades ends with a
        DepthUpdate of that symbol (each fill changes a maker's level, engine.py docstring), and it comes after
        all of the operation's trades (stop orders they triggered included): the aggregates go out there, just
        before the book ticker of that update. The `@trade` stream still pushes each trade as it happens.
        """
        first = self.agg_from.pop(symbol, None)
        if first is None:
            return
        names = self._names(ms.AGG_TRADE, symbol)
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
                self.publish(name, payload)

    def _on_depth(self, event: DepthUpdate) -> None:
        symbol = event.symbol
        if self.agg_from:
            self._flush_agg_trades(symbol, event.time)
        for batches in self.depth.values():
            batch = batches.get(symbol)
            if batch is None:
                batch = batches[symbol] = DepthBatch(event.update_id)
            batch.add(event)
        names = self._names(ms.BOOK_TICKER, symbol)
        if names:
            best = ms.best_levels(self.sim.engine, symbol)
            if best != self.last_book_ticker.get(symbol):
                self.last_book_ticker[symbol] = best
                payload = ms.render_book_ticker(self.sim.engine.instruments[symbol], event.update_id, best)
                for name in names:
                    self.publish(name, payload)

    # --- interval streams and housekeeping -------------------------------------------------------------
    async def run(self) -> None:
        """The hub's background job: a 100 ms tick driving every interval stream and all policing."""
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        tick = 0
        last_sweep = loop.time()
        while True:
            next_tick += TICK_S
            delay = next_tick - loop.time()
            if delay < -1.0:  # fell far behind (a long pause): do not replay missed ticks
                next_tick = loop.time()
            await asyncio.sleep(max(delay, 0.0))
            tick += 1
            try:
                self.flush_interval(ms.FAST_SPEED_MS)
                if tick % 10 == 0:
                    self.flush_interval(ms.DEFAULT_SPEED_MS)
                if tick % 20 == 0:
                    self.flush_interval(ms.KLINE_SPEED_MS)
                self.police()
                if loop.time() - last_sweep >= self.settings.sweep_interval_s:
                    last_sweep = loop.time()
                    self.user.sweep_listen_keys()
            except Exception:
                log.exception("stream hub tick failed")
            self.passes += 1

    def flush_interval(self, speed_ms: int) -> None:
        """Push every stream whose interval is `speed_ms` (diff depth batches are consumed either way)."""
        now = self.sim.clock.now_ms()
        engine = self.sim.engine
        if speed_ms in self.depth:
            batches, self.depth[speed_ms] = self.depth[speed_ms], {}
            for symbol, batch in batches.items():
                names = [n for n in self._names(ms.DIFF_DEPTH, symbol) if self.specs[n].speed_ms == speed_ms]
                if names:
                    payload = ms.render_depth_diff(engine.instruments[symbol], batch, now)
                    faults = self.sim.faults
                    for name in names:
                        if "depth_gap" in faults.kinds and \
                                faults.match("depth_gap", stream=name, symbol=symbol) is not None:
                            self._drop(name, payload, "depth_gap")  # a sequence gap on this stream
                            continue
                        self.publish(name, payload)
        rendered: dict[tuple, object] = {}
        for name, spec in list(self.specs.items()):
            if spec.speed_ms != speed_ms or spec.kind in (ms.DIFF_DEPTH, ms.ALL_TICKERS, ms.ALL_MINI_TICKERS):
                continue
            inst = engine.instruments.get(spec.symbol)
            if inst is None:
                continue
            key = (spec.kind, spec.symbol, spec.levels, spec.interval)
            if key not in rendered:
                rendered[key] = self._render_interval(spec, inst, now)
            payloads = rendered[key]
            for payload in payloads:
                self.publish(name, payload)
        if speed_ms == ms.DEFAULT_SPEED_MS:
            self._flush_all_market_tickers(now)

    def _render_interval(self, spec: StreamSpec, inst, now: int) -> list:
        engine = self.sim.engine
        symbol = spec.symbol
        if spec.kind == ms.PARTIAL_DEPTH:
            return [ms.render_partial_depth(inst, engine.books[symbol], spec.levels)]
        if spec.kind == ms.TICKER:
            return [ms.render_ticker(inst, engine.market[symbol], engine, now)]
        if spec.kind == ms.MINI_TICKER:
            return [ms.render_mini_ticker(inst, engine.market[symbol], now)]
        if spec.kind == ms.AVG_PRICE:
            payload = ms.render_avg_price(inst, engine.market[symbol], now)
            return [payload] if payload else []
        if spec.kind == ms.KLINE:
            return self._render_klines(spec, inst, now)
        return []

    def _render_klines(self, spec: StreamSpec, inst, now: int) -> list:
        """The current kline, preceded once by the closed one when an interval has just ended."""
        market = self.sim.engine.market[spec.symbol]
        interval_ms = ms.KLINE_INTERVALS_MS[spec.interval]
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
        traded, self.traded = self.traded, set()
        wanted = [(name, self.specs[name].kind) for name in (*self._names(ms.ALL_TICKERS, None),
                                                              *self._names(ms.ALL_MINI_TICKERS, None))]
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
            self.publish(name, payload)

    def police(self) -> None:
        """Keepalive pings, unanswered pings, the maximum connection lifetime; ws_close faults, and messages
        ws_reorder held for a fault that is gone."""
        settings = self.settings
        now = time.monotonic()
        now_ms = self.sim.clock.now_ms()
        faults = self.sim.faults
        for conn in list(self.connections):
            if now_ms - conn.opened_ms >= settings.max_lifetime_ms:
                conn.close_soon(WSCloseCode.GOING_AWAY, "Connection reached its maximum lifetime")
                continue
            if conn.awaiting_pong_since is not None and now - conn.awaiting_pong_since > settings.pong_timeout_s:
                conn.abort(WSCloseCode.POLICY_VIOLATION, "Pong timeout")
                continue
            if faults.kinds:
                if "ws_close" in faults.kinds and ws_faults.close_fault(conn, faults) is not None:
                    conn.abort(WSCloseCode.GOING_AWAY, ws_faults.CLOSE_REASON)
                    continue
            if conn.held:
                ws_faults.release_stale(conn, faults, now_ms)
            if now - conn.last_ping >= settings.ping_interval_s:
                conn.last_ping = now
                if conn.silenced():  # ws_silence: no keepalive either (and so no pong is awaited)
                    continue
                if conn.awaiting_pong_since is None:
                    conn.awaiting_pong_since = now
                conn._put(_PING)


STREAM_HUB = web.AppKey("stream_hub", StreamHub)
