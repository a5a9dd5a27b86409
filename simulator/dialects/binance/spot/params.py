"""Spot parameter readers shared by the market-data and trading endpoints (symbols, limits, time windows).

The `limit` rule, time windows and decimal places are every market's (wire.readers); they are named here too,
so that the spot endpoints read all their parameters from one place."""
from __future__ import annotations

from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.dialects.binance.wire.params import Params
from simulator.dialects.binance.wire.readers import Limit, decimal_digits, symbol_name, time_window
from simulator.engine.engine import Engine
from simulator.engine.instrument import DELISTED, Instrument

__all__ = ["Limit", "count_symbols", "decimal_digits", "duplicate_symbols", "instrument", "optional_symbol",
           "symbol", "symbol_or_symbols", "symbols", "time_window"]


def symbol(engine: Engine, params: Params, name: str = "symbol") -> Instrument:
    """The instrument named by a mandatory symbol: -1102 absent, -1100 not a symbol's shape, -1121 unknown."""
    text = params.required(name)
    return instrument(engine, text, name)


def optional_symbol(engine: Engine, params: Params, name: str = "symbol") -> Instrument | None:
    text = params.optional(name)
    return None if text is None else instrument(engine, text, name)


def instrument(engine: Engine, text: str, name: str = "symbol") -> Instrument:
    inst = engine.instruments.get(symbol_name(text, name))
    if inst is None or inst.status == DELISTED:  # a delisted symbol is unknown to every request
        raise errors.bad_symbol()
    return inst


def symbols(engine: Engine, params: Params) -> list[Instrument] | None:
    """`symbols=["BTCUSDT","ETHUSDT"]`: None when absent; -1102 for an empty list, -1151 for a repeat."""
    names = params.json_list("symbols")
    if names is None:
        return None
    if not names:
        raise errors.mandatory_param("symbols")
    if len(set(names)) != len(names):
        raise duplicate_symbols()
    return [instrument(engine, name, "symbols") for name in names]


def symbol_or_symbols(engine: Engine, params: Params) -> tuple[Instrument | None, list[Instrument] | None]:
    """Exactly one of `symbol` / `symbols`, or neither (all symbols); both at once is -1128."""
    if params.optional("symbol") is not None and params.optional("symbols") is not None:
        raise errors.bad_combo()
    return optional_symbol(engine, params), symbols(engine, params)


def count_symbols(params: Params) -> int | None:
    """How many symbols `symbols` names, for weights (None: absent or unreadable)."""
    try:
        names = params.json_list("symbols")
    except BinanceError:
        return None
    return None if names is None else len(names)


def duplicate_symbols() -> BinanceError:
    return BinanceError(400, -1151, "Symbol is present multiple times in the list.")
