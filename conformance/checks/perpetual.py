"""Perpetual checks (USD-M): leverage, position mode, positions after every fill, reduce-only, funding, margin type,
liquidation. Written against the reference wire contract; each skips, naming what is missing, while the simulator
does not serve perpetuals (no /fapi/v1/exchangeInfo symbols) or lacks an engine operation. Ids follow the catalog.
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal

from conformance import scenes
from conformance.adapter import Capability as C, OrderRequest
from conformance.checks.common import quantized
from conformance.events import kind
from conformance.framework import Ctx, check
from conformance.futures import Futures
from conformance.venue import Venue

PERP = "perpetual"
QTY = Decimal("0.01")


def with_index(config):
    """The market maker on (it holds the index prices the mark follows), to be paused by the scene."""
    return dataclasses.replace(config, market_maker=dataclasses.replace(config.market_maker, enabled=True))


def perp_market(venue: Venue) -> None:
    """The index still (market maker paused, no walk), funded futures wallets, a maker ladder on each perpetual
    around its index (and the spot market as usual)."""
    venue.control.set_market_maker(False)
    venue.control.set_walk(False)
    scenes.market(venue)
    futures = Futures(venue)
    futures.fund()
    for pair in ("BTC-USDT", "ETH-USDT"):
        mid = futures.index(pair).quantize(scenes.STEP[pair])
        futures.ladder(pair, mid, scenes.STEP[pair], scenes.LEVEL_QTY[pair])


def perp_check(id: str, statement: str, needs: tuple[str, ...] = (), **kw):
    return check(id, PERP, statement, needs=needs, arrange=perp_market, config=with_index, **kw)


def _best(ctx: Ctx, pair: str | None = None) -> tuple[Decimal, Decimal]:
    futures = Futures(ctx.venue)
    inst = futures.inst(pair or ctx.pair)
    bid, ask = futures.engine.best_bid_ask(inst.symbol)
    return Decimal(inst.format_price(bid[0])), Decimal(inst.format_price(ask[0]))


async def _assert_positions(ctx: Ctx) -> None:
    futures = Futures(ctx.venue)

    async def probe():
        expected = futures.positions()
        seen = sorted((p.trading_pair, p.position_side, Decimal(p.amount), Decimal(p.entry_price))
                      for p in await ctx.adapter.positions() if Decimal(p.amount))
        return expected == seen, expected, seen
    await ctx.eventually(probe, "positions (pair, side, signed amount, entry price)")


async def _assert_wallet(ctx: Ctx) -> None:
    futures = Futures(ctx.venue)

    async def probe():
        total, available = futures.wallet()
        balance = (await ctx.adapter.balances()).get("USDT")
        seen = None if balance is None else (Decimal(balance.total), Decimal(balance.available))
        return seen == (total, available), (total, available), seen
    await ctx.eventually(probe, "USDT futures wallet (wallet balance, available)")


async def _assert_perp_fills(ctx: Ctx, cid: str) -> None:
    futures = Futures(ctx.venue)

    async def probe():
        expected = futures.fills(cid)
        seen = sorted((str(e.trade_id), Decimal(e.price), Decimal(e.amount), e.fee_asset, Decimal(e.fee_amount))
                      for e in ctx.for_order(cid, "OrderFilled"))
        return expected == seen, expected, seen
    await ctx.eventually(probe, f"fills of order {cid} (trade id, price, amount, fee asset, fee)")


async def _open(ctx: Ctx, side: str, amount: Decimal = QTY, position_side: str = "BOTH",
                reduce_only: bool = False) -> str:
    """A MARKET order that takes the maker's ladder; waits until it is terminal."""
    cid = await ctx.place(side, amount, order_type="MARKET", position_side=position_side, reduce_only=reduce_only)
    await ctx.terminal(cid)
    return cid


@perp_check("PERP-001", "set leverage → the exchange's leverage equals the request; positions report it",
            needs=(C.LEVERAGE, C.POSITIONS, C.MARKET_ORDERS))
async def perp_001(ctx: Ctx) -> None:
    futures = Futures(ctx.venue)
    await ctx.adapter.set_leverage(ctx.pair, 7)
    ctx.expect(futures.leverage(ctx.pair) == 7, "leverage on the exchange", 7, futures.leverage(ctx.pair))
    await _open(ctx, "BUY")
    await _assert_positions(ctx)
    seen = [p.leverage for p in await ctx.adapter.positions() if p.trading_pair == ctx.pair]
    ctx.expect(seen == [futures.leverage(ctx.pair)], "leverage the position reports", [7], seen)


