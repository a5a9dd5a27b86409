"""No resync on a depth gap: diffs are applied whatever their update ids say (no gap detection)."""
from connector.exchange import BinanceExchange

from tests.conformance.broken.base import variant

LEVELS = ("core", "robust")
TARGETS = {"BOOK-101", "BOOK-102"}


def change(exchange: BinanceExchange) -> None:
    tracker = exchange.order_book_tracker

    def apply_diff(pair, state, diff):
        if diff.update_id > state.book.last_diff_uid:
            state.first_after_snapshot = False
            state.book.apply_diff(diff)
    tracker._apply_diff = apply_diff


make_adapter = variant(change)
