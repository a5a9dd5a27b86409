"""Done at the first fill: a closePosition order (which has no amount of its own) is taken as filled by its first
fill, so the fills after it are never reported."""
from connector.client_order_tracker import ClientOrderTracker
from connector.in_flight_order import OrderState

from tests.conformance.broken.base import variant

LEVELS = ("perpetual",)
TARGETS = {"PERP-011"}


def change(exchange) -> None:
    tracker: ClientOrderTracker = exchange.order_tracker
    original = tracker.process_trade_update

    def process_trade_update(trade):
        order = tracker.fetch_order(trade.client_order_id)
        if order is not None and order.close_position and not order.is_done:
            order.current_state = OrderState.FILLED  # "executed >= amount" with an amount of 0
        return original(trade)
    tracker.process_trade_update = process_trade_update


make_adapter = variant(change)
