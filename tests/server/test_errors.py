"""Binance error answers: every constructor's status, code and exact message, and every engine rejection."""
from __future__ import annotations

import inspect

import pytest

from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.engine.rejection import Reject

# (constructor name, call, HTTP status, code, message)
CONSTRUCTORS = [
    ("not_found", lambda: errors.not_found(), 404, -1, "Unknown path."),
    ("unknown_error", lambda: errors.unknown_error(), 400, -1000,
     "An unknown error occurred while processing the request."),
    ("too_much_weight", lambda: errors.too_much_weight(6000, "1 MINUTE", 7), 429, -1003,
     "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. "
     "Please use WebSocket Streams for live updates to avoid polling the API."),
    ("ip_banned", lambda: errors.ip_banned(1700000120000, 120), 418, -1003,
     "Way too much request weight used; IP banned until 1700000120000. "
     "Please use WebSocket Streams for live updates to avoid bans."),
    ("backend_timeout", lambda: errors.backend_timeout(), 503, -1007,
     "Timeout waiting for response from backend server. Send status unknown; execution status unknown."),
    ("server_busy", lambda: errors.server_busy(), 503, -1008,
     "Server is currently overloaded with other requests. Please try again in a few minutes."),
    ("futures_throttled", lambda: errors.futures_throttled(), 503, -1008,
     "Request throttled by system-level protection. Reduce-only/close-position orders are exempt. Please try "
     "again."),
    ("injected_http_error", lambda: errors.injected_http_error(502), 502, -1000,
     "An unknown error occurred while processing the request."),
    ("filter_failure", lambda: errors.filter_failure("LOT_SIZE"), 400, -1013, "Filter failure: LOT_SIZE"),
    ("too_many_orders", lambda: errors.too_many_orders(100, "10 SECOND", 3), 429, -1015,
     "Too many new orders; current limit is 100 orders per 10 SECOND."),
    ("timestamp_outside_window", lambda: errors.timestamp_outside_window(), 400, -1021,
     "Timestamp for this request is outside of the recvWindow."),
    ("timestamp_ahead", lambda: errors.timestamp_ahead(), 400, -1021,
     "Timestamp for this request was 1000ms ahead of the server's time."),
    ("invalid_signature", lambda: errors.invalid_signature(), 400, -1022,
     "Signature for this request is not valid."),
    ("illegal_chars", lambda: errors.illegal_chars("orderId", "^[0-9]{1,20}$"), 400, -1100,
     "Illegal characters found in parameter 'orderId'; legal range is '^[0-9]{1,20}$'."),
    ("illegal_chars_in_request", lambda: errors.illegal_chars_in_request(), 400, -1100,
     "Illegal characters found in a parameter."),
    ("duplicate_parameter", lambda: errors.duplicate_parameter(), 400, -1101,
     "Duplicate values for a parameter detected."),
    ("too_many_parameters", lambda: errors.too_many_parameters(), 400, -1101,
     "Too many parameters sent for this endpoint."),
    ("mandatory_param", lambda: errors.mandatory_param("symbol"), 400, -1102,
     "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."),
    ("mandatory_one_of", lambda: errors.mandatory_one_of("orderId", "origClientOrderId"), 400, -1102,
     "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!"),
    ("param_not_required", lambda: errors.param_not_required("timeInForce"), 400, -1106,
     "Parameter 'timeInForce' sent when not required."),
    ("bad_precision", lambda: errors.bad_precision("price"), 400, -1111,
     "Parameter 'price' has too much precision."),
    ("invalid_tif", lambda: errors.invalid_tif(), 400, -1115, "Invalid timeInForce."),
    ("invalid_order_type", lambda: errors.invalid_order_type(), 400, -1116, "Invalid orderType."),
    ("invalid_side", lambda: errors.invalid_side(), 400, -1117, "Invalid side."),
    ("empty_new_client_order_id", lambda: errors.empty_new_client_order_id(), 400, -1118,
     "New client order ID was empty."),
    ("empty_orig_client_order_id", lambda: errors.empty_orig_client_order_id(), 400, -1119,
     "Original client order ID was empty."),
    ("bad_symbol", lambda: errors.bad_symbol(), 400, -1121, "Invalid symbol."),
    ("invalid_listen_key", lambda: errors.invalid_listen_key(), 400, -1125, "This listenKey does not exist."),
    ("more_than_hours", lambda: errors.more_than_hours(24), 400, -1127,
     "More than 24 hours between startTime and endTime."),
    ("bad_combo", lambda: errors.bad_combo(), 400, -1128, "Combination of optional parameters invalid."),
    ("invalid_parameter", lambda: errors.invalid_parameter("limit"), 400, -1130,
     "Data sent for parameter 'limit' is not valid."),
    ("bad_recv_window", lambda: errors.bad_recv_window(), 400, -1131, "recvWindow must be less than 60000"),
    ("invalid_cancel_restrictions", lambda: errors.invalid_cancel_restrictions(), 400, -1145,
     "cancelRestrictions has to be either ONLY_NEW or ONLY_PARTIALLY_FILLED."),
    ("insufficient_balance", lambda: errors.insufficient_balance(), 400, -2010,
     "Account has insufficient balance for requested action."),
    ("would_take", lambda: errors.would_take(), 400, -2010, "Order would immediately match and take."),
    ("duplicate_order", lambda: errors.duplicate_order(), 400, -2010, "Duplicate order sent."),
    ("market_closed", lambda: errors.market_closed(), 400, -2010, "Market is closed."),
    ("would_trigger", lambda: errors.would_trigger(), 400, -2010, "Order would trigger immediately."),
    ("price_qty_zero", lambda: errors.price_qty_zero(), 400, -2010, "Price * QTY is zero or less."),
    ("unsupported_order_combination", lambda: errors.unsupported_order_combination(), 400, -2010,
     "Unsupported order combination"),
    ("no_liquidity", lambda: errors.no_liquidity(), 400, -2010,
     "Order book liquidity is less than symbol minimum quantity."),
    ("unknown_order_cancel", lambda: errors.unknown_order_cancel(), 400, -2011, "Unknown order sent."),
    ("cancel_restricted", lambda: errors.cancel_restricted(), 400, -2011,
     "Order was not canceled due to cancel restrictions."),
    ("no_such_order", lambda: errors.no_such_order(), 400, -2013, "Order does not exist."),
    ("bad_api_key_format", lambda: errors.bad_api_key_format(), 401, -2014, "API-key format invalid."),
    ("bad_api_key", lambda: errors.bad_api_key(), 401, -2015, "Invalid API-key, IP, or permissions for action."),
    ("amend_not_supported", lambda: errors.amend_not_supported(), 400, -2038,
     "Order amend (quantity increase) is not supported."),
    ("client_order_id_mismatch", lambda: errors.client_order_id_mismatch(), 400, -2039,
     "Client order ID is not correct for this order ID."),
]


