"""The demo run against a live server as a user would run it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulator.config import load_config
from simulator.server import build_simulator
from tests.live_server import LiveServer


@pytest.mark.parametrize("market,needles", [
    ("spot", ("order_created", "order_filled", "order_completed", "order_canceled")),
    ("usdm", ("order_created", "order_filled", "order_completed", "position_update", "funding_payment")),
])
def test_demo_runs_against_a_live_server(market, needles):
    """The default config (market maker on): the demo's market orders find liquidity."""
    server = LiveServer(build_simulator(load_config())).start()
    demo = subprocess.Popen([sys.executable, "-u", "-m", "connector.demo", "--base-url", server.base_url,
                             "--market", market], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=Path(__file__).parents[2])
    try:
        out, _ = demo.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        demo.kill()
        out, _ = demo.communicate()
        pytest.fail(f"the demo did not finish in 90 s:\n{out}")
    finally:
        server.stop()
    assert demo.returncode == 0, out
    for needle in (*needles, "OK: every expected"):
        assert needle in out
