"""Robust checks: the faults real exchanges produce, injected through the control plane (each through its scene
in conformance.scenes, named after the shipped scenario it mirrors), and what the connector must still get right.
"""
from __future__ import annotations

import asyncio
import dataclasses
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
    scenes.shipped(ctx.venue, "partial-fills")  # one TRADE report sent twice
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
    scenes.shipped(ctx.venue, "fill-during-cancel")
    await ctx.adapter.cancel(ctx.pair, cid)
    await ctx.event("OrderCompleted", client_order_id=cid)
    await assert_fills_match(ctx, cid)
    await ctx.events.settle()
    ctx.expect(not ctx.for_order(cid, "OrderCanceled"), "canceled events", [], ctx.for_order(cid, "OrderCanceled"))
    await assert_balances_match(ctx)


@check("FILL-104", ROBUST, "a partial fill whose report comes late, then a cancel → the order ends canceled with "
                           "its partial fill reported once")
async def fill_104(ctx: Ctx) -> None:
    cid, order = await _resting_buy(ctx, "0.03")
    scenes.shipped(ctx.venue, "partial-fill-then-cancel")  # the trade's executionReport 1 s late
    scenes.fill_by_counterparty(ctx.venue, order, Decimal("0.01"))
    await assert_fills_match(ctx, cid)
    await ctx.adapter.cancel(ctx.pair, cid)
    await ctx.event("OrderCanceled", client_order_id=cid, timeout=ctx.recovery)
    await ctx.events.settle()
    await assert_fills_match(ctx, cid)
    ctx.expect(len(ctx.for_order(cid, "OrderCanceled")) == 1 and not ctx.for_order(cid, "OrderCompleted"),
               "terminal events", "one OrderCanceled", [e for e in ctx.for_order(cid)
                                                      if type(e).__name__ in ("OrderCanceled", "OrderCompleted")])
    await assert_balances_match(ctx)


@check("FILL-105", ROBUST, "a fill whose user-stream report is lost → recovered by polling, reported once")
async def fill_105(ctx: Ctx) -> None:
    cid, order = await _resting_buy(ctx, "0.02")
    scenes.shipped(ctx.venue, "missing-trade-report")
    scenes.fill_by_counterparty(ctx.venue, order)
    await ctx.event("OrderCompleted", client_order_id=cid, timeout=ctx.recovery)
    await ctx.events.settle()
    await assert_fills_match(ctx, cid)


@check("FILL-106", ROBUST, "an order's TRADE report arrives before its NEW → created once, its fills once, "
                           "completed once; it never goes back to open")
async def fill_106(ctx: Ctx) -> None:
    scenes.shipped(ctx.venue, "trade-before-new")
    _, asks = ctx.venue.depth(ctx.pair, 1)
    cid = await ctx.place("BUY", asks[0][1] / 2, asks[0][0])
    await ctx.event("OrderCompleted", client_order_id=cid)
    await ctx.events.settle()
    await assert_fills_match(ctx, cid)
    counts = {name: len(ctx.for_order(cid, name)) for name in ("OrderCreated", "OrderCompleted")}
    ctx.expect(counts == {"OrderCreated": 1, "OrderCompleted": 1}, "created and completed events", "once each",
               counts)
    ctx.expect(not await ctx.adapter.open_orders(), "orders the connector tracks as open", [],
               await ctx.adapter.open_orders())


# --- lost responses and unknown outcomes -------------------------------------------------------------------
@check("ORDER-101", ROBUST, "create answered 503 'unknown execution status' but applied → recovered by a status "
                            "query and tracked, no duplicate order")
async def order_101(ctx: Ctx) -> None:
    scenes.shipped(ctx.venue, "order-unknown-status")
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
    scenes.shipped(ctx.venue, "order-response-lost")
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


@check("ORDER-105", ROBUST, "an order's user-stream report arrives long before its REST answer → matched to the "
                            "order in flight, tracked once, never placed again")
