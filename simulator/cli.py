"""The `exsim` command line: `exsim serve` starts a simulator; more verbs drive a running one."""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal
import sys

from aiohttp import web

from simulator.config import ConfigError, load_config
from simulator.core import Simulator
from simulator.server import create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="exsim", description="A local fake exchange speaking Binance's dialect.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    serve = verbs.add_parser("serve", help="start the simulator")
    serve.add_argument("--config", help="YAML config (default: the embedded fixtures/default.yaml)")
    serve.add_argument("--host", help="address to bind (default from config: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default from config: 8900; 0 picks a free one)")
    serve.add_argument("--seed", type=int, help="seed for every random choice (default from config)")
    serve.add_argument("--no-rate-limits", action="store_true", help="turn rate limits off (load tests)")
    serve.add_argument("--no-market-maker", action="store_true", help="start with an empty, quiet market")
    serve.set_defaults(run=_serve)
    args = parser.parse_args(argv)
    return args.run(args)


def _serve(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"exsim: invalid config: {exc}", file=sys.stderr)
        return 2
    if args.no_rate_limits:
        config = dataclasses.replace(config, rate_limits=dataclasses.replace(config.rate_limits, enabled=False))
    if args.no_market_maker:
        config = dataclasses.replace(config, market_maker=dataclasses.replace(config.market_maker, enabled=False))
    host = args.host or config.server.host
    port = config.server.port if args.port is None else args.port
    try:
        asyncio.run(_run_server(config, host, port, args.seed))
    except OSError as exc:
        print(f"exsim: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


async def _run_server(config, host: str, port: int, seed: int | None) -> None:
    sim = Simulator(config, seed=seed)
    runner = web.AppRunner(create_app(sim), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    _print_banner(sim, host, bound)
    try:
        await stop.wait()
    finally:
        print("exsim: shutting down", flush=True)
        await runner.cleanup()


def _print_banner(sim, host: str, port: int) -> None:
    print(f"exsim listening on {host}:{port}", flush=True)
    print(f"  REST       http://{host}:{port}/api/v3", flush=True)
    print(f"  streams    ws://{host}:{port}/ws  ws://{host}:{port}/stream", flush=True)
    print(f"  ws-api     ws://{host}:{port}/ws-api/v3", flush=True)
    for key in sim.demo_keys:
        print(f"  account {key.account_id}: api key {key.key}  secret {key.secret}", flush=True)
    print(f"PORT={port}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
