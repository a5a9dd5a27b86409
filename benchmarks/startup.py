"""Start-up benchmark: how long `exsim serve --port 0` takes to be ready, over several runs.

Each run spawns `exsim serve --port 0` (the embedded default config: market maker, rate limits and all) on
127.0.0.1, waits for the `PORT=<n>` line, then for a successful GET /api/v3/ping (retried every 5 ms until it
answers 200), and stops the server with SIGTERM. The clock starts just before the spawn, so interpreter
start-up and imports are included. A run that is not ready within `--timeout` seconds fails the benchmark.

Prints one JSON line:
  ready_s_median, ready_s_max    spawn -> first successful ping, in seconds (target: under 1 s)
  port_line_s_median             spawn -> the PORT= line
  runs, ready_s                  how many runs, and each run's figure

Usage: python benchmarks/startup.py [--runs N] [--timeout S] [--quick]
"""
from __future__ import annotations

import sys
from pathlib import Path

# `python benchmarks/startup.py` puts this directory first on sys.path, where benchmarks/http.py would shadow
# the standard library's `http` package (which urllib imports): move the directory to the end first.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402

from _harness import HOST, Server, exsim_serve, progress, summary  # noqa: E402

PING_RETRY_S = 0.005


def ping(port: int, deadline: float) -> bool:
    """GET /api/v3/ping until it answers 200 (True) or the deadline passes (False)."""
    url = f"http://{HOST}:{port}/api/v3/ping"
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=max(0.01, deadline - time.perf_counter())) as resp:
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(PING_RETRY_S)
    return False


def one_run(timeout: float) -> tuple[float, float]:
    """(seconds to the PORT= line, seconds to the first successful ping), both from just before the spawn."""
    with Server(exsim_serve(), start_timeout_s=timeout) as server:
        if not ping(server.port, server.started + timeout):
            raise RuntimeError(f"GET /api/v3/ping did not succeed within {timeout:g} s")
        ready = time.perf_counter()
        return server.port_seen - server.started, ready - server.started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=summary(__doc__))
    parser.add_argument("--runs", type=int, default=7, help="start-ups to time (default 7)")
    parser.add_argument("--timeout", type=float, default=15.0, help="give up on a run after this many seconds")
    parser.add_argument("--quick", action="store_true", help="a tiny run for the smoke test (2 runs)")
    args = parser.parse_args(argv)
    runs = min(args.runs, 2) if args.quick else args.runs
    one_run(args.timeout)  # untimed: the first start-up after an edit also compiles .pyc files
    port_lines, readies = [], []
    for run_no in range(1, runs + 1):
        port_line, ready = one_run(args.timeout)
        port_lines.append(port_line)
        readies.append(ready)
        progress(f"startup run {run_no}/{runs}: ready in {ready:.3f} s")
    result = dict(
        ready_s_median=round(statistics.median(readies), 3), ready_s_max=round(max(readies), 3),
        port_line_s_median=round(statistics.median(port_lines), 3), runs=runs,
        ready_s=[round(r, 3) for r in readies], target_s=1.0, warm_up_runs=1,
        command="exsim serve --port 0 (embedded default config)",
        python=platform.python_version(), cpus=os.cpu_count(),
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
