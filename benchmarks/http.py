"""REST benchmark: signed order place + cancel round trips against `exsim serve`, and against a bare baseline.

Two servers, each started as its own subprocess on an ephemeral loopback port, are driven in turn by the same
client code in this process (so the server and the client each get a core of a 2-core machine):

  exsim      `exsim serve --port 0 --no-rate-limits --no-market-maker`; the demo account (demo-api-key /
             demo-api-secret) places a signed LIMIT GTC BUY far below any price (POST /api/v3/order, parameters
             in a form body; it rests), then cancels it (DELETE /api/v3/order?symbol=..&orderId=.., parameters
             in the query);
  baseline   a bare aiohttp server (this script with --serve-baseline) whose handler reads the body, checks the
             HMAC-SHA256 signature over query + body exactly as exsim does, and returns a fixed JSON body
             and headers of the same size as exsim's; nothing else.

`--connections` workers (default 50, one keep-alive connection each) repeat place-then-cancel until `--orders`
orders have been placed (default 3000). Both servers get an untimed warm-up, then `--rounds` timed runs each
(default 5), alternating baseline and exsim so that both see the same machine; the rates and latencies of the
best run of each are reported (the run least disturbed by anything else running), CPU figures of the median.
A run stops by itself at `--orders`, or at the `--max-seconds` cap on the whole benchmark (then `complete` is
false); a request times out after 10 s. Everything is on 127.0.0.1.

Prints one JSON line:
  orders_per_s            orders placed per second against exsim, each of them cancelled again: one order is
                          one place + cancel round trip of two signed requests (requests_per_s = 2 x that)
  p50_ms, p99_ms          latency of one round trip (place, then cancel), as the client sees it
  baseline_orders_per_s   the same against the baseline server (and baseline_p50_ms, baseline_p99_ms)
  ratio                   orders_per_s / baseline_orders_per_s (target: at least 0.40)
  server_cpu_us_per_order CPU time (user + system) the server process spent per order, exsim and baseline
                          (baseline_server_cpu_us_per_order); far less sensitive to other load than the rates
  server_cpu_ratio        baseline / exsim server CPU per order: the ratio to expect where the servers, not
                          the client (client_cpu_us_per_order), set the pace

Usage: python benchmarks/http.py [--orders N] [--connections N] [--rounds N] [--max-seconds S] [--quick]
"""
from __future__ import annotations

import sys
from pathlib import Path

# `python benchmarks/http.py` puts this directory first on sys.path, where this very file would shadow the
# standard library's `http` package (which aiohttp imports): move the directory to the end before importing.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from _harness import HOST, Server, best, exsim_serve, health, median, percentile, progress, summary  # noqa: E402

API_KEY = "demo-api-key"
SECRET = "demo-api-secret"
SYMBOL = "BTCUSDT"
PRICE = "20000.00"  # far below the default index (65000): it rests (with --no-market-maker the book is empty)
QTY = "0.00100"
WARMUP_ORDERS = 200
REQUEST_TIMEOUT_S = 10.0


# --- the baseline server -----------------------------------------------------------------------------------
# Fixed bodies and headers of the shape and size of exsim's answers (the same keys, values of the same length).
PLACED = json.dumps({
    "symbol": SYMBOL, "orderId": 1, "orderListId": -1, "clientOrderId": "bench12x3456", "transactTime": 1795595814153,
    "price": "20000.00000000", "origQty": "0.00100000", "executedQty": "0.00000000",
    "origQuoteOrderQty": "0.00000000", "cummulativeQuoteQty": "0.00000000", "status": "NEW", "timeInForce": "GTC",
    "type": "LIMIT", "side": "BUY", "workingTime": 1795595814153, "selfTradePreventionMode": "EXPIRE_MAKER",
    "fills": []}, separators=(",", ":")).encode()
CANCELED = json.dumps({
    "symbol": SYMBOL, "origClientOrderId": "bench12x3456", "orderId": 1, "orderListId": -1,
    "clientOrderId": "06671a1c80317fa3b1799d", "transactTime": 1795595814162, "price": "20000.00000000",
    "origQty": "0.00100000", "executedQty": "0.00000000", "origQuoteOrderQty": "0.00000000",
    "cummulativeQuoteQty": "0.00000000", "status": "CANCELED", "timeInForce": "GTC", "type": "LIMIT",
    "side": "BUY", "selfTradePreventionMode": "EXPIRE_MAKER"}, separators=(",", ":")).encode()
