"""Wrong position side: positions read from the exchange have LONG and SHORT swapped (hedge mode)."""
from connector.perpetual_derivative import BinancePerpetualDerivative

from tests.conformance.broken.base import variant

LEVELS = ("perpetual",)
TARGETS = {"PERP-004"}
SWAP = {"LONG": "SHORT", "SHORT": "LONG"}


def change(exchange: BinancePerpetualDerivative) -> None:
    original = exchange._set_position

    def set_position(pair, side, amount, entry, pnl, source):
        return original(pair, SWAP.get(side, side), amount, entry, pnl, source)
    exchange._set_position = set_position


make_adapter = variant(change)
