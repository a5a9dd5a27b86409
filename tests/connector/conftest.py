"""Fixtures for the connector's tests.

aioresponses 0.7.9 builds ClientResponse without the `stream_writer` argument aiohttp 3.14 requires; until a
release fixes it, its module-level ClientResponse is swapped for a subclass that supplies one (a response built
by aioresponses has already been "sent", so aiohttp only reads `stream_writer.output_size`).
"""
from __future__ import annotations

import asyncio
import faulthandler
import inspect
from types import SimpleNamespace

import aioresponses.core as _aioresponses_core
from aiohttp import ClientResponse

if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:
    class _SentClientResponse(ClientResponse):
        def __init__(self, *args, stream_writer=None, **kwargs):
            super().__init__(*args, stream_writer=stream_writer or SimpleNamespace(output_size=0), **kwargs)

    _aioresponses_core.ClientResponse = _SentClientResponse


# --- live exsim for the integration tests ----------------------------------------------------------------------
import pytest  # noqa: E402

from connector.exchange import BinanceExchange  # noqa: E402
from connector.exsim_control import ExsimControl  # noqa: E402
from simulator.server import build_simulator  # noqa: E402
from tests.conftest import quiet_config  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

DEMO_KEY, DEMO_SECRET, DEMO_ACCOUNT = "demo-api-key", "demo-api-secret", 1
HARD_TIMEOUT_S = 150  # per test, setup and teardown included: far beyond any test's own deadlines


@pytest.fixture(autouse=True)
def hard_timeout():
    """Every test's own waits have deadlines; this is the backstop if one hangs anyway: the tracebacks of every
    thread are dumped and the process exits, instead of a run that never ends."""
    faulthandler.dump_traceback_later(HARD_TIMEOUT_S, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()
# Short timings so that every recovery happens within a test's deadline.
FAST = dict(request_timeout=2.0, ws_heartbeat=1.0, poll_interval=0.5, long_poll_interval=2.0, not_found_limit=3)


@pytest.fixture
def live():
    """A fresh exsim (the default config, no background market maker) on an ephemeral loopback port."""
    server = LiveServer(build_simulator(quiet_config())).start()
    yield server
    server.stop()


@pytest.fixture
async def control(live):
    client = ExsimControl(live.base_url)
    yield client
    await client.close()


@pytest.fixture
async def make_exchange(live, tmp_path):
    """Started spot connectors on the live server (stopped at the end); `db` names a tracking file to share."""
    made = []

    async def make(db: str = "tracking.sqlite", **options):
        exchange = BinanceExchange(DEMO_KEY, DEMO_SECRET, ["BTC-USDT"], base_url=live.base_url,
                                   tracking_db=str(tmp_path / db), **{**FAST, **options})
        made.append(exchange)
        await asyncio.wait_for(exchange.start_network(), 10)
        await exchange.wait_until_ready(10)
        return exchange

    yield make
    for exchange in made:
        await asyncio.wait_for(exchange.stop_network(), 10)
