"""`benchmarks/engine.py --perp` runs end to end: the perpetual replay and the funding settlement add their
figures to the one JSON line (figures are not asserted against targets: CI is noisy)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "engine.py"


def test_perp_figures_are_added():
    out = subprocess.run([sys.executable, str(BENCHMARK), "--quick", "--perp"], capture_output=True, text=True,
                         timeout=300, check=True)
    figures = json.loads(out.stdout)
    assert figures["perp_ops"] > figures["ops"]  # the same workload plus the index moves
    assert figures["perp_rejected"] == 0  # every placement had the margin it needed
    assert figures["perp_events"] > figures["perp_ops"] and 0 < figures["perp_vs_spot"]
    assert figures["settle_payers"] + figures["settle_receivers"] == figures["settle_positions"]
    assert figures["settle_events"] == figures["settle_positions"] + 1  # an account update each, one history row
    assert figures["settle_ms"] > 0
