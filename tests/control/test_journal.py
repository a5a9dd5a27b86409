"""The journal: one JSON line per request and per response (and per WS message, via its hook), flushed as
written, secrets redacted."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import stat
import urllib.request
from decimal import Decimal

import pytest

from simulator.cli import main
from simulator.control.journal import Journal, redact
from tests.control.raw_http import raw
from tests.live_server import LiveServer


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_journal_writes_flushed_lines(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path, clock=lambda: 42)
    journal.ws("out", 7, "/ws", '{"e":"trade"}')
    assert lines(path) == [{"n": 1, "t": 42, "type": "ws", "direction": "out", "connection": 7, "path": "/ws",
                            "data": '{"e":"trade"}'}]  # readable before close: flushed per line
    journal.write({"type": "note", "text": "x"})
    journal.close()
    journal.write({"type": "after close"})  # ignored, not an error
    assert [r["n"] for r in lines(path)] == [1, 2]
    again = Journal(path)  # append-only: a restart continues the file
    again.write({"type": "restart"})
    again.close()
    assert len(lines(path)) == 3


def test_rest_requests_and_responses_are_journaled(sim, tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path, clock=sim.clock.now_ms)
    server = LiveServer(sim, journal=journal, admin_token="s3cret").start()
    try:
        with urllib.request.urlopen(server.base_url + "/api/v3/time?x=1", timeout=10) as response:
            assert response.status == 200
        status, created = raw(server.base_url + "/_sim/v1/accounts", "POST", b'{"name": "zed"}',
                              {"X-Exsim-Admin-Token": "s3cret", "Content-Type": "application/json"})
        assert status == 200 and created["name"] == "zed"  # the handler still reads the journaled body
        assert raw(server.base_url + "/api/v3/nope")[0] == 404
        # a signed Binance order with its parameters in the body: journaled, and still read by the handler
        body = (f"symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=60000"
                f"&timestamp={sim.clock.server_time_ms()}")
        body += "&signature=" + hmac.new(b"demo-api-secret", body.encode(), hashlib.sha256).hexdigest()
        status, order = raw(server.base_url + "/api/v3/order", "POST", body.encode(),
                            {"X-MBX-APIKEY": "demo-api-key", "Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200 and order["status"] == "NEW"
    finally:
        server.stop()
        journal.close()
    records = lines(path)
    assert [(r["type"], r["id"]) for r in records] == [(t, i) for i in (1, 2, 3, 4) for t in ("request", "response")]
    time_request, time_response = records[0], records[1]
    assert (time_request["method"], time_request["path"], time_request["query"]) == ("GET", "/api/v3/time", "x=1")
    assert time_response["status"] == 200 and "serverTime" in json.loads(time_response["body"])
    assert "X-MBX-USED-WEIGHT-1M" in time_response["headers"]
    create_request, create_response = records[2], records[3]
    assert create_request["body"] == '{"name": "zed"}'
    assert create_request["headers"]["X-Exsim-Admin-Token"] == "<redacted>"
    assert json.loads(create_response["body"])["apiKey"] == created["apiKey"]
    assert json.loads(create_response["body"])["secret"] == "<redacted>"
    assert records[5]["status"] == 404
    signed, _, _ = body.rpartition("&signature=")
    assert records[6]["body"] == signed + "&signature=<redacted>" and records[7]["status"] == 200
    assert all(isinstance(r["t"], int) for r in records)


def test_websocket_frames_are_journaled_in_wire_order(sim, tmp_path):
    """Each connection's open, every frame in and out as it crossed the wire, messages a fault dropped, close."""
    import asyncio

    import aiohttp

    path = tmp_path / "journal.jsonl"
    journal = Journal(path, clock=sim.clock.now_ms)
    server = LiveServer(sim, journal=journal).start()
    maker, taker = (server.call(lambda: sim.create_account(balances={"BTC": Decimal(1), "USDT": Decimal(100000)})
                                .account_id) for _ in range(2))

    def place(side: str) -> None:
        inst = sim.engine.instruments["BTCUSDT"]
        sim.engine.place_order(maker if side == "SELL" else taker, "BTCUSDT", side, "LIMIT",
                               qty=inst.parse_qty("0.1"), price=inst.parse_price("60000"), tif="GTC")

    async def client() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(f"{server.ws_url}/ws")
            await ws.send_str('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}')
            assert json.loads((await ws.receive(timeout=5)).data) == {"result": None, "id": 1}
            server.call(place, "SELL")
            server.call(place, "BUY")
            assert json.loads((await ws.receive(timeout=5)).data)["e"] == "trade"
            server.call(sim.faults.add, {"kind": "ws_silence"})
            await ws.send_str('{"method":"LIST_SUBSCRIPTIONS","id":2}')
            with pytest.raises(asyncio.TimeoutError):
                await ws.receive(timeout=0.3)
            await ws.close()

    try:
        asyncio.run(client())
    finally:
        server.stop()
        journal.close()
    records = [r for r in lines(path) if r["type"] == "ws"]
    conn = records[0]["connection"]
    assert all(r["connection"] == conn and r["path"] == "/ws" for r in records)
    assert [(r["direction"], r.get("fault")) for r in records] == [
        ("open", None), ("in", None), ("out", None), ("out", None), ("in", None), ("drop", "ws_silence"),
        ("close", None)]
    assert json.loads(records[1]["data"])["method"] == "SUBSCRIBE"
    assert json.loads(records[2]["data"]) == {"result": None, "id": 1}
    assert json.loads(records[3]["data"])["e"] == "trade"
    assert json.loads(records[5]["data"]) == {"result": ["btcusdt@trade"], "id": 2}  # what the client never got
    assert records[6]["by"] == "client"