PLACED_HEADERS = {"X-MBX-USED-WEIGHT-1M": "1", "X-MBX-ORDER-COUNT-10S": "1", "X-MBX-ORDER-COUNT-1D": "1"}
CANCELED_HEADERS = {"X-MBX-USED-WEIGHT-1M": "2"}
REJECTED = b'{"code":-1022,"msg":"Signature for this request is not valid."}'


def _without_signature(part: str) -> str:
    return "&".join(pair for pair in part.split("&") if pair.partition("=")[0] != "signature") if part else part


def _signature_of(part: str) -> str:
    for pair in part.split("&"):
        name, _, value = pair.partition("=")
        if name == "signature":
            return value
    return ""


async def _baseline_handler(request: web.Request) -> web.Response:
    body = (await request.read()).decode()
    query = request.raw_path.partition("?")[2]
    payload = _without_signature(query) + _without_signature(body)
    expected = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest().encode()
    given = (_signature_of(query) or _signature_of(body)).lower().encode()
    if request.headers.get("X-MBX-APIKEY") != API_KEY or not hmac.compare_digest(expected, given):
        return web.Response(body=REJECTED, status=400, content_type="application/json")
    if request.method == "POST":
        return web.Response(body=PLACED, headers=PLACED_HEADERS, content_type="application/json", charset="utf-8")
    return web.Response(body=CANCELED, headers=CANCELED_HEADERS, content_type="application/json", charset="utf-8")


async def _serve_baseline() -> None:
    app = web.Application()
    app.router.add_route("POST", "/api/v3/order", _baseline_handler)
    app.router.add_route("DELETE", "/api/v3/order", _baseline_handler)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)  # as `exsim serve` sets it up
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"PORT={site._server.sockets[0].getsockname()[1]}", flush=True)
    await stop.wait()
    await runner.cleanup()


# --- the client ------------------------------------------------------------------------------------------
def signed(params: str) -> str:
    query = f"{params}&timestamp={int(time.time() * 1000)}"
    return f"{query}&signature={hmac.new(SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()}"


