"""Shared fixtures: a quiet in-process Simulator, and a live server on an ephemeral loopback port."""
from __future__ import annotations

import dataclasses
import os

import pytest
from hypothesis import settings

from simulator.config import load_config
from simulator.core import Simulator
from simulator.server import build_simulator
from tests.live_server import LiveServer

# Hypothesis draws from a seed derived from each test's name, and keeps no example database between runs: the same
# checkout runs the same examples, so a red CI run is reproducible and a green one is not luck. For a longer,
# randomized hunt: HYPOTHESIS_PROFILE=explore make test.
settings.register_profile("deterministic", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", max_examples=500, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


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
