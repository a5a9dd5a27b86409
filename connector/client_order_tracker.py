"""ClientOrderTracker: holds the InFlightOrders, applies order and trade updates to them, and emits the events.

Updates come from the user stream, from REST answers and from status polling, in any order and possibly twice;
the tracker makes them one story:
  * a fill counts once (by trade id), whoever reports it; fees are kept per fill in the asset charged;
  * `OrderCreatedEvent` once, when the exchange first confirms the order (whatever the confirming state);
  * an order the exchange says is FILLED completes only once all of its fills are known (the exchange's
    cumulative executed amount equals the fills' sum), so `OrderCompletedEvent` carries the true totals;
  * a canceled order with fills reports its cancel once those fills are known too;
  * done orders stay in a small cache for a while, so a late duplicate is recognised rather than mistaken for
    news;
  * every change is written to the TrackingStateStore (when there is one) before anything else sees it.
Lost orders: an order whose create or cancel answer was lost stays tracked; the exchange resolves it by status
queries, and `process_order_not_found` fails a create the exchange keeps saying it never saw.
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Callable

from connector.events import (EventBus, OrderCancelledEvent, OrderCompletedEvent, OrderCreatedEvent,
                              OrderFailureEvent, OrderFilledEvent)
from connector.in_flight_order import DONE_STATES, InFlightOrder, OrderState, OrderUpdate, TradeUpdate
from connector.tracking_store import TrackingStateStore

log = logging.getLogger(__name__)

NOT_FOUND_LIMIT = 3  # consecutive "does not exist" answers before a create counts as never placed
CACHE_SIZE = 1000


class ClientOrderTracker:
    def __init__(self, events: EventBus, store: TrackingStateStore | None = None,
                 clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
                 not_found_limit: int = NOT_FOUND_LIMIT):
        self._events = events
        self._store = store
        self._clock_ms = clock_ms
        self._in_flight: dict[str, InFlightOrder] = {}
        self._cached: OrderedDict[str, InFlightOrder] = OrderedDict()
        self._created_reported: set[str] = set()
        self._not_found: dict[str, int] = {}
        self._not_found_limit = not_found_limit

    # --- views ---
    @property
    def active_orders(self) -> dict[str, InFlightOrder]:
        return dict(self._in_flight)

    @property
    def all_fillable_orders(self) -> dict[str, InFlightOrder]:
        return {**self._cached, **self._in_flight}

    def fetch_order(self, client_order_id: str | None = None, exchange_order_id: str | None = None
                    ) -> InFlightOrder | None:
        if client_order_id is not None:
            return self._in_flight.get(client_order_id) or self._cached.get(client_order_id)
        for order in (*self._in_flight.values(), *self._cached.values()):
            if order.exchange_order_id == exchange_order_id:
                return order
        return None

    # --- tracking ---
    def start_tracking_order(self, order: InFlightOrder) -> None:
        self._in_flight[order.client_order_id] = order
        if order.current_state is not OrderState.PENDING_CREATE:
            self._created_reported.add(order.client_order_id)
        self._persist(order)

    def stop_tracking_order(self, client_order_id: str) -> None:
        order = self._in_flight.pop(client_order_id, None)
        if order is None:
            return
        self._cached[client_order_id] = order
        while len(self._cached) > CACHE_SIZE:
            self._cached.popitem(last=False)
        self._not_found.pop(client_order_id, None)
        if self._store:
            self._store.delete(client_order_id)

    def restore_tracking_states(self, states: dict[str, dict]) -> list[InFlightOrder]:
        restored = []
        for client_order_id, state in states.items():
            order = InFlightOrder.from_json(state)
            if order.is_done:
                continue
            self._in_flight[client_order_id] = order
            if order.exchange_order_id is not None or order.current_state is not OrderState.PENDING_CREATE:
                self._created_reported.add(client_order_id)
            restored.append(order)
        return restored

    def _persist(self, order: InFlightOrder) -> None:
        if self._store and order.client_order_id in self._in_flight:
            self._store.save(order.client_order_id, order.to_json(), self._clock_ms())

    # --- updates ---
    def process_order_update(self, update: OrderUpdate) -> None:
        order = self.fetch_order(update.client_order_id)
        if order is None or order.client_order_id not in self._in_flight:
            return  # unknown, or already done and reported
        self._not_found.pop(order.client_order_id, None)
        if update.exchange_order_id and order.exchange_order_id is None:
            order.exchange_order_id = update.exchange_order_id
        if update.executed_amount is not None:
            order.executed_amount_reported = max(order.executed_amount_reported, update.executed_amount)
        order.last_update_timestamp_ms = max(order.last_update_timestamp_ms, update.update_timestamp_ms)
        new = update.new_state
        if new is OrderState.FAILED:
            order.current_state = OrderState.FAILED
            order.failure_reason = update.reason
            self._persist(order)
            self._events.trigger(OrderFailureEvent(order.client_order_id, order.trading_pair, update.reason,
                                                   update.code))
            self.stop_tracking_order(order.client_order_id)
            return
        if new is not OrderState.PENDING_CREATE:
            self._report_created(order)
        if new is OrderState.PENDING_CANCEL:
            # A second cancel while one is out (cancel-all over a single cancel) keeps the state to go back to.
            if order.is_open and order.current_state is not OrderState.PENDING_CANCEL:
                order.state_before_cancel = order.current_state
                order.current_state = OrderState.PENDING_CANCEL
        elif new in (OrderState.OPEN, OrderState.PARTIALLY_FILLED):
            # An update never moves an order back (a late NEW after a fill), nor out of PENDING_CANCEL.
            if order.current_state is OrderState.PENDING_CREATE or (
                    order.current_state is OrderState.OPEN and new is OrderState.PARTIALLY_FILLED):
                order.current_state = new
            elif order.current_state is OrderState.PENDING_CANCEL and new is OrderState.PARTIALLY_FILLED:
                order.state_before_cancel = new
        elif new in (OrderState.FILLED, OrderState.CANCELED):
            order.current_state = new
        self._persist(order)
        self._maybe_finish(order)

    def restore_open_state(self, client_order_id: str) -> None:
        """A cancel that was refused (the order is still working): back to the state before it."""
        order = self._in_flight.get(client_order_id)
        if order is not None and order.current_state is OrderState.PENDING_CANCEL:
            order.current_state = order.state_before_cancel or OrderState.OPEN
            self._persist(order)

    def process_trade_update(self, trade: TradeUpdate) -> bool:
        """Record a fill and emit OrderFilledEvent; False for a duplicate or an unknown order."""
        order = self.fetch_order(trade.client_order_id)
        if order is None or not order.update_with_trade_update(trade):
            return False
        self._report_created(order)
        order.executed_amount_reported = max(order.executed_amount_reported, order.executed_amount_base)
        if order.current_state in (OrderState.PENDING_CREATE, OrderState.OPEN):
            order.current_state = OrderState.PARTIALLY_FILLED
        # A closePosition order has no amount of its own (0): only the exchange's status says it is filled.
        if order.amount and order.executed_amount_base >= order.amount and not order.is_done:
            order.current_state = OrderState.FILLED
        self._persist(order)
        self._events.trigger(OrderFilledEvent(
            order.client_order_id, trade.exchange_order_id, order.trading_pair, order.trade_type, trade.trade_id,
            trade.fill_price, trade.fill_base_amount, trade.fee_asset, trade.fee_amount, trade.is_maker,
            trade.source))
        self._maybe_finish(order)
        return True

    def process_order_not_found(self, client_order_id: str) -> bool:
        """The exchange says it has no such order. True when that made the order fail."""
        order = self._in_flight.get(client_order_id)
        if order is None:
            return False
        self._not_found[client_order_id] = self._not_found.get(client_order_id, 0) + 1
        if self._not_found[client_order_id] < self._not_found_limit:
            return False
        self.process_order_update(OrderUpdate(client_order_id, order.trading_pair, OrderState.FAILED,
                                              self._clock_ms(), reason="the exchange has no such order"))
        return True

    def _report_created(self, order: InFlightOrder) -> None:
        if order.client_order_id in self._created_reported:
            return
        self._created_reported.add(order.client_order_id)
        if order.current_state is OrderState.PENDING_CREATE:
            order.current_state = OrderState.OPEN
        self._events.trigger(OrderCreatedEvent(order.client_order_id, order.exchange_order_id or "",
                                               order.trading_pair, order.trade_type, order.order_type,
                                               order.amount, order.price))

    def _maybe_finish(self, order: InFlightOrder) -> None:
        if order.current_state not in DONE_STATES or order.client_order_id not in self._in_flight:
            return
        if not order.fills_complete:
            return  # the exchange reported fills we have not seen: the status poll fetches them first
        if order.current_state is OrderState.FILLED:
            self._events.trigger(OrderCompletedEvent(
                order.client_order_id, order.exchange_order_id or "", order.trading_pair, order.trade_type,
                order.executed_amount_base, order.executed_amount_quote, tuple(sorted(order.cumulative_fees.items()))))
        elif order.current_state is OrderState.CANCELED:
            self._events.trigger(OrderCancelledEvent(order.client_order_id, order.exchange_order_id,
                                                     order.trading_pair, order.executed_amount_base))
        self.stop_tracking_order(order.client_order_id)

    def orders_missing_fills(self) -> list[InFlightOrder]:
        return [o for o in self._in_flight.values() if not o.fills_complete]
