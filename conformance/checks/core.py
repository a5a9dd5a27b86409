"""Core checks: trading rules, orders of every type, fills and fees, balances, the order book.

Each check's expected values come from the simulator (the engine's orders, trades, balances, books and
rejections), read after the adapter reported; prices and sizes are placed relative to the arranged book.
"""
from __future__ import annotations

from decimal import Decimal

from conformance import scenes
from conformance.adapter import Capability as C
from conformance.checks.common import (assert_balances_match, assert_book_matches, assert_fills_match,
                                       assert_open_orders_match, assert_rejection_reported, quantized)
from conformance.framework import Ctx, check

CORE = "core"


# --- trading rules -------------------------------------------------------------------------------------
@check("RULES-001", CORE, "exchangeInfo loaded → trading rules per pair equal the exchange's filters: min size, "
                          "max size, tick, step, min notional, status")
async def rules_001(ctx: Ctx) -> None:
    rules = await ctx.adapter.trading_rules()
    for pair in ctx.venue.spot_pairs():
        inst = ctx.venue.instrument(pair)
        expected = {"min_order_size": Decimal(inst.format_qty(inst.min_qty)),
                    "max_order_size": Decimal(inst.format_qty(inst.max_qty)),
                    "min_price_increment": Decimal(inst.format_price(inst.tick)),
                    "min_base_amount_increment": Decimal(inst.format_qty(inst.step)),
                    "min_notional": Decimal(inst.format_quote(inst.min_notional)),
                    "status": inst.status}
        rule = rules.get(pair)
        ctx.expect(rule is not None, f"no trading rule for {pair}", sorted(ctx.venue.spot_pairs()), sorted(rules))
        seen = {name: getattr(rule, name, None) for name in expected}
        ctx.expect(seen == expected, f"trading rule of {pair}", expected, seen)


@check("RULES-002", CORE, "a price and an amount off tick and step → the connector quantizes them before sending "
                          "(the exchange holds an order on tick and step, no filter failure on the wire)")
async def rules_002(ctx: Ctx) -> None:
    inst = ctx.venue.instrument(ctx.pair)
    tick, step = Decimal(inst.format_price(inst.tick)), Decimal(inst.format_qty(inst.step))
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    price = bid - 20 * tick + tick / 3
    amount = step * 1234 + step / 3
    mark = ctx.venue.seq()
    cid = await ctx.place("BUY", amount, price)
    await ctx.event("OrderCreated", client_order_id=cid)
    order = ctx.venue.order(cid)["order"]
    seen = (Decimal(order["price"]), Decimal(order["origQty"]))
    ctx.expect(seen == (quantized(price, tick), quantized(amount, step)),
               "order price and amount on the exchange", (quantized(price, tick), quantized(amount, step)), seen)
    ctx.expect(not ctx.venue.rejections(mark), "no rejected order", [], ctx.venue.rejections(mark))


@check("RULES-003", CORE, "an order below min notional → refused locally or surfaced as a failure once, never "
                          "sent again in a loop")
async def rules_003(ctx: Ctx) -> None:
    inst = ctx.venue.instrument(ctx.pair)
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    step = Decimal(inst.format_qty(inst.step))
    mark = ctx.venue.seq()
    cid = await ctx.place("BUY", step * 2, bid - 100 * Decimal(inst.format_price(inst.tick)))
    await ctx.event("OrderFailed", client_order_id=cid)
    await ctx.events.settle()
    sent = ctx.venue.rejections(mark)
    ctx.expect(len(sent) <= 1, "requests the exchange refused for this order", "at most 1", len(sent))
    ctx.expect(not ctx.venue.orders(open_only=True), "open orders on the exchange", [], ctx.venue.orders(True))
    ctx.expect(not await ctx.adapter.open_orders(), "orders the connector tracks", [], await ctx.adapter.open_orders())


