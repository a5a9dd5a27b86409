"""No time resync: the clock offset is measured once at start and never again (a -1021 is not recovered)."""
from connector.exchange import BinanceExchange

from tests.conformance.broken.base import variant

LEVELS = ("core", "robust")
TARGETS = {"TIME-101"}


def change(exchange: BinanceExchange) -> None:
    original = exchange.api.sync_time
    synced = []

    async def sync_time(rounds=3):
        if not synced:
            synced.append(True)
            await original(rounds)
    exchange.api.sync_time = sync_time


make_adapter = variant(change)
