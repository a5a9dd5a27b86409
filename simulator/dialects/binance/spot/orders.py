"""New-order parameters (POST /order, /order/test, /order/cancelReplace) read and checked in Binance's order.

1. `symbol`, `side`, `type` present (-1102), the symbol valid (-1100 / -1121), side and type known (-1117 / -1116),
   `timeInForce` known when sent (-1115);
2. features the symbols do not allow (iceberg, trailing, pegged: -2010 "... not supported for this symbol.");
3. what the type needs present (-1102), what it does not use absent (-1106, e.g. `timeInForce` on MARKET);
4. numbers: decimal syntax (-1100), then no more decimals than the asset has (-1111);
5. the remaining optional parameters (client order id, response type, STP mode, strategy).

What is left (filters, balance, duplicate ids, would-take, ...) is the engine's to decide.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.spot import params as spot_params, payloads as spot_payloads
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.dialects.binance.wire.params import Params
from simulator.engine.engine import Engine, PlaceResult
from simulator.engine.instrument import Instrument
from simulator.engine.order import (FOK, GTC, IOC, LIMIT, LIMIT_MAKER, MARKET, ORDER_TYPES, SIDES, STOP_LOSS,
                                    STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT)
from simulator.engine.rejection import Rejected

TIMES_IN_FORCE = (GTC, IOC, FOK)
RESPONSE_TYPES = ("ACK", "RESULT", "FULL")
BINANCE_STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER")
MIN_STRATEGY_TYPE = 1_000_000

# per type: the parameters it must have, and those it may take (anything else of the four is -1106)
_NEEDS = {
    LIMIT: ("timeInForce", "quantity", "price"),
    MARKET: (),  # quantity or quoteOrderQty, checked on its own
    LIMIT_MAKER: ("quantity", "price"),
    STOP_LOSS: ("quantity", "stopPrice"),
    TAKE_PROFIT: ("quantity", "stopPrice"),
    STOP_LOSS_LIMIT: ("timeInForce", "quantity", "price", "stopPrice"),
    TAKE_PROFIT_LIMIT: ("timeInForce", "quantity", "price", "stopPrice"),
}
_OPTIONAL_BY_TYPE = ("timeInForce", "price", "stopPrice", "quoteOrderQty")
_UNSUPPORTED = (
    ("icebergQty", "Iceberg orders are not supported for this symbol."),
    ("trailingDelta", "Trailing stop orders are not supported for this symbol."),
    ("pegPriceType", "Pegged orders are not supported for this symbol."),
    ("pegOffsetValue", "Pegged orders are not supported for this symbol."),
    ("pegOffsetType", "Pegged orders are not supported for this symbol."),
)


@dataclass
class NewOrder:
    inst: Instrument
    side: str
    type: str
    tif: str | None
    qty: int
    price: int
    quote_qty: int
    stop_price: int
    client_id: str | None
    stp: str | None
    resp_type: str
    strategy_id: int | None
    strategy_type: int | None

    def engine_kwargs(self) -> dict[str, Any]:
        return {"side": self.side, "type_": self.type, "qty": self.qty, "price": self.price, "tif": self.tif,
                "quote_qty": self.quote_qty, "stop_price": self.stop_price, "client_id": self.client_id,
                "stp": self.stp}

    def place(self, engine: Engine, account_id: int) -> PlaceResult:
        try:
            return engine.place_order(account_id, self.inst.symbol, **self.engine_kwargs())
        except Rejected as rejected:
            raise reject(rejected) from None

    def test(self, engine: Engine, account_id: int) -> None:
        try:
            engine.test_order(account_id, self.inst.symbol, **self.engine_kwargs())
        except Rejected as rejected:
            raise reject(rejected) from None

    def render(self, result: PlaceResult) -> dict[str, Any]:
        order, inst = result.order, self.inst
        if self.resp_type == "ACK":
            out = spot_payloads.order_ack(order)
        elif self.resp_type == "RESULT":
            out = spot_payloads.order_result(order, inst)
        else:
            out = spot_payloads.order_full(order, inst, result.trades)
        if self.resp_type != "ACK":
            if self.strategy_id is not None:
                out["strategyId"] = self.strategy_id
            if self.strategy_type is not None:
                out["strategyType"] = self.strategy_type
        return out


def reject(rejected: Rejected, *, cancel: bool = False) -> BinanceError:
    """The Binance answer for an engine rejection (BAD_PRECISION cannot reach here: parse checks digits first)."""
    return errors.from_reject(rejected.reason, cancel=cancel, param="quantity")


def unsupported(message: str) -> BinanceError:
    return BinanceError(400, -2010, message)


def bad_strategy_type() -> BinanceError:
    return BinanceError(400, -1134, "strategyType was less than 1000000.")


def parse(engine: Engine, params: Params) -> NewOrder:
    for name in ("symbol", "side", "type"):
        params.required(name)
    inst = spot_params.symbol(engine, params)
    side = params.enum("side", SIDES, errors.invalid_side, required=True)
    type_ = params.enum("type", ORDER_TYPES, errors.invalid_order_type, required=True)
    tif = params.enum("timeInForce", TIMES_IN_FORCE, errors.invalid_tif)

    for name, message in _UNSUPPORTED:
        if params.optional(name) is not None:
            raise unsupported(message)
    needs = _NEEDS[type_]
    for name in needs:
        params.required(name)
    if type_ == MARKET:
        if params.optional("quantity") is None and params.optional("quoteOrderQty") is None:
            raise errors.mandatory_one_of("quantity", "quoteOrderQty")
    for name in _OPTIONAL_BY_TYPE:
        if name in needs or params.optional(name) is None:
            continue
        if name == "quoteOrderQty" and type_ == MARKET and params.optional("quantity") is None:
            continue
        if name == "timeInForce" and type_ == LIMIT_MAKER and tif == GTC:
            continue  # a LIMIT_MAKER rests GTC anyway
        raise errors.param_not_required(name)

    qty = _amount(params, "quantity", inst.base_precision, inst.parse_qty)
    price = _amount(params, "price", inst.quote_precision, inst.parse_price)
    quote_qty = _amount(params, "quoteOrderQty", inst.quote_precision, inst.parse_quote)
    stop_price = _amount(params, "stopPrice", inst.quote_precision, inst.parse_price)

    client_id = params.client_order_id("newClientOrderId")
    default_resp = "FULL" if type_ in (LIMIT, MARKET) else "ACK"
    resp_type = params.enum("newOrderRespType", RESPONSE_TYPES) or default_resp
    stp = params.enum("selfTradePreventionMode", BINANCE_STP_MODES)
    strategy_id = params.integer("strategyId")
    strategy_type = params.integer("strategyType")
    if strategy_type is not None and strategy_type < MIN_STRATEGY_TYPE:
        raise bad_strategy_type()
    return NewOrder(inst, side, type_, tif, qty, price, quote_qty, stop_price, client_id, stp, resp_type,
                    strategy_id, strategy_type)


def _amount(params: Params, name: str, precision: int, to_atoms) -> int:
    """A decimal parameter in atoms: 0 when absent; -1100 bad syntax; -1111 more decimals than the asset has."""
    value: Decimal | None = params.decimal(name)
    if value is None:
        return 0
    if spot_params.decimal_digits(value) > precision:
        raise errors.bad_precision(name)
    try:
        return to_atoms(value)
    except Rejected:
        raise errors.bad_precision(name) from None
