"""Spot signed REST endpoints: orders, cancels, history, account and listenKeys."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.dialects.binance.wire import auth
from tests.server import rest_helpers
from tests.server.rest_helpers import DEMO_KEY, DEMO_SECRET, NOW, SYMBOL

rest = rest_helpers.rest  # shared fixture
rest_sim = rest_helpers.rest_sim  # shared fixture

LIMIT_BUY = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "50000"}


def other_key(rest) -> tuple[str, str]:
    key = rest.sim.create_account("other", balances={"BTC": Decimal(1), "USDT": Decimal(100_000)})
    return key.key, key.secret


# --- placing ------------------------------------------------------------------------------------------------
async def test_resting_limit_order_full_response_and_order_count_headers(rest):
    reply = await rest.order(newClientOrderId="my-1", **LIMIT_BUY)
    assert reply.status == 200
    assert reply.body == {
        "symbol": SYMBOL, "orderId": 1, "orderListId": -1, "clientOrderId": "my-1", "transactTime": NOW,
        "price": "50000.00000000", "origQty": "0.01000000", "executedQty": "0.00000000",
        "origQuoteOrderQty": "0.00000000", "cummulativeQuoteQty": "0.00000000", "status": "NEW",
        "timeInForce": "GTC", "type": "LIMIT", "side": "BUY", "workingTime": NOW,
        "selfTradePreventionMode": "EXPIRE_MAKER", "fills": [],
    }
    assert (reply.headers["X-MBX-ORDER-COUNT-10S"], reply.headers["X-MBX-ORDER-COUNT-1D"]) == ("1", "1")
    assert reply.headers["X-MBX-USED-WEIGHT-1M"] == "1"


async def test_market_order_fills_with_commissions(rest):
    maker = rest.counterparty()
    rest.place(maker, "SELL", "0.01", "60000")
    rest.place(maker, "SELL", "0.02", "60001")
    reply = await rest.order(side="BUY", type="MARKET", quantity="0.02")
    body = reply.body
    assert (body["status"], body["executedQty"], body["cummulativeQuoteQty"], body["price"]) == (
        "FILLED", "0.02000000", "1200.01000000", "0.00000000")
    assert body["fills"] == [
        {"price": "60000.00000000", "qty": "0.01000000", "commission": "0.00001000", "commissionAsset": "BTC",
         "tradeId": 1},
        {"price": "60001.00000000", "qty": "0.01000000", "commission": "0.00001000", "commissionAsset": "BTC",
         "tradeId": 2},
    ]


async def test_quote_order_qty_market_sell(rest):
    maker = rest.counterparty()
    rest.place(maker, "BUY", "1", "50000")
    body = (await rest.order(side="SELL", type="MARKET", quoteOrderQty="1000")).body
    assert (body["origQty"], body["executedQty"], body["origQuoteOrderQty"], body["cummulativeQuoteQty"]) == (
        "0.02000000", "0.02000000", "1000.00000000", "1000.00000000")
    assert body["fills"][0]["commissionAsset"] == "USDT" and body["fills"][0]["commission"] == "1.00000000"


@pytest.mark.parametrize(("extra", "keys"), [
    ({"newOrderRespType": "ACK"}, ["symbol", "orderId", "orderListId", "clientOrderId", "transactTime"]),
    ({"newOrderRespType": "RESULT"}, ["symbol", "orderId", "orderListId", "clientOrderId", "transactTime",
                                      "price", "origQty", "executedQty", "origQuoteOrderQty",
                                      "cummulativeQuoteQty", "status", "timeInForce", "type", "side",
                                      "workingTime", "selfTradePreventionMode"]),
])
async def test_response_types(rest, extra, keys):
    assert list((await rest.order(**LIMIT_BUY, **extra)).body) == keys


async def test_default_response_is_ack_for_other_types(rest):
    rest.trade("60000")
    reply = await rest.order(side="SELL", type="STOP_LOSS_LIMIT", timeInForce="GTC", quantity="0.01",
                             price="55000", stopPrice="55500")
    assert list(reply.body) == ["symbol", "orderId", "orderListId", "clientOrderId", "transactTime"]
    maker = await rest.order(side="SELL", type="LIMIT_MAKER", quantity="0.01", price="61000")
    assert list(maker.body) == ["symbol", "orderId", "orderListId", "clientOrderId", "transactTime"]
    stop = (await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=reply.body["orderId"])).body
    assert (stop["stopPrice"], stop["isWorking"], stop["workingTime"]) == ("55500.00000000", False, -1)


async def test_unfilled_ioc_and_fok_expire_with_a_reason(rest):
    maker = rest.counterparty()
    rest.place(maker, "SELL", "0.01", "60000")
    ioc = (await rest.order(side="BUY", type="LIMIT", timeInForce="IOC", quantity="0.02", price="60000")).body
    assert (ioc["status"], ioc["executedQty"], ioc["expiryReason"]) == (
        "EXPIRED", "0.01000000", "UNFILLED_IOC_QUANTITY_EXPIRED")
    fok = (await rest.order(side="SELL", type="LIMIT", timeInForce="FOK", quantity="0.02", price="50000")).body
    assert (fok["status"], fok["executedQty"], fok["expiryReason"]) == ("EXPIRED", "0.00000000",
                                                                        "UNFILLED_FOK_ORDER_EXPIRED")


async def test_parameters_from_form_body_json_typed_body_and_query_precedence(rest):
    in_body = await rest.signed("POST", "/api/v3/order", where="body", symbol=SYMBOL, **LIMIT_BUY)
    assert in_body.status == 200
    # Hummingbot: a form body under a JSON Content-Type; the query's quantity wins over the body's
    timestamp = rest.sim.clock.server_time_ms()
    query = f"quantity=0.02&timestamp={timestamp}"
    body = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.05&price=50000"
    signature = auth.sign(DEMO_SECRET, query + body)
    reply = await rest.request("POST", "/api/v3/order", query=query, body=f"{body}&signature={signature}",
                               headers={"X-MBX-APIKEY": DEMO_KEY, "Content-Type": "application/json"})
    assert (reply.status, reply.body["origQty"]) == (200, "0.02000000")
    # python-binance: DELETE parameters in the body
    cancel = await rest.signed("DELETE", "/api/v3/order", where="body", symbol=SYMBOL,
                               orderId=reply.body["orderId"])
    assert (cancel.status, cancel.body["status"]) == (200, "CANCELED")


async def test_order_test_validates_without_placing(rest):
    before = rest.state()
    assert (await rest.signed("POST", "/api/v3/order/test", symbol=SYMBOL, **LIMIT_BUY)).body == {}
    rates = await rest.signed("POST", "/api/v3/order/test", symbol=SYMBOL, computeCommissionRates="true",
                              **LIMIT_BUY)
    assert rates.body["standardCommissionForOrder"] == {"maker": "0.00100000", "taker": "0.00100000"}
    assert rates.headers["X-MBX-USED-WEIGHT-1M"] == "21"
    bad = await rest.signed("POST", "/api/v3/order/test", symbol=SYMBOL, **{**LIMIT_BUY, "quantity": "100"})
    assert bad.error == (400, -2010, "Account has insufficient balance for requested action.")
    assert rest.state() == before


# --- querying and cancelling --------------------------------------------------------------------------------
async def test_query_by_id_or_client_id(rest):
    placed = (await rest.order(newClientOrderId="abc", **LIMIT_BUY)).body
    by_id = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"])
    assert by_id.headers["X-MBX-USED-WEIGHT-1M"] == "5"
    assert by_id.body == {
        "symbol": SYMBOL, "orderId": 1, "orderListId": -1, "clientOrderId": "abc", "price": "50000.00000000",
        "origQty": "0.01000000", "executedQty": "0.00000000", "cummulativeQuoteQty": "0.00000000",
        "status": "NEW", "timeInForce": "GTC", "type": "LIMIT", "side": "BUY", "stopPrice": "0.00000000",
        "icebergQty": "0.00000000", "time": NOW, "updateTime": NOW, "isWorking": True, "workingTime": NOW,
        "origQuoteOrderQty": "0.00000000", "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    by_client = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, origClientOrderId="abc")
    assert by_client.body == by_id.body
    mismatch = await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=1, origClientOrderId="xyz")
    assert mismatch.error == (400, -2039, "Client order ID is not correct for this order ID.")


async def test_cancel_names_the_cancel(rest):
    placed = (await rest.order(newClientOrderId="abc", **LIMIT_BUY)).body
    rest.sim.clock.advance(5)
    reply = await rest.signed("DELETE", "/api/v3/order", symbol=SYMBOL, origClientOrderId="abc",
                              newClientOrderId="cancel-1")
    assert reply.body == {
        "symbol": SYMBOL, "origClientOrderId": "abc", "orderId": placed["orderId"], "orderListId": -1,
        "clientOrderId": "cancel-1", "transactTime": NOW + 5, "price": "50000.00000000", "origQty": "0.01000000",
        "executedQty": "0.00000000", "origQuoteOrderQty": "0.00000000", "cummulativeQuoteQty": "0.00000000",
        "status": "CANCELED", "timeInForce": "GTC", "type": "LIMIT", "side": "BUY",
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    again = await rest.signed("DELETE", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"])
    assert again.error == (400, -2011, "Unknown order sent.")
    generated = (await rest.order(**LIMIT_BUY)).body
    cancel = (await rest.signed("DELETE", "/api/v3/order", symbol=SYMBOL, orderId=generated["orderId"])).body
    assert len(cancel["clientOrderId"]) == 22 and cancel["clientOrderId"] != generated["clientOrderId"]


async def test_cancel_restrictions(rest):
    placed = (await rest.order(**LIMIT_BUY)).body
    refused = await rest.signed("DELETE", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"],
                                cancelRestrictions="ONLY_PARTIALLY_FILLED")
    assert refused.error == (400, -2011, "Order was not canceled due to cancel restrictions.")
    bad = await rest.signed("DELETE", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"],
                            cancelRestrictions="SOMETIMES")
    assert bad.error[:2] == (400, -1145)
    ok = await rest.signed("DELETE", "/api/v3/order", symbol=SYMBOL, orderId=placed["orderId"],
                           cancelRestrictions="ONLY_NEW")
    assert ok.body["status"] == "CANCELED"


async def test_open_orders_and_cancel_all(rest):
    await rest.order(**LIMIT_BUY)
    await rest.order(symbol="ETHUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="1", price="3000")
    mine = await rest.signed("GET", "/api/v3/openOrders", symbol=SYMBOL)
    assert [o["symbol"] for o in mine.body] == [SYMBOL]
    weight = int(mine.headers["X-MBX-USED-WEIGHT-1M"])
    every = await rest.signed("GET", "/api/v3/openOrders")
    assert [o["orderId"] for o in every.body] == [1, 2]
    assert int(every.headers["X-MBX-USED-WEIGHT-1M"]) == weight + 80
    canceled = await rest.signed("DELETE", "/api/v3/openOrders", symbol="ETHUSDT")
    assert [(c["orderId"], c["status"], c["origClientOrderId"] != c["clientOrderId"]) for c in canceled.body] == [
        (2, "CANCELED", True)]
    none_left = await rest.signed("DELETE", "/api/v3/openOrders", symbol="ETHUSDT")
    assert none_left.error == (400, -2011, "Unknown order sent.")


async def test_all_orders_pages_by_id_and_time(rest):
    for _ in range(3):
        await rest.order(**LIMIT_BUY)
        rest.sim.clock.advance(1000)
    every = (await rest.signed("GET", "/api/v3/allOrders", symbol=SYMBOL)).body
    assert [o["orderId"] for o in every] == [1, 2, 3]
    assert [o["orderId"] for o in (await rest.signed("GET", "/api/v3/allOrders", symbol=SYMBOL, orderId=2,
                                                     limit=1)).body] == [2]
    assert [o["orderId"] for o in (await rest.signed("GET", "/api/v3/allOrders", symbol=SYMBOL,
                                                     startTime=NOW + 500)).body] == [2, 3]
    assert [o["orderId"] for o in (await rest.signed("GET", "/api/v3/allOrders", symbol=SYMBOL,
                                                     limit=2)).body] == [2, 3]
    too_wide = await rest.signed("GET", "/api/v3/allOrders", symbol=SYMBOL, startTime=0, endTime=NOW)
    assert too_wide.error == (400, -1127, "More than 24 hours between startTime and endTime.")


async def test_my_trades_filters_and_combinations(rest):
    maker = rest.counterparty()
    rest.place(maker, "SELL", "0.03", "60000")
    first = (await rest.order(side="BUY", type="MARKET", quantity="0.01")).body
    rest.sim.clock.advance(1000)
    second = (await rest.order(side="BUY", type="MARKET", quantity="0.02")).body
    trades = (await rest.signed("GET", "/api/v3/myTrades", symbol=SYMBOL)).body
    assert trades[0] == {
        "symbol": SYMBOL, "id": 1, "orderId": first["orderId"], "orderListId": -1, "price": "60000.00000000",
        "qty": "0.01000000", "quoteQty": "600.00000000", "commission": "0.00001000", "commissionAsset": "BTC",
        "time": NOW, "isBuyer": True, "isMaker": False, "isBestMatch": True,
    }
    by_order = await rest.signed("GET", "/api/v3/myTrades", symbol=SYMBOL, orderId=second["orderId"])
    assert [t["id"] for t in by_order.body] == [2]
    assert (await rest.signed("GET", "/api/v3/myTrades", symbol=SYMBOL, fromId=2)).body[0]["id"] == 2
    timed = await rest.signed("GET", "/api/v3/myTrades", symbol=SYMBOL, startTime=NOW + 1, endTime=NOW + 2000)
    assert [t["id"] for t in timed.body] == [2]
    combo = await rest.signed("GET", "/api/v3/myTrades", symbol=SYMBOL, fromId=1, startTime=NOW)
    assert combo.error == (400, -1128, "Combination of optional parameters invalid.")


async def test_another_account_never_reaches_my_orders(rest):
    placed = (await rest.order(newClientOrderId="mine", **LIMIT_BUY)).body
    key, secret = other_key(rest)
    query = await rest.signed("GET", "/api/v3/order", key=key, secret=secret, symbol=SYMBOL,
                              orderId=placed["orderId"])
    assert query.error == (400, -2013, "Order does not exist.")
    by_client = await rest.signed("GET", "/api/v3/order", key=key, secret=secret, symbol=SYMBOL,
                                  origClientOrderId="mine")
    assert by_client.error[1] == -2013
    cancel = await rest.signed("DELETE", "/api/v3/order", key=key, secret=secret, symbol=SYMBOL,
                               orderId=placed["orderId"])
    assert cancel.error == (400, -2011, "Unknown order sent.")
    replace = await rest.signed("POST", "/api/v3/order/cancelReplace", key=key, secret=secret, symbol=SYMBOL,
                                cancelReplaceMode="STOP_ON_FAILURE", cancelOrderId=placed["orderId"], **LIMIT_BUY)
    assert replace.body["code"] == -2022
    assert (await rest.signed("GET", "/api/v3/openOrders", key=key, secret=secret)).body == []
    assert (await rest.signed("GET", "/api/v3/openOrders")).body[0]["status"] == "NEW"


# --- cancelReplace ------------------------------------------------------------------------------------------
async def test_cancel_replace_success(rest):
    placed = (await rest.order(newClientOrderId="v1", **LIMIT_BUY)).body
    reply = await rest.signed("POST", "/api/v3/order/cancelReplace", symbol=SYMBOL,
                              cancelReplaceMode="STOP_ON_FAILURE", cancelOrigClientOrderId="v1",
                              newClientOrderId="v1", cancelNewClientOrderId="c1",
                              **{**LIMIT_BUY, "price": "51000"})
    assert reply.status == 200 and reply.headers["X-MBX-ORDER-COUNT-10S"] == "2"
    body = reply.body
    assert (body["cancelResult"], body["newOrderResult"]) == ("SUCCESS", "SUCCESS")
    assert (body["cancelResponse"]["orderId"], body["cancelResponse"]["clientOrderId"]) == (placed["orderId"], "c1")
    assert (body["newOrderResponse"]["clientOrderId"], body["newOrderResponse"]["price"]) == ("v1", "51000.00000000")
    assert body["newOrderResponse"]["fills"] == []


async def test_cancel_replace_stop_on_failure(rest):
    before = rest.state()
    reply = await rest.signed("POST", "/api/v3/order/cancelReplace", symbol=SYMBOL,
                              cancelReplaceMode="STOP_ON_FAILURE", cancelOrderId=99, **LIMIT_BUY)
    assert reply.status == 400
    assert reply.body == {"code": -2022, "msg": "Order cancel-replace failed.", "data": {
        "cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED",
        "cancelResponse": {"code": -2011, "msg": "Unknown order sent."}, "newOrderResponse": None}}
    assert rest.state() == before


async def test_cancel_replace_new_order_fails_after_the_cancel(rest):
    maker = rest.counterparty()
    rest.place(maker, "SELL", "1", "60000")
    placed = (await rest.order(**LIMIT_BUY)).body
    reply = await rest.signed("POST", "/api/v3/order/cancelReplace", symbol=SYMBOL,
                              cancelReplaceMode="STOP_ON_FAILURE", cancelOrderId=placed["orderId"],
                              side="BUY", type="LIMIT_MAKER", quantity="0.01", price="60000")
    assert reply.status == 409 and reply.body["code"] == -2021
    assert reply.body["msg"] == "Order cancel-replace partially failed."
    data = reply.body["data"]
    assert (data["cancelResult"], data["newOrderResult"]) == ("SUCCESS", "FAILURE")
    assert data["cancelResponse"]["status"] == "CANCELED"
    assert data["newOrderResponse"] == {"code": -2010, "msg": "Order would immediately match and take."}
    assert "X-MBX-ORDER-COUNT-10S" not in reply.headers


async def test_cancel_replace_allow_failure(rest):
    placed_ok = await rest.signed("POST", "/api/v3/order/cancelReplace", symbol=SYMBOL,
                                  cancelReplaceMode="ALLOW_FAILURE", cancelOrderId=77, **LIMIT_BUY)
    assert (placed_ok.status, placed_ok.body["code"]) == (409, -2021)
    assert placed_ok.body["data"]["newOrderResult"] == "SUCCESS"
    both = await rest.signed("POST", "/api/v3/order/cancelReplace", symbol=SYMBOL,
                             cancelReplaceMode="ALLOW_FAILURE", cancelOrderId=77,
                             **{**LIMIT_BUY, "quantity": "100"})
    assert (both.status, both.body["code"]) == (400, -2022)
    assert both.body["data"]["newOrderResponse"]["msg"] == "Account has insufficient balance for requested action."


async def test_cancel_replace_checks_filters_before_cancelling(rest):
    placed = (await rest.order(**LIMIT_BUY)).body
    before = rest.state()
    reply = await rest.signed("POST", "/api/v3/order/cancelReplace", symbol=SYMBOL,
                              cancelReplaceMode="STOP_ON_FAILURE", cancelOrderId=placed["orderId"],
                              **{**LIMIT_BUY, "price": "50000.005"})
    assert reply.error == (400, -1013, "Filter failure: PRICE_FILTER")
    assert rest.state() == before


# --- account and listenKeys ---------------------------------------------------------------------------------
async def test_account(rest):
    await rest.order(**LIMIT_BUY)
    reply = await rest.signed("GET", "/api/v3/account")
    body = reply.body
    assert reply.headers["X-MBX-USED-WEIGHT-1M"] == "21"
    assert (body["makerCommission"], body["takerCommission"], body["accountType"], body["uid"]) == (
        10, 10, "SPOT", 1)
    assert body["commissionRates"] == {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000",
                                       "seller": "0.00000000"}
    assert body["balances"] == [
        {"asset": "BTC", "free": "10.00000000", "locked": "0.00000000"},
        {"asset": "USDT", "free": "999500.00000000", "locked": "500.00000000"},
        {"asset": "ETH", "free": "100.00000000", "locked": "0.00000000"},
    ]
    empty = rest.sim.create_account("empty", balances={"USDT": Decimal(5)})
    zero = await rest.signed("GET", "/api/v3/account", key=empty.key, secret=empty.secret)
    assert [b["asset"] for b in zero.body["balances"]] == ["BTC", "USDT", "ETH"]
    omitted = await rest.signed("GET", "/api/v3/account", key=empty.key, secret=empty.secret,
                                omitZeroBalances="true")
    assert omitted.body["balances"] == [{"asset": "USDT", "free": "5.00000000", "locked": "0.00000000"}]


async def test_listen_keys_need_only_the_api_key(rest):
    headers = {"X-MBX-APIKEY": DEMO_KEY}
    created = await rest.request("POST", "/api/v3/userDataStream", headers=headers)
    key = created.body["listenKey"]
    assert (created.status, len(key), created.headers["X-MBX-USED-WEIGHT-1M"]) == (200, 60, "2")
    again = await rest.request("POST", "/api/v3/userDataStream", headers=headers)
    assert again.body == {"listenKey": key}
    assert (await rest.request("PUT", "/api/v3/userDataStream", query=f"listenKey={key}", headers=headers)).body == {}
    other, _ = other_key(rest)
    foreign = await rest.request("PUT", "/api/v3/userDataStream", query=f"listenKey={key}",
                                 headers={"X-MBX-APIKEY": other})
    assert foreign.error == (400, -1125, "This listenKey does not exist.")
    closed = await rest.request("DELETE", "/api/v3/userDataStream", body=f"listenKey={key}", headers=headers)
    assert closed.body == {}
    gone = await rest.request("DELETE", "/api/v3/userDataStream", query=f"listenKey={key}", headers=headers)
    assert gone.error[1] == -1125
    missing = await rest.request("PUT", "/api/v3/userDataStream", headers=headers)
    assert missing.error == (400, -1102, "Mandatory parameter 'listenKey' was not sent, was empty/null, or malformed.")
    no_key = await rest.request("POST", "/api/v3/userDataStream")
    assert no_key.error == (401, -2014, "API-key format invalid.")


async def test_self_trade_prevention_shows_the_prevented_match(rest):
    me = rest.account_id()
    rest.sim.engine.deposit(me, "BTC", 10**8)  # 1 BTC to rest asks with
    mine = (await rest.order(side="SELL", type="LIMIT", timeInForce="GTC", quantity="0.01",
                             price="50000")).body
    assert "preventedMatchId" not in mine and "preventedQuantity" not in mine
    # EXPIRE_TAKER: the taker expires with the symbol's first prevented match (0), its own resting ask untouched
    taker = (await rest.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.03", price="50000",
                              selfTradePreventionMode="EXPIRE_TAKER", newOrderRespType="RESULT")).body
    assert (taker["status"], taker["preventedMatchId"], taker["preventedQuantity"]) == \
        ("EXPIRED_IN_MATCH", 0, "0.03000000")
    # EXPIRE_BOTH: the next match (1) expires both; each order's own remaining quantity is its prevented one
    both = (await rest.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.02", price="50000",
                             selfTradePreventionMode="EXPIRE_BOTH")).body
    assert (both["status"], both["preventedMatchId"], both["preventedQuantity"], both["fills"]) == \
        ("EXPIRED_IN_MATCH", 1, "0.02000000", [])
    maker = (await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=mine["orderId"])).body
    assert (maker["status"], maker["preventedMatchId"], maker["preventedQuantity"]) == \
        ("EXPIRED_IN_MATCH", 1, "0.01000000")
    queried = (await rest.signed("GET", "/api/v3/order", symbol=SYMBOL, orderId=taker["orderId"])).body
    assert (queried["preventedMatchId"], queried["preventedQuantity"]) == (0, "0.03000000")
