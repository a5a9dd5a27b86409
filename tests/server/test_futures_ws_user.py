"""USD-M user data streams (reference §8.3): a futures listenKey on /private/ws?listenKey=, on the old root, or
subscribed; ORDER_TRADE_UPDATE then ACCOUNT_UPDATE (m=ORDER) for a fill, ACCOUNT_CONFIG_UPDATE on a leverage
change, ACCOUNT_UPDATE for transfers and funding, and listenKeyExpired when the key runs out."""
from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests.server.futures_ws_helpers import SYMBOL, FuturesStreamServer
from tests.server.ws_helpers import connect, recv_json, request, wait_for

FROZEN = 1_700_000_030_000


@pytest.fixture
def fserver(sim):
    server = FuturesStreamServer(sim).start()
    yield server
    server.stop()


@pytest.fixture
def alice(fserver):
    return fserver.trader("100000")


async def test_a_fill_then_its_account_update(fserver, session, alice):
    key = fserver.listen_key(alice)
    ws = await connect(session, f"{fserver.ws_url}/private/ws?listenKey={key}")
    maker = fserver.trader()
    fserver.place(maker, "SELL", "0.010", "50000.0")
    fserver.place(alice, "BUY", "0.010", "50000.0", client_id="mine-1")
    new, fill, account = [await recv_json(ws) for _ in range(3)]
    assert (new["e"], new["o"]["x"], new["o"]["X"], new["o"]["c"], new["o"]["t"]) == (
        "ORDER_TRADE_UPDATE", "NEW", "NEW", "mine-1", 0)
    assert (new["o"]["b"], new["o"]["a"]) == ("500.00000000", "0.00000000")  # open bids' notional: 0.01 x 50000
    order = fill["o"]
    assert {k: order[k] for k in ("s", "S", "o", "f", "q", "p", "ap", "x", "X", "l", "z", "L", "N", "n", "t", "m",
                                  "R", "ps", "rp", "er")} == {
        "s": SYMBOL, "S": "BUY", "o": "LIMIT", "f": "GTC", "q": "0.010", "p": "50000.00", "ap": "50000.00000000",
        "x": "TRADE", "X": "FILLED", "l": "0.010", "z": "0.010", "L": "50000.00", "N": "USDT", "n": "0.25000000",
        "t": 1, "m": False, "R": False, "ps": "BOTH", "rp": "0.00000000", "er": "0"}
    assert (order["b"], order["a"]) == ("0.00000000", "0.00000000")  # filled: nothing left open
    assert (fill["E"], fill["T"]) == (FROZEN, FROZEN)
    assert account["e"] == "ACCOUNT_UPDATE" and account["a"]["m"] == "ORDER"
    assert account["a"]["B"] == [{"a": "USDT", "wb": "99999.75000000", "cw": "99999.75000000",
                                  "bc": "0.00000000"}]
    [position] = account["a"]["P"]
    assert (position["s"], position["pa"], position["ep"], position["mt"], position["ps"]) == (
        SYMBOL, "0.010", "50000.00000000", "cross", "BOTH")


async def test_leverage_change_is_an_account_config_update(fserver, session, alice):
    ws = await connect(session, f"{fserver.ws_url}/private/ws?listenKey={fserver.listen_key(alice)}")
    fserver.call(lambda: fserver.sim.futures.set_leverage(alice, SYMBOL, 7))
    assert await recv_json(ws) == {"e": "ACCOUNT_CONFIG_UPDATE", "E": FROZEN, "T": FROZEN,
                                   "ac": {"s": SYMBOL, "l": 7}}


async def test_a_transfer_in_is_an_account_update(fserver, session, alice):
    ws = await connect(session, f"{fserver.ws_url}/private/ws?listenKey={fserver.listen_key(alice)}")
    sim = fserver.sim
    fserver.call(lambda: sim.engine.deposit(alice, "USDT", sim.to_atoms("USDT", "50")))
    fserver.call(lambda: sim.transfer(alice, "USDT", sim.to_atoms("USDT", "50"), True))
    update = await wait_for(ws, lambda m: m.get("e") == "ACCOUNT_UPDATE")
    assert update["a"]["m"] == "DEPOSIT"
    assert update["a"]["B"] == [{"a": "USDT", "wb": "100050.00000000", "cw": "100050.00000000",
                                 "bc": "50.00000000"}]
    assert update["a"]["P"] == []


