"""User data on listenKey streams: executionReport, outboundAccountPosition, balanceUpdate, expiry (§6)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.dialects.binance.streams.user import render_execution_report
from simulator.engine.events import OrderUpdate
from simulator.engine.rejection import Rejected
from tests.server.ws_helpers import connect, recv_json, request, wait_for

NEW_FIELDS = ["e", "E", "s", "c", "S", "o", "f", "q", "p", "P", "F", "g", "C", "x", "X", "r", "i", "l", "z", "L",
              "n", "N", "T", "t", "I", "w", "m", "M", "O", "Z", "Y", "Q", "W", "V"]


@pytest.fixture
def server(server):
    server.hub.settings.sweep_interval_s = 0.1
    return server


async def test_new_order_then_account_position(server, session, alice):
    key = server.listen_key(alice)
    ws = await connect(session, f"{server.ws_url}/ws/{key}")
    order = server.place(alice, "BUY", "50000", "0.1", client_id="my-order-1").order
    report = await recv_json(ws)
    assert list(report) == NEW_FIELDS
    assert report == {
        "e": "executionReport", "E": order.time, "s": "BTCUSDT", "c": "my-order-1", "S": "BUY", "o": "LIMIT",
        "f": "GTC", "q": "0.10000000", "p": "50000.00000000", "P": "0.00000000", "F": "0.00000000", "g": -1,
        "C": "", "x": "NEW", "X": "NEW", "r": "NONE", "i": order.order_id, "l": "0.00000000",
        "z": "0.00000000", "L": "0.00000000", "n": "0", "N": None, "T": order.time, "t": -1,
        "I": report["I"], "w": True, "m": False, "M": False, "O": order.time, "Z": "0.00000000",
        "Y": "0.00000000", "Q": "0.00000000", "W": order.time, "V": "EXPIRE_MAKER",
    }
    position = await recv_json(ws)
    assert position == {"e": "outboundAccountPosition", "E": order.time, "u": order.time,
                        "B": [{"a": "USDT", "f": "95000.00000000", "l": "5000.00000000"}]}
    await ws.close()


async def test_fill_reports_then_one_position_per_account(server, session, alice, bob):
    ws_alice = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    ws_bob = await connect(session, f"{server.ws_url}/ws/{server.listen_key(bob)}")
    maker = server.place(alice, "SELL", "60000", "0.5").order
    await recv_json(ws_alice)  # NEW
    await recv_json(ws_alice)  # its position
    taker = server.place(bob, "BUY", "60000", "0.2", client_id="bob-1").order

    new, fill, position = [await recv_json(ws_bob) for _ in range(3)]
    assert (new["x"], new["X"], new["c"]) == ("NEW", "NEW", "bob-1")
    assert (fill["x"], fill["X"], fill["i"]) == ("TRADE", "FILLED", taker.order_id)
    assert (fill["l"], fill["z"], fill["L"], fill["t"]) == ("0.20000000", "0.20000000", "60000.00000000", 1)
    assert (fill["n"], fill["N"], fill["m"], fill["w"]) == ("0.00020000", "BTC", False, False)
    assert (fill["Z"], fill["Y"]) == ("12000.00000000", "12000.00000000")
    assert fill["I"] > new["I"]
    assert position["e"] == "outboundAccountPosition"
    assert position["B"] == [{"a": "USDT", "f": "88000.00000000", "l": "0.00000000"},
                             {"a": "BTC", "f": "10.19980000", "l": "0.00000000"}]

    fill, position = [await recv_json(ws_alice) for _ in range(2)]
    assert (fill["x"], fill["X"], fill["i"], fill["m"], fill["w"]) == \
        ("TRADE", "PARTIALLY_FILLED", maker.order_id, True, True)
    assert (fill["n"], fill["N"]) == ("12.00000000", "USDT")
    assert sorted(b["a"] for b in position["B"]) == ["BTC", "USDT"]
    await ws_alice.close()
    await ws_bob.close()


async def test_cancel_carries_both_client_ids(server, session, alice):
    ws = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    order = server.place(alice, "BUY", "50000", "0.1", client_id="orig-id").order
    await recv_json(ws)
    await recv_json(ws)
    server.call(lambda: server.sim.engine.cancel_order(alice, "BTCUSDT", order.order_id,
                                                       cancel_client_id="cancel-id"))
    report = await recv_json(ws)
    assert (report["x"], report["X"], report["c"], report["C"]) == ("CANCELED", "CANCELED", "cancel-id", "orig-id")
    assert (report["w"], report["t"], report["N"]) == (False, -1, None)
    position = await recv_json(ws)
    assert position["B"] == [{"a": "USDT", "f": "100000.00000000", "l": "0.00000000"}]
    await ws.close()


async def test_expired_ioc_has_expiry_reason(server, session, alice):
    ws = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    server.place(alice, "BUY", "50000", "0.1", tif="IOC")
    new, expired, _ = [await recv_json(ws) for _ in range(3)]
    assert (new["x"], new["w"]) == ("NEW", True)  # working from acceptance, like any NEW but a pending stop
    assert (expired["x"], expired["X"], expired["eR"]) == ("EXPIRED", "EXPIRED", "UNFILLED_IOC_QUANTITY_EXPIRED")
    await ws.close()


async def test_deposit_and_withdrawal(server, session, alice):
    ws = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    engine = server.sim.engine
    server.call(engine.deposit, alice, "BTC", 150_000_000)
    update, position = await recv_json(ws), await recv_json(ws)
    assert update == {"e": "balanceUpdate", "E": update["E"], "a": "BTC", "d": "1.50000000", "T": update["E"]}
    assert position["B"] == [{"a": "BTC", "f": "11.50000000", "l": "0.00000000"}]
    server.call(engine.withdraw, alice, "USDT", 100_000_000)
    update = await recv_json(ws)
    assert (update["a"], update["d"]) == ("USDT", "-1.00000000")
    assert (await recv_json(ws))["e"] == "outboundAccountPosition"
    await ws.close()


async def test_rejected_orders_send_nothing(server, session, alice):
    ws = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    with pytest.raises(Rejected):
        server.place(alice, "BUY", "50000", "1000")  # insufficient balance
    server.call(server.sim.engine.deposit, alice, "ETH", 1)
    assert (await recv_json(ws))["e"] == "balanceUpdate"  # the first thing to arrive
    await ws.close()


async def test_one_position_per_operation_even_without_depth_change(server, session, alice):
    """A stop order changes balances but not the book: its position must still go out, alone."""
    ws = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    server.place(alice, "SELL", "", "0.1", type_="STOP_LOSS", tif=None, stop_price=50_000_00000000)
    server.place(alice, "SELL", "", "0.2", type_="STOP_LOSS", tif=None, stop_price=49_000_00000000)
    frames = [await recv_json(ws) for _ in range(4)]
    assert [f["e"] for f in frames] == ["executionReport", "outboundAccountPosition"] * 2
    assert (frames[0]["w"], "W" in frames[0]) == (False, False)  # a pending stop is not working
    assert frames[1]["B"] == [{"a": "BTC", "f": "9.90000000", "l": "0.10000000"}]
    assert frames[3]["B"] == [{"a": "BTC", "f": "9.70000000", "l": "0.30000000"}]
    await ws.close()


async def test_listen_key_by_subscribe_and_combined(server, session, alice):
    key = server.listen_key(alice)
    plain = await connect(session, f"{server.ws_url}/ws")
    assert await request(plain, {"method": "SUBSCRIBE", "params": [key], "id": 1}) == {"result": None, "id": 1}
    assert (await request(plain, {"method": "LIST_SUBSCRIPTIONS", "id": 2}))["result"] == [key]
    combined = await connect(session, f"{server.ws_url}/stream?streams={key}/btcusdt@trade")
    server.call(server.sim.engine.deposit, alice, "BTC", 1)
    assert (await recv_json(plain))["e"] == "balanceUpdate"
    frame = await recv_json(combined)
    assert frame["stream"] == key and frame["data"]["e"] == "balanceUpdate"
    assert (await recv_json(combined))["data"]["e"] == "outboundAccountPosition"
    assert await request(plain, {"method": "UNSUBSCRIBE", "params": [key], "id": 3}) == {"result": None, "id": 3}
    server.call(server.sim.engine.deposit, alice, "BTC", 1)
    assert (await recv_json(combined))["data"]["e"] == "balanceUpdate"
    assert await request(plain, {"method": "LIST_SUBSCRIPTIONS", "id": 4}) == {"result": [], "id": 4}
    await plain.close()
    await combined.close()


async def test_subscribing_to_a_dead_listen_key_is_an_invalid_stream(server, session, alice):
    ws = await connect(session, f"{server.ws_url}/ws")
    reply = await request(ws, {"method": "SUBSCRIBE", "params": ["x" * 60], "id": 1})
    assert reply == {"error": {"code": 2, "msg": "Invalid request: invalid stream"}, "id": 1}
    await ws.close()


async def test_listen_key_expiry(server, session, alice):
    key = server.listen_key(alice)
    ws = await connect(session, f"{server.ws_url}/ws/{key}")
    ttl = server.sim.wire.listen_keys.ttl_ms
    server.call(server.sim.clock.advance, ttl - 1000)
    server.call(server.sim.engine.deposit, alice, "BTC", 1)
    assert (await recv_json(ws))["e"] == "balanceUpdate"  # still alive 59 min in
    await recv_json(ws)
    server.call(server.sim.clock.advance, 1000)
    expired = await wait_for(ws, lambda m: m.get("e") == "listenKeyExpired", timeout=5)
    assert expired == {"e": "listenKeyExpired", "E": expired["E"], "listenKey": key}
    server.call(server.sim.engine.deposit, alice, "BTC", 1)
    assert await request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == {"result": [], "id": 1}
    await ws.close()


async def test_keepalive_extends_and_close_stops(server, session, alice):
    key = server.listen_key(alice)
    ws = await connect(session, f"{server.ws_url}/ws/{key}")
    keys = server.sim.wire.listen_keys
    server.call(server.sim.clock.advance, keys.ttl_ms - 1000)
    assert server.call(lambda: keys.keepalive(key, alice, server.sim.clock.now_ms()))
    server.call(server.sim.clock.advance, 2000)
    server.call(server.sim.engine.deposit, alice, "BTC", 1)
    assert (await recv_json(ws))["e"] == "balanceUpdate"
    await recv_json(ws)
    assert server.call(lambda: keys.close(key, alice, server.sim.clock.now_ms()))
    server.call(server.sim.engine.deposit, alice, "BTC", 1)
    assert await request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == {"result": [], "id": 1}
    await ws.close()


async def test_other_accounts_events_are_not_delivered(server, session, alice, bob):
    ws = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    server.place(bob, "BUY", "50000", "0.1")
    server.call(server.sim.engine.deposit, alice, "USDT", 1)
    assert (await recv_json(ws))["e"] == "balanceUpdate"
    await ws.close()


def test_amounts_use_asset_precision(sim):
    """Balances are rendered at each asset's precision (8 for every default asset)."""
    assert sim.format_amount("BTC", 1) == "0.00000001"
    assert sim.to_atoms("USDT", Decimal("1")) == 100_000_000


