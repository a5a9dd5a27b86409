"""Fixtures for the wire tests: a streams-only live server, an HTTP client session, funded traders."""
from __future__ import annotations

import aiohttp
import pytest

from tests.server.ws_helpers import StreamServer


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