@pytest.mark.parametrize(("name", "make", "status", "code", "msg"), CONSTRUCTORS, ids=[c[0] for c in CONSTRUCTORS])
def test_constructor_gives_binance_status_code_and_exact_message(name, make, status, code, msg):
    error = make()
    assert isinstance(error, BinanceError)
    assert (error.status, error.code, error.msg) == (status, code, msg)
    assert error.to_body() == {"code": code, "msg": msg}


def test_every_public_constructor_is_in_the_table():
    public = {
        name
        for name, function in inspect.getmembers(errors, inspect.isfunction)
        if function.__module__ == errors.__name__ and not name.startswith("_") and name != "from_reject"
    }
    assert public == {row[0] for row in CONSTRUCTORS}


@pytest.mark.parametrize(
    ("make", "retry_after"),
    [
        (lambda: errors.too_much_weight(6000, "1 MINUTE", 7), "7"),
        (lambda: errors.ip_banned(1700000120000, 120), "120"),
        (lambda: errors.too_many_orders(100, "10 SECOND", 3), "3"),
    ],
)
def test_rate_limit_errors_carry_retry_after(make, retry_after):
    assert make().headers == {"Retry-After": retry_after}


def test_other_errors_carry_no_headers_and_do_not_share_them():
    first, second = errors.bad_symbol(), errors.bad_symbol()
    first.headers["X"] = "1"
    assert second.headers == {}


