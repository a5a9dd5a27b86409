"""USD-M orders over /fapi (reference §7.3, §7.7): placing (ACK and RESULT), querying, cancelling, lists,
batches, order counts, and every refusal with Binance's futures code and message, leaving the account as it was.
"""
from __future__ import annotations

import json

import pytest

from tests.server import fapi_helpers
from tests.server.fapi_helpers import SYMBOL, place, trader
from tests.server.rest_helpers import NOW

fapi = fapi_helpers.fapi
fapi_sim = fapi_helpers.fapi_sim
LIMIT = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.010", "price": "50000"}


def state(sim, account_id: int) -> tuple:
    """What a refused request must leave untouched: the futures wallet, open orders and positions."""
    futures = sim.futures
    account = futures.account(account_id)
    balances = {asset: tuple(value) for asset, value in account.balances.items()}
    orders = {oid: (o.status, o.executed, o.qty) for oid, o in account.open_orders.items()}
    positions = {key: (p.amt,) for key, p in futures.positions.items() if key[0] == account_id}
    return balances, orders, positions, futures.next_order_id


@pytest.fixture
def asks(fapi):
    """Another account offers 1.000 at 50010.0 and 50020.0."""
    maker = trader(fapi.sim)
    place(fapi.sim, maker, "SELL", "0.500", "50010.0")
    place(fapi.sim, maker, "SELL", "0.500", "50020.0")
    return maker


async def test_limit_order_ack_then_query_cancel(fapi):
    placed = await fapi.order(newClientOrderId="my-1", **LIMIT)
    assert placed.status == 200
    assert (placed.headers["X-MBX-ORDER-COUNT-10S"], placed.headers["X-MBX-ORDER-COUNT-1M"]) == ("1", "1")
    body = placed.body
    assert {k: body[k] for k in ("symbol", "status", "clientOrderId", "price", "avgPrice", "origQty",
                                 "executedQty", "cumQty", "cumQuote", "timeInForce", "type", "reduceOnly",
                                 "closePosition", "side", "positionSide", "stopPrice", "workingType",
                                 "priceProtect", "origType", "priceMatch", "goodTillDate", "updateTime")} == {
        "symbol": SYMBOL, "status": "NEW", "clientOrderId": "my-1", "price": "50000.00",
        "avgPrice": "0.00000000", "origQty": "0.010", "executedQty": "0.000", "cumQty": "0.000",
        "cumQuote": "0.00000", "timeInForce": "GTC", "type": "LIMIT", "reduceOnly": False, "closePosition": False,
        "side": "BUY", "positionSide": "BOTH", "stopPrice": "0.00", "workingType": "CONTRACT_PRICE",
        "priceProtect": False, "origType": "LIMIT", "priceMatch": "NONE", "goodTillDate": 0, "updateTime": NOW}
    order_id = body["orderId"]
    queried = (await fapi.signed("GET", "/fapi/v1/order", symbol=SYMBOL, orderId=order_id)).body
    assert queried["time"] == NOW and "cumQty" not in queried and queried["status"] == "NEW"
    by_client = await fapi.signed("GET", "/fapi/v1/order", symbol=SYMBOL, origClientOrderId="my-1")
    assert by_client.body["orderId"] == order_id
    open_one = await fapi.signed("GET", "/fapi/v1/openOrder", symbol=SYMBOL, orderId=order_id)
    assert open_one.body["orderId"] == order_id
    listed = (await fapi.signed("GET", "/fapi/v1/openOrders", symbol=SYMBOL)).body
    assert [o["orderId"] for o in listed] == [order_id]
    canceled = await fapi.signed("DELETE", "/fapi/v1/order", symbol=SYMBOL, orderId=order_id)
    assert (canceled.body["status"], canceled.body["cumQty"]) == ("CANCELED", "0.000")
    assert "X-MBX-ORDER-COUNT-10S" not in canceled.headers
    history = (await fapi.signed("GET", "/fapi/v1/allOrders", symbol=SYMBOL)).body
    assert [(o["orderId"], o["status"]) for o in history] == [(order_id, "CANCELED")]
    gone = await fapi.signed("GET", "/fapi/v1/openOrder", symbol=SYMBOL, orderId=order_id)
    assert gone.error == (400, -2013, "Order does not exist.")


