"""executionReport `w` ("Is the order on the book?") and `M` ("Ignore") across execution types (§6.2).

What Binance sends, from captured traffic: a MARKET order's NEW says `"w": true` and its TRADE `"w": false`;
every TRADE says `"M": true`; CANCELED and EXPIRED say false for both. The FIX API's WorkingIndicator is set on a
FOK order's NEW as well, so every order is working from acceptance except a stop waiting for its trigger. After
NEW, `w` says whether the order still rests on the book (a maker's partial fill: true).
"""
from __future__ import annotations

import pytest

from simulator.dialects.binance.wire.auth import sign, ws_signed_payload
from tests.server.ws_helpers import connect, recv_json, request

DEMO_KEY, DEMO_SECRET = "demo-api-key", "demo-api-secret"


async def reports(ws, count: int) -> list[dict]:
    """The next `count` executionReports (unwrapped from a WebSocket API subscription), skipping the rest."""
    found = []
    while len(found) < count:
        frame = await recv_json(ws)
        event = frame.get("event", frame)
        if event["e"] == "executionReport":
            found.append(event)
    return found


def flags(report: dict) -> tuple:
    return report["x"], report["X"], report["w"], report["m"], report["M"]


async def test_market_order_is_working_on_new_then_off_the_book_on_its_trade(server, session, alice, bob):
    ws_alice = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    ws_bob = await connect(session, f"{server.ws_url}/ws/{server.listen_key(bob)}")
    server.place(bob, "SELL", "60000", "0.2")
    await reports(ws_bob, 1)
    server.place(alice, "BUY", "", "0.1", type_="MARKET", tif=None)
    new, trade = await reports(ws_alice, 2)
    assert flags(new) == ("NEW", "NEW", True, False, False)
    assert (new["o"], new["W"]) == ("MARKET", new["O"])
    assert flags(trade) == ("TRADE", "FILLED", False, False, True)
    [maker] = await reports(ws_bob, 1)
    assert flags(maker) == ("TRADE", "PARTIALLY_FILLED", True, True, True)  # still resting
    server.call(lambda: server.sim.engine.cancel_order(bob, "BTCUSDT", maker["i"]))
    [canceled] = await reports(ws_bob, 1)
    assert flags(canceled) == ("CANCELED", "CANCELED", False, False, False)
    await ws_alice.close()
    await ws_bob.close()


async def test_filled_resting_order_trade(server, session, alice, bob):
    ws_bob = await connect(session, f"{server.ws_url}/ws/{server.listen_key(bob)}")
    server.place(bob, "SELL", "60000", "0.1")
    [new] = await reports(ws_bob, 1)
    assert flags(new) == ("NEW", "NEW", True, False, False)
    server.place(alice, "BUY", "60000", "0.1")
    [fill] = await reports(ws_bob, 1)
    assert flags(fill) == ("TRADE", "FILLED", False, True, True)
    await ws_bob.close()


@pytest.mark.parametrize("tif", ["IOC", "FOK"])
async def test_immediate_orders_are_working_on_new_and_not_when_expired(server, session, alice, bob, tif):
    ws = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    server.place(bob, "SELL", "60000", "0.05")
    server.place(alice, "BUY", "60000", "0.1", tif=tif)
    found = await reports(ws, 3 if tif == "IOC" else 2)
    assert flags(found[0]) == ("NEW", "NEW", True, False, False)
    if tif == "IOC":  # takes what there is, then the rest expires
        assert flags(found[1]) == ("TRADE", "PARTIALLY_FILLED", False, False, True)
    assert flags(found[-1]) == ("EXPIRED", "EXPIRED", False, False, False)
    await ws.close()


async def test_stop_order_works_from_its_trigger(server, session, alice, bob):
    carol = server.account("carol", BTC="1")
    ws = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    server.place(alice, "SELL", "", "0.1", type_="STOP_LOSS", tif=None, stop_price=59_000_00000000)
    [pending] = await reports(ws, 1)
    assert flags(pending) == ("NEW", "NEW", False, False, False) and "W" not in pending
    server.place(bob, "BUY", "59000", "0.5")
    server.place(carol, "SELL", "59000", "0.1")  # last price 59000: the stop fires and sells into bob's bid
    triggered, trade = await reports(ws, 2)
    assert flags(triggered) == ("NEW", "NEW", True, False, False) and "W" in triggered
    assert flags(trade) == ("TRADE", "FILLED", False, False, True)
    await ws.close()


async def test_websocket_api_subscription_renders_the_same(server, session, bob):
    api = await connect(session, f"{server.ws_url}/ws-api/v3")
    params = {"apiKey": DEMO_KEY, "timestamp": server.sim.clock.server_time_ms()}
    params["signature"] = sign(DEMO_SECRET, ws_signed_payload(params))
    reply = await request(api, {"id": 1, "method": "userDataStream.subscribe.signature", "params": params})
    assert reply["status"] == 200
    server.place(bob, "SELL", "60000", "0.2")
    server.place(server.sim.keys.get(DEMO_KEY).account_id, "BUY", "", "0.1", type_="MARKET", tif=None)
    new, trade = await reports(api, 2)
    assert flags(new) == ("NEW", "NEW", True, False, False)
    assert flags(trade) == ("TRADE", "FILLED", False, False, True)
    await api.close()
