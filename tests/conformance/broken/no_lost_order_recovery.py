"""No lost-order recovery: a create whose outcome is unknown (503 -1007, a timeout) is taken as refused, never
looked up by a status query."""

from connector.exchange import BinanceExchange
from connector.web_assistant import ExchangeError

from tests.conformance.broken.base import variant

LEVELS = ("core", "robust")
TARGETS = {"ORDER-101", "ORDER-102", "ORDER-107"}


def change(exchange: BinanceExchange) -> None:
    original = exchange.api.api_request

    async def api_request(method, path, params=None, signed=False, api_key=False, weight=None):
        try:
            return await original(method, path, params, signed, api_key, weight)
        except ExchangeError as exc:
            if method == "POST" and path == exchange.paths["order"]:
                exc.unknown_outcome = False
            raise
    exchange.api.api_request = api_request


make_adapter = variant(change)
