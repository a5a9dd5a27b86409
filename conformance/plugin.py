"""The pytest plugin (registered through the `pytest11` entry point, so installing exsim is enough).

A connector's test file subclasses `SpotConformance` or `PerpetualConformance` and provides its adapter factory
as the `adapter_factory` fixture; every check becomes a test named by its id, marked with its level:

    from conformance.plugin import SpotConformance

    class TestMyConnector(SpotConformance):
        @pytest.fixture
        def adapter_factory(self):
            return my_package.adapter.make_adapter

    pytest -k "ORDER-001 or FILL-101"      pytest -m core      pytest -n 2 (with pytest-xdist)

This module imports nothing heavy at load time: pytest loads it in every session of every project that has
exsim installed, and only a session that collects a conformance class needs the suite.
"""
from __future__ import annotations

import asyncio

import pytest

LEVEL_MARKS = {"core": "conformance checks: trading rules, orders, fills, balances, books",
               "robust": "conformance checks with injected faults",
               "perpetual": "conformance checks of USD-M perpetuals"}


def pytest_configure(config: pytest.Config) -> None:
    for name, text in LEVEL_MARKS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    cls = metafunc.cls
    if cls is None or not issubclass(cls, SpotConformance) or "conformance_check" not in metafunc.fixturenames:
        return
    from conformance.runner import select
    checks = select(list(cls.conformance_levels), list(cls.conformance_ids) or None)
    metafunc.parametrize("conformance_check", [pytest.param(c, id=c.id, marks=getattr(pytest.mark, c.level))
                                               for c in checks])


class SpotConformance:
    """Every spot check (core and robust levels) as a test. Narrow with `conformance_levels` or
    `conformance_ids`; shorten or lengthen the connector's knobs with `conformance_timing` (an
    conformance.adapter.Timing)."""

    conformance_levels: tuple[str, ...] = ("core", "robust")
    conformance_ids: tuple[str, ...] = ()
    conformance_timing = None

    @pytest.fixture
    def adapter_factory(self):
        raise pytest.UsageError(f"{type(self).__name__} must provide the adapter_factory fixture: a callable "
                                "taking conformance.adapter.AdapterConfig and returning the adapter")

    def test_conformance(self, conformance_check, adapter_factory) -> None:
        from conformance.runner import run_check
        result = asyncio.run(run_check(conformance_check, adapter_factory, self.conformance_timing))
        if result.status == "skipped":
            pytest.skip(f"{result.id}: {result.evidence}")
        if result.status == "failed":
            pytest.fail(f"{result.id}: {result.statement}\n{result.evidence}", pytrace=False)


class PerpetualConformance(SpotConformance):
    """Every perpetual check as a test (the adapter is built with market "perpetual")."""

    conformance_levels = ("perpetual",)
