"""Build a broken variant: the reference connector's adapter, then one change to one of its components."""
from __future__ import annotations

from typing import Any, Callable

from conformance.adapters.reference import make_adapter as make_reference


def variant(change: Callable[[Any], None]) -> Callable[[Any], Any]:
    """`change(exchange)` breaks the connector (a BinanceExchange or BinancePerpetualDerivative) in place."""
    def make_adapter(config: Any) -> Any:
        adapter = make_reference(config)
        change(adapter.exchange)
        return adapter
    return make_adapter
