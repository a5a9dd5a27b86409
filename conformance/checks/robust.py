"""Robust checks: the faults real exchanges produce, injected through the control plane (each through its scene
in conformance.scenes, named after the shipped scenario it mirrors), and what the connector must still get right.
"""
from __future__ import annotations

import asyncio
from decimal import Decimal

from conformance import scenes
from conformance.adapter import Capability as C
from conformance.checks.common import (assert_balances_match, assert_book_matches, assert_fills_match,
                                       assert_open_orders_match)
from conformance.framework import Ctx, check

ROBUST = "robust"


async def _resting_buy(ctx: Ctx, amount: str = "0.03", pair: str | None = None, below: int = 50):
    pair = pair or ctx.pair
    bid, _ = scenes.best(ctx.venue, pair)
    return await ctx.place_resting("BUY", amount, bid - below, pair=pair)


def _orders_with(ctx: Ctx, client_order_id: str) -> list[dict]:
    return [o for o in ctx.venue.orders() if o["clientOrderId"] == client_order_id]


# --- fills ----------------------------------------------------------------------------------------------
@check("FILL-101", ROBUST, "a partial fill delivered over several WS messages → cumulative amount exact at each "
                           "step (partially filled), then completed")
async def fill_101(ctx: Ctx) -> None:
    cid, order = await _resting_buy(ctx, "0.03")
    for piece in range(2):
        scenes.fill_by_counterparty(ctx.venue, ctx.venue.order(cid)["order"], Decimal("0.01"))
        await assert_fills_match(ctx, cid)
        await assert_open_orders_match(ctx)
    scenes.fill_by_counterparty(ctx.venue, ctx.venue.order(cid)["order"])
    await ctx.event("OrderCompleted", client_order_id=cid)
    await assert_fills_match(ctx, cid)
    ctx.expect(not ctx.for_order(cid, "OrderCanceled"), "canceled events", [], ctx.for_order(cid, "OrderCanceled"))


@check("FILL-102", ROBUST, "a fill arriving while a cancel is in flight → the cancel gets Unknown order; the fill "
                           "is recorded; the order ends completed, not canceled")
async def fill_102(ctx: Ctx) -> None:
    cid, order = await _resting_buy(ctx, "0.02")
    scenes.fill_during_cancel(ctx.venue, order["symbol"])
    await ctx.adapter.cancel(ctx.pair, cid)
    await ctx.event("OrderCompleted", client_order_id=cid)
    await assert_fills_match(ctx, cid)
    await ctx.events.settle()
    ctx.expect(not ctx.for_order(cid, "OrderCanceled"), "canceled events", [], ctx.for_order(cid, "OrderCanceled"))
    await assert_balances_match(ctx)


@check("FILL-103", ROBUST, "a fill whose user-stream message is lost → recovered by polling, reported once")
async def fill_103(ctx: Ctx) -> None:
    cid, order = await _resting_buy(ctx, "0.02")
    scenes.fault(ctx.venue, "ws_drop", event="executionReport", count=1)
    scenes.fill_by_counterparty(ctx.venue, order)
    await ctx.event("OrderCompleted", client_order_id=cid, timeout=ctx.recovery)
    await ctx.events.settle()
    await assert_fills_match(ctx, cid)


# --- lost responses and unknown outcomes -------------------------------------------------------------------
@check("ORDER-101", ROBUST, "create answered 503 'unknown execution status' but applied → recovered by a status "
                            "query and tracked, no duplicate order")
async def order_101(ctx: Ctx) -> None:
    scenes.order_unknown_status(ctx.venue)
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid = await ctx.place("BUY", "0.01", bid - 50)
    created = await ctx.event("OrderCreated", client_order_id=cid, timeout=ctx.recovery)
    held = _orders_with(ctx, cid)
    ctx.expect(str(created.exchange_order_id) == str(held[0]["orderId"]), "exchange order id", held[0]["orderId"],
               created.exchange_order_id)
    await ctx.events.settle()
    ctx.expect(len(ctx.venue.orders()) == 1, "orders on the exchange", 1, ctx.venue.orders())
    await assert_open_orders_match(ctx)


@check("ORDER-102", ROBUST, "create response never arrives (timeout) but applied → the order is found and tracked, "
                            "no duplicate order")
