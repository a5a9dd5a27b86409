"""Ignores funding: funding payments are never looked up, so none is reported."""
from connector.perpetual_derivative import BinancePerpetualDerivative

from tests.conformance.broken.base import variant

LEVELS = ("perpetual",)
TARGETS = {"PERP-008", "PERP-009"}


def change(exchange: BinancePerpetualDerivative) -> None:
    async def update_funding_payments():
        return None
    exchange._update_funding_payments = update_funding_payments


make_adapter = variant(change)