@check("RULES-004", CORE, "every listed symbol is converted to a trading pair and back: the rules name every "
                          "exchange symbol as BASE-QUOTE")
async def rules_004(ctx: Ctx) -> None:
    rules = await ctx.adapter.trading_rules()
    expected = sorted(ctx.venue.spot_pairs())
    ctx.expect(sorted(rules) == expected, "trading pairs", expected, sorted(rules))
    for pair, rule in rules.items():
        ctx.expect(getattr(rule, "trading_pair", pair) == pair, "rule names its pair", pair, rule)


@check("RULES-005", CORE, "a symbol not trading at start → its rule carries the exchange's status",
       arrange=lambda v: (scenes.market(v), v.control.set_symbol_status("ETHUSDT", "BREAK")))
async def rules_005(ctx: Ctx) -> None:
    rules = await ctx.adapter.trading_rules()
    expected = ctx.venue.instrument("ETH-USDT").status
    seen = getattr(rules.get("ETH-USDT"), "status", None)
    ctx.expect(seen == expected, "status of ETH-USDT", expected, seen)


# --- orders ----------------------------------------------------------------------------------------------
@check("ORDER-001", CORE, "LIMIT GTC rests → created event with the exchange's order id; listed in open orders")
async def order_001(ctx: Ctx) -> None:
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid = await ctx.place("BUY", "0.01", bid - 50)
    created = await ctx.event("OrderCreated", client_order_id=cid)
    order = ctx.venue.order(cid)["order"]
    ctx.expect(str(created.exchange_order_id) == str(order["orderId"]), "exchange order id", order["orderId"],
               created.exchange_order_id)
    await assert_open_orders_match(ctx)


@check("ORDER-002", CORE, "cancel a resting order → one canceled event; gone from open orders")
async def order_002(ctx: Ctx) -> None:
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid, _ = await ctx.place_resting("BUY", "0.01", bid - 50)
    await ctx.adapter.cancel(ctx.pair, cid)
    await ctx.event("OrderCanceled", client_order_id=cid)
    ctx.expect(ctx.venue.order(cid)["order"]["status"] == "CANCELED", "exchange status", "CANCELED",
               ctx.venue.order(cid)["order"]["status"])
    await ctx.events.settle()
    seen = ctx.for_order(cid, "OrderCanceled")
    ctx.expect(len(seen) == 1, "canceled events", 1, seen)
    await assert_open_orders_match(ctx)


@check("ORDER-003", CORE, "MARKET buy by base amount fills across several levels → one fill per trade, fills sum "
                          "to the amount, completed once", needs=(C.MARKET_ORDERS,))
async def order_003(ctx: Ctx) -> None:
    _, asks = ctx.venue.depth(ctx.pair, 3)
    amount = asks[0][1] + asks[1][1] / 2
    cid = await ctx.place("BUY", amount, order_type="MARKET")
    await ctx.event("OrderCompleted", client_order_id=cid)
    trades = ctx.venue.order(cid)["trades"]
    ctx.expect(len(trades) >= 2, "the scene: trades across levels", ">= 2", len(trades))
    await assert_fills_match(ctx, cid)
    await ctx.events.settle()
    ctx.expect(len(ctx.for_order(cid, "OrderCompleted")) == 1, "completed events", 1,
               ctx.for_order(cid, "OrderCompleted"))


@check("ORDER-004", CORE, "LIMIT_MAKER that would take → failure event carrying the exchange's reason; no "
                          "tracked order left", needs=(C.LIMIT_MAKER,))
async def order_004(ctx: Ctx) -> None:
    _, ask = scenes.best(ctx.venue, ctx.pair)
    mark = ctx.venue.seq()
    cid = await ctx.place("BUY", "0.01", ask, order_type="LIMIT_MAKER")
    await assert_rejection_reported(ctx, cid, mark)
    ctx.expect(not await ctx.adapter.open_orders(), "orders the connector tracks", [], await ctx.adapter.open_orders())