# --- secrets never reach the file ------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ('{"id":3,"apiKey":"k","secret":"abc","x":1}', '{"id":3,"apiKey":"k","secret":"<redacted>","x":1}'),
    ('{"secret" : "a\\"b"}', '{"secret" : "<redacted>"}'),  # an escaped quote inside the value
    ('[{"apiKeys":[{"apiKey":"k","secret":"s1"},{"apiKey":"l","secret":"s2"}]}]',
     '[{"apiKeys":[{"apiKey":"k","secret":"<redacted>"},{"apiKey":"l","secret":"<redacted>"}]}]'),
    ("symbol=BTCUSDT&timestamp=1&signature=ab12", "symbol=BTCUSDT&timestamp=1&signature=<redacted>"),
    ("signature=ab12&x=1", "signature=<redacted>&x=1"),
    ('{"id":1,"method":"order.place","params":{"apiKey":"k","signature":"ff"}}',
     '{"id":1,"method":"order.place","params":{"apiKey":"k","signature":"<redacted>"}}'),
    ('{"yaml": "accounts:\\n  - name: a\\n    secret: s3\\n    apiKey: k\\n"}',
     '{"yaml": "accounts:\\n  - name: a\\n    secret: <redacted>\\n    apiKey: k\\n"}'),
    ('{"yaml": "accounts: [{name: a, secret: s3}]"}', '{"yaml": "accounts: [{name: a, secret: <redacted>}]"}'),
    ('{"yaml": "secret: \\"two words\\"\\n"}', '{"yaml": "secret: <redacted>\\n"}'),
    ("accounts:\n  - secret: 'two words'\n", "accounts:\n  - secret: <redacted>\n"),
    ('{"secret":null,"listenKey":"abc","apiKey":"demo-api-key"}',
     '{"secret":null,"listenKey":"abc","apiKey":"demo-api-key"}'),  # keys and listenKeys are kept
])
def test_redact(text, expected):
    assert redact(text) == expected


