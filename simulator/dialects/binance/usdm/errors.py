"""USD-M futures error answers (reference §7.7): the codes and messages /fapi uses where spot's differ or do not
exist. The codes shared with spot (-1003, -1015, -1021, -1022, -1102, -1106, -1121, -1128, -1130, -2011, -2013,
-2014, -2015) come from wire.errors unchanged.

Messages are copied as ccxt and Binance's docs quote them; clients match some of them literally. Where the
reference marks a message as paraphrased (-4003, -4004, -4005, -4028), Binance's own wording from its futures
error list is used.
"""
from __future__ import annotations

from simulator.dialects.binance.wire.errors import BinanceError


def _bad_request(code: int, msg: str) -> BinanceError:
    return BinanceError(400, code, msg)


# --- 11xx: request issues that read differently on futures ------------------------------------------------
def bad_precision() -> BinanceError:
    return _bad_request(-1111, "Precision is over the maximum defined for this asset.")


def invalid_order_type() -> BinanceError:
    return _bad_request(-1116, "Invalid orderType.")


def invalid_side() -> BinanceError:
    return _bad_request(-1117, "Invalid side.")


def invalid_tif() -> BinanceError:
    return _bad_request(-1115, "Invalid timeInForce.")


def invalid_listen_key() -> BinanceError:
    return _bad_request(-1125, "This listenKey does not exist.")


# --- 20xx: orders -------------------------------------------------------------------------------------------
def balance_insufficient() -> BinanceError:
    return _bad_request(-2018, "Balance is insufficient")


def margin_insufficient() -> BinanceError:
    return _bad_request(-2019, "Margin is insufficient.")


def unable_to_fill() -> BinanceError:
    return _bad_request(-2020, "Unable to fill.")


def would_trigger() -> BinanceError:
    return _bad_request(-2021, "Order would immediately trigger.")


def reduce_only_rejected() -> BinanceError:
    return _bad_request(-2022, "ReduceOnly Order is rejected.")


def position_not_sufficient() -> BinanceError:
    return _bad_request(-2024, "Position is not sufficient.")


def max_open_orders() -> BinanceError:
    return _bad_request(-2025, "Reach max open order limit.")


def max_position() -> BinanceError:
    return _bad_request(-2027, "Exceeded the maximum allowable position at current leverage.")


def leverage_too_small() -> BinanceError:
    return _bad_request(-2028, "Leverage is smaller than permitted: insufficient margin balance")


# --- 4xxx: futures parameters and rules ----------------------------------------------------------------------
def quantity_not_positive() -> BinanceError:
    return _bad_request(-4003, "Quantity less than or equal to zero.")


def quantity_below_min() -> BinanceError:
    return _bad_request(-4004, "Quantity less than min quantity.")


def quantity_above_max() -> BinanceError:
    return _bad_request(-4005, "Quantity greater than max quantity.")


def price_below_min() -> BinanceError:
    return _bad_request(-4013, "Price less than min price.")


def price_not_on_tick() -> BinanceError:
    return _bad_request(-4014, "Price not increased by tick size.")


def invalid_client_order_id() -> BinanceError:
    return _bad_request(-4015, "Client order id is not valid.")


def price_above_max() -> BinanceError:
    return _bad_request(-4016, "Price is over the maximum defined for this asset.")


def quantity_not_on_step() -> BinanceError:
    return _bad_request(-4023, "Qty not increased by step size.")


def invalid_leverage() -> BinanceError:
    return _bad_request(-4028, "Leverage is not valid.")


def margin_type_unchanged() -> BinanceError:
    return _bad_request(-4046, "No need to change margin type.")


def margin_type_open_orders() -> BinanceError:
    return _bad_request(-4047, "Margin type cannot be changed if there exists open orders.")


def margin_type_position() -> BinanceError:
    return _bad_request(-4048, "Margin type cannot be changed if there exists position.")


def position_side_unchanged() -> BinanceError:
    return _bad_request(-4059, "No need to change position side.")


def invalid_position_side() -> BinanceError:
    return _bad_request(-4061, "Order's position side does not match user's setting.")


def position_side_open_orders() -> BinanceError:
    return _bad_request(-4067, "Position side cannot be changed if there exists open orders.")


def position_side_position() -> BinanceError:
    return _bad_request(-4068, "Position side cannot be changed if there exists position.")


def duplicate_client_order_id() -> BinanceError:
    return _bad_request(-4116, "ClientOrderId is duplicated.")


def min_notional(notional: str) -> BinanceError:
    return _bad_request(-4164, f"Order's notional must be no smaller than {notional} (unless you choose reduce "
                               "only).")


def fok_rejected() -> BinanceError:
    return _bad_request(-5021, "Due to the order could not be filled immediately, the FOK order has been rejected. "
                               "The order will not be recorded in the order history")


def post_only_rejected() -> BinanceError:
    return _bad_request(-5022, "Due to the order could not be executed as maker, the Post Only order will be "
                               "rejected. The order will not be recorded in the order history")

