"""WebSocket benchmark: trade and depth events fanned out to 100 subscribers, against `exsim serve` and against
a bare aiohttp broadcast.

Both servers run as subprocesses on an ephemeral loopback port and are driven by the same code in this process
(server and clients each get a core of a 2-core machine):

  exsim      `exsim serve --port 0 --no-rate-limits --no-market-maker`. `--subscribers` WebSocket clients
             (default 100) connect to /stream?streams=btcusdt@depth@100ms/btcusdt@trade. Through the control
             plane the demo account rests one large SELL (POST /_sim/v1/orders), then `--events` takes of a
             small slice of it (POST /_sim/v1/orders/{id}/take, `--concurrency` in flight) each make one trade
             in the engine: one `trade` frame to every subscriber, and a depth change that the next 100 ms
             `depthUpdate` frame carries;
  baseline   a bare aiohttp server (this script with --serve-baseline) with the same two routes: each take
             sends one fixed frame of the size of exsim's trade frame to every connected client (a plain
             `for ws in clients: await ws.send_str(...)`), and every 100 ms after a take a frame of the size
             of exsim's depthUpdate. Nothing else.

After an untimed warm-up (every client has seen the warm-up trades), the clock runs from the first timed take
to the moment the last client has received its `--events`-th trade frame; every text frame the clients receive
in between counts. `--rounds` timed runs per server (default 5), alternating so that both see the same machine;
the rates of the best run of each are reported (the run least disturbed by anything else running), CPU figures
of the median. Stops by itself, or at `--max-seconds` (then `complete` is false). Everything is on 127.0.0.1.

Prints one JSON line:
  msgs_per_s             frames delivered to all subscribers together per second by exsim (trade + depth)
  baseline_msgs_per_s    the same for the bare broadcast
  ratio                  msgs_per_s / baseline_msgs_per_s (target: at least 0.50)
  events_per_s           trades per second (takes processed and fanned out)
  server_cpu_us_per_msg  CPU time (user + system) the server process spent per delivered frame, exsim and
                         baseline (baseline_server_cpu_us_per_msg); far less sensitive to other load
  server_cpu_ratio       baseline / exsim server CPU per frame: the ratio to expect where the servers, not the
                         clients (client_cpu_us_per_msg), set the pace

Usage: python benchmarks/ws.py [--events N] [--subscribers N] [--rounds N] [--max-seconds S] [--quick]
"""
from __future__ import annotations

import sys
from pathlib import Path

# `python benchmarks/ws.py` puts this directory first on sys.path, where benchmarks/http.py would shadow the
# standard library's `http` package (which aiohttp imports): move the directory to the end before importing.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from _harness import HOST, Server, best, exsim_serve, health, median, progress, summary  # noqa: E402

STREAMS = "btcusdt@depth@100ms/btcusdt@trade"
MAKER = {"accountId": 1, "symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "quantity": "10",
         "price": "70000", "timeInForce": "GTC"}  # the demo account's whole 10 BTC
TAKE = {"qty": "0.0001"}  # 7 USDT a trade, above the 5 USDT minimum notional
MAX_TAKES = 100_000  # 10 BTC / 0.0001
TRADE_MARK = '"e":"trade"'
WARMUP_EVENTS = 20
REQUEST_TIMEOUT_S = 10.0


# --- the baseline server -----------------------------------------------------------------------------------
# Frames of exactly the size of exsim's (combined stream, 8-decimal prices, 13-digit times).
TRADE_FRAME = ('{"stream":"btcusdt@trade","data":{"e":"trade","E":1795595871002,"s":"BTCUSDT","t":1,'
               '"p":"70000.00000000","q":"0.00010000","T":1795595871002,"m":false,"M":true}}')
DEPTH_FRAME = ('{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1795595871091,"s":"BTCUSDT",'
               '"U":1,"u":2,"b":[],"a":[["70000.00000000","9.99990000"]]}}')
# The control plane's answers are about 360 bytes (place) and 1040 bytes (take): fixed bodies of those sizes.
PLACED_BODY = json.dumps({"order": {"orderId": 1, "pad": "x" * 330}}).encode()
TAKEN_BODY = json.dumps({"order": {"orderId": 1}, "pad": "x" * 1000}).encode()