async def order_102(ctx: Ctx) -> None:
    scenes.order_response_lost(ctx.venue)
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid = await ctx.place("BUY", "0.01", bid - 50)
    await ctx.event("OrderCreated", client_order_id=cid, timeout=ctx.recovery + ctx.config.timing.request_timeout)
    # the create request gives up only after the connector's request timeout: what it does then is what counts
    await asyncio.sleep(ctx.config.timing.request_timeout + ctx.config.timing.poll_interval)
    await ctx.events.settle(quiet=ctx.config.timing.poll_interval * 2)
    ctx.expect(len(ctx.venue.orders()) == 1, "orders on the exchange", 1, ctx.venue.orders())
    ctx.expect(not ctx.for_order(cid, "OrderFailed"), "failure events of the applied order", [],
               ctx.for_order(cid, "OrderFailed"))
    await assert_open_orders_match(ctx)


@check("ORDER-103", ROBUST, "create answered 503 and NOT applied → a failure once the status query says so; no "
                            "ghost order tracked, none placed again")
async def order_103(ctx: Ctx) -> None:
    scenes.order_not_applied(ctx.venue)
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid = await ctx.place("BUY", "0.01", bid - 50)
    await ctx.event("OrderFailed", client_order_id=cid, timeout=ctx.recovery * 2)
    await ctx.events.settle()
    ctx.expect(not ctx.venue.orders(), "orders on the exchange", [], ctx.venue.orders())
    ctx.expect(not await ctx.adapter.open_orders(), "orders the connector tracks", [], await ctx.adapter.open_orders())


@check("ORDER-104", ROBUST, "an order the exchange never knew (status queries say 'does not exist') → declared "
                            "lost after a bounded number of queries, then no longer queried", timeout=40)
async def order_104(ctx: Ctx) -> None:
    scenes.order_not_applied(ctx.venue)
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid = await ctx.place("BUY", "0.01", bid - 50)
    await ctx.event("OrderFailed", client_order_id=cid, timeout=ctx.recovery * 3)
    queried = len(ctx.venue.requests_to("GET", "/api/v3/order"))
    await asyncio.sleep(3 * ctx.config.timing.poll_interval)  # long enough for several more polls
    later = len(ctx.venue.requests_to("GET", "/api/v3/order"))
    ctx.expect(later <= queried + 1, "status queries after the order was declared lost", f"at most {queried + 1}",
               later)


@check("ORDER-105", ROBUST, "create answered 503 unknown status twice in a row → still exactly one order on the "
                            "exchange, tracked once")
async def order_105(ctx: Ctx) -> None:
    scenes.fault(ctx.venue, "http_unknown_status", endpoint="POST /api/v3/order", count=2)
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    first = await ctx.place("BUY", "0.01", bid - 50)
    second = await ctx.place("BUY", "0.01", bid - 60)
    for cid in (first, second):
        await ctx.event("OrderCreated", client_order_id=cid, timeout=ctx.recovery)
    await ctx.events.settle(quiet=ctx.config.timing.poll_interval * 2)
    ctx.expect(len(ctx.venue.orders()) == 2, "orders on the exchange", 2, ctx.venue.orders())
    await assert_open_orders_match(ctx)


@check("ORDER-106", ROBUST, "cancel answered 503 unknown status but applied → the order ends canceled, reported "
                            "once")
async def order_106(ctx: Ctx) -> None:
    cid, _ = await _resting_buy(ctx, "0.01")
    scenes.fault(ctx.venue, "http_unknown_status", endpoint="DELETE /api/v3/order", count=1)
    await ctx.adapter.cancel(ctx.pair, cid)
    await ctx.event("OrderCanceled", client_order_id=cid, timeout=ctx.recovery)
    await ctx.events.settle()
    ctx.expect(len(ctx.for_order(cid, "OrderCanceled")) == 1, "canceled events", 1,
               ctx.for_order(cid, "OrderCanceled"))
    await assert_open_orders_match(ctx)


# --- order book --------------------------------------------------------------------------------------------
async def _move_book(ctx: Ctx, pair: str, times: int = 3) -> None:
    """Change the top of the book several times (each change one depth diff)."""
    for i in range(times):
        bid, ask = scenes.best(ctx.venue, pair)
        ctx.venue.quote(pair, "SELL", ask - 1, Decimal("0.05") * (i + 1))
        await asyncio.sleep(0.15)  # one diff per 100 ms stream flush


