"""Ignores partial fills: the order tracker drops every fill that leaves the order partially filled (only a fill
that fills the order in one go counts), whether it comes from the user stream or from REST."""
from connector.exchange import BinanceExchange

from tests.conformance.broken.base import variant

LEVELS = ("core", "robust")
TARGETS = {"ORDER-003", "ORDER-005", "ORDER-020", "ORDER-014", "FILL-001", "FILL-003", "FILL-101", "REST-101",
           "PERSIST-101", "FILL-104"}


def change(exchange: BinanceExchange) -> None:
    tracker = exchange.order_tracker
    original = tracker.process_trade_update

    def process_trade_update(trade):
        order = tracker.fetch_order(trade.client_order_id)
        if order is not None and order.executed_amount_base + trade.fill_base_amount < order.amount:
            return False
        return original(trade)
    tracker.process_trade_update = process_trade_update


make_adapter = variant(change)
