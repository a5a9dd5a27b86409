"""Proof that the suite can fail: each deliberately broken variant of the reference connector (tests/conformance/
broken/) fails the checks its defect targets and passes every other check of the levels it is run at; and the
reference connector itself passes every check at every level.

Each variant runs its levels in full against fresh simulators (a few dozen checks, six at once: the simulators
and connectors of one run share one event loop, and more at once would make their timeouts late), so this file
takes about four minutes of mostly idle waiting with `-n 2`.
"""
from __future__ import annotations

import asyncio
import functools
import importlib

import pytest

from conformance.runner import Result, run_checks, select
from tests.conformance.broken import VARIANTS

JOBS = 6  # checks at once within one run: they mostly wait on the connector's timeouts and polls


def run_levels(levels: tuple[str, ...], factory) -> list[Result]:
    return asyncio.run(run_checks(select(list(levels)), factory, jobs=JOBS))


def failures(results: list[Result]) -> dict[str, str]:
    return {r.id: r.evidence for r in results if r.status == "failed"}


@functools.lru_cache(maxsize=None)
def reference_failures(levels: tuple[str, ...]) -> frozenset[str]:
    """What the unbroken reference connector fails at these levels (nothing, when all is well: the last test
    of this file says so); a variant is judged on what it fails beyond that."""
    from conformance.adapters.reference import make_adapter
    return frozenset(failures(run_levels(levels, make_adapter)))


@pytest.mark.parametrize("name", VARIANTS)
def test_a_broken_variant_fails_the_checks_it_targets_and_passes_the_rest(name):
    variant = importlib.import_module(f"tests.conformance.broken.{name}")
    baseline = reference_failures(variant.LEVELS)
    assert variant.TARGETS - baseline, f"{name}: the reference connector fails every check this variant targets"
    results = run_levels(variant.LEVELS, variant.make_adapter)
    failed = failures(results)
    missed = sorted(variant.TARGETS - baseline - set(failed))
    assert not missed, f"{name}: targeted checks that passed anyway: {missed}"
    extra = {check: failed[check] for check in sorted(set(failed) - variant.TARGETS - baseline)}
    assert not extra, f"{name}: checks it does not target failed too: {extra}"
    skipped = [r.id for r in results if r.status == "skipped"]
    assert not skipped, f"{name}: skipped {skipped}"


def test_the_reference_connector_passes_every_check_at_every_level():
    # the same runs the variants are judged against (made once per worker)
    failed = {level: sorted(reference_failures(levels)) for levels in (("core", "robust"), ("perpetual",))
              for level in levels}
    assert len(select()) >= 70
    assert not any(failed.values()), f"the reference connector fails {failed}"
