"""The aiohttp application: one Simulator behind the Binance dialect's REST and WebSocket endpoints.

Routes come from the dialect modules; this module only assembles them and owns the lifecycle of the
background jobs they register (started with the app, cancelled on shutdown).
"""
from __future__ import annotations

import asyncio

from aiohttp import web

from simulator.app_keys import BACKGROUND_JOBS, SIMULATOR, add_background_job, start_background, stop_background
from simulator.core import Simulator
from simulator.dialects.binance import spot_rest, streams

MAX_BODY_BYTES = 1024 * 1024
MARKET_TICK_S = 0.05


def create_app(sim: Simulator) -> web.Application:
    app = web.Application(middlewares=spot_rest.middlewares(), client_max_size=MAX_BODY_BYTES)
    app[SIMULATOR] = sim
    app[BACKGROUND_JOBS] = []
    spot_rest.setup(app)
    streams.setup(app)
    if sim.market_maker is not None:
        add_background_job(app, _run_market)
    app.on_startup.append(start_background)
    app.on_shutdown.append(stop_background)
    return app


async def _run_market(app: web.Application) -> None:
    """Let the background market catch up with the clock, a few times a second."""
    sim = app[SIMULATOR]
    while True:
        sim.market_maker.tick(sim.clock.now_ms())
        await asyncio.sleep(MARKET_TICK_S)
