"""The reference connector's adapter (`exsim conformance --adapter reference`): the connector's own events and
views translated into the adapter protocol's results and events (conformance.adapter). Here the suite meets the
connector, as the ccxt adapter beside it meets ccxt; the connector itself imports nothing of the suite. Every
event the connector emits is queued from construction on; `events()` yields them in order to one consumer.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, AsyncIterator, Optional

from conformance.adapter import (CONDITIONAL_ORDER_TYPES, AdapterConfig, Balance, BalanceUpdate, BookTop, Event,
                                 FundingInfo, FundingPayment, OpenOrder, OrderCanceled, OrderCompleted, OrderCreated,
                                 OrderFailed, OrderFilled, OrderRequest, Position, PositionUpdate, PublicTrade,
                                 TradingRule)
from connector import events as ev
from connector.exchange import BinanceExchange
from connector.in_flight_order import OrderState
from connector.perpetual_derivative import BinancePerpetualDerivative

SPOT_CAPABILITIES = frozenset({"spot", "market_orders", "limit_maker", "ioc", "fok", "cancel_all", "order_book",
                               "public_trades", "balance_events", "restart"})
PERPETUAL_CAPABILITIES = frozenset({"perpetual", "market_orders", "limit_maker", "ioc", "fok", "cancel_all",
                                    "order_book", "public_trades", "balance_events", "restart", "positions",
                                    "leverage", "position_mode", "margin_type", "funding", "conditional_orders"})


class ReferenceAdapter:
    def __init__(self, config: AdapterConfig):
        self.config = config
        perpetual = config.market == "perpetual"
        self.capabilities = PERPETUAL_CAPABILITIES if perpetual else SPOT_CAPABILITIES
        timing = config.timing
        tracking_db = None
        if config.state_dir is not None:
            Path(config.state_dir).mkdir(parents=True, exist_ok=True)
            tracking_db = str(Path(config.state_dir) / "reference-connector.sqlite")
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
    async def place(self, order: OrderRequest) -> str:
        conditional = order.order_type in CONDITIONAL_ORDER_TYPES
        if order.order_type not in ("LIMIT", "MARKET", "LIMIT_MAKER") and not (
                conditional and "conditional_orders" in self.capabilities):
            raise NotImplementedError(f"order type {order.order_type}")
        kwargs: dict[str, Any] = {"client_order_id": order.client_order_id, "time_in_force": order.time_in_force}
        if "perpetual" in self.capabilities:
            closing = order.reduce_only or order.close_position
            kwargs.update(reduce_only=order.reduce_only, position_action="CLOSE" if closing else "OPEN",
                          position_side=order.position_side)
        if conditional:
            kwargs.update(trigger_price=order.trigger_price, close_position=order.close_position,
                          working_type=order.working_type)
        place = self.exchange.buy if order.side == "BUY" else self.exchange.sell
        return place(order.trading_pair, order.amount, order.order_type, order.price, **kwargs)

    async def cancel(self, trading_pair: str, client_order_id: str) -> None:
        self.exchange.cancel(trading_pair, client_order_id)

    async def cancel_all(self, trading_pair: Optional[str] = None) -> list[str]:
        asked = [o.client_order_id for o in self.exchange.in_flight_orders.values()
                 if not o.is_done and (trading_pair is None or o.trading_pair == trading_pair)]
        await self.exchange.cancel_all(trading_pair=trading_pair)  # one bulk request per pair
        return asked

    # --- views ---
    async def balances(self) -> dict[str, Balance]:
        return {asset: Balance(b.total, b.available) for asset, b in self.exchange.balances.items()}

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
    def events(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            yield await self._queue.get()

    def _translate(self, event: ev.ConnectorEvent) -> None:
        out: Optional[Event] = None
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


def make_adapter(config: AdapterConfig) -> ReferenceAdapter:
    return ReferenceAdapter(config)
