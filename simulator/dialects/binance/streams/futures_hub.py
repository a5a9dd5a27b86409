"""The futures stream hub: every futures WebSocket connection, what each carries, and the job that feeds them.

A StreamHub (hub.py: connections, subscriptions, serving frames, policing, shutdown) fed by the futures engine
(`sim.futures`) instead of the spot one: its fan-out and interval streams are futures_fanout's, its user data
futures_user's, and its pass runs every 50 ms so that every futures speed (100, 250, 500 ms, 1 s, 3 s) is kept.
Futures connections may send 10 messages a second (spot: 5).
"""
from __future__ import annotations

import asyncio
import logging

from aiohttp import WSCloseCode, web

from simulator.dialects.binance.streams import futures_market as fm
from simulator.dialects.binance.streams.futures_fanout import FuturesFanout, FuturesIntervals
from simulator.dialects.binance.streams.futures_user import FuturesUserStreams
from simulator.dialects.binance.streams.hub import StreamHub
from simulator.dialects.binance.streams.policing import StreamSettings

log = logging.getLogger(__name__)

PASS_MS = 50
MAX_INCOMING_PER_S = 10


class FuturesHub(StreamHub):
    def __init__(self, sim, settings: StreamSettings | None = None):
        if settings is None:
            settings = StreamSettings.from_config(sim)
            settings.max_incoming_per_s = MAX_INCOMING_PER_S
        super().__init__(sim, settings)
        self.user = FuturesUserStreams(sim)
        self.fanout = FuturesFanout(sim, self.subscriptions, self.user)
        self.intervals = FuturesIntervals(sim, self.subscriptions, self.fanout)
        self._engine = None

    # --- lifecycle -------------------------------------------------------------------------------------
    def attach(self) -> None:
        self._listen(self.sim.futures)
        self.sim.on_swap.append(self.on_swap)

    def _listen(self, engine) -> None:
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

    def on_swap(self, sim) -> None:
        """Reset or restore: listen to the new futures engine, forget what was gathered, and disconnect every
        client so it starts over (resubscribe, new snapshot, new listenKey)."""
        self._listen(sim.futures)
        self.fanout.reset()
        self.intervals.reset()
        for conn in list(self.connections):
            conn.close_soon(WSCloseCode.SERVICE_RESTART, "Simulator state replaced", drain=False)

    # --- the pass ----------------------------------------------------------------------------------------
    async def run(self) -> None:
        """Every 50 ms: the interval streams due, policing; listenKey expiry once per sweep interval."""
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        elapsed_ms = 0
        last_sweep = loop.time()
        while True:
            next_tick += PASS_MS / 1000
            delay = next_tick - loop.time()
            if delay < -1.0:  # fell far behind (a long pause): do not replay missed passes
                next_tick = loop.time()
            await asyncio.sleep(max(delay, 0.0))
            elapsed_ms += PASS_MS
            try:
                for speed in fm.INTERVAL_SPEEDS_MS:
                    if elapsed_ms % speed == 0:
                        self.flush_interval(speed)
                self.police()
                if loop.time() - last_sweep >= self.settings.sweep_interval_s:
                    last_sweep = loop.time()
                    self.user.sweep_listen_keys()
            except Exception:
                log.exception("futures stream hub pass failed")
            self.passes += 1


FUTURES_HUB = web.AppKey("futures_stream_hub", FuturesHub)
