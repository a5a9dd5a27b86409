"""Conditional orders (STOP, TAKE_PROFIT, STOP_MARKET, TAKE_PROFIT_MARKET, TRAILING_STOP_MARKET) and reduce-only
upkeep.

A conditional order waits in its book's `stops` until its trigger price (the mark for workingType MARK_PRICE,
the last trade price for CONTRACT_PRICE) reaches its stop price; then it becomes a working order (NEW update):
a STOP / TAKE_PROFIT a limit order at its price, the *_MARKET types a market order. A closePosition order takes
the whole position's size at that moment; a reduce-only (or hedge-mode closing) order is cut to the position.
Margin is checked when it fires, not when it waits: one that cannot be afforded then expires.

Reduce-only orders never increase a position: when fills shrink a position below what its resting reduce-only
orders would close, those orders expire (Binance's expiry reason 4, "reduce-only race").
"""
from __future__ import annotations

from simulator.engine.events import OrderUpdate
from simulator.engine.order import EXPIRED, NEW
from simulator.engine.perp.margin import available, initial_margin
from simulator.engine.perp.order import (BOTH, GTX, MARK_PRICE, MARKET_WHEN_FIRED, TRAILING_STOP_MARKET, closes,
                                         trigger_reached)
from simulator.engine.taker_plan import NOTHING_TO_TAKE, plan_taker

MAX_ROUNDS = 100  # triggers setting off triggers: bounded, as any chain of events in one operation


def trigger(engine, inst, book, now: int, trades: list) -> None:
    """Fire every conditional order whose trigger price has reached its stop; fills may fire more."""
    market = engine.market[inst.symbol]
    for _ in range(MAX_ROUNDS):
        if not book.stops:
            return
        mark, last = engine.mark(inst.symbol), market.last_price
        fired = []
        guarded = mark is not None and last is not None and \
            abs(mark - last) * inst.trigger_protect[1] > last * inst.trigger_protect[0]
        for order in book.stops.values():
            price = mark if order.working_type == MARK_PRICE else last
            if price is None or (order.price_protect and guarded):
                continue  # priceProtect: no trigger while the mark and the last price are this far apart
            if order.type == TRAILING_STOP_MARKET:
                if trails_back(order, price):
                    fired.append(order)
            elif trigger_reached(order.type, order.is_buy, order.stop_price, price):
                fired.append(order)
        if not fired:
            return
        new_trades: list = []
        for order in sorted(fired, key=lambda o: o.order_id):
            del book.stops[order.order_id]
            _activate(engine, order, inst, book, now, new_trades)
        trades.extend(new_trades)
        if not new_trades:
            return


def trails_back(order, price: int) -> bool:
    """A trailing stop seeing `price`: it activates at its activation price (at once without one), then follows
    the best price since (the highest for a sell, the lowest for a buy) and fires once the price comes back from
    it by the callback rate. Exact: compared as integers (callback in tenths of a percent)."""
    if not order.extreme:
        if order.activation_price and (price < order.activation_price if not order.is_buy
                                       else price > order.activation_price):
            return False
        order.extreme = price
    if order.is_buy:
        order.extreme = min(order.extreme, price)
        return price * 1000 >= order.extreme * (1000 + order.callback_rate)
    order.extreme = max(order.extreme, price)
    return price * 1000 <= order.extreme * (1000 - order.callback_rate)


def _closable(engine, order) -> int:
    return engine.position_size(order.account_id, order.symbol, order.position_side, order.is_buy)


def _activate(engine, order, inst, book, now: int, trades: list) -> None:
    order.working_time = now
    order.update_time = now
    closing = order.close_position or order.reduce_only or closes(order.position_side, order.is_buy)
    if closing:
        size = _closable(engine, order)
        if order.close_position:
            order.qty = size
        elif size < order.qty:
            order.qty = max(size, order.executed)
        if not size:
            order.qty = order.qty or 1  # a closePosition order with nothing to close: shown as expired unfilled
            engine._expire(order, inst, EXPIRED, "REDUCE_ONLY", now)
            return
    engine.seq = seq = engine.seq + 1
    engine._dispatch(OrderUpdate(seq, now, NEW, order))
    market_type = order.type in MARKET_WHEN_FIRED
    price = 0 if market_type else order.price
    best = (book.asks if order.is_buy else book.bids).best_price()
    crosses = best is not None and (not price or (best <= price if order.is_buy else best >= price))
    if order.tif == GTX:
        if crosses:
            engine._expire(order, inst, EXPIRED, "GTX_WOULD_TAKE", now)
            return
        plan = None
    elif crosses:
        plan = plan_taker(book, inst, order.account_id, order.is_buy, order.stp, price, order.qty, 0)
    else:
        plan = NOTHING_TO_TAKE
    if not closing:
        reference = plan.cost * order.qty // plan.filled if plan and plan.filled else \
            inst.notional(price or order.stop_price, order.qty)
        need = initial_margin(reference, engine.leverage_of(order.account_id, order.symbol))
        if need > available(engine, order.account_id, inst.margin_asset):
            engine._expire(order, inst, EXPIRED, "MARGIN_INSUFFICIENT", now)
            return
        engine.accounts[order.account_id].lock(inst.margin_asset, need)
        order.locked = need
    engine._execute(order, inst, book, plan, trades, now)


def trim_reduce_only(engine, inst, now: int) -> None:
    """Expire the working reduce-only / closing orders that would now close more than their position holds."""
    symbol = inst.symbol
    closing = engine.closing_orders
    for account_id, keys in list(engine._changed_positions.items()):
        if not closing.get(account_id) or not any(key[1] == symbol for key in keys):
            continue
        account = engine.accounts[account_id]
        for order in sorted((o for o in account.open_orders.values()
                             if o.symbol == symbol and o.working_time >= 0
                             and (o.reduce_only or (o.position_side != BOTH
                                                    and closes(o.position_side, o.is_buy)))),
                            key=lambda o: o.order_id):
            if order.remaining > _closable(engine, order):
                _take_off_book(engine, order, book=engine.books[symbol])
                engine._expire(order, inst, EXPIRED, "REDUCE_ONLY", now)


def _take_off_book(engine, order, book) -> None:
    side = book.bids if order.is_buy else book.asks
    side.remove(order)
    engine._depth_changed(book, order.is_buy, order.price)