async def order_105(ctx: Ctx) -> None:
    scenes.shipped(ctx.venue, "report-before-answer")  # the answer 2 s after the order was applied
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid = await ctx.place("BUY", "0.01", bid - 50)
    await ctx.event("OrderCreated", client_order_id=cid, timeout=ctx.recovery)
    await asyncio.sleep(2.5)  # the answer's delay: what the connector makes of the late answer is what counts
    await ctx.events.settle()
    ctx.expect(len(ctx.venue.orders()) == 1, "orders on the exchange", 1, ctx.venue.orders())
    ctx.expect(len(ctx.for_order(cid, "OrderCreated")) == 1, "created events", 1, ctx.for_order(cid, "OrderCreated"))
    await assert_open_orders_match(ctx)


@check("ORDER-107", ROBUST, "create answered 503 unknown status twice in a row → each order found and tracked, "
                            "exactly one on the exchange for each")
async def order_107(ctx: Ctx) -> None:
    scenes.unknown_status_twice(ctx.venue)
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
    scenes.cancel_unknown_status(ctx.venue)
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
    scenes.shipped(ctx.venue, "depth-gap")
    await _move_book(ctx, ctx.pair)
    await assert_book_matches(ctx, ctx.pair, timeout=ctx.recovery)


@check("BOOK-102", ROBUST, "duplicated and reordered depth diffs → ignored or applied in order; the book still "
                           "equals the exchange's", needs=(C.ORDER_BOOK,))
async def book_102(ctx: Ctx) -> None:
    await assert_book_matches(ctx, ctx.pair)
    scenes.shipped(ctx.venue, "ws-duplicate-reorder")
    await _move_book(ctx, ctx.pair, times=4)
    await assert_book_matches(ctx, ctx.pair, timeout=ctx.recovery)


# --- WebSocket connections ---------------------------------------------------------------------------------
@check("WS-101", ROBUST, "market stream closed by the server → reconnected, resubscribed, book resynced",
       needs=(C.ORDER_BOOK,))
async def ws_101(ctx: Ctx) -> None:
    await assert_book_matches(ctx, ctx.pair)
    scenes.shipped(ctx.venue, "ws-close")
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
    scenes.shipped(ctx.venue, "listen-key-expiry")
    await asyncio.sleep(0.3)
    cid, order = await _resting_buy(ctx, "0.02")
    scenes.fill_by_counterparty(ctx.venue, order)
    await ctx.event("OrderCompleted", client_order_id=cid, timeout=ctx.recovery)
    await assert_fills_match(ctx, cid)


@check("WS-105", ROBUST, "connections closed at the end of their lifetime (Binance's 24 h close) → reconnect "
                         "without losing a fill or the book", needs=(C.ORDER_BOOK,))
async def ws_105(ctx: Ctx) -> None:
    cid, order = await _resting_buy(ctx, "0.02")
    scenes.lifetime_end(ctx.venue, 200)
    await asyncio.sleep(0.5)
    scenes.fill_by_counterparty(ctx.venue, order)
    await _move_book(ctx, ctx.pair)
    await ctx.event("OrderCompleted", client_order_id=cid, timeout=ctx.recovery)
    await assert_fills_match(ctx, cid)
    await assert_book_matches(ctx, ctx.pair, timeout=ctx.recovery)


@check("WS-106", ROBUST, "listenKeys that lapse within seconds → kept alive or recreated; a fill after the "
                         "lapse is reported", timeout=40)
async def ws_106(ctx: Ctx) -> None:
    scenes.shipped(ctx.venue, "listen-key-lapse")  # keys live 3 s from their last keep-alive
    await asyncio.sleep(4)  # past a lapse: the stream must be alive again
    cid, order = await _resting_buy(ctx, "0.02")
    scenes.fill_by_counterparty(ctx.venue, order)
    await ctx.event("OrderCompleted", client_order_id=cid, timeout=ctx.recovery)
    await assert_fills_match(ctx, cid)


@check("WS-107", ROBUST, "market sockets closed every 0.3 s with a handshake budget (429 beyond it) → reconnects "
                         "back off, honour Retry-After, and the book is right once the storm ends",
       needs=(C.ORDER_BOOK,), timeout=40)