class Broadcast:
    def __init__(self) -> None:
        self.clients: dict[web.WebSocketResponse, None] = {}
        self.changed = False

    async def stream(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.clients[ws] = None
        try:
            async for _ in ws:
                pass
        finally:
            self.clients.pop(ws, None)
        return ws

    async def send_all(self, text: str) -> None:
        for ws in list(self.clients):
            try:
                await ws.send_str(text)
            except ConnectionError:
                self.clients.pop(ws, None)

    async def place(self, request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=PLACED_BODY, content_type="application/json", charset="utf-8")

    async def take(self, request: web.Request) -> web.Response:
        await request.read()
        self.changed = True
        await self.send_all(TRADE_FRAME)
        return web.Response(body=TAKEN_BODY, content_type="application/json", charset="utf-8")

    async def depth_every_100ms(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            if self.changed:
                self.changed = False
                await self.send_all(DEPTH_FRAME)


async def _serve_baseline() -> None:
    hub = Broadcast()
    app = web.Application()
    app.router.add_get("/stream", hub.stream)
    app.router.add_post("/_sim/v1/orders", hub.place)
    app.router.add_post("/_sim/v1/orders/{order_id}/take", hub.take)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)  # as `exsim serve` sets it up
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    ticker = asyncio.create_task(hub.depth_every_100ms())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"PORT={site._server.sockets[0].getsockname()[1]}", flush=True)
    await stop.wait()
    ticker.cancel()
    for ws in list(hub.clients):
        await ws.close()
    await runner.cleanup()


