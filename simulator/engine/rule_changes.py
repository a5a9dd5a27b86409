"""Trading rules that change mid-session, as the venue changes them: a symbol's tick size, step size and minimum
notional, and a delisting.

`change_rules` gives a spot instrument new PRICE_FILTER tickSize, LOT_SIZE stepSize and NOTIONAL minNotional
(any of the three). The new grid is checked as a configured one is (every price x quantity a whole number of
quote atoms); new orders are validated against it from then on, and orders already resting stay as they are, on
the old grid, as on Binance. A rule change emits no event: it changes no order, balance or book.

`delist` ends a symbol: every open order on it (every account's, stop orders included, oldest first) is canceled
by the venue, each cancel its own operation with the usual events (an OrderUpdate CANCELED, then the account's
balances), and the symbol's status becomes DELISTED (a SymbolStatusChanged event). The instrument and its
history stay in the engine; a dialect hides a DELISTED symbol (Binance: gone from exchangeInfo, -1121 "Invalid
symbol." for any request naming it), and the engine refuses new orders on it (it is not TRADING).
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import NamedTuple, Protocol

from simulator.engine.instrument import DELISTED, Instrument
from simulator.engine.order import Order
from simulator.engine.rejection import Reject, Rejected


class RulesEngine(Protocol):
    """What these operations use of the engine: its public operations only."""

    instruments: dict[str, Instrument]
    accounts: dict

    def instrument(self, symbol: str) -> Instrument: ...

    def cancel_order(self, account_id: int, symbol: str, order_id: int | None = None, client_id: str | None = None,
                     cancel_client_id: str = "", restriction: str | None = None): ...

    def set_symbol_status(self, symbol: str, status: str): ...


class DelistResult(NamedTuple):
    canceled: list[Order]  # the orders the venue canceled, oldest first
    first_seq: int
    last_seq: int


def change_rules(engine: RulesEngine, symbol: str, *, tick_size: Decimal | None = None,
                 step_size: Decimal | None = None, min_notional: Decimal | None = None) -> Instrument:
    """New rules for a symbol (None: unchanged); the instrument. Rejected (INVALID_ORDER) for a size that is not
    positive, finer than its asset's precision or making an impossible grid; then nothing changes."""
    inst = engine.instrument(symbol)
    if inst.status == DELISTED:
        raise Rejected(Reject.UNKNOWN_SYMBOL, symbol)
    changes = {key: value for key, value in (("tick_size", tick_size), ("step_size", step_size),
                                             ("min_notional", min_notional)) if value is not None}
    for key, value in changes.items():
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0 or \
                (value == 0 and key != "min_notional"):
            raise Rejected(Reject.INVALID_ORDER, f"{key} must be a positive decimal, not {value!r}")
    try:
        fresh = Instrument(replace(inst.spec, **changes))
    except ValueError as exc:  # finer than the asset's atoms, or a grid that would need rounding money
        raise Rejected(Reject.INVALID_ORDER, str(exc)) from None
    inst.spec, inst.tick, inst.step, inst.min_notional = fresh.spec, fresh.tick, fresh.step, fresh.min_notional
    return inst


def delist(engine: RulesEngine, symbol: str) -> DelistResult:
    """Cancel every open order on the symbol, then mark it DELISTED (see the module's docstring)."""
    inst = engine.instrument(symbol)
    if inst.status == DELISTED:
        raise Rejected(Reject.UNKNOWN_SYMBOL, symbol)
    open_orders = sorted((order for account in engine.accounts.values() for order in account.open_orders.values()
                          if order.symbol == symbol), key=lambda order: order.order_id)
    first = last = None
    for order in open_orders:
        result = engine.cancel_order(order.account_id, symbol, order.order_id)
        first = result.first_seq if first is None else first
        last = result.last_seq
    status = engine.set_symbol_status(symbol, DELISTED)
    return DelistResult(open_orders, status.first_seq if first is None else first, status.last_seq)
