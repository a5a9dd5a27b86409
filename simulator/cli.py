"""The `exsim` command line: `exsim serve` starts a simulator; the other verbs drive a running one through its
control plane (simulator.control.cli_verbs)."""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import errno
import json
import ipaddress
import logging
import math
import os
import signal
import socket
import sys
import time

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from simulator.config import ConfigError, load_config
from simulator.control.api import Control
from simulator.control.cli_verbs import add_verbs
from simulator.control.errors import ControlError
from simulator.control.journal import Journal
from simulator.control.persist import STATE_SAVER, SaveError, StateSaver
from simulator.control.scenario_schema import Scenario, ScenarioError, load_scenario_file, resolve
from simulator.control.scenarios import Player, drive_async
from simulator.control.snapshot import SnapshotError, load_file
from simulator.core import Simulator
from simulator.http_connections import READ_TIMEOUT_S
from simulator.server import build_simulator, create_app, make_runner

DEFAULT_STATE_INTERVAL_S = 10.0
DEFAULT_JOURNAL_MB = 256.0


def main(argv: list[str] | None = None) -> int:
    return run(build_parser(), argv)


def build_parser() -> argparse.ArgumentParser:
    """The whole `exsim` command tree."""
    parser = argparse.ArgumentParser(prog="exsim", description="A local fake exchange speaking Binance's dialect.")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    serve = verbs.add_parser("serve", help="start the simulator")
    serve.add_argument("--config", help="YAML config (default: the embedded fixtures/default.yaml)")
    serve.add_argument("--host", help="address to bind (default from config: 127.0.0.1); anything but loopback "
                                      "needs --admin-token")
    serve.add_argument("--port", type=int, help="port (default from config: 8900; 0 picks a free one)")
    serve.add_argument("--seed", type=int, help="seed for every random choice (default from config)")
    serve.add_argument("--no-rate-limits", action="store_true", help="turn rate limits off (load tests)")
    serve.add_argument("--no-market-maker", action="store_true", help="start with an empty, quiet market")
    serve.add_argument("--admin-token", default=os.environ.get("EXSIM_ADMIN_TOKEN"),
                       help="require this token on every control request (or $EXSIM_ADMIN_TOKEN)")
    serve.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                       help="a name the control plane accepts in Host and Origin besides loopback addresses, "
                            "localhost and --host (it refuses others, against DNS rebinding); repeatable")
    serve.add_argument("--state", metavar="FILE", help="restore the state from FILE if it exists; save it there "
                                                       "periodically and on shutdown")
    serve.add_argument("--state-interval", type=float, default=DEFAULT_STATE_INTERVAL_S, metavar="SECONDS",
                       help=f"how often to save --state (default {DEFAULT_STATE_INTERVAL_S:g})")
    serve.add_argument("--journal", metavar="FILE", help="append every request and response to FILE (JSON lines, "
                                                         "secrets redacted)")
    serve.add_argument("--journal-max-mb", type=float, default=DEFAULT_JOURNAL_MB, metavar="MB",
                       help=f"past this size the journal moves to FILE.1 and starts afresh (default "
                            f"{DEFAULT_JOURNAL_MB:g})")
    serve.add_argument("--read-timeout", type=float, default=READ_TIMEOUT_S, metavar="SECONDS",
                       help="close a connection whose request headers take longer than this, or whose body stalls "
                            f"longer (default {READ_TIMEOUT_S:g})")
    serve.add_argument("--scenario", metavar="FILE", help="start from a scenario (a file, or a shipped scenario's "
                       "name): its setup, then its steps, each waiting for the client under test, then a verdict "
                       "(PASS, FAIL or ERROR) on what that client did")
    serve.add_argument("--scenario-exit", action="store_true",
                       help="stop the server once the scenario's verdict is in; exit 0 only on PASS (a one-scene "
                            "conformance test for whatever client attached)")
    serve.add_argument("--scenario-report", metavar="FILE",
                       help="write the scenario's result (verdict, checks, timeline) to FILE as JSON")
    serve.add_argument("--log-requests", action="store_true",
                       help="print one line per REST request: method, path, status, milliseconds (never the "
                            "query string, so never a signature)")
    serve.set_defaults(run=_serve)
    add_verbs(verbs)
    from conformance.options import add_arguments as conformance_options  # a leaf module: argparse only
    conformance = verbs.add_parser("conformance", help="run the conformance suite against a connector's adapter")
    conformance_options(conformance)
    conformance.set_defaults(run=_conformance)
    return parser


