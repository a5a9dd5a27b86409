"""The engine's invariants, checked from scratch against its state.

Property tests run this after every step; the control plane exposes it so a person can ask a live simulator
whether its books still add up; a snapshot is audited before it is swapped in, so a document whose parts
contradict each other is refused. It returns the violations it finds (an empty list means all hold).

The structural rules come first (ids and their counters, vocabularies, who owns what, where each open order
waits): the money and book checks look orders up by id, account and symbol, and on a state that breaks the
structure they would fail instead of reporting, so they run only on a state that keeps it.
"""
from __future__ import annotations

from collections.abc import Iterable

from simulator.engine.engine import Engine
from simulator.engine.events import Trade
from simulator.engine.instrument import STP_MODES, SYMBOL_STATUSES
from simulator.engine.market_data import MINUTE_MS
from simulator.engine.order import (BUY, FILLED, FINAL_STATUSES, LIMIT_PRICED, NEW, ORDER_TYPES, PARTIALLY_FILLED,
                                    SELL, SIDES, STOP_TYPES, TIMES_IN_FORCE, Order)

ORDER_STATUSES = (NEW, PARTIALLY_FILLED, *sorted(FINAL_STATUSES))
_VOCABULARY = (("side", SIDES), ("type", ORDER_TYPES), ("tif", TIMES_IN_FORCE), ("status", ORDER_STATUSES),
               ("stp", STP_MODES))
_AMOUNTS = ("price", "qty", "stop_price", "quote_qty", "executed", "cum_quote", "locked", "prevented_qty")


def audit(engine: Engine) -> list[str]:
    problems = _identities(engine)
    if not problems:  # the rest index by symbol and id
        problems = _orders(engine) + _ownership(engine) + _placement(engine)
    if problems:
        return problems
    problems += _trades(engine)
    problems += _market_data(engine)
    problems += _conservation(engine)
    problems += _books(engine)
    problems += _locks(engine)
    return problems


def _identities(engine: Engine) -> list[str]:
    """Every id is filed under itself, is at least 1 and lies below its counter (the next account, order, trade
    or prevented match would otherwise reuse one); each per-symbol table covers exactly the instruments."""
    problems = []
    symbols = sorted(engine.instruments)
    for name, table in (("books", engine.books), ("market data", engine.market),
                        ("next trade ids", engine.next_trade_id),
                        ("next prevented match ids", engine.next_prevented_match_id)):
        if sorted(table) != symbols:
            problems.append(f"{name} are kept for {sorted(table)}, the instruments are {symbols}")
    if problems:
        return problems
    if engine.seq < 0:
        problems.append(f"event seq {engine.seq} is negative")
    for account_id, account in engine.accounts.items():
        if account.account_id != account_id:
            problems.append(f"account {account.account_id} is filed under id {account_id}")
        elif not 1 <= account_id < engine.next_account_id:
            problems.append(f"account {account_id}: " + _outside(account_id, "next account id",
                                                                 engine.next_account_id, "a new account"))
    for order_id, order in engine.orders.items():
        if order.order_id != order_id:
            problems.append(f"order {order.order_id} is filed under id {order_id}")
        elif not 1 <= order_id < engine.next_order_id:
            problems.append(f"order {order_id}: " + _outside(order_id, "next order id", engine.next_order_id,
                                                             "a new order"))
        if order.account_id not in engine.accounts:
            problems.append(f"order {order_id}: its account {order.account_id} does not exist")
        if order.symbol not in engine.instruments:
            problems.append(f"order {order_id}: unknown symbol {order.symbol!r}")
        elif not -1 <= order.prevented_match_id < engine.next_prevented_match_id[order.symbol]:
            problems.append(f"order {order_id}: prevented match id {order.prevented_match_id} outside [-1, next "
                            f"prevented match id {engine.next_prevented_match_id[order.symbol]})")
    for symbol in symbols:
        if engine.next_trade_id[symbol] < 1:
            problems.append(f"{symbol}: next trade id {engine.next_trade_id[symbol]} is below 1")
        if engine.next_prevented_match_id[symbol] < 0:
            problems.append(f"{symbol}: next prevented match id {engine.next_prevented_match_id[symbol]} is "
                            f"negative")
        if engine.market[symbol].next_agg_id < 1:
            problems.append(f"{symbol}: next aggregate trade id {engine.market[symbol].next_agg_id} is below 1")
        if engine.books[symbol].update_id < 0:
            problems.append(f"{symbol}: book update id {engine.books[symbol].update_id} is negative")
    return problems


def _outside(number: int, counter: str, next_id: int, newcomer: str) -> str:
    if number < 1:
        return "ids start at 1"
    return f"id not below the {counter} {next_id}: {newcomer} would reuse it"


