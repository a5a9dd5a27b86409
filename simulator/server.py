"""The aiohttp application: one Simulator behind the Binance dialect's REST and WebSocket endpoints.

Routes come from the dialect modules and the control plane (`/_sim/v1/`, simulator.control.http); this module
only assembles them and owns the lifecycle of the background jobs they register (started with the app,
cancelled on shutdown). With a journal, its middleware is the outermost one, so it records what clients
actually sent and received.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiohttp import web

from simulator.app_keys import (BACKGROUND_JOBS, JOURNAL, SIMULATOR, add_background_job, start_background,
                                stop_background)
from simulator.control import http as control_http
from simulator.control import journal as control_journal
from simulator.clock import SimClock
from simulator.config import Config
from simulator.core import Simulator
from simulator.dialects.binance.spot import routes as spot_rest
from simulator.dialects.binance.streams import futures_routes as futures_streams, routes as streams
from simulator.dialects.binance.usdm import routes as usdm_rest
from simulator.dialects.binance.wire.venue_state import binance_wire
from simulator.http_connections import READ_TIMEOUT_S, BoundedAppRunner

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
# aiohttp's parser answers a request line or header over 8 KiB with a plain-text 400 before the app sees it;
# allowing up to 1 MiB lets the dialect refuse long query strings with its own JSON error instead.
MAX_LINE_BYTES = 1024 * 1024
MARKET_TICK_S = 0.05


def build_simulator(config: Config | None = None, seed: int | None = None,
                    clock: SimClock | None = None) -> Simulator:
    """A Simulator this server can serve: built with the Binance dialect's own state (rate limits, listenKeys).
    Also the `build` callback for loading a snapshot file."""
    return Simulator(config, seed=seed, clock=clock, wire=binance_wire)


def create_app(sim: Simulator, *, admin_token: str | None = None, allowed_hosts: Iterable[str] = (),
               journal: control_journal.Journal | None = None) -> web.Application:
    """`admin_token` and `allowed_hosts` (names the control plane accepts in `Host` and `Origin` besides the
    loopback ones) are the control plane's (simulator.control.http)."""
    if sim.wire is None:
        raise ValueError("the server needs a Simulator built with its dialect's state: use build_simulator()")
    middlewares = list(spot_rest.middlewares())
    if journal is not None:
        middlewares.insert(0, control_journal.middleware(journal))
    app = web.Application(middlewares=middlewares, client_max_size=MAX_BODY_BYTES)
    app[SIMULATOR] = sim
    app[BACKGROUND_JOBS] = []
    if journal is not None:
        app[JOURNAL] = journal
    spot_rest.setup(app)
    usdm_rest.setup(app)
    streams.setup(app)
    futures_streams.setup(app)
    control_http.setup(app, admin_token=admin_token, allowed_hosts=allowed_hosts)
    add_background_job(app, _run_ticks)
    app.on_startup.append(start_background)
    app.on_shutdown.append(stop_background)
    return app


def make_runner(app: web.Application, *, read_timeout: float = READ_TIMEOUT_S, **kwargs) -> web.AppRunner:
    """An AppRunner with exsim's parser limits and read deadlines (simulator.http_connections: a request's
    headers within `read_timeout` seconds, its body never stalled longer); `exsim serve`, the tests and the
    benchmarks all use it."""
    return BoundedAppRunner(app, read_timeout=read_timeout, handle_signals=False, max_line_size=MAX_LINE_BYTES,
                            max_field_size=MAX_LINE_BYTES, **kwargs)


async def _run_ticks(app: web.Application) -> None:
    """Let the background market and the faults catch up with the clock, a few times a second."""
    sim = app[SIMULATOR]
    while True:
        try:
            sim.tick()
        except Exception:  # a bug in one tick must not stop the market for good
            log.exception("background tick failed")
        await asyncio.sleep(MARKET_TICK_S)