@check("ORDER-005", CORE, "IOC partially fills then expires → its fill, then a canceled (expired) terminal event, "
                          "never completed", needs=(C.IOC,))
async def order_005(ctx: Ctx) -> None:
    _, asks = ctx.venue.depth(ctx.pair, 1)
    price, qty = asks[0]
    cid = await ctx.place("BUY", qty * 2, price, time_in_force="IOC")
    await ctx.event("OrderCanceled", client_order_id=cid)
    await assert_fills_match(ctx, cid)
    ctx.expect(not ctx.for_order(cid, "OrderCompleted"), "completed events", [], ctx.for_order(cid, "OrderCompleted"))


@check("ORDER-006", CORE, "FOK that cannot fill fully → terminal (canceled/expired) without fills", needs=(C.FOK,))
async def order_006(ctx: Ctx) -> None:
    _, asks = ctx.venue.depth(ctx.pair, 1)
    price, qty = asks[0]
    cid = await ctx.place("BUY", qty * 2, price, time_in_force="FOK")
    await ctx.event("OrderCanceled", client_order_id=cid)
    ctx.expect(ctx.venue.order(cid)["order"]["status"] == "EXPIRED", "exchange status", "EXPIRED",
               ctx.venue.order(cid)["order"]["status"])
    await ctx.events.settle()
    ctx.expect(not ctx.for_order(cid, "OrderFilled"), "fill events", [], ctx.for_order(cid, "OrderFilled"))


@check("ORDER-007", CORE, "insufficient balance → failure event with the exchange's reason; balances unchanged")
async def order_007(ctx: Ctx) -> None:
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    usdt = ctx.venue.balances()["USDT"][0]
    mark = ctx.venue.seq()
    amount = (usdt / (bid - 50) * 2).quantize(Decimal("0.001"))
    cid = await ctx.place("BUY", amount, bid - 50)
    await assert_rejection_reported(ctx, cid, mark)
    await assert_balances_match(ctx)


@check("ORDER-008", CORE, "client order ids the connector generates are unique and within Binance's 36 "
                          "characters, and are the ids the exchange holds")
async def order_008(ctx: Ctx) -> None:
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    ids = [await ctx.place("BUY", "0.01", bid - 50 - i, generate_id=True) for i in range(3)]
    for cid in ids:
        await ctx.event("OrderCreated", client_order_id=cid)
    ctx.expect(len(set(ids)) == 3, "distinct client ids", 3, ids)
    ctx.expect(all(0 < len(cid) <= 36 for cid in ids), "client id lengths", "1..36", [len(c) for c in ids])
    held = sorted(o["clientOrderId"] for o in ctx.venue.orders(open_only=True))
    ctx.expect(held == sorted(ids), "client ids on the exchange", sorted(ids), held)


@check("ORDER-009", CORE, "cancel-all cancels every open order of the pair and reports each", needs=(C.CANCEL_ALL,))
async def order_009(ctx: Ctx) -> None:
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    ids = [(await ctx.place_resting("BUY", "0.01", bid - 50 - i))[0] for i in range(3)]
    other, _ = await ctx.place_resting("BUY", "0.1", scenes.best(ctx.venue, "ETH-USDT")[0] - 20, pair="ETH-USDT")
    await ctx.adapter.cancel_all(ctx.pair)
    for cid in ids:
        await ctx.event("OrderCanceled", client_order_id=cid)
    ctx.expect(not ctx.venue.orders(open_only=True, pair=ctx.pair), "open orders on the exchange", [],
               ctx.venue.orders(open_only=True, pair=ctx.pair))
    ctx.expect(ctx.venue.order(other)["order"]["status"] == "NEW", "the other pair's order", "NEW",
               ctx.venue.order(other)["order"]["status"])
    await assert_open_orders_match(ctx)


@check("ORDER-010", CORE, "an order canceled on the exchange by someone else → canceled event; gone from open "
                          "orders")
