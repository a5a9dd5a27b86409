"""`exsim conformance`: run the suite against an adapter, show progress, write the reports, gate on the result.

simulator/cli.py declares the options (conformance.options) and calls `run(args)`, importing this module only
when the verb runs.
Exit status: 0 when every selected check passed or was skipped for a capability the adapter declares it lacks;
1 otherwise; 2 when the adapter or the selection cannot be resolved.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Optional, TextIO

from conformance import report
from conformance.adapter import AdapterConfig
from conformance.framework import Check
from conformance.options import add_arguments
from conformance.runner import Result, gate_passes, resolve_factory, run_checks, select

SYMBOL = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}


class Progress:
    """One line per check as it starts (on a terminal, rewritten in place) and as it ends."""

    def __init__(self, total: int, out: TextIO):
        self.total, self.out, self.done = total, out, 0
        self.running: list[str] = []
        self.tty = out.isatty()

    def start(self, check: Check) -> None:
        self.running.append(check.id)
        if self.tty:
            self.out.write(f"\r\x1b[K[{self.done}/{self.total}] running {', '.join(self.running)}")
        else:
            self.out.write(f"[{self.done}/{self.total}] running {check.id}: {check.statement}\n")
        self.out.flush()

    def end(self, result: Result) -> None:
        self.done += 1
        self.running.remove(result.id)
        tail = f"  {result.evidence}" if result.status != "passed" else ""
        erase = "\r\x1b[K" if self.tty else ""
        self.out.write(f"{erase}{SYMBOL[result.status]} {result.id:<12} {result.seconds:5.1f}s{tail}\n")
        self.out.flush()


def _capabilities(factory) -> list[str]:
    """What the adapter declares, read from an instance that is never started."""
    probe = factory(AdapterConfig("http://127.0.0.1:9", "ws://127.0.0.1:9", "-", "-", ("BTC-USDT",)))
    return sorted(getattr(probe, "capabilities", ()))


def run(args: argparse.Namespace, out: Optional[TextIO] = None) -> int:
    out = out or sys.stdout
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # `--adapter my_adapter:make_adapter` finds ./my_adapter.py, as python -m would
    try:
        factory = resolve_factory(args.adapter)
        checks = select(args.level, args.check)
    except (ImportError, ValueError, KeyError) as exc:
        print(f"exsim conformance: {exc}", file=sys.stderr)
        return 2
    progress = Progress(len(checks), out)
    started = time.monotonic()
    results = asyncio.run(run_checks(checks, factory, jobs=args.jobs, on_start=progress.start, on_done=progress.end))
    seconds = time.monotonic() - started
    meta = report.summary(results, args.adapter, _capabilities(factory), seconds)
    out.write(f"{meta['passed']} passed, {meta['failed']} failed, {meta['skipped']} skipped in {seconds:.1f}s: "
              f"gate {meta['gate']}\n")
    if args.report:
        for path in report.write(Path(args.report), results, meta):
            out.write(f"wrote {path}\n")
    return 0 if gate_passes(results) else 1


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="exsim conformance", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
