"""The matching engine: accounts, order books and the rules that move money between them.

Pure and synchronous: no asyncio, no I/O, no wall clock. Time comes from an injected Clock and randomness from
an injected random.Random, so the same seed and the same calls give a byte-identical event log.

Every public operation either raises `Rejected` before touching any state, or runs to completion and emits its
events in this order: order updates and trades as they happen, then one BalanceUpdate per (account, asset) it
touched, then one DepthUpdate per book it changed. (A refused placement is the one exception: it changes
nothing but emits an OrderRejected event before raising.) It returns a result (simulator.engine.results) with
what its caller needs, including the sequence range of the events it emitted.

Listening:
- `subscribe(listener)`: the listener is called with every event, as it is emitted.
- `subscribe_operation_end(callback)`: the callback is called with `(first_seq, last_seq)` once after every
  public operation that emitted at least one event, after that operation's last event. Whatever an operation
  does inside (stop orders it triggers, every cancel of a cancel_all, both halves of a cancel_replace) is one
  operation with one end, so a listener that buffers events can deliver them a whole operation at a time.
"""
from __future__ import annotations

import random
from collections import deque
from typing import Callable, Iterable

from simulator.engine.account import Account
from simulator.engine.book import OrderBook
from simulator.engine.clock import Clock
from simulator.engine.events import BalanceUpdate, Event, OrderRejected, OrderUpdate, SymbolStatusChanged, Trade
from simulator.engine.fees import FeeSchedule
from simulator.engine.instrument import SYMBOL_STATUSES, Instrument, InstrumentSpec
from simulator.engine.market_data import MarketData
from simulator.engine.matching import Matcher, no_listener
from simulator.engine.order import (BUY, CANCELED, FINAL_STATUSES, GTC, IOC, LIMIT, NEW, PARTIALLY_FILLED, SELL,
                                    STOP_TYPES, Order)
from simulator.engine.rejection import Reject, Rejected
from simulator.engine.results import (AmendResult, CancelAllResult, CancelReplaceResult, CancelResult,
                                      PlaceResult, StatusResult, TransferResult)
from simulator.engine.retention import Retention
from simulator.engine.taker_plan import NOTHING_TO_TAKE, TakerPlan
from simulator.engine.validation import check_replacement_filters, fill_parties, validate_placement

Listener = Callable[[Event], None]
OperationListener = Callable[[int, int], None]  # (first_seq, last_seq) of one operation's events

ONLY_NEW, ONLY_PARTIALLY_FILLED = "ONLY_NEW", "ONLY_PARTIALLY_FILLED"  # cancel restrictions
STOP_ON_FAILURE, ALLOW_FAILURE = "STOP_ON_FAILURE", "ALLOW_FAILURE"  # cancel_replace modes
_RESTRICTION_STATUS = {None: None, ONLY_NEW: NEW, ONLY_PARTIALLY_FILLED: PARTIALLY_FILLED}

_new_tuple = tuple.__new__  # how a NamedTuple's own _make builds one, at half the cost of calling the class


def _fan_out(listeners: list, idle: Callable | None) -> Callable | None:
    """One callable handing an event (or an operation's end) to every listener: `idle` for none, the listener
    itself for one (the common case: one call per event instead of a loop), a loop over a copy for more (so
    that (un)subscribing while a call is handed out is safe)."""
    listeners = tuple(listeners)
    if not listeners:
        return idle
    if len(listeners) == 1:
        return listeners[0]
    if idle is no_listener:
        def fan_out_event(event: Event) -> None:  # its own signature: *args would cost every event a packing
            for listener in listeners:
                listener(event)
        return fan_out_event

    def fan_out_end(first_seq: int, last_seq: int) -> None:
        for listener in listeners:
            listener(first_seq, last_seq)
    return fan_out_end