def _orders(engine: Engine) -> list[str]:
    """Each order speaks the vocabulary, holds no negative amount, and its status agrees with what executed."""
    problems = []
    for symbol, inst in engine.instruments.items():
        if inst.status not in SYMBOL_STATUSES:
            problems.append(f"{symbol}: unknown symbol status {inst.status!r}")
    for order in engine.orders.values():
        for name, allowed in _VOCABULARY:
            value = getattr(order, name)
            if value not in allowed:
                problems.append(f"order {order.order_id}: {name} {value!r} is none of {', '.join(allowed)}")
        for name in _AMOUNTS:
            if getattr(order, name) < 0:
                problems.append(f"order {order.order_id}: negative {name} {getattr(order, name)}")
        if order.working_time < -1:
            problems.append(f"order {order.order_id}: working time {order.working_time}")
        if not 0 <= order.executed <= order.qty:
            problems.append(f"{order!r}: executed outside [0, qty]")
        elif not _status_fits(order):
            problems.append(f"{order!r}: {order.status} does not fit {order.executed} of {order.qty} executed")
        elif order.is_open and not order.remaining:
            problems.append(f"{order!r}: open with nothing left")
        if order.type in LIMIT_PRICED and order.price <= 0 or order.type in STOP_TYPES and order.stop_price <= 0:
            problems.append(f"{order!r}: a {order.type} order needs a price"
                            + (" and a stop price" if order.type in STOP_TYPES else ""))
    return problems


def _status_fits(order: Order) -> bool:
    if order.status == NEW:
        return order.executed == 0
    if order.status == PARTIALLY_FILLED:
        return 0 < order.executed < order.qty
    if order.status == FILLED:
        return order.executed == order.qty
    return True


def _ownership(engine: Engine) -> list[str]:
    """An account's open orders, client order ids, open counts and histories are its own orders, all kept by the
    engine; every open order is among its account's open orders, every finished one among its finished ones."""
    problems = []
    for account_id, account in engine.accounts.items():
        counts: dict[str, int] = {}
        for order_id, order in account.open_orders.items():
            if engine.orders.get(order_id) is not order:
                problems.append(f"account {account_id}: open order {order_id} is not the engine's order {order_id}")
            elif order.account_id != account_id:
                problems.append(f"account {account_id}: open order {order_id} belongs to account {order.account_id}")
            elif not order.is_open:
                problems.append(f"account {account_id}: {order!r} is listed open")
            else:
                counts[order.symbol] = counts.get(order.symbol, 0) + 1
                if account.client_ids.get(order.client_id) is not order:
                    problems.append(f"account {account_id}: client order id {order.client_id!r} does not name "
                                    f"open order {order_id}")
        for client_id, order in account.client_ids.items():
            if account.open_orders.get(order.order_id) is not order or order.client_id != client_id:
                problems.append(f"account {account_id}: client order id {client_id!r} names order {order.order_id}, "
                                f"not an open order of that id")
        kept = {symbol: count for symbol, count in account.open_count.items() if count}
        if kept != counts:
            problems.append(f"account {account_id}: open order count {kept} but open orders {counts}")
        listed: set[int] = set()
        for symbol, history in account.orders.items():
            previous = 0
            for order in history:
                if order.account_id != account_id or order.symbol != symbol:
                    problems.append(f"account {account_id}: order {order.order_id} in its {symbol} history belongs "
                                    f"to account {order.account_id} on {order.symbol}")
                if order.order_id <= previous:
                    problems.append(f"account {account_id}: {symbol} history not in order id order at "
                                    f"{order.order_id}")
                previous = order.order_id
                listed.add(order.order_id)
                if engine.orders.get(order.order_id) is not order:
                    problems.append(f"account {account_id}: its {symbol} history lists order {order.order_id}, "
                                    f"which the engine does not keep")
        for order_id in account.open_orders.keys() - listed:
            problems.append(f"account {account_id}: open order {order_id} is missing from its history")
        problems += _retained(engine, account_id, account, listed)
        for symbol, history in account.trades.items():
            for trade, order in history:
                if trade.symbol != symbol or (order is not trade.buyer and order is not trade.seller) \
                        or order.account_id != account_id:
                    problems.append(f"account {account_id}: trade {trade.trade_id} in its {symbol} history is "
                                    f"not a trade of its order {order.order_id}")
    finished = {id(order) for account in engine.accounts.values() for order in account.closed}
    for order in engine.orders.values():
        if order.is_open and engine.accounts[order.account_id].open_orders.get(order.order_id) is not order:
            problems.append(f"{order!r} is open but not among account {order.account_id}'s open orders")
        if not order.is_open and id(order) not in finished:
            problems.append(f"{order!r} is kept but not among account {order.account_id}'s finished orders")
    return problems


