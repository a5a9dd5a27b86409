"""The suite itself: its catalog, a check's three outcomes, the reports, the command and the pytest plugin, run
with the tiny REST-only adapter (tests/conformance/tiny_adapter.py) and with adapters made to misbehave."""
from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET


from conformance import report
from conformance.adapter import Capability, Timing
from conformance.cli import main as conformance_main
from conformance.framework import LEVELS
from conformance.runner import all_checks, gate_passes, run_check, run_checks, select
from tests.conformance import tiny_adapter

FAST = Timing(request_timeout=1.0, ws_silence_timeout=1.0, poll_interval=0.2)
TINY = "tests.conformance.tiny_adapter:make_adapter"


def run(ids, factory=tiny_adapter.make_adapter):
    return {r.id: r for r in asyncio.run(run_checks(select(ids=ids), factory, jobs=2, timing=FAST))}


def test_the_catalog_has_at_least_70_checks_with_stable_ids_levels_and_one_line_statements():
    checks = all_checks()
    assert len(checks) >= 70
    assert len({c.id for c in checks}) == len(checks)
    for c in checks:
        assert re.fullmatch(r"[A-Z]+-\d{3}", c.id), c.id
        assert c.level in LEVELS and c.statement and "\n" not in c.statement
        assert c.needs <= Capability.ALL, c.id
    assert {c.level for c in checks} == set(LEVELS)
    assert sum(c.level == "perpetual" for c in checks) >= 10


def test_a_check_passes_fails_with_expected_and_seen_or_skips_for_a_missing_capability():
    results = run(["RULES-001", "TIME-001", "BOOK-001"])
    assert results["RULES-001"].status == "passed"
    # the tiny adapter signs with the wall clock, and the scene moved the server's clock ahead
    assert results["TIME-001"].status == "failed"
    assert "expected OrderCreated" in results["TIME-001"].evidence and "-1021" in results["TIME-001"].evidence
    assert results["BOOK-001"].status == "skipped" and results["BOOK-001"].capability_skip
    assert "order_book" in results["BOOK-001"].evidence
    assert not gate_passes(list(results.values()))


class Silent(tiny_adapter.TinyAdapter):
    """Places orders but never says they were created."""

    async def events(self):
        async for event in super().events():
            if type(event).__name__ != "OrderCreated":
                yield event


class Raising(tiny_adapter.TinyAdapter):
    async def open_orders(self, trading_pair=None):
        raise RuntimeError("open orders unavailable")


class Nothing(tiny_adapter.TinyAdapter):
    capabilities = frozenset()


def test_an_event_never_reported_fails_with_what_was_seen():
    result = asyncio.run(run_check(select(ids=["ORDER-001"])[0], Silent, FAST))
    assert result.status == "failed"
    assert result.evidence.startswith("no OrderCreated event (client_order_id=cforder001x1)")


def test_an_adapter_that_raises_fails_the_check_with_the_exception_named():
    result = asyncio.run(run_check(select(ids=["ORDER-001"])[0], Raising, FAST))
    assert result.status == "failed" and "RuntimeError: open orders unavailable" in result.evidence


def test_an_adapter_declaring_nothing_skips_everything_and_passes_the_gate():
    results = asyncio.run(run_checks(select(ids=["ORDER-001", "PERP-001", "WS-101"]), Nothing, timing=FAST))
    assert [r.status for r in results] == ["skipped"] * 3 and all(r.capability_skip for r in results)
    assert gate_passes(results)


def test_reports_hold_every_check_in_order_with_the_required_fields(tmp_path):
    results = list(run(["RULES-004", "TIME-001", "BOOK-001"]).values())
    meta = report.summary(results, "tiny", tiny_adapter.TinyAdapter.capabilities, 1.0)
    report.write(tmp_path, results, meta)
    document = json.loads((tmp_path / "report.json").read_text())
    assert [c["id"] for c in document["checks"]] == ["BOOK-001", "RULES-004", "TIME-001"]
    assert all(set(c) == {"id", "level", "statement", "status", "evidence"} for c in document["checks"])
    assert document["summary"]["passed"] == 1 and document["summary"]["failed"] == 1
    assert document["summary"]["gate"] == "fail"
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert suite.get("tests") == "3" and suite.get("failures") == "1" and suite.get("skipped") == "1"
    assert suite.find("testcase[@name='TIME-001']/failure") is not None
    matrix = (tmp_path / "report.md").read_text()
    assert "| TIME-001 | core |" in matrix and "**FAIL**" in matrix and "Gate: **fail**" in matrix


def test_the_command_exits_0_only_when_every_selected_check_passed_or_was_skipped_for_a_capability(tmp_path,
                                                                                                  capsys):
    assert conformance_main(["--adapter", TINY, "--check", "RULES-004", "--check", "BOOK-001",
                             "--report", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert "running RULES-004" in shown and "gate pass" in shown
    assert (tmp_path / "report.json").exists() and (tmp_path / "junit.xml").exists()
    assert conformance_main(["--adapter", TINY, "--check", "TIME-001"]) == 1
    assert conformance_main(["--adapter", "no_such_module:make", "--check", "TIME-001"]) == 2
    assert conformance_main(["--adapter", TINY, "--check", "NOPE-001"]) == 2


def test_the_exsim_command_delegates_to_the_suite(tmp_path):
    from simulator.cli import main as exsim_main
    assert exsim_main(["conformance", "--adapter", TINY, "--level", "core", "--check", "RULES-004"]) == 0


PLUGIN_TEST = '''
import pytest
from conformance.plugin import SpotConformance
from tests.conformance.tiny_adapter import make_adapter


class TestTiny(SpotConformance):
    conformance_levels = ("core",)

    @pytest.fixture
    def adapter_factory(self):
        return make_adapter
'''


def test_the_pytest_plugin_turns_each_check_into_a_test_named_by_id(tmp_path):
    """A connector's own test run, in a pytest of its own: the plugin comes by its entry point."""
    (tmp_path / "test_tiny.py").write_text(PLUGIN_TEST)
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                          "-n", "0", "-k", "RULES-004 or TIME-001 or BOOK-001", "-m", "core", "test_tiny.py"],
                         cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True,
                         timeout=120)
    assert "1 failed, 1 passed, 1 skipped" in run.stdout, run.stdout + run.stderr
    assert "test_conformance[TIME-001]" in run.stdout
