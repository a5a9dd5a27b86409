"""Spot signed endpoints (TRADE / USER_DATA) and the listenKey endpoints (USER_STREAM).

Every lookup is scoped to the API key's account: an order id of another account is simply not found (-2013 on a
query, -2011 on a cancel), exactly like an id that never existed.
"""
from __future__ import annotations

from typing import Any

from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.spot import orders as spot_orders, params as spot_params, payloads as spot_payloads
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.dialects.binance.wire.rest import (TRADE, USER_DATA, USER_STREAM, BinanceErrorWithData, Call,
                                             Endpoint)
from simulator.dialects.binance.wire.params import Params
from simulator.engine.instrument import Instrument
from simulator.engine.rejection import Rejected

HISTORY_LIMIT = spot_params.Limit(default=500, maximum=1000)  # allOrders, myTrades
MAX_WINDOW_HOURS = 24
CANCEL_RESTRICTIONS = ("ONLY_NEW", "ONLY_PARTIALLY_FILLED")
CANCEL_REPLACE_MODES = ("STOP_ON_FAILURE", "ALLOW_FAILURE")
RATE_LIMIT_EXCEEDED_MODES = ("DO_NOTHING", "CANCEL_ONLY")


# --- helpers -----------------------------------------------------------------------------------------------
def _order_ids(params: Params, id_name: str, client_name: str) -> tuple[int | None, str | None]:
    """orderId / origClientOrderId (or the cancelReplace names): at least one, else -1102."""
    order_id = params.integer(id_name)
    client_id = params.client_order_id(client_name)
    if order_id is None and client_id is None:
        raise errors.mandatory_one_of(client_name, id_name)
    return order_id, client_id


def _cancel(call: Call, inst: Instrument, order_id: int | None, client_id: str | None,
            cancel_client_id: str | None, restriction: str | None) -> dict[str, Any]:
    """Cancel the account's order (found as the engine's find_order finds it) and render Binance's answer."""
    # control plane hook: a fill_during_cancel fault fills the order first
    call.sim.faults.before_cancel(call.account_id, inst.symbol, order_id, client_id)
    try:
        result = call.sim.engine.cancel_order(call.account_id, inst.symbol, order_id, client_id,
                                              cancel_client_id or "", restriction)
    except Rejected as rejected:
        raise spot_orders.reject(rejected, cancel=True) from None
    return spot_payloads.canceled_order(result.order, inst, result.cancel_client_id)


# --- orders ------------------------------------------------------------------------------------------------
def new_order(call: Call) -> dict[str, Any]:
    order = spot_orders.parse(call.sim.engine, call.params)
    call.charge_order()
    return order.render(order.place(call.sim.engine, call.account_id))


def test_order_weight(params: Params) -> int:
    return 20 if params.boolean("computeCommissionRates") else 1


def test_order(call: Call) -> dict[str, Any]:
    order = spot_orders.parse(call.sim.engine, call.params)
    compute = call.params.boolean("computeCommissionRates")
    order.test(call.sim.engine, call.account_id)
    if not compute:
        return {}
    engine = call.sim.engine
    tier = engine.fees.tier(engine.account(call.account_id).fee_tier)
    return {
        "standardCommissionForOrder": spot_payloads.commission_rates(tier, buyer_seller=False),
        "specialCommissionForOrder": spot_payloads.commission_rates(None, buyer_seller=False),
        "taxCommissionForOrder": spot_payloads.commission_rates(None, buyer_seller=False),
        "discount": spot_payloads.no_discount(),
    }


def query_order(call: Call) -> dict[str, Any]:
    inst = spot_params.symbol(call.sim.engine, call.params)
    order_id, client_id = _order_ids(call.params, "orderId", "origClientOrderId")
    try:
        order = call.sim.engine.find_order(call.account_id, inst.symbol, order_id, client_id)
    except Rejected as rejected:
        raise spot_orders.reject(rejected) from None
    return spot_payloads.query_order(order, inst)