def _retained(engine: Engine, account_id: int, account, listed: set[int]) -> list[str]:
    """What an account keeps of its past (retention.py): its finished orders, the oldest to finish first, are
    each listed in its history and are no more than it keeps; its trade histories hold no more than it keeps."""
    problems = []
    closed = set()
    for order in account.closed:
        if order.order_id in closed or order.is_open or order.account_id != account_id \
                or order.order_id not in listed:
            problems.append(f"account {account_id}: {order!r} is not a finished order of its history")
        closed.add(order.order_id)
    if len(account.closed) > account.closed_kept:
        problems.append(f"account {account_id}: keeps {len(account.closed)} finished orders, at most "
                        f"{account.closed_kept} allowed")
    for order_id in listed - closed - account.open_orders.keys():
        problems.append(f"account {account_id}: order {order_id} of its history is neither open nor among its "
                        f"finished orders")
    for symbol, history in account.trades.items():
        if history.maxlen != account.trades_kept:
            problems.append(f"account {account_id}: its {symbol} trades are kept up to {history.maxlen}, not "
                            f"{account.trades_kept}")
    return problems


def _placement(engine: Engine) -> list[str]:
    """Each open order waits in exactly one place: resting on its symbol's book on its own side (a priced,
    working order), or among the symbol's stops (a stop order not triggered yet)."""
    problems = []
    placed: dict[int, str] = {}

    def place(order_id: int, order: Order, where: str, fits: bool) -> None:
        if order_id in placed:
            problems.append(f"order {order_id} waits both at {placed[order_id]} and at {where}")
        placed[order_id] = where
        if engine.orders.get(order_id) is not order or not fits:
            problems.append(f"order {order_id} ({order!r}) does not belong at {where}")

    for symbol, book in engine.books.items():
        for side in (book.bids, book.asks):
            for level in side.levels.values():
                for order_id, order in level.orders.items():
                    place(order_id, order, f"{symbol} {'bid' if side.is_bid else 'ask'} {level.price}",
                          order.symbol == symbol and order.is_buy == side.is_bid and order.is_working
                          and order.type in LIMIT_PRICED)
        for order_id, order in book.stops.items():
            place(order_id, order, f"{symbol} stops", order.symbol == symbol and order.is_open
                  and not order.is_working and order.type in STOP_TYPES)
    for order in engine.orders.values():
        if order.is_open and order.order_id not in placed:
            problems.append(f"{order!r} is open but neither rests on a book nor waits among the stops")
    return problems


def _all_trades(engine: Engine) -> Iterable[Trade]:
    seen: set[int] = set()
    for data in engine.market.values():
        for trade in (*data.trades, data.last_trade):
            if trade is not None and id(trade) not in seen:
                seen.add(id(trade))
                yield trade
    for account in engine.accounts.values():
        for history in account.trades.values():
            for trade, _ in history:
                if id(trade) not in seen:
                    seen.add(id(trade))
                    yield trade


def _trades(engine: Engine) -> list[str]:
    """A trade matched a buy and a sell of its symbol, below the symbol's next trade id, for a positive price and
    quantity whose quote amount it carries exactly."""
    problems = []
    for trade in _all_trades(engine):
        inst = engine.instruments.get(trade.symbol)
        if inst is None:
            problems.append(f"trade {trade.trade_id}: unknown symbol {trade.symbol!r}")
            continue
        where = f"{trade.symbol} trade {trade.trade_id}"
        if not 1 <= trade.trade_id < engine.next_trade_id[trade.symbol]:
            problems.append(f"{where}: " + _outside(trade.trade_id, "next trade id",
                                                    engine.next_trade_id[trade.symbol], "a new trade"))
        if trade.buyer.side != BUY or trade.seller.side != SELL or trade.buyer.symbol != trade.symbol \
                or trade.seller.symbol != trade.symbol:
            problems.append(f"{where}: its buyer {trade.buyer!r} and seller {trade.seller!r} are not a buy and a "
                            f"sell of {trade.symbol}")
        if trade.price <= 0 or trade.qty <= 0 or trade.buyer_fee < 0 or trade.seller_fee < 0:
            problems.append(f"{where}: price, quantity or a fee out of range")
        elif trade.quote_qty != inst.notional(trade.price, trade.qty):
            problems.append(f"{where}: quote quantity {trade.quote_qty}, price and quantity make "
                            f"{inst.notional(trade.price, trade.qty)}")
        if (trade.base, trade.quote) != (inst.base, inst.quote):
            problems.append(f"{where}: assets {trade.base}/{trade.quote}, not the symbol's")
        for order in (trade.buyer, trade.seller):
            if engine.orders.get(order.order_id) is not order and (order.is_open or order.order_id in engine.orders):
                problems.append(f"{where}: its order {order.order_id} is neither the engine's nor a finished order "
                                f"that aged out")
    return problems