# --- engine rejections ------------------------------------------------------------------------------------
REJECTS = {
    Reject.PRICE_FILTER: (-1013, "Filter failure: PRICE_FILTER"),
    Reject.LOT_SIZE: (-1013, "Filter failure: LOT_SIZE"),
    Reject.MARKET_LOT_SIZE: (-1013, "Filter failure: MARKET_LOT_SIZE"),
    Reject.NOTIONAL: (-1013, "Filter failure: NOTIONAL"),
    Reject.PERCENT_PRICE_BY_SIDE: (-1013, "Filter failure: PERCENT_PRICE_BY_SIDE"),
    Reject.MAX_NUM_ORDERS: (-1013, "Filter failure: MAX_NUM_ORDERS"),
    Reject.BAD_PRECISION: (-1111, "Parameter 'quantity' has too much precision."),
    Reject.PRICE_QTY_ZERO: (-2010, "Price * QTY is zero or less."),
    Reject.INSUFFICIENT_BALANCE: (-2010, "Account has insufficient balance for requested action."),
    Reject.WOULD_TAKE: (-2010, "Order would immediately match and take."),
    Reject.WOULD_TRIGGER_IMMEDIATELY: (-2010, "Order would trigger immediately."),
    Reject.DUPLICATE_CLIENT_ORDER_ID: (-2010, "Duplicate order sent."),
    Reject.MARKET_CLOSED: (-2010, "Market is closed."),
    Reject.NO_LIQUIDITY: (-2010, "Order book liquidity is less than symbol minimum quantity."),
    Reject.STP_MODE_NOT_ALLOWED: (-1130, "Data sent for parameter 'selfTradePreventionMode' is not valid."),
    Reject.INVALID_ORDER: (-2010, "Unsupported order combination"),
    Reject.UNKNOWN_SYMBOL: (-1121, "Invalid symbol."),
    Reject.UNKNOWN_ACCOUNT: (-2015, "Invalid API-key, IP, or permissions for action."),
    Reject.UNKNOWN_ORDER: (-2013, "Order does not exist."),
    Reject.CLIENT_ID_MISMATCH: (-2039, "Client order ID is not correct for this order ID."),
    Reject.CANCEL_RESTRICTED: (-2011, "Order was not canceled due to cancel restrictions."),
    Reject.INVALID_AMEND: (-2038, "Order amend (quantity increase) is not supported."),
    Reject.INVALID_AMOUNT: (-1130, "Data sent for parameter 'amount' is not valid."),
}


def test_the_reject_table_covers_every_engine_reason():
    assert set(REJECTS) == set(Reject)


@pytest.mark.parametrize("reason", list(Reject), ids=lambda reason: reason.name)
def test_from_reject_maps_each_reason(reason):
    error = errors.from_reject(reason, param="quantity")
    assert (error.code, error.msg) == REJECTS[reason]
    assert error.status == (401 if error.code == -2015 else 400)


def test_unknown_order_on_a_cancel_is_unknown_order_sent():
    error = errors.from_reject(Reject.UNKNOWN_ORDER, cancel=True)
    assert (error.status, error.code, error.msg) == (400, -2011, "Unknown order sent.")


def test_cancel_flag_changes_nothing_but_unknown_order():
    error = errors.from_reject(Reject.CANCEL_RESTRICTED, cancel=True)
    assert (error.code, error.msg) == (-2011, "Order was not canceled due to cancel restrictions.")
    assert errors.from_reject(Reject.INSUFFICIENT_BALANCE, cancel=True).code == -2010


def test_bad_precision_names_the_parameter_it_is_given():
    error = errors.from_reject(Reject.BAD_PRECISION, param="price")
    assert error.msg == "Parameter 'price' has too much precision."
    with pytest.raises(ValueError):
        errors.from_reject(Reject.BAD_PRECISION)
