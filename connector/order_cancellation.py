"""OrderCancellation: the canceling half of the order lifecycle, shared by the spot and perpetual connectors.

`cancel` cancels one order (DELETE order by its client id). `cancel_all` sends one bulk request per trading pair
(spot `DELETE /api/v3/openOrders`, USD-M `DELETE /fapi/v1/allOpenOrders`) instead of one request per order: a
pair's orders leave in one message, cost one request weight, and cannot be half-canceled because the connector
ran out of time or rate limit midway. There is no one-by-one fallback: every order this connector places lives on
a symbol both bulk endpoints cover, and a bulk refusal is resolved by status queries exactly as a single one is.
Note that the bulk endpoints cancel every open order of the symbol on the account, orders of other clients using
the same API key included (Hummingbot's own Binance connectors share that trait).

Both paths follow the same discipline: a create still in flight is waited for first (a cancel overtaking its create
would be lost); orders are PENDING_CANCEL while the request is out (so the exchange's cancel report is not taken for
an unasked one); a refusal saying the order is gone, or an answer that is lost, is settled by asking the exchange
about the order, and an order still working afterwards goes back to the state it had. The events are those of a
single cancel: OrderCancelledEvent once the order is canceled and its fills are known.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector import constants as c
from connector.in_flight_order import InFlightOrder, OrderState, OrderUpdate, state_from_wire
from connector.web_assistant import ExchangeError

log = logging.getLogger(__name__)


def _ask_after(exc: ExchangeError) -> bool:
    """Whether a refused or unanswered cancel leaves the order's fate to the exchange's record: it was filled
    meanwhile or never placed (unknown order), or the cancel's own outcome is unknown."""
    return exc.code in (c.UNKNOWN_ORDER_SENT, c.ORDER_DOES_NOT_EXIST) or exc.unknown_outcome


@dataclass(frozen=True)
class CancellationResult:
    client_order_id: str
    success: bool


class OrderCancellation:
    """Mixed into BinanceExchange, whose tracker, web assistant and status queries it uses."""

    def cancel(self, trading_pair: str, client_order_id: str) -> str:
        self._spawn(self._execute_cancel(trading_pair, client_order_id))
        return client_order_id

    async def _wait_for_creates(self, client_order_ids: list[str]) -> None:
        for client_order_id in client_order_ids:
            creating = self._creating.get(client_order_id)
            if creating is not None:
                await creating.wait()  # bounded by the request timeout

    def _begin_cancel(self, order: InFlightOrder) -> None:
        self.order_tracker.process_order_update(OrderUpdate(order.client_order_id, order.trading_pair,
                                                            OrderState.PENDING_CANCEL, self._now_ms()))

    async def _settle_by_status(self, orders: list[InFlightOrder], ask: bool) -> None:
        """After a refused or unanswered cancel: ask the exchange (when `ask`) how the orders stand, and put the
        ones still working back in the state they had."""
        if ask:
            await self._update_order_status(orders)
        for order in orders:
            self.order_tracker.restore_open_state(order.client_order_id)

    def _apply_cancel_answer(self, trading_pair: str, answer: dict[str, Any]) -> None:
        self.order_tracker.process_order_update(OrderUpdate(
            answer.get("origClientOrderId") or answer["clientOrderId"], trading_pair,
            state_from_wire(answer.get("status", "CANCELED")), int(answer.get("transactTime") or self._now_ms()),
            str(answer["orderId"] if "orderId" in answer else answer["algoId"]),  # algoId: a conditional order's
            Decimal(answer.get("executedQty", "0"))))

    # --- one order ---
    def _cancel_request(self, order: InFlightOrder) -> tuple[str, dict[str, Any]]:
        """Where and how one order is canceled (perpetuals cancel a waiting conditional order elsewhere)."""
        return self.paths["order"], {"symbol": self.pair_map.to_symbol(order.trading_pair),
                                     "origClientOrderId": order.client_order_id}

    async def _execute_cancel(self, trading_pair: str, client_order_id: str) -> bool:
        """True when the exchange confirmed the cancel; the order's final state always follows by events."""
        await self._wait_for_creates([client_order_id])
        order = self.order_tracker.fetch_order(client_order_id)
        if order is None or order.is_done:
            return False
        self._begin_cancel(order)
        try:
            answer = await self.api.api_request("DELETE", *self._cancel_request(order), signed=True)
        except ExchangeError as exc:
            # Filled meanwhile, never placed, or the cancel's fate is unknown: the exchange's record decides.
            await self._settle_by_status([order], exc.code in (c.UNKNOWN_ORDER_SENT, c.ORDER_DOES_NOT_EXIST)
                                         or exc.unknown_outcome)
            return False
        self._apply_cancel_answer(trading_pair, {**answer, "origClientOrderId": client_order_id})
        await self._fetch_missing_fills()
        return True

    # --- every order ---
    async def cancel_all(self, timeout: float = 10.0, trading_pair: str | None = None) -> list[CancellationResult]:
        """Cancel every tracked order (of `trading_pair`, or of every pair), one bulk request per pair. Waits up
        to `timeout` for the outcomes; an order is a success when it ended canceled. Requests still out at the
        deadline carry on, and their orders are settled as usual."""
        orders = [o for o in self.order_tracker.active_orders.values()
                  if not o.is_done and trading_pair in (None, o.trading_pair)]
        pairs = sorted({o.trading_pair for o in orders})
        if not pairs:
            return []
        updates = self.events.subscribe()  # every finished order wakes the wait below
        try:
            tasks = [self._spawn(self._cancel_pair(pair, [o for o in orders if o.trading_pair == pair]))
                     for pair in pairs]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await asyncio.wait(tasks)  # leaves the tasks running if the deadline comes first
                    # USD-M's answer names no order: the user stream (or the status poll) says how each ended.
                    while any(o.current_state is OrderState.PENDING_CANCEL for o in orders):
                        await updates.get()
        finally:
            self.events.unsubscribe(updates)
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                log.warning("cancel all: %r", task.exception())
        return [CancellationResult(o.client_order_id, o.current_state is OrderState.CANCELED) for o in orders]

    async def _cancel_pair(self, trading_pair: str, orders: list[InFlightOrder]) -> None:
        await self._wait_for_creates([o.client_order_id for o in orders])
        orders = [o for o in orders if not o.is_done]
        if not orders:
            return
        for order in orders:
            self._begin_cancel(order)
        try:
            await self._bulk_cancel(trading_pair, orders)
        except ExchangeError as exc:
            log.info("cancel all %s: %s", trading_pair, exc)
            await self._settle_by_status(orders, _ask_after(exc))

    async def _bulk_cancel(self, trading_pair: str, orders: list[InFlightOrder]) -> None:
        """Spot: the answer lists every order canceled. -2011 means none was open (filled, canceled or never
        placed: their status queries say which)."""
        answer = await self.api.api_request("DELETE", c.OPEN_ORDERS,
                                            {"symbol": self.pair_map.to_symbol(trading_pair)}, signed=True)
        # An order list's entry carries its orders' cancel reports; the connector places none, but the account may.
        rows = [report for row in answer for report in row.get("orderReports", [row])]
        for row in rows:
            self._apply_cancel_answer(trading_pair, row)
        listed = {row.get("origClientOrderId") for row in rows}
        # Not listed: not open when the cancel arrived. Their status queries say how they ended.
        await self._settle_by_status([o for o in orders if o.client_order_id not in listed], True)
        await self._fetch_missing_fills()