def _market_data(engine: Engine) -> list[str]:
    """Kept trades in id order ending with the last trade; klines of whole minutes whose prices and volumes
    agree; aggregate trades in id order below the next aggregate id."""
    problems = []
    for symbol, data in engine.market.items():
        next_trade = engine.next_trade_id[symbol]
        previous = 0
        for trade in data.trades:
            if trade.symbol != symbol or trade.trade_id <= previous:
                problems.append(f"{symbol}: kept trade {trade.trade_id} out of place")
            previous = trade.trade_id
        if data.trades and data.last_trade is not data.trades[-1] or \
                data.last_trade is not None and data.last_trade.symbol != symbol:
            problems.append(f"{symbol}: the last trade is not the newest kept trade")
        for kline in data.klines:
            if kline.open_time % MINUTE_MS or not 0 < kline.low <= min(kline.open, kline.close) \
                    or max(kline.open, kline.close) > kline.high or kline.count < 1 or kline.volume <= 0 \
                    or not 0 <= kline.taker_buy_volume <= kline.volume or kline.quote_volume < 0 \
                    or not 0 <= kline.taker_buy_quote <= kline.quote_volume \
                    or not 1 <= kline.first_id <= kline.last_id < next_trade:
                problems.append(f"{symbol}: kline {kline.state()} is not a minute of trades")
        previous = 0
        for agg in data.agg_trades:
            if not previous < agg.agg_id < data.next_agg_id or agg.price <= 0 or agg.qty <= 0 \
                    or not 1 <= agg.first_id <= agg.last_id < next_trade:
                problems.append(f"{symbol}: aggregate trade {agg.state()} out of place (next aggregate trade "
                                f"id {data.next_agg_id})")
            previous = agg.agg_id
    return problems


def _conservation(engine: Engine) -> list[str]:
    """deposits - withdrawals == free + locked + fees collected, per asset; nothing negative."""
    held: dict[str, int] = {}
    problems = []
    for name, ledger in (("deposits", engine.deposits), ("withdrawals", engine.withdrawals),
                         ("fees collected", engine.fees_collected)):
        problems += [f"{name} of {asset}: {amount} is negative" for asset, amount in ledger.items() if amount < 0]
    for account in engine.accounts.values():
        for asset, (free, locked) in account.balances.items():
            if free < 0 or locked < 0:
                problems.append(f"account {account.account_id} {asset}: negative balance {free}/{locked}")
            held[asset] = held.get(asset, 0) + free + locked
    assets = set(held) | set(engine.deposits) | set(engine.fees_collected)
    for asset in sorted(assets):
        expected = engine.deposits.get(asset, 0) - engine.withdrawals.get(asset, 0)
        actual = held.get(asset, 0) + engine.fees_collected.get(asset, 0)
        if expected != actual:
            problems.append(f"{asset} not conserved: in {expected}, held + fees {actual}")
    return problems


def _books(engine: Engine) -> list[str]:
    problems = []
    for symbol, book in engine.books.items():
        if book.is_crossed():
            problems.append(f"{symbol}: resting book crossed")
        for side in (book.bids, book.asks):
            for level in side.levels.values():
                shown = sum(o.remaining for o in level.orders.values())
                if not level.orders or shown != level.qty:
                    problems.append(f"{symbol} level {level.price}: qty {level.qty} but orders show {shown}")
                for order in level.orders.values():
                    if order.status in FINAL_STATUSES or order.price != level.price:
                        problems.append(f"{symbol}: {order!r} should not rest at {level.price}")
    return problems


def _locks(engine: Engine) -> list[str]:
    """A final order holds nothing; each account's locked balance is exactly what its open orders hold."""
    problems = []
    for order in engine.orders.values():
        if order.status in FINAL_STATUSES and order.locked:
            problems.append(f"{order!r}: final but still holds {order.locked}")
    for account in engine.accounts.values():
        held: dict[str, int] = {}
        for order in account.open_orders.values():
            inst = engine.instruments[order.symbol]
            asset = inst.quote if order.is_buy else inst.base
            held[asset] = held.get(asset, 0) + order.locked
            if order.is_buy and order.type in LIMIT_PRICED:
                need = inst.notional(order.price, order.remaining)
            elif order.is_buy:
                need = inst.notional(order.stop_price, order.remaining)
            else:
                need = order.remaining
            if order.locked != need:
                problems.append(f"{order!r}: locks {order.locked}, needs {need}")
        for asset, (_, locked) in account.balances.items():
            if locked != held.get(asset, 0):
                problems.append(f"account {account.account_id} {asset}: locked {locked}, orders hold "
                                f"{held.get(asset, 0)}")
    return problems
