"""The matching engine: accounts, order books and the rules that move money between them.

Pure and synchronous: no asyncio, no I/O, no wall clock. Time comes from an injected Clock and randomness from
an injected random.Random, so the same seed and the same calls give a byte-identical event log.

Every public operation either raises `Rejected` before touching any state, or runs to completion and emits its
events in this order: order updates and trades as they happen, then one BalanceUpdate per (account, asset) it
touched, then one DepthUpdate per book it changed.
"""
from __future__ import annotations

import random
from typing import Callable, Iterable, NamedTuple

from simulator.engine.account import Account
from simulator.engine.book import OrderBook
from simulator.engine.clock import Clock
from simulator.engine.events import (BalanceUpdate, DepthUpdate, Event, OrderRejected, OrderUpdate, Prevention,
                                     SymbolStatusChanged, Trade, TradeEvent)
from simulator.engine.fees import RATE_SCALE, FeeSchedule
from simulator.engine.instrument import STP_MODES, SYMBOL_STATUSES, Instrument, InstrumentSpec
from simulator.engine.market_data import MarketData
from simulator.engine.order import (BUY, CANCELED, EXPIRED, EXPIRED_IN_MATCH, FILLED, FINAL_STATUSES, FOK, GTC,
                                    IOC, LIMIT, LIMIT_MAKER, LIMIT_PRICED, MARKET, NEW, ORDER_TYPES,
                                    PARTIALLY_FILLED, SELL, SIDES, STOP_LOSS, STOP_LOSS_LIMIT, STOP_TYPES,
                                    TAKE_PROFIT, TIMES_IN_FORCE, Order)
from simulator.engine.rejection import Reject, Rejected

Listener = Callable[[Event], None]


def _no_listener(event: Event) -> None:
    """The dispatch while nobody listens."""


# Stop orders trigger on the last trade price: a stop-loss fires when the price moves against the position
# the order protects, a take-profit when it moves in its favour.
_TRIGGERS_ON_RISE = {(STOP_LOSS, True), (TAKE_PROFIT, False)}  # (kind, is_buy) that fire when last >= stop


class PlaceResult(NamedTuple):
    order: Order
    trades: list[Trade]


class CancelReplaceResult(NamedTuple):
    canceled: Order | None
    cancel_error: Rejected | None
    placed: PlaceResult | None
    place_error: Rejected | None


class _Plan(NamedTuple):
    """What a taker would do against the book now: (maker, qty) steps, qty 0 meaning 'expire the maker'."""

    steps: list[tuple[Order, int]]
    filled: int
    cost: int
    taker_prevented: bool  # self-trade prevention stops the taker here
    prevented_by: Order | None = None  # STP visibility: the taker's own resting order that stopped it


_NOTHING_TO_TAKE = _Plan((), 0, 0, False)  # shared: a plan is never modified once made
_HALF_RATE = RATE_SCALE // 2  # fees.commission rounds half up
_new_tuple = tuple.__new__  # how a NamedTuple's own _make builds one, at half the cost of calling the class


