"""The futures engine's refusals as /fapi answers (reference §7.7).

The engine names the rule that failed (a spot `Reject` or a `PerpReject`); this picks Binance's futures code and
message for it. Where one engine rule covers several Binance codes (LOT_SIZE: below the minimum, above the
maximum, off the step), the request's own numbers say which message applies; the outcome stays the engine's.
"""
from __future__ import annotations

from simulator.dialects.binance.usdm import errors as futures_errors
from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.engine.perp.instrument import PerpInstrument
from simulator.engine.perp.rejection import PerpReject
from simulator.engine.rejection import Reject, Rejected

_ANSWERS = {
    Reject.MAX_NUM_ORDERS: futures_errors.max_open_orders,
    Reject.DUPLICATE_CLIENT_ORDER_ID: futures_errors.duplicate_client_order_id,
    Reject.WOULD_TAKE: futures_errors.post_only_rejected,
    Reject.WOULD_TRIGGER_IMMEDIATELY: futures_errors.would_trigger,
    Reject.NO_LIQUIDITY: futures_errors.unable_to_fill,
    Reject.INSUFFICIENT_BALANCE: futures_errors.balance_insufficient,
    Reject.PRICE_QTY_ZERO: futures_errors.quantity_not_positive,
    Reject.PERCENT_PRICE_BY_SIDE: lambda: errors.filter_failure("PERCENT_PRICE"),
    Reject.MARKET_CLOSED: errors.market_closed,
    Reject.STP_MODE_NOT_ALLOWED: lambda: errors.invalid_parameter("selfTradePreventionMode"),
    Reject.INVALID_ORDER: errors.unsupported_order_combination,
    Reject.UNKNOWN_SYMBOL: errors.bad_symbol,
    Reject.UNKNOWN_ACCOUNT: errors.bad_api_key,
    Reject.UNKNOWN_ORDER: errors.no_such_order,
    Reject.CLIENT_ID_MISMATCH: errors.client_order_id_mismatch,
    Reject.INVALID_AMOUNT: lambda: errors.invalid_parameter("amount"),
    PerpReject.MARGIN_INSUFFICIENT: futures_errors.margin_insufficient,
    PerpReject.FOK_REJECTED: futures_errors.fok_rejected,
    PerpReject.REDUCE_ONLY_REJECTED: futures_errors.reduce_only_rejected,
    PerpReject.REDUCE_ONLY_IN_HEDGE_MODE: lambda: errors.param_not_required("reduceonly"),
    PerpReject.POSITION_SIDE_MISMATCH: futures_errors.invalid_position_side,
    PerpReject.POSITION_NOT_SUFFICIENT: futures_errors.position_not_sufficient,
    PerpReject.MAX_POSITION_AT_LEVERAGE: futures_errors.max_position,
    PerpReject.LEVERAGE_INVALID: futures_errors.invalid_leverage,
    PerpReject.LEVERAGE_MARGIN_INSUFFICIENT: futures_errors.leverage_too_small,
    PerpReject.MARGIN_TYPE_UNCHANGED: futures_errors.margin_type_unchanged,
    PerpReject.MARGIN_TYPE_OPEN_ORDERS: futures_errors.margin_type_open_orders,
    PerpReject.MARGIN_TYPE_POSITION: futures_errors.margin_type_position,
    PerpReject.POSITION_MODE_UNCHANGED: futures_errors.position_side_unchanged,
    PerpReject.POSITION_MODE_OPEN_ORDERS: futures_errors.position_side_open_orders,
    PerpReject.POSITION_MODE_POSITION: futures_errors.position_side_position,
    PerpReject.ISOLATED_BALANCE_INSUFFICIENT: futures_errors.balance_insufficient,
}


def answer(rejected: Rejected, *, cancel: bool = False, inst: PerpInstrument | None = None, qty: int = 0,
           price: int = 0, is_market: bool = False) -> BinanceError:
    """The /fapi answer for an engine refusal. `cancel`: an unknown order is -2011 (cancel) instead of -2013;
    `inst`, `qty`, `price`: the request's perpetual and amounts, for the filter messages."""
    reason = rejected.reason
    if cancel and reason is Reject.UNKNOWN_ORDER:
        return errors.unknown_order_cancel()
    if reason is Reject.LOT_SIZE or reason is Reject.MARKET_LOT_SIZE:
        return _lot_size(inst, qty, is_market)
    if reason is Reject.PRICE_FILTER:
        return _price_filter(inst, price)
    if reason is Reject.NOTIONAL:
        return futures_errors.min_notional(_notional_text(inst))
    if reason is Reject.BAD_PRECISION:
        return futures_errors.bad_precision()
    return _ANSWERS[reason]()


def _lot_size(inst: PerpInstrument | None, qty: int, is_market: bool) -> BinanceError:
    if inst is None:
        return errors.filter_failure("LOT_SIZE")
    minimum = max(inst.min_qty, inst.market_min_qty) if is_market else inst.min_qty
    maximum = min((m for m in (inst.max_qty, inst.market_max_qty) if m), default=0) if is_market else inst.max_qty
    if qty < minimum:
        return futures_errors.quantity_below_min()
    if maximum and qty > maximum:
        return futures_errors.quantity_above_max()
    return futures_errors.quantity_not_on_step()


def _price_filter(inst: PerpInstrument | None, price: int) -> BinanceError:
    if inst is None:
        return errors.filter_failure("PRICE_FILTER")
    if price < inst.min_price:
        return futures_errors.price_below_min()
    if inst.max_price and price > inst.max_price:
        return futures_errors.price_above_max()
    return futures_errors.price_not_on_tick()


def _notional_text(inst: PerpInstrument | None) -> str:
    """The minimum notional as configured ("100"), as Binance's message quotes it."""
    return f"{inst.perp_spec.min_notional:f}" if inst is not None else "0"