def test_no_secret_reaches_the_journal(sim, tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path, clock=sim.clock.now_ms)
    server = LiveServer(sim, journal=journal, admin_token="adm1n-t0ken").start()
    auth = {"Authorization": "Bearer adm1n-t0ken"}
    base = server.base_url + "/_sim/v1"
    try:
        _, pinned = raw(base + "/accounts", "POST", b'{"name": "p", "apiKey": "pk", "secret": "pinned-s3cret"}',
                        auth)
        _, generated = raw(base + "/accounts", "POST", b'{"name": "g"}', auth)
        raw(base + f"/accounts/{generated['id']}", headers=auth)
        raw(base + "/accounts", headers=auth)
        status, snapshot = raw(base + "/snapshot", headers=auth)
        assert status == 200
        assert raw(base + "/snapshot", "PUT", json.dumps(snapshot).encode(), auth)[0] == 200
        query = f"timestamp={sim.clock.server_time_ms()}"
        signature = hmac.new(generated["secret"].encode(), query.encode(), hashlib.sha256).hexdigest()
        request = urllib.request.Request(f"{server.base_url}/api/v3/account?{query}&signature={signature}",
                                         headers={"X-MBX-APIKEY": generated["apiKey"]})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
    finally:
        server.stop()
        journal.close()
    text = path.read_text()
    for secret in ("pinned-s3cret", generated["secret"], "demo-api-secret", signature, "adm1n-t0ken"):
        assert secret not in text
    pairs: dict[int, dict] = {}
    for record in lines(path):
        pairs.setdefault(record["id"], {})[record["type"]] = record
    snapshots = [pair for pair in pairs.values() if pair["request"]["path"] == "/_sim/v1/snapshot"]
    assert [pair["request"]["method"] for pair in snapshots] == ["GET", "PUT"]
    get, put = snapshots
    assert (get["response"]["status"], get["response"]["body"], get["response"]["omitted"]) == (200, None, "snapshot")
    assert (put["request"]["body"], put["request"]["omitted"]) == (None, "snapshot")
    assert json.loads(put["response"]["body"])["seq"] > 0  # a small summary: written as usual
    assert generated["apiKey"] in text  # a key only names an account: kept


def test_websocket_frames_are_redacted(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.ws("in", 1, "/ws-api/v3", '{"id":1,"method":"session.logon","params":{"apiKey":"k","signature":"ff"}}')
    journal.close()
    assert json.loads(lines(path)[0]["data"])["params"] == {"apiKey": "k", "signature": "<redacted>"}


# --- the file ---------------------------------------------------------------------------------------------
def test_the_journal_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "journal.jsonl"
    Journal(path).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_the_journal_rotates_at_its_bound(tmp_path, caplog):
    path = tmp_path / "journal.jsonl"
    rotated = tmp_path / "journal.jsonl.1"
    journal = Journal(path, max_bytes=1000)
    with caplog.at_level(logging.INFO, logger="simulator.control.journal"):
        for i in range(40):  # lines of about 80 bytes, 12 to a file: three rotations
            journal.write({"type": "note", "i": i, "pad": "x" * 40})
    journal.close()
    assert path.stat().st_size <= 1000 and rotated.stat().st_size <= 1000
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and stat.S_IMODE(os.stat(rotated).st_mode) == 0o600
    numbers = [r["n"] for r in lines(rotated)] + [r["n"] for r in lines(path)]
    assert numbers == list(range(numbers[0], 41)) and numbers[0] > 1  # the oldest lines are gone
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3 and all("moved to" in m and str(rotated) in m for m in messages)


def test_a_journal_that_cannot_be_written_stops_with_one_log_line(caplog):
    journal = Journal("/dev/full")  # every write fails: no space left on device
    with caplog.at_level(logging.INFO, logger="simulator.control.journal"):
        journal.write({"type": "note"})
        journal.write({"type": "note"})  # no second complaint, no exception
    journal.close()
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    assert "journaling stopped" in caplog.records[0].getMessage()


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_serve_refuses_a_journal_bound_that_is_not_a_positive_size(value, capsys, tmp_path):
    code = main(["serve", "--port", "0", "--journal", str(tmp_path / "j"), "--journal-max-mb", value])
    assert code == 2 and "--journal-max-mb must be a positive number" in capsys.readouterr().err