# --- rendering, in-process (no server) -------------------------------------------------------------------
def _reports(sim, account_id, action):
    """executionReports rendered from the engine events `action` emits for `account_id`."""
    events = []
    sim.engine.subscribe(events.append)
    action()
    sim.engine.unsubscribe(events.append)
    inst = sim.engine.instruments["BTCUSDT"]
    return [render_execution_report(e, inst, e.time) for e in events
            if isinstance(e, OrderUpdate) and e.order.account_id == account_id]


def test_amend_is_replaced(sim):
    account = sim.create_account("amender", balances={"USDT": Decimal(100000)}).account_id
    engine = sim.engine
    inst = engine.instruments["BTCUSDT"]
    order = engine.place_order(account, "BTCUSDT", "BUY", "LIMIT", qty=inst.parse_qty("1"),
                               price=inst.parse_price("50000"), tif="GTC").order
    [report] = _reports(sim, account, lambda: engine.amend_order(account, "BTCUSDT", inst.parse_qty("0.4"),
                                                                 order_id=order.order_id))
    assert (report["x"], report["X"], report["q"], report["C"], report["w"]) == \
        ("REPLACED", "NEW", "0.40000000", "", True)


def test_self_trade_prevention_is_trade_prevention(sim):
    account = sim.create_account("self", balances={"USDT": Decimal(100000), "BTC": Decimal(1)}).account_id
    engine = sim.engine
    inst = engine.instruments["BTCUSDT"]
    engine.place_order(account, "BTCUSDT", "SELL", "LIMIT", qty=inst.parse_qty("0.1"),
                       price=inst.parse_price("50000"), tif="GTC")
    reports = _reports(sim, account, lambda: engine.place_order(
        account, "BTCUSDT", "BUY", "LIMIT", qty=inst.parse_qty("0.1"), price=inst.parse_price("50000"), tif="GTC"))
    # EXPIRE_MAKER (the default): the resting sell expires in match, the buy goes on to rest
    assert [(r["x"], r["X"], r["S"]) for r in reports] == \
        [("NEW", "NEW", "BUY"), ("TRADE_PREVENTION", "EXPIRED_IN_MATCH", "SELL")]
    assert reports[1]["w"] is False and "eR" not in reports[1]