async def test_funding_payment_is_an_account_update_with_balances_only(fserver, session, alice):
    ws = await connect(session, f"{fserver.ws_url}/private/ws?listenKey={fserver.listen_key(alice)}")
    maker = fserver.trader()
    fserver.set_index("50000")
    fserver.place(maker, "SELL", "0.010", "50000.0")
    fserver.place(alice, "BUY", "0.010", "50000.0")
    fserver.call(lambda: fserver.sim.futures.set_funding_rate(SYMBOL, Decimal("0.0001")))
    fserver.call(lambda: fserver.sim.futures.settle_funding(SYMBOL))
    update = await wait_for(ws, lambda m: m.get("e") == "ACCOUNT_UPDATE" and m["a"]["m"] == "FUNDING_FEE")
    assert update["a"]["P"] == []  # a cross position: B only
    [balance] = update["a"]["B"]
    assert balance["a"] == "USDT" and balance["bc"].startswith("-")  # a long pays a positive rate


async def test_old_root_and_subscribe_with_the_key(fserver, session, alice):
    key = fserver.listen_key(alice)
    by_path = await connect(session, f"{fserver.ws_url}/fstream/ws/{key}")
    by_frame = await connect(session, f"{fserver.ws_url}/fstream/stream")
    assert await request(by_frame, {"method": "SUBSCRIBE", "params": [key], "id": 1}) == {"result": None, "id": 1}
    fserver.call(lambda: fserver.sim.futures.set_leverage(alice, SYMBOL, 9))
    assert (await recv_json(by_path))["ac"] == {"s": SYMBOL, "l": 9}
    wrapped = await recv_json(by_frame)
    assert wrapped["stream"] == key and wrapped["data"]["e"] == "ACCOUNT_CONFIG_UPDATE"


async def test_spot_keys_and_other_accounts_get_nothing(fserver, session, alice):
    spot_key = fserver.call(lambda: fserver.sim.wire.listen_keys.create(alice, fserver.sim.clock.now_ms()))
    ws = await connect(session, f"{fserver.ws_url}/private/ws")
    reply = await request(ws, {"method": "SUBSCRIBE", "params": [spot_key], "id": 1})
    assert reply["error"]["code"] == 2  # a spot listenKey names no futures stream
    bob = fserver.trader()
    bobs = await connect(session, f"{fserver.ws_url}/private/ws?listenKey={fserver.listen_key(bob)}")
    fserver.call(lambda: fserver.sim.futures.set_leverage(alice, SYMBOL, 5))
    fserver.call(lambda: fserver.sim.futures.set_leverage(bob, SYMBOL, 6))
    assert (await recv_json(bobs))["ac"]["l"] == 6


async def test_listen_key_expired(fserver, session, alice):
    key = fserver.listen_key(alice)
    ws = await connect(session, f"{fserver.ws_url}/private/ws?listenKey={key}")
    fserver.call(lambda: fserver.sim.clock.advance(3_600_000))
    expired = await recv_json(ws)
    assert expired == {"e": "listenKeyExpired", "E": FROZEN + 3_600_000, "listenKey": key}
    fserver.call(lambda: fserver.sim.futures.set_leverage(alice, SYMBOL, 4))
    with pytest.raises(asyncio.TimeoutError):
        await recv_json(ws, timeout=0.5)


async def test_an_event_between_expiry_and_the_sweep_is_withheld_and_the_connection_still_told(fserver, session,
                                                                                                 alice):
    """The key runs out and, before the sweep, the account changes leverage: that update is not sent on the dead
    key, and the connection still gets listenKeyExpired (not a silent end)."""
    key = fserver.listen_key(alice)
    ws = await connect(session, f"{fserver.ws_url}/private/ws?listenKey={key}")

    def expire_then_change():
        fserver.sim.clock.advance(3_600_000)
        fserver.sim.futures.set_leverage(alice, SYMBOL, 4)
    fserver.call(expire_then_change)
    assert await recv_json(ws) == {"e": "listenKeyExpired", "E": FROZEN + 3_600_000, "listenKey": key}
    with pytest.raises(asyncio.TimeoutError):
        await recv_json(ws, timeout=0.5)


@pytest.mark.parametrize("event, dropped", [("listenKeyExpired", True), ("ORDER_TRADE_UPDATE", False)])
async def test_a_user_data_fault_picks_listen_key_expired_by_its_event_type(fserver, session, alice, event, dropped):
    key = fserver.listen_key(alice)
    ws = await connect(session, f"{fserver.ws_url}/private/ws?listenKey={key}")
    fserver.call(lambda: fserver.sim.faults.add({"kind": "ws_drop", "accountId": alice, "event": event}))
    fserver.call(lambda: fserver.sim.clock.advance(3_600_000))
    if dropped:
        with pytest.raises(asyncio.TimeoutError):
            await recv_json(ws, timeout=0.5)
    else:
        assert (await recv_json(ws))["e"] == "listenKeyExpired"


