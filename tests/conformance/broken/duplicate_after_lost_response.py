"""Duplicate order after a lost response: a create whose outcome is unknown is simply sent again, under a new
client order id, so the exchange ends up with two orders."""
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
            if not (exc.unknown_outcome and method == "POST" and path == exchange.paths["order"]):
                raise
            retry = dict(params, newClientOrderId=f"{params['newClientOrderId']}r")
            answer = await original(method, path, retry, signed, api_key, weight)
            return dict(answer, clientOrderId=params["newClientOrderId"])
    exchange.api.api_request = api_request


make_adapter = variant(change)
