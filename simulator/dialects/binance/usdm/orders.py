"""New-order parameters of POST /fapi/v1/order (and each element of batchOrders), read and checked in Binance's
order (reference §7.3):

1. `symbol`, `side`, `type` present (-1102), the symbol a perpetual (-1100 / -1121), side and type known
   (-1117 / -1116), `timeInForce` known when sent (-1115), the enums (positionSide, workingType,
   newOrderRespType, selfTradePreventionMode, priceMatch) known (-1130);
2. what the type needs present (-1102): LIMIT price + quantity + timeInForce; MARKET quantity; STOP and
   TAKE_PROFIT price + quantity + stopPrice; STOP_MARKET and TAKE_PROFIT_MARKET stopPrice and a quantity unless
   closePosition=true; closePosition only on those two, and never with a quantity or reduceOnly (-1106);
   TRAILING_STOP_MARKET quantity + callbackRate (0.1 to 10, in steps of 0.1: -1130 otherwise), activationPrice
   optional;
3. numbers: decimal syntax (-1100), no more decimals than the symbol's precision (-1111), a quantity above 0
   (-4003); a client order id of Binance's shape (-4015).

What is left (filters, margin, position mode, reduce-only, post-only, duplicate ids) is the engine's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.dialects.binance.usdm import errors as futures_errors, params as usdm_params, payloads, rejects
from simulator.dialects.binance.wire.futures_amounts import Formats
from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.params import Params
from simulator.engine.order import LIMIT, MARKET, SIDES
from simulator.engine.perp.instrument import PerpInstrument
from simulator.engine.perp.order import (BOTH, CALLBACK_RATES, CONTRACT_PRICE, PERP_ORDER_TYPES,
                                         PERP_TIMES_IN_FORCE, POSITION_SIDES, PRICED, STOP_MARKET, TAKE_PROFIT_MARKET,
                                         TRAILING_STOP_MARKET, WORKING_TYPES, is_market_type)
from simulator.engine.rejection import Rejected

RESPONSE_TYPES = ("ACK", "RESULT")
STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH")
PRICE_MATCHES = ("NONE",)  # OPPONENT / QUEUE price matching is not simulated
CLOSE_ALL_TYPES = (STOP_MARKET, TAKE_PROFIT_MARKET)


@dataclass
class NewOrder:
    inst: PerpInstrument
    side: str
    type: str
    tif: str | None
    qty: int
    price: int
    stop_price: int
    client_id: str | None
    stp: str | None
    resp_type: str
    position_side: str
    reduce_only: bool
    close_position: bool
    working_type: str
    price_protect: bool
    activation_price: int = 0
    callback_rate: int = 0  # tenths of a percent

    def engine_kwargs(self) -> dict[str, Any]:
        kwargs = {"qty": self.qty, "price": self.price, "tif": self.tif, "stop_price": self.stop_price,
                  "client_id": self.client_id, "stp": self.stp, "position_side": self.position_side,
                  "reduce_only": self.reduce_only, "close_position": self.close_position,
                  "working_type": self.working_type, "price_protect": self.price_protect}
        if self.type == TRAILING_STOP_MARKET:
            kwargs.update(activation_price=self.activation_price, callback_rate=self.callback_rate)
        return kwargs

    def place(self, futures, account_id: int):
        """The engine's PlaceResult, or the /fapi answer for its refusal."""
        try:
            return futures.place_order(account_id, self.inst.symbol, self.side, self.type, **self.engine_kwargs())
        except Rejected as rejected:
            raise self.refusal(rejected) from None

    def test(self, futures, account_id: int) -> None:
        """Every check placing it would run, changing nothing (POST /fapi/v1/order/test)."""
        try:
            futures.test_order(account_id, self.inst.symbol, self.side, self.type, **self.engine_kwargs())
        except Rejected as rejected:
            raise self.refusal(rejected) from None

    def refusal(self, rejected: Rejected):
        return rejects.answer(rejected, inst=self.inst, qty=self.qty, price=self.price,
                              is_market=is_market_type(self.type))

    def render(self, order) -> dict[str, Any]:
        if self.resp_type == "RESULT":
            return payloads.order_object(self.inst, order, cum_qty=True)
        return payloads.acknowledged(self.inst, order)


def parse(sim, params: Params) -> NewOrder:
    for name in ("symbol", "side", "type"):
        params.required(name)
    inst = usdm_params.perpetual(sim, params)
    side = params.enum("side", SIDES, futures_errors.invalid_side, required=True)
    type_ = params.enum("type", PERP_ORDER_TYPES, futures_errors.invalid_order_type, required=True)
    tif = params.enum("timeInForce", PERP_TIMES_IN_FORCE, futures_errors.invalid_tif)
    position_side = params.enum("positionSide", POSITION_SIDES) or BOTH
    working_type = params.enum("workingType", WORKING_TYPES) or CONTRACT_PRICE
    resp_type = params.enum("newOrderRespType", RESPONSE_TYPES) or "ACK"
    stp = params.enum("selfTradePreventionMode", STP_MODES)
    params.enum("priceMatch", PRICE_MATCHES)
    reduce_only = bool(params.boolean("reduceOnly"))
    close_position = bool(params.boolean("closePosition"))
    price_protect = bool(params.boolean("priceProtect"))

    if type_ == LIMIT:
        for name in ("timeInForce", "quantity", "price"):
            params.required(name)
    elif type_ == MARKET:
        params.required("quantity")
    elif type_ == TRAILING_STOP_MARKET:
        params.required("quantity")
        params.required("callbackRate")
    else:
        params.required("stopPrice")
        if type_ in PRICED:
            params.required("price")
            params.required("quantity")
        elif not close_position:
            params.required("quantity")
    if close_position:
        if type_ not in CLOSE_ALL_TYPES:
            raise errors.param_not_required("closePosition")
        for name in ("quantity", "reduceOnly"):
            if params.optional(name) is not None:
                raise errors.param_not_required(name)
    if type_ not in PRICED and params.optional("price") is not None:
        raise errors.param_not_required("price")

    fmt = Formats(inst)
    qty = usdm_params.amount(params, "quantity", fmt.qty_places, inst.parse_qty)
    if params.optional("quantity") is not None and qty <= 0:
        raise futures_errors.quantity_not_positive()
    price = usdm_params.amount(params, "price", fmt.price_places, inst.parse_price)
    stop_price = usdm_params.amount(params, "stopPrice", fmt.price_places, inst.parse_price)
    client_id = usdm_params.client_order_id(params, "newClientOrderId")
    activation_price = usdm_params.amount(params, "activationPrice", fmt.price_places, inst.parse_price)
    callback_rate = _callback_rate(params) if type_ == TRAILING_STOP_MARKET else 0
    if type_ in PRICED and tif is None:
        tif = "GTC"
    elif type_ not in PRICED:
        tif = None  # a market order has none (its answers say GTC, as Binance's do)
    return NewOrder(inst, side, type_, tif, qty, price, stop_price, client_id, stp, resp_type, position_side,
                    reduce_only, close_position, working_type, price_protect, activation_price, callback_rate)


def _callback_rate(params: Params) -> int:
    """callbackRate, a percentage with one decimal (0.1 .. 10), as the engine's tenths of a percent."""
    rate = params.decimal("callbackRate", required=True) * 10
    if rate != rate.to_integral_value() or int(rate) not in CALLBACK_RATES:
        raise errors.invalid_parameter("callbackRate")
    return int(rate)
