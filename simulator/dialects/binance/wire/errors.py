"""Binance error answers: HTTP status, numeric code and message, spelled exactly as Binance spells them.

Every failure the Binance dialect reports is a `BinanceError`. Handlers raise one of the named constructors
below and the server turns it into `status` + `{"code": ..., "msg": ...}` (+ `headers`). Clients match some
messages literally (ccxt: "Account has insufficient balance for requested action." -> InsufficientFunds), so
the wording here is copied from Binance's spot `errors.md` and must not be "improved".

HTTP status rules (reference §1.6): 400 for every request and business rejection, 401 for the API-key errors
-2014/-2015, 429 for rate limits (-1003 weight, -1015 orders), 418 for an IP ban (-1003), 503 for the
"execution status unknown" family (-1007, -1008). Unknown paths are our own choice, see `not_found`.

`from_reject` translates the engine's dialect-free `Reject` reasons into these answers.
"""
from __future__ import annotations

from collections.abc import Mapping

from simulator.engine.rejection import Reject


class BinanceError(Exception):
    """A Binance error response: `status` (HTTP), `code` (negative int), `msg`, plus extra response headers."""

    def __init__(self, status: int, code: int, msg: str, headers: Mapping[str, str] | None = None):
        super().__init__(f"{status} {code} {msg}")
        self.status = status
        self.code = code
        self.msg = msg
        self.headers: dict[str, str] = dict(headers or {})

    def to_body(self) -> dict[str, int | str]:
        """The JSON body Binance sends: {"code": -1121, "msg": "Invalid symbol."}."""
        return {"code": self.code, "msg": self.msg}


def _bad_request(code: int, msg: str) -> BinanceError:
    return BinanceError(400, code, msg)


# --- not Binance's: unknown paths ----------------------------------------------------------------------
def not_found() -> BinanceError:
    """Unknown path or method.

    Binance answers these with a bare, non-JSON 404; the design asks for a JSON 404 instead. Code -1 is used by
    no real Binance error, so a client mapping codes to exceptions cannot mistake it for one.
    """
    return BinanceError(404, -1, "Unknown path.")


# --- 10xx: general server or network issues ------------------------------------------------------------
def unknown_error() -> BinanceError:
    return _bad_request(-1000, "An unknown error occurred while processing the request.")


def too_much_weight(limit: int, interval: str, retry_after_s: int) -> BinanceError:
    """429 -1003. `interval` reads like Binance's, e.g. "1 MINUTE"."""
    return BinanceError(
        429,
        -1003,
        f"Too much request weight used; current limit is {limit} request weight per {interval}. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
        {"Retry-After": str(retry_after_s)},
    )


def ip_banned(until_ms: int, retry_after_s: int) -> BinanceError:
    """418 -1003: the IP kept sending after a 429 and is banned until `until_ms` (epoch milliseconds)."""
    return BinanceError(
        418,
        -1003,
        f"Way too much request weight used; IP banned until {until_ms}. "
        "Please use WebSocket Streams for live updates to avoid bans.",
        {"Retry-After": str(retry_after_s)},
    )


def backend_timeout() -> BinanceError:
    """503 -1007: the order may or may not have been executed (a 5xx means "execution status unknown")."""
    return BinanceError(
        503,
        -1007,
        "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
    )


def server_busy() -> BinanceError:
    """503 -1008: refused before execution."""
    return BinanceError(
        503, -1008, "Server is currently overloaded with other requests. Please try again in a few minutes."
    )


def futures_throttled() -> BinanceError:
    """503 -1008 as USD-M futures words it (reference §7.7): refused before execution."""
    return BinanceError(503, -1008, "Request throttled by system-level protection. Reduce-only/close-position "
                                    "orders are exempt. Please try again.")


def injected_http_error(status: int, code: int | None = None, msg: str | None = None) -> BinanceError:
    """What an http_error fault answers: Binance's body for that status unless the fault spells its own."""
    default = server_busy() if status == 503 else unknown_error()
    return BinanceError(status, default.code if code is None else code, default.msg if msg is None else msg)