async def order_010(ctx: Ctx) -> None:
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid, order = await ctx.place_resting("BUY", "0.01", bid - 50)
    scenes.cancel_by_exchange(ctx.venue, order)
    await ctx.event("OrderCanceled", client_order_id=cid)
    await assert_open_orders_match(ctx)


@check("ORDER-020", CORE, "MARKET sell → fills with the fee in the quote asset, completed; balances equal the "
                          "exchange's", needs=(C.MARKET_ORDERS,))
async def order_020(ctx: Ctx) -> None:
    bids, _ = ctx.venue.depth(ctx.pair, 2)
    cid = await ctx.place("SELL", bids[0][1] + bids[1][1] / 2, order_type="MARKET")
    await ctx.event("OrderCompleted", client_order_id=cid)
    await assert_fills_match(ctx, cid)
    await assert_balances_match(ctx)


@check("ORDER-011", CORE, "self-trade prevention ends the subject's own resting order (EXPIRED_IN_MATCH) → "
                          "reported canceled once, without a cancel request of its own")
async def order_011(ctx: Ctx) -> None:
    bid, _ = scenes.best(ctx.venue, ctx.pair)  # stp-expiry.yaml's scene, placed between the maker's quotes
    resting, _ = await ctx.place_resting("BUY", "0.01", bid + 5)
    start = ctx.now()
    crossing = await ctx.place("SELL", "0.01", bid + 5)
    await ctx.event("OrderCanceled", client_order_id=resting)
    await ctx.outcome(crossing)  # it rests: the subject's own bid it would have met is gone
    ctx.expect(ctx.venue.order(resting)["order"]["status"] == "EXPIRED_IN_MATCH", "exchange status of the resting "
               "order", "EXPIRED_IN_MATCH", ctx.venue.order(resting)["order"]["status"])
    await ctx.events.settle()
    cancels = ctx.venue.requests_to("DELETE", "/api/v3/order", since=start)
    ctx.expect(not cancels, "cancel requests for an order the exchange ended", 0, len(cancels))
    ctx.expect(len(ctx.for_order(resting, "OrderCanceled")) == 1, "canceled events", 1,
               ctx.for_order(resting, "OrderCanceled"))
    await assert_open_orders_match(ctx)
    await assert_balances_match(ctx)


@check("ORDER-012", CORE, "LIMIT that crosses the book fills at once (no created-then-silence) → created, fill(s), "
                          "completed")
async def order_012(ctx: Ctx) -> None:
    _, asks = ctx.venue.depth(ctx.pair, 1)
    cid = await ctx.place("BUY", asks[0][1] / 2, asks[0][0])
    await ctx.event("OrderCompleted", client_order_id=cid)
    await assert_fills_match(ctx, cid)
    ctx.expect(bool(ctx.for_order(cid, "OrderCreated")), "a created event", "OrderCreated", ctx.for_order(cid))


@check("ORDER-013", CORE, "LIMIT_MAKER that does not cross rests → created; listed open", needs=(C.LIMIT_MAKER,))
async def order_013(ctx: Ctx) -> None:
    _, ask = scenes.best(ctx.venue, ctx.pair)
    cid = await ctx.place("SELL", "0.01", ask + 5, order_type="LIMIT_MAKER")
    await ctx.event("OrderCreated", client_order_id=cid)
    await assert_open_orders_match(ctx)


@check("ORDER-014", CORE, "FOK that can fill fully → fills and completed", needs=(C.FOK,))
async def order_014(ctx: Ctx) -> None:
    _, asks = ctx.venue.depth(ctx.pair, 2)
    cid = await ctx.place("BUY", asks[0][1] + asks[1][1] / 2, asks[1][0], time_in_force="FOK")
    await ctx.event("OrderCompleted", client_order_id=cid)
    await assert_fills_match(ctx, cid)


