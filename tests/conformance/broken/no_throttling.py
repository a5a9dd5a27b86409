"""No throttling: requests are never held back by the rate-limit pools (bans are still honoured)."""
from connector.exchange import BinanceExchange

from tests.conformance.broken.base import variant

LEVELS = ("core", "robust")
TARGETS = {"RATE-101"}


def change(exchange: BinanceExchange) -> None:
    exchange.throttler._costs = lambda method, path, weight: []


make_adapter = variant(change)
