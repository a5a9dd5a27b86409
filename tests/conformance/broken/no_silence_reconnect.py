"""No reconnect on a silent socket: WebSockets are opened without a heartbeat, so a connection that goes quiet
without a close frame is never noticed."""
from connector.exchange import BinanceExchange

from tests.conformance.broken.base import variant

LEVELS = ("core", "robust")
TARGETS = {"WS-102"}


def change(exchange: BinanceExchange) -> None:
    original = exchange.api.ws_connect

    async def ws_connect(url, heartbeat=None):
        return await original(url, heartbeat=None)
    exchange.api.ws_connect = ws_connect


make_adapter = variant(change)
