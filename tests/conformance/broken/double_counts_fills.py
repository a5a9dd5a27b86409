"""Double counts a fill that arrives both by REST and over WS: fills are de-duplicated only against fills seen
from the same source."""
from connector.exchange import BinanceExchange

from tests.conformance.broken.base import variant

LEVELS = ("core", "robust")
TARGETS = {"FILL-003", "FILL-001", "FILL-002", "ORDER-003", "ORDER-005", "ORDER-020", "ORDER-012",
           "ORDER-014", "FILL-106"}


def change(exchange: BinanceExchange) -> None:
    tracker = exchange.order_tracker
    original = tracker.process_trade_update

    def process_trade_update(trade):
        order = tracker.fetch_order(trade.client_order_id)
        seen = order.order_fills.get(trade.trade_id) if order is not None else None
        if seen is not None and seen.source != trade.source:
            del order.order_fills[trade.trade_id]  # seen, but by the other source: counted again
        return original(trade)
    tracker.process_trade_update = process_trade_update


make_adapter = variant(change)
