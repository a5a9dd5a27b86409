"""USD-M parameter readers: perpetual symbols, amounts at a perpetual's precision, order ids, and `limit` rules
that refuse what spot would truncate (reference §7.1: "futures limits on `limit` refuse out-of-range values").

A /fapi symbol names a perpetual (its own market, even where spot lists the same name): -1102 absent, -1100 not a
symbol's shape, -1121 not a listed perpetual.
"""
from __future__ import annotations

from simulator.dialects.binance.usdm import errors as futures_errors
from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.params import Params
from simulator.dialects.binance.wire.readers import Limit, decimal_digits, symbol_name
from simulator.engine.perp.instrument import PerpInstrument
from simulator.engine.rejection import Rejected

# Futures `limit` rules, endpoint by endpoint (Binance's USD-M docs): above the maximum is -1130.
DEPTH_LIMIT = Limit(default=500, maximum=1000, truncates=False, allowed=(5, 10, 20, 50, 100, 500, 1000))
TRADES_LIMIT = Limit(default=500, maximum=1000, truncates=False)  # trades, historicalTrades, aggTrades
KLINES_LIMIT = Limit(default=500, maximum=1500, truncates=False)
FUNDING_LIMIT = Limit(default=100, maximum=1000, truncates=False)
HISTORY_LIMIT = Limit(default=500, maximum=1000, truncates=False)  # allOrders, userTrades, forceOrders
INCOME_LIMIT = Limit(default=100, maximum=1000, truncates=False)
FORCE_ORDERS_LIMIT = Limit(default=50, maximum=100, truncates=False)


def perpetual(sim, params: Params, name: str = "symbol") -> PerpInstrument:
    """The perpetual named by a mandatory symbol."""
    return lookup(sim, params.required(name), name)


def optional_perpetual(sim, params: Params, name: str = "symbol") -> PerpInstrument | None:
    text = params.optional(name)
    return None if text is None else lookup(sim, text, name)


def lookup(sim, text: str, name: str = "symbol") -> PerpInstrument:
    inst = sim.futures.instruments.get(symbol_name(text, name))
    if inst is None:
        raise errors.bad_symbol()
    return inst


def amount(params: Params, name: str, places: int, to_atoms, *, required: bool = False) -> int:
    """A decimal parameter in atoms (0 when absent): -1100 bad syntax, -1111 more decimals than `places`."""
    value = params.decimal(name, required=required)
    if value is None:
        return 0
    if decimal_digits(value) > places:
        raise futures_errors.bad_precision()
    try:
        return to_atoms(value)
    except Rejected:
        raise futures_errors.bad_precision() from None


def order_ids(params: Params) -> tuple[int | None, str | None]:
    """orderId / origClientOrderId: at least one, else -1102."""
    order_id = params.integer("orderId")
    client_id = client_order_id(params, "origClientOrderId")
    if order_id is None and client_id is None:
        raise errors.mandatory_one_of("orderId", "origClientOrderId")
    return order_id, client_id


def client_order_id(params: Params, name: str) -> str | None:
    """A futures client order id (^[.A-Z:/a-z0-9_-]{1,36}$); -4015 otherwise. Absent or empty: None."""
    text = params.optional(name)
    if text is None:
        return None
    if not (1 <= len(text) <= 36) or not all(c.isascii() and (c.isalnum() or c in "._:/-") for c in text):
        raise futures_errors.invalid_client_order_id()
    return text
