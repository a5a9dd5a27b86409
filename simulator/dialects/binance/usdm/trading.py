"""USD-M order endpoints (TRADE / USER_DATA, reference §7.1, §7.3): place, query, cancel, modify, batches, open
orders, order history and the account's own trades.

Every lookup is scoped to the API key's account: another account's order is simply not found (-2013 on a query,
-2011 on a cancel), exactly like an id that never existed. Each new order counts in the futures ORDERS pools
(X-MBX-ORDER-COUNT-10S and -1M on the answer).
"""
from __future__ import annotations

import json
from typing import Any

from simulator.dialects.binance.usdm import orders as usdm_orders, params as usdm_params, payloads, rejects
from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.dialects.binance.wire.futures_amounts import Formats
from simulator.dialects.binance.wire.params import Params
from simulator.dialects.binance.wire.readers import time_window
from simulator.dialects.binance.wire.rest import FUTURES, TRADE, USER_DATA, Call, Endpoint
from simulator.engine.perp.instrument import PerpInstrument
from simulator.engine.rejection import Reject, Rejected

MAX_BATCH_ORDERS = 5
MAX_BATCH_CANCELS = 10
MAX_WINDOW_HOURS = 7 * 24  # allOrders, userTrades: startTime..endTime at most 7 days
CANCEL_ALL_DONE = {"code": 200, "msg": "The operation of cancel all open order is done."}
AUTO_CLOSE_TYPES = ("LIQUIDATION", "ADL")


# --- one order -------------------------------------------------------------------------------------------------
def new_order(call: Call) -> dict[str, Any]:
    order = usdm_orders.parse(call.sim, call.params)
    call.charge_order()
    return order.render(order.place(call.sim.futures, call.account_id).order)


def test_order(call: Call) -> dict:
    """POST /fapi/v1/order/test: checked as a new order, not placed, not counted as one."""
    order = usdm_orders.parse(call.sim, call.params)
    order.test(call.sim.futures, call.account_id)
    return {}


def _find(call: Call, inst: PerpInstrument):
    order_id, client_id = usdm_params.order_ids(call.params)
    try:
        return call.sim.futures.find_order(call.account_id, inst.symbol, order_id, client_id)
    except Rejected as rejected:
        raise rejects.answer(rejected) from None


def query_order(call: Call) -> dict[str, Any]:
    inst = usdm_params.perpetual(call.sim, call.params)
    return payloads.order_object(inst, _find(call, inst), time=True)


def open_order(call: Call) -> dict[str, Any]:
    """GET /fapi/v1/openOrder: like a query, but a finished order is "Order does not exist." too."""
    inst = usdm_params.perpetual(call.sim, call.params)
    order = _find(call, inst)
    if not order.is_open:
        raise no_open_order()
    return payloads.order_object(inst, order, time=True)


def no_open_order() -> BinanceError:
    return BinanceError(400, -2013, "Order does not exist.")


def _cancel(call: Call, inst: PerpInstrument, order_id: int | None, client_id: str | None) -> dict[str, Any]:
    if call.sim.faults.kinds:  # fill_during_cancel with venue futures: the order fills first, the cancel -2011s
        call.sim.faults.before_cancel(call.account_id, inst.symbol, order_id, client_id, venue="futures")
    try:
        result = call.sim.futures.cancel_order(call.account_id, inst.symbol, order_id, client_id)
    except Rejected as rejected:
        raise rejects.answer(rejected, cancel=True) from None
    return payloads.order_object(inst, result.order, cum_qty=True)


def cancel_order(call: Call) -> dict[str, Any]:
    inst = usdm_params.perpetual(call.sim, call.params)
    order_id, client_id = usdm_params.order_ids(call.params)
    return _cancel(call, inst, order_id, client_id)


