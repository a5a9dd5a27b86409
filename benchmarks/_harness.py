"""What the REST, WebSocket and start-up benchmarks share: servers run as subprocesses that print `PORT=<n>`
when they are ready, their CPU time, and a percentile. Standard library only, so that importing it never
pulls in `http` (benchmarks/http.py would shadow the standard library's while this directory leads sys.path).
"""
from __future__ import annotations

import os
import queue
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0


def summary(doc: str) -> str:
    """A script's `--help` description: its docstring's whole first paragraph, not a sentence cut at a line end."""
    return " ".join(doc.split("\n\n")[0].split())


def progress(message: str) -> None:
    """One line on stderr, so a person sees a long run move while stdout stays one JSON line for CI."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def exsim_command() -> list[str]:
    """`exsim` from the running interpreter's environment (the console script, or `python -m simulator.cli`)."""
    script = Path(sys.executable).with_name("exsim")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "simulator.cli"]


def exsim_serve(*flags: str) -> list[str]:
    return [*exsim_command(), "serve", "--host", HOST, "--port", "0", *flags]


class Server:
    """A server subprocess that prints `PORT=<n>` once it listens; stopped with SIGTERM (then SIGKILL).

    Its stdout is read to the end by a thread, so it never blocks on a full pipe; stderr goes to /dev/null
    unless $BENCH_SERVER_STDERR is set.
    """

    def __init__(self, command: list[str], start_timeout_s: float = START_TIMEOUT_S):
        self.command = command
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.lines: queue.Queue = queue.Queue()
        self.started = 0.0  # time.perf_counter() just before the spawn
        self.port_seen = 0.0  # time.perf_counter() when the PORT= line arrived

    def __enter__(self) -> "Server":
        stderr = None if os.environ.get("BENCH_SERVER_STDERR") else subprocess.DEVNULL
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=ROOT,
                                     env=env)
        threading.Thread(target=_read_lines, args=(self.proc.stdout, self.lines), daemon=True).start()
        deadline = time.monotonic() + self.start_timeout_s
        while not self.port:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:  # the process ended before it was ready
                break
            if line.startswith("PORT="):
                self.port_seen = time.perf_counter()
                self.port = int(line.strip().partition("=")[2])
        if not self.port:
            self.__exit__(None, None, None)
            raise RuntimeError(f"{' '.join(self.command)} did not print PORT= within {self.start_timeout_s:g} s")
        return self

    def __exit__(self, *exc) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.proc.pid) if self.proc is not None else 0.0


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


def best(runs: list[dict], rate: str) -> dict:
    """The fastest complete run by `rate` (the one least disturbed by whatever else the machine was doing)."""
    complete = [run for run in runs if run["complete"] and not run["errors"]] or runs
    return max(complete, key=lambda run: run[rate])


def median(runs: list[dict], key: str, digits: int | None = None) -> float:
    if not runs:
        return 0.0
    value = statistics.median(run[key] for run in runs)
    return value if digits is None else round(value, digits)


def health(runs: list[dict]) -> dict:
    """What every run's errors and completeness add up to, for the JSON line."""
    return dict(errors=sum(run["errors"] for run in runs),
                first_error=next((run["first_error"] for run in runs if run["first_error"]), None),
                complete=all(run["complete"] for run in runs))