def cancel_order(call: Call) -> dict[str, Any]:
    params = call.params
    inst = spot_params.symbol(call.sim.engine, params)
    order_id, client_id = _order_ids(params, "orderId", "origClientOrderId")
    cancel_client_id = params.client_order_id("newClientOrderId")
    restriction = params.enum("cancelRestrictions", CANCEL_RESTRICTIONS, errors.invalid_cancel_restrictions)
    return _cancel(call, inst, order_id, client_id, cancel_client_id, restriction)


def amend_order(call: Call) -> dict[str, Any]:
    """Order Amend Keep Priority: reduce an open order's quantity in place (engine.amend_order).

    newQty must be above 0 and below the order's quantity (and above what already filled): -2038 otherwise;
    off the LOT_SIZE grid -1013, more decimals than the base asset has -1111. An unknown order (or another
    account's) is -2013. Without newClientOrderId the order gets a random new client order id, as on Binance.
    Unfilled order count 0: nothing is charged to the ORDERS pools.
    """
    params, engine = call.params, call.sim.engine
    inst = spot_params.symbol(engine, params)
    order_id, client_id = _order_ids(params, "orderId", "origClientOrderId")
    new_client_id = params.client_order_id("newClientOrderId")
    new_qty = _new_qty(params, inst)
    try:
        result = engine.amend_order(call.account_id, inst.symbol, new_qty, order_id, client_id,
                                    new_client_id=new_client_id if new_client_id is not None else "")
    except Rejected as rejected:
        raise errors.from_reject(rejected.reason, param="newQty") from None
    # executionId: the REPLACED update's sequence number, the `I` of its executionReport
    return spot_payloads.amended_order(result.order, inst, result.previous_client_id, result.order.update_time,
                                       result.update_seq)


def _new_qty(params: Params, inst: Instrument) -> int:
    """newQty in base atoms: -1102 absent, -1100 not a plain decimal, -1111 too many decimals."""
    value = params.decimal("newQty", required=True)
    if spot_params.decimal_digits(value) > inst.base_precision:
        raise errors.bad_precision("newQty")
    try:
        return inst.parse_qty(value)
    except Rejected:
        raise errors.bad_precision("newQty") from None


def open_orders_weight(params: Params) -> int:
    return 6 if params.optional("symbol") is not None else 80


def open_orders(call: Call) -> list[dict[str, Any]]:
    engine = call.sim.engine
    inst = spot_params.optional_symbol(engine, call.params)
    orders = engine.open_orders(call.account_id, inst.symbol if inst else None)
    return [spot_payloads.query_order(order, engine.instruments[order.symbol]) for order in orders]


def cancel_open_orders(call: Call) -> list[dict[str, Any]]:
    engine = call.sim.engine
    inst = spot_params.symbol(engine, call.params)
    try:
        result = engine.cancel_all(call.account_id, inst.symbol)
    except Rejected as rejected:
        raise spot_orders.reject(rejected, cancel=True) from None
    return [spot_payloads.canceled_order(order, inst, cancel_client_id)
            for order, cancel_client_id in zip(result.orders, result.cancel_client_ids)]


def all_orders(call: Call) -> list[dict[str, Any]]:
    params = call.params
    engine = call.sim.engine
    inst = spot_params.symbol(engine, params)
    from_id = params.integer("orderId")
    start, end = spot_params.time_window(params, MAX_WINDOW_HOURS)
    limit = HISTORY_LIMIT.read(params)
    orders = engine.account(call.account_id).orders.get(inst.symbol, [])
    picked = [order for order in orders
              if (from_id is None or order.order_id >= from_id)
              and (start is None or order.time >= start) and (end is None or order.time <= end)]
    picked = picked[:limit] if from_id is not None or start is not None else picked[-limit:]
    return [spot_payloads.query_order(order, inst) for order in picked]


def my_trades_weight(params: Params) -> int:
    return 5 if params.optional("orderId") is not None else 20


