"""USD-M algo orders (Binance moved conditional futures orders to these endpoints; ccxt 4.5 sends STOP_MARKET,
TAKE_PROFIT_MARKET, STOP and TAKE_PROFIT here):

    POST   /fapi/v1/algoOrder        algoType=CONDITIONAL, type, side, quantity, triggerPrice, price, clientAlgoId, ...
    GET    /fapi/v1/algoOrder        algoId or clientAlgoId
    DELETE /fapi/v1/algoOrder        algoId or clientAlgoId -> {"algoId", "clientAlgoId", "code": "200", "msg"}
    GET    /fapi/v1/openAlgoOrders   conditional orders still waiting for their trigger
    GET    /fapi/v1/allAlgoOrders    symbol's conditional orders, open and finished
    DELETE /fapi/v1/algoOpenOrders   symbol -> {"code": 200, "msg": "The operation of cancel all open order is done."}

An algo order is the futures engine's conditional order: its `algoId` is the engine's order id (so the order the
trigger releases keeps that id on /fapi/v1/order and in ORDER_TRADE_UPDATE), `clientAlgoId` its client id.
The parameters are the new-order ones spelled differently (triggerPrice for stopPrice, clientAlgoId for
newClientOrderId) and read by the same rules (usdm.orders). `algoStatus`: NEW while waiting, TRIGGERED once the
trigger released it, CANCELED / EXPIRED when it ended before that.
"""
from __future__ import annotations

from typing import Any

from simulator.dialects.binance.usdm import orders as usdm_orders, params as usdm_params, payloads, rejects
from simulator.dialects.binance.usdm.errors import invalid_order_type
from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.futures_amounts import Formats
from simulator.dialects.binance.wire.params import Params
from simulator.dialects.binance.wire.rest import FUTURES, TRADE, USER_DATA, Call, Endpoint
from simulator.engine.perp.order import CONDITIONAL, TRAILING_STOP_MARKET
from simulator.engine.rejection import Rejected

ALGO_TYPES = ("CONDITIONAL",)
RENAMED = {"triggerPrice": "stopPrice", "clientAlgoId": "newClientOrderId", "activatePrice": "activationPrice"}
CANCEL_ALL_DONE = {"code": 200, "msg": "The operation of cancel all open order is done."}


def _status(order) -> str:
    if order.is_working or order.status in ("FILLED", "PARTIALLY_FILLED"):
        return "TRIGGERED"
    return order.status  # NEW (waiting), CANCELED, EXPIRED


def algo_order(inst, order) -> dict[str, Any]:
    fmt = Formats(inst)
    out = {
        "algoId": order.order_id,
        "clientAlgoId": order.client_id,
        "algoType": "CONDITIONAL",
        "orderType": order.orig_type,
        "symbol": order.symbol,
        "side": order.side,
        "positionSide": order.position_side,
        "timeInForce": order.tif or "GTC",
        "quantity": fmt.format_qty(order.qty),
        "algoStatus": _status(order),
        "triggerPrice": fmt.format_price(order.stop_price),
        "price": fmt.format_price(order.price),
        "icebergQuantity": None,
        "selfTradePreventionMode": order.stp or "NONE",
        "workingType": order.working_type,
        "priceMatch": "NONE",
        "closePosition": order.close_position,
        "priceProtect": order.price_protect,
        "reduceOnly": order.reduce_only,
        "createTime": order.time,
        "updateTime": order.update_time,
        "triggerTime": max(order.working_time, 0),
        "goodTillDate": 0,
    }
    if order.orig_type == TRAILING_STOP_MARKET:
        out.update(activatePrice=fmt.format_price(order.activation_price), callbackRate=payloads.callback_rate(order))
    return out


def new_algo_order(call: Call) -> dict[str, Any]:
    params = call.params
    params.enum("algoType", ALGO_TYPES, required=True)
    if params.optional("type") is not None and params.optional("type") not in CONDITIONAL:
        raise invalid_order_type()
    if params.optional("type") != TRAILING_STOP_MARKET:
        params.required("triggerPrice")  # named as this API spells it (every stop-triggered type needs one)
    values = {RENAMED.get(name, name): value for name, value in params.items() if name not in ("algoType",)}
    order = usdm_orders.parse(call.sim, Params(values))
    call.charge_order()
    return algo_order(order.inst, order.place(call.sim.futures, call.account_id).order)


