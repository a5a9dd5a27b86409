"""The `exsim` verbs against a live server, `serve`'s refusals, and --state surviving kill -9."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from simulator.cli import is_loopback_host, main
from simulator.control.api import Control
from simulator.control.client import ControlClient
from simulator.control.persist import StateSaver
from tests.control.conftest import frozen_sim
from tests.control.raw_http import raw

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_verbs_against_a_live_server(live_server, capsys, tmp_path):
    url = ["--url", live_server.base_url]
    code, out, _ = run(capsys, "account", "create", "--name", "alice", "--balance", "USDT=1000",
                       "--balance", "BTC=0.5", "--json", *url)
    assert code == 0
    created = json.loads(out)
    assert created["name"] == "alice" and created["apiKey"] and created["secret"]
    account = str(created["id"])
    code, out, _ = run(capsys, "deposit", account, "USDT", "250", *url)
    assert code == 0 and "+250.00000000 USDT" in out and "1250.00000000" in out
    code, out, _ = run(capsys, "account", "show", account, *url)
    assert "USDT" in out and "1250.00000000" in out and created["apiKey"] in out
    code, out, _ = run(capsys, "fault", "add", "http_error", "status=503", "endpoint=POST /api/v3/order",
                       "count=2", *url)
    assert code == 0 and "http_error" in out and "remaining 2" in out
    code, out, _ = run(capsys, "fault", "add", "ws_delay", "--spec", '{"stream": "btcusdt@*"}', "ms=250", *url)
    assert code == 0 and "ws_delay" in out and "ms=250" in out and "stream=btcusdt@*" in out
    code, _, err = run(capsys, "fault", "add", "ws_delay", "ms=1", "--bogus", *url)
    assert code == 2 and "unrecognized arguments: --bogus" in err
    code, out, _ = run(capsys, "fault", "list", *url)
    assert "http_error" in out and "active" in out
    code, out, _ = run(capsys, "fault", "clear", *url)
    assert code == 0 and "cleared 2 fault(s)" in out
    code, out, _ = run(capsys, "clock", "advance", "1500", "--json", *url)
    assert json.loads(out)["advancedMs"] == 1500
    snapshot = tmp_path / "snap.json"
    code, out, _ = run(capsys, "snapshot", "save", str(snapshot), *url)
    assert code == 0 and snapshot.exists()
    run(capsys, "account", "create", "--name", "later", *url)
    code, out, _ = run(capsys, "snapshot", "load", str(snapshot), *url)
    assert code == 0 and "restored" in out
    code, out, _ = run(capsys, "account", "list", *url)
    assert "alice" in out and "later" not in out
    scene = tmp_path / "halt.yaml"
    scene.write_text("name: halt\ndescription: ETHUSDT halts\nsteps:\n  - status: {symbol: ETHUSDT, status: HALT}\n"
                     "verdict:\n  - {symbol: ETHUSDT, status: HALT}\n")
    code, out, err = run(capsys, "scenario", "run", str(scene), *url)
    assert code == 0 and "VERDICT PASS: scenario halt" in out and "step  0" in out
    assert "first resets the simulator" in err  # someone may have been using it
    status, body = raw(f"{url[1]}/_sim/v1/symbols")
    assert body["symbols"]["ETHUSDT"]["status"] == "TRADING"  # and it is left as it was found
    scene.write_text(scene.read_text().replace("status: HALT}\n", "status: BREAK}\n", 1))
    code, out, _ = run(capsys, "scenario", "run", str(scene), "--json", *url)
    assert code == 1 and json.loads(out)["verdict"] == "FAIL"


def test_refusals_and_unreachable_servers_exit_non_zero(live_server, capsys):
    code, _, err = run(capsys, "deposit", "999", "USDT", "1", "--url", live_server.base_url)
    assert code == 1 and "unknown_account" in err
    code, _, err = run(capsys, "funding", "settle", "DOGEUSDT", "--url", live_server.base_url)
    assert code == 1 and "DOGEUSDT" in err
    code, _, err = run(capsys, "account", "list", "--url", "http://127.0.0.1:9")
    assert code == 3 and "cannot reach" in err


def test_scenario_validate_points_at_the_line(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\ndescription: d\nsteps:\n  - fault: {kind: xx}\n")
    code, _, err = run(capsys, "scenario", "validate", str(bad))
    assert code == 2 and f"{bad}:4: steps[0].fault.kind: unknown fault 'xx'" in err
    code, out, _ = run(capsys, "scenario", "validate", *map(str, sorted((ROOT / "fixtures/scenarios").glob("*.yaml"))))
    assert code == 0 and out.count(": ok") >= 12


def test_serve_refuses_a_public_address_without_an_admin_token(capsys, monkeypatch):
    monkeypatch.delenv("EXSIM_ADMIN_TOKEN", raising=False)
    code, _, err = run(capsys, "serve", "--host", "0.0.0.0", "--port", "0")
    assert code == 2 and "--admin-token" in err
    assert is_loopback_host("127.0.0.1") and is_loopback_host("::1") and is_loopback_host("localhost")
    assert not is_loopback_host("0.0.0.0") and not is_loopback_host("::") and not is_loopback_host("10.1.2.3")


@pytest.mark.parametrize("content, words", [
    ("{not json", "not valid JSON"),
    ('{"format": "exsim-snapshot", "version": 2}', "unsupported snapshot version 2"),
    ('{"format": "exsim-snapshot", "version": 1, "config": {}}', "snapshot config"),
])
def test_serve_refuses_a_bad_state_file_and_leaves_it_alone(capsys, tmp_path, content, words):
    state = tmp_path / "state.json"
    state.write_text(content)
    code, _, err = run(capsys, "serve", "--port", "0", "--state", str(state))
    assert code == 2 and "cannot restore state" in err and words in err
    assert state.read_text() == content


# --- kill -9 ----------------------------------------------------------------------------------------------
def start_server(*args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "simulator.cli", "serve", "--port", "0",
                                "--no-market-maker", *args], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 30
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith("PORT="):
            return process, f"http://127.0.0.1:{int(line.strip().split('=')[1])}"
    process.kill()
    raise AssertionError("server did not start:\n" + "".join(seen))


def signed_order(url: str, quantity: str) -> tuple[int, dict]:
    """A LIMIT BUY of BTCUSDT by the demo account, signed as any client would: (status, body)."""
    query = (f"symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity={quantity}&price=60000"
             f"&timestamp={ControlClient(url).clock()['serverTime']}")
    signature = hmac.new(b"demo-api-secret", query.encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(f"{url}/api/v3/order?{query}&signature={signature}", method="POST",
                                     headers={"X-MBX-APIKEY": "demo-api-key"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def wait_for(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def state_has_account(path: Path, name: str) -> bool:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return False  # never expected (the file is replaced atomically), but never fatal to the wait
    return any(a["name"] == name for a in document["engine"]["accounts"])


def test_state_survives_kill_9_and_restores_at_start(tmp_path):
    state = tmp_path / "state.json"
    process, url = start_server("--state", str(state), "--state-interval", "1")
    try:
        created = ControlClient(url).create_account(name="survivor", balances={"USDT": "123.45"})
        wait_for(lambda: state_has_account(state, "survivor"), what="the periodic save")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp file left behind by the saves
    process, url = start_server("--state", str(state), "--state-interval", "1")
    try:
        account = ControlClient(url).get_account(account_id=created["id"])
        assert account["name"] == "survivor"
        assert account["balances"]["USDT"]["free"] == "123.45000000"
        assert account["apiKeys"][0]["apiKey"] == created["apiKey"]
        # the restored key and secret still sign Binance requests
        query = f"timestamp={ControlClient(url).clock()['serverTime']}"
        signature = hmac.new(created["secret"].encode(), query.encode(), hashlib.sha256).hexdigest()
        request = urllib.request.Request(f"{url}/api/v3/account?{query}&signature={signature}",
                                         headers={"X-MBX-APIKEY": created["apiKey"]})
        with urllib.request.urlopen(request, timeout=10) as response:
            balances = {b["asset"]: b["free"] for b in json.loads(response.read())["balances"]}
        assert balances["USDT"] == "123.45000000"
    finally:
        process.send_signal(signal.SIGTERM)  # graceful: saves once more, then exits 0
        assert process.wait(20) == 0
        process.stdout.close()
    assert state_has_account(state, "survivor")


def test_serve_restores_a_state_saved_in_process(tmp_path, capsys):
    sim = frozen_sim()
    Control(sim).create_account(name="from-a-test")
    state = tmp_path / "state.json"
    StateSaver(sim, state).save()
    process, url = start_server("--state", str(state))
    try:
        names = [a["name"] for a in ControlClient(url).list_accounts()["accounts"]]
        assert "from-a-test" in names
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)
        process.stdout.close()


def test_serve_plays_a_scenario_for_the_client_that_attaches_and_exits_with_its_verdict(tmp_path):
    report = tmp_path / "result.json"
    process, url = start_server("--scenario", "insufficient-balance", "--scenario-exit",
                                "--scenario-report", str(report))
    try:
        lines = []
        while not any("waiting up to" in line for line in lines):  # the console says what it waits for
            line = process.stdout.readline()
            assert line, "server exited:\n" + "".join(lines)
            lines.append(line)
        assert "the subject's next POST /api/v3/order answered 400" in lines[-1]
        status, _ = signed_order(url, quantity="1000000")  # the demo account asks for far too much
        assert status == 400
        assert process.wait(30) == 0, "".join(lines) + process.stdout.read()
        assert "VERDICT PASS: scenario insufficient-balance" in process.stdout.read()
        assert json.loads(report.read_text())["verdict"] == "PASS"
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


def test_serve_refuses_an_unknown_or_invalid_scenario(capsys, tmp_path):
    assert main(["serve", "--scenario", "no-such-scenario"]) == 2
    assert "no shipped scenario 'no-such-scenario'" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\ndescription: d\nsteps:\n  - wobble: {}\n")
    assert main(["serve", "--scenario", str(broken)]) == 2
    assert f"{broken}:4" in capsys.readouterr().err
