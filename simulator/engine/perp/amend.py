"""Modifying a resting futures LIMIT order in place (Binance's PUT /fapi/v1/order): a new price and quantity,
the same order id and client order id, a new place in the queue. The modified order is checked as a new one
would be (filters, percent price, post-only, reduce-only, margin); refused, nothing changes. Accepted, it leaves
the book, its margin is recomputed, an AMENDMENT update announces it, and it re-enters as a taker: it trades if
it now crosses and rests with whatever is left.
"""
from __future__ import annotations

from simulator.engine.events import OrderUpdate
from simulator.engine.order import LIMIT
from simulator.engine.perp.order import GTX
from simulator.engine.perp.validation import margin_need
from simulator.engine.rejection import Reject, Rejected
from simulator.engine.results import PlaceResult
from simulator.engine.taker_plan import plan_taker


def modify(engine, account_id: int, symbol: str, side: str, qty: int, price: int, order_id: int | None,
           client_id: str | None) -> PlaceResult:
    order = engine.find_order(account_id, symbol, order_id, client_id)
    inst = engine.instruments[symbol]
    if not order.is_open or order.working_time < 0:
        raise Rejected(Reject.UNKNOWN_ORDER, "only a working order can be modified")
    if order.type != LIMIT or order.side != side:
        raise Rejected(Reject.INVALID_ORDER, "only a LIMIT order can be modified, on its own side")
    if type(qty) is not int or type(price) is not int or qty <= order.executed:
        raise Rejected(Reject.INVALID_AMEND, "the new quantity must exceed what already filled")
    inst.check_price(price)
    inst.check_qty(qty)
    if not inst.check_percent_to_mark(order.is_buy, price, engine.mark(symbol)):
        raise Rejected(Reject.PERCENT_PRICE_BY_SIDE)
    if not order.reduce_only:
        inst.check_notional(inst.notional(price, qty))
    book = engine.books[symbol]
    best = (book.asks if order.is_buy else book.bids).best_price()
    crosses = best is not None and (best <= price if order.is_buy else best >= price)
    if crosses and order.tif == GTX:
        raise Rejected(Reject.WOULD_TAKE)
    remaining = qty - order.executed
    asset = inst.margin_asset
    account = engine.accounts[account_id]
    held = order.locked
    # Judged as if it held nothing; put back if refused. margin_need also refuses a hedge-mode close larger than
    # its position (-2022), so modify needs no check of its own for that.
    account.unlock(asset, held)
    try:
        need = margin_need(engine, inst, account_id, symbol, order.is_buy, LIMIT, remaining, price, 0, None,
                           order.position_side, order.reduce_only, engine.settings_of(account_id),
                           engine.mark(symbol))
    except Rejected:
        account.lock(asset, held)
        raise
    first = engine.seq + 1
    now = engine.clock.now_ms()
    side_book = book.bids if order.is_buy else book.asks
    side_book.remove(order)
    engine._depth_changed(book, order.is_buy, order.price)
    order.locked = 0
    order.price, order.qty, order.update_time = price, qty, now
    account.lock(asset, need)
    order.locked = need
    engine.seq = seq = engine.seq + 1
    engine._dispatch(OrderUpdate(seq, now, "AMENDMENT", order))
    trades: list = []
    # not crossing, it rests as it is (a plan with nothing to take would expire a post-only order as unfilled)
    plan = plan_taker(book, inst, account_id, order.is_buy, order.stp, price, remaining, 0) if crosses else None
    engine._execute(order, inst, book, plan, trades, now)
    if trades:
        engine._after_trades(inst, book, now, trades)
    engine._flush(now)
    return PlaceResult(order, trades, first, engine._end(first))