def _ids(params: Params) -> tuple[int | None, str | None]:
    algo_id = params.integer("algoId")
    client_id = usdm_params.client_order_id(params, "clientAlgoId")
    if algo_id is None and client_id is None:
        raise errors.mandatory_one_of("algoId", "clientAlgoId")
    return algo_id, client_id


def _find(call: Call, cancel: bool = False):
    """The account's conditional order named by algoId / clientAlgoId (any symbol: the algo API takes none)."""
    algo_id, client_id = _ids(call.params)
    futures = call.sim.futures
    account = futures.account(call.account_id)
    for orders in account.orders.values():
        for order in orders:
            if order.orig_type in CONDITIONAL and (algo_id is None or order.order_id == algo_id) and \
                    (client_id is None or order.client_id == client_id):
                return order
    raise errors.unknown_order_cancel() if cancel else errors.no_such_order()


def query_algo_order(call: Call) -> dict[str, Any]:
    order = _find(call)
    return algo_order(call.sim.futures.instruments[order.symbol], order)


def cancel_algo_order(call: Call) -> dict[str, Any]:
    order = _find(call, cancel=True)
    try:
        call.sim.futures.cancel_order(call.account_id, order.symbol, order.order_id)
    except Rejected as rejected:
        raise rejects.answer(rejected, cancel=True) from None
    return {"algoId": order.order_id, "clientAlgoId": order.client_id, "code": "200", "msg": "success"}


def _waiting(order) -> bool:
    return order.orig_type in CONDITIONAL and order.is_open and not order.is_working


def open_algo_orders(call: Call) -> list[dict[str, Any]]:
    futures = call.sim.futures
    inst = usdm_params.optional_perpetual(call.sim, call.params)
    orders = futures.open_orders(call.account_id, inst.symbol if inst else None)
    return [algo_order(futures.instruments[o.symbol], o) for o in orders if _waiting(o)]


def all_algo_orders(call: Call) -> list[dict[str, Any]]:
    futures = call.sim.futures
    inst = usdm_params.perpetual(call.sim, call.params)
    limit = usdm_params.HISTORY_LIMIT.read(call.params)
    orders = [o for o in futures.account(call.account_id).orders.get(inst.symbol, []) if o.orig_type in CONDITIONAL]
    return [algo_order(inst, o) for o in orders[-limit:]]


def cancel_all_algo_orders(call: Call) -> dict[str, Any]:
    futures = call.sim.futures
    inst = usdm_params.perpetual(call.sim, call.params)
    for order in [o for o in futures.open_orders(call.account_id, inst.symbol) if _waiting(o)]:
        try:
            futures.cancel_order(call.account_id, inst.symbol, order.order_id)
        except Rejected as rejected:
            raise rejects.answer(rejected, cancel=True) from None
    return dict(CANCEL_ALL_DONE)


def _open_weight(params: Params) -> int:
    return 1 if params.optional("symbol") is not None else 40


ENDPOINTS = [
    Endpoint("POST", "/fapi/v1/algoOrder", TRADE, 0, new_algo_order, venue=FUTURES),
    Endpoint("GET", "/fapi/v1/algoOrder", USER_DATA, 1, query_algo_order, venue=FUTURES),
    Endpoint("DELETE", "/fapi/v1/algoOrder", TRADE, 1, cancel_algo_order, venue=FUTURES),
    Endpoint("GET", "/fapi/v1/openAlgoOrders", USER_DATA, _open_weight, open_algo_orders, venue=FUTURES),
    Endpoint("GET", "/fapi/v1/allAlgoOrders", USER_DATA, 5, all_algo_orders, venue=FUTURES),
    Endpoint("DELETE", "/fapi/v1/algoOpenOrders", TRADE, 1, cancel_all_algo_orders, venue=FUTURES),
]
