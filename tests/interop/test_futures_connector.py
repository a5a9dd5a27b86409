"""binance-futures-connector (UMFutures and UMFuturesWebsocketClient), unmodified and in a venv of its own, against
a live simulator: its base URL (REST) and stream URL (the old root, served under /fstream) are all it is told."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.interop.futures_venv import Unavailable, futures_python
from tests.interop.helpers import DEMO_KEY, DEMO_SECRET
from tests.interop.usdm_helpers import ASK, arrange_perp_market

pytestmark = pytest.mark.interop
CLIENT = Path(__file__).with_name("futures_connector_client.py")
RUN_TIMEOUT_S = 60


@pytest.fixture(scope="session")
def python() -> Path:
    try:
        return futures_python()
    except Unavailable as exc:
        pytest.skip(f"binance-futures-connector cannot be installed in its own venv: {exc}")


def test_rest_and_streams(python, live_server):
    live_server.call(arrange_perp_market, live_server.sim)
    done = subprocess.run([str(python), str(CLIENT), live_server.base_url, f"{live_server.ws_url}/fstream",
                           DEMO_KEY, DEMO_SECRET], capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert (out["ping"], out["time"], out["symbols"]) == ({}, True, ["BTCUSDT", "ETHUSDT"])
    assert out["depth"] == [f"{ASK}.00", "5.000"] and out["mark"] == "50000.00000000"
    assert out["leverage"]["leverage"] == 5
    assert out["hedge"] == {"code": 200, "msg": "success"} and out["mode"] == {"dualSidePosition": True}
    assert out["mode_again"] == [400, -4059, "No need to change position side."]
    assert out["order"] == ["FILLED", "0.010", "LONG"] and out["queried"] == "FILLED"
    assert {"aggTrade", "ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE"} <= set(out["events"])
    assert out["positions"] == [["LONG", "0.010"]]
    assert out["assets"] == ["USDT"] and out["balance"] == ["USDT"] and out["trades"] == 1
    assert out["income"] == ["COMMISSION", "TRANSFER"]
    assert out["open"] is True
    assert out["cancel_all"] == {"code": 200, "msg": "The operation of cancel all open order is done."}