@check("ORDER-015", CORE, "a resting order filled by someone else → fill and completed events; open orders and "
                          "balances equal the exchange's")
async def order_015(ctx: Ctx) -> None:
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid, order = await ctx.place_resting("BUY", "0.02", bid - 50)
    scenes.fill_by_counterparty(ctx.venue, order)
    await ctx.event("OrderCompleted", client_order_id=cid)
    await assert_fills_match(ctx, cid)
    await assert_open_orders_match(ctx)
    await assert_balances_match(ctx)


@check("ORDER-016", CORE, "cancel asked after the order filled → no canceled event; the order stays completed")
async def order_016(ctx: Ctx) -> None:
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid, order = await ctx.place_resting("BUY", "0.02", bid - 50)
    scenes.fill_by_counterparty(ctx.venue, order)
    await ctx.event("OrderCompleted", client_order_id=cid)
    await ctx.adapter.cancel(ctx.pair, cid)
    await ctx.events.settle()
    ctx.expect(not ctx.for_order(cid, "OrderCanceled"), "canceled events", [], ctx.for_order(cid, "OrderCanceled"))
    ctx.expect(not ctx.for_order(cid, "OrderFailed"), "failed events", [], ctx.for_order(cid, "OrderFailed"))


@check("ORDER-017", CORE, "a price above the exchange's price filter → failure event with the exchange's reason "
                          "(refused locally or by the exchange, never retried)")
async def order_017(ctx: Ctx) -> None:
    inst = ctx.venue.instrument(ctx.pair)
    mark = ctx.venue.seq()
    cid = await ctx.place("SELL", "0.01", Decimal(inst.format_price(inst.max_price)) * 2)
    await assert_rejection_reported(ctx, cid, mark)
    ctx.expect(len(ctx.venue.rejections(mark)) <= 1, "requests the exchange refused", "at most 1",
               ctx.venue.rejections(mark))


@check("ORDER-018", CORE, "orders on two pairs at once → each reported on its own pair")
async def order_018(ctx: Ctx) -> None:
    first, _ = await ctx.place_resting("BUY", "0.01", scenes.best(ctx.venue, "BTC-USDT")[0] - 50, pair="BTC-USDT")
    second, _ = await ctx.place_resting("BUY", "0.1", scenes.best(ctx.venue, "ETH-USDT")[0] - 20, pair="ETH-USDT")
    for cid, pair in ((first, "BTC-USDT"), (second, "ETH-USDT")):
        created = ctx.for_order(cid, "OrderCreated")[0]
        ctx.expect(created.trading_pair == pair, f"pair of {cid}", pair, created.trading_pair)
    await assert_open_orders_match(ctx)


@check("ORDER-019", CORE, "a duplicate client order id → the second order fails with the exchange's reason; the "
                          "first stays tracked")
async def order_019(ctx: Ctx) -> None:
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid, _ = await ctx.place_resting("BUY", "0.01", bid - 50)
    mark = ctx.venue.seq()
    after = ctx.events.mark()
    await ctx.place("BUY", "0.01", bid - 60, client_order_id=cid)
    failed = await ctx.event("OrderFailed", client_order_id=cid, after=after)
    rejected = ctx.venue.rejections(mark)
    if rejected:
        code, message = scenes.wire_answer(rejected[0]["reason"])
        ctx.expect(message in str(failed.reason) or failed.code == code, "failure reason",
                   f"{code} {message}", f"{failed.code} {failed.reason}")
    open_ids = [o.client_order_id for o in await ctx.adapter.open_orders()]
    ctx.expect(open_ids.count(cid) == 1, "the first order still tracked once", [cid], open_ids)


# --- fills, fees, balances ---------------------------------------------------------------------------------
@check("FILL-001", CORE, "each fill reported exactly once with trade id, price, amount, fee asset and fee amount")
async def fill_001(ctx: Ctx) -> None:
    _, asks = ctx.venue.depth(ctx.pair, 3)
    cid = await ctx.place("BUY", asks[0][1] + asks[1][1] + asks[2][1] / 2, asks[2][0])
    await ctx.event("OrderCompleted", client_order_id=cid)
    await ctx.events.settle()
    await assert_fills_match(ctx, cid)


