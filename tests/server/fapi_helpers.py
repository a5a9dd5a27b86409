"""An in-process REST client for the USD-M (/fapi) wire tests: the spot tests' client (rest_helpers) with the
futures rate-limit pools settable, and arranging perpetual state through the engines as a control plane would.

A test module takes the fixtures by naming them: `fapi = fapi_helpers.fapi`, `fapi_sim = fapi_helpers.fapi_sim`
(override `fapi_sim` in the module for another config).
"""
from __future__ import annotations

import contextlib
import dataclasses
from decimal import Decimal

import pytest
from aiohttp.test_utils import TestClient, TestServer

from simulator.clock import SimClock
from simulator.core import Simulator
from simulator.rate_limits import Pool
from simulator.server import build_simulator, create_app
from tests.conftest import quiet_config
from tests.server.rest_helpers import NOW, Rest

SYMBOL = "BTCUSDT"


def make_futures_sim(*, futures_limits: list[Pool] | None = None, **perp_changes) -> Simulator:
    """The quiet default on a frozen clock; `futures_limits` replaces the futures rate-limit pools,
    `perp_changes` applies to every perpetual (e.g. min_qty=Decimal("0.010"))."""
    config = quiet_config()
    if perp_changes:
        config = dataclasses.replace(
            config, perpetuals=tuple(dataclasses.replace(spec, **perp_changes) for spec in config.perpetuals))
    if futures_limits is not None:
        config = dataclasses.replace(
            config, rate_limits=dataclasses.replace(config.rate_limits, futures=tuple(futures_limits)))
    return build_simulator(config, clock=SimClock(frozen_at_ms=NOW))


class Fapi(Rest):
    async def order(self, **params) -> object:
        params.setdefault("symbol", SYMBOL)
        return await self.signed("POST", "/fapi/v1/order", **params)


@pytest.fixture
def fapi_sim() -> Simulator:
    return make_futures_sim()


@contextlib.asynccontextmanager
async def fapi_client(sim: Simulator):
    """A client of a server running `sim` (for tests that build their own simulator)."""
    client = TestClient(TestServer(create_app(sim)))
    await client.start_server()
    try:
        yield Fapi(client, sim)
    finally:
        await client.close()


@pytest.fixture
async def fapi(fapi_sim):
    async with fapi_client(fapi_sim) as client:
        yield client


# --- arranging perpetual state through the engines, as a control plane would ----------------------------------
def trader(sim: Simulator, usdt: str = "1000000") -> int:
    """A fresh account whose futures wallet holds `usdt`; its id."""
    return sim.create_account(futures={"USDT": Decimal(usdt)}).account_id


def place(sim: Simulator, account_id: int, side: str, qty: str, price: str, symbol: str = SYMBOL,
          tif: str = "GTC", **kwargs):
    """A LIMIT order on the perpetual, straight through the futures engine; its order."""
    inst = sim.futures.instruments[symbol]
    return sim.futures.place_order(account_id, symbol, side, "LIMIT", qty=inst.parse_qty(qty),
                                   price=inst.parse_price(price), tif=tif, **kwargs).order


def trade(sim: Simulator, price: str, qty: str = "0.010", symbol: str = SYMBOL) -> None:
    """A public trade between two fresh accounts (the taker buys)."""
    maker, taker = trader(sim), trader(sim)
    place(sim, maker, "SELL", qty, price, symbol)
    place(sim, taker, "BUY", qty, price, symbol)