@check("BOOK-101", ROBUST, "a depth sequence gap → detected, snapshot fetched again, the book equal to the "
                           "exchange's within the resync budget", needs=(C.ORDER_BOOK,))
async def book_101(ctx: Ctx) -> None:
    await assert_book_matches(ctx, ctx.pair)
    scenes.depth_gap(ctx.venue, ctx.venue.symbol(ctx.pair), count=1)
    await _move_book(ctx, ctx.pair)
    await assert_book_matches(ctx, ctx.pair, timeout=ctx.recovery)


@check("BOOK-102", ROBUST, "duplicated and reordered depth diffs → ignored or applied in order; the book still "
                           "equals the exchange's", needs=(C.ORDER_BOOK,))
async def book_102(ctx: Ctx) -> None:
    await assert_book_matches(ctx, ctx.pair)
    scenes.ws_duplicate_reorder(ctx.venue, ctx.venue.symbol(ctx.pair))
    await _move_book(ctx, ctx.pair, times=4)
    await assert_book_matches(ctx, ctx.pair, timeout=ctx.recovery)


# --- WebSocket connections ---------------------------------------------------------------------------------
@check("WS-101", ROBUST, "market stream closed by the server → reconnected, resubscribed, book resynced",
       needs=(C.ORDER_BOOK,))
async def ws_101(ctx: Ctx) -> None:
    await assert_book_matches(ctx, ctx.pair)
    scenes.ws_close_market(ctx.venue)
    await asyncio.sleep(0.3)  # the hub closes connections on its next pass
    await _move_book(ctx, ctx.pair)
    await assert_book_matches(ctx, ctx.pair, timeout=ctx.recovery)


@check("WS-102", ROBUST, "market stream silent (no close frame) → detected by timeout, reconnected, book resynced",
       needs=(C.ORDER_BOOK,), timeout=40)
async def ws_102(ctx: Ctx) -> None:
    await assert_book_matches(ctx, ctx.pair)
    scenes.ws_silence(ctx.venue, ms=120_000, market_only=True)
    await _move_book(ctx, ctx.pair)
    await assert_book_matches(ctx, ctx.pair, timeout=ctx.recovery + ctx.config.timing.ws_silence_timeout)


@check("WS-103", ROBUST, "user stream closed by the server → reconnected; a fill made meanwhile is reported once")
async def ws_103(ctx: Ctx) -> None:
    cid, order = await _resting_buy(ctx, "0.02")
    scenes.ws_close_user(ctx.venue)
    await asyncio.sleep(0.3)
    scenes.fill_by_counterparty(ctx.venue, order)
    await ctx.event("OrderCompleted", client_order_id=cid, timeout=ctx.recovery)
    await ctx.events.settle()
    await assert_fills_match(ctx, cid)
    second, order = await _resting_buy(ctx, "0.01", below=60)
    scenes.fill_by_counterparty(ctx.venue, order)
    await ctx.event("OrderCompleted", client_order_id=second, timeout=ctx.patience)


@check("WS-104", ROBUST, "listenKey expired → a new key, the stream resumed, a fill after it reported")
async def ws_104(ctx: Ctx) -> None:
    scenes.listen_key_expiry(ctx.venue)
    await asyncio.sleep(0.3)
    cid, order = await _resting_buy(ctx, "0.02")
    scenes.fill_by_counterparty(ctx.venue, order)
    await ctx.event("OrderCompleted", client_order_id=cid, timeout=ctx.recovery)
    await assert_fills_match(ctx, cid)


@check("WS-105", ROBUST, "connections closed at the end of their lifetime (Binance's 24 h close) → reconnect "
                         "without losing a fill or the book", needs=(C.ORDER_BOOK,))
async def ws_105(ctx: Ctx) -> None:
    cid, order = await _resting_buy(ctx, "0.02")
    scenes.fault(ctx.venue, "ws_lifetime", own=False, ms=200)
    await asyncio.sleep(0.5)
    scenes.fill_by_counterparty(ctx.venue, order)
    await _move_book(ctx, ctx.pair)
    await ctx.event("OrderCompleted", client_order_id=cid, timeout=ctx.recovery)
    await assert_fills_match(ctx, cid)
    await assert_book_matches(ctx, ctx.pair, timeout=ctx.recovery)


