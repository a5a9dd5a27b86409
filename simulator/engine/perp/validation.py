"""Whether a futures order may be placed now, decided before anything changes, and the margin it must hold.

The order of checks (the first failure is the one reported): symbol, account, market status; the parameters'
shape; position side against the account's mode; time in force and self-trade prevention; client order id and
open-order count; the symbol's filters (PRICE_FILTER, LOT_SIZE / MARKET_LOT_SIZE, MIN_NOTIONAL unless
reduce-only, PERCENT_PRICE around the mark); a conditional order's trigger; what it would do against the book
(GTX that would take, FOK that cannot fill whole, MARKET with nothing to take); reduce-only; the bracket cap at
the account's leverage; and the initial margin of the part that opens exposure against the available balance.
"""
from __future__ import annotations

from typing import NamedTuple

from simulator.engine.order import BUY, FOK, GTC, LIMIT, MARKET, SIDES
from simulator.engine.perp.margin import available, initial_margin
from simulator.engine.perp.order import (BOTH, CALLBACK_RATES, CONDITIONAL, GTX, LONG, MARK_PRICE,
                                         PERP_ORDER_TYPES, STOP_TRIGGERED, TRAILING_STOP_MARKET,
                                         PERP_TIMES_IN_FORCE, POSITION_SIDES, PRICED, SHORT, STOP_MARKET,
                                         TAKE_PROFIT_MARKET, WORKING_TYPES, closes, trigger_reached)
from simulator.engine.perp.rejection import PerpReject
from simulator.engine.perp.settings import NO_SETTINGS
from simulator.engine.rejection import Reject, Rejected
from simulator.engine.taker_plan import NOTHING_TO_TAKE, TakerPlan, plan_taker
from simulator.engine.validation import check_order_identity, trading_parties


class Placement(NamedTuple):  # what validate returns, field by field (as a plain tuple)
    inst: object
    account: object
    tif: str
    stp: str
    plan: TakerPlan | None
    need: int  # initial margin to hold (atoms of the margin asset)
    now: int


def validate(engine, account_id: int, symbol: str, side: str, type_: str, qty: int, price: int, tif: str | None,
             stop_price: int, client_id: str | None, stp: str | None, position_side: str, reduce_only: bool,
             close_position: bool, working_type: str, activation_price: int = 0,
             callback_rate: int = 0) -> Placement:
    inst, account = trading_parties(engine, symbol, account_id)
    if side not in SIDES or type_ not in PERP_ORDER_TYPES:
        raise Rejected(Reject.INVALID_ORDER, f"side {side!r} / type {type_!r}")
    if type(qty) is not int or type(price) is not int or type(stop_price) is not int:
        raise Rejected(Reject.INVALID_ORDER, "amounts must be integer atoms")
    if position_side not in POSITION_SIDES or working_type not in WORKING_TYPES:
        raise Rejected(Reject.INVALID_ORDER, f"positionSide {position_side!r} / workingType {working_type!r}")
    if price and type_ not in PRICED:
        raise Rejected(Reject.INVALID_ORDER, "price is not used by this order type")
    if type_ in PRICED and price <= 0:
        raise Rejected(Reject.PRICE_QTY_ZERO)
    if (stop_price > 0) != (type_ in STOP_TRIGGERED):
        raise Rejected(Reject.INVALID_ORDER, "stopPrice is required by stop and take-profit types and only by them")
    if type_ == TRAILING_STOP_MARKET:
        if callback_rate not in CALLBACK_RATES or type(activation_price) is not int or activation_price < 0:
            raise Rejected(Reject.INVALID_ORDER, "callbackRate 0.1..10 (%) in steps of 0.1, activationPrice >= 0")
        if activation_price:
            inst.check_price(activation_price)
    elif callback_rate or activation_price:
        raise Rejected(Reject.INVALID_ORDER, "callbackRate and activationPrice are a trailing stop's")
    settings = engine.settings.get(account_id) or NO_SETTINGS  # (read only: never stored for the account)
    if settings.dual_side:
        if position_side == BOTH:
            raise Rejected(PerpReject.POSITION_SIDE_MISMATCH)
        if reduce_only:
            raise Rejected(PerpReject.REDUCE_ONLY_IN_HEDGE_MODE)
    elif position_side != BOTH:
        raise Rejected(PerpReject.POSITION_SIDE_MISMATCH)
    if close_position:
        if type_ not in (STOP_MARKET, TAKE_PROFIT_MARKET) or qty or reduce_only:
            raise Rejected(Reject.INVALID_ORDER, "closePosition goes with STOP_MARKET / TAKE_PROFIT_MARKET, "
                                                 "without quantity or reduceOnly")
    elif qty <= 0:
        raise Rejected(Reject.PRICE_QTY_ZERO)
    if type_ in PRICED:
        if tif not in PERP_TIMES_IN_FORCE:
            raise Rejected(Reject.INVALID_ORDER, "timeInForce is required for this order type")
    elif tif not in (None, GTC):
        raise Rejected(Reject.INVALID_ORDER, "timeInForce is not used by this order type")
    else:
        tif = GTC
    stp = check_order_identity(inst, account, symbol, stp, client_id)
    is_buy = side == BUY
    mark = engine.prices[symbol].mark
    if type_ == LIMIT and not reduce_only:  # the commonest order: the spot filters' one call, then the mark band
        inst.check_limit(price, qty)
        if mark is not None and not inst.check_percent_to_mark(is_buy, price, mark):
            raise Rejected(Reject.PERCENT_PRICE_BY_SIDE)
    else:
        _filters(inst, type_, is_buy, qty, price, stop_price, reduce_only or close_position, mark)
    if type_ in STOP_TRIGGERED:
        current = mark if working_type == MARK_PRICE else engine.market[symbol].last_price
        if current is not None and trigger_reached(type_, is_buy, stop_price, current):
            raise Rejected(Reject.WOULD_TRIGGER_IMMEDIATELY)
    now = engine.clock.now_ms()
    book = engine.books[symbol]
    plan: TakerPlan | None = None
    if type_ == MARKET:
        plan = plan_taker(book, inst, account_id, is_buy, stp, 0, qty, 0)
        if not plan.steps:
            raise Rejected(Reject.NO_LIQUIDITY)
    elif type_ == LIMIT:
        best = (book.asks if is_buy else book.bids).best_price()
        crosses = best is not None and (best <= price if is_buy else best >= price)
        if tif == GTX:
            if crosses:
                raise Rejected(Reject.WOULD_TAKE)
        elif not crosses:
            plan = NOTHING_TO_TAKE
        else:
            plan = plan_taker(book, inst, account_id, is_buy, stp, price, qty, 0)
            if tif == FOK and (plan.filled < qty or plan.taker_prevented):
                raise Rejected(PerpReject.FOK_REJECTED)
    if close_position:
        if not engine.position_size(account_id, symbol, position_side, is_buy):
            raise Rejected(PerpReject.POSITION_NOT_SUFFICIENT)
        return inst, account, tif, stp, plan, 0, now
    need = margin_need(engine, inst, account_id, symbol, is_buy, type_, qty, price, stop_price, plan,
                       position_side, reduce_only, settings, mark)
    return inst, account, tif, stp, plan, need, now  # a Placement's fields, as a plain tuple (hot path)


