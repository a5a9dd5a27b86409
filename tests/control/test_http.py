"""The control plane over HTTP on a live server: routes, JSON errors, the admin guard, uploads, scenarios."""
from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from aiohttp.test_utils import make_mocked_request

from simulator.control.client import ControlClient
from simulator.control.errors import ControlError
from simulator.control.http import admin_refusal, create_control_app, guard, is_loopback
from simulator.control.scenarios import load_scenario_text, play_remote
from simulator.server import build_simulator
from simulator.config import load_config
from tests.control.raw_http import raw
from tests.live_server import LiveServer


@pytest.fixture
def client(live_server) -> ControlClient:
    return ControlClient(live_server.base_url)


def test_the_issue_routes_json_in_and_out(live_server, client):
    base = live_server.base_url + "/_sim/v1"
    status, created = raw(base + "/accounts", "POST", b'{"name": "alice", "balances": {"USDT": "250.5"}}')
    assert status == 200 and {"id", "apiKey", "secret"} <= set(created)
    status, error = raw(base + f"/accounts/{created['id']}/deposit", "POST", b'{"asset": "BTC", "amount": 0.1}')
    assert status == 400 and error["error"]["message"].startswith("amount: pass decimal amounts as strings")
    status, deposit = raw(base + f"/accounts/{created['id']}/deposit", "POST", b'{"asset": "BTC", "amount": "0.1"}')
    assert status == 200 and deposit["balance"]["free"] == "0.10000000"
    status, shown = raw(base + f"/accounts/{created['id']}")
    assert shown["balances"]["USDT"]["free"] == "250.50000000"
    before = client.clock()
    assert client.advance_clock(ms=60_000)["now"] >= before["now"] + 60_000
    assert client.set_skew(ms=-1500)["skewMs"] == -1500
    order = client.place_order(account_id=created["id"], symbol="BTCUSDT", side="SELL", type="LIMIT",
                               quantity="0.05", price="70000", time_in_force="GTC")["order"]
    taken = client.take(order_id=order["orderId"], qty="0.02")
    assert taken["order"]["executedQty"] == "0.02000000"
    assert client.cancel_order(order_id=order["orderId"])["order"]["status"] == "CANCELED"
    status, error = raw(base + "/funding/settle", "POST", b'{"symbol": "BTCUSDT"}')
    assert status == 409 and error["error"]["code"] == "no_mark_price"
    status, fault = raw(base + "/faults", "POST", b'{"kind": "http_error", "status": 503, "count": 2}')
    assert status == 200 and fault["state"] == "active"
    assert raw(base + "/faults")[1]["faults"][0]["id"] == fault["id"]
    assert raw(base + f"/faults/{fault['id']}", "DELETE")[1] == {"cleared": [fault["id"]]}
    status, events = raw(base + "/events?after=0&limit=5")
    assert status == 200 and len(events["events"]) == 5 and events["lastSeq"] > 5
    status, error = raw(base + "/prices/index", "POST", b'{"symbol": "BTCUSDT", "price": "1"}')
    assert status == 409 and error["error"]["code"] == "no_market_maker"  # the quiet fixture has none
    assert raw(base + "/reset", "POST")[0] == 200
    assert [a["name"] for a in client.list_accounts()["accounts"]] == ["demo"]


@pytest.mark.parametrize("method, path, body, status, code", [
    ("POST", "/accounts", b"{nope", 400, "bad_request"),
    ("POST", "/accounts", b"[1, 2]", 400, "bad_request"),
    ("POST", "/accounts", b'{"colour": "red"}', 400, "bad_request"),
    ("POST", "/accounts/1/deposit", b'{"asset": "USDT"}', 400, "bad_request"),
    ("POST", "/accounts/abc/deposit", b'{"asset": "USDT", "amount": "1"}', 400, "bad_request"),
    ("GET", "/accounts/999", None, 404, "unknown_account"),
    ("GET", "/events?after=x", None, 400, "bad_request"),
    ("GET", "/events?since=1", None, 400, "bad_request"),
    ("POST", "/faults", b'{"kind": "xx"}', 400, "invalid_fault"),
    ("POST", "/faults", None, 400, "bad_request"),
    ("GET", "/no/such/thing", None, 404, "unknown_path"),
    ("DELETE", "/accounts", None, 405, "method_not_allowed"),
    ("PUT", "/snapshot", b'{"format": "x"}', 400, "invalid_snapshot"),
])
def test_bad_requests_get_json_errors(live_server, method, path, body, status, code):
    got_status, got = raw(live_server.base_url + "/_sim/v1" + path, method, body)
    assert got_status == status
    assert got["error"]["code"] == code and got["error"]["message"]


def test_snapshot_download_and_upload_larger_than_the_request_limit():
    sim = build_simulator(load_config())
    server = LiveServer(sim).start()
    try:
        client = ControlClient(server.base_url)
        while len(json.dumps(client.snapshot())) <= 1024 * 1024:
            for _ in range(20):
                client.advance_clock(ms=600)  # the market maker requotes and trades: the history grows
        client.create_account(name="before-snapshot")
        document = client.snapshot()
        body = json.dumps(document).encode()
        assert len(body) > 1024 * 1024  # over the server's 1 MiB body limit for Binance requests
        client.create_account(name="after-snapshot")
        status, summary = raw(server.base_url + "/_sim/v1/snapshot", "PUT", body,
                              {"Content-Type": "application/json"})
        assert status == 200 and summary["seq"] == document["engine"]["seq"]
        names = {a["name"] for a in client.list_accounts()["accounts"]}
        assert "before-snapshot" in names and "after-snapshot" not in names
        assert server.call(lambda: sim.engine.seq) >= document["engine"]["seq"]
    finally:
        server.stop()


