"""A real exsim server on an ephemeral loopback port, run in its own thread and event loop.

Its own thread lets synchronous clients (ccxt, binance-connector) block on it without starving the server,
and async tests use it exactly like a remote host.
"""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Callable

from aiohttp import web

from simulator.core import Simulator
from simulator.server import create_app, make_runner


class LiveServer:
    """`app_factory(sim, **options)` builds the application served (default: the whole exsim app)."""

    def __init__(self, sim: Simulator, app_factory: Callable[..., web.Application] = create_app, **options):
        self.sim = sim
        self.app: web.Application | None = None
        self._app_factory = app_factory
        self._options = options
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="exsim-live-server", daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def call(self, fn, *args, timeout: float = 10.0):
        """Run fn(*args) on the server's loop thread (the only safe place to touch the simulator)."""
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # handed back to the caller's thread
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return future.result(timeout)

    def start(self) -> "LiveServer":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        self.app = self._app_factory(self.sim, **self._options)
        self._runner = make_runner(self.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