def _filters(inst, type_: str, is_buy: bool, qty: int, price: int, stop_price: int, reducing: bool,
             mark: int | None) -> None:
    if type_ in PRICED:
        inst.check_price(price)
        if not inst.check_percent_to_mark(is_buy, price, mark):
            raise Rejected(Reject.PERCENT_PRICE_BY_SIDE)
    if type_ in STOP_TRIGGERED:
        inst.check_price(stop_price)
    if qty:
        if type_ in PRICED:
            inst.check_qty(qty)
        else:
            inst.check_market_qty(qty)
        reference = price or stop_price or mark
        if not reducing and reference is not None:
            inst.check_notional(inst.notional(reference, qty))


def margin_need(engine, inst, account_id: int, symbol: str, is_buy: bool, type_: str, qty: int, price: int,
                 stop_price: int, plan: TakerPlan | None, position_side: str, reduce_only: bool, settings,
                 mark: int | None) -> int:
    """The initial margin the order must hold: that of the part that opens or grows exposure (0 for a reducing
    order, and for a conditional one until it triggers). Refuses what reduce-only, the bracket cap or the
    available balance do not allow."""
    position = engine.positions.get((account_id, symbol, position_side))
    amt = position.amt if position is not None else 0
    if position_side in (LONG, SHORT):
        reducible = abs(amt) if closes(position_side, is_buy) else 0
        if reducible == 0 and closes(position_side, is_buy) or qty > reducible > 0:
            raise Rejected(PerpReject.REDUCE_ONLY_REJECTED)
    else:
        reducible = abs(amt) if amt and (amt > 0) != is_buy else 0
        if reduce_only and qty > reducible:
            raise Rejected(PerpReject.REDUCE_ONLY_REJECTED)
    opening = max(0, qty - reducible)
    if not opening or type_ in CONDITIONAL:
        return 0
    if plan is not None and plan.filled and type_ == MARKET:
        notional = plan.cost * opening // plan.filled
    else:
        notional = inst.notional(price or stop_price or mark or 0, opening)
    leverage = settings.leverage.get(symbol) or inst.default_leverage
    exposure = abs(position.notional(mark, inst.base_unit)) if position is not None and mark else 0
    if exposure + notional > inst.max_notional_by_leverage[leverage]:
        raise Rejected(PerpReject.MAX_POSITION_AT_LEVERAGE)
    need = initial_margin(notional, leverage)
    if need > available(engine, account_id, inst.margin_asset):
        raise Rejected(PerpReject.MARGIN_INSUFFICIENT)
    return need

