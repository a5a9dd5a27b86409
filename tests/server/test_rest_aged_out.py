"""History that aged out of the retention (simulator.engine.retention), as a Binance client sees it: a query for
an order the simulator no longer keeps answers -2013 "Order does not exist." (a cancel -2011), and allOrders and
myTrades simply no longer list what aged out."""
from __future__ import annotations

import dataclasses

import pytest

from simulator.clock import SimClock
from simulator.config import RetentionConfig
from simulator.server import build_simulator
from tests.conftest import quiet_config
from tests.server import rest_helpers
from tests.server.rest_helpers import NOW, SYMBOL

rest = rest_helpers.rest
KEPT = 3


@pytest.fixture
def rest_sim():
    config = dataclasses.replace(quiet_config(), retention=RetentionConfig(closed_orders=KEPT, account_trades=KEPT))
    return build_simulator(config, clock=SimClock(frozen_at_ms=NOW))


async def test_an_order_that_aged_out_does_not_exist_any_more(rest):
    ids = []
    for _ in range(KEPT + 2):  # each rests and is cancelled: the first two age out
        placed = await rest.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001", price="20000")
        assert placed.status == 200, placed.body
        ids.append(placed.body["orderId"])
        assert (await rest.signed("DELETE", "/api/v3/order", symbol=SYMBOL, orderId=ids[-1])).status == 200
    gone, kept = ids[:2], ids[2:]
    for order_id in gone:
        reply = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=order_id)
        assert reply.error == (400, -2013, "Order does not exist.")
        reply = await rest.signed("DELETE", "/api/v3/order", symbol=SYMBOL, orderId=order_id)
        assert reply.error == (400, -2011, "Unknown order sent.")
    for order_id in kept:
        reply = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=order_id)
        assert reply.status == 200 and reply.body["status"] == "CANCELED"
    listed = await rest.signed("GET", "/api/v3/allOrders", symbol=SYMBOL)
    assert [order["orderId"] for order in listed.body] == kept


async def test_my_trades_lists_only_the_kept_trades(rest):
    seller = rest.counterparty()
    rest.place(seller, "SELL", "1", "65000")
    for _ in range(KEPT + 2):
        assert (await rest.order(side="BUY", type="MARKET", quantity="0.01")).status == 200
    trades = await rest.signed("GET", "/api/v3/myTrades", symbol=SYMBOL)
    assert trades.status == 200
    assert [trade["id"] for trade in trades.body] == list(range(3, KEPT + 3))
    first = await rest.signed("GET", "/api/v3/myTrades", symbol=SYMBOL, fromId=1)
    assert [trade["id"] for trade in first.body] == list(range(3, KEPT + 3))
