"""The stream hub: every WebSocket connection of one server, what each is subscribed to, and the jobs that feed
them.

It composes the rooms of streams/: connections (connection.py) opened by the routes, the subscription registry
(registry.py), the fan-out of engine events (fanout.py) and of user data (user.py), the interval streams
(intervals.py) and policing (policing.py). `run` is its background job: a pass every `pass_ms` (100 ms on spot)
driving every interval stream and all policing, and sweeping expired listenKeys. FuturesHub (futures_hub.py)
states only what differs: its engine, its fan-out and user data, its pass and speeds.

Faults (faults.py): every outgoing message goes through `Connection.send`, which hands it to the ws_* fault hooks
only while the simulator has faults registered; ws_close, ws_lifetime and releasing reordered messages run in the
hub's pass; depth_gap in the interval pass; ws_connect_limit before the handshake (`admit`). A connection's
opening and each frame it sends (once handled, so what it subscribes to counts) start the window of a fault that
waits for its first hit (`ws_faults.arrived`). With `--journal`, every frame in and out (and each connection's
open and close, and each message a fault dropped) is recorded with `Journal.ws`.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable

from aiohttp import WSCloseCode, WSMsgType, web

from simulator.core import Simulator
from simulator.dialects.binance.streams import faults as ws_faults
from simulator.dialects.binance.streams import market as ms
from simulator.dialects.binance.streams.admission import ConnectionAttempts
from simulator.dialects.binance.streams.connection import Connection, Pong
from simulator.dialects.binance.streams.fanout import EventFanout
from simulator.dialects.binance.streams.intervals import IntervalStreams
from simulator.dialects.binance.streams.policing import StreamSettings, over_message_limit, police
from simulator.dialects.binance.streams.registry import Subscriptions
from simulator.dialects.binance.streams.stream_names import StreamSpec
from simulator.dialects.binance.streams.user import UserSink, UserStreams, dumps
from simulator.dialects.binance.wire.time_unit import event_to_microseconds

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024  # the largest frame a client may send


class StreamHub:
    pass_ms = 100  # every spot speed is a multiple of it
    interval_speeds_ms = (ms.FAST_SPEED_MS, ms.DEFAULT_SPEED_MS, ms.KLINE_SPEED_MS)  # flushed in this order

    def __init__(self, sim: Simulator, settings: StreamSettings | None = None):
        self.sim = sim
        self.settings = settings or StreamSettings.from_config(sim)
        self.connections: dict[Connection, None] = {}
        self.subscriptions = Subscriptions()
        self.user = UserStreams(sim)
        self.fanout = EventFanout(sim, self.subscriptions, self.user)
        self.intervals = IntervalStreams(sim, self.subscriptions, self.fanout)
        self._tasks: set[asyncio.Task] = set()
        self._connection_ids = itertools.count(1)
        self.passes = 0  # passes completed (tests wait on it)
        self.attempts = ConnectionAttempts()
        self._engine = None  # the engine listened to, to stop listening to the same one

    # --- lifecycle -------------------------------------------------------------------------------------
    def engine_of(self, sim: Simulator):
        """The engine whose events this hub's streams carry (FuturesHub: the futures one)."""
        return sim.engine

    def attach(self) -> None:
        self._listen(self.engine_of(self.sim))
        self.sim.on_swap.append(self.on_swap)

    def _listen(self, engine) -> None:
        # idempotent: a reset or restore already carries the listeners over to the new engine (Simulator._swap_in)
        if self.fanout.on_event not in engine.listeners:
            engine.subscribe(self.fanout.on_event)
        if self.fanout.on_operation_end not in engine.operation_listeners:
            engine.subscribe_operation_end(self.fanout.on_operation_end)
        self._engine = engine

    def detach(self) -> None:
        engine = self._engine
        if engine is not None:
            if self.fanout.on_event in engine.listeners:
                engine.unsubscribe(self.fanout.on_event)
            if self.fanout.on_operation_end in engine.operation_listeners:
                engine.unsubscribe_operation_end(self.fanout.on_operation_end)
        if self.on_swap in self.sim.on_swap:
            self.sim.on_swap.remove(self.on_swap)

    def on_swap(self, sim: Simulator) -> None:
        """The simulator's state was reset or restored: listen to the new engine; update ids, orders and
        accounts changed under every stream, so forget what was gathered and disconnect each client to start
        over (resubscribe, new snapshot, new listenKey)."""
        self._listen(self.engine_of(sim))
        self.fanout.reset()
        self.intervals.reset()
        for conn in list(self.connections):
            conn.close_soon(WSCloseCode.SERVICE_RESTART, "Simulator state replaced", drain=False)

    def spawn(self, coro: Awaitable) -> asyncio.Future:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def admit(self, request: web.Request) -> web.Response | None:
        """Before the handshake: None to let a connection in, or the 429 refusing one IP's connection attempt
        over its budget (admission.py: Binance's 300 per 5 minutes, or a ws_connect_limit fault's)."""
        refused = self.attempts.admit(request, self.sim.clock.now_ms(), self.sim.faults)
        if refused is not None:  # a refused handshake is the client's traffic too (scenarios count them)
            self.sim.traffic.request(f"GET {request.path}", None)["status"] = refused.status
        return refused

    async def handshake(self, request: web.Request, *, combined: bool, market: bool) -> Connection | web.Response:
        """A new connection: admitted, upgraded and open; or the 429 that refuses it (to be returned as is)."""
        refused = self.admit(request)
        if refused is not None:
            return refused
        ws = web.WebSocketResponse(autoping=False, max_msg_size=MAX_MESSAGE_BYTES)
        await ws.prepare(request)
        return self.open(ws, request, combined=combined, market=market)

    def open(self, ws: web.WebSocketResponse, request: web.Request, *, combined: bool,
             market: bool) -> Connection:
        conn = Connection(self, ws, request, conn_id=next(self._connection_ids), max_queue=self.settings.max_queue,
                          combined=combined, market=market)
        self.connections[conn] = None
        self.sim.traffic.connected(conn.conn_id, request.path)
        return conn

    def forget(self, conn: Connection) -> None:
        """Remove a connection from everything; idempotent."""
        if conn.closed:
            return
        conn.closed = True
        self.connections.pop(conn, None)
        self.sim.traffic.disconnected(conn.conn_id)
        for name in list(conn.names):
            self.unsubscribe(conn, name)
        for sink in list(conn.user_sinks.values()):
            self.user.remove(sink)
        conn.user_sinks.clear()

    async def serve(self, conn: Connection, on_text: Callable[[Connection, str], None]) -> None:
        """Read frames until the peer goes: pings are answered, pongs noted, text handed to `on_text`."""
        ws = conn.ws
        try:
            ws_faults.arrived(conn, self.sim.faults)
            while not conn.closed:
                msg = await ws.receive()
                if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    break
                if conn.journal is not None:
                    if msg.type is WSMsgType.TEXT:
                        conn.journal.ws("in", conn.conn_id, conn.path, msg.data)
                    else:
                        conn.journal.ws("in", conn.conn_id, conn.path, None, frame=msg.type.name.lower())
                if conn.market and over_message_limit(conn, self.settings):
                    conn.close_soon(WSCloseCode.POLICY_VIOLATION, "Too many messages")
                    break
                if msg.type is WSMsgType.TEXT:
                    try:
                        on_text(conn, msg.data)
                    except Exception:  # a dialect bug answers nothing but keeps the connection
                        log.exception("failed to handle %r", msg.data[:200])
                elif msg.type is WSMsgType.PING:
                    if not conn.silenced():  # ws_silence: pings go unanswered
                        conn.put(Pong(msg.data))
                elif msg.type is WSMsgType.PONG:
                    conn.awaiting_pong_since = None
                ws_faults.arrived(conn, self.sim.faults)  # a firstHit fault window starts with its traffic
        finally:
            self.forget(conn)
            if conn.closing_task is not None:  # the server is closing it: let that finish
                await asyncio.shield(conn.closing_task)
            else:  # the peer left
                conn.writer.cancel()
                if not ws.closed:
                    await ws.close()
                conn.journal_close(by="client", code=ws.close_code)

    async def shutdown(self) -> None:
        """Server shutdown: tell market-stream clients (Binance's serverShutdown event) and close everyone."""
        self.detach()
        event = {"e": "serverShutdown", "E": self.sim.clock.now_ms()}
        closing = []
        for conn in list(self.connections):
            if conn.market:
                data = event_to_microseconds(event) if conn.micro else event
                conn.send(dumps({"stream": "!serverShutdown", "data": data} if conn.combined else data))
            closing.append(conn.close(WSCloseCode.GOING_AWAY, "Server shutdown"))
        await asyncio.gather(*closing, return_exceptions=True)

    # --- subscriptions ---------------------------------------------------------------------------------
    def subscribe(self, conn: Connection, name: str, spec: StreamSpec) -> None:
        self.subscriptions.add(conn, name, spec)
        self.sim.traffic.subscribed(conn.conn_id, name)

    def unsubscribe(self, conn: Connection, name: str) -> None:
        gone = self.subscriptions.remove(conn, name)
        if gone is not None:
            self.intervals.stream_gone(gone)

    def subscribe_user(self, conn: Connection, sink: UserSink) -> None:
        key = sink.listen_key if sink.listen_key is not None else sink.subscription_id
        if conn.closed or key in conn.user_sinks:
            return
        conn.user_sinks[key] = sink
        self.user.add(sink)
        self.sim.traffic.user_stream(conn.conn_id, sink.account_id)

    def unsubscribe_user(self, conn: Connection, key: str | int) -> UserSink | None:
        sink = conn.user_sinks.pop(key, None)
        if sink is not None:
            self.user.remove(sink)
        return sink

    # --- the pass --------------------------------------------------------------------------------------
    async def run(self) -> None:
        """The hub's background job: every `pass_ms`, the interval streams due, then policing; listenKey expiry
        once per sweep interval."""
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        elapsed_ms = 0
        last_sweep = loop.time()
        while True:
            next_tick += self.pass_ms / 1000
            delay = next_tick - loop.time()
            if delay < -1.0:  # fell far behind (a long pause): do not replay missed passes
                next_tick = loop.time()
            await asyncio.sleep(max(delay, 0.0))
            elapsed_ms += self.pass_ms
            try:
                for speed in self.interval_speeds_ms:
                    if elapsed_ms % speed == 0:
                        self.flush_interval(speed)
                self.police()
                if loop.time() - last_sweep >= self.settings.sweep_interval_s:
                    last_sweep = loop.time()
                    self.user.sweep_listen_keys()
            except Exception:
                log.exception("%s pass failed", type(self).__name__)
            self.passes += 1

    def flush_interval(self, speed_ms: int) -> None:
        self.intervals.flush(speed_ms)

    def police(self) -> None:
        police(self.connections, self.settings, self.sim.faults, self.sim.clock.now_ms())


STREAM_HUB = web.AppKey("stream_hub", StreamHub)
