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


def test_quick_is_accepted_as_by_every_benchmark():
    out = subprocess.run([sys.executable, str(BENCHMARK), "--quick"], capture_output=True, text=True, timeout=300,
                         check=True)
    figures = json.loads(out.stdout)
    assert figures["ops"] == 3000 and figures["resting"] == 3000


def test_every_benchmarks_help_says_its_whole_first_paragraph():
    for script in sorted(BENCHMARK.parent.glob("[!_]*.py")):
        first = " ".join(script.read_text().split('"""')[1].split("\n\n")[0].split())
        out = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=60,
                             check=True)
        assert first in " ".join(out.stdout.split()), script.name
        assert "--quick" in out.stdout, script.name