@check("WS-106", ROBUST, "user stream silent (no close frame) → detected; a fill made meanwhile is reported once",
       timeout=40)
async def ws_106(ctx: Ctx) -> None:
    cid, order = await _resting_buy(ctx, "0.02")
    scenes.ws_silence(ctx.venue, ms=120_000, market_only=False)
    scenes.fill_by_counterparty(ctx.venue, order)
    await ctx.event("OrderCompleted", client_order_id=cid,
                    timeout=ctx.recovery + ctx.config.timing.ws_silence_timeout)
    await ctx.events.settle()
    await assert_fills_match(ctx, cid)


# --- rate limits, time, maintenance -------------------------------------------------------------------------
@check("RATE-101", ROBUST, "a burst of orders beyond the exchange's order-rate pool → zero 429s thanks to "
                           "client-side throttling; every order placed", timeout=60)
async def rate_101(ctx: Ctx) -> None:
    start = ctx.now()
    limit = min(p.limit for p in ctx.venue.sim.config.rate_limits.spot if p.type == "ORDERS")
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    ids = await asyncio.gather(*(ctx.place("BUY", "0.001", bid - 100 - i) for i in range(limit + 5)))
    for cid in ids:
        await ctx.event("OrderCreated", client_order_id=cid, timeout=30)
    refused = [s for s in ctx.venue.statuses(start) if s in (418, 429)]
    ctx.expect(not refused, "429/418 answers", 0, len(refused))


@check("RATE-102", ROBUST, "429 with Retry-After → the connector waits at least that long before calling again; "
                           "no 418")
async def rate_102(ctx: Ctx) -> None:
    ms = 2000
    scenes.rate_limited(ctx.venue, 429, ms)
    start = ctx.now()
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid = await ctx.place("BUY", "0.01", bid - 50)
    await ctx.outcome(cid, timeout=ms / 1000 + ctx.recovery)
    during = [r for r in ctx.venue.requests if start <= r.at < start + ms / 1000 - 0.1 and r.status == 429]
    ctx.expect(len(during) <= 2, "requests refused 429 within Retry-After", "at most 2", len(during))
    banned = [r for r in ctx.venue.requests if r.status == 418]
    ctx.expect(not banned, "418 answers", 0, len(banned))
    later = await ctx.place("BUY", "0.01", bid - 60)
    await ctx.event("OrderCreated", client_order_id=later)


@check("RATE-103", ROBUST, "418 IP ban → the connector stops calling until the ban ends, then trades again")
async def rate_103(ctx: Ctx) -> None:
    ms = 5000
    fault = scenes.rate_limited(ctx.venue, 418, ms)
    start = ctx.now()
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    first = await ctx.place("BUY", "0.01", bid - 50)
    await ctx.venue.fault_over(fault)
    during = [r for r in ctx.venue.requests if r.at >= start and r.status == 418]
    ctx.expect(len(during) <= 3, "requests sent during the ban", "at most 3", len(during))
    later = await ctx.place("BUY", "0.01", bid - 60)
    await ctx.event("OrderCreated", client_order_id=later, timeout=ctx.recovery)
    ctx.expect(bool(ctx.for_order(first)), "the order placed during the ban was reported (created or failed)",
               "an event", "none")


@check("TIME-101", ROBUST, "the server clock moves ahead mid-run (-1021 on signed requests) → the connector "
                           "resyncs its time and later orders succeed")
async def time_101(ctx: Ctx) -> None:
    scenes.clock_skew(ctx.venue, 30_000)
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    first = await ctx.place("BUY", "0.01", bid - 50)
    await ctx.outcome(first, timeout=ctx.recovery)
    cid = await ctx.place("BUY", "0.01", bid - 60)
    await ctx.event("OrderCreated", client_order_id=cid, timeout=ctx.recovery)


@check("MAINT-101", ROBUST, "a maintenance window (REST 503, symbols BREAK) → no order storm; trading resumes "
                            "after it", timeout=40)
async def maint_101(ctx: Ctx) -> None:
    ms = 3000
    fault = scenes.maintenance(ctx.venue, ms)
    start = ctx.now()
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    first = await ctx.place("BUY", "0.01", bid - 50)
    await ctx.venue.fault_over(fault)
    posts = ctx.venue.requests_to("POST", "/api/v3/order", since=start)
    ctx.expect(len(posts) <= 3, "order requests during the window", "at most 3", len(posts))
    later = await ctx.place("BUY", "0.01", bid - 60)
    await ctx.event("OrderCreated", client_order_id=later, timeout=ctx.recovery)
    ctx.expect(bool(ctx.for_order(first)), "the order placed during maintenance was reported", "an event", "none")


