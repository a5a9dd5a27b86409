"""Events the connector emits, and the EventBus that hands them out.

Listeners either register a callback or read an asyncio.Queue (`subscribe()`); `wait_for` lets a caller (a test,
the demo, the adapter) wait on the event it expects with a deadline, never on a sleep.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, ClassVar


@dataclass(frozen=True)
class ConnectorEvent:
    kind: ClassVar[str] = "event"
    timestamp: float = field(default_factory=time.time, kw_only=True)


@dataclass(frozen=True)
class OrderCreatedEvent(ConnectorEvent):
    kind: ClassVar[str] = "order_created"
    client_order_id: str
    exchange_order_id: str
    trading_pair: str
    trade_type: str
    order_type: str
    amount: Decimal
    price: Decimal | None


@dataclass(frozen=True)
class OrderFilledEvent(ConnectorEvent):
    kind: ClassVar[str] = "order_filled"
    client_order_id: str
    exchange_order_id: str
    trading_pair: str
    trade_type: str
    trade_id: str
    price: Decimal
    amount: Decimal
    fee_asset: str | None
    fee_amount: Decimal
    is_maker: bool
    source: str


@dataclass(frozen=True)
class OrderCompletedEvent(ConnectorEvent):
    kind: ClassVar[str] = "order_completed"
    client_order_id: str
    exchange_order_id: str
    trading_pair: str
    trade_type: str
    base_amount: Decimal
    quote_amount: Decimal
    fees: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class OrderCancelledEvent(ConnectorEvent):
    kind: ClassVar[str] = "order_canceled"
    client_order_id: str
    exchange_order_id: str | None
    trading_pair: str
    executed_amount: Decimal


@dataclass(frozen=True)
class OrderFailureEvent(ConnectorEvent):
    kind: ClassVar[str] = "order_failed"
    client_order_id: str
    trading_pair: str
    reason: str
    code: int | None = None


@dataclass(frozen=True)
class BalanceUpdateEvent(ConnectorEvent):
    kind: ClassVar[str] = "balance_update"
    asset: str
    total: Decimal
    available: Decimal
    source: str


@dataclass(frozen=True)
class PositionUpdateEvent(ConnectorEvent):
    kind: ClassVar[str] = "position_update"
    trading_pair: str
    position_side: str
    amount: Decimal
    entry_price: Decimal
    unrealized_pnl: Decimal
    leverage: int
    source: str


@dataclass(frozen=True)
class FundingPaymentCompletedEvent(ConnectorEvent):
    kind: ClassVar[str] = "funding_payment"
    trading_pair: str
    asset: str
    amount: Decimal
    funding_time_ms: int
    source: str


@dataclass(frozen=True)
class PublicTradeEvent(ConnectorEvent):
    kind: ClassVar[str] = "public_trade"
    trading_pair: str
    trade_id: str
    price: Decimal
    amount: Decimal
    trade_type: str


Listener = Callable[[ConnectorEvent], None]


class EventBus:
    def __init__(self, history: int = 10_000):
        self._listeners: list[Listener] = []
        self._queues: list[asyncio.Queue] = []
        self.history: list[ConnectorEvent] = []
        self._history_max = history

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self._queues.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        if queue in self._queues:
            self._queues.remove(queue)

    def trigger(self, event: ConnectorEvent) -> None:
        self.history.append(event)
        del self.history[:-self._history_max]
        for listener in list(self._listeners):
            listener(event)
        for queue in self._queues:
            queue.put_nowait(event)

    async def wait_for(self, predicate: Callable[[ConnectorEvent], bool], timeout: float,
                       include_past: bool = True) -> ConnectorEvent:
        """The first event (already seen, if include_past) matching `predicate`; TimeoutError after `timeout`."""
        if include_past:
            for event in self.history:
                if predicate(event):
                    return event
        queue = self.subscribe()
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = await queue.get()
                    if predicate(event):
                        return event
        finally:
            self.unsubscribe(queue)

