"""Running checks: a fresh venue per check, the adapter built and started on it, the check run with a deadline,
and everything torn down whatever happened. Results are plain records the reports render.
"""
from __future__ import annotations

import asyncio
import importlib
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from conformance import checks  # noqa: F401  (registers every check)
from conformance import scenes
from conformance.adapter import CCXT_FACTORY, REFERENCE_FACTORY, AdapterConfig, Timing
from conformance.events import EventLog
from conformance.framework import LEVELS, REGISTRY, Check, CheckFailed, CheckSkipped, Ctx
from conformance.venue import Venue, quiet_config


def all_checks() -> list[Check]:
    """Every registered check, core first, then robust, then perpetual; by id within a level."""
    return sorted(REGISTRY.values(), key=lambda c: (LEVELS.index(c.level), c.id))


def select(levels: Optional[list[str]] = None, ids: Optional[list[str]] = None) -> list[Check]:
    chosen = all_checks()
    if levels:
        chosen = [c for c in chosen if c.level in levels]
    if ids:
        unknown = set(ids) - {c.id for c in chosen}
        if unknown:
            raise KeyError(f"no such check (at the selected levels): {', '.join(sorted(unknown))}")
        chosen = [c for c in chosen if c.id in ids]
    return chosen


SHORTCUTS = {"reference": REFERENCE_FACTORY, "ccxt": CCXT_FACTORY}
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def resolve_factory(spec: str | Callable) -> Callable[[AdapterConfig], Any]:
    """"reference", "ccxt" or "pkg.module:function" (resolved with importlib at run time), or a callable."""
    if callable(spec):
        return spec
    target = SHORTCUTS.get(spec, spec)
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"adapter {spec!r}: expected 'reference', 'ccxt' or 'package.module:factory'")
    factory = getattr(importlib.import_module(module_name), attr, None)
    if not callable(factory):
        raise ValueError(f"adapter {spec!r}: {module_name} has no callable {attr}")
    return factory


@dataclass
class Result:
    id: str
    level: str
    statement: str
    status: str                  # "passed" | "failed" | "skipped"
    evidence: str = ""
    capability_skip: bool = False  # skipped because the adapter declared it lacks a capability
    seconds: float = 0.0


async def run_check(check: Check, factory: Callable[[AdapterConfig], Any], timing: Optional[Timing] = None) -> Result:
    started = time.monotonic()
    result = Result(check.id, check.level, check.statement, "passed")
    venue = Venue(quiet_config(check.config))
    events = EventLog()
    state_dir = Path(tempfile.mkdtemp(prefix=f"exsim-{check.id}-"))
    ctx: Optional[Ctx] = None
    try:
        await venue.start()
        config = AdapterConfig(rest_url=venue.rest_url, ws_url=venue.ws_url, api_key=venue.api_key,
                               api_secret=venue.api_secret, trading_pairs=check.pairs, market=check.market,
                               state_dir=state_dir, timing=timing or Timing())
        ctx = Ctx(check, venue, factory, config, events)
        ctx.adapter = factory(config)
        missing = sorted(check.needs - frozenset(getattr(ctx.adapter, "capabilities", ())))
        if missing:
            raise CheckSkipped(f"the adapter does not declare: {', '.join(missing)}", capability=True)
        if check.market == "perpetual":
            served, why = await venue.serves_perpetuals()
            if not served:
                raise CheckSkipped(f"the simulator does not serve USD-M perpetuals yet ({why})")
        (check.arrange or scenes.market)(venue)
        events.attach(ctx.adapter)
        try:
            await asyncio.wait_for(ctx.adapter.start(), START_TIMEOUT)
        except asyncio.TimeoutError:
            raise CheckFailed(f"the adapter did not start within {START_TIMEOUT:.0f} s") from None
        try:
            await asyncio.wait_for(check.run(ctx), check.timeout)
        except asyncio.TimeoutError:
            raise CheckFailed(f"the check did not finish within {check.timeout:.0f} s") from None
    except CheckFailed as exc:
        result.status, result.evidence = "failed", exc.evidence
    except CheckSkipped as exc:
        result.status, result.evidence, result.capability_skip = "skipped", exc.reason, exc.capability
    except Exception as exc:  # the adapter (or the check) raised: a failure whose evidence names it
        where = traceback.extract_tb(exc.__traceback__)[-1]
        result.status = "failed"
        result.evidence = f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
    finally:
        if ctx is not None and ctx.adapter is not None:
            try:
                await asyncio.wait_for(ctx.adapter.stop(), STOP_TIMEOUT)
            except Exception:
                pass  # a failing stop must not hide the check's own result
        await events.close()
        await venue.stop()
        shutil.rmtree(state_dir, ignore_errors=True)
    result.seconds = time.monotonic() - started
    return result


async def run_checks(checks: list[Check], factory: Callable[[AdapterConfig], Any], *, jobs: int = 1,
                     timing: Optional[Timing] = None,
                     on_start: Optional[Callable[[Check], None]] = None,
                     on_done: Optional[Callable[[Result], None]] = None) -> list[Result]:
    """Run checks, `jobs` at a time (each on its own venue and port), then the exclusive ones one by one, alone;
    results in the checks' order."""
    gate = asyncio.Semaphore(max(1, jobs))

    async def one(check: Check) -> Result:
        async with gate:
            if on_start:
                on_start(check)
            result = await run_check(check, factory, timing)
            if on_done:
                on_done(result)
            return result

    results: dict[str, Result] = {}
    # The longest checks (by their deadline) start first, so that a run lasts about as long as its slowest check.
    shared = sorted((c for c in checks if not c.exclusive), key=lambda c: -c.timeout)
    for result in await asyncio.gather(*(one(c) for c in shared)):
        results[result.id] = result
    for check in (c for c in checks if c.exclusive):
        results[check.id] = await one(check)
    return [results[c.id] for c in checks]


def gate_passes(results: list[Result]) -> bool:
    """A CI gate passes when every check passed or was skipped for a capability the adapter declared missing."""
    return all(r.status == "passed" or (r.status == "skipped" and r.capability_skip) for r in results)
