"""Assertions many checks share: the adapter's view against the exchange's, waited for with the connector's
patience, failing with expected vs seen."""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any, Optional

from conformance import scenes
from conformance.events import kind
from conformance.framework import Ctx


def quantized(value: Decimal, increment: Decimal) -> Decimal:
    """Down to a whole number of increments (what a connector sends for an off-grid price or amount)."""
    return (value / increment).to_integral_value(ROUND_DOWN) * increment


def exchange_fills(ctx: Ctx, client_order_id: str) -> list[tuple]:
    """(trade id, price, amount, fee asset, fee) of each trade of the subject's order, from the exchange."""
    found = ctx.venue.order(client_order_id)
    if found is None:
        return []
    order_id = found["order"]["orderId"]
    out = []
    for t in found["trades"]:
        buyer = t["buyerOrderId"] == order_id
        out.append((str(t["tradeId"]), Decimal(t["price"]), Decimal(t["qty"]),
                    t["buyerFeeAsset"] if buyer else t["sellerFeeAsset"],
                    Decimal(t["buyerFee"] if buyer else t["sellerFee"])))
    return sorted(out)


def reported_fills(ctx: Ctx, client_order_id: str) -> list[tuple]:
    return sorted((str(e.trade_id), Decimal(e.price), Decimal(e.amount), e.fee_asset, Decimal(e.fee_amount))
                  for e in ctx.for_order(client_order_id, "OrderFilled"))


async def assert_fills_match(ctx: Ctx, client_order_id: str, timeout: Optional[float] = None) -> None:
    """The adapter reported each of the order's trades exactly once, with the exchange's price, amount, fee."""
    async def probe():
        expected, seen = exchange_fills(ctx, client_order_id), reported_fills(ctx, client_order_id)
        return expected == seen, expected, seen
    await ctx.eventually(probe, f"fills of order {client_order_id} (trade id, price, amount, fee asset, fee)",
                         timeout)


def exchange_balances(ctx: Ctx) -> dict[str, tuple[Decimal, Decimal]]:
    """(total, available) by asset, zero balances left out."""
    return {asset: (free + locked, free) for asset, (free, locked) in ctx.venue.balances().items()
            if free or locked}


async def adapter_balances(ctx: Ctx) -> dict[str, tuple[Decimal, Decimal]]:
    return {asset: (Decimal(b.total), Decimal(b.available)) for asset, b in (await ctx.adapter.balances()).items()
            if b.total or b.available}


async def assert_balances_match(ctx: Ctx, timeout: Optional[float] = None) -> None:
    async def probe():
        expected, seen = exchange_balances(ctx), await adapter_balances(ctx)
        return expected == seen, expected, seen
    await ctx.eventually(probe, "balances (total, available) by asset", timeout)


async def assert_open_orders_match(ctx: Ctx, timeout: Optional[float] = None) -> None:
    """The connector's open orders are the exchange's: same client ids, same executed amounts."""
    async def probe():
        expected = sorted((o["clientOrderId"], Decimal(o["executedQty"])) for o in ctx.venue.orders(open_only=True))
        seen = sorted((o.client_order_id, Decimal(o.executed_amount)) for o in await ctx.adapter.open_orders())
        return expected == seen, expected, seen
    await ctx.eventually(probe, "open orders (client id, executed amount)", timeout)


async def assert_book_matches(ctx: Ctx, pair: str, depth: int = 5, timeout: Optional[float] = None) -> None:
    async def probe():
        bids, asks = ctx.venue.depth(pair, depth)
        book = await ctx.adapter.order_book(pair, depth)
        seen = ([tuple(map(Decimal, level)) for level in book.bids][:depth],
                [tuple(map(Decimal, level)) for level in book.asks][:depth])
        return (bids, asks) == seen, (bids, asks), seen
    await ctx.eventually(probe, f"top {depth} levels of the {pair} book (bids, asks)", timeout)


async def assert_rejection_reported(ctx: Ctx, client_order_id: str, mark: int) -> Any:
    """An OrderFailed for the order; when the exchange refused it, carrying the exchange's message or code."""
    failed = await ctx.event("OrderFailed", client_order_id=client_order_id)
    rejected = [r for r in ctx.venue.rejections(mark) if r["client_id"] == client_order_id]
    if rejected:
        code, message = scenes.wire_answer(rejected[-1]["reason"])
        ctx.expect(message in str(failed.reason) or getattr(failed, "code", None) == code,
                   "the failure carries the exchange's reason", f"{code} {message}",
                   f"{getattr(failed, 'code', None)} {failed.reason}")
    else:
        ctx.expect(bool(str(failed.reason)), "a refused order's failure names a reason", "a reason", failed)
    others = [e for e in ctx.for_order(client_order_id) if kind(e) in ("OrderCreated", "OrderFilled")]
    ctx.expect(not others, "events of a refused order besides the failure", [], others)
    return failed