async def test_market_order_result_fills_and_user_trades(fapi, asks):
    reply = await fapi.order(side="BUY", type="MARKET", quantity="0.600", newOrderRespType="RESULT")
    body = reply.body
    assert (body["status"], body["executedQty"], body["cumQty"], body["type"]) == ("FILLED", "0.600", "0.600",
                                                                                      "MARKET")
    # (0.5 x 50010 + 0.1 x 50020) / 0.6
    assert (body["cumQuote"], body["avgPrice"]) == ("30007.00000", "50011.66666666")
    trades = (await fapi.signed("GET", "/fapi/v1/userTrades", symbol=SYMBOL)).body
    assert [(t["price"], t["qty"], t["side"], t["buyer"], t["maker"], t["positionSide"]) for t in trades] == [
        ("50010.00", "0.500", "BUY", True, False, "BOTH"), ("50020.00", "0.100", "BUY", True, False, "BOTH")]
    assert trades[0]["commission"] == "12.50250000" and trades[0]["commissionAsset"] == "USDT"  # 0.05 % taker
    assert trades[0]["realizedPnl"] == "0.00000000"


async def test_market_order_ack_says_new(fapi, asks):
    reply = await fapi.order(side="BUY", type="MARKET", quantity="0.010")
    assert (reply.body["status"], reply.body["executedQty"]) == ("NEW", "0.000")
    queried = await fapi.signed("GET", "/fapi/v1/order", symbol=SYMBOL, orderId=reply.body["orderId"])
    assert queried.body["status"] == "FILLED"


async def test_cancel_all_answers_binances_acknowledgement(fapi):
    await fapi.order(**LIMIT)
    await fapi.order(**LIMIT)
    done = {"code": 200, "msg": "The operation of cancel all open order is done."}
    assert (await fapi.signed("DELETE", "/fapi/v1/allOpenOrders", symbol=SYMBOL)).body == done
    assert (await fapi.signed("GET", "/fapi/v1/openOrders")).body == []
    assert (await fapi.signed("DELETE", "/fapi/v1/allOpenOrders", symbol=SYMBOL)).body == done  # nothing open


async def test_batch_orders_each_placed_or_refused_on_its_own(fapi):
    batch = [dict(symbol=SYMBOL, **LIMIT), dict(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC",
                                                quantity="0.010", price="50000.05")]
    # JSON travels in a form body (the test client would re-quote it in a query string, breaking the signature)
    reply = await fapi.signed("POST", "/fapi/v1/batchOrders", where="body", batchOrders=json.dumps(batch))
    assert reply.status == 200, reply.body
    first, second = reply.body
    assert first["status"] == "NEW"
    assert second == {"code": -4014, "msg": "Price not increased by tick size."}
    too_many = await fapi.signed("POST", "/fapi/v1/batchOrders", where="body", batchOrders=json.dumps(batch * 3))
    assert too_many.error[:2] == (400, -1130)
    cancels = await fapi.signed("DELETE", "/fapi/v1/batchOrders", where="body", symbol=SYMBOL,
                                orderIdList=json.dumps([first["orderId"], 999]))
    assert cancels.body[0]["status"] == "CANCELED"
    assert cancels.body[1] == {"code": -2011, "msg": "Unknown order sent."}


async def test_unknown_orders(fapi):
    assert (await fapi.signed("GET", "/fapi/v1/order", symbol=SYMBOL, orderId=42)).error == (
        400, -2013, "Order does not exist.")
    assert (await fapi.signed("DELETE", "/fapi/v1/order", symbol=SYMBOL, orderId=42)).error == (
        400, -2011, "Unknown order sent.")
    assert (await fapi.signed("GET", "/fapi/v1/order", symbol=SYMBOL)).error == (
        400, -1102, "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!")


