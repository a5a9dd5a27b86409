"""Helpers for the futures WebSocket tests: a live server with only the futures stream endpoints, and arranging
perpetual state on its thread. Waiting and reading frames are the spot tests' (ws_helpers), every wait bounded.
"""
from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from simulator.app_keys import BACKGROUND_JOBS, SIMULATOR, start_background, stop_background
from simulator.dialects.binance.streams import futures_routes
from simulator.dialects.binance.streams.futures_hub import FUTURES_HUB, FuturesHub
from tests.live_server import LiveServer

SYMBOL = "BTCUSDT"


def futures_streams_app(sim) -> web.Application:
    app = web.Application()
    app[SIMULATOR] = sim
    app[BACKGROUND_JOBS] = []
    futures_routes.setup(app)
    app.on_startup.append(start_background)
    app.on_shutdown.append(stop_background)
    return app


class FuturesStreamServer(LiveServer):
    def __init__(self, sim):
        super().__init__(sim, futures_streams_app)

    @property
    def hub(self) -> FuturesHub:
        return self.app[FUTURES_HUB]

    def trader(self, usdt: str = "1000000") -> int:
        return self.call(lambda: self.sim.create_account(futures={"USDT": Decimal(usdt)}).account_id)

    def place(self, account_id: int, side: str, qty: str, price: str = "", *, type_: str = "LIMIT",
              symbol: str = SYMBOL, tif: str | None = "GTC", **kwargs):
        futures = self.sim.futures

        def run():
            inst = futures.instruments[symbol]
            return futures.place_order(account_id, symbol, side, type_, qty=inst.parse_qty(qty),
                                       price=inst.parse_price(price) if price else 0,
                                       tif=tif if type_ != "MARKET" else None, **kwargs)

        return self.call(run)

    def listen_key(self, account_id: int) -> str:
        return self.call(lambda: self.sim.wire.futures_listen_keys.create(account_id, self.sim.clock.now_ms()))

    def set_index(self, price: str, symbol: str = SYMBOL):
        futures = self.sim.futures
        return self.call(lambda: futures.set_index(symbol, futures.instruments[symbol].parse_price(price)))