_LOADS = itertools.count()
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Load:
    """`connections` workers, each repeating place-then-cancel on its own connection until `orders` are claimed
    or the deadline passes; a request that fails or times out counts as an error and the worker goes on."""

    def __init__(self, port: int, orders: int, connections: int, deadline: float):
        self.url = f"http://{HOST}:{port}/api/v3/order"
        self.orders = orders
        self.connections = connections
        self.deadline = deadline
        self.tag = next(_LOADS)  # client order ids stay unique across runs
        self.claimed = 0
        self.done = 0
        self.errors = 0
        self.first_error = ""
        self.latencies: list[float] = []

    async def run(self) -> float:
        connector = aiohttp.TCPConnector(limit=self.connections)
        headers = {"X-MBX-APIKEY": API_KEY}
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
        async with aiohttp.ClientSession(connector=connector, headers=headers, timeout=timeout) as session:
            start = time.perf_counter()
            await asyncio.gather(*(self._worker(session, n) for n in range(self.connections)))
            return time.perf_counter() - start

    async def _worker(self, session: aiohttp.ClientSession, n: int) -> None:
        while self.claimed < self.orders and time.monotonic() < self.deadline:
            self.claimed += 1
            try:
                await self._round_trip(session, f"b{self.tag}x{n}x{self.claimed}")
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                self._error(f"{type(exc).__name__}: {exc}")

    async def _round_trip(self, session: aiohttp.ClientSession, client_id: str) -> None:
        t0 = time.perf_counter()
        body = signed(f"symbol={SYMBOL}&side=BUY&type=LIMIT&timeInForce=GTC&quantity={QTY}&price={PRICE}"
                      f"&newClientOrderId={client_id}")
        async with session.post(self.url, data=body.encode(), headers=FORM) as resp:
            placed = await resp.read()
            if resp.status != 200:
                return self._error(f"place: {resp.status} {placed[:200]!r}")
        order_id = json.loads(placed)["orderId"]
        async with session.delete(f"{self.url}?{signed(f'symbol={SYMBOL}&orderId={order_id}')}") as resp:
            canceled = await resp.read()
            if resp.status != 200:
                return self._error(f"cancel: {resp.status} {canceled[:200]!r}")
        self.latencies.append(time.perf_counter() - t0)
        self.done += 1

    def _error(self, text: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or text


async def measure(server: Server, orders: int, connections: int, deadline: float) -> dict:
    """One timed run against a running server: its rate, round-trip latencies and the CPU both sides used."""
    load = Load(server.port, orders, connections, deadline)
    server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
    elapsed = await load.run()
    server_cpu, client_cpu = server.cpu_seconds() - server_cpu, time.process_time() - client_cpu
    lat = sorted(load.latencies)
    done = max(load.done, 1)
    return dict(orders=load.done, seconds=round(elapsed, 3), orders_per_s=round(load.done / elapsed, 1),
                p50_ms=round(percentile(lat, 0.50) * 1000, 2), p99_ms=round(percentile(lat, 0.99) * 1000, 2),
                server_cpu_us_per_order=round(server_cpu / done * 1e6), client_cpu_us_per_order=round(
                    client_cpu / done * 1e6), errors=load.errors, first_error=load.first_error,
                complete=load.done >= orders)


async def compare(exsim: Server, baseline: Server, args: argparse.Namespace, deadline: float) -> dict:
    """Warm both servers up, then alternate timed runs (baseline, exsim) so both see the same machine."""
    for server in (baseline, exsim):
        await Load(server.port, args.warmup, args.connections, deadline).run()
    runs: dict[str, list[dict]] = {"baseline": [], "exsim": []}
    for round_no in range(1, args.rounds + 1):
        for name, server in (("baseline", baseline), ("exsim", exsim)):
            runs[name].append(await measure(server, args.orders, args.connections, deadline))
            progress(f"http round {round_no}/{args.rounds} {name}: {runs[name][-1]['orders_per_s']} orders/s")
    return runs



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=summary(__doc__))
    parser.add_argument("--orders", type=int, default=3000,
                        help="orders to place (and cancel) per timed run (default 3000)")
    parser.add_argument("--connections", type=int, default=50, help="concurrent connections (default 50)")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs per server, alternating (default 5)")
    parser.add_argument("--warmup", type=int, default=WARMUP_ORDERS, help="untimed orders first, per server")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="hard cap on the whole run")
    parser.add_argument("--quick", action="store_true", help="a tiny run for the smoke test")
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_baseline:
        asyncio.run(_serve_baseline())
        return 0
    if args.quick:
        args.orders, args.connections, args.warmup, args.rounds = min(args.orders, 40), 5, 5, 1
    deadline = time.monotonic() + args.max_seconds
    with Server([sys.executable, str(Path(__file__).resolve()), "--serve-baseline"]) as baseline_server, \
            Server(exsim_serve("--no-rate-limits", "--no-market-maker")) as exsim_server:
        runs = asyncio.run(compare(exsim_server, baseline_server, args, deadline))
    exsim, baseline = best(runs["exsim"], "orders_per_s"), best(runs["baseline"], "orders_per_s")
    every = runs["exsim"] + runs["baseline"]
    server_cpu = median(runs["exsim"], "server_cpu_us_per_order")
    baseline_cpu = median(runs["baseline"], "server_cpu_us_per_order")
    result = dict(
        orders_per_s=exsim["orders_per_s"], p50_ms=exsim["p50_ms"], p99_ms=exsim["p99_ms"],
        baseline_orders_per_s=baseline["orders_per_s"],
        ratio=round(exsim["orders_per_s"] / baseline["orders_per_s"], 3) if baseline["orders_per_s"] else None,
        requests_per_s=round(2 * exsim["orders_per_s"], 1),
        baseline_p50_ms=baseline["p50_ms"], baseline_p99_ms=baseline["p99_ms"],
        server_cpu_us_per_order=server_cpu, baseline_server_cpu_us_per_order=baseline_cpu,
        server_cpu_ratio=round(baseline_cpu / server_cpu, 3) if server_cpu else None,
        client_cpu_us_per_order=median(every, "client_cpu_us_per_order"),
        unit="orders placed per second; every order is cancelled again (1 order = 1 place + 1 cancel request)",
        latency="one place+cancel round trip, as the client sees it",
        orders=args.orders, connections=args.connections, rounds=args.rounds,
        best_of="rates and latencies: the fastest round per server; CPU figures: the median round",
        all_orders_per_s=[run["orders_per_s"] for run in runs["exsim"]],
        all_baseline_orders_per_s=[run["orders_per_s"] for run in runs["baseline"]],
        **health(every),
        python=platform.python_version(), aiohttp=aiohttp.__version__, cpus=os.cpu_count(),
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
