"""A price-time priority order book for one symbol.

Each side maps price -> Level in a SortedDict; bids are keyed by negated price so that the first key is always
the best price on both sides. A Level keeps its orders in arrival order (an OrderedDict, so the oldest order and
any order by id are both O(1)) and the total quantity resting there.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Iterator

from sortedcontainers import SortedDict

from simulator.engine.order import Order


class Level:
    __slots__ = ("price", "qty", "orders")

    def __init__(self, price: int):
        self.price = price
        self.qty = 0
        self.orders: OrderedDict[int, Order] = OrderedDict()


class BookSide:
    """One side's levels. Change them only through add / remove / reduce, which keep `best` up to date."""

    __slots__ = ("is_bid", "levels", "_best")

    def __init__(self, is_bid: bool):
        self.is_bid = is_bid
        self.levels: SortedDict = SortedDict()
        # The best level, kept by add and remove: every order placed asks for it, and SortedDict.peekitem costs
        # about as much as the rest of a price check.
        self._best: Level | None = None

    def best(self) -> Level | None:
        return self._best

    def best_price(self) -> int | None:
        best = self._best
        return best.price if best is not None else None

    def best_levels(self) -> Iterator[Level]:
        """Levels from the best price outwards.

        A generator that hands out the cached best level first and only walks the SortedDict when asked for the
        next: most takers are done within the best level.
        """
        best = self._best
        if best is None:
            return
        yield best
        rest = iter(self.levels.values())
        next(rest)  # the best level, already given
        yield from rest

    def level(self, price: int) -> Level | None:
        return self.levels.get(-price if self.is_bid else price)

    def add(self, order: Order) -> None:
        key = -order.price if self.is_bid else order.price
        level = self.levels.get(key)
        if level is None:
            level = self.levels[key] = Level(order.price)
            best = self._best
            if best is None or (order.price > best.price if self.is_bid else order.price < best.price):
                self._best = level
        level.orders[order.order_id] = order
        level.qty += order.qty - order.executed

    def remove(self, order: Order) -> None:
        """Take an order off the book with whatever quantity it still shows."""
        key = -order.price if self.is_bid else order.price
        level = self.levels[key]
        del level.orders[order.order_id]
        level.qty -= order.qty - order.executed
        if not level.orders:
            del self.levels[key]
            if level is self._best:
                self._best = self.levels.peekitem(0)[1] if self.levels else None

    def reduce(self, order: Order, qty: int) -> None:
        """The order shows `qty` less (filled or amended down); the caller removes it when nothing is left."""
        self.levels[-order.price if self.is_bid else order.price].qty -= qty

    def depth(self, limit: int) -> list[tuple[int, int]]:
        out = []
        for level in self.levels.values():
            if len(out) >= limit:
                break
            out.append((level.price, level.qty))
        return out

    def __len__(self) -> int:
        return len(self.levels)


class OrderBook:
    """Both sides of one symbol, plus the stop orders waiting for their trigger."""

    __slots__ = ("symbol", "bids", "asks", "update_id", "stops", "changed_bids", "changed_asks")

    def __init__(self, symbol: str):
        self.symbol = symbol
        self.bids = BookSide(is_bid=True)
        self.asks = BookSide(is_bid=False)
        self.update_id = 0  # moves on every operation that changes a level; shared by snapshots and diffs
        self.stops: dict[int, Order] = {}
        # Prices whose level changed during the engine's current operation, in order of first change (the
        # engine reports and clears them when the operation ends: Engine._flush).
        self.changed_bids: dict[int, None] = {}
        self.changed_asks: dict[int, None] = {}

    def side(self, is_buy: bool) -> BookSide:
        return self.bids if is_buy else self.asks

    def opposite(self, is_buy: bool) -> BookSide:
        return self.asks if is_buy else self.bids

    def level_qty(self, is_bid: bool, price: int) -> int:
        level = self.bids.levels.get(-price) if is_bid else self.asks.levels.get(price)
        return level.qty if level else 0

    def is_crossed(self) -> bool:
        bid, ask = self.bids.best_price(), self.asks.best_price()
        return bid is not None and ask is not None and bid >= ask