def my_trades(call: Call) -> list[dict[str, Any]]:
    params = call.params
    engine = call.sim.engine
    inst = spot_params.symbol(engine, params)
    order_id = params.integer("orderId")
    from_id = params.integer("fromId")
    start, end = spot_params.time_window(params, MAX_WINDOW_HOURS)
    limit = HISTORY_LIMIT.read(params)
    timed = start is not None or end is not None
    if timed and (order_id is not None or from_id is not None):
        raise errors.bad_combo()  # allowed: orderId [+ fromId], or startTime/endTime, or fromId alone
    history = engine.account(call.account_id).trades.get(inst.symbol, [])
    picked = [(trade, order) for trade, order in history
              if (order_id is None or order.order_id == order_id)
              and (from_id is None or trade.trade_id >= from_id)
              and (start is None or trade.time >= start) and (end is None or trade.time <= end)]
    picked = picked[:limit] if from_id is not None or start is not None else picked[-limit:]
    return [spot_payloads.my_trade(trade, order, inst) for trade, order in picked]


# --- cancelReplace -----------------------------------------------------------------------------------------
def cancel_replace_failed(data: dict[str, Any], status: int = 400) -> BinanceError:
    return BinanceErrorWithData(status, -2022, "Order cancel-replace failed.", data)


def cancel_replace_partly_failed(data: dict[str, Any], status: int = 409) -> BinanceError:
    return BinanceErrorWithData(status, -2021, "Order cancel-replace partially failed.", data)


def cancel_replace(call: Call) -> dict[str, Any]:
    """Cancel one order and place another on the same symbol (reference: Binance's cancelReplace table).

    The engine's cancel_replace decides what happens (the new order's filters first, then the cancel, then the
    placement unless the cancel failed under STOP_ON_FAILURE); this translates. The order count is charged once
    the filters passed, before the cancel: over the limit, DO_NOTHING refuses the whole request and
    CANCEL_ONLY cancels without placing.
    """
    params, engine = call.params, call.sim.engine
    new = spot_orders.parse(engine, params)
    mode = params.enum("cancelReplaceMode", CANCEL_REPLACE_MODES, required=True)
    order_id, client_id = _order_ids(params, "cancelOrderId", "cancelOrigClientOrderId")
    cancel_client_id = params.client_order_id("cancelNewClientOrderId")
    restriction = params.enum("cancelRestrictions", CANCEL_RESTRICTIONS, errors.invalid_cancel_restrictions)
    limit_mode = params.enum("orderRateLimitExceededMode", RATE_LIMIT_EXCEEDED_MODES) or "DO_NOTHING"
    over_limit: BinanceError | None = None

    def before_cancel() -> bool:
        nonlocal over_limit
        try:
            call.charge_order()
        except BinanceError as exc:
            if limit_mode == "DO_NOTHING":
                raise
            over_limit = exc
        # control plane hook: a fill_during_cancel fault fills the order first
        call.sim.faults.before_cancel(call.account_id, new.inst.symbol, order_id, client_id)
        return over_limit is None

    try:
        result = engine.cancel_replace(
            call.account_id, new.inst.symbol, **new.engine_kwargs(), cancel_order_id=order_id,
            cancel_client_id=client_id, cancel_new_client_id=cancel_client_id or "", restriction=restriction,
            mode=mode, before_cancel=before_cancel)
    except Rejected as rejected:  # the new order failed its filters: nothing was cancelled
        raise spot_orders.reject(rejected) from None

    cancel_error = spot_orders.reject(result.cancel_reject, cancel=True) if result.cancel_reject else None
    data: dict[str, Any] = {
        "cancelResult": "FAILURE" if cancel_error else "SUCCESS",
        "newOrderResult": "NOT_ATTEMPTED",
        "cancelResponse": cancel_error.to_body() if cancel_error else spot_payloads.canceled_order(
            result.cancel.order, new.inst, result.cancel.cancel_client_id),
        "newOrderResponse": None,
    }
    if over_limit is not None:  # CANCEL_ONLY: the cancel ran, the new order may not
        data["newOrderResult"] = "FAILURE" if cancel_error is None else "NOT_ATTEMPTED"
        data["newOrderResponse"] = over_limit.to_body()
        error = cancel_replace_failed if cancel_error else cancel_replace_partly_failed
        failure = error(data, 429)
        failure.headers.update(over_limit.headers)
        raise failure
    if result.placed is None and result.place_reject is None:  # STOP_ON_FAILURE after a failed cancel
        raise cancel_replace_failed(data)
    if result.placed is not None:
        data["newOrderResponse"] = new.render(result.placed)
        data["newOrderResult"] = "SUCCESS"
        if cancel_error is None:
            return data
    else:
        data["newOrderResponse"] = spot_orders.reject(result.place_reject).to_body()
        data["newOrderResult"] = "FAILURE"
    call.success_headers.clear()
    if cancel_error is not None and result.placed is None:
        raise cancel_replace_failed(data)
    raise cancel_replace_partly_failed(data)


