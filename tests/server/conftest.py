"""Fixtures for the wire tests: a streams-only live server, an HTTP client session, funded traders."""
from __future__ import annotations

import aiohttp
import pytest

from simulator.clock import SimClock
from simulator.core import Simulator
from simulator.server import build_simulator
from tests.conftest import quiet_config
from tests.server.ws_helpers import StreamServer

# Mid-minute, so a test's trades never straddle a kline boundary however slowly the machine runs.
FROZEN_AT = 1_700_000_030_000


@pytest.fixture
def sim() -> Simulator:
    """The quiet default on a frozen clock: stream timing (klines, listenKey expiry, lifetimes) moves only
    when a test advances it."""
    return build_simulator(quiet_config(), clock=SimClock(frozen_at_ms=FROZEN_AT))


@pytest.fixture
def server(sim):
    server = StreamServer(sim).start()
    yield server
    server.stop()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def traders(server):
    """Two funded accounts: a maker and a taker."""
    maker = server.account("maker", USDT="1000000", BTC="100", ETH="1000")
    taker = server.account("taker", USDT="1000000", BTC="100", ETH="1000")
    return maker, taker


@pytest.fixture
def alice(server):
    """A funded account (the user data tests' own)."""
    return server.account("alice", USDT="100000", BTC="10")


@pytest.fixture
def bob(server):
    return server.account("bob", USDT="100000", BTC="10")