async def ws_107(ctx: Ctx) -> None:
    await assert_book_matches(ctx, ctx.pair)
    storm = scenes.shipped(ctx.venue, "reconnect-storm")
    start = ctx.now()
    await asyncio.sleep(4)  # the scenario's storm lasts 4 s
    for fault in storm:
        ctx.venue.control.clear_fault(fault["id"])
    refused = [r for r in ctx.venue.requests if r.at >= start and r.status == 429 and not r.path.startswith("/api")]
    ctx.expect(len(refused) <= 4, "handshakes refused 429 during the storm", "at most 4", len(refused))
    await _move_book(ctx, ctx.pair)
    await assert_book_matches(ctx, ctx.pair, timeout=ctx.recovery)


@check("WS-108", ROBUST, "user stream silent (no close frame) → detected; a fill made meanwhile is reported once",
       timeout=40)
async def ws_108(ctx: Ctx) -> None:
    cid, order = await _resting_buy(ctx, "0.02")
    scenes.ws_silence(ctx.venue, ms=120_000, market_only=False)
    scenes.fill_by_counterparty(ctx.venue, order)
    await ctx.event("OrderCompleted", client_order_id=cid,
                    timeout=ctx.recovery + ctx.config.timing.ws_silence_timeout)
    await ctx.events.settle()
    await assert_fills_match(ctx, cid)


@check("BAL-101", ROBUST, "a fill's account update arrives out of step with its execution report → balances end "
                          "equal to the exchange's")
async def bal_101(ctx: Ctx) -> None:
    cid, order = await _resting_buy(ctx, "0.02")
    scenes.shipped(ctx.venue, "account-update-out-of-step")
    scenes.fill_by_counterparty(ctx.venue, order)
    await ctx.event("OrderCompleted", client_order_id=cid)
    second, order = await _resting_buy(ctx, "0.01", below=70)  # the held-back update goes out behind these
    await assert_balances_match(ctx)


# --- rate limits, time, maintenance -------------------------------------------------------------------------
ORDERS_PER_SECOND = 10


def tight_order_pool(config):
    """The spot ORDERS pool of 10 seconds becomes 10 orders a second (exchangeInfo's rateLimits say so)."""
    pools = tuple(dataclasses.replace(p, interval="SECOND", interval_num=1, limit=ORDERS_PER_SECOND)
                  if p.type == "ORDERS" and p.interval == "SECOND" else p for p in config.rate_limits.spot)
    return dataclasses.replace(config, rate_limits=dataclasses.replace(config.rate_limits, spot=pools))


@check("RATE-101", ROBUST, "a burst of orders twice the exchange's declared order-rate pool → zero 429s thanks to "
                           "client-side throttling; every order placed", config=tight_order_pool, timeout=60,
       exclusive=True)
async def rate_101(ctx: Ctx) -> None:
    start = ctx.now()
    # more than two windows' worth: however the burst straddles the pool's fixed windows, one of them overflows
    # unless the connector paces itself
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    ids = await asyncio.gather(*(ctx.place("BUY", "0.001", bid - 100 - i) for i in range(2 * ORDERS_PER_SECOND + 1)))
    outcomes = await asyncio.gather(*(ctx.outcome(cid, timeout=15) for cid in ids))
    refused = [s for s in ctx.venue.statuses(start) if s in (418, 429)]
    ctx.expect(not refused, "429/418 answers", 0, len(refused))
    failed = [e for e in outcomes if type(e).__name__ == "OrderFailed"]
    ctx.expect(not failed, "orders of the burst that failed", [], failed)


@check("RATE-102", ROBUST, "429 with Retry-After → the connector waits at least that long before calling again; "
                           "no 418")
async def rate_102(ctx: Ctx) -> None:
    storm = scenes.shipped(ctx.venue, "rate-limit-429-storm")[0]
    ms = storm["ms"]
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
    fault = scenes.ip_ban(ctx.venue, ms)
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
    scenes.shipped(ctx.venue, "clock-skew")  # the server's clock 5 s behind ours, for good
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    first = await ctx.place("BUY", "0.01", bid - 50)
    await ctx.outcome(first, timeout=ctx.recovery)
    cid = await ctx.place("BUY", "0.01", bid - 60)
    await ctx.event("OrderCreated", client_order_id=cid, timeout=ctx.recovery)


