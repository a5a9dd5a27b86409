"""Shared fixtures: a quiet in-process Simulator, and a live server on an ephemeral loopback port."""
from __future__ import annotations

import dataclasses

import pytest

from simulator.config import load_config
from simulator.core import Simulator
from simulator.server import build_simulator
from tests.live_server import LiveServer


def quiet_config(**changes):
    """The embedded default without background liquidity, so tests arrange their own books."""
    config = load_config()
    config = dataclasses.replace(config, market_maker=dataclasses.replace(config.market_maker, enabled=False))
    return dataclasses.replace(config, **changes) if changes else config


@pytest.fixture
def sim() -> Simulator:
    return build_simulator(quiet_config())


@pytest.fixture
def live_server(sim):
    server = LiveServer(sim).start()
    yield server
    server.stop()