def modify_order(call: Call) -> dict[str, Any]:
    """PUT /fapi/v1/order: a LIMIT order's new price and quantity (side must be the order's)."""
    params = call.params
    inst = usdm_params.perpetual(call.sim, params)
    order_id, client_id = usdm_params.order_ids(params)
    side = params.enum("side", ("BUY", "SELL"), required=True)
    fmt = Formats(inst)
    qty = usdm_params.amount(params, "quantity", fmt.qty_places, inst.parse_qty, required=True)
    price = usdm_params.amount(params, "price", fmt.price_places, inst.parse_price, required=True)
    try:
        result = call.sim.futures.modify_order(call.account_id, inst.symbol, side, qty, price, order_id=order_id,
                                               client_id=client_id)
    except Rejected as rejected:
        raise rejects.answer(rejected, inst=inst, qty=qty, price=price) from None
    return payloads.order_object(inst, result.order, cum_qty=True)


# --- batches ---------------------------------------------------------------------------------------------------
def _batch(params: Params, name: str, maximum: int) -> list:
    """A JSON array parameter (batchOrders, orderIdList, ...): -1130 unless a list of 1..maximum items."""
    text = params.required(name)
    try:
        items = json.loads(text)
    except ValueError:
        raise errors.invalid_parameter(name) from None
    if not isinstance(items, list) or not 1 <= len(items) <= maximum:
        raise errors.invalid_parameter(name)
    return items


def batch_orders(call: Call) -> list[dict[str, Any]]:
    """Up to 5 orders, each placed (or refused) on its own: the answer lists an order object or an error body
    for each, in order. Each one counts as an order."""
    answers = []
    for item in _batch(call.params, "batchOrders", MAX_BATCH_ORDERS):
        if not isinstance(item, dict) or not all(isinstance(v, (str, int, bool)) for v in item.values()):
            answers.append(errors.invalid_parameter("batchOrders").to_body())
            continue
        values = {key: (str(v).lower() if isinstance(v, bool) else str(v)) for key, v in item.items()}
        try:
            order = usdm_orders.parse(call.sim, Params(values))
            call.charge_order()
            answers.append(order.render(order.place(call.sim.futures, call.account_id).order))
        except BinanceError as exc:
            answers.append(exc.to_body())
    return answers


def cancel_batch(call: Call) -> list[dict[str, Any]]:
    """Up to 10 cancels by orderIdList or origClientOrderIdList (not both: -1128). Binance also takes the names
    in lower case, which is how ccxt sends them."""
    params = call.params
    inst = usdm_params.perpetual(call.sim, params)
    id_name = next((n for n in ("orderIdList", "orderidlist") if params.optional(n) is not None), None)
    client_name = next((n for n in ("origClientOrderIdList", "origclientorderidlist")
                        if params.optional(n) is not None), None)
    if (id_name is None) == (client_name is None):
        if id_name is not None:
            raise errors.bad_combo()
        raise errors.mandatory_one_of("orderIdList", "origClientOrderIdList")
    name = id_name or client_name
    items = _batch(params, name, MAX_BATCH_CANCELS)
    by_id = id_name is not None
    wanted = int if by_id else str
    if not all(isinstance(item, wanted) and not isinstance(item, bool) for item in items):
        raise errors.invalid_parameter(name)
    answers = []
    for item in items:
        try:
            answers.append(_cancel(call, inst, item if by_id else None, None if by_id else item))
        except BinanceError as exc:
            answers.append(exc.to_body())
    return answers


def cancel_all(call: Call) -> dict[str, Any]:
    """DELETE /fapi/v1/allOpenOrders: Binance's acknowledgement whether or not anything was open."""
    inst = usdm_params.perpetual(call.sim, call.params)
    try:
        call.sim.futures.cancel_all(call.account_id, inst.symbol)
    except Rejected as rejected:
        if rejected.reason is not Reject.UNKNOWN_ORDER:  # nothing open: Binance acknowledges all the same
            raise rejects.answer(rejected, cancel=True) from None
    return dict(CANCEL_ALL_DONE)


# --- lists -----------------------------------------------------------------------------------------------------
def open_orders_weight(params: Params) -> int:
    return 1 if params.optional("symbol") is not None else 40


def open_orders(call: Call) -> list[dict[str, Any]]:
    futures = call.sim.futures
    inst = usdm_params.optional_perpetual(call.sim, call.params)
    orders = futures.open_orders(call.account_id, inst.symbol if inst else None)
    return [payloads.order_object(futures.instruments[order.symbol], order, time=True) for order in orders]