def test_trade_prevention_reports_carry_the_prevented_match(sim):
    account = sim.create_account("self", balances={"USDT": Decimal(100000), "BTC": Decimal(1)}).account_id
    engine = sim.engine
    inst = engine.instruments["BTCUSDT"]
    maker = engine.place_order(account, "BTCUSDT", "SELL", "LIMIT", qty=inst.parse_qty("0.1"),
                               price=inst.parse_price("50000"), tif="GTC").order
    new, maker_report, taker_report = _reports(sim, account, lambda: engine.place_order(
        account, "BTCUSDT", "BUY", "LIMIT", qty=inst.parse_qty("0.3"), price=inst.parse_price("50001"), tif="GTC",
        stp="EXPIRE_BOTH"))
    assert "v" not in new and "U" not in new and "pl" not in new  # only TRADE_PREVENTION reports have them
    taker_id = new["i"]
    assert (maker_report["x"], maker_report["X"], maker_report["i"]) == \
        ("TRADE_PREVENTION", "EXPIRED_IN_MATCH", maker.order_id)
    # the user data stream's "Conditional Fields in Execution Report": v, A, B, u, U, Cs, pl, pL, pY
    stp_keys = ("v", "A", "B", "u", "U", "Cs", "pl", "pL", "pY")
    assert {k: maker_report[k] for k in stp_keys} == {
        "v": 0, "A": "0.10000000", "B": "0.10000000", "u": -1, "U": taker_id, "Cs": "BTCUSDT",
        "pl": "0.10000000", "pL": "50000.00000000", "pY": "5000.00000000"}
    assert (taker_report["x"], taker_report["X"], taker_report["i"]) == \
        ("TRADE_PREVENTION", "EXPIRED_IN_MATCH", taker_id)
    assert {k: taker_report[k] for k in stp_keys} == {
        "v": 0, "A": "0.30000000", "B": "0.30000000", "u": -1, "U": maker.order_id, "Cs": "BTCUSDT",
        "pl": "0.10000000", "pL": "50000.00000000", "pY": "5000.00000000"}
