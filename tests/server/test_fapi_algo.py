"""USD-M algo orders (the endpoints Binance moved conditional futures orders to, and that ccxt 4.5 uses): the
same engine orders as /fapi/v1/order's STOP_MARKET and friends, read and answered in the algo API's spelling."""
from __future__ import annotations

from tests.server import fapi_helpers
from tests.server.fapi_helpers import SYMBOL
from tests.server.rest_helpers import NOW

fapi = fapi_helpers.fapi
fapi_sim = fapi_helpers.fapi_sim
STOP = {"algoType": "CONDITIONAL", "symbol": SYMBOL, "side": "SELL", "type": "STOP_MARKET", "quantity": "0.010",
        "triggerPrice": "45000"}


async def test_place_query_list_cancel(fapi):
    placed = await fapi.signed("POST", "/fapi/v1/algoOrder", clientAlgoId="stop-1", **STOP)
    assert placed.status == 200 and placed.headers["X-MBX-ORDER-COUNT-10S"] == "1"
    body = placed.body
    assert {k: body[k] for k in ("clientAlgoId", "algoType", "orderType", "symbol", "side", "positionSide",
                                 "quantity", "algoStatus", "triggerPrice", "workingType", "reduceOnly",
                                 "closePosition", "createTime", "triggerTime")} == {
        "clientAlgoId": "stop-1", "algoType": "CONDITIONAL", "orderType": "STOP_MARKET", "symbol": SYMBOL,
        "side": "SELL", "positionSide": "BOTH", "quantity": "0.010", "algoStatus": "NEW", "triggerPrice": "45000.00",
        "workingType": "CONTRACT_PRICE", "reduceOnly": False, "closePosition": False, "createTime": NOW,
        "triggerTime": 0}
    algo_id = body["algoId"]
    assert (await fapi.signed("GET", "/fapi/v1/algoOrder", clientAlgoId="stop-1")).body["algoId"] == algo_id
    assert [o["algoId"] for o in (await fapi.signed("GET", "/fapi/v1/openAlgoOrders")).body] == [algo_id]
    canceled = await fapi.signed("DELETE", "/fapi/v1/algoOrder", algoId=algo_id)
    assert canceled.body == {"algoId": algo_id, "clientAlgoId": "stop-1", "code": "200", "msg": "success"}
    assert (await fapi.signed("GET", "/fapi/v1/openAlgoOrders", symbol=SYMBOL)).body == []
    history = (await fapi.signed("GET", "/fapi/v1/allAlgoOrders", symbol=SYMBOL)).body
    assert [(o["algoId"], o["algoStatus"]) for o in history] == [(algo_id, "CANCELED")]
    again = await fapi.signed("DELETE", "/fapi/v1/algoOrder", algoId=algo_id)
    assert again.error == (400, -2011, "Unknown order sent.")


async def test_refusals(fapi):
    no_type = await fapi.signed("POST", "/fapi/v1/algoOrder", **{**STOP, "algoType": "TWAP"})
    assert no_type.error == (400, -1130, "Data sent for parameter 'algoType' is not valid.")
    limit = await fapi.signed("POST", "/fapi/v1/algoOrder", **{**STOP, "type": "LIMIT"})
    assert limit.error == (400, -1116, "Invalid orderType.")
    missing = await fapi.signed("POST", "/fapi/v1/algoOrder", **{k: v for k, v in STOP.items() if k != "triggerPrice"})
    assert missing.error == (400, -1102, "Mandatory parameter 'triggerPrice' was not sent, was empty/null, or "
                                         "malformed.")
    unknown = await fapi.signed("GET", "/fapi/v1/algoOrder", algoId=99)
    assert unknown.error == (400, -2013, "Order does not exist.")


async def test_cancel_all_algo_orders_leaves_plain_orders(fapi):
    await fapi.signed("POST", "/fapi/v1/algoOrder", **STOP)
    plain = await fapi.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.010", price="40000")
    done = await fapi.signed("DELETE", "/fapi/v1/algoOpenOrders", symbol=SYMBOL)
    assert done.body == {"code": 200, "msg": "The operation of cancel all open order is done."}
    assert [o["orderId"] for o in (await fapi.signed("GET", "/fapi/v1/openOrders")).body] == [plain.body["orderId"]]


async def test_trailing_stop_through_the_algo_api(fapi):
    placed = await fapi.signed("POST", "/fapi/v1/algoOrder", algoType="CONDITIONAL", symbol=SYMBOL, side="SELL",
                               type="TRAILING_STOP_MARKET", quantity="0.010", callbackRate="1", activatePrice="51000")
    assert placed.status == 200
    assert (placed.body["orderType"], placed.body["activatePrice"], placed.body["callbackRate"]) == (
        "TRAILING_STOP_MARKET", "51000.00", "1")