class Engine:
    def __init__(self, clock: Clock, rng: random.Random, fees: FeeSchedule | None = None,
                 instruments: Iterable[InstrumentSpec] = ()):
        self.clock = clock
        self.rng = rng
        self.fees = fees or FeeSchedule()
        self.instruments: dict[str, Instrument] = {}
        self.books: dict[str, OrderBook] = {}
        self.market: dict[str, MarketData] = {}
        self.accounts: dict[int, Account] = {}
        self.orders: dict[int, Order] = {}
        self.listeners: list[Listener] = []
        # What an event is handed to: rebuilt by subscribe / unsubscribe so that emitting one event is one call
        # (the listener itself when there is exactly one, the common case) instead of a loop over a list.
        self._dispatch: Listener = _no_listener
        self.seq = 0
        self.next_order_id = 1
        self.next_account_id = 1
        self.next_trade_id: dict[str, int] = {}
        # STP visibility: per-symbol prevented match ids, from 0 as in Binance's STP FAQ examples
        self.next_prevented_match_id: dict[str, int] = {}
        # conservation ledger, per asset: deposits - withdrawals == free + locked + fees collected
        self.deposits: dict[str, int] = {}
        self.withdrawals: dict[str, int] = {}
        self.fees_collected: dict[str, int] = {}
        self._touched: dict[tuple[int, str], None] = {}
        self._changed_books: dict[OrderBook, None] = {}  # books with changed levels, in order of first change
        for spec in instruments:
            self.add_instrument(spec)

    # --- events ----------------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)
        self._rewire()

    def unsubscribe(self, listener: Listener) -> None:
        self.listeners.remove(listener)
        self._rewire()

    def _rewire(self) -> None:
        listeners = tuple(self.listeners)  # a copy: (un)subscribing while an event is handed out is safe
        if not listeners:
            self._dispatch = _no_listener
        elif len(listeners) == 1:
            self._dispatch = listeners[0]
        else:
            def fan_out(event: Event) -> None:
                for listener in listeners:
                    listener(event)
            self._dispatch = fan_out

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def _emit(self, event: Event) -> None:
        self._dispatch(event)

    def _flush(self, now: int, reason: str = "ORDER") -> None:
        """Emit the balance and depth changes the operation accumulated (balances first, then depth).

        Runs once per operation, so the sequence increments and the dispatch are written out inline.
        """
        dispatch = self._dispatch
        touched = self._touched
        if touched:
            self._touched = {}
            accounts = self.accounts
            for account_id, asset in touched:
                account = accounts[account_id]
                free, locked = account.balances[asset]
                account.update_time = now
                self.seq = seq = self.seq + 1
                dispatch(BalanceUpdate(seq, now, account_id, asset, free, locked, 0, reason))
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

    # --- instruments -----------------------------------------------------------------------------------
    def add_instrument(self, spec: InstrumentSpec) -> Instrument:
        if spec.symbol in self.instruments:
            raise ValueError(f"instrument {spec.symbol} already exists")
        inst = Instrument(spec)
        self.instruments[spec.symbol] = inst
        self.books[spec.symbol] = OrderBook(spec.symbol)
        self.market[spec.symbol] = MarketData(spec.symbol, inst.base_unit)
        self.next_trade_id[spec.symbol] = 1
        self.next_prevented_match_id[spec.symbol] = 0
        return inst

    def instrument(self, symbol: str) -> Instrument:
        inst = self.instruments.get(symbol)
        if inst is None:
            raise Rejected(Reject.UNKNOWN_SYMBOL, symbol)
        return inst

    def set_symbol_status(self, symbol: str, status: str) -> None:
        inst = self.instrument(symbol)
        if status not in SYMBOL_STATUSES:
            raise Rejected(Reject.INVALID_ORDER, f"unknown symbol status {status!r}")
        inst.status = status
        self._emit(SymbolStatusChanged(self._next_seq(), self.clock.now_ms(), symbol, status))

    # --- accounts --------------------------------------------------------------------------------------
    def open_account(self, name: str = "", fee_tier: int = 0) -> Account:
        self.fees.tier(fee_tier)  # raises for an unknown tier
        account = Account(self.next_account_id, name or f"account-{self.next_account_id}", fee_tier)
        self.accounts[account.account_id] = account
        self.next_account_id += 1
        return account

    def account(self, account_id: int) -> Account:
        account = self.accounts.get(account_id)
        if account is None:
            raise Rejected(Reject.UNKNOWN_ACCOUNT, str(account_id))
        return account

    def set_fee_tier(self, account_id: int, tier: int) -> None:
        account = self.account(account_id)
        try:
            self.fees.tier(tier)
        except ValueError as exc:
            raise Rejected(Reject.INVALID_AMOUNT, str(exc)) from None
        account.fee_tier = tier

    def deposit(self, account_id: int, asset: str, amount: int) -> None:
        account = self.account(account_id)
        if type(amount) is not int or amount <= 0:  # integer atoms only: never a float for money
            raise Rejected(Reject.INVALID_AMOUNT, "a deposit must be a positive number of atoms")
        balance = account.balance(asset)
        balance[0] += amount
        self.deposits[asset] = self.deposits.get(asset, 0) + amount
        self._balance_event(account, asset, amount, "DEPOSIT")

    def withdraw(self, account_id: int, asset: str, amount: int) -> None:
        account = self.account(account_id)
        if type(amount) is not int or amount <= 0:  # integer atoms only: never a float for money
            raise Rejected(Reject.INVALID_AMOUNT, "a withdrawal must be a positive number of atoms")
        if account.free(asset) < amount:
            raise Rejected(Reject.INSUFFICIENT_BALANCE)
        account.balances[asset][0] -= amount
        self.withdrawals[asset] = self.withdrawals.get(asset, 0) + amount
        self._balance_event(account, asset, -amount, "WITHDRAW")

    def _balance_event(self, account: Account, asset: str, delta: int, reason: str) -> None:
        now = self.clock.now_ms()
        account.update_time = now
        free, locked = account.balances[asset]
        self._emit(BalanceUpdate(self._next_seq(), now, account.account_id, asset, free, locked, delta, reason))

    # --- placing orders --------------------------------------------------------------------------------
    def place_order(self, account_id: int, symbol: str, side: str, type_: str, *, qty: int = 0,
                    price: int = 0, tif: str | None = None, quote_qty: int = 0, stop_price: int = 0,
                    client_id: str | None = None, stp: str | None = None) -> PlaceResult:
        """Validate, accept and match one order. Amounts are atoms (see Instrument.parse_*)."""
        try:
            inst, account, tif, stp, plan, need, now = self._validate(
                account_id, symbol, side, type_, qty, price, tif, quote_qty, stop_price, client_id, stp)
        except Rejected as rejected:
            self._emit(OrderRejected(self._next_seq(), self.clock.now_ms(), account_id, symbol,
                                     client_id or "", side, type_, rejected.reason.value))
            raise
        if quote_qty:
            qty = plan.filled  # a quote-sized market order is for what its budget buys now
        order = Order(self.next_order_id, client_id or self._new_client_id(), account_id, symbol, side, type_,
                      tif, price, qty, stop_price, quote_qty, stp, now)
        self.next_order_id += 1
        if type_ not in STOP_TYPES:
            order.working_time = now  # working from acceptance, so the NEW update already says so
        self._accept(account, order, inst, need)
        trades: list[Trade] = []
        book = self.books[symbol]
        if plan is _NOTHING_TO_TAKE and tif == GTC and price:
            self._rest(order, book)  # the commonest order of all, a GTC limit that does not cross: just rest
        elif type_ in STOP_TYPES:
            book.stops[order.order_id] = order
        else:
            self._execute(order, inst, book, plan, trades, now)
        if trades and book.stops:
            self._trigger_stops(inst, book, now)
        self._flush(now)
        return _new_tuple(PlaceResult, (order, trades))  # PlaceResult(order, trades), without its Python __new__

    def test_order(self, account_id: int, symbol: str, side: str, type_: str, *, qty: int = 0, price: int = 0,
                   tif: str | None = None, quote_qty: int = 0, stop_price: int = 0,
                   client_id: str | None = None, stp: str | None = None) -> None:
        """Run every check place_order would and change nothing (Binance's order/test)."""
        self._validate(account_id, symbol, side, type_, qty, price, tif, quote_qty, stop_price, client_id, stp)

    def _new_client_id(self) -> str:
        # 88 random bits as 22 lowercase hex digits: the same text as "%022x" % bits (11 big-endian bytes are
        # exactly 22 zero-padded digits) and the same draw from the RNG, a third cheaper
        return self.rng.getrandbits(88).to_bytes(11, "big").hex()

    def _validate(self, account_id, symbol, side, type_, qty, price, tif, quote_qty, stop_price, client_id,
                  stp):
        inst = self.instruments.get(symbol)
        if inst is None:
            raise Rejected(Reject.UNKNOWN_SYMBOL, symbol)
        account = self.accounts.get(account_id)
        if account is None:
            raise Rejected(Reject.UNKNOWN_ACCOUNT, str(account_id))
        if inst.status != "TRADING":
            raise Rejected(Reject.MARKET_CLOSED)
        if side not in SIDES or type_ not in ORDER_TYPES:
            raise Rejected(Reject.INVALID_ORDER, f"side {side!r} / type {type_!r}")
        if type(qty) is not int or type(price) is not int or type(quote_qty) is not int or \
                type(stop_price) is not int:
            # Amounts are integer atoms (Instrument.parse_* at the edge); a float here would make money inexact.
            raise Rejected(Reject.INVALID_ORDER, "amounts must be integer atoms")
        if quote_qty and type_ != MARKET:
            # Fix: quote_qty used to slip through on other types and replace their qty with a market plan's fill
            # (or crash on None for stop orders); only a MARKET order may be sized in quote.
            raise Rejected(Reject.INVALID_ORDER, "quote_qty is only used by MARKET orders")
        is_buy = side == BUY
        if type_ != LIMIT or tif not in TIMES_IN_FORCE:  # a LIMIT with a known tif passes: skip the call
            tif = self._check_tif(type_, tif)
        if stp is None:
            stp = inst.default_stp
        elif stp not in STP_MODES or stp not in inst.allowed_stp:
            raise Rejected(Reject.STP_MODE_NOT_ALLOWED, stp)
        if client_id is not None and client_id in account.client_ids:
            raise Rejected(Reject.DUPLICATE_CLIENT_ORDER_ID)
        if account.open_count.get(symbol, 0) >= inst.max_num_orders:
            raise Rejected(Reject.MAX_NUM_ORDERS)
        book = self.books[symbol]
        market = self.market[symbol]
        now = self.clock.now_ms()
        if type_ in LIMIT_PRICED:
            inst.check_limit(price, qty)  # PRICE_FILTER, LOT_SIZE, NOTIONAL
            if inst.has_percent_price:  # the average price costs a walk over the recent klines: only if used
                inst.check_percent_price(is_buy, price, market.average_price(now, inst.avg_price_mins))
        elif price:
            raise Rejected(Reject.INVALID_ORDER, "price is not used by this order type")
        if type_ in STOP_TYPES:
            inst.check_price(stop_price)
            if type_ in (STOP_LOSS, TAKE_PROFIT):
                inst.check_market_qty(qty)
                inst.check_notional(inst.notional(stop_price, qty))
            self._check_not_triggered(type_, is_buy, stop_price, market.last_price)
        elif stop_price:
            raise Rejected(Reject.INVALID_ORDER, "stopPrice is not used by this order type")
        plan = None
        if type_ == MARKET:
            if qty < 0 or quote_qty < 0 or (qty > 0) == (quote_qty > 0):
                raise Rejected(Reject.INVALID_ORDER, "a market order takes exactly one of qty and quote_qty")
            if qty:
                inst.check_market_qty(qty)
                reference = market.average_price(now, inst.avg_price_mins)
                if reference is not None:
                    inst.check_notional(inst.notional(reference, qty))
                plan = self._plan(book, inst, account_id, is_buy, stp, 0, qty, 0)
            else:
                inst.check_notional(quote_qty)
                plan = self._plan(book, inst, account_id, is_buy, stp, 0, 0, quote_qty)
            if not plan.steps:
                # Fix: NO_LIQUIDITY was declared (and mapped by the dialect) but never raised. A market order
                # that can reach no resting order (an empty side, or a quote budget short of one step at the
                # best price) is refused instead of being accepted with nothing to do.
                raise Rejected(Reject.NO_LIQUIDITY)
        elif type_ == LIMIT_MAKER:
            best = book.opposite(is_buy).best_price()
            if best is not None and (best <= price if is_buy else best >= price):
                raise Rejected(Reject.WOULD_TAKE)
        elif type_ == LIMIT:
            best = (book.asks if is_buy else book.bids).best_price()
            if best is None or (best > price if is_buy else best < price):
                plan = _NOTHING_TO_TAKE  # _plan's first check, without its call: most limit orders do not cross
            else:
                plan = self._plan(book, inst, account_id, is_buy, stp, price, qty, 0)
        if type_ == LIMIT:  # _need_at_placement for the commonest type, without the call
            need = price * qty // inst.base_unit if is_buy else qty
        else:
            need = self._need_at_placement(inst, type_, is_buy, qty, price, stop_price, plan)
        balance = account.balances.get(inst.quote if is_buy else inst.base)
        if (balance[0] if balance else 0) < need:
            raise Rejected(Reject.INSUFFICIENT_BALANCE)
        return inst, account, tif, stp, plan, need, now

    @staticmethod
    def _check_tif(type_: str, tif: str | None) -> str:
        if type_ in (LIMIT, STOP_LOSS_LIMIT, "TAKE_PROFIT_LIMIT"):
            if tif not in TIMES_IN_FORCE:
                raise Rejected(Reject.INVALID_ORDER, "timeInForce is required for this order type")
            return tif
        if tif not in (None, GTC) or (tif == GTC and type_ != LIMIT_MAKER):
            raise Rejected(Reject.INVALID_ORDER, "timeInForce is not used by this order type")
        return GTC

    @staticmethod
    def _check_not_triggered(type_: str, is_buy: bool, stop: int, last: int | None) -> None:
        if last is None:
            return
        rises = (type_.replace("_LIMIT", ""), is_buy) in _TRIGGERS_ON_RISE
        if (last >= stop) if rises else (last <= stop):
            raise Rejected(Reject.WOULD_TRIGGER_IMMEDIATELY)

    @staticmethod
    def _need_at_placement(inst: Instrument, type_: str, is_buy: bool, qty: int, price: int, stop: int,
                           plan: _Plan | None) -> int:
        """What the order must lock: quote for a buy (at its limit, stop or planned cost), base for a sell."""
        if type_ == MARKET:
            return plan.cost if is_buy else plan.filled
        if not is_buy:
            return qty
        return inst.notional(price or stop, qty)

    def _accept(self, account: Account, order: Order, inst: Instrument, need: int) -> None:
        asset = inst.quote if order.is_buy else inst.base
        balance = account.balances.get(asset) or account.balance(asset)  # [free, locked]: never falsy
        balance[0] -= need
        balance[1] += need
        order.locked = need
        self._touched[(account.account_id, asset)] = None
        order_id, symbol = order.order_id, order.symbol
        self.orders[order_id] = order
        account.open_orders[order_id] = order
        account.client_ids[order.client_id] = order
        open_count = account.open_count
        open_count[symbol] = open_count.get(symbol, 0) + 1
        history = account.orders.get(symbol)
        if history is None:
            history = account.orders[symbol] = []
        history.append(order)
        self.seq = seq = self.seq + 1
        self._dispatch(OrderUpdate(seq, order.time, NEW, order))

    # --- matching --------------------------------------------------------------------------------------
    def _plan(self, book: OrderBook, inst: Instrument, account_id: int, is_buy: bool, stp: str, limit: int,
              qty: int, quote_budget: int) -> _Plan:
        """Walk the opposite side from the best price: fills up to qty (or quote_budget), up to limit."""
        side = book.asks if is_buy else book.bids
        best = side.best()
        if best is None:
            return _NOTHING_TO_TAKE
        if limit and (best.price > limit if is_buy else best.price < limit):
            # the commonest order of all, a limit that does not reach the best opposite price, stops here
            return _NOTHING_TO_TAKE
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
                        return _Plan(steps, filled, cost, True, maker)
                    steps.append((maker, 0))
                    if stp == "EXPIRE_BOTH":
                        return _Plan(steps, filled, cost, True, maker)
                    continue
                available = maker.qty - maker.executed
                if quote_budget:
                    affordable = (quote_budget - cost) * unit // price
                    fill = min(available, affordable - affordable % step)
                    if fill <= 0:
                        if is_buy:  # deeper asks only cost more
                            return _Plan(steps, filled, cost, False)
                        break  # a lower bid may still take a whole step
                else:
                    fill = min(available, qty - filled)
                steps.append((maker, fill))
                filled += fill
                cost += price * fill // unit
                if qty and filled == qty:
                    return _Plan(steps, filled, cost, False)
        return _Plan(steps, filled, cost, False)

    def _execute(self, taker: Order, inst: Instrument, book: OrderBook, plan: _Plan | None,
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
            prevented = taker.remaining
            taker.prevented_qty += prevented
            taker.prevented_match_id = match_id
            self._expire(taker, inst, EXPIRED_IN_MATCH, "STP_EXPIRE_TAKER", now,
                         self._prevention(inst, match_id, maker, prevented, maker.remaining, maker.price))
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
        # fees.commission() written out (rounded half up to the atom): every fill charges two
        if buyer is taker:
            buyer_fee = (qty * buyer_tier.taker + _HALF_RATE) // RATE_SCALE
            seller_fee = (quote * seller_tier.maker + _HALF_RATE) // RATE_SCALE
        else:
            buyer_fee = (qty * buyer_tier.maker + _HALF_RATE) // RATE_SCALE
            seller_fee = (quote * seller_tier.taker + _HALF_RATE) // RATE_SCALE
        base, quote_asset = inst.base, inst.quote
        # the buyer spends quote from its lock, freeing the gap between its own limit and the trade price
        release = buyer.price * qty // unit if buyer.price else quote
        balance = buyer_account.balances[quote_asset]  # exists: it holds the buyer's lock
        balance[1] -= release
        balance[0] += release - quote
        buyer.locked -= release
        # balance() creates what may not exist yet; the get() first saves its call in the usual case
        (buyer_account.balances.get(base) or buyer_account.balance(base))[0] += qty - buyer_fee
        balance = seller_account.balances[base]  # exists: it holds the seller's lock
        balance[1] -= qty
        seller.locked -= qty
        (seller_account.balances.get(quote_asset) or seller_account.balance(quote_asset))[0] += quote - seller_fee
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
        self.market[inst.symbol].record(trade)
        buyer_account.trades.setdefault(trade.symbol, []).append((trade, buyer))  # each side's history
        seller_account.trades.setdefault(trade.symbol, []).append((trade, seller))

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
        return trade

    def _prevent(self, inst: Instrument, book: OrderBook, maker: Order, taker: Order, now: int) -> int:
        """Self-trade prevention expires the resting order instead of trading with it; returns the prevented
        match id (STP visibility: recorded on the maker and on its TRADE_PREVENTION update)."""
        book.opposite(taker.is_buy).remove(maker)
        self._depth_changed(book, maker.is_buy, maker.price)
        match_id = self._new_prevented_match_id(inst.symbol)
        prevented = maker.remaining
        maker.prevented_qty += prevented
        maker.prevented_match_id = match_id
        self._expire(maker, inst, EXPIRED_IN_MATCH, "STP_EXPIRE_MAKER", now,
                     self._prevention(inst, match_id, taker, prevented, taker.remaining, maker.price))
        return match_id

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
        if order.locked:
            asset = inst.quote if order.is_buy else inst.base
            balance = self.accounts[order.account_id].balances[asset]
            balance[1] -= order.locked
            balance[0] += order.locked
            order.locked = 0
            self._touched[(order.account_id, asset)] = None

    def _close(self, order: Order, inst: Instrument) -> None:
        """A final order leaves the account's open set; whatever it still held goes back to free."""
        if order.locked:
            self._unlock(order, inst)
        account = self.accounts[order.account_id]
        del account.open_orders[order.order_id]
        if account.client_ids.get(order.client_id) is order:
            del account.client_ids[order.client_id]
        account.open_count[order.symbol] -= 1

    # --- stop orders -----------------------------------------------------------------------------------
    def _trigger_stops(self, inst: Instrument, book: OrderBook, now: int) -> None:
        """Fire every stop order the last price has reached; their fills may fire more, in order id order."""
        market = self.market[inst.symbol]
        while book.stops:
            last = market.last_price
            fired = [order for order in book.stops.values() if self._fires(order, last)]
            if not fired:
                return
            trades: list[Trade] = []
            for order in sorted(fired, key=lambda o: o.order_id):
                del book.stops[order.order_id]
                self._activate(order, inst, book, now, trades)
            if not trades:
                return

    @staticmethod
    def _fires(order: Order, last: int) -> bool:
        rises = (order.type.replace("_LIMIT", ""), order.is_buy) in _TRIGGERS_ON_RISE
        return last >= order.stop_price if rises else last <= order.stop_price

    def _activate(self, order: Order, inst: Instrument, book: OrderBook, now: int, trades: list[Trade]) -> None:
        order.working_time = now
        order.update_time = now
        self._emit(OrderUpdate(self._next_seq(), now, NEW, order))
        plan = self._plan(book, inst, order.account_id, order.is_buy, order.stp, order.price, order.qty, 0)
        if order.is_buy and not order.price:
            # a triggered STOP_LOSS / TAKE_PROFIT buy locked at its stop price; it re-locks at the real cost
            self._unlock(order, inst)
            balance = self.accounts[order.account_id].balance(inst.quote)
            if balance[0] < plan.cost:
                self._expire(order, inst, EXPIRED, "INSUFFICIENT_BALANCE", now)
                return
            balance[0] -= plan.cost
            balance[1] += plan.cost
            order.locked = plan.cost
        self._execute(order, inst, book, plan, trades, now)

    # --- cancel, amend, replace ------------------------------------------------------------------------
    def find_order(self, account_id: int, symbol: str, order_id: int | None = None,
                   client_id: str | None = None) -> Order:
        """An account's order on a symbol by id or client id (open first, then the latest closed one)."""
        account = self.accounts.get(account_id)
        if account is None:
            raise Rejected(Reject.UNKNOWN_ACCOUNT, str(account_id))
        if symbol not in self.instruments:
            raise Rejected(Reject.UNKNOWN_SYMBOL, symbol)
        if order_id is not None:
            order = self.orders.get(order_id)
            if order is None or order.account_id != account_id or order.symbol != symbol:
                raise Rejected(Reject.UNKNOWN_ORDER)
            if client_id is not None and order.client_id != client_id:
                raise Rejected(Reject.UNKNOWN_ORDER)
            return order
        if client_id is None:
            raise Rejected(Reject.UNKNOWN_ORDER, "an order id or a client order id is required")
        order = account.client_ids.get(client_id)
        if order is not None and order.symbol == symbol:
            return order
        for order in reversed(account.orders.get(symbol, ())):
            if order.client_id == client_id:
                return order
        raise Rejected(Reject.UNKNOWN_ORDER)

    def fill_order(self, order_id: int, qty: int, taker_account_id: int) -> PlaceResult:
        """Make exactly `qty` of one resting order trade, at its price, with an IOC from `taker_account_id`.

        The taker matches against that order alone, whatever rests ahead of it by price or time: this is how
        a test arranges "a partial fill of exactly N" without disturbing anyone else's orders. Everything
        else is an ordinary match: NEW and TRADE updates, fees, balances, depth, stop triggers.
        """
        maker = self.orders.get(order_id)
        if maker is None or not maker.is_open or not maker.is_working:
            raise Rejected(Reject.UNKNOWN_ORDER, "only a resting order can be filled")
        inst = self.instruments[maker.symbol]
        account = self.account(taker_account_id)
        if inst.status != "TRADING":
            raise Rejected(Reject.MARKET_CLOSED)
        if taker_account_id == maker.account_id:
            raise Rejected(Reject.INVALID_ORDER, "an order cannot be filled by its own account")
        if type(qty) is not int or qty <= 0 or qty % inst.step or qty > maker.remaining:
            raise Rejected(Reject.LOT_SIZE, "the quantity must be whole steps, at most what the order has left")
        is_buy = not maker.is_buy
        need = inst.notional(maker.price, qty) if is_buy else qty
        if account.free(inst.quote if is_buy else inst.base) < need:
            raise Rejected(Reject.INSUFFICIENT_BALANCE)
        now = self.clock.now_ms()
        taker = Order(self.next_order_id, self._new_client_id(), taker_account_id, maker.symbol,
                      BUY if is_buy else SELL, LIMIT, IOC, maker.price, qty, 0, 0, "NONE", now)
        self.next_order_id += 1
        taker.working_time = now
        self._accept(account, taker, inst, need)
        trades: list[Trade] = []
        book = self.books[maker.symbol]
        plan = _Plan([(maker, qty)], qty, inst.notional(maker.price, qty), False)
        self._execute(taker, inst, book, plan, trades, now)
        self._trigger_stops(inst, book, now)
        self._flush(now)
        return PlaceResult(taker, trades)

    def cancel_order(self, account_id: int, symbol: str, order_id: int | None = None,
                     client_id: str | None = None, cancel_client_id: str = "",
                     restriction: str | None = None) -> Order:
        order = self.find_order(account_id, symbol, order_id, client_id)
        if order.status in FINAL_STATUSES:  # not order.is_open, without the property call
            raise Rejected(Reject.UNKNOWN_ORDER)
        if (restriction == "ONLY_NEW" and order.status != NEW) or (
                restriction == "ONLY_PARTIALLY_FILLED" and order.status != PARTIALLY_FILLED):
            raise Rejected(Reject.CANCEL_RESTRICTED)
        now = self.clock.now_ms()
        self._cancel(order, now, cancel_client_id)
        self._flush(now)
        return order

    def _cancel(self, order: Order, now: int, cancel_client_id: str) -> None:
        inst = self.instruments[order.symbol]
        book = self.books[order.symbol]
        if order.order_id in book.stops:
            del book.stops[order.order_id]
        elif order.is_buy:  # book.side() and _depth_changed() written out: a quarter of all calls cancel
            book.bids.remove(order)
            book.changed_bids[order.price] = None
            self._changed_books[book] = None
        else:
            book.asks.remove(order)
            book.changed_asks[order.price] = None
            self._changed_books[book] = None
        order.status = CANCELED
        order.update_time = now
        self._unlock(order, inst)
        cancel_client_id = cancel_client_id or self._new_client_id()
        self.seq = seq = self.seq + 1
        self._dispatch(OrderUpdate(seq, now, CANCELED, order, None, cancel_client_id))
        self._close(order, inst)

    def cancel_all(self, account_id: int, symbol: str) -> list[Order]:
        account = self.account(account_id)
        self.instrument(symbol)
        orders = sorted((o for o in account.open_orders.values() if o.symbol == symbol),
                        key=lambda o: o.order_id)
        if not orders:
            raise Rejected(Reject.UNKNOWN_ORDER)
        now = self.clock.now_ms()
        for order in orders:
            self._cancel(order, now, "")
        self._flush(now)
        return orders

    def amend_order(self, account_id: int, symbol: str, new_qty: int, order_id: int | None = None,
                    client_id: str | None = None, new_client_id: str | None = None) -> Order:
        """Reduce an open order's quantity in place; it keeps its place in the queue.

        `new_client_id` (Binance's newClientOrderId on an amend): None keeps the client order id, "" draws a
        random one (what Binance does when none is sent), any other text renames the order; the order's own
        current id may be reused, another open order's may not (DUPLICATE_CLIENT_ORDER_ID).
        """
        order = self.find_order(account_id, symbol, order_id, client_id)
        inst = self.instruments[symbol]
        if not order.is_open:
            raise Rejected(Reject.UNKNOWN_ORDER)
        if type(new_qty) is not int or not order.executed < new_qty < order.qty:
            raise Rejected(Reject.INVALID_AMEND, "the new quantity must be below the order's and above what filled")
        inst.check_qty(new_qty)
        account = self.accounts[account_id]
        if new_client_id and new_client_id != order.client_id and new_client_id in account.client_ids:
            raise Rejected(Reject.DUPLICATE_CLIENT_ORDER_ID)
        now = self.clock.now_ms()
        if new_client_id is not None:  # re-key the open order under its new client id (checked above)
            new_client_id = new_client_id or self._new_client_id()
            if account.client_ids.get(order.client_id) is order:
                del account.client_ids[order.client_id]
            order.client_id = new_client_id
            account.client_ids[new_client_id] = order
        reduction = order.qty - new_qty
        if order.working_time >= 0:
            book = self.books[symbol]
            book.side(order.is_buy).reduce(order, reduction)
            self._depth_changed(book, order.is_buy, order.price)
        order.qty = new_qty
        order.update_time = now
        still_needed = order.remaining if not order.is_buy else \
            inst.notional(order.price or order.stop_price, order.remaining)
        released = order.locked - still_needed
        if released:
            asset = inst.quote if order.is_buy else inst.base
            balance = account.balances[asset]
            balance[1] -= released
            balance[0] += released
            order.locked = still_needed
            self._touched[(account_id, asset)] = None
        self._emit(OrderUpdate(self._next_seq(), now, "REPLACED", order))
        self._flush(now)
        return order

    def cancel_replace(self, account_id: int, symbol: str, *, cancel_order_id: int | None = None,
                       cancel_client_id: str | None = None, allow_failure: bool = False,
                       new_order: dict) -> CancelReplaceResult:
        """Cancel one order, then place another (Binance's cancelReplace).

        With allow_failure False (STOP_ON_FAILURE) a failed cancel stops before placing; in both modes a
        successful cancel stands even when the new order is rejected.
        """
        canceled = placed = None
        cancel_error = place_error = None
        try:
            canceled = self.cancel_order(account_id, symbol, cancel_order_id, cancel_client_id)
        except Rejected as exc:
            cancel_error = exc
            if not allow_failure:
                return CancelReplaceResult(None, exc, None, None)
        try:
            placed = self.place_order(account_id, symbol, **new_order)
        except Rejected as exc:
            place_error = exc
        return CancelReplaceResult(canceled, cancel_error, placed, place_error)

    # --- reading ---------------------------------------------------------------------------------------
    def open_orders(self, account_id: int, symbol: str | None = None) -> list[Order]:
        account = self.account(account_id)
        orders = [o for o in account.open_orders.values() if symbol is None or o.symbol == symbol]
        orders.sort(key=lambda o: o.order_id)
        return orders

    def depth(self, symbol: str, limit: int) -> tuple[int, list[tuple[int, int]], list[tuple[int, int]]]:
        """(update id, bids best first, asks best first): the snapshot a local book starts from."""
        self.instrument(symbol)
        book = self.books[symbol]
        return book.update_id, book.bids.depth(limit), book.asks.depth(limit)

    def best_bid_ask(self, symbol: str) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
        """((bid price, qty) or None, (ask price, qty) or None): the top of the book (Binance's bookTicker)."""
        self.instrument(symbol)
        book = self.books[symbol]
        bid, ask = book.bids.best(), book.asks.best()
        return (bid.price, bid.qty) if bid else None, (ask.price, ask.qty) if ask else None
