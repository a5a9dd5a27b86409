"""USD-M parameter readers: perpetual symbols, and `limit` rules that refuse what spot would truncate.

A /fapi symbol names a perpetual (its own market, even where spot lists the same name): -1102 absent, -1100 not a
symbol's shape, -1121 not a listed perpetual.
"""
from __future__ import annotations

from simulator.config import PerpetualSpec
from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.params import Params
from simulator.dialects.binance.wire.readers import symbol_name


def listed(sim) -> dict[str, PerpetualSpec]:
    """The perpetuals this venue lists, by symbol, in configured order."""
    return {spec.symbol: spec for spec in sim.config.perpetuals}


def perpetual(sim, params: Params, name: str = "symbol") -> PerpetualSpec:
    """The perpetual named by a mandatory symbol."""
    return _lookup(sim, params.required(name), name)


def optional_perpetual(sim, params: Params, name: str = "symbol") -> PerpetualSpec | None:
    text = params.optional(name)
    return None if text is None else _lookup(sim, text, name)


def _lookup(sim, text: str, name: str) -> PerpetualSpec:
    spec = listed(sim).get(symbol_name(text, name))
    if spec is None:
        raise errors.bad_symbol()
    return spec
