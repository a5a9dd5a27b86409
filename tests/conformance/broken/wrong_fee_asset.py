"""Wrong fee asset: every fee is booked in the pair's quote asset (a buy on spot is charged in the base asset)."""
import dataclasses

from connector.exchange import BinanceExchange

from tests.conformance.broken.base import variant

LEVELS = ("core", "robust")
TARGETS = {"FILL-001", "FILL-002", "ORDER-003", "ORDER-012", "ORDER-014", "ORDER-015", "FILL-101", "FILL-102",
           "FILL-104", "FILL-105", "FILL-106", "WS-103", "WS-104", "WS-105", "WS-106", "WS-108", "PERSIST-101",
           "PERSIST-102", "REST-101",
           "ORDER-005", "FILL-003"}


def change(exchange: BinanceExchange) -> None:
    tracker = exchange.order_tracker
    original = tracker.process_trade_update

    def process_trade_update(trade):
        quote = trade.trading_pair.split("-")[1]
        return original(dataclasses.replace(trade, fee_asset=quote))
    tracker.process_trade_update = process_trade_update


make_adapter = variant(change)