# --- the clients and the driver ----------------------------------------------------------------------------
class Subscriber:
    """One WebSocket client: counts text frames, and trade frames apart."""

    def __init__(self) -> None:
        self.frames = 0
        self.trades = 0
        self.target = 0  # trades to wait for
        self.reached = asyncio.Event()
        self.closed = False

    async def run(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for msg in ws:
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    continue
                self.frames += 1
                if TRADE_MARK in msg.data:
                    self.trades += 1
                    if self.trades >= self.target:
                        self.reached.set()
        finally:
            self.closed = True
            self.reached.set()  # nobody waits for a client that is gone

    def expect(self, trades: int) -> None:
        """Count from zero again and wait for `trades` more trade frames."""
        self.frames = self.trades = 0
        self.target = trades
        self.reached = asyncio.Event()
        if self.closed:
            self.reached.set()


class Bench:
    def __init__(self, session: aiohttp.ClientSession, port: int, args: argparse.Namespace, deadline: float):
        self.session = session
        self.base = f"http://{HOST}:{port}"
        self.ws_url = f"ws://{HOST}:{port}/stream?streams={STREAMS}"
        self.args = args
        self.deadline = deadline
        self.subscribers: list[Subscriber] = []
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.readers: list[asyncio.Task] = []
        self.order_id = 0
        self.errors = 0
        self.first_error = ""

    async def connect(self) -> None:
        for _ in range(self.args.subscribers):
            ws = await self.session.ws_connect(self.ws_url, max_msg_size=0)
            sub = Subscriber()
            self.subscribers.append(sub)
            self.sockets.append(ws)
            self.readers.append(asyncio.create_task(sub.run(ws)))
        async with self.session.post(f"{self.base}/_sim/v1/orders", json=MAKER) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"cannot rest the maker order: {resp.status} {body[:300]!r}")
            self.order_id = json.loads(body)["order"]["orderId"]

    async def close(self) -> None:
        for ws in self.sockets:
            await ws.close()
        await asyncio.gather(*self.readers, return_exceptions=True)

    async def _drive(self, events: int) -> None:
        url = f"{self.base}/_sim/v1/orders/{self.order_id}/take"
        issued = 0

        async def driver() -> None:
            nonlocal issued
            while issued < events and time.monotonic() < self.deadline:
                issued += 1
                try:
                    async with self.session.post(url, json=TAKE) as resp:
                        body = await resp.read()
                        if resp.status != 200:
                            self._error(f"take: {resp.status} {body[:200]!r}")
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    self._error(f"take: {type(exc).__name__}: {exc}")

        await asyncio.gather(*(driver() for _ in range(self.args.concurrency)))

    def _error(self, text: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or text

    async def run(self, events: int, server: Server | None = None) -> dict:
        """Drive `events` trades and wait until every subscriber has its `events` trade frames."""
        self.errors, self.first_error = 0, ""
        for sub in self.subscribers:
            sub.expect(events)
        cpu = server.cpu_seconds() if server else 0.0
        start = time.perf_counter()
        await self._drive(events)
        remaining = max(0.0, self.deadline - time.monotonic())
        waiting = [asyncio.create_task(sub.reached.wait()) for sub in self.subscribers]
        done, pending = await asyncio.wait(waiting, timeout=remaining)
        for task in pending:
            task.cancel()
        elapsed = time.perf_counter() - start
        cpu = (server.cpu_seconds() - cpu) if server else 0.0
        frames = sum(sub.frames for sub in self.subscribers)
        trades = sum(sub.trades for sub in self.subscribers)
        complete = not pending and all(sub.trades >= events for sub in self.subscribers)
        return dict(msgs=frames, trade_msgs=trades, depth_msgs=frames - trades, seconds=round(elapsed, 3),
                    msgs_per_s=round(frames / elapsed), events_per_s=round(events / elapsed, 1),
                    server_cpu_us_per_msg=round(cpu / max(frames, 1) * 1e6, 2),
                    client_cpu_us_per_msg=0.0, errors=self.errors, first_error=self.first_error,
                    complete=complete, disconnected=sum(sub.closed for sub in self.subscribers))


async def compare(servers: dict[str, Server], args: argparse.Namespace, deadline: float) -> dict[str, list]:
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=0)
    runs: dict[str, list[dict]] = {name: [] for name in servers}
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        benches = {name: Bench(session, server.port, args, deadline) for name, server in servers.items()}
        try:
            for bench in benches.values():
                await bench.connect()
                await bench.run(args.warmup)
            for round_no in range(1, args.rounds + 1):
                for name, bench in benches.items():
                    client_cpu = time.process_time()
                    run = await bench.run(args.events, servers[name])
                    run["client_cpu_us_per_msg"] = round(
                        (time.process_time() - client_cpu) / max(run["msgs"], 1) * 1e6, 2)
                    runs[name].append(run)
                    progress(f"ws round {round_no}/{args.rounds} {name}: {run['msgs_per_s']} msgs/s")
        finally:
            for bench in benches.values():
                await bench.close()
    return runs



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=summary(__doc__))
    parser.add_argument("--events", type=int, default=1000, help="trades per timed run (default 1000)")
    parser.add_argument("--subscribers", type=int, default=100, help="WebSocket clients (default 100)")
    parser.add_argument("--concurrency", type=int, default=4, help="takes in flight (default 4)")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs per server, alternating (default 5)")
    parser.add_argument("--warmup", type=int, default=WARMUP_EVENTS, help="untimed trades first, per server")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="hard cap on the whole run")
    parser.add_argument("--quick", action="store_true", help="a tiny run for the smoke test")
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_baseline:
        asyncio.run(_serve_baseline())
        return 0
    if args.quick:
        args.events, args.subscribers, args.warmup, args.rounds = min(args.events, 20), 10, 2, 1
    if args.warmup + args.rounds * args.events > MAX_TAKES:
        parser.error(f"the maker order has room for {MAX_TAKES} takes: lower --events or --rounds")
    deadline = time.monotonic() + args.max_seconds
    with Server([sys.executable, str(Path(__file__).resolve()), "--serve-baseline"]) as baseline_server, \
            Server(exsim_serve("--no-rate-limits", "--no-market-maker")) as exsim_server:
        runs = asyncio.run(compare({"baseline": baseline_server, "exsim": exsim_server}, args, deadline))
    exsim, baseline = best(runs["exsim"], "msgs_per_s"), best(runs["baseline"], "msgs_per_s")
    every = runs["exsim"] + runs["baseline"]
    server_cpu = median(runs["exsim"], "server_cpu_us_per_msg", 2)
    baseline_cpu = median(runs["baseline"], "server_cpu_us_per_msg", 2)
    result = dict(
        msgs_per_s=exsim["msgs_per_s"], baseline_msgs_per_s=baseline["msgs_per_s"],
        ratio=round(exsim["msgs_per_s"] / baseline["msgs_per_s"], 3) if baseline["msgs_per_s"] else None,
        events_per_s=exsim["events_per_s"], baseline_events_per_s=baseline["events_per_s"],
        server_cpu_us_per_msg=server_cpu, baseline_server_cpu_us_per_msg=baseline_cpu,
        server_cpu_ratio=round(baseline_cpu / server_cpu, 3) if server_cpu else None,
        client_cpu_us_per_msg=median(every, "client_cpu_us_per_msg", 2),
        unit="text frames delivered per second, summed over all subscribers (trade + depthUpdate frames)",
        subscribers=args.subscribers, events=args.events, concurrency=args.concurrency,
        msgs=exsim["msgs"], trade_msgs=exsim["trade_msgs"], depth_msgs=exsim["depth_msgs"],
        baseline_msgs=baseline["msgs"], rounds=args.rounds,
        best_of="rates: the fastest round per server; CPU figures: the median round",
        all_msgs_per_s=[run["msgs_per_s"] for run in runs["exsim"]],
        all_baseline_msgs_per_s=[run["msgs_per_s"] for run in runs["baseline"]],
        **health(every),
        disconnected=max(run["disconnected"] for run in every),
        python=platform.python_version(), aiohttp=aiohttp.__version__, cpus=os.cpu_count(),
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
