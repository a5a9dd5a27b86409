"""The `exsim` command as a newcomer meets it: help on every option, accounts by name, LIMIT without --tif, a
closed pipe, a busy port, the banner's warnings and the request log."""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from simulator.cli import build_parser
from tests.control.test_cli import run
from tests.test_serve import read_port, spawn

ROOT = Path(__file__).resolve().parents[2]


def walk(parser: argparse.ArgumentParser, path: str):
    """(command path, action) for every argument of every (sub)command."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from walk(sub, f"{path} {name}")
        else:
            yield path, action


def test_every_option_and_argument_has_help_text():
    missing = [f"{path}: {'/'.join(action.option_strings) or action.dest}" for path, action in walk(build_parser(),
                                                                                                    "exsim")
               if not action.help]
    assert not missing, "without help text:\n" + "\n".join(missing)


def test_accounts_are_taken_by_name_and_limit_orders_default_to_gtc(live_server, capsys):
    url = ["--url", live_server.base_url]
    code, out, _ = run(capsys, "account", "create", "--name", "alice", "--balance", "BTC=1", "--json", *url)
    assert code == 0
    alice = json.loads(out)["id"]
    code, out, _ = run(capsys, "deposit", "alice", "USDT", "500", "--json", *url)
    assert code == 0 and json.loads(out)["accountId"] == alice
    code, out, err = run(capsys, "order", "place", "alice", "BTCUSDT", "SELL", "LIMIT", "--quantity", "0.5",
                         "--price", "64100", "--json", *url)
    assert code == 0, err
    order = json.loads(out)["order"]
    assert order["accountId"] == alice and order["timeInForce"] == "GTC" and order["status"] == "NEW"
    code, out, _ = run(capsys, "order", "list", "--account", "alice", "--json", *url)
    assert [o["orderId"] for o in json.loads(out)["orders"]] == [order["orderId"]]
    code, out, _ = run(capsys, "account", "show", str(alice), *url)
    assert code == 0 and "'alice'" in out


def test_unknown_and_ambiguous_names_are_refused_clearly(live_server, capsys):
    url = ["--url", live_server.base_url]
    code, _, err = run(capsys, "deposit", "nobody", "USDT", "1", *url)
    assert code == 2 and "no account is named 'nobody'" in err
    # the control plane keeps names unique, but the market maker's Faker-named counterparties may share one
    live_server.call(lambda: [live_server.sim.create_account("twin") for _ in range(2)])
    code, _, err = run(capsys, "deposit", "twin", "USDT", "1", *url)
    assert code == 2 and "2 accounts are named 'twin'" in err and "give the id" in err


def test_a_closed_pipe_ends_quietly(live_server):
    live_server.call(lambda: [live_server.sim.create_account(f"a{i}") for i in range(50)])
    proc = subprocess.run(f"'{sys.executable}' -m simulator.cli events --after 0 --url {live_server.base_url} "
                          "| head -1", shell=True, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.stdout.startswith("{") and proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr, proc.stderr


def test_a_busy_port_says_how_to_pick_another():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "simulator.cli", "serve", "--port", str(port)],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 1
    assert f"port {port} is in use: try `make run PORT={port + 1}` or `exsim serve --port 0`" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_banner_says_what_is_off_and_how_to_stop_and_requests_are_logged_without_secrets():
    process = spawn("--port", "0", "--no-rate-limits", "--no-market-maker", "--log-requests")
    try:
        port, banner = read_port(process)
        text = "".join(banner)
        assert "rate limits are OFF" in text and "market maker is OFF" in text and "Ctrl-C" in text
        query = "symbol=BTCUSDT&timestamp=1&signature=deadbeefsecret"
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v3/order?{query}", method="GET",
                                         headers={"X-MBX-APIKEY": "demo-api-key"})
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as exc:
            status = exc.code
        line = process.stdout.readline()
        assert f"GET /api/v3/order {status} " in line and line.rstrip().endswith(" ms"), line
        assert "deadbeef" not in line and "demo-api-key" not in line and "timestamp" not in line
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def test_the_make_run_target_takes_a_port():
    makefile = (ROOT / "Makefile").read_text()
    proc = subprocess.run(["make", "-n", "run", "PORT=9000"], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "MAKEFLAGS": ""}, timeout=30)
    assert "exsim serve --port 9000" in proc.stdout, proc.stdout + proc.stderr
    assert "PORT ?= 8900" in makefile