def test_client_errors_carry_code_and_status(client):
    with pytest.raises(ControlError) as caught:
        client.get_account(account_id=424242)
    assert (caught.value.code, caught.value.status) == ("unknown_account", 404)


SUBJECT_PINGS = ("name: pings\ndescription: the subject's next ping\n"
                 "steps:\n  - await: {request: 'GET /api/v3/ping', timeoutMs: 10000, pollMs: 20}\n"
                 "verdict:\n  - {traffic: request, endpoint: 'GET /api/v3/ping', status: 200}\n")


def _ping_until(done, url: str) -> None:
    """Be the subject: ping until the scenario is over (bounded by its own timeout)."""
    while not done():
        urllib.request.urlopen(url + "/api/v3/ping", timeout=5).read()


def test_a_scenario_plays_over_http_from_the_client_while_its_subject_acts(live_server, client):
    with ThreadPoolExecutor(1) as pool:
        playing = pool.submit(play_remote, load_scenario_text(SUBJECT_PINGS), client)
        _ping_until(playing.done, live_server.base_url)
        result = playing.result(30)
    assert result.verdict == "PASS", result.failure


def test_scenario_run_route_plays_server_side(live_server):
    body = json.dumps({"yaml": SUBJECT_PINGS}).encode()
    with ThreadPoolExecutor(1) as pool:
        playing = pool.submit(raw, live_server.base_url + "/_sim/v1/scenarios/run", "POST", body)
        _ping_until(playing.done, live_server.base_url)
        status, result = playing.result(30)
    assert status == 200 and result["verdict"] == "PASS", result
    status, error = raw(live_server.base_url + "/_sim/v1/scenarios/run", "POST",
                        json.dumps({"yaml": "name: x\ndescription: y\nsteps:\n  - fault: {kind: xx}\n"}).encode())
    assert status == 400 and error["error"]["code"] == "invalid_scenario"
    assert "<request>:4: steps[0].fault.kind: unknown fault 'xx'" in error["error"]["message"]
    status, loaded = raw(live_server.base_url + "/_sim/v1/scenarios/load", "POST", b'{"name": "clock-skew"}')
    assert status == 200 and loaded["steps"] > 0
    status, listed = raw(live_server.base_url + "/_sim/v1/scenarios")
    assert len(listed["scenarios"]) >= 12


# --- who may use the control plane -----------------------------------------------------------------------
@pytest.mark.parametrize("remote, expected", [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True),
                                              ("::ffff:127.0.0.1", True), ("10.0.0.5", False),
                                              ("192.168.1.2", False), ("::ffff:10.0.0.5", False),
                                              ("fe80::1%eth0", False), (None, False), ("junk", False)])
def test_loopback_detection(remote, expected):
    assert is_loopback(remote) is expected


def test_admin_refusal_rules():
    assert admin_refusal("127.0.0.1", {}, None) is None
    assert admin_refusal("10.0.0.5", {}, None).code == "loopback_only"
    assert admin_refusal("10.0.0.5", {}, None).status == 403
    assert admin_refusal("127.0.0.1", {}, "s3cret").status == 401  # a token binds loopback peers too
    assert admin_refusal("10.0.0.5", {"X-Exsim-Admin-Token": "s3cret"}, "s3cret") is None
    assert admin_refusal("10.0.0.5", {"Authorization": "Bearer s3cret"}, "s3cret") is None
    assert admin_refusal("10.0.0.5", {"Authorization": "Bearer nope"}, "s3cret").code == "bad_admin_token"
    assert admin_refusal("10.0.0.5", {"X-MBX-APIKEY": "demo-api-key"}, "s3cret").code == "admin_token_required"
    assert admin_refusal("10.0.0.5", {"Authorization": "Bearer demo-api-key"}, "s3cret").status == 403


async def test_guard_refuses_a_non_loopback_peer_without_calling_the_handler():
    app = create_control_app()
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: \
        ("10.1.2.3", 40000) if name == "peername" else default
    request = make_mocked_request("GET", "/_sim/v1/clock", app=app, transport=transport)
    assert request.remote == "10.1.2.3"
    handler = mock.AsyncMock()
    response = await guard(request, handler)
    assert response.status == 403 and json.loads(response.body)["error"]["code"] == "loopback_only"
    handler.assert_not_called()


def test_live_server_with_an_admin_token(sim):
    server = LiveServer(sim, admin_token="s3cret").start()
    try:
        url = server.base_url + "/_sim/v1/clock"
        assert raw(url)[0] == 401
        assert raw(url, headers={"X-MBX-APIKEY": "demo-api-key"})[0] == 401  # trading keys grant nothing
        assert raw(url, headers={"Authorization": "Bearer demo-api-key"})[0] == 403
        assert raw(url, headers={"X-Exsim-Admin-Token": "wrong"})[0] == 403
        assert raw(server.base_url + "/_sim/v1/no/such", headers={})[0] == 401  # no probing without the token
        assert raw(url, headers={"X-Exsim-Admin-Token": "s3cret"})[0] == 200
        assert raw(url, headers={"Authorization": "Bearer s3cret"})[0] == 200
        assert ControlClient(server.base_url, admin_token="s3cret").clock()["now"] > 0
        with pytest.raises(ControlError) as caught:
            ControlClient(server.base_url).clock()
        assert caught.value.code == "admin_token_required"
        # the Binance API itself is not behind the admin token
        with urllib.request.urlopen(server.base_url + "/api/v3/time", timeout=10) as response:
            assert response.status == 200
    finally:
        server.stop()