def _conformance(args: argparse.Namespace) -> int:
    """The suite is imported only when this verb runs (it starts simulators of its own)."""
    from conformance.cli import run as run_conformance
    return run_conformance(args)


def run(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    args, extra = parser.parse_known_args(argv)
    if extra:
        # KEY=VALUE pairs given after an option (`fault add KIND --spec {...} count=2`) still belong to the verb
        target = getattr(args, "extra_into", None)
        if target is None or any("=" not in item or item.startswith("-") for item in extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        getattr(args, target).extend(extra)
    try:
        return args.run(args)
    except BrokenPipeError:
        # The reader went away (`exsim events | head -1`): stop quietly, as `cat` would. Point stdout at
        # /dev/null so that the interpreter's own flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def is_loopback_host(host: str) -> bool:
    """True when every address `host` names is a loopback one (127.0.0.0/8, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos)


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
    if args.admin_token is not None:
        if not args.admin_token.strip():
            print("exsim: the admin token (--admin-token or $EXSIM_ADMIN_TOKEN) is empty: give a real one, or none "
                  "to serve loopback clients only", file=sys.stderr)
            return 2
        args.admin_token = args.admin_token.strip()
    if not args.admin_token and not is_loopback_host(host):
        print(f"exsim: refusing to bind {host}: the control plane would be open to the network; pass "
              "--admin-token TOKEN (or set $EXSIM_ADMIN_TOKEN) to bind a non-loopback address", file=sys.stderr)
        return 2
    for flag in ("state_interval", "journal_max_mb", "read_timeout"):
        if not 0 < getattr(args, flag) < math.inf:  # (nan compares false: refused too)
            print(f"exsim: --{flag.replace('_', '-')} must be a positive number", file=sys.stderr)
            return 2
    scenario = None
    if args.scenario:
        try:
            scenario = resolve(name=args.scenario) if not os.path.exists(args.scenario) else \
                load_scenario_file(args.scenario)
        except ScenarioError as exc:
            print(f"exsim: invalid scenario: {exc}", file=sys.stderr)
            return 2
        except ControlError as exc:
            print(f"exsim: {exc.message}", file=sys.stderr)
            return 2
    if args.state and os.path.exists(args.state):
        try:
            sim = load_file(args.state, build_simulator)  # fully built before anything else happens: never half loaded
        except SnapshotError as exc:
            print(f"exsim: cannot restore state: {exc}", file=sys.stderr)
            return 2
        print(f"exsim: restored state from {args.state} (the config flags apply only to a new state)", flush=True)
    else:
        sim = build_simulator(config, seed=args.seed)
    args.verdict = None
    try:
        asyncio.run(_run_server(sim, host, port, args, scenario))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE and port:
            print(f"exsim: port {port} is in use: try `make run PORT={port + 1}` or `exsim serve --port 0` "
                  "(any free port; the banner prints it)", file=sys.stderr)
        else:
            print(f"exsim: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except StateError as exc:
        print(f"exsim: {exc}", file=sys.stderr)
        return 1
    if args.scenario_exit and args.verdict != "PASS":
        return 1  # FAIL, ERROR, or stopped before the verdict
    return 0


class StateError(Exception):
    pass


async def _run_server(sim: Simulator, host: str, port: int, args: argparse.Namespace,
                      scenario: Scenario | None = None) -> None:
    saver = StateSaver(sim, args.state) if args.state else None
    if saver is not None:
        try:
            saver.save()  # at once: proves the file can be written, and a crash from now on has a state
        except SaveError as exc:
            raise StateError(str(exc)) from None
    journal = Journal(args.journal, clock=lambda: sim.clock.now_ms(),
                      max_bytes=int(args.journal_max_mb * 1024 * 1024)) if args.journal else None
    app = create_app(sim, admin_token=args.admin_token, allowed_hosts=[host, *args.allow_host], journal=journal)
    if saver is not None:
        app[STATE_SAVER] = saver  # GET /_sim/v1/health reports how saving goes
    access = {"access_log_class": RequestLog, "access_log": RequestLog.logger} if args.log_requests else \
        {"access_log": None}
    runner = make_runner(app, read_timeout=args.read_timeout, **access)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    saving = asyncio.create_task(saver.run(args.state_interval)) if saver is not None else None
    _print_banner(sim, host, bound, args)
    playing = asyncio.create_task(_play(sim, scenario, args, stop)) if scenario is not None else None
    try:
        await stop.wait()
    finally:
        if playing is not None:
            playing.cancel()
            await asyncio.gather(playing, return_exceptions=True)
        print("exsim: shutting down", flush=True)
        if saving is not None:
            saving.cancel()
            await asyncio.gather(saving, return_exceptions=True)
        await runner.cleanup()
        if saver is not None:
            try:
                saver.save()
                print(f"exsim: state saved to {args.state}", flush=True)
            except SaveError as exc:  # (logged too) the last state saved stays on disk
                print(f"exsim: {exc}", file=sys.stderr)
        if journal is not None:
            journal.close()


async def _play(sim: Simulator, scenario: Scenario, args: argparse.Namespace, stop: asyncio.Event) -> None:
    """Play the --scenario against this server, printing its timeline as it goes and its verdict at the end;
    the server keeps running (with --scenario-exit it stops, and the exit status tells the verdict)."""
    print(f"exsim: playing scenario {scenario.name}: {scenario.description.splitlines()[0]}", flush=True)
    player = Player(scenario, Control(sim), on_entry=lambda entry: print(entry.render(), flush=True))
    result = await drive_async(player)
    print(result.render_verdict(), flush=True)
    if args.scenario_report:
        try:
            with open(args.scenario_report, "w", encoding="utf-8") as out:
                json.dump(result.to_dict(), out, indent=2)
        except OSError as exc:
            print(f"exsim: cannot write {args.scenario_report}: {exc.strerror or exc}", file=sys.stderr)
    if args.scenario_exit:
        args.verdict = result.verdict
        stop.set()


class RequestLog(AbstractAccessLogger):
    """`--log-requests`: one line per request on stdout. The path only: a signed request's query string holds
    its signature, and headers hold API keys, so neither is ever printed."""
    logger = logging.getLogger("exsim.requests")

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time_s: float) -> None:
        print(f"{time.strftime('%H:%M:%S')} {request.method} {request.path} {response.status} "
              f"{time_s * 1000:.1f} ms", flush=True)


def _print_banner(sim, host: str, port: int, args: argparse.Namespace) -> None:
    print(f"exsim listening on {host}:{port}", flush=True)
    print(f"  REST       http://{host}:{port}/api/v3", flush=True)
    print(f"  streams    ws://{host}:{port}/ws  ws://{host}:{port}/stream", flush=True)
    print(f"  ws-api     ws://{host}:{port}/ws-api/v3", flush=True)
    access = "admin token required" if args.admin_token else "loopback clients only"
    print(f"  control    http://{host}:{port}/_sim/v1  ({access})", flush=True)
    if args.state:
        print(f"  state      {args.state} (every {args.state_interval:g} s and on shutdown)", flush=True)
    if args.journal:
        print(f"  journal    {args.journal}", flush=True)
    for key in sim.demo_keys:
        print(f"  account {key.account_id}: api key {key.key}  secret {key.secret}", flush=True)
    if not sim.config.rate_limits.enabled:
        print("  rate limits are OFF", flush=True)
    if sim.market_maker is None:
        print("  the market maker is OFF: the book is empty until someone quotes", flush=True)
    ahead = sim.clock.ahead_ms()
    if ahead:
        print(f"  clock      {_ahead_text(ahead)} wall time (restored state: `exsim reset` returns it to "
              "wall time)", flush=True)
    if args.log_requests:
        print("  logging    one line per request", flush=True)
    print("Stop with Ctrl-C.", flush=True)
    print(f"PORT={port}", flush=True)


def _ahead_text(ms: int) -> str:
    return f"{abs(ms)} ms {'ahead of' if ms > 0 else 'behind'}"


if __name__ == "__main__":
    sys.exit(main())
