"""PUT /api/v3/order/amend/keepPriority: reduce an open order's quantity in place (Order Amend Keep Priority)."""
from __future__ import annotations

from decimal import Decimal

from simulator.dialects.binance.streams.user import render_execution_report
from simulator.engine.events import OrderUpdate
from tests.server import rest_helpers
from tests.server.rest_helpers import NOW, SYMBOL

rest = rest_helpers.rest  # shared fixture
rest_sim = rest_helpers.rest_sim  # shared fixture

AMEND = "/api/v3/order/amend/keepPriority"
LIMIT_BUY = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.03", "price": "50000"}


async def amend(rest, **params):
    params.setdefault("symbol", SYMBOL)
    return await rest.signed("PUT", AMEND, **params)


def usdt(rest, account_id: int) -> tuple[int, int]:
    return tuple(rest.sim.engine.account(account_id).balances["USDT"])


async def test_amend_reduces_in_place_keeps_priority_and_releases_funds(rest):
    me = rest.account_id()
    placed = (await rest.order(newClientOrderId="mine", **LIMIT_BUY)).body
    behind = rest.place(rest.counterparty(), "BUY", "0.01", "50000")  # same price, queued after mine
    free_before, locked_before = usdt(rest, me)
    assert locked_before == rest.sim.to_atoms("USDT", Decimal(1500))

    reply = await amend(rest, orderId=placed["orderId"], newQty="0.01", newClientOrderId="mine-2")
    assert reply.status == 200, reply.body
    assert reply.headers["X-MBX-USED-WEIGHT-1M"] == "5"  # 1 for the order, 4 for the amend
    assert "X-MBX-ORDER-COUNT-10S" not in reply.headers  # unfilled order count 0
    execution_id = reply.body.pop("executionId")
    assert type(execution_id) is int
    assert reply.body == {
        "transactTime": NOW,
        "amendedOrder": {
            "symbol": SYMBOL, "orderId": placed["orderId"], "orderListId": -1, "origClientOrderId": "mine",
            "clientOrderId": "mine-2", "price": "50000.00000000", "qty": "0.01000000", "executedQty": "0.00000000",
            "preventedQty": "0.00000000", "quoteOrderQty": "0.00000000", "cumulativeQuoteQty": "0.00000000",
            "status": "NEW", "timeInForce": "GTC", "type": "LIMIT", "side": "BUY", "workingTime": NOW,
            "selfTradePreventionMode": "EXPIRE_MAKER",
        },
    }
    # 1000 USDT back to free; the order now answers to its new client id only
    released = rest.sim.to_atoms("USDT", Decimal(1000))
    assert usdt(rest, me) == (free_before + released, locked_before - released)
    query = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, origClientOrderId="mine-2")
    assert (query.body["orderId"], query.body["origQty"]) == (placed["orderId"], "0.01000000")
    assert (await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, origClientOrderId="mine")).error == \
        (400, -2013, "Order does not exist.")

    # still first in the queue: a sell of 0.01 fills the amended order, not the one behind it
    rest.place(rest.counterparty(), "SELL", "0.01", "50000")
    query = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"])
    assert (query.body["status"], query.body["executedQty"]) == ("FILLED", "0.01000000")
    assert behind.executed == 0 and behind.status == "NEW"


async def test_amend_by_client_id_without_new_client_id_draws_one(rest):
    await rest.order(newClientOrderId="c1", **LIMIT_BUY)
    reply = await amend(rest, origClientOrderId="c1", newQty="0.02")
    body = reply.body["amendedOrder"]
    assert (body["origClientOrderId"], body["qty"]) == ("c1", "0.02000000")
    assert body["clientOrderId"] != "c1" and body["clientOrderId"]
    # reusing the order's own client id is allowed
    again = await amend(rest, origClientOrderId=body["clientOrderId"], newQty="0.01",
                        newClientOrderId=body["clientOrderId"])
    assert again.body["amendedOrder"]["clientOrderId"] == body["clientOrderId"]


async def test_amend_sends_a_replaced_execution_report(rest):
    placed = (await rest.order(newClientOrderId="r1", **LIMIT_BUY)).body
    events: list = []
    rest.sim.engine.subscribe(events.append)
    try:
        reply = await amend(rest, orderId=placed["orderId"], newQty="0.01", newClientOrderId="r2")
    finally:
        rest.sim.engine.unsubscribe(events.append)
    inst = rest.sim.engine.instruments[SYMBOL]
    [report] = [render_execution_report(e, inst, e.time) for e in events if isinstance(e, OrderUpdate)]
    assert (report["x"], report["X"], report["c"], report["q"], report["i"]) == \
        ("REPLACED", "NEW", "r2", "0.01000000", placed["orderId"])
    assert report["I"] == reply.body["executionId"]


async def test_amend_rejections_change_nothing(rest):
    me_order = (await rest.order(newClientOrderId="keep", **LIMIT_BUY)).body
    await rest.order(newClientOrderId="taken", **{**LIMIT_BUY, "quantity": "0.01"})
    other = rest.counterparty()
    foreign = rest.place(other, "BUY", "0.05", "50000", client_id="theirs")
    before = rest.state()
    oid = me_order["orderId"]
    cases = [
        ({"orderId": oid, "newQty": "0.05"}, (400, -2038, "Order amend (quantity increase) is not supported.")),
        ({"orderId": oid, "newQty": "0.03"}, (400, -2038, "Order amend (quantity increase) is not supported.")),
        ({"orderId": oid, "newQty": "0"}, (400, -2038, "Order amend (quantity increase) is not supported.")),
        ({"orderId": oid, "newQty": "0.000015"}, (400, -1013, "Filter failure: LOT_SIZE")),
        ({"orderId": oid, "newQty": "0.000000001"},
         (400, -1111, "Parameter 'newQty' has too much precision.")),
        ({"orderId": oid}, (400, -1102, "Mandatory parameter 'newQty' was not sent, was empty/null, or malformed.")),
        ({"orderId": oid, "newQty": "-1"}, None),  # -1100, message from params
        ({"newQty": "0.01"}, None),  # neither orderId nor origClientOrderId: -1102
        ({"orderId": 999, "newQty": "0.01"}, (400, -2013, "Order does not exist.")),
        ({"orderId": foreign.order_id, "newQty": "0.01"}, (400, -2013, "Order does not exist.")),
        ({"origClientOrderId": "theirs", "newQty": "0.01"}, (400, -2013, "Order does not exist.")),
        ({"orderId": oid, "origClientOrderId": "taken", "newQty": "0.01"},
         (400, -2039, "Client order ID is not correct for this order ID.")),
        ({"orderId": oid, "newQty": "0.01", "newClientOrderId": "taken"}, (400, -2010, "Duplicate order sent.")),
    ]
    for params, expected in cases:
        reply = await amend(rest, **params)
        assert reply.status == 400, (params, reply.body)
        if expected is not None:
            assert reply.error == expected, params
        else:
            assert reply.body["code"] in (-1100, -1102), (params, reply.body)
    assert rest.state() == before
    assert foreign.qty == rest.sim.engine.instruments[SYMBOL].parse_qty("0.05")


async def test_a_closed_order_cannot_be_amended(rest):
    placed = (await rest.order(**LIMIT_BUY)).body
    await rest.signed("DELETE", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"])
    assert (await amend(rest, orderId=placed["orderId"], newQty="0.01")).error == \
        (400, -2013, "Order does not exist.")


async def test_exchange_info_says_amend_allowed(rest):
    info = (await rest.public("GET", "/api/v3/exchangeInfo", symbol=SYMBOL)).body
    assert info["symbols"][0]["amendAllowed"] is True
