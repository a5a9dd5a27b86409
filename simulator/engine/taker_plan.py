"""What a taker would do against the book now, worked out before anything changes.

Placement validates against the plan (a market buy must afford what it would take, a FOK must fill whole) and
then executes exactly it, so a refused order never touched the book.
"""
from __future__ import annotations

from typing import NamedTuple

from simulator.engine.book import OrderBook
from simulator.engine.instrument import Instrument
from simulator.engine.order import Order


class TakerPlan(NamedTuple):
    """(maker, qty) steps in match order, qty 0 meaning 'expire the maker' (self-trade prevention)."""

    steps: list[tuple[Order, int]]
    filled: int
    cost: int  # quote atoms the fills cost
    taker_prevented: bool  # self-trade prevention stops the taker here
    prevented_by: Order | None = None  # STP visibility: the taker's own resting order that stopped it


NOTHING_TO_TAKE = TakerPlan((), 0, 0, False)  # shared: a plan is never modified once made


def plan_taker(book: OrderBook, inst: Instrument, account_id: int, is_buy: bool, stp: str, limit: int,
               qty: int, quote_budget: int) -> TakerPlan:
    """Walk the opposite side from the best price: fills up to qty (or quote_budget), up to limit (0: none)."""
    side = book.asks if is_buy else book.bids
    best = side.best()
    if best is None:
        return NOTHING_TO_TAKE
    if limit and (best.price > limit if is_buy else best.price < limit):
        # the commonest order of all, a limit that does not reach the best opposite price, stops here
        return NOTHING_TO_TAKE
    steps: list[tuple[Order, int]] = []
    filled = cost = 0
    unit, step = inst.base_unit, inst.step
    for level in side.best_levels():
        price = level.price
        if limit and (price > limit if is_buy else price < limit):
            break
        for maker in level.orders.values():
            if maker.account_id == account_id and stp != "NONE":
                if stp == "EXPIRE_TAKER":
                    return TakerPlan(steps, filled, cost, True, maker)
                steps.append((maker, 0))
                if stp == "EXPIRE_BOTH":
                    return TakerPlan(steps, filled, cost, True, maker)
                continue
            available = maker.qty - maker.executed
            if quote_budget:
                affordable = (quote_budget - cost) * unit // price
                fill = min(available, affordable - affordable % step)
                if fill <= 0:
                    if is_buy:  # deeper asks only cost more
                        return TakerPlan(steps, filled, cost, False)
                    break  # a lower bid may still take a whole step
            else:
                fill = min(available, qty - filled)
            steps.append((maker, fill))
            filled += fill
            cost += price * fill // unit
            if qty and filled == qty:
                return TakerPlan(steps, filled, cost, False)
    return TakerPlan(steps, filled, cost, False)