@check("FILL-002", CORE, "fees in the asset received, per fill: base on a buy, quote on a sell, maker and taker "
                         "rates as the exchange charged")
async def fill_002(ctx: Ctx) -> None:
    bid, ask = scenes.best(ctx.venue, ctx.pair)
    buy, order = await ctx.place_resting("BUY", "0.02", bid - 50)  # maker
    scenes.fill_by_counterparty(ctx.venue, order)
    await ctx.event("OrderCompleted", client_order_id=buy)
    sell = await ctx.place("SELL", "0.01", bid)  # taker
    await ctx.event("OrderCompleted", client_order_id=sell)
    for cid in (buy, sell):
        await assert_fills_match(ctx, cid)
        fill = ctx.for_order(cid, "OrderFilled")[0]
        inst = ctx.venue.instrument(ctx.pair)
        expected = inst.base if fill.side == "BUY" else inst.quote
        ctx.expect(fill.fee_asset == expected, f"fee asset of a {fill.side}", expected, fill.fee_asset)


@check("FILL-003", CORE, "fills that arrive both over WS and by REST (the order's own answer, status polling) are "
                         "counted once")
async def fill_003(ctx: Ctx) -> None:
    _, asks = ctx.venue.depth(ctx.pair, 2)
    taker = await ctx.place("BUY", asks[0][1] + asks[1][1] / 2, asks[1][0])  # fills in its answer and over WS
    await ctx.event("OrderCompleted", client_order_id=taker)
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    maker, order = await ctx.place_resting("BUY", "0.03", bid - 50)
    scenes.fill_by_counterparty(ctx.venue, order, Decimal("0.01"))  # over WS, and in the next status polls
    await ctx.event("OrderFilled", client_order_id=maker)
    await ctx.events.settle(quiet=3 * ctx.config.timing.poll_interval + 0.5, timeout=10)
    for cid in (taker, maker):
        await assert_fills_match(ctx, cid)
    await assert_balances_match(ctx)


@check("FILL-004", CORE, "a fill of an order the connector does not track (placed elsewhere on the same account) "
                         "does not corrupt its state: its own orders and balances stay right")
async def fill_004(ctx: Ctx) -> None:
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid, _ = await ctx.place_resting("BUY", "0.01", bid - 50)
    foreign = ctx.venue.control.place_order(ctx.venue.subject_id, ctx.venue.symbol(ctx.pair), "BUY", "LIMIT",
                                            quantity="0.02", price=str(bid - 70), time_in_force="GTC",
                                            client_order_id="placed-elsewhere")["order"]
    scenes.fill_by_counterparty(ctx.venue, foreign)
    await ctx.events.settle(quiet=2 * ctx.config.timing.poll_interval + 0.5)
    await assert_balances_match(ctx)
    ids = sorted(o.client_order_id for o in await ctx.adapter.open_orders())
    ctx.expect(cid in ids, "its own order still tracked", cid, ids)
    fills = [e for e in ctx.events.of("OrderFilled") if e.client_order_id == cid]
    ctx.expect(not fills, "fills attributed to its own order", [], fills)


@check("BAL-001", CORE, "total and available balances equal the exchange's after an order and its fills")
async def bal_001(ctx: Ctx) -> None:
    await assert_balances_match(ctx)
    _, asks = ctx.venue.depth(ctx.pair, 1)
    cid = await ctx.place("BUY", asks[0][1] / 2, asks[0][0])
    await ctx.event("OrderCompleted", client_order_id=cid)
    await assert_balances_match(ctx)


@check("BAL-002", CORE, "funds locked by a resting order are reflected in the available balance, and freed on "
                        "cancel")