def filter_failure(filter_type: str) -> BinanceError:
    """-1013 "Filter failure: LOT_SIZE" and friends (reference §3.2)."""
    return _bad_request(-1013, f"Filter failure: {filter_type}")


def too_many_orders(limit: int, interval: str, retry_after_s: int) -> BinanceError:
    """429 -1015. `interval` reads like Binance's, e.g. "10 SECOND"."""
    return BinanceError(
        429,
        -1015,
        f"Too many new orders; current limit is {limit} orders per {interval}.",
        {"Retry-After": str(retry_after_s)},
    )


def timestamp_outside_window() -> BinanceError:
    return _bad_request(-1021, "Timestamp for this request is outside of the recvWindow.")


def timestamp_ahead() -> BinanceError:
    return _bad_request(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")


def invalid_signature() -> BinanceError:
    return _bad_request(-1022, "Signature for this request is not valid.")


# --- 11xx: request issues -----------------------------------------------------------------------------
def illegal_chars(name: str, legal_range: str) -> BinanceError:
    return _bad_request(-1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal_range}'.")


def illegal_chars_in_request() -> BinanceError:
    """-1100 without a parameter name: the request bytes themselves could not be decoded."""
    return _bad_request(-1100, "Illegal characters found in a parameter.")


def duplicate_parameter() -> BinanceError:
    return _bad_request(-1101, "Duplicate values for a parameter detected.")


def too_many_parameters() -> BinanceError:
    return _bad_request(-1101, "Too many parameters sent for this endpoint.")


def mandatory_param(name: str) -> BinanceError:
    return _bad_request(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def mandatory_one_of(first: str, second: str) -> BinanceError:
    return _bad_request(-1102, f"Param '{first}' or '{second}' must be sent, but both were empty/null!")


def param_not_required(name: str) -> BinanceError:
    return _bad_request(-1106, f"Parameter '{name}' sent when not required.")


def bad_precision(name: str) -> BinanceError:
    return _bad_request(-1111, f"Parameter '{name}' has too much precision.")


def invalid_tif() -> BinanceError:
    return _bad_request(-1115, "Invalid timeInForce.")


def invalid_order_type() -> BinanceError:
    return _bad_request(-1116, "Invalid orderType.")


def invalid_side() -> BinanceError:
    return _bad_request(-1117, "Invalid side.")


def empty_new_client_order_id() -> BinanceError:
    return _bad_request(-1118, "New client order ID was empty.")


def empty_orig_client_order_id() -> BinanceError:
    return _bad_request(-1119, "Original client order ID was empty.")


def bad_symbol() -> BinanceError:
    return _bad_request(-1121, "Invalid symbol.")


def invalid_listen_key() -> BinanceError:
    return _bad_request(-1125, "This listenKey does not exist.")


def more_than_hours(hours: int) -> BinanceError:
    return _bad_request(-1127, f"More than {hours} hours between startTime and endTime.")


def bad_combo() -> BinanceError:
    return _bad_request(-1128, "Combination of optional parameters invalid.")


def invalid_parameter(name: str) -> BinanceError:
    return _bad_request(-1130, f"Data sent for parameter '{name}' is not valid.")


def bad_recv_window() -> BinanceError:
    return _bad_request(-1131, "recvWindow must be less than 60000")


def invalid_cancel_restrictions() -> BinanceError:
    return _bad_request(-1145, "cancelRestrictions has to be either ONLY_NEW or ONLY_PARTIALLY_FILLED.")


# --- 20xx: order, cancel and authentication -----------------------------------------------------------
def insufficient_balance() -> BinanceError:
    return _bad_request(-2010, "Account has insufficient balance for requested action.")


def would_take() -> BinanceError:
    """A LIMIT_MAKER order that would match."""
    return _bad_request(-2010, "Order would immediately match and take.")


def duplicate_order() -> BinanceError:
    return _bad_request(-2010, "Duplicate order sent.")


def market_closed() -> BinanceError:
    return _bad_request(-2010, "Market is closed.")


def would_trigger() -> BinanceError:
    return _bad_request(-2010, "Order would trigger immediately.")


def price_qty_zero() -> BinanceError:
    return _bad_request(-2010, "Price * QTY is zero or less.")


def unsupported_order_combination() -> BinanceError:
    # No trailing period: Binance's -2010 wording (the -1014 variant has one).
    return _bad_request(-2010, "Unsupported order combination")


def no_liquidity() -> BinanceError:
    return _bad_request(-2010, "Order book liquidity is less than symbol minimum quantity.")


def unknown_order_cancel() -> BinanceError:
    return _bad_request(-2011, "Unknown order sent.")


def cancel_restricted() -> BinanceError:
    return _bad_request(-2011, "Order was not canceled due to cancel restrictions.")


def no_such_order() -> BinanceError:
    return _bad_request(-2013, "Order does not exist.")


def bad_api_key_format() -> BinanceError:
    return BinanceError(401, -2014, "API-key format invalid.")


def bad_api_key() -> BinanceError:
    return BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")


def amend_not_supported() -> BinanceError:
    """-2038 ORDER_AMEND_KEEP_PRIORITY_REJECTED: an amend may only reduce the quantity."""
    return _bad_request(-2038, "Order amend (quantity increase) is not supported.")


def client_order_id_mismatch() -> BinanceError:
    """Both orderId and origClientOrderId were sent and they name different orders."""
    return _bad_request(-2039, "Client order ID is not correct for this order ID.")


# --- engine rejections ----------------------------------------------------------------------------------
_FILTER_REJECTS = (
    Reject.PRICE_FILTER,
    Reject.LOT_SIZE,
    Reject.MARKET_LOT_SIZE,
    Reject.NOTIONAL,
    Reject.PERCENT_PRICE_BY_SIDE,
    Reject.MAX_NUM_ORDERS,
)

_REJECT_ANSWERS = {
    Reject.PRICE_QTY_ZERO: price_qty_zero,
    Reject.INSUFFICIENT_BALANCE: insufficient_balance,
    Reject.WOULD_TAKE: would_take,
    Reject.WOULD_TRIGGER_IMMEDIATELY: would_trigger,
    Reject.DUPLICATE_CLIENT_ORDER_ID: duplicate_order,
    Reject.MARKET_CLOSED: market_closed,
    # Binance spot lets a MARKET order on an empty book expire; our engine refuses it, and Binance's nearest
    # wording is the one it uses for a quote-sized market order on an empty book.
    Reject.NO_LIQUIDITY: no_liquidity,
    Reject.STP_MODE_NOT_ALLOWED: lambda: invalid_parameter("selfTradePreventionMode"),
    # Parameters the dialect should have caught: Binance's engine says this for inconsistent combinations.
    Reject.INVALID_ORDER: unsupported_order_combination,
    Reject.UNKNOWN_SYMBOL: bad_symbol,
    # An API key whose account no longer exists is, to the client, a key that is not valid.
    Reject.UNKNOWN_ACCOUNT: bad_api_key,
    Reject.UNKNOWN_ORDER: no_such_order,
    Reject.CLIENT_ID_MISMATCH: client_order_id_mismatch,
    Reject.CANCEL_RESTRICTED: cancel_restricted,
    Reject.INVALID_AMEND: amend_not_supported,
    # Only the control plane moves money in and out; Binance has no code for it.
    Reject.INVALID_AMOUNT: lambda: invalid_parameter("amount"),
}


def from_reject(reason: Reject, *, cancel: bool = False, param: str | None = None) -> BinanceError:
    """The Binance answer for an engine rejection.

    `cancel=True` is for cancel endpoints, where an unknown order is -2011 "Unknown order sent." instead of
    -2013 "Order does not exist.". `param` names the parameter for BAD_PRECISION (-1111 needs a name); the
    caller knows which string it asked the engine to parse.
    """
    if reason in _FILTER_REJECTS:
        return filter_failure(reason.value)
    if reason is Reject.BAD_PRECISION:
        if param is None:
            raise ValueError("BAD_PRECISION needs the name of the parameter that was too precise")
        return bad_precision(param)
    if cancel and reason is Reject.UNKNOWN_ORDER:
        return unknown_order_cancel()
    return _REJECT_ANSWERS[reason]()
