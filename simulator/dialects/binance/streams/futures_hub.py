"""The futures stream hub: every futures WebSocket connection, what each carries, and the job that feeds them.

A StreamHub (hub.py: connections, subscriptions, serving frames, policing, shutdown, the pass, reset) fed by the
futures engine (`sim.futures`) instead of the spot one: its fan-out and interval streams are futures_fanout's, its
user data futures_user's, and its pass runs every 50 ms so that every futures speed (100, 250, 500 ms, 1 s, 3 s)
is kept. Futures connections may send 10 messages a second (spot: 5).
"""
from __future__ import annotations

from aiohttp import web

from simulator.dialects.binance.streams import futures_market as fm
from simulator.dialects.binance.streams.futures_fanout import FuturesFanout, FuturesIntervals
from simulator.dialects.binance.streams.futures_user import FuturesUserStreams
from simulator.dialects.binance.streams.hub import StreamHub
from simulator.dialects.binance.streams.policing import StreamSettings

MAX_INCOMING_PER_S = 10


class FuturesHub(StreamHub):
    pass_ms = 50  # the greatest common divisor of the futures speeds
    interval_speeds_ms = fm.INTERVAL_SPEEDS_MS

    def __init__(self, sim, settings: StreamSettings | None = None):
        if settings is None:
            settings = StreamSettings.from_config(sim)
            settings.max_incoming_per_s = MAX_INCOMING_PER_S
        super().__init__(sim, settings)
        self.user = FuturesUserStreams(sim)
        self.fanout = FuturesFanout(sim, self.subscriptions, self.user)
        self.intervals = FuturesIntervals(sim, self.subscriptions, self.fanout)

    def engine_of(self, sim):
        return sim.futures


FUTURES_HUB = web.AppKey("futures_stream_hub", FuturesHub)
