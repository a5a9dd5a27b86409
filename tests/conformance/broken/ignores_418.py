"""Ignores 418: an IP ban answer does not stop the connector (429's Retry-After is still honoured)."""
from connector.exchange import BinanceExchange
from connector.web_assistant import ExchangeError

from tests.conformance.broken.base import variant

LEVELS = ("core", "robust")
TARGETS = {"RATE-103"}


def change(exchange: BinanceExchange) -> None:
    original = exchange.api._request_once
    throttler = exchange.throttler

    async def request_once(*args, **kwargs):
        before = throttler.banned_until
        try:
            return await original(*args, **kwargs)
        except ExchangeError as exc:
            if exc.status == 418:
                throttler.banned_until = before  # the ban is forgotten at once
            raise
    exchange.api._request_once = request_once


make_adapter = variant(change)
