"""Trading rules changed mid-session (simulator.engine.rule_changes) in a snapshot: `"symbol_rules"`, the tick
size, step size and minimum notional of each spot symbol whose rules differ from the config's, as decimal
strings. A document without the section (written before rules could change, or with none changed) restores the
config's rules. The status of a delisted symbol travels with every status (the engine section's symbol_status).
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from simulator.engine.instrument import DELISTED
from simulator.engine.rejection import Rejected
from simulator.engine.rule_changes import change_rules
from simulator.inputs import MAX_AMOUNT, Fields, InputError, decimal

RULES = ("tick_size", "step_size", "min_notional")


def dump(engine, config) -> dict[str, dict[str, str]]:
    """The rules of every listed symbol whose rules are no longer the config's (a delisted one trades no more)."""
    configured = {spec.symbol: spec for spec in config.spot}
    changed = {}
    for symbol, inst in engine.instruments.items():
        if inst.status == DELISTED:
            continue
        spec = configured.get(symbol)
        now = {key: getattr(inst.spec, key) for key in RULES}
        if spec is None or any(getattr(spec, key) != value for key, value in now.items()):
            changed[symbol] = {key: str(value) for key, value in now.items()}
    return changed


def check(section: Any, symbols: list[str]) -> None:
    """InputError naming the path unless `section` is a mapping of configured symbols to three bounded decimals."""
    if not isinstance(section, Mapping):
        raise InputError("symbol_rules", "expected a mapping of symbols to their rules")
    for symbol, rules in section.items():
        path = f"symbol_rules.{symbol}"
        if symbol not in symbols:
            raise InputError(path, f"not a configured spot symbol (have: {', '.join(symbols)})")
        fields = Fields(rules, path).only(*RULES, required=RULES)
        for key in RULES:
            fields.required(key, decimal, minimum=0, maximum=MAX_AMOUNT)


def load(engine, section: Mapping[str, Mapping[str, str]] | None) -> None:
    """Apply the document's rules (checked by `check`); ValueError if the engine refuses them."""
    for symbol, rules in (section or {}).items():
        try:
            change_rules(engine, symbol, **{key: Decimal(rules[key]) for key in RULES})
        except Rejected as exc:
            raise ValueError(f"symbol_rules.{symbol}: {exc}") from None