@perp_check("PERP-002", "switch one-way ↔ hedge with no position → the mode equals the request; a refused change "
                        "(position open) is surfaced with the exchange's reason",
            needs=(C.POSITION_MODE, C.MARKET_ORDERS))
async def perp_002(ctx: Ctx) -> None:
    futures = Futures(ctx.venue)
    await ctx.adapter.set_position_mode("HEDGE")
    ctx.expect(futures.dual_side() is True, "hedge mode on the exchange", True, futures.dual_side())
    await ctx.adapter.set_position_mode("ONEWAY")
    ctx.expect(futures.dual_side() is False, "one-way mode on the exchange", False, futures.dual_side())
    await _open(ctx, "BUY")
    try:
        await ctx.adapter.set_position_mode("HEDGE")
    except Exception as exc:
        ctx.expect(bool(getattr(exc, "reason", str(exc))), "the refusal's reason", "a reason", exc)
    else:
        ctx.fail("a mode change with a position open was refused by the exchange but not surfaced",
                 "an exception with the exchange's reason", "none")
    ctx.expect(futures.dual_side() is False, "mode on the exchange", False, futures.dual_side())


@perp_check("PERP-003", "open long, then close it → positions equal the exchange's after every fill (amount, "
                        "entry price, side)", needs=(C.POSITIONS, C.MARKET_ORDERS))
async def perp_003(ctx: Ctx) -> None:
    await _open(ctx, "BUY")
    await _assert_positions(ctx)
    await _open(ctx, "BUY")
    await _assert_positions(ctx)
    await _open(ctx, "SELL", QTY * 2)
    await _assert_positions(ctx)


@perp_check("PERP-016", "open short, then close it → positions equal the exchange's after every fill",
            needs=(C.POSITIONS, C.MARKET_ORDERS))
async def perp_016(ctx: Ctx) -> None:
    await _open(ctx, "SELL")
    await _assert_positions(ctx)
    await _open(ctx, "BUY")
    await _assert_positions(ctx)


@perp_check("PERP-004", "hedge mode: LONG and SHORT on the same pair held at once, the position side sent on each "
                        "order and carried by its fills", needs=(C.POSITION_MODE, C.POSITIONS, C.MARKET_ORDERS))
async def perp_004(ctx: Ctx) -> None:
    await ctx.adapter.set_position_mode("HEDGE")
    long_id = await _open(ctx, "BUY", position_side="LONG")
    short_id = await _open(ctx, "SELL", position_side="SHORT")
    await _assert_positions(ctx)
    for cid, side in ((long_id, "LONG"), (short_id, "SHORT")):
        sides = {getattr(e, "position_side", None) for e in ctx.for_order(cid, "OrderFilled")}
        ctx.expect(sides == {side}, f"position side of {cid}'s fills", {side}, sides)
    await _open(ctx, "SELL", position_side="LONG")
    await _assert_positions(ctx)


@perp_check("PERP-005", "reduce-only that would increase the position → refused with the exchange's reason; a "
                        "reduce-only close never flips the position", needs=(C.POSITIONS, C.MARKET_ORDERS))
async def perp_005(ctx: Ctx) -> None:
    await _open(ctx, "BUY")
    cid = await ctx.place("BUY", QTY, order_type="MARKET", reduce_only=True)
    await ctx.event("OrderFailed", client_order_id=cid)
    await _open(ctx, "SELL", QTY, reduce_only=True)
    await _assert_positions(ctx)
    ctx.expect(not Futures(ctx.venue).positions(), "positions after the reduce-only close", [],
               Futures(ctx.venue).positions())


@perp_check("PERP-007", "funding info (mark, index, rate, next funding time) equals the exchange's",
            needs=(C.FUNDING,))
async def perp_007(ctx: Ctx) -> None:
    futures = Futures(ctx.venue)

    async def probe():
        view = futures.mark(ctx.pair)
        inst = futures.inst(ctx.pair)
        expected = (Decimal(inst.format_price(view.mark)), Decimal(inst.format_price(view.index)),
                    Decimal(view.last_funding_rate), view.next_funding_time)
        info = await ctx.adapter.funding_info(ctx.pair)
        seen = (Decimal(info.mark_price), Decimal(info.index_price), Decimal(info.rate), info.next_funding_time_ms)
        return expected == seen, expected, seen
    await ctx.eventually(probe, "funding info (mark, index, rate, next funding time ms)")


@perp_check("PERP-008", "funding settlements of either sign → one funding payment event each, with the exchange's "
                        "amount and sign", needs=(C.FUNDING, C.MARKET_ORDERS))
