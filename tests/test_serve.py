"""`exsim serve` as a person runs it: a live market at once, a clear refusal of bad config, a clean shutdown."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "simulator.cli", "serve", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def read_port(process: subprocess.Popen) -> tuple[int, list[str]]:
    banner = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        banner.append(line)
        if line.startswith("PORT="):
            return int(line.strip().split("=")[1]), banner
    process.kill()
    raise AssertionError("no PORT= line:\n" + "".join(banner))


def get(port: int, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return json.loads(response.read())


def eventually(fetch, accept, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if accept(value):
            return value
        time.sleep(0.1)
    raise AssertionError(f"never accepted: {value!r}")


def test_a_fresh_default_server_has_a_live_market_and_stops_cleanly_on_sigint():
    process = spawn("--port", "0")
    try:
        port, banner = read_port(process)
        assert any("api key demo-api-key" in line and "secret demo-api-secret" in line for line in banner)
        book = eventually(lambda: get(port, "/api/v3/depth?symbol=BTCUSDT&limit=20"),
                          lambda b: len(b["bids"]) >= 5 and len(b["asks"]) >= 5)
        assert float(book["bids"][0][0]) < float(book["asks"][0][0])
        trades = eventually(lambda: get(port, "/api/v3/trades?symbol=BTCUSDT"), lambda t: len(t) >= 1)
        assert trades[0]["price"] and trades[0]["qty"]
        ticker = get(port, "/api/v3/ticker/24hr?symbol=BTCUSDT")
        assert ticker["count"] >= 1 and "bidQty" in ticker and "time" not in ticker
        assert get(port, "/api/v3/klines?symbol=BTCUSDT&interval=1m")
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=15)
        assert process.returncode == 0 and "shutting down" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


DEFAULT = (ROOT / "fixtures" / "default.yaml").read_text()


@pytest.mark.parametrize("content, words", [
    (DEFAULT.replace('tick_size: "0.01"', 'tick_size: "abc"', 1), "spot[0].tick_size: not a decimal"),
    (DEFAULT + "\nsurprise: 1\n", "surprise"),
    ("nope: [\n", "not valid YAML"),
])
def test_a_bad_config_names_the_problem_and_exits_non_zero(tmp_path, content, words):
    config = tmp_path / "bad.yaml"
    config.write_text(content)
    result = subprocess.run([sys.executable, "-m", "simulator.cli", "serve", "--config", str(config)], cwd=ROOT,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and words in result.stderr and str(config) in result.stderr
