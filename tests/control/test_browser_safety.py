"""A web page in the user's browser can reach loopback: the control plane refuses what only a browser sends (a
foreign Host, a foreign Origin, a write that is not JSON), and the trading API is not affected."""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
import urllib.error
import urllib.request

import aiohttp
import pytest

from simulator.control.api import Control
from simulator.control.client import ControlClient
from simulator.control.http import browser_refusal, create_control_app, parse_authority
from tests.control.test_cli import run, start_server
from tests.live_server import LiveServer

EVIL = "http://evil.example"


async def send(server, method: str, path: str, *, body: bytes | None = None, content_type: str | None = None,
               host: str | None = None, origin: str | None = None, headers: dict | None = None):
    """(status, JSON body) of one request exactly as given: no Content-Type unless `content_type`."""
    sent = dict(headers or {})
    if content_type is not None:
        sent["Content-Type"] = content_type
    if host is not None:
        sent["Host"] = host
    if origin is not None:
        sent["Origin"] = origin
    async with aiohttp.ClientSession(skip_auto_headers=("Content-Type",)) as session:
        async with session.request(method, server.base_url + path, data=body, headers=sent) as response:
            return response.status, json.loads(await response.read())


def demo_usdt(server) -> str:
    sim = server.sim
    return server.call(lambda: Control(sim).get_account(sim.demo_keys[0].account_id)["balances"]["USDT"]["free"])


DEPOSIT = b'{"asset": "USDT", "amount": "1000000"}'


# --- the attacks the issue describes ----------------------------------------------------------------------
async def test_a_cross_site_text_plain_post_deposits_nothing(live_server):
    before = demo_usdt(live_server)
    path = f"/_sim/v1/accounts/{live_server.sim.demo_keys[0].account_id}/deposit"
    status, body = await send(live_server, "POST", path, body=DEPOSIT, content_type="text/plain", origin=EVIL)
    assert (status, body["error"]["code"]) == (403, "foreign_origin") and body["error"]["message"]
    status, body = await send(live_server, "POST", path, body=DEPOSIT,
                              content_type="text/plain")  # the same without an Origin: still not JSON
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    assert demo_usdt(live_server) == before
    status, _ = await send(live_server, "POST", path, body=DEPOSIT, content_type="application/json")
    assert status == 200 and demo_usdt(live_server) != before  # the request itself was a good one


async def test_a_rebound_host_cannot_read_the_snapshot(live_server):
    status, body = await send(live_server, "GET", "/_sim/v1/snapshot", host=f"evil.example:{live_server.port}")
    assert (status, body["error"]["code"]) == (403, "foreign_host")
    assert "demo-api-secret" not in json.dumps(body)
    status, body = await send(live_server, "GET", "/_sim/v1/snapshot", host=f"127.0.0.1:{live_server.port}")
    assert status == 200 and body["keys"]


# --- Host -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("host, allowed", [
    ("127.0.0.1:{port}", True), ("localhost:{port}", True), ("LOCALHOST", True), ("localhost.:{port}", True),
    ("[::1]:{port}", True), ("127.0.0.2:{port}", True), ("localhost:9000", True),  # a tunnel or port map
    ("evil.example:{port}", False), ("evil.example", False), ("10.0.0.5:{port}", False),
    ("127.0.0.1.evil.example", False), ("localhost@evil.example", False), ("::1", False), ("", False),
])
async def test_the_host_must_be_one_of_the_servers_names(live_server, host, allowed):
    status, body = await send(live_server, "GET", "/_sim/v1/clock", host=host.format(port=live_server.port))
    assert (status == 200) is allowed
    if not allowed:
        assert (status, body["error"]["code"]) == (403, "foreign_host")


