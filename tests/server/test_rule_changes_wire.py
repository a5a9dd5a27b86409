"""Trading rules that change mid-session, as a client sees them: the control plane's rule change shows in
exchangeInfo and binds new orders while resting ones stay; a delisting cancels the client's orders with the
usual executionReports, removes the symbol from exchangeInfo and refuses it with -1121; a venue cancel of one
order sends the normal cancel events."""
from __future__ import annotations

import asyncio
import json

import pytest

from simulator.control.api import Control
from simulator.control.errors import ControlError
from tests.server import rest_helpers
from tests.server.rest_helpers import DEMO_KEY, SYMBOL

rest = rest_helpers.rest  # shared fixture
rest_sim = rest_helpers.rest_sim  # shared fixture

TIMEOUT_S = 5.0
LIMIT = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}


def filters(info: dict, symbol: str = SYMBOL) -> dict[str, dict]:
    entry = next(s for s in info["symbols"] if s["symbol"] == symbol)
    return {f["filterType"]: f for f in entry["filters"]}


async def user_stream(rest):
    key = (await rest.request("POST", "/api/v3/userDataStream", headers={"X-MBX-APIKEY": DEMO_KEY})).body
    return await rest.client.ws_connect(f"/ws/{key['listenKey']}")


async def next_event(ws, kind: str) -> dict:
    async def scan():
        while True:
            message = json.loads((await ws.receive()).data)
            if message.get("e") == kind:
                return message
    return await asyncio.wait_for(scan(), TIMEOUT_S)


async def test_new_rules_show_in_exchange_info_and_bind_new_orders_only(rest):
    resting = await rest.order(quantity="0.001", price="50000.01", **LIMIT)
    assert resting.status == 200
    changed = Control(rest.sim).change_symbol_rules(SYMBOL, tick_size="0.1", step_size="0.01",
                                                    min_notional="1000")
    assert changed == {"symbol": SYMBOL, "tickSize": "0.10000000", "stepSize": "0.01000000",
                       "minNotional": "1000.00000000"}
    shown = filters((await rest.public("GET", "/api/v3/exchangeInfo", symbol=SYMBOL)).body)
    assert shown["PRICE_FILTER"]["tickSize"] == "0.10000000"
    assert shown["LOT_SIZE"]["stepSize"] == "0.01000000"
    assert shown["NOTIONAL"]["minNotional"] == "1000.00000000"
    off_tick = await rest.order(quantity="0.02", price="50000.05", **LIMIT)
    assert off_tick.error[:2] == (400, -1013) and "PRICE_FILTER" in off_tick.body["msg"]
    off_step = await rest.order(quantity="0.025", price="50000", **LIMIT)
    assert "LOT_SIZE" in off_step.body["msg"]
    too_small = await rest.order(quantity="0.01", price="50000", **LIMIT)
    assert "NOTIONAL" in too_small.body["msg"]
    assert (await rest.order(quantity="0.02", price="50000", **LIMIT)).status == 200
    still = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=resting.body["orderId"])
    assert (still.body["status"], still.body["price"]) == ("NEW", "50000.01000000")


@pytest.mark.parametrize("fields, message", [
    ({}, "give at least one"),
    ({"tick_size": "0"}, "tickSize: must be greater than zero"),
    ({"step_size": "0.000000001"}, "stepSize: 0.000000001 has more than 8 decimals"),
    ({"min_notional": "-1"}, "minNotional"),
    ({"tick_size": "1e30"}, "tickSize"),
    ({"tick_size": "0.00000001", "step_size": "0.00000001"}, "the engine refused the rules"),
])
async def test_invalid_rules_are_refused_and_change_nothing(rest, fields, message):
    before = (await rest.public("GET", "/api/v3/exchangeInfo", symbol=SYMBOL)).body["symbols"]
    with pytest.raises(ControlError, match=message) as refused:
        Control(rest.sim).change_symbol_rules(SYMBOL, **fields)
    assert refused.value.status == 400
    assert (await rest.public("GET", "/api/v3/exchangeInfo", symbol=SYMBOL)).body["symbols"] == before


async def test_a_delisting_cancels_the_clients_orders_with_events_and_the_symbol_is_gone(rest):
    ws = await user_stream(rest)
    placed = (await rest.order(quantity="0.001", price="50000", newClientOrderId="mine", **LIMIT)).body
    assert (await next_event(ws, "executionReport"))["x"] == "NEW"
    delisted = Control(rest.sim).delist_symbol(SYMBOL)
    assert [o["orderId"] for o in delisted["canceled"]] == [placed["orderId"]]
    report = await next_event(ws, "executionReport")
    assert (report["x"], report["X"], report["i"], report["C"]) == ("CANCELED", "CANCELED", placed["orderId"], "mine")
    position = await next_event(ws, "outboundAccountPosition")
    assert {b["a"]: b["l"] for b in position["B"]}["USDT"] == "0.00000000"
    info = (await rest.public("GET", "/api/v3/exchangeInfo")).body
    assert SYMBOL not in {s["symbol"] for s in info["symbols"]} and info["symbols"]
    prices = (await rest.public("GET", "/api/v3/ticker/price")).body
    assert SYMBOL not in {p["symbol"] for p in prices} and prices
    for reply in (await rest.order(quantity="0.001", price="50000", **LIMIT),
                  await rest.public("GET", "/api/v3/exchangeInfo", symbol=SYMBOL),
                  await rest.public("GET", "/api/v3/depth", symbol=SYMBOL),
                  await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"])):
        assert reply.error == (400, -1121, "Invalid symbol.")
    with pytest.raises(ControlError, match="delisted") as again:
        Control(rest.sim).delist_symbol(SYMBOL)
    assert again.value.status == 409
    await ws.close()


async def test_a_venue_cancel_sends_the_normal_cancel_events(rest):
    ws = await user_stream(rest)
    placed = (await rest.order(quantity="0.001", price="50000", newClientOrderId="venue-cut", **LIMIT)).body
    await next_event(ws, "executionReport")
    canceled = Control(rest.sim).cancel_order(placed["orderId"])
    assert canceled["order"]["status"] == "CANCELED"
    report = await next_event(ws, "executionReport")
    assert (report["x"], report["C"], report["i"]) == ("CANCELED", "venue-cut", placed["orderId"])
    assert (await next_event(ws, "outboundAccountPosition"))["e"] == "outboundAccountPosition"
    found = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"])
    assert found.body["status"] == "CANCELED"
    await ws.close()
