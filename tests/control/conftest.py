"""Control-plane fixtures: simulators on a frozen clock, so every test is deterministic."""
from __future__ import annotations

import pytest

from simulator.clock import SimClock
from simulator.config import load_config
from simulator.control.api import Control
from simulator.core import Simulator
from simulator.server import build_simulator
from tests.conftest import quiet_config

T0 = 1_700_000_000_000


def frozen_sim(with_market_maker: bool = False, **kwargs) -> Simulator:
    config = load_config() if with_market_maker else quiet_config()
    return build_simulator(config, clock=SimClock(frozen_at_ms=T0), **kwargs)


@pytest.fixture
def fsim() -> Simulator:
    """Quiet (no market maker), frozen clock."""
    return frozen_sim()


@pytest.fixture
def msim() -> Simulator:
    """With the default market maker, frozen clock."""
    return frozen_sim(with_market_maker=True)


@pytest.fixture
def control(fsim) -> Control:
    return Control(fsim)