async def test_names_the_user_allows_are_accepted(sim):
    server = LiveServer(sim, allowed_hosts=["Exsim.Test", "[fd00::7]"]).start()
    try:
        port = server.port
        assert (await send(server, "GET", "/_sim/v1/clock", host=f"exsim.test:{port}"))[0] == 200
        assert (await send(server, "GET", "/_sim/v1/clock", host=f"[fd00::7]:{port}"))[0] == 200
        assert (await send(server, "POST", "/_sim/v1/clock/advance", body=b'{"ms": 1}',
                           content_type="application/json", host=f"exsim.test:{port}",
                           origin=f"http://exsim.test:{port}"))[0] == 200
        assert (await send(server, "GET", "/_sim/v1/clock", host=f"other.test:{port}"))[0] == 403
    finally:
        server.stop()


async def test_with_an_admin_token_the_host_is_left_to_the_token_but_origin_is_not(sim):
    server = LiveServer(sim, admin_token="s3cret").start()
    try:
        token = {"X-Exsim-Admin-Token": "s3cret"}
        status, _ = await send(server, "GET", "/_sim/v1/clock", host="exsim.example.com", headers=token)
        assert status == 200  # a remote client's name for the server: the token is what protects
        status, body = await send(server, "GET", "/_sim/v1/clock", host="evil.example", origin=EVIL, headers=token)
        assert (status, body["error"]["code"]) == (403, "foreign_origin")
        status, body = await send(server, "GET", "/_sim/v1/clock", host="evil.example")
        assert (status, body["error"]["code"]) == (401, "admin_token_required")  # the token check comes first
    finally:
        server.stop()


# --- Origin -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("origin, allowed", [
    ("http://127.0.0.1:{port}", True), ("http://localhost:{port}", False),  # not the Host the request names
    ("http://127.0.0.1:3000", False),  # another local page
    (EVIL, False), ("null", False), ("http://127.0.0.1:{port}/path", False), ("file://", False),
    ("https://127.0.0.1:{port}", True),
])
async def test_only_the_servers_own_origin_is_accepted(live_server, origin, allowed):
    host = f"127.0.0.1:{live_server.port}"
    status, body = await send(live_server, "GET", "/_sim/v1/clock", host=host,
                              origin=origin.format(port=live_server.port))
    assert (status == 200) is allowed
    if not allowed:
        assert (status, body["error"]["code"]) == (403, "foreign_origin")


# --- content type of writes -------------------------------------------------------------------------------
@pytest.mark.parametrize("method, path, body, content_type, status", [
    ("POST", "/_sim/v1/accounts", b'{"name": "x"}', None, 415),
    ("POST", "/_sim/v1/accounts", b'{"name": "x"}', "text/plain", 415),
    ("POST", "/_sim/v1/accounts", b'{"name": "x"}', "application/x-www-form-urlencoded", 415),
    ("POST", "/_sim/v1/accounts", b'{"name": "x"}', "multipart/form-data; boundary=x", 415),
    ("POST", "/_sim/v1/reset", None, None, 415),
    ("DELETE", "/_sim/v1/faults", None, None, 415),
    ("PUT", "/_sim/v1/snapshot", b"{}", "text/plain", 415),
    ("POST", "/_sim/v1/accounts", b'{"name": "x"}', "application/json", 200),
    ("POST", "/_sim/v1/accounts", b'{"name": "x"}', "Application/JSON; charset=utf-8", 200),
    ("DELETE", "/_sim/v1/faults", None, "application/json", 200),  # a write without a body declares it too
    ("GET", "/_sim/v1/accounts", None, None, 200),  # reads need nothing
])
async def test_writes_must_be_declared_json(live_server, method, path, body, content_type, status):
    got, answer = await send(live_server, method, path, body=body, content_type=content_type)
    assert got == status
    if status == 415:
        assert answer["error"]["code"] == "unsupported_media_type"
        assert "application/json" in answer["error"]["message"]


def test_the_client_and_the_cli_send_bodyless_writes_as_json(live_server, capsys):
    client = ControlClient(live_server.base_url)
    fault = client.add_fault(spec={"kind": "http_error", "status": 503, "count": 1})
    assert client.clear_fault(fault_id=fault["id"]) == {"cleared": [fault["id"]]}  # DELETE, no body
    assert client.reset()  # POST, no body
    client.add_fault(spec={"kind": "http_error", "status": 503, "count": 1})
    code, out, _ = run(capsys, "fault", "clear", "--url", live_server.base_url)
    assert code == 0 and "cleared 1 fault(s)" in out


