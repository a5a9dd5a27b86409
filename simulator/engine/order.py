"""An order and the vocabulary of its life: sides, types, time in force and statuses."""
from __future__ import annotations

BUY, SELL = "BUY", "SELL"
SIDES = (BUY, SELL)

LIMIT = "LIMIT"
MARKET = "MARKET"
LIMIT_MAKER = "LIMIT_MAKER"
STOP_LOSS = "STOP_LOSS"
STOP_LOSS_LIMIT = "STOP_LOSS_LIMIT"
TAKE_PROFIT = "TAKE_PROFIT"
TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"
ORDER_TYPES = (LIMIT, MARKET, LIMIT_MAKER, STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT)
STOP_TYPES = frozenset((STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT))
LIMIT_PRICED = frozenset((LIMIT, LIMIT_MAKER, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT))

GTC, IOC, FOK = "GTC", "IOC", "FOK"
TIMES_IN_FORCE = (GTC, IOC, FOK)

NEW = "NEW"
PARTIALLY_FILLED = "PARTIALLY_FILLED"
FILLED = "FILLED"
CANCELED = "CANCELED"
EXPIRED = "EXPIRED"
EXPIRED_IN_MATCH = "EXPIRED_IN_MATCH"
FINAL_STATUSES = frozenset((FILLED, CANCELED, EXPIRED, EXPIRED_IN_MATCH))

# Stop orders trigger on the last trade price: a stop-loss fires when the price moves against the position
# the order protects, a take-profit when it moves in its favour.
_TRIGGERS_ON_RISE = frozenset(((STOP_LOSS, True), (STOP_LOSS_LIMIT, True), (TAKE_PROFIT, False),
                               (TAKE_PROFIT_LIMIT, False)))  # (type, is_buy) that fire when last >= stop


def stop_reached(type_: str, is_buy: bool, stop_price: int, last: int) -> bool:
    """Whether a stop order of this type and side fires at last trade price `last`."""
    return last >= stop_price if (type_, is_buy) in _TRIGGERS_ON_RISE else last <= stop_price


class Order:
    """One order. Quantities and prices are atoms (see instrument.py); `locked` is what it holds now."""

    __slots__ = (
        "order_id", "client_id", "account_id", "symbol", "side", "is_buy", "type", "tif", "price", "qty",
        "stop_price", "quote_qty", "executed", "cum_quote", "status", "stp", "time", "update_time",
        "working_time", "locked", "expiry_reason", "prevented_qty", "prevented_match_id",
    )

    def __init__(self, order_id: int, client_id: str, account_id: int, symbol: str, side: str, type_: str,
                 tif: str, price: int, qty: int, stop_price: int, quote_qty: int, stp: str, time: int):
        self.order_id = order_id
        self.client_id = client_id
        self.account_id = account_id
        self.symbol = symbol
        self.side = side
        self.is_buy = side == BUY
        self.type = type_
        self.tif = tif
        self.price = price
        self.qty = qty
        self.stop_price = stop_price
        self.quote_qty = quote_qty
        self.executed = 0
        self.cum_quote = 0
        self.status = NEW
        self.stp = stp
        self.time = time
        self.update_time = time
        self.working_time = -1
        self.locked = 0
        self.expiry_reason = ""
        self.prevented_qty = 0
        self.prevented_match_id = -1  # the symbol's prevented match id once STP expired it (-1: never)

    @property
    def remaining(self) -> int:
        return self.qty - self.executed

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES

    @property
    def is_working(self) -> bool:
        """On the book (or triggered); a pending stop order is not working yet."""
        return self.working_time >= 0

    def state(self) -> dict:
        """Everything that identifies and describes the order, for logs, snapshots and hashing."""
        return {name: getattr(self, name) for name in self.__slots__ if name != "is_buy"}

    def __repr__(self) -> str:
        return (f"Order({self.order_id} {self.symbol} {self.side} {self.type} {self.qty}@{self.price} "
                f"{self.status} exec={self.executed})")
