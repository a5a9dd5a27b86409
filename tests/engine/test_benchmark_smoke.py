"""The engine benchmark runs end to end and prints its one JSON line (figures are not asserted: CI is noisy)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "engine.py"


def test_benchmark_prints_one_json_line_with_its_figures():
    out = subprocess.run([sys.executable, str(BENCHMARK), "--ops", "3000", "--resting", "3000"],
                         capture_output=True, text=True, timeout=300, check=True)
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1, out.stdout
    figures = json.loads(lines[0])
    for key in ("ops_per_s", "p50_us", "p99_us", "rss_mb_per_million_resting"):
        assert isinstance(figures[key], (int, float)), key  # a tiny --resting may measure no RSS growth at all
    assert figures["ops"] == 3000 and figures["resting"] == 3000
    assert figures["ops_per_s"] > 0 and 0 < figures["p50_us"] <= figures["p99_us"]
    assert figures["events"] > figures["ops"]  # the listener heard the engine: accounting and events were on
