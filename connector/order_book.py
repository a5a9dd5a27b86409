"""OrderBook: one trading pair's local book, and the messages the data source turns wire frames into.

Levels are Decimal price -> Decimal quantity; quantities on the wire are absolute, and zero removes a level.
`snapshot_uid` / `last_diff_uid` are the exchange's update ids (lastUpdateId; U/u of the diffs).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any, Iterable, Mapping


class OrderBookMessageType(Enum):
    SNAPSHOT = "snapshot"
    DIFF = "diff"
    TRADE = "trade"


@dataclass
class OrderBookMessage:
    type: OrderBookMessageType
    trading_pair: str
    content: dict[str, Any]
    timestamp_ms: int = 0
    first_update_id: int = 0   # U (diffs)
    update_id: int = 0         # u (diffs), lastUpdateId (snapshots), trade id (trades)
    prev_update_id: int | None = None  # pu (futures diffs)


def _levels(rows: Iterable[Iterable[str]]) -> list[tuple[Decimal, Decimal]]:
    return [(Decimal(p), Decimal(q)) for p, q in rows]


def snapshot_message(trading_pair: str, payload: Mapping[str, Any]) -> OrderBookMessage:
    return OrderBookMessage(OrderBookMessageType.SNAPSHOT, trading_pair,
                            {"bids": _levels(payload["bids"]), "asks": _levels(payload["asks"])},
                            int(payload.get("E", 0)), update_id=int(payload["lastUpdateId"]))


def diff_message(trading_pair: str, event: Mapping[str, Any]) -> OrderBookMessage:
    return OrderBookMessage(OrderBookMessageType.DIFF, trading_pair,
                            {"bids": _levels(event["b"]), "asks": _levels(event["a"])}, int(event.get("E", 0)),
                            first_update_id=int(event["U"]), update_id=int(event["u"]),
                            prev_update_id=int(event["pu"]) if "pu" in event else None)


def trade_message(trading_pair: str, event: Mapping[str, Any]) -> OrderBookMessage:
    trade_id = int(event.get("t", event.get("a", 0)))
    return OrderBookMessage(OrderBookMessageType.TRADE, trading_pair,
                            {"trade_id": trade_id, "price": Decimal(event["p"]), "amount": Decimal(event["q"]),
                             "trade_type": "SELL" if event["m"] else "BUY"},
                            int(event.get("T", event.get("E", 0))), update_id=trade_id)


@dataclass
class OrderBook:
    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)
    snapshot_uid: int = 0
    last_diff_uid: int = 0
    last_trade_price: Decimal | None = None

    def apply_snapshot(self, message: OrderBookMessage) -> None:
        self.bids = {p: q for p, q in message.content["bids"] if q > 0}
        self.asks = {p: q for p, q in message.content["asks"] if q > 0}
        self.snapshot_uid = self.last_diff_uid = message.update_id

    def apply_diff(self, message: OrderBookMessage) -> None:
        for side, levels in ((self.bids, message.content["bids"]), (self.asks, message.content["asks"])):
            for price, qty in levels:
                if qty > 0:
                    side[price] = qty
                else:
                    side.pop(price, None)
        self.last_diff_uid = message.update_id

    def apply_trade(self, message: OrderBookMessage) -> None:
        self.last_trade_price = message.content["price"]

    def top(self, depth: int) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """Best `depth` levels a side: bids high to low, asks low to high."""
        bids = sorted(self.bids.items(), key=lambda level: -level[0])[:depth]
        asks = sorted(self.asks.items())[:depth]
        return bids, asks

    @property
    def best_bid(self) -> Decimal | None:
        return max(self.bids) if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return min(self.asks) if self.asks else None
