"""The aiohttp application: one Simulator behind the Binance dialect's REST and WebSocket endpoints.

Routes come from the dialect modules; this module only assembles them and owns the lifecycle of the
background jobs they register (started with the app, cancelled on shutdown).
"""
from __future__ import annotations

from aiohttp import web

from simulator.app_keys import BACKGROUND_JOBS, SIMULATOR, start_background, stop_background
from simulator.core import Simulator
from simulator.dialects.binance import spot_rest, streams

MAX_BODY_BYTES = 1024 * 1024


def create_app(sim: Simulator) -> web.Application:
    app = web.Application(middlewares=spot_rest.middlewares(), client_max_size=MAX_BODY_BYTES)
    app[SIMULATOR] = sim
    app[BACKGROUND_JOBS] = []
    spot_rest.setup(app)
    streams.setup(app)
    app.on_startup.append(start_background)
    app.on_shutdown.append(stop_background)
    return app