@check("MAINT-101", ROBUST, "a maintenance window (REST 503, symbols BREAK) → no order storm; trading resumes "
                            "after it", timeout=40)
async def maint_101(ctx: Ctx) -> None:
    fault = scenes.shipped(ctx.venue, "maintenance-window")[0]
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
    scenes.shipped(ctx.venue, "halted-symbol")  # BTCUSDT halted for 3 s
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
    scenes.shipped(ctx.venue, "rest-5xx-burst")
    scenes.fill_by_counterparty(ctx.venue, order, Decimal("0.01"))
    await assert_fills_match(ctx, cid, timeout=ctx.recovery)
    await assert_balances_match(ctx, timeout=ctx.recovery)
    later, _ = await _resting_buy(ctx, "0.01", below=70)
    await assert_open_orders_match(ctx)


# --- the venue changes its rules ---------------------------------------------------------------------------
@check("RULES-101", ROBUST, "a symbol's tick size and min notional change → the connector refreshes its rules and "
                            "quantizes to the new tick: at most one order refused for a filter", timeout=40)
async def rules_101(ctx: Ctx) -> None:
    changed = scenes.rule_change(ctx.venue)
    pair = "-".join((ctx.venue.sim.engine.instruments[changed["symbol"]].base,
                     ctx.venue.sim.engine.instruments[changed["symbol"]].quote))
    tick = Decimal(changed["tickSize"])
    mark = ctx.venue.seq()
    bid, _ = scenes.best(ctx.venue, pair)
    off_grid = bid - 50 * tick - tick / 3 - Decimal("0.01")
    for i in range(3):
        cid = await ctx.place("BUY", "0.01", off_grid - i * tick, pair=pair)
        await ctx.outcome(cid, timeout=ctx.recovery)
    refused = [r for r in ctx.venue.rejections(mark) if r["reason"] in ("PRICE_FILTER", "NOTIONAL", "LOT_SIZE")]
    ctx.expect(len(refused) <= 1, "orders the exchange refused for a filter", "at most 1", refused)

    async def probe():
        rule = (await ctx.adapter.trading_rules()).get(pair)
        seen = getattr(rule, "min_price_increment", None)
        return seen == tick, tick, seen
    await ctx.eventually(probe, f"tick size of {pair} in the connector's rules", timeout=ctx.recovery)
    resting = [Decimal(o["price"]) for o in ctx.venue.orders(open_only=True, pair=pair)]
    ctx.expect(bool(resting) and all(p % tick == 0 for p in resting), "open orders on the new tick",
               f"prices multiple of {tick}", resting)


@check("RULES-102", ROBUST, "a symbol delisted → the venue's cancels reported, the pair gone from the rules, at "
                            "most one order refused for it", timeout=40)
async def rules_102(ctx: Ctx) -> None:
    cid, _ = await _resting_buy(ctx, "0.01")
    other, _ = await _resting_buy(ctx, "0.1", pair="ETH-USDT", below=20)
    scenes.delisting(ctx.venue)
    await ctx.event("OrderCanceled", client_order_id=cid)
    mark_time = ctx.now()
    bid = scenes.MID[ctx.pair] - 100
    for i in range(3):
        refused = await ctx.place("BUY", "0.01", bid - i, pair=ctx.pair)
        await ctx.outcome(refused, timeout=ctx.recovery)
    sent = ctx.venue.requests_to("POST", "/api/v3/order", since=mark_time)
    ctx.expect(len(sent) <= 1, "orders sent for the delisted symbol", "at most 1", len(sent))

    async def probe():
        pairs = sorted(await ctx.adapter.trading_rules())
        return ctx.pair not in pairs, f"no {ctx.pair}", pairs
    await ctx.eventually(probe, "pairs in the connector's rules", timeout=ctx.recovery)
    ctx.expect(ctx.venue.order(other)["order"]["status"] == "NEW", "the other pair's order", "NEW",
               ctx.venue.order(other)["order"]["status"])


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
    twice = [c for c in ids
             if len(ctx.for_order(c, "OrderCreated")) != 1 or len(ctx.for_order(c, "OrderCanceled")) != 1]
    ctx.expect(not twice, "orders reported other than once created, once canceled", [], twice)
    await assert_open_orders_match(ctx)