async def bal_002(ctx: Ctx) -> None:
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid, _ = await ctx.place_resting("BUY", "0.5", bid - 50)
    await assert_balances_match(ctx)
    await ctx.adapter.cancel(ctx.pair, cid)
    await ctx.event("OrderCanceled", client_order_id=cid)
    await assert_balances_match(ctx)


@check("BAL-003", CORE, "a deposit made on the exchange appears in the connector's balances")
async def bal_003(ctx: Ctx) -> None:
    await assert_balances_match(ctx)
    ctx.venue.control.deposit(ctx.venue.subject_id, "USDT", "1234.5")
    await assert_balances_match(ctx)


@check("BAL-004", CORE, "a balance event follows each change of a balance (fill, deposit)",
       needs=(C.BALANCE_EVENTS,))
async def bal_004(ctx: Ctx) -> None:
    after = ctx.events.mark()
    ctx.venue.control.deposit(ctx.venue.subject_id, "USDT", "777")
    free, locked = ctx.venue.balances()["USDT"]
    await ctx.event("BalanceUpdate", after=after, asset="USDT", total=free + locked, available=free)


# --- order book, public data, time ---------------------------------------------------------------------------
@check("BOOK-001", CORE, "the order book built from snapshot and diffs equals the exchange's book as it changes",
       needs=(C.ORDER_BOOK,))
async def book_001(ctx: Ctx) -> None:
    await assert_book_matches(ctx, ctx.pair)
    _, ask = scenes.best(ctx.venue, ctx.pair)
    ctx.venue.quote(ctx.pair, "SELL", ask - 3, "0.7")
    ctx.venue.quote(ctx.pair, "BUY", scenes.best(ctx.venue, ctx.pair)[0] + 1, "0.3")
    await assert_book_matches(ctx, ctx.pair)


@check("BOOK-002", CORE, "public trades are delivered in order, once each, with the exchange's ids, prices and "
                         "amounts", needs=(C.PUBLIC_TRADES,))
async def book_002(ctx: Ctx) -> None:
    after = ctx.events.mark()
    _, asks = ctx.venue.depth(ctx.pair, 3)
    taker = ctx.venue.control.create_account(name="tape", balances={"USDT": "1000000"})["id"]
    trades = []
    for price, qty in asks:
        trades += ctx.venue.control.place_order(taker, ctx.venue.symbol(ctx.pair), "BUY", "LIMIT",
                                                quantity=str(qty / 2), price=str(price),
                                                time_in_force="IOC")["trades"]
    expected = [(str(t["tradeId"]), Decimal(t["price"]), Decimal(t["qty"])) for t in trades]
    await ctx.event("PublicTrade", after=after, trade_id=expected[-1][0])
    await ctx.events.settle()
    seen = [(e.trade_id, e.price, e.amount) for e in ctx.events.items[after:]
            if type(e).__name__ == "PublicTrade" and e.trading_pair == ctx.pair]
    ctx.expect(seen == expected, "public trades", expected, seen)


@check("BOOK-003", CORE, "books of every tracked pair are kept, each equal to the exchange's",
       needs=(C.ORDER_BOOK,))
async def book_003(ctx: Ctx) -> None:
    for pair in ctx.check.pairs:
        await assert_book_matches(ctx, pair)


def _clock_ahead(venue) -> None:
    scenes.market(venue)
    scenes.clock_ahead(venue, 20_000)


@check("TIME-001", CORE, "requests are signed with the server's time: a server clock ahead of the wall does not "
                         "stop trading", arrange=_clock_ahead)
async def time_001(ctx: Ctx) -> None:
    # the clock was moved before the adapter started: it must measure the offset, not assume zero
    bid, _ = scenes.best(ctx.venue, ctx.pair)
    cid = await ctx.place("BUY", "0.01", bid - 50)
    await ctx.event("OrderCreated", client_order_id=cid)
