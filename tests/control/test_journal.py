"""The journal: one JSON line per request and per response (and per WS message, via its hook), flushed as
written, secrets redacted."""
from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request
from decimal import Decimal

import pytest

from simulator.control.journal import Journal
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
    assert records[5]["status"] == 404
    assert records[6]["body"] == body and records[7]["status"] == 200
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
