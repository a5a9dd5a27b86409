"""Events: every state change of the engine, numbered by a per-engine sequence.

Dialects translate these into wire payloads and never decide outcomes themselves. Each event copies the
fields that may still change later (status, executed quantity, ...) so that a listener that reads it after
the operation finished sees the state at the moment the event happened.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from simulator.engine.order import Order


class Event:
    __slots__ = ("seq", "time")
    kind = "event"

    def as_dict(self) -> dict[str, Any]:
        """A plain, JSON-ready rendering: the event log's canonical form (hashed by determinism tests)."""
        out: dict[str, Any] = {"kind": self.kind}
        for cls in type(self).__mro__:
            for name in getattr(cls, "__slots__", ()):
                out.setdefault(name, _plain(getattr(self, name)))
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, Order):
        return value.order_id
    if isinstance(value, Trade):
        return value.trade_id
    if isinstance(value, Prevention):
        return value._asdict()  # fields in declaration order; the log's JSON sorts keys anyway
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


class Trade:
    """A match between a maker and a taker. Fees are atoms of the asset each side receives."""

    __slots__ = ("trade_id", "symbol", "price", "qty", "quote_qty", "time", "buyer", "seller", "buyer_is_maker",
                 "buyer_fee", "seller_fee", "base", "quote")

    def __init__(self, trade_id: int, symbol: str, price: int, qty: int, quote_qty: int, time: int,
                 buyer: Order, seller: Order, buyer_is_maker: bool, buyer_fee: int, seller_fee: int,
                 base: str, quote: str):
        self.trade_id = trade_id
        self.symbol = symbol
        self.price = price
        self.qty = qty
        self.quote_qty = quote_qty
        self.time = time
        self.buyer = buyer
        self.seller = seller
        self.buyer_is_maker = buyer_is_maker
        self.buyer_fee = buyer_fee
        self.seller_fee = seller_fee
        self.base = base
        self.quote = quote

    def fee_for(self, order: Order) -> tuple[int, str]:
        """(commission, commission asset) charged to the given side of this trade."""
        if order is self.buyer:
            return self.buyer_fee, self.base
        return self.seller_fee, self.quote

    def is_maker(self, order: Order) -> bool:
        return (order is self.buyer) == self.buyer_is_maker

    def state(self) -> dict[str, Any]:
        return {
            "trade_id": self.trade_id, "symbol": self.symbol, "price": self.price, "qty": self.qty,
            "quote_qty": self.quote_qty, "time": self.time, "buyer": self.buyer.order_id,
            "seller": self.seller.order_id, "buyer_is_maker": self.buyer_is_maker,
            "buyer_fee": self.buyer_fee, "seller_fee": self.seller_fee,
        }


class Prevention(NamedTuple):
    """One order's side of a prevented match (self-trade prevention), carried by its TRADE_PREVENTION update.

    Binance's executionReport shows it as v (match_id), U (counter_order_id), Cs (counter_symbol),
    B (last_qty), pl / pL / pY (qty / price / quote_qty); A is the order's cumulative prevented quantity.
    """

    match_id: int  # the symbol's prevented match id, shared by both orders when both expire (EXPIRE_BOTH)
    counter_order_id: int  # the other order of the prevented match
    counter_symbol: str
    last_qty: int  # what this update expired of the order (its remaining quantity)
    qty: int  # what would have traded: the smaller of the two orders' remaining quantities
    price: int  # the price it would have traded at: the maker's
    quote_qty: int  # qty at price, in quote atoms


class OrderUpdate(Event):
    """An order changed: NEW (accepted, or a stop order triggered), TRADE, CANCELED, EXPIRED, TRADE_PREVENTION
    or REPLACED (amended down)."""

    # `prevention` is set on TRADE_PREVENTION updates only (None otherwise)
    __slots__ = ("exec_type", "order", "status", "qty", "executed", "cum_quote", "trade", "cancel_client_id",
                 "prevention")
    kind = "order"

    def __init__(self, seq: int, time: int, exec_type: str, order: Order, trade: Trade | None = None,
                 cancel_client_id: str = "", prevention: Prevention | None = None):
        self.seq = seq
        self.time = time
        self.exec_type = exec_type
        self.order = order
        self.status = order.status
        self.qty = order.qty
        self.executed = order.executed
        self.cum_quote = order.cum_quote
        self.trade = trade
        self.cancel_client_id = cancel_client_id
        self.prevention = prevention

    def as_dict(self) -> dict[str, Any]:
        out = super().as_dict()
        out["account_id"] = self.order.account_id
        out["symbol"] = self.order.symbol
        out["client_id"] = self.order.client_id
        return out


class OrderRejected(Event):
    """An order request refused before it existed: no id was used and nothing changed."""

    __slots__ = ("account_id", "symbol", "client_id", "side", "type", "reason")
    kind = "rejected"

    def __init__(self, seq: int, time: int, account_id: int, symbol: str, client_id: str, side: str,
                 type_: str, reason: str):
        self.seq = seq
        self.time = time
        self.account_id = account_id
        self.symbol = symbol
        self.client_id = client_id
        self.side = side
        self.type = type_
        self.reason = reason


class TradeEvent(Event):
    __slots__ = ("trade",)
    kind = "trade"

    def __init__(self, seq: int, time: int, trade: Trade):
        self.seq = seq
        self.time = time
        self.trade = trade

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seq": self.seq, "time": self.time, **self.trade.state()}


class BalanceUpdate(Event):
    """An account's balance of one asset after an operation; `delta` is set for deposits and withdrawals."""

    __slots__ = ("account_id", "asset", "free", "locked", "delta", "reason")
    kind = "balance"

    def __init__(self, seq: int, time: int, account_id: int, asset: str, free: int, locked: int, delta: int,
                 reason: str):
        self.seq = seq
        self.time = time
        self.account_id = account_id
        self.asset = asset
        self.free = free
        self.locked = locked
        self.delta = delta
        self.reason = reason


class DepthUpdate(Event):
    """Levels of one book that changed in one operation, with absolute quantities (0 = level gone)."""

    __slots__ = ("symbol", "update_id", "bids", "asks")
    kind = "depth"

    def __init__(self, seq: int, time: int, symbol: str, update_id: int, bids: list, asks: list):
        self.seq = seq
        self.time = time
        self.symbol = symbol
        self.update_id = update_id
        self.bids = bids
        self.asks = asks


class SymbolStatusChanged(Event):
    __slots__ = ("symbol", "status")
    kind = "symbol_status"

    def __init__(self, seq: int, time: int, symbol: str, status: str):
        self.seq = seq
        self.time = time
        self.symbol = symbol
        self.status = status