class Engine(Matcher):
    """The engine's operations; the matching they run on is Matcher's (matching.py)."""

    def __init__(self, clock: Clock, rng: random.Random, fees: FeeSchedule | None = None,
                 instruments: Iterable[InstrumentSpec] = (), retention: Retention | None = None):
        super().__init__(fees or FeeSchedule())
        self.clock = clock
        self.rng = rng
        self.retention = retention or Retention()
        self.instruments: dict[str, Instrument] = {}
        self.orders: dict[int, Order] = {}
        self.listeners: list[Listener] = []
        self.operation_listeners: list[OperationListener] = []
        # What an operation's end is handed to: rebuilt by (un)subscribe, as the event dispatch is (_fan_out);
        # None while nobody listens (or inside a composite operation), which the hot path tests for free.
        self._operation_end: OperationListener | None = None
        self._composite = False  # inside cancel_replace, whose halves' ends are its own
        self.next_order_id = 1
        self.next_account_id = 1
        # conservation ledger, per asset: deposits - withdrawals == free + locked + fees collected
        self.deposits: dict[str, int] = {}
        self.withdrawals: dict[str, int] = {}
        for spec in instruments:
            self.add_instrument(spec)

    # --- events ----------------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)
        self._rewire()

    def unsubscribe(self, listener: Listener) -> None:
        self.listeners.remove(listener)
        self._rewire()

    def subscribe_operation_end(self, callback: OperationListener) -> None:
        self.operation_listeners.append(callback)
        self._rewire()

    def unsubscribe_operation_end(self, callback: OperationListener) -> None:
        self.operation_listeners.remove(callback)
        self._rewire()

    def _rewire(self) -> None:
        self._dispatch = _fan_out(self.listeners, no_listener)
        if not self._composite:
            self._operation_end = _fan_out(self.operation_listeners, None)

    def _emit_event(self, event: Event) -> None:
        """Emit an event built with the next sequence number (self.seq + 1)."""
        self.seq = event.seq
        self._dispatch(event)

    def _end(self, first: int) -> int:
        """The operation that started at sequence `first` is over: tell who listens if it emitted anything."""
        last = self.seq
        if last >= first and self._operation_end is not None:
            self._operation_end(first, last)
        return last

    # --- instruments -----------------------------------------------------------------------------------
    def add_instrument(self, spec: InstrumentSpec) -> Instrument:
        if spec.symbol in self.instruments:
            raise ValueError(f"instrument {spec.symbol} already exists")
        return self._open_market(Instrument(spec))

    def _open_market(self, inst: Instrument) -> Instrument:
        """A new instrument's book, market data and id counters (spot's and the futures engine's alike)."""
        self.instruments[inst.symbol] = inst
        self.books[inst.symbol] = OrderBook(inst.symbol)
        self.market[inst.symbol] = MarketData(inst.symbol, inst.base_unit, self.retention.market_trades,
                                              self.retention.kline_minutes)
        self.next_trade_id[inst.symbol] = 1
        self.next_prevented_match_id[inst.symbol] = 0
        return inst

    def instrument(self, symbol: str) -> Instrument:
        inst = self.instruments.get(symbol)
        if inst is None:
            raise Rejected(Reject.UNKNOWN_SYMBOL, symbol)
        return inst

    def set_symbol_status(self, symbol: str, status: str) -> StatusResult:
        inst = self.instrument(symbol)
        if status not in SYMBOL_STATUSES:
            raise Rejected(Reject.INVALID_ORDER, f"unknown symbol status {status!r}")
        inst.status = status
        first = self.seq + 1
        self._emit_event(SymbolStatusChanged(first, self.clock.now_ms(), symbol, status))
        return StatusResult(symbol, status, first, self._end(first))

    # --- accounts --------------------------------------------------------------------------------------
    def open_account(self, name: str = "", fee_tier: int = 0, keeps_history: bool = True) -> Account:
        """A new account. One without history (`keeps_history=False`: the market maker's, whose orders nobody
        can ask about) keeps none of its finished orders and none of its trades (retention.py)."""
        self.fees.tier(fee_tier)  # raises for an unknown tier
        account = Account(self.next_account_id, name or f"account-{self.next_account_id}", fee_tier)
        self.keep_history(account, keeps_history)
        self.accounts[account.account_id] = account
        self.next_account_id += 1
        return account

    def keep_history(self, account: Account, keeps_history: bool) -> None:
        """Set what history the account keeps, from the engine's retention, and forget what it keeps beyond
        that (a snapshot restored under a smaller retention)."""
        account.keeps_history = keeps_history
        account.closed_kept = self.retention.closed_orders if keeps_history else 0
        account.trades_kept = self.retention.account_trades if keeps_history else 0
        for symbol, history in account.trades.items():
            if history.maxlen != account.trades_kept:
                account.trades[symbol] = deque(history, maxlen=account.trades_kept)
        while len(account.closed) > account.closed_kept:
            self._forget(account, account.closed.popleft())

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

    def deposit(self, account_id: int, asset: str, amount: int, reason: str = "DEPOSIT") -> TransferResult:
        """Money into the account (`reason` TRANSFER: from its futures wallet)."""
        account = self.account(account_id)
        if type(amount) is not int or amount <= 0:  # integer atoms only: never a float for money
            raise Rejected(Reject.INVALID_AMOUNT, "a deposit must be a positive number of atoms")
        account.credit(asset, amount)
        self.deposits[asset] = self.deposits.get(asset, 0) + amount
        return self._transfer(account, asset, amount, reason)

    def withdraw(self, account_id: int, asset: str, amount: int, reason: str = "WITHDRAW") -> TransferResult:
        """Money out of the account (`reason` TRANSFER: to its futures wallet)."""
        account = self.account(account_id)
        if type(amount) is not int or amount <= 0:  # integer atoms only: never a float for money
            raise Rejected(Reject.INVALID_AMOUNT, "a withdrawal must be a positive number of atoms")
        if account.free(asset) < amount:
            raise Rejected(Reject.INSUFFICIENT_BALANCE)
        account.debit(asset, amount)
        self.withdrawals[asset] = self.withdrawals.get(asset, 0) + amount
        return self._transfer(account, asset, -amount, reason)

    def _transfer(self, account: Account, asset: str, delta: int, reason: str) -> TransferResult:
        now = self.clock.now_ms()
        account.update_time = now
        free, locked = account.free(asset), account.locked(asset)
        first = self.seq + 1
        self._emit_event(BalanceUpdate(first, now, account.account_id, asset, free, locked, delta, reason))
        return TransferResult(account.account_id, asset, abs(delta), free, locked, first, self._end(first))

    # --- placing orders --------------------------------------------------------------------------------
    def place_order(self, account_id: int, symbol: str, side: str, type_: str, *, qty: int = 0,
                    price: int = 0, tif: str | None = None, quote_qty: int = 0, stop_price: int = 0,
                    client_id: str | None = None, stp: str | None = None) -> PlaceResult:
        """Validate, accept and match one order. Amounts are atoms (see Instrument.parse_*)."""
        first = self.seq + 1
        try:
            inst, account, tif, stp, plan, need, now = validate_placement(
                self, account_id, symbol, side, type_, qty, price, tif, quote_qty, stop_price, client_id, stp)
        except Rejected as rejected:
            self._emit_event(OrderRejected(first, self.clock.now_ms(), account_id, symbol, client_id or "", side,
                                           type_, rejected.reason.value))
            self._end(first)
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
        if plan is NOTHING_TO_TAKE and tif == GTC and price:
            self._rest(order, book)  # the commonest order of all, a GTC limit that does not cross: just rest
        elif type_ in STOP_TYPES:
            book.stops[order.order_id] = order
        else:
            self._execute(order, inst, book, plan, trades, now)
        if trades and book.stops:
            self._trigger_stops(inst, book, now)
        self._flush(now)
        last = self.seq
        if self._operation_end is not None:  # _end() written out: a placement always emits
            self._operation_end(first, last)
        return _new_tuple(PlaceResult, (order, trades, first, last))  # PlaceResult(...) without its __new__

    def test_order(self, account_id: int, symbol: str, side: str, type_: str, *, qty: int = 0, price: int = 0,
                   tif: str | None = None, quote_qty: int = 0, stop_price: int = 0,
                   client_id: str | None = None, stp: str | None = None) -> None:
        """Run every check place_order would and change nothing (Binance's order/test)."""
        validate_placement(self, account_id, symbol, side, type_, qty, price, tif, quote_qty, stop_price,
                           client_id, stp)

    def _new_client_id(self) -> str:
        # 88 random bits as 22 lowercase hex digits: the same text as "%022x" % bits (11 big-endian bytes are
        # exactly 22 zero-padded digits) and the same draw from the RNG, a third cheaper
        return self.rng.getrandbits(88).to_bytes(11, "big").hex()

    def _accept(self, account: Account, order: Order, inst: Instrument, need: int) -> None:
        asset = inst.quote if order.is_buy else inst.base
        account.lock(asset, need)
        order.locked = need
        self._touched[(account.account_id, asset)] = None
        self._register(account, order)

    def _register(self, account: Account, order: Order) -> None:
        """File an accepted order (which holds what it must) under its ids and its account; announce it NEW."""
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

    # --- finding, filling, cancelling, amending --------------------------------------------------------
    def find_order(self, account_id: int, symbol: str, order_id: int | None = None,
                   client_id: str | None = None) -> Order:
        """An account's order on a symbol by id and/or client id.

        With an id, the id decides and a client id given too must be that order's (CLIENT_ID_MISMATCH
        otherwise). With a client id alone: the open order holding it, else the latest closed one that had it.
        """
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
                raise Rejected(Reject.CLIENT_ID_MISMATCH)
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
        inst, account = fill_parties(self, maker, qty, taker_account_id)
        is_buy = not maker.is_buy
        need = inst.notional(maker.price, qty) if is_buy else qty
        if account.free(inst.quote if is_buy else inst.base) < need:
            raise Rejected(Reject.INSUFFICIENT_BALANCE)
        first = self.seq + 1
        now = self.clock.now_ms()
        taker = Order(self.next_order_id, self._new_client_id(), taker_account_id, maker.symbol,
                      BUY if is_buy else SELL, LIMIT, IOC, maker.price, qty, 0, 0, "NONE", now)
        self.next_order_id += 1
        taker.working_time = now
        self._accept(account, taker, inst, need)
        trades: list[Trade] = []
        book = self.books[maker.symbol]
        plan = TakerPlan([(maker, qty)], qty, inst.notional(maker.price, qty), False)
        self._execute(taker, inst, book, plan, trades, now)
        self._trigger_stops(inst, book, now)
        self._flush(now)
        return PlaceResult(taker, trades, first, self._end(first))

    def cancel_order(self, account_id: int, symbol: str, order_id: int | None = None,
                     client_id: str | None = None, cancel_client_id: str = "",
                     restriction: str | None = None) -> CancelResult:
        """Cancel one open order (found as find_order finds it). `cancel_client_id` names the cancel ("": a
        generated one); `restriction` ONLY_NEW / ONLY_PARTIALLY_FILLED refuses (CANCEL_RESTRICTED) an order in
        any other status."""
        if restriction not in _RESTRICTION_STATUS:
            raise Rejected(Reject.INVALID_ORDER, f"unknown cancel restriction {restriction!r}")
        order = self.find_order(account_id, symbol, order_id, client_id)
        if order.status in FINAL_STATUSES:  # not order.is_open, without the property call
            raise Rejected(Reject.UNKNOWN_ORDER)
        if restriction is not None and order.status != _RESTRICTION_STATUS[restriction]:
            raise Rejected(Reject.CANCEL_RESTRICTED)
        first = self.seq + 1
        now = self.clock.now_ms()
        cancel_client_id = self._cancel(order, now, cancel_client_id)
        self._flush(now)
        last = self.seq
        if self._operation_end is not None:  # _end() written out: a cancel always emits
            self._operation_end(first, last)
        return _new_tuple(CancelResult, (order, cancel_client_id, first, last))

    def _cancel(self, order: Order, now: int, cancel_client_id: str) -> str:
        """Take an open order off the book (or the stops) and close it; returns the cancel's client id."""
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
        return cancel_client_id

    def cancel_all(self, account_id: int, symbol: str) -> CancelAllResult:
        """Cancel every open order of the account on the symbol, oldest first (UNKNOWN_ORDER if none)."""
        account = self.account(account_id)
        self.instrument(symbol)
        orders = sorted((o for o in account.open_orders.values() if o.symbol == symbol),
                        key=lambda o: o.order_id)
        if not orders:
            raise Rejected(Reject.UNKNOWN_ORDER)
        first = self.seq + 1
        now = self.clock.now_ms()
        cancel_ids = [self._cancel(order, now, "") for order in orders]
        self._flush(now)
        return CancelAllResult(orders, cancel_ids, first, self._end(first))

    def amend_order(self, account_id: int, symbol: str, new_qty: int, order_id: int | None = None,
                    client_id: str | None = None, new_client_id: str | None = None) -> AmendResult:
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
        first = self.seq + 1
        now = self.clock.now_ms()
        previous_client_id = order.client_id
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
            account.unlock(asset, released)
            order.locked = still_needed
            self._touched[(account_id, asset)] = None
        update = OrderUpdate(first, now, "REPLACED", order)
        self._emit_event(update)
        self._flush(now)
        return AmendResult(order, previous_client_id, update.seq, first, self._end(first))

    def cancel_replace(self, account_id: int, symbol: str, side: str, type_: str, *, qty: int = 0,
                       price: int = 0, tif: str | None = None, quote_qty: int = 0, stop_price: int = 0,
                       client_id: str | None = None, stp: str | None = None,
                       cancel_order_id: int | None = None, cancel_client_id: str | None = None,
                       cancel_new_client_id: str = "", restriction: str | None = None,
                       mode: str = STOP_ON_FAILURE,
                       before_cancel: Callable[[], bool] | None = None) -> CancelReplaceResult:
        """Cancel one order and place another on the same symbol, as Binance's cancelReplace does.

        1. The new order's filters (validation.check_replacement_filters): a failure raises Rejected and nothing
           is cancelled. Its other checks (balance, open-order count, client id: what the cancel may change)
           wait for the placement.
        2. `before_cancel`, if given: the caller's own admission of the new order (False: cancel only, the new
           order is not attempted). It runs before this operation starts, so whatever it does to the engine is
           an operation of its own; an exception it raises propagates with nothing of this one done.
        3. The cancel: `cancel_order_id` / `cancel_client_id` found as find_order finds them,
           `cancel_new_client_id` and `restriction` as in cancel_order.
        4. The placement, unless the cancel failed and `mode` is STOP_ON_FAILURE (ALLOW_FAILURE places anyway).
           A successful cancel stands when the placement is refused.
        Steps 3 and 4 are one operation: one end, one sequence range.
        """
        if mode not in (STOP_ON_FAILURE, ALLOW_FAILURE):
            raise Rejected(Reject.INVALID_ORDER, f"unknown cancel-replace mode {mode!r}")
        if restriction not in _RESTRICTION_STATUS:
            raise Rejected(Reject.INVALID_ORDER, f"unknown cancel restriction {restriction!r}")
        check_replacement_filters(self, account_id, symbol, side, type_, qty, price, tif, quote_qty, stop_price,
                                  client_id, stp)
        may_place = before_cancel() if before_cancel is not None else True
        first = self.seq + 1
        cancel = cancel_reject = placed = place_reject = None
        self._composite = True
        self._operation_end = None  # the halves' ends are this operation's one end
        try:
            try:
                cancel = self.cancel_order(account_id, symbol, cancel_order_id, cancel_client_id,
                                           cancel_new_client_id, restriction)
            except Rejected as rejected:
                cancel_reject = rejected
            if may_place and (cancel_reject is None or mode == ALLOW_FAILURE):
                try:
                    placed = self.place_order(account_id, symbol, side, type_, qty=qty, price=price, tif=tif,
                                              quote_qty=quote_qty, stop_price=stop_price, client_id=client_id,
                                              stp=stp)
                except Rejected as rejected:
                    place_reject = rejected
        finally:
            self._composite = False
            self._rewire()
        return CancelReplaceResult(cancel, cancel_reject, placed, place_reject, first, self._end(first))

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