@check("HALT-101", ROBUST, "a halted symbol → its orders fail with the reason; the other pair trades on")
async def halt_101(ctx: Ctx) -> None:
    scenes.halted(ctx.venue, ctx.venue.symbol(ctx.pair))
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid = await ctx.place("BUY", "0.01", bid - 50)
    await ctx.event("OrderFailed", client_order_id=cid)
    ctx.expect(not ctx.venue.orders(open_only=True, pair=ctx.pair), "orders on the halted pair", [],
               ctx.venue.orders(open_only=True, pair=ctx.pair))
    other, _ = await _resting_buy(ctx, "0.1", pair="ETH-USDT", below=20)
    ctx.expect(bool(other), "an order on the other pair", "created", other)


@check("REST-101", ROBUST, "a burst of 5xx answers on REST reads → backoff, no crash; state right after recovery")
async def rest_101(ctx: Ctx) -> None:
    cid, order = await _resting_buy(ctx, "0.02")
    scenes.rest_5xx_burst(ctx.venue, count=8)
    scenes.fill_by_counterparty(ctx.venue, order, Decimal("0.01"))
    await assert_fills_match(ctx, cid, timeout=ctx.recovery)
    await assert_balances_match(ctx, timeout=ctx.recovery)
    later, _ = await _resting_buy(ctx, "0.01", below=70)
    await assert_open_orders_match(ctx)


# --- restart and load ---------------------------------------------------------------------------------------
@check("PERSIST-101", ROBUST, "restarted with persisted tracking state → open orders re-tracked; a fill made "
                              "while down is reported once", needs=(C.RESTART,))
async def persist_101(ctx: Ctx) -> None:
    cid, order = await _resting_buy(ctx, "0.03")
    other, _ = await _resting_buy(ctx, "0.01", below=70)
    await ctx.stop_adapter()
    scenes.fill_by_counterparty(ctx.venue, order, Decimal("0.01"))
    await ctx.start_new_adapter()
    await assert_fills_match(ctx, cid)
    await assert_open_orders_match(ctx)
    scenes.fill_by_counterparty(ctx.venue, ctx.venue.order(cid)["order"])
    await ctx.event("OrderCompleted", client_order_id=cid)
    await ctx.events.settle()
    await assert_fills_match(ctx, cid)


@check("PERSIST-102", ROBUST, "an order that filled completely or was canceled while the connector was down → "
                              "reported terminal once after restart", needs=(C.RESTART,))
async def persist_102(ctx: Ctx) -> None:
    filled, order = await _resting_buy(ctx, "0.02")
    canceled, other = await _resting_buy(ctx, "0.01", below=70)
    await ctx.stop_adapter()
    scenes.fill_by_counterparty(ctx.venue, order)
    scenes.cancel_by_exchange(ctx.venue, other)
    await ctx.start_new_adapter()
    await ctx.event("OrderCompleted", client_order_id=filled)
    await ctx.event("OrderCanceled", client_order_id=canceled)
    await assert_fills_match(ctx, filled)
    await assert_open_orders_match(ctx)


@check("LOAD-101", ROBUST, "many orders placed and canceled in quick succession → every state reported once, no "
                           "tracked order left behind", timeout=60)
async def load_101(ctx: Ctx) -> None:
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    ids = await asyncio.gather(*(ctx.place("BUY", "0.001", bid - 100 - i) for i in range(40)))
    for cid in ids:
        await ctx.event("OrderCreated", client_order_id=cid, timeout=20)
    for cid in ids:
        await ctx.adapter.cancel(ctx.pair, cid)
    for cid in ids:
        await ctx.event("OrderCanceled", client_order_id=cid, timeout=20)
    await ctx.events.settle()
    twice = [c for c in ids if len(ctx.for_order(c, "OrderCreated")) != 1 or len(ctx.for_order(c, "OrderCanceled")) != 1]
    ctx.expect(not twice, "orders reported other than once created, once canceled", [], twice)
    await assert_open_orders_match(ctx)
