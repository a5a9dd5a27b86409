"""The conformance suite's adapter for the reference connector: `make_adapter(config)`.

It implements the suite's adapter protocol structurally (the suite and the connector never import each other):
`config` is read by attribute, results are small dataclasses with the attribute names the suite reads, and
events are dataclasses whose class NAMES are the protocol's (OrderCreated, OrderFilled, ...), translated from the
connector's own events. Every event the connector emits is queued from construction on; `events()` yields them
in order to one consumer.

    exsim conformance --adapter connector.adapter:make_adapter
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, AsyncIterator, Optional

from connector import events as ev
from connector.exchange import Balance, BinanceExchange
from connector.in_flight_order import OrderState
from connector.perpetual_derivative import BinancePerpetualDerivative

SPOT_CAPABILITIES = frozenset({"spot", "market_orders", "limit_maker", "ioc", "fok", "cancel_all", "order_book",
                               "public_trades", "balance_events", "restart"})
PERPETUAL_CAPABILITIES = frozenset({"perpetual", "market_orders", "limit_maker", "ioc", "fok", "cancel_all",
                                    "order_book", "public_trades", "balance_events", "restart", "positions",
                                    "leverage", "position_mode", "margin_type", "funding"})


# --- results ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenOrder:
    client_order_id: str
    exchange_order_id: Optional[str]
    trading_pair: str
    side: str
    order_type: str
    price: Optional[Decimal]
    amount: Decimal
    executed_amount: Decimal
    state: str


@dataclass(frozen=True)
class BookTop:
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]


@dataclass(frozen=True)
class TradingRule:
    trading_pair: str
    min_order_size: Decimal
    max_order_size: Decimal
    min_price_increment: Decimal
    min_base_amount_increment: Decimal
    min_notional: Decimal
    status: str


@dataclass(frozen=True)
class Position:
    trading_pair: str
    position_side: str
    amount: Decimal
    entry_price: Decimal
    leverage: int
    unrealized_pnl: Decimal


@dataclass(frozen=True)
class FundingInfo:
    trading_pair: str
    index_price: Decimal
    mark_price: Decimal
    rate: Decimal
    next_funding_time_ms: int


# --- events (matched by class name) ----------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderCreated:
    client_order_id: str
    exchange_order_id: str
    trading_pair: str
    side: str
    order_type: str
    amount: Decimal
    price: Optional[Decimal]


@dataclass(frozen=True)
class OrderFilled:
    client_order_id: str
    exchange_order_id: str
    trading_pair: str
    trade_id: str
    side: str
    price: Decimal
    amount: Decimal
    fee_asset: str
    fee_amount: Decimal
    position_side: str = "BOTH"


@dataclass(frozen=True)
class OrderCompleted:
    client_order_id: str
    exchange_order_id: str
    trading_pair: str


@dataclass(frozen=True)
class OrderCanceled:
    client_order_id: str
    exchange_order_id: Optional[str]
    trading_pair: str


@dataclass(frozen=True)
class OrderFailed:
    client_order_id: str
    trading_pair: str
    reason: str
    code: Optional[int] = None


@dataclass(frozen=True)
class BalanceUpdate:
    asset: str
    total: Decimal
    available: Decimal


@dataclass(frozen=True)
class PositionUpdate:
    trading_pair: str
    position_side: str
    amount: Decimal
    entry_price: Decimal


@dataclass(frozen=True)
class FundingPayment:
    trading_pair: str
    asset: str
    amount: Decimal
    timestamp_ms: int


@dataclass(frozen=True)
class PublicTrade:
    trading_pair: str
    trade_id: str
    price: Decimal
    amount: Decimal


class ReferenceAdapter:
    def __init__(self, config: Any):
        self.config = config
        perpetual = getattr(config, "market", "spot") == "perpetual"
        self.capabilities = PERPETUAL_CAPABILITIES if perpetual else SPOT_CAPABILITIES
        timing = config.timing
        state_dir = getattr(config, "state_dir", None)
        tracking_db = None
        if state_dir is not None:
            Path(state_dir).mkdir(parents=True, exist_ok=True)
            tracking_db = str(Path(state_dir) / "reference-connector.sqlite")
        cls = BinancePerpetualDerivative if perpetual else BinanceExchange
        options: dict[str, Any] = dict(
            base_url=config.rest_url, ws_url=config.ws_url, tracking_db=tracking_db,
            request_timeout=timing.request_timeout,
            ws_heartbeat=timing.ws_silence_timeout / 1.5,  # unanswered ping noticed within 1.5 heartbeats
            poll_interval=timing.poll_interval, long_poll_interval=max(timing.poll_interval * 4, 1.0),
            not_found_limit=timing.lost_order_after)
        if perpetual:
            options["funding_poll_interval"] = max(timing.poll_interval * 4, 1.0)
        self.exchange = cls(config.api_key, config.api_secret, list(config.trading_pairs), **options)
        self._queue: asyncio.Queue = asyncio.Queue()
        self.exchange.events.add_listener(self._translate)

    # --- lifecycle ---
    async def start(self) -> None:
        await self.exchange.start_network()
        await self.exchange.wait_until_ready(30)

    async def stop(self) -> None:
        await self.exchange.stop_network()

    # --- orders ---
    async def place(self, order: Any) -> str:
        if order.order_type not in ("LIMIT", "MARKET", "LIMIT_MAKER"):
            raise NotImplementedError(f"order type {order.order_type}")
        kwargs: dict[str, Any] = {"client_order_id": order.client_order_id,
                                  "time_in_force": getattr(order, "time_in_force", None) or "GTC"}
        if "perpetual" in self.capabilities:
            reduce_only = bool(getattr(order, "reduce_only", False))
            kwargs.update(reduce_only=reduce_only, position_action="CLOSE" if reduce_only else "OPEN",
                          position_side=getattr(order, "position_side", None) or "BOTH")
        place = self.exchange.buy if order.side == "BUY" else self.exchange.sell
        return place(order.trading_pair, order.amount, order.order_type, order.price, **kwargs)

    async def cancel(self, trading_pair: str, client_order_id: str) -> None:
        self.exchange.cancel(trading_pair, client_order_id)

    async def cancel_all(self, trading_pair: Optional[str] = None) -> list[str]:
        asked = [o.client_order_id for o in self.exchange.in_flight_orders.values()
                 if not o.is_done and (trading_pair is None or o.trading_pair == trading_pair)]
        for client_order_id in asked:
            self.exchange.cancel(self.exchange.in_flight_orders[client_order_id].trading_pair, client_order_id)
        return asked

    # --- views ---
    async def balances(self) -> dict[str, Balance]:
        return self.exchange.balances

    async def open_orders(self, trading_pair: Optional[str] = None) -> list[OpenOrder]:
        out = []
        for o in self.exchange.in_flight_orders.values():
            state = o.state_before_cancel if o.current_state is OrderState.PENDING_CANCEL else o.current_state
            if state not in (OrderState.OPEN, OrderState.PARTIALLY_FILLED):
                continue
            if trading_pair is None or o.trading_pair == trading_pair:
                out.append(OpenOrder(o.client_order_id, o.exchange_order_id, o.trading_pair, o.trade_type,
                                     o.order_type, o.price, o.amount, o.executed_amount_base, state.value))
        return out

    async def order_book(self, trading_pair: str, depth: int) -> BookTop:
        bids, asks = self.exchange.get_order_book(trading_pair).top(depth)
        return BookTop(tuple(bids), tuple(asks))

    async def trading_rules(self) -> dict[str, TradingRule]:
        return {pair: TradingRule(pair, r.min_order_size, r.max_order_size, r.min_price_increment,
                                  r.min_base_amount_increment, r.min_notional, r.status)
                for pair, r in self.exchange.trading_rules.items()}

    # --- perpetual ---
    def _perp(self) -> BinancePerpetualDerivative:
        if not isinstance(self.exchange, BinancePerpetualDerivative):
            raise NotImplementedError("a spot adapter has no positions, leverage or funding")
        return self.exchange

    async def positions(self) -> list[Position]:
        return [Position(p.trading_pair, p.position_side, p.amount, p.entry_price, p.leverage, p.unrealized_pnl)
                for p in self._perp().positions]

    async def funding_info(self, trading_pair: str) -> FundingInfo:
        info = self._perp().funding_info[trading_pair]
        return FundingInfo(trading_pair, info.index_price, info.mark_price, info.rate, info.next_funding_time_ms)

    async def set_leverage(self, trading_pair: str, leverage: int) -> None:
        await self._perp().set_leverage(trading_pair, leverage)

    async def set_position_mode(self, mode: str) -> None:
        await self._perp().set_position_mode(mode)

    async def set_margin_type(self, trading_pair: str, margin_type: str) -> None:
        await self._perp().set_margin_type(trading_pair, margin_type)

    # --- events ---
    def events(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        while True:
            yield await self._queue.get()

    def _translate(self, event: ev.ConnectorEvent) -> None:
        out = None
        if isinstance(event, ev.OrderCreatedEvent):
            out = OrderCreated(event.client_order_id, event.exchange_order_id, event.trading_pair, event.trade_type,
                               event.order_type, event.amount, event.price)
        elif isinstance(event, ev.OrderFilledEvent):
            order = self.exchange.order_tracker.fetch_order(event.client_order_id)
            side = (order.position_side if order else None) or "BOTH"
            out = OrderFilled(event.client_order_id, event.exchange_order_id, event.trading_pair, event.trade_id,
                              event.trade_type, event.price, event.amount, event.fee_asset or "", event.fee_amount,
                              side)
        elif isinstance(event, ev.OrderCompletedEvent):
            out = OrderCompleted(event.client_order_id, event.exchange_order_id, event.trading_pair)
        elif isinstance(event, ev.OrderCancelledEvent):
            out = OrderCanceled(event.client_order_id, event.exchange_order_id, event.trading_pair)
        elif isinstance(event, ev.OrderFailureEvent):
            out = OrderFailed(event.client_order_id, event.trading_pair, event.reason, event.code)
        elif isinstance(event, ev.BalanceUpdateEvent):
            out = BalanceUpdate(event.asset, event.total, event.available)
        elif isinstance(event, ev.PositionUpdateEvent):
            out = PositionUpdate(event.trading_pair, event.position_side, event.amount, event.entry_price)
        elif isinstance(event, ev.FundingPaymentCompletedEvent):
            out = FundingPayment(event.trading_pair, event.asset, event.amount, event.funding_time_ms)
        elif isinstance(event, ev.PublicTradeEvent):
            out = PublicTrade(event.trading_pair, event.trade_id, event.price, event.amount)
        if out is not None:
            self._queue.put_nowait(out)


def make_adapter(config: Any) -> ReferenceAdapter:
    return ReferenceAdapter(config)
