"""Soak benchmark: a server driven through many simulated days stays flat in memory, state file and latency.

Starts `exsim serve --port 0 --no-rate-limits --state FILE --state-interval S` (the embedded default config:
market maker on, default retention) with FILE in a temporary directory, then repeats one step until `--days`
of simulated time have passed (or `--max-seconds` of real time, then `complete` is false):

  clock     POST /_sim/v1/clock/advance by `--step-s` seconds: the market maker re-quotes and its counterparties
            trade, so every step brings new orders, trades and a kline per symbol;
  orders    the demo account (demo-api-key) places a signed LIMIT GTC BUY far below the market and cancels it,
            and every other step sends a small MARKET order, alternating sides: a steady, bounded load of
            finished orders and own trades.

Meanwhile a pinger times GET /api/v3/ping every 20 ms, and the state is saved every `--state-interval` seconds
throughout, so the ping latencies show what saving costs the event loop. Every `--samples`-th of the run it
records the server's RSS (/proc/PID/status), the state file's size and what the simulator holds
(GET /_sim/v1/stats: orders, own and public trades, klines, recent events).

Prints one JSON line:
  sim_days, steps, requests, errors, first_error, complete, seconds
  rss_mb_start, rss_mb_end, rss_mb_max        the server's resident memory
  state_mb_end, state_mb_max                  the state file's size
  growth: {rss_mb, state_mb, orders, trades, klines}: [first half, second half]  what each grew by in each half
                                              of the run; bounded history means the second is near zero
  flat                                        second-half RSS growth under a quarter of the first half's (or
                                              under 5 MB)
  ping_p50_ms, ping_p99_ms, ping_max_ms       ping latency all through, saves included; saves: how many
                                              state files were written during the run
  samples                                     [{sim_hours, rss_mb, state_mb, orders, trades, klines, events}]

Usage: python benchmarks/soak.py [--days D] [--step-s S] [--state-interval S] [--max-seconds S] [--quick]
"""
from __future__ import annotations

import sys
from pathlib import Path

# `python benchmarks/soak.py` puts this directory first on sys.path, where benchmarks/http.py would shadow the
# standard library's `http` package (which aiohttp imports): move the directory to the end before importing.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import aiohttp  # noqa: E402

from _harness import HOST, Server, exsim_serve, percentile, progress, summary  # noqa: E402

API_KEY = "demo-api-key"
SECRET = "demo-api-secret"
SYMBOL = "BTCUSDT"
PRICE = "20000.00"  # far below the default index (65000): it rests until cancelled
QTY = "0.00100"
PING_EVERY_S = 0.02
REQUEST_TIMEOUT_S = 30.0
DAY_S = 86_400
MB = 1024 * 1024
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux /proc; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def signed(params: str, timestamp: int) -> str:
    query = f"{params}&timestamp={timestamp}"
    return f"{query}&signature={hmac.new(SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()}"