async def test_another_accounts_order_is_not_found(fapi):
    other = trader(fapi.sim)
    theirs = place(fapi.sim, other, "BUY", "0.010", "40000.0")
    reply = await fapi.signed("DELETE", "/fapi/v1/order", symbol=SYMBOL, orderId=theirs.order_id)
    assert reply.error == (400, -2011, "Unknown order sent.")


REFUSALS = [
    ({"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.010"},
     (400, -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed.")),
    ({**LIMIT, "type": "LIMIT_MAKER"}, (400, -1116, "Invalid orderType.")),
    ({**LIMIT, "side": "HOLD"}, (400, -1117, "Invalid side.")),
    ({**LIMIT, "timeInForce": "DAY"}, (400, -1115, "Invalid timeInForce.")),
    ({**LIMIT, "quantity": "0.0101"}, (400, -1111, "Precision is over the maximum defined for this asset.")),
    ({**LIMIT, "price": "50000.001"}, (400, -1111, "Precision is over the maximum defined for this asset.")),
    ({**LIMIT, "quantity": "0"}, (400, -4003, "Quantity less than or equal to zero.")),
    ({**LIMIT, "quantity": "1001"}, (400, -4005, "Quantity greater than max quantity.")),
    ({**LIMIT, "price": "50000.05"}, (400, -4014, "Price not increased by tick size.")),
    ({**LIMIT, "price": "0.01"}, (400, -4013, "Price less than min price.")),
    ({**LIMIT, "quantity": "0.001"}, (400, -4164, "Order's notional must be no smaller than 100 (unless you choose "
                                                  "reduce only).")),
    ({**LIMIT, "newClientOrderId": "a" * 37}, (400, -4015, "Client order id is not valid.")),
    ({**LIMIT, "newClientOrderId": "bad id"}, (400, -4015, "Client order id is not valid.")),
    ({**LIMIT, "positionSide": "LONG"}, (400, -4061, "Order's position side does not match user's setting.")),
    ({**LIMIT, "reduceOnly": "true"}, (400, -2022, "ReduceOnly Order is rejected.")),
    ({**LIMIT, "positionSide": "MIDDLE"}, (400, -1130, "Data sent for parameter 'positionSide' is not valid.")),
    ({"side": "SELL", "type": "STOP_MARKET", "stopPrice": "40000", "closePosition": "true", "quantity": "0.010"},
     (400, -1106, "Parameter 'quantity' sent when not required.")),
]


@pytest.mark.parametrize("params,error", REFUSALS, ids=[str(e[1]) + "-" + str(i) for i, (_, e) in
                                                        enumerate(REFUSALS)])
async def test_refusals_change_nothing(fapi, params, error):
    before = state(fapi.sim, fapi.account_id())
    reply = await fapi.order(**params)
    assert reply.error == error
    assert state(fapi.sim, fapi.account_id()) == before


async def test_margin_and_leverage_caps(fapi):
    await fapi.signed("POST", "/fapi/v1/leverage", symbol=SYMBOL, leverage=1)
    before = state(fapi.sim, fapi.account_id())
    assert (await fapi.order(**{**LIMIT, "quantity": "100"})).error == (400, -2019, "Margin is insufficient.")
    await fapi.signed("POST", "/fapi/v1/leverage", symbol=SYMBOL, leverage=125)
    capped = await fapi.order(**{**LIMIT, "quantity": "2"})  # 100,000 USDT: above the 50,000 cap at 125x
    assert capped.error == (400, -2027, "Exceeded the maximum allowable position at current leverage.")
    assert state(fapi.sim, fapi.account_id()) == before


async def test_post_only_that_would_take_is_refused(fapi, asks):
    reply = await fapi.order(side="BUY", type="LIMIT", timeInForce="GTX", quantity="0.010", price="50010")
    assert reply.error == (400, -5022, "Due to the order could not be executed as maker, the Post Only order will "
                                       "be rejected. The order will not be recorded in the order history")


async def test_fok_that_cannot_fill_whole_is_refused(fapi, asks):
    reply = await fapi.order(side="BUY", type="LIMIT", timeInForce="FOK", quantity="2.000", price="50020")
    assert reply.error[:2] == (400, -5021)


async def test_duplicate_client_order_id(fapi):
    assert (await fapi.order(newClientOrderId="same", **LIMIT)).status == 200
    assert (await fapi.order(newClientOrderId="same", **LIMIT)).error == (400, -4116, "ClientOrderId is duplicated.")


async def test_market_order_on_an_empty_side(fapi):
    reply = await fapi.order(side="BUY", type="MARKET", quantity="0.010")
    assert reply.error == (400, -2020, "Unable to fill.")


async def test_a_stop_that_would_trigger_at_once(fapi, asks):
    fapi.sim.futures.set_index(SYMBOL, fapi.sim.futures.instruments[SYMBOL].parse_price("50000"))
    reply = await fapi.order(side="BUY", type="STOP_MARKET", stopPrice="49000", quantity="0.010",
                             workingType="MARK_PRICE")
    assert reply.error == (400, -2021, "Order would immediately trigger.")


async def test_signing_and_keys_as_on_spot(fapi):
    assert (await fapi.signed("GET", "/fapi/v1/openOrders", secret="wrong")).error == (
        400, -1022, "Signature for this request is not valid.")
    assert (await fapi.signed("GET", "/fapi/v1/openOrders", timestamp=NOW - 60_000)).error == (
        400, -1021, "Timestamp for this request is outside of the recvWindow.")
    assert (await fapi.signed("GET", "/fapi/v1/openOrders", key="unknown-key")).error == (
        401, -2015, "Invalid API-key, IP, or permissions for action.")


async def test_trailing_stop_market(fapi):
    placed = await fapi.order(side="SELL", type="TRAILING_STOP_MARKET", quantity="0.010", callbackRate="0.5",
                              activationPrice="52000", newOrderRespType="RESULT")
    assert placed.status == 200
    body = placed.body
    assert (body["type"], body["status"], body["activatePrice"], body["priceRate"]) == (
        "TRAILING_STOP_MARKET", "NEW", "52000.00", "0.5")
    listed = (await fapi.signed("GET", "/fapi/v1/openOrders", symbol=SYMBOL)).body
    assert [o["priceRate"] for o in listed] == ["0.5"]
    for rate in ("0", "10.1", "0.25"):
        refused = await fapi.order(side="SELL", type="TRAILING_STOP_MARKET", quantity="0.010", callbackRate=rate)
        assert refused.error == (400, -1130, "Data sent for parameter 'callbackRate' is not valid.")
    missing = await fapi.order(side="SELL", type="TRAILING_STOP_MARKET", quantity="0.010")
    assert missing.error[:2] == (400, -1102)


async def test_order_test_checks_without_placing(fapi, asks):
    before = state(fapi.sim, fapi.account_id())
    ok = await fapi.signed("POST", "/fapi/v1/order/test", symbol=SYMBOL, **LIMIT)
    assert (ok.status, ok.body) == (200, {}) and "X-MBX-ORDER-COUNT-10S" not in ok.headers
    refused = await fapi.signed("POST", "/fapi/v1/order/test", symbol=SYMBOL,
                                **{**LIMIT, "timeInForce": "GTX", "price": "50010"})
    assert refused.error[:2] == (400, -5022)
    precision = await fapi.signed("POST", "/fapi/v1/order/test", symbol=SYMBOL, **{**LIMIT, "quantity": "0.1234"})
    assert precision.error[:2] == (400, -1111)
    assert state(fapi.sim, fapi.account_id()) == before
