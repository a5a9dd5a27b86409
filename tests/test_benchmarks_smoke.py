"""The REST, WebSocket, start-up and soak benchmarks run end to end at tiny sizes and print one JSON line with their
figures. No timing is asserted: only that each script works (benchmarks/engine.py has its own smoke test in
tests/engine)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
TIMEOUT_S = 60


def run_script(name: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, str(BENCHMARKS / name), *args], capture_output=True, text=True,
                          timeout=TIMEOUT_S, cwd=BENCHMARKS.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout  # one JSON line, nothing else
    figures = json.loads(lines[0])
    assert isinstance(figures, dict)
    return figures


def assert_figures(figures: dict, keys: tuple[str, ...]) -> None:
    for key in keys:
        assert key in figures, key
        assert isinstance(figures[key], (int, float)) and figures[key] > 0, (key, figures[key])


def test_http_benchmark():
    figures = run_script("http.py", "--quick", "--max-seconds", "40")
    assert_figures(figures, ("orders_per_s", "p50_ms", "p99_ms", "baseline_orders_per_s", "ratio"))
    assert figures["errors"] == 0, figures["first_error"]
    assert figures["complete"] is True


def test_ws_benchmark():
    figures = run_script("ws.py", "--quick", "--max-seconds", "40")
    assert_figures(figures, ("msgs_per_s", "baseline_msgs_per_s", "ratio", "events_per_s"))
    assert figures["errors"] == 0, figures["first_error"]
    assert figures["disconnected"] == 0
    assert figures["complete"] is True


def test_startup_benchmark():
    figures = run_script("startup.py", "--quick")
    assert_figures(figures, ("ready_s_median", "ready_s_max", "port_line_s_median"))
    assert figures["ready_s_max"] >= figures["ready_s_median"]


@pytest.mark.parametrize("name", ["http.py", "ws.py", "soak.py"])
def test_the_benchmark_directory_does_not_shadow_the_standard_library(name):
    """benchmarks/http.py shares its name with the standard library's `http`: running any script from that
    directory must still import the real one (aiohttp needs http.cookies)."""
    proc = subprocess.run([sys.executable, str(BENCHMARKS / name), "--help"], capture_output=True, text=True,
                          timeout=TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "usage" in proc.stdout


def test_soak_benchmark():
    # saves every 50 ms: a quick run lasts well under a second, and a save is only counted once the file is seen changing
    figures = run_script("soak.py", "--quick", "--max-seconds", "40", "--state-interval", "0.05")
    assert_figures(figures, ("sim_days", "steps", "requests", "rss_mb_end", "state_mb_end", "ping_p99_ms"))
    assert figures["errors"] == 0, figures["first_error"]
    assert figures["complete"] is True
    assert len(figures["samples"]) >= 3 and set(figures["growth"]) >= {"rss_mb", "state_mb", "orders"}
    assert figures["samples"][-1]["orders"] > 0 and figures["saves"] >= 1