class Soak:
    def __init__(self, server: Server, state: Path, steps: int, step_ms: int, samples: int, deadline: float):
        self.server = server
        self.base = f"http://{HOST}:{server.port}"
        self.state = state
        self.steps = steps
        self.step_ms = step_ms
        self.sample_every = max(1, steps // samples)
        self.deadline = deadline
        self.done_steps = 0
        self.requests = 0
        self.errors = 0
        self.first_error = ""
        self.samples: list[dict] = []
        self.pings: list[float] = []
        self.saves = 0
        self._now = 0  # the server's clock after the last advance, and when (perf_counter) we learnt it
        self._learnt = 0.0

    def _error(self, text: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or text

    def _timestamp(self) -> int:
        return self._now + int((time.perf_counter() - self._learnt) * 1000)

    async def _call(self, session: aiohttp.ClientSession, method: str, path: str, **kwargs) -> dict | None:
        self.requests += 1
        try:
            async with session.request(method, self.base + path, **kwargs) as resp:
                body = await resp.read()
                if resp.status != 200:
                    self._error(f"{method} {path.partition('?')[0]}: {resp.status} {body[:200]!r}")
                    return None
                return json.loads(body)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            self._error(f"{method} {path.partition('?')[0]}: {type(exc).__name__}: {exc}")
            return None

    async def _step(self, session: aiohttp.ClientSession, step: int) -> None:
        clock = await self._call(session, "POST", "/_sim/v1/clock/advance", json={"ms": self.step_ms}, headers=JSON)
        if clock is not None:
            self._now, self._learnt = clock["now"], time.perf_counter()
        headers = {"X-MBX-APIKEY": API_KEY}
        body = signed(f"symbol={SYMBOL}&side=BUY&type=LIMIT&timeInForce=GTC&quantity={QTY}&price={PRICE}",
                      self._timestamp())
        placed = await self._call(session, "POST", "/api/v3/order", data=body.encode(),
                                  headers={**headers, **FORM})
        if placed is not None:
            query = signed(f"symbol={SYMBOL}&orderId={placed['orderId']}", self._timestamp())
            await self._call(session, "DELETE", f"/api/v3/order?{query}", headers=headers)
        if step % 2:
            side = "BUY" if step % 4 == 1 else "SELL"
            body = signed(f"symbol={SYMBOL}&side={side}&type=MARKET&quantity={QTY}", self._timestamp())
            await self._call(session, "POST", "/api/v3/order", data=body.encode(), headers={**headers, **FORM})

    async def _sample(self, session: aiohttp.ClientSession) -> None:
        stats = await self._call(session, "GET", "/_sim/v1/stats") or {}
        try:
            state_mb = self.state.stat().st_size / MB
        except OSError:
            state_mb = 0.0
        self.samples.append(dict(
            sim_hours=round(self.done_steps * self.step_ms / 3_600_000, 1),
            rss_mb=round(rss_mb(self.server.proc.pid), 1), state_mb=round(state_mb, 2),
            orders=stats.get("orders", 0), trades=stats.get("accountTrades", 0) + stats.get("marketTrades", 0),
            klines=stats.get("klines", 0), events=stats.get("recentEvents", 0)))
        last = self.samples[-1]
        progress(f"soak {self.done_steps}/{self.steps} steps ({last['sim_hours']} h simulated): RSS "
                 f"{last['rss_mb']} MB, state {last['state_mb']} MB, {last['orders']} orders, "
                 f"{last['trades']} trades, {last['klines']} klines")

    async def _pinger(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        last_mtime = None
        while not stop.is_set():
            started = time.perf_counter()
            try:
                async with session.get(self.base + "/api/v3/ping") as resp:
                    await resp.read()
                self.pings.append(time.perf_counter() - started)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                self._error(f"ping: {type(exc).__name__}: {exc}")
            try:
                mtime = self.state.stat().st_mtime_ns
            except OSError:
                mtime = None
            if mtime is not None and mtime != last_mtime:
                self.saves += last_mtime is not None
                last_mtime = mtime
            await asyncio.sleep(PING_EVERY_S)

    async def run(self) -> bool:
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as driver, aiohttp.ClientSession(timeout=timeout) as pings:
            stop = asyncio.Event()
            pinger = asyncio.create_task(self._pinger(pings, stop))
            await self._sample(driver)
            try:
                for step in range(self.steps):
                    if time.monotonic() >= self.deadline:
                        return False
                    await self._step(driver, step)
                    self.done_steps += 1
                    if self.done_steps % self.sample_every == 0:
                        await self._sample(driver)
                return True
            finally:
                if self.samples[-1]["sim_hours"] != round(self.done_steps * self.step_ms / 3_600_000, 1):
                    await self._sample(driver)
                stop.set()
                await pinger


def halves(samples: list[dict], key: str) -> list[float]:
    """What `key` grew by over the first and over the second half of the samples."""
    first, middle, last = samples[0][key], samples[len(samples) // 2][key], samples[-1][key]
    return [round(middle - first, 2), round(last - middle, 2)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=summary(__doc__))
    parser.add_argument("--days", type=float, default=16.0, help="simulated days to run (default 16: twice the "
                                                                 "8 days of klines the default retention keeps)")
    parser.add_argument("--step-s", type=int, default=60, help="simulated seconds per step (default 60)")
    parser.add_argument("--state-interval", type=float, default=1.0, help="seconds between state saves (1)")
    parser.add_argument("--samples", type=int, default=20, help="how many times to sample (default 20)")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="stop after this long (default 900)")
    parser.add_argument("--quick", action="store_true", help="a tiny run for the smoke test (6 simulated hours)")
    args = parser.parse_args(argv)
    days = min(args.days, 0.25) if args.quick else args.days
    samples = min(args.samples, 4) if args.quick else args.samples
    steps = max(2, int(days * DAY_S // args.step_s))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="exsim-soak-") as tmp:
        state = Path(tmp) / "state.json"
        command = exsim_serve("--no-rate-limits", "--state", str(state), "--state-interval", str(args.state_interval))
        with Server(command) as server:
            soak = Soak(server, state, steps, args.step_s * 1000, samples, time.monotonic() + args.max_seconds)
            complete = asyncio.run(soak.run())
    pings = sorted(soak.pings)
    rss = [s["rss_mb"] for s in soak.samples]
    growth = {key: halves(soak.samples, key) for key in ("rss_mb", "state_mb", "orders", "trades", "klines")}
    first, second = growth["rss_mb"]
    result = dict(
        sim_days=round(soak.done_steps * args.step_s / DAY_S, 2), steps=soak.done_steps, requests=soak.requests,
        errors=soak.errors, first_error=soak.first_error or None, complete=complete,
        seconds=round(time.perf_counter() - started, 1),
        rss_mb_start=rss[0], rss_mb_end=rss[-1], rss_mb_max=max(rss),
        state_mb_end=soak.samples[-1]["state_mb"], state_mb_max=max(s["state_mb"] for s in soak.samples),
        growth=growth, flat=second < max(5.0, first / 4),
        ping_p50_ms=round(percentile(pings, 0.5) * 1000, 2), ping_p99_ms=round(percentile(pings, 0.99) * 1000, 2),
        ping_max_ms=round(pings[-1] * 1000, 2) if pings else 0.0, pings=len(pings), saves=soak.saves,
        state_interval_s=args.state_interval, step_s=args.step_s, samples=soak.samples,
        command="exsim serve --port 0 --no-rate-limits --state FILE (embedded default config, market maker on)",
        python=platform.python_version(), cpus=os.cpu_count(),
    )
    print(json.dumps(result, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