# --- the trading API is untouched -------------------------------------------------------------------------
async def test_the_trading_api_takes_any_host_origin_and_content_type(live_server):
    sim = live_server.sim
    status, body = await send(live_server, "GET", "/api/v3/time", host="evil.example", origin=EVIL)
    assert status == 200 and "serverTime" in body
    query = f"symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=60000" \
            f"&timestamp={live_server.call(sim.clock.server_time_ms)}"
    signed = query + "&signature=" + hmac.new(b"demo-api-secret", query.encode(), hashlib.sha256).hexdigest()
    status, body = await send(live_server, "POST", "/api/v3/order", body=signed.encode(),
                              content_type="text/plain", host="api.binance.com", origin=EVIL,
                              headers={"X-MBX-APIKEY": "demo-api-key"})
    assert status == 200 and body["status"] == "NEW"


# --- the rules on their own -------------------------------------------------------------------------------
def test_parse_authority():
    assert parse_authority("LocalHost:8900") == ("localhost", 8900)
    assert parse_authority("[::1]:80") == ("::1", 80)
    assert parse_authority("example.com") == ("example.com", 80)
    assert parse_authority("example.com", 443) == ("example.com", 443)
    for bad in ("", "a b", "x:99999", "x:", "u@x", "x/y", "::1", "[::1", "x:8900:1"):
        assert parse_authority(bad) is None, bad


def test_browser_refusal_without_a_host_header():
    """Clients that send no Host (HTTP/1.0) are not browsers; but an Origin with no Host to match is refused."""
    assert browser_refusal("GET", {}, "", frozenset(), check_host=True) is None
    assert browser_refusal("GET", {"Origin": "http://127.0.0.1"}, "", frozenset(), check_host=True).code == \
        "foreign_origin"


@pytest.mark.parametrize("token", ["", "   ", "\t"])
def test_an_empty_admin_token_is_refused(token, capsys, monkeypatch):
    monkeypatch.delenv("EXSIM_ADMIN_TOKEN", raising=False)
    code, _, err = run(capsys, "serve", "--port", "0", "--admin-token", token)
    assert code == 2 and "admin token" in err and "empty" in err
    monkeypatch.setenv("EXSIM_ADMIN_TOKEN", token)
    code, _, err = run(capsys, "serve", "--port", "0")
    assert code == 2 and "empty" in err
    with pytest.raises(ValueError, match="empty"):
        create_control_app(admin_token=token)


def test_an_admin_token_is_compared_without_surrounding_blanks(sim):
    server = LiveServer(sim, admin_token="  s3cret\n").start()
    try:
        assert ControlClient(server.base_url, admin_token="s3cret").clock()["now"] > 0
    finally:
        server.stop()


def test_serve_wires_its_flags_into_the_server(tmp_path):
    """--allow-host reaches the control plane, --read-timeout the connections, --journal-max-mb the journal."""
    journal = tmp_path / "journal.jsonl"
    process, url = start_server("--allow-host", "exsim.test", "--read-timeout", "0.5", "--journal", str(journal),
                                "--journal-max-mb", "0.001")
    port = url.rsplit(":", 1)[1]
    try:
        def status(host: str) -> int:
            request = urllib.request.Request(url + "/_sim/v1/clock", headers={"Host": host})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code

        assert status(f"exsim.test:{port}") == 200
        assert status(f"localhost:{port}") == 200
        assert status(f"evil.example:{port}") == 403
        with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as half:
            half.sendall(b"GET /api/v3/ti")
            started = time.monotonic()
            assert half.recv(100) == b"" and time.monotonic() - started < 5  # closed by the server
        assert journal.with_name(journal.name + ".1").exists()  # three requests pass 1 kB
    finally:
        process.terminate()
        process.wait(10)
