"""The matching core the engine's operations run on: a taker executed against its plan, fills and the money
they move, self-trade prevention, expiry, stop orders triggering, and the balance and depth changes of one
operation reported at its end.

Nothing here is called from outside the engine: `Engine` (engine.py) builds on `Matcher` and is the only way in.
The hot path lives here, so a few steps are written out inline where a call would cost a measurable share of an
operation; each says so.
"""
from __future__ import annotations

from typing import Callable

from simulator.engine.account import Account
from simulator.engine.book import OrderBook
from simulator.engine.events import BalanceUpdate, DepthUpdate, Event, OrderUpdate, Prevention, Trade, TradeEvent
from simulator.engine.fees import FeeSchedule, commission
from simulator.engine.instrument import Instrument
from simulator.engine.market_data import MarketData
from simulator.engine.order import (EXPIRED, EXPIRED_IN_MATCH, FILLED, FOK, GTC, NEW, PARTIALLY_FILLED, Order,
                                    stop_reached)
from simulator.engine.taker_plan import TakerPlan, plan_taker


def no_listener(event: Event) -> None:
    """The dispatch while nobody listens."""


class Matcher:
    """The state matching works on, and the mechanics that change it."""

    def __init__(self, fees: FeeSchedule):
        self.fees = fees
        self.books: dict[str, OrderBook] = {}
        self.market: dict[str, MarketData] = {}
        self.accounts: dict[int, Account] = {}
        self.seq = 0
        # What an event is handed to: rebuilt by Engine.subscribe / unsubscribe so that emitting one event is
        # one call (the listener itself when there is exactly one, the common case) instead of a loop.
        self._dispatch: Callable[[Event], None] = no_listener
        self.next_trade_id: dict[str, int] = {}
        # STP visibility: per-symbol prevented match ids, from 0 as in Binance's STP FAQ examples
        self.next_prevented_match_id: dict[str, int] = {}
        self.fees_collected: dict[str, int] = {}  # per asset, part of the conservation ledger
        # what the current operation changed, reported by _flush when it ends
        self._touched: dict[tuple[int, str], None] = {}  # (account id, asset)
        self._changed_books: dict[OrderBook, None] = {}  # books with changed levels, in order of first change

    # --- the end of an operation ----------------------------------------------------------------------
    def _flush(self, now: int) -> None:
        """Emit the balance and depth changes the operation accumulated (balances first, then depth).

        Runs once per operation, so the sequence increments and the dispatch are written out inline.
        """
        if self._touched:
            self._flush_balances(now)
        self._flush_depth(now)

    def _flush_balances(self, now: int) -> None:
        """One BalanceUpdate per (account, asset) the operation touched (the futures engine reports its own)."""
        dispatch = self._dispatch
        touched = self._touched
        if touched:
            self._touched = {}
            accounts = self.accounts
            for account_id, asset in touched:
                account = accounts[account_id]
                free, locked = account.balances[asset]  # the pair unpacked: free() and locked() are two calls
                account.update_time = now
                self.seq = seq = self.seq + 1
                dispatch(BalanceUpdate(seq, now, account_id, asset, free, locked, 0, "ORDER"))

    def _flush_depth(self, now: int) -> None:
        """One DepthUpdate per book whose levels the operation changed, each moving its update id by one."""
        dispatch = self._dispatch
        changed = self._changed_books
        if changed:
            self._changed_books = {}
            for book in changed:
                book.update_id += 1
                # (price, quantity now) per changed level, 0 for a level gone. Plain loops rather than
                # comprehensions: a comprehension is a function call of its own, and there is usually one level.
                bids, asks = [], []
                if book.changed_bids:
                    levels = book.bids.levels  # keyed by negated price (see book.py)
                    for price in book.changed_bids:
                        level = levels.get(-price)
                        bids.append((price, level.qty if level is not None else 0))
                    book.changed_bids = {}
                if book.changed_asks:
                    levels = book.asks.levels
                    for price in book.changed_asks:
                        level = levels.get(price)
                        asks.append((price, level.qty if level is not None else 0))
                    book.changed_asks = {}
                self.seq = seq = self.seq + 1
                dispatch(DepthUpdate(seq, now, book.symbol, book.update_id, bids, asks))

    # --- matching --------------------------------------------------------------------------------------
    def _execute(self, taker: Order, inst: Instrument, book: OrderBook, plan: TakerPlan | None,
                 trades: list[Trade], now: int) -> None:
        """Run an accepted, working taker against its plan, then rest or expire what is left.

        Orders without a price (MARKET, a triggered STOP_LOSS / TAKE_PROFIT) never rest.
        """
        if plan is None:  # LIMIT_MAKER, known not to cross
            self._rest(taker, book)
            return
        if taker.tif == FOK and plan.filled < taker.qty:
            self._expire(taker, inst, EXPIRED, "UNFILLED_FOK_ORDER_EXPIRED", now)
            return
        match_id = -1
        for maker, fill in plan.steps:
            if fill:
                trades.append(self._fill(inst, book, maker, taker, fill, now))
            else:
                match_id = self._prevent(inst, book, maker, taker, now)
        if not taker.is_open:
            return
        if plan.taker_prevented:
            # STP visibility: EXPIRE_BOTH expires the taker in the prevented match its maker just expired in (the
            # plan's last step); EXPIRE_TAKER opens a prevented match of its own against the maker that stopped it.
            maker = plan.prevented_by
            if taker.stp != "EXPIRE_BOTH":
                match_id = self._new_prevented_match_id(inst.symbol)
            self._expire_prevented(inst, taker, maker, match_id, "STP_EXPIRE_TAKER", maker.price, now)
        elif not taker.price:
            self._expire(taker, inst, EXPIRED, "INSUFFICIENT_LIQUIDITY", now)
        elif taker.tif == GTC:
            self._rest(taker, book)
        else:
            self._expire(taker, inst, EXPIRED, "UNFILLED_IOC_QUANTITY_EXPIRED", now)

    def _rest(self, order: Order, book: OrderBook) -> None:
        if order.is_buy:
            book.bids.add(order)
            book.changed_bids[order.price] = None  # _depth_changed() written out: most orders rest
        else:
            book.asks.add(order)
            book.changed_asks[order.price] = None
        self._changed_books[book] = None

    def _depth_changed(self, book: OrderBook, is_bid: bool, price: int) -> None:
        """Note a level whose quantity changed; _flush reports each level once, in order of first change."""
        self._changed_books[book] = None
        (book.changed_bids if is_bid else book.changed_asks)[price] = None

    def _fill(self, inst: Instrument, book: OrderBook, maker: Order, taker: Order, qty: int, now: int) -> Trade:
        price = maker.price
        unit = inst.base_unit
        quote = price * qty // unit
        buyer, seller = (taker, maker) if taker.is_buy else (maker, taker)
        accounts = self.accounts
        buyer_account = accounts[buyer.account_id]
        seller_account = accounts[seller.account_id]
        tiers = self.fees.tiers
        buyer_tier, seller_tier = tiers[buyer_account.fee_tier], tiers[seller_account.fee_tier]
        # each side pays its fee in the asset it receives
        if buyer is taker:
            buyer_fee = commission(qty, buyer_tier.taker)
            seller_fee = commission(quote, seller_tier.maker)
        else:
            buyer_fee = commission(qty, buyer_tier.maker)
            seller_fee = commission(quote, seller_tier.taker)
        base, quote_asset = inst.base, inst.quote
        # the buyer pays from its lock, which freed the gap between its own limit and the trade price
        release = buyer.price * qty // unit if buyer.price else quote
        buyer_account.settle(quote_asset, release, quote, base, qty - buyer_fee)
        buyer.locked -= release
        seller_account.settle(base, qty, qty, quote_asset, quote - seller_fee)
        seller.locked -= qty
        fees = self.fees_collected
        fees[base] = fees.get(base, 0) + buyer_fee
        fees[quote_asset] = fees.get(quote_asset, 0) + seller_fee
        touched = self._touched
        touched[(buyer.account_id, quote_asset)] = None
        touched[(buyer.account_id, base)] = None
        touched[(seller.account_id, base)] = None
        touched[(seller.account_id, quote_asset)] = None

        trade_id = self.next_trade_id[inst.symbol]
        self.next_trade_id[inst.symbol] = trade_id + 1
        trade = Trade(trade_id, inst.symbol, price, qty, quote, now, buyer, seller, buyer is maker, buyer_fee,
                      seller_fee, base, quote_asset)
        self._trade_done(inst, book, maker, taker, trade, buyer_account, seller_account, now)
        return trade

    def _trade_done(self, inst: Instrument, book: OrderBook, maker: Order, taker: Order, trade: Trade,
                    buyer_account: Account, seller_account: Account, now: int) -> None:
        """What every market's fill does once its money moved: the trade recorded (market data, each side's
        history), the book and both orders updated, the TRADE events, and a filled order closed."""
        self.market[inst.symbol].record(trade)
        symbol, buyer, seller, qty, quote, price = inst.symbol, trade.buyer, trade.seller, trade.qty, \
            trade.quote_qty, trade.price
        # each side's history, bounded (an account without history appends to a deque of maxlen 0: a no-op)
        history = buyer_account.trades.get(symbol)
        (history if history is not None else buyer_account.trade_history(symbol)).append((trade, buyer))
        history = seller_account.trades.get(symbol)
        (history if history is not None else seller_account.trade_history(symbol)).append((trade, seller))

        side = book.bids if maker.is_buy else book.asks
        side.reduce(maker, qty)
        for order in (maker, taker):
            order.executed += qty
            order.cum_quote += quote
            order.update_time = now
            order.status = FILLED if order.executed == order.qty else PARTIALLY_FILLED
        if maker.status == FILLED:
            side.remove(maker)
        self._depth_changed(book, maker.is_buy, price)
        dispatch = self._dispatch
        self.seq = seq = self.seq + 1
        dispatch(TradeEvent(seq, now, trade))
        self.seq = seq = seq + 1
        dispatch(OrderUpdate(seq, now, "TRADE", maker, trade))
        self.seq = seq = seq + 1
        dispatch(OrderUpdate(seq, now, "TRADE", taker, trade))
        if maker.status == FILLED:
            self._close(maker, inst)
        if taker.status == FILLED:
            self._close(taker, inst)

    def _prevent(self, inst: Instrument, book: OrderBook, maker: Order, taker: Order, now: int) -> int:
        """Self-trade prevention expires the resting order instead of trading with it; returns the prevented
        match id (STP visibility: recorded on the maker and on its TRADE_PREVENTION update)."""
        book.opposite(taker.is_buy).remove(maker)
        self._depth_changed(book, maker.is_buy, maker.price)
        match_id = self._new_prevented_match_id(inst.symbol)
        self._expire_prevented(inst, maker, taker, match_id, "STP_EXPIRE_MAKER", maker.price, now)
        return match_id

    def _expire_prevented(self, inst: Instrument, order: Order, counter: Order, match_id: int, reason: str,
                          price: int, now: int) -> None:
        """Expire what is left of `order` in prevented match `match_id` against `counter` (at the maker's price)."""
        prevented = order.remaining
        order.prevented_qty += prevented
        order.prevented_match_id = match_id
        self._expire(order, inst, EXPIRED_IN_MATCH, reason, now,
                     self._prevention(inst, match_id, counter, prevented, counter.remaining, price))

    def _new_prevented_match_id(self, symbol: str) -> int:
        match_id = self.next_prevented_match_id[symbol]
        self.next_prevented_match_id[symbol] = match_id + 1
        return match_id

    @staticmethod
    def _prevention(inst: Instrument, match_id: int, counter: Order, prevented: int, counter_remaining: int,
                    price: int) -> Prevention:
        """One order's side of a prevented match: what would have traded is the smaller remaining quantity."""
        qty = min(prevented, counter_remaining)
        return Prevention(match_id, counter.order_id, inst.symbol, prevented, qty, price, inst.notional(price, qty))

    def _expire(self, order: Order, inst: Instrument, status: str, reason: str, now: int,
                prevention: Prevention | None = None) -> None:
        self._unlock(order, inst)
        order.status = status
        order.expiry_reason = reason
        order.update_time = now
        self.seq = seq = self.seq + 1
        if status == EXPIRED:
            self._dispatch(OrderUpdate(seq, now, "EXPIRED", order))
        else:
            self._dispatch(OrderUpdate(seq, now, "TRADE_PREVENTION", order, None, "", prevention))
        self._close(order, inst)

    def _unlock(self, order: Order, inst: Instrument) -> None:
        """Whatever the order still holds goes back to free."""
        if order.locked:
            asset = inst.quote if order.is_buy else inst.base
            self.accounts[order.account_id].unlock(asset, order.locked)
            order.locked = 0
            self._touched[(order.account_id, asset)] = None

    def _close(self, order: Order, inst: Instrument) -> None:
        """A final order leaves the account's open set; whatever it still held goes back to free. It joins the
        account's finished orders, and the one that finished longest ago is forgotten once there are more than
        the account keeps (retention.py): an account without history forgets this one at once."""
        if order.locked:
            self._unlock(order, inst)
        account = self.accounts[order.account_id]
        del account.open_orders[order.order_id]
        if account.client_ids.get(order.client_id) is order:
            del account.client_ids[order.client_id]
        account.open_count[order.symbol] -= 1
        closed = account.closed
        closed.append(order)
        while len(closed) > account.closed_kept:
            self._forget(account, closed.popleft())

    def _forget(self, account: Account, order: Order) -> None:
        """A finished order aged out: no lookup finds it any more. Its kept trades still refer to it."""
        del self.orders[order.order_id]
        account.orders[order.symbol].remove(order)  # near the front: the history is oldest first

    # --- stop orders -----------------------------------------------------------------------------------
    def _trigger_stops(self, inst: Instrument, book: OrderBook, now: int) -> None:
        """Fire every stop order the last price has reached; their fills may fire more, in order id order."""
        market = self.market[inst.symbol]
        while book.stops:
            last = market.last_price
            fired = [order for order in book.stops.values()
                     if stop_reached(order.type, order.is_buy, order.stop_price, last)]
            if not fired:
                return
            trades: list[Trade] = []
            for order in sorted(fired, key=lambda o: o.order_id):
                del book.stops[order.order_id]
                self._activate(order, inst, book, now, trades)
            if not trades:
                return

    def _activate(self, order: Order, inst: Instrument, book: OrderBook, now: int, trades: list[Trade]) -> None:
        order.working_time = now
        order.update_time = now
        self.seq = seq = self.seq + 1
        self._dispatch(OrderUpdate(seq, now, NEW, order))
        plan = plan_taker(book, inst, order.account_id, order.is_buy, order.stp, order.price, order.qty, 0)
        if order.is_buy and not order.price:
            # a triggered STOP_LOSS / TAKE_PROFIT buy locked at its stop price; it re-locks at the real cost
            self._unlock(order, inst)
            account = self.accounts[order.account_id]
            if account.free(inst.quote) < plan.cost:
                self._expire(order, inst, EXPIRED, "INSUFFICIENT_BALANCE", now)
                return
            account.lock(inst.quote, plan.cost)
            order.locked = plan.cost
        self._execute(order, inst, book, plan, trades, now)