async def test_user_data_faults_pick_futures_events_by_type(fserver, session, alice):
    """A ws_drop fault filtered on execution type TRADE drops the fill's ORDER_TRADE_UPDATE and nothing else."""
    ws = await connect(session, f"{fserver.ws_url}/private/ws?listenKey={fserver.listen_key(alice)}")
    fserver.call(lambda: fserver.sim.faults.add({"kind": "ws_drop", "accountId": alice, "execType": "TRADE"}))
    maker = fserver.trader()
    fserver.place(maker, "SELL", "0.010", "50000.0")
    fserver.place(alice, "BUY", "0.010", "50000.0")
    new, account = await recv_json(ws), await recv_json(ws)
    assert (new["e"], new["o"]["x"]) == ("ORDER_TRADE_UPDATE", "NEW") and account["e"] == "ACCOUNT_UPDATE"


async def test_margin_call_before_liquidation(fserver, session):
    """A 100x long on a 1000 USDT wallet: near the liquidation price (about 45205) the maintenance margin passes
    80 % of the margin balance and the account gets a MARGIN_CALL, still holding its position."""
    fserver.set_index("50000")
    victim, maker = fserver.trader("1000"), fserver.trader()
    fserver.call(lambda: fserver.sim.futures.set_leverage(victim, SYMBOL, 100))
    fserver.place(maker, "SELL", "0.200", "50000.0")
    fserver.place(victim, "BUY", "0.200", "50000.0")
    ws = await connect(session, f"{fserver.ws_url}/private/ws?listenKey={fserver.listen_key(victim)}")
    fserver.set_index("45250")
    call = await wait_for(ws, lambda m: m.get("e") == "MARGIN_CALL")
    [position] = call["p"]
    assert (position["s"], position["ps"], position["pa"], position["mt"], position["mp"]) == (
        SYMBOL, "BOTH", "0.200", "CROSSED", "45250.00000000")
    assert call["E"] == FROZEN and float(position["mm"]) > 0 and float(call["cw"]) > 0


async def test_transfer_out_and_isolated_margin_are_account_updates(fserver, session, alice):
    ws = await connect(session, f"{fserver.ws_url}/private/ws?listenKey={fserver.listen_key(alice)}")
    sim = fserver.sim
    fserver.call(lambda: sim.transfer(alice, "USDT", sim.to_atoms("USDT", "10"), False))
    out = await wait_for(ws, lambda m: m.get("e") == "ACCOUNT_UPDATE")
    assert out["a"]["m"] == "WITHDRAW" and out["a"]["B"][0]["bc"] == "-10.00000000"
    fserver.set_index("50000")
    fserver.call(lambda: sim.futures.set_margin_type(alice, SYMBOL, "ISOLATED"))
    fserver.place(fserver.trader(), "SELL", "0.010", "50000.0")
    fserver.place(alice, "BUY", "0.010", "50000.0")
    fserver.call(lambda: sim.futures.adjust_margin(alice, SYMBOL, sim.to_atoms("USDT", "5"), True))
    added = await wait_for(ws, lambda m: m.get("e") == "ACCOUNT_UPDATE" and m["a"]["m"] == "MARGIN_TRANSFER")
    [position] = added["a"]["P"]
    assert (position["s"], position["mt"]) == (SYMBOL, "isolated")


async def test_trailing_stop_order_update_carries_activation_and_callback(fserver, session, alice):
    ws = await connect(session, f"{fserver.ws_url}/private/ws?listenKey={fserver.listen_key(alice)}")
    inst = fserver.sim.futures.instruments[SYMBOL]
    fserver.call(lambda: fserver.sim.futures.place_order(
        alice, SYMBOL, "SELL", "TRAILING_STOP_MARKET", qty=inst.parse_qty("0.010"), callback_rate=5,
        activation_price=inst.parse_price("52000")))
    update = (await recv_json(ws))["o"]
    assert (update["o"], update["x"], update["AP"], update["cr"]) == ("TRAILING_STOP_MARKET", "NEW", "52000.00",
                                                                      "0.5")


async def test_private_events_filter(fserver, session, alice):
    key = fserver.listen_key(alice)
    ws = await connect(session, f"{fserver.ws_url}/private/ws?listenKey={key}&events=ACCOUNT_CONFIG_UPDATE")
    fserver.place(fserver.trader(), "SELL", "0.010", "50000.0")
    fserver.place(alice, "BUY", "0.010", "50000.0")  # ORDER_TRADE_UPDATE and ACCOUNT_UPDATE: filtered out
    fserver.call(lambda: fserver.sim.futures.set_leverage(alice, SYMBOL, 3))
    assert (await recv_json(ws))["e"] == "ACCOUNT_CONFIG_UPDATE"
