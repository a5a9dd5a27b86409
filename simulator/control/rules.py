"""The control plane's venue actions on a symbol's trading rules (a mixin of `Control`, simulator.control.api):
change its tick size, step size and minimum notional mid-session, or delist it.

  POST /_sim/v1/symbols/{symbol}/rules   {"tickSize": "0.1", "stepSize": "0.001", "minNotional": "10"}
      any of the three; exchangeInfo shows the new PRICE_FILTER / LOT_SIZE / NOTIONAL at once, new orders are
      validated against them, resting orders stay as they are.
  POST /_sim/v1/symbols/{symbol}/delist
      the venue cancels every open order on the symbol (each with its executionReport CANCELED and account
      update), then the symbol is gone: not in exchangeInfo, -1121 "Invalid symbol." for any request naming it.

A venue cancel of one order is `DELETE /_sim/v1/orders/{orderId}` (without asClient): the engine's normal cancel,
with the normal events. The engine's side is simulator.engine.rule_changes.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulator.control.errors import ControlError, bad_request, conflict
from simulator.engine.instrument import DELISTED, Instrument
from simulator.engine.rejection import Rejected
from simulator.engine.rule_changes import change_rules, delist
from simulator.inputs import atoms


class RuleChanges:
    """Control's rule-change operations (it provides `engine`, `_instrument` and `render_order`)."""

    def _listed(self, symbol: Any) -> Instrument:
        inst = self._instrument(symbol)
        if inst.status == DELISTED:
            raise conflict("symbol_delisted", f"symbol: {inst.symbol} is delisted")
        return inst

    def change_symbol_rules(self, symbol: str, tick_size: Any = None, step_size: Any = None,
                            min_notional: Any = None) -> dict[str, Any]:
        inst = self._listed(symbol)
        if tick_size is None and step_size is None and min_notional is None:
            raise bad_request("give at least one of tickSize, stepSize, minNotional")
        quote, base = inst.quote_precision, inst.base_precision

        def size(value: Any, name: str, precision: int, positive: bool = True) -> Decimal | None:
            if value is None:
                return None  # bounded to 64-bit atoms of the asset, and no finer than one atom
            return Decimal(atoms(value, name, precision, positive=positive, of=f" for {inst.symbol}")) \
                .scaleb(-precision)

        changes = {"tick_size": size(tick_size, "tickSize", quote), "step_size": size(step_size, "stepSize", base),
                   "min_notional": size(min_notional, "minNotional", quote, positive=False)}
        try:
            change_rules(self.engine, inst.symbol, **changes)
        except Rejected as exc:
            raise ControlError("invalid_rules", f"the engine refused the rules: {exc}", 400) from None
        return {"symbol": inst.symbol, "tickSize": inst.format_price(inst.tick), "stepSize": inst.format_qty(inst.step),
                "minNotional": inst.format_quote(inst.min_notional)}

    def delist_symbol(self, symbol: str) -> dict[str, Any]:
        inst = self._listed(symbol)
        result = delist(self.engine, inst.symbol)
        return {"symbol": inst.symbol, "status": inst.status,
                "canceled": [self.render_order(order) for order in result.canceled]}