def all_orders(call: Call) -> list[dict[str, Any]]:
    params = call.params
    futures = call.sim.futures
    inst = usdm_params.perpetual(call.sim, params)
    from_id = params.integer("orderId")
    start, end = time_window(params, MAX_WINDOW_HOURS)
    limit = usdm_params.HISTORY_LIMIT.read(params)
    orders = futures.account(call.account_id).orders.get(inst.symbol, [])
    picked = [order for order in orders
              if (from_id is None or order.order_id >= from_id)
              and (start is None or order.time >= start) and (end is None or order.time <= end)]
    picked = picked[:limit] if from_id is not None or start is not None else picked[-limit:]
    return [payloads.order_object(inst, order, time=True) for order in picked]


def user_trades(call: Call) -> list[dict[str, Any]]:
    params = call.params
    futures = call.sim.futures
    inst = usdm_params.perpetual(call.sim, params)
    order_id = params.integer("orderId")
    from_id = params.integer("fromId")
    start, end = time_window(params, MAX_WINDOW_HOURS)
    limit = usdm_params.HISTORY_LIMIT.read(params)
    if from_id is not None and (start is not None or end is not None):
        raise errors.bad_combo()  # fromId cannot be sent with startTime or endTime
    history = futures.account(call.account_id).trades.get(inst.symbol, [])
    picked = [(trade, order) for trade, order in history
              if (order_id is None or order.order_id == order_id)
              and (from_id is None or trade.trade_id >= from_id)
              and (start is None or trade.time >= start) and (end is None or trade.time <= end)]
    picked = picked[:limit] if from_id is not None or start is not None else picked[-limit:]
    return [payloads.user_trade(inst, trade, order) for trade, order in picked]


def force_orders_weight(params: Params) -> int:
    return 20 if params.optional("symbol") is not None else 50


def force_orders(call: Call) -> list[dict[str, Any]]:
    """The account's liquidation orders (client ids `autoclose-...`), newest `limit` (default 50, at most 100)."""
    params = call.params
    futures = call.sim.futures
    inst = usdm_params.optional_perpetual(call.sim, params)
    kind = params.enum("autoCloseType", AUTO_CLOSE_TYPES)
    start, end = time_window(params, MAX_WINDOW_HOURS)
    limit = usdm_params.FORCE_ORDERS_LIMIT.read(params)
    if kind == "ADL":
        return []  # no auto-deleveraging here: the insurance fund absorbs what margin does not cover
    orders = [order for order in futures.force_orders_of(call.account_id, inst.symbol if inst else None)
              if (start is None or order.time >= start) and (end is None or order.time <= end)]
    return [payloads.order_object(futures.instruments[order.symbol], order, time=True) for order in orders[-limit:]]


def _endpoint(method: str, path: str, security: str, weight, handler) -> Endpoint:
    return Endpoint(method, path, security, weight, handler, venue=FUTURES)


ENDPOINTS = [
    _endpoint("POST", "/fapi/v1/order", TRADE, 0, new_order),
    _endpoint("POST", "/fapi/v1/order/test", TRADE, 0, test_order),
    _endpoint("GET", "/fapi/v1/order", USER_DATA, 1, query_order),
    _endpoint("DELETE", "/fapi/v1/order", TRADE, 1, cancel_order),
    _endpoint("PUT", "/fapi/v1/order", TRADE, 1, modify_order),
    _endpoint("POST", "/fapi/v1/batchOrders", TRADE, 5, batch_orders),
    _endpoint("DELETE", "/fapi/v1/batchOrders", TRADE, 1, cancel_batch),
    _endpoint("DELETE", "/fapi/v1/allOpenOrders", TRADE, 1, cancel_all),
    _endpoint("GET", "/fapi/v1/openOrder", USER_DATA, 1, open_order),
    _endpoint("GET", "/fapi/v1/openOrders", USER_DATA, open_orders_weight, open_orders),
    _endpoint("GET", "/fapi/v1/allOrders", USER_DATA, 5, all_orders),
    _endpoint("GET", "/fapi/v1/userTrades", USER_DATA, 5, user_trades),
    _endpoint("GET", "/fapi/v1/forceOrders", USER_DATA, force_orders_weight, force_orders),
]