async def perp_008(ctx: Ctx) -> None:
    futures = Futures(ctx.venue)
    await _open(ctx, "BUY")
    futures.settle_funding(ctx.pair)  # the default positive rate: the long pays
    if not futures.funding_incomes():
        ctx.skip("the exchange recorded no funding fee for the open position (zero rate)")
    await ctx.event("FundingPayment", trading_pair=ctx.pair)
    futures.flip_funding_rate(ctx.pair)  # funding-flip.yaml's negative rate: the long is paid
    futures.settle_funding(ctx.pair)
    incomes = futures.funding_incomes()
    await ctx.wait_count("FundingPayment", len(incomes))
    await ctx.events.settle()
    seen = [(e.trading_pair, Decimal(e.amount)) for e in ctx.events.of("FundingPayment")]
    ctx.expect(seen == incomes, "funding payments (pair, signed amount)", incomes, seen)
    await _assert_wallet(ctx)


@perp_check("PERP-009", "funding settled while the connector is down → the payment recovered after restart, once",
            needs=(C.FUNDING, C.RESTART, C.MARKET_ORDERS))
async def perp_009(ctx: Ctx) -> None:
    futures = Futures(ctx.venue)
    await _open(ctx, "BUY")
    await ctx.stop_adapter()
    futures.settle_funding(ctx.pair)
    await ctx.start_new_adapter()
    incomes = futures.funding_incomes()
    if not incomes:
        ctx.skip("the exchange recorded no funding fee for the open position (zero rate)")
    await ctx.event("FundingPayment", trading_pair=ctx.pair)
    await ctx.events.settle()
    seen = [(e.trading_pair, Decimal(e.amount)) for e in ctx.events.of("FundingPayment")]
    ctx.expect(seen == incomes, "funding payments (pair, signed amount)", incomes, seen)


@perp_check("PERP-010", "liquidation of an isolated position → the position gone, its fill surfaced, the wallet "
                        "equal to the exchange's", needs=(C.POSITIONS, C.LEVERAGE, C.MARGIN_TYPE, C.MARKET_ORDERS))
async def perp_010(ctx: Ctx) -> None:
    futures = Futures(ctx.venue)
    await ctx.adapter.set_margin_type(ctx.pair, "ISOLATED")
    await ctx.adapter.set_leverage(ctx.pair, 50)
    await _open(ctx, "BUY", QTY * 10)
    await _assert_positions(ctx)
    _, ask = _best(ctx)
    futures.set_index(ctx.pair, ask * Decimal("0.95"))
    ctx.venue.sim.tick()
    if futures.positions():
        ctx.skip("the scene did not liquidate the position (the simulator's liquidation did not trigger)")
    await _assert_positions(ctx)
    await _assert_wallet(ctx)


@perp_check("PERP-006", "unrealized PnL of a position follows the mark price", needs=(C.POSITIONS, C.MARKET_ORDERS))
async def perp_006(ctx: Ctx) -> None:
    futures = Futures(ctx.venue)
    await _open(ctx, "BUY")
    futures.set_index(ctx.pair, _best(ctx)[1] * Decimal("1.01"))
    ctx.venue.sim.tick()

    async def probe():
        rows = [r for r in futures.need("position_rows")(ctx.venue.subject_id) if r.amt]
        expected = [Decimal(r.unrealized) / 10 ** 8 for r in rows]
        seen = [Decimal(p.unrealized_pnl) for p in await ctx.adapter.positions() if Decimal(p.amount)]
        return expected == seen, expected, seen
    await ctx.eventually(probe, "unrealized PnL")


@perp_check("PERP-011", "a STOP_MARKET closePosition order triggered by the mark price → it waits open, then fills "
                        "when the mark crosses its trigger; the fills are reported and the position is gone",
            needs=(C.CONDITIONAL_ORDERS, C.POSITIONS, C.MARKET_ORDERS))