# --- account -----------------------------------------------------------------------------------------------
def account_info(call: Call) -> dict[str, Any]:
    sim = call.sim
    omit_zero = call.params.boolean("omitZeroBalances")
    account = sim.engine.account(call.account_id)
    assets: dict[str, None] = {}
    for inst in sim.engine.instruments.values():
        assets[inst.base] = assets[inst.quote] = None
    assets.update(dict.fromkeys(account.balances))
    balances = []
    for asset in assets:
        free, locked = account.balances.get(asset, (0, 0))
        if omit_zero and not free and not locked:
            continue
        balances.append({"asset": asset, "free": sim.format_amount(asset, free),
                         "locked": sim.format_amount(asset, locked)})
    tier = sim.engine.fees.tier(account.fee_tier)
    return spot_payloads.account(account, tier, balances)


# --- listenKeys --------------------------------------------------------------------------------------------
def new_listen_key(call: Call) -> dict[str, str]:
    return {"listenKey": call.sim.wire.listen_keys.create(call.account_id, call.sim.clock.now_ms())}


def keepalive_listen_key(call: Call) -> dict:
    key = call.params.required("listenKey")
    if not call.sim.wire.listen_keys.keepalive(key, call.account_id, call.sim.clock.now_ms()):
        raise errors.invalid_listen_key()
    return {}


def close_listen_key(call: Call) -> dict:
    key = call.params.required("listenKey")
    if not call.sim.wire.listen_keys.close(key, call.account_id, call.sim.clock.now_ms()):
        raise errors.invalid_listen_key()
    return {}


ENDPOINTS = [
    Endpoint("POST", "/api/v3/order", TRADE, 1, new_order),
    Endpoint("POST", "/api/v3/order/test", TRADE, test_order_weight, test_order),
    Endpoint("GET", "/api/v3/order", USER_DATA, 4, query_order),
    Endpoint("DELETE", "/api/v3/order", TRADE, 1, cancel_order),
    Endpoint("POST", "/api/v3/order/cancelReplace", TRADE, 1, cancel_replace),
    Endpoint("PUT", "/api/v3/order/amend/keepPriority", TRADE, 4, amend_order),
    Endpoint("GET", "/api/v3/openOrders", USER_DATA, open_orders_weight, open_orders),
    Endpoint("DELETE", "/api/v3/openOrders", TRADE, 1, cancel_open_orders),
    Endpoint("GET", "/api/v3/allOrders", USER_DATA, 20, all_orders),
    Endpoint("GET", "/api/v3/myTrades", USER_DATA, my_trades_weight, my_trades),
    Endpoint("GET", "/api/v3/account", USER_DATA, 20, account_info),
    Endpoint("POST", "/api/v3/userDataStream", USER_STREAM, 2, new_listen_key),
    Endpoint("PUT", "/api/v3/userDataStream", USER_STREAM, 2, keepalive_listen_key),
    Endpoint("DELETE", "/api/v3/userDataStream", USER_STREAM, 2, close_listen_key),
]