async def perp_011(ctx: Ctx) -> None:
    futures = Futures(ctx.venue)
    inst = futures.inst(ctx.pair)
    await _open(ctx, "BUY", scenes.LEVEL_QTY[ctx.pair] + QTY)  # more than one level: the close fills twice
    await _assert_positions(ctx)
    mark = Decimal(inst.format_price(futures.mark(ctx.pair).mark))
    trigger = quantized(mark * Decimal("0.99"), inst.perp_spec.tick_size)  # 1 % under the mark, on the price grid
    cid = ctx.new_client_id()
    await ctx.adapter.place(OrderRequest(ctx.pair, "SELL", "STOP_MARKET", Decimal(0), trigger_price=trigger,
                                         close_position=True, working_type="MARK_PRICE", client_order_id=cid))
    await ctx.event("OrderCreated", client_order_id=cid)
    waiting = futures.order(cid)
    ctx.expect(waiting is not None and waiting.is_open and waiting.close_position and
               Decimal(inst.format_price(waiting.stop_price)) == trigger and waiting.working_type == "MARK_PRICE",
               "a waiting closePosition stop on the exchange at the trigger sent, on the mark", trigger,
               None if waiting is None else (waiting.status, waiting.close_position,
                                             inst.format_price(waiting.stop_price), waiting.working_type))
    await _assert_positions(ctx)  # nothing fired yet: the position stands
    futures.set_index(ctx.pair, trigger * Decimal("0.995"))  # the mark follows the index across the trigger
    ctx.venue.sim.tick()
    if Decimal(inst.format_price(futures.mark(ctx.pair).mark)) > trigger:
        ctx.skip("the scene did not move the mark across the trigger (the simulator's mark did not follow)")
    await ctx.event("OrderCompleted", client_order_id=cid)
    await ctx.events.settle()
    await _assert_perp_fills(ctx, cid)
    seen = [kind(e) for e in ctx.for_order(cid)]
    expected = ["OrderCreated"] + ["OrderFilled"] * len(futures.fills(cid)) + ["OrderCompleted"]
    ctx.expect(seen == expected, "the order's events, in order (completed only after its last fill)", expected, seen)
    ctx.expect(not futures.positions(), "positions on the exchange after the stop fired", [], futures.positions())
    await _assert_positions(ctx)


@perp_check("PERP-012", "margin type change (cross ↔ isolated) reflected on the exchange; a refused change is "
                        "surfaced with the exchange's reason", needs=(C.MARGIN_TYPE,))
async def perp_012(ctx: Ctx) -> None:
    futures = Futures(ctx.venue)
    await ctx.adapter.set_margin_type(ctx.pair, "ISOLATED")
    ctx.expect(futures.margin_type(ctx.pair) == "ISOLATED", "margin type on the exchange", "ISOLATED",
               futures.margin_type(ctx.pair))
    try:
        await ctx.adapter.set_margin_type(ctx.pair, "ISOLATED")
    except Exception as exc:
        ctx.expect(bool(getattr(exc, "reason", str(exc))), "the refusal's reason", "a reason", exc)
    await ctx.adapter.set_margin_type(ctx.pair, "CROSSED")
    ctx.expect(futures.margin_type(ctx.pair) == "CROSSED", "margin type on the exchange", "CROSSED",
               futures.margin_type(ctx.pair))


@perp_check("PERP-013", "wallet balance equals the exchange's after fills and their fees",
            needs=(C.MARKET_ORDERS,))
async def perp_013(ctx: Ctx) -> None:
    await _assert_wallet(ctx)
    await _open(ctx, "BUY")
    await _assert_wallet(ctx)
    await _open(ctx, "SELL")
    await _assert_wallet(ctx)


@perp_check("PERP-014", "each perpetual fill reported once with the exchange's trade id, price, amount and fee in "
                        "the margin asset")
async def perp_014(ctx: Ctx) -> None:
    futures = Futures(ctx.venue)
    inst = futures.inst(ctx.pair)
    _, _, asks = futures.engine.depth(inst.symbol, 2)
    amount = Decimal(inst.format_qty(asks[0][1])) + QTY
    cid = await ctx.place("BUY", amount, Decimal(inst.format_price(asks[1][0])))
    await ctx.event("OrderCompleted", client_order_id=cid)
    await ctx.events.settle()
    await _assert_perp_fills(ctx, cid)


@perp_check("PERP-015", "a resting perpetual LIMIT order → created, listed open, canceled once")
async def perp_015(ctx: Ctx) -> None:
    bid, _ = _best(ctx)
    cid = await ctx.place("BUY", QTY, bid - 50)
    await ctx.event("OrderCreated", client_order_id=cid)
    listed = [o.client_order_id for o in await ctx.adapter.open_orders()]
    ctx.expect(listed == [cid], "open orders", [cid], listed)
    await ctx.adapter.cancel(ctx.pair, cid)
    await ctx.event("OrderCanceled", client_order_id=cid)
    await ctx.events.settle()
    ctx.expect(len(ctx.for_order(cid, "OrderCanceled")) == 1, "canceled events", 1, ctx.for_order(cid, "OrderCanceled"))
