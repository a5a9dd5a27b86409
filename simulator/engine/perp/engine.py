"""The futures engine: USD-M perpetuals beside the spot engine, with its own books, event sequence and wallets.

Account ids are the spot engine's (the Simulator opens each account in both, `ensure_account`), each with a
futures wallet: its `Account` balance of the margin asset (see margin.py). Pure and synchronous like the spot
engine: time from the injected clock, randomness from the injected RNG; every operation raises `Rejected`
before changing anything, or runs whole and returns a result with the range of events it emitted.
"""
from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable

from simulator.engine.account import Account
from simulator.engine.book import OrderBook
from simulator.engine.clock import Clock
from simulator.engine.events import OrderRejected
from simulator.engine.fees import FeeSchedule
from simulator.engine.order import BUY, GTC, IOC, LIMIT, SELL
from simulator.engine.perp import amend, conditional, liquidation, settlement, views
from simulator.engine.perp.events import ConfigUpdate
from simulator.engine.perp.funding import FundingRecord, FundingSchedule, first_funding_time, premium_index
from simulator.engine.perp.income import TRANSFER, IncomeLedger, IncomeRecord
from simulator.engine.perp.instrument import FUTURES_TIERS, PerpInstrument, PerpSpec
from simulator.engine.perp.margin import Risk, initial_margin, risk
from simulator.engine.perp.matching import PerpMatcher
from simulator.engine.perp.numbers import ceil_div
from simulator.engine.perp.order import BOTH, CONDITIONAL, CONTRACT_PRICE, LONG, SHORT, PerpOrder
from simulator.engine.perp.position import ISOLATED, MARGIN_TYPES, Position
from simulator.engine.perp.pricing import MarkPrice, PriceKlines
from simulator.engine.perp.rejection import PerpReject
from simulator.engine.perp.results import (FundingResult, FuturesTransferResult, LeverageResult,
                                           LiquidationResult, MarginResult, SettingResult)
from simulator.engine.perp.settings import NO_SETTINGS, AccountSettings
from simulator.engine.perp.validation import margin_need, validate
from simulator.engine.rejection import Reject, Rejected
from simulator.engine.results import PlaceResult
from simulator.engine.retention import Retention
from simulator.engine.taker_plan import NOTHING_TO_TAKE, TakerPlan
from simulator.engine.validation import fill_parties


class FuturesEngine(PerpMatcher):
    def __init__(self, clock: Clock, rng: random.Random, instruments: Iterable[PerpSpec] = (),
                 retention: Retention | None = None, fee_tiers=FUTURES_TIERS):
        super().__init__(clock, rng, FeeSchedule(list(fee_tiers)), (), retention)
        self._init_perp_state(IncomeLedger(self.retention.income_rows))
        self.prices: dict[str, MarkPrice] = {}
        self.funding: dict[str, FundingSchedule] = {}
        self.force_orders: deque[PerpOrder] = deque(maxlen=self.retention.closed_orders or 1)
        self.next_liquidation = 1
        self.margin_called: set[tuple] = set()  # accounts (and isolated positions) warned and not yet clear
        self.price_klines: dict[str, dict[str, PriceKlines]] = {}  # symbol -> "mark" / "index" -> candles
        for spec in instruments:
            self.add_instrument(spec)

    # --- instruments -----------------------------------------------------------------------------------
    def add_instrument(self, spec: PerpSpec) -> PerpInstrument:
        if spec.symbol in self.instruments:
            raise ValueError(f"perpetual {spec.symbol} already exists")
        inst = self._open_market(PerpInstrument(spec))
        self.prices[spec.symbol] = MarkPrice()
        self.price_klines[spec.symbol] = {"mark": PriceKlines(self.retention.kline_minutes),
                                          "index": PriceKlines(self.retention.kline_minutes)}
        self.funding[spec.symbol] = FundingSchedule(first_funding_time(self.clock.now_ms(),
                                                                       inst.funding_interval_ms))
        self.open_positions[spec.symbol] = {}
        self.insurance.setdefault(inst.margin_asset, 0)
        return inst

    def default_leverage(self, inst: PerpInstrument) -> int:
        return inst.default_leverage

    # --- accounts --------------------------------------------------------------------------------------
    def ensure_account(self, account_id: int, name: str = "", fee_tier: int = 0,
                       keeps_history: bool = True) -> Account:
        """The account's futures side under the spot account's id (opened if new)."""
        account = self.accounts.get(account_id)
        if account is None:
            account = Account(account_id, name or f"account-{account_id}", fee_tier)
            self.keep_history(account, keeps_history)
            self.accounts[account_id] = account
            self.next_account_id = max(self.next_account_id, account_id + 1)
        return account

    def settings_of(self, account_id: int) -> AccountSettings:
        """The account's settings, to read (the defaults, shared, for one that never changed any)."""
        return self.settings.get(account_id) or NO_SETTINGS

    def _settings_to_change(self, account_id: int) -> AccountSettings:
        settings = self.settings.get(account_id)
        if settings is None:
            settings = self.settings[account_id] = AccountSettings()
        return settings

    def leverage_of(self, account_id: int, symbol: str) -> int:
        settings = self.settings.get(account_id)
        return (settings is not None and settings.leverage.get(symbol)) or self.instruments[symbol].default_leverage

    def set_fee_tier(self, account_id: int, tier: int) -> None:
        """The spot tier index selects the futures tier of the same VIP level (the last one beyond the table)."""
        self.account(account_id).fee_tier = tier

    def deposit(self, account_id: int, asset: str, amount: int, reason: str = "DEPOSIT",
                info: str = "") -> FuturesTransferResult:
        """Money into the futures wallet (a control-plane deposit or a transfer from spot)."""
        account = self.account(account_id)
        if type(amount) is not int or amount <= 0:
            raise Rejected(Reject.INVALID_AMOUNT, "a deposit must be a positive number of atoms")
        account.credit(asset, amount)
        self.deposits[asset] = self.deposits.get(asset, 0) + amount
        return self._moved(account_id, asset, amount, reason, info)

    def withdraw(self, account_id: int, asset: str, amount: int, reason: str = "WITHDRAW",
                 info: str = "") -> FuturesTransferResult:
        """Money out of the futures wallet: at most what is free of margin (maxWithdrawAmount)."""
        self.account(account_id)
        if type(amount) is not int or amount <= 0:
            raise Rejected(Reject.INVALID_AMOUNT, "a withdrawal must be a positive number of atoms")
        if amount > self.max_withdraw(account_id, asset):
            raise Rejected(Reject.INSUFFICIENT_BALANCE)
        self.accounts[account_id].debit(asset, amount)
        self.withdrawals[asset] = self.withdrawals.get(asset, 0) + amount
        return self._moved(account_id, asset, -amount, reason, info)

    def max_withdraw(self, account_id: int, asset: str) -> int:
        figures = risk(self, account_id, asset)
        return max(0, min(figures.free, figures.available_raw))

    def _moved(self, account_id: int, asset: str, delta: int, reason: str, info: str) -> FuturesTransferResult:
        now = self.clock.now_ms()
        first = self.seq + 1
        record = self.income.add(account_id, "", TRANSFER, delta, asset, info or reason, now)
        self._note(account_id, asset, change=delta)
        self._flush_accounts(now, reason)
        wallet = self.balance_row(account_id, asset).wallet_balance
        return FuturesTransferResult(account_id, asset, abs(delta), wallet, record.tran_id, first, self._end(first))

    # --- settings --------------------------------------------------------------------------------------
    def set_leverage(self, account_id: int, symbol: str, leverage: int) -> LeverageResult:
        self.account(account_id)
        inst = self.instrument(symbol)
        if type(leverage) is not int or not 1 <= leverage <= inst.max_leverage:
            raise Rejected(PerpReject.LEVERAGE_INVALID)
        exposure = sum(abs(p.notional(self.mark_or_entry(p), inst.base_unit))
                       for p in self.account_positions.get(account_id, {}).values() if p.symbol == symbol)
        if exposure > inst.max_notional_at(leverage):
            raise Rejected(PerpReject.MAX_POSITION_AT_LEVERAGE)
        had_settings = account_id in self.settings
        settings = self._settings_to_change(account_id)
        explicit = settings.leverage.get(symbol)
        previous = explicit or inst.default_leverage
        # open orders hold initial margin at the leverage they were placed under: held again at the new one
        account = self.accounts[account_id]
        orders = [o for o in account.open_orders.values() if o.symbol == symbol and o.locked]
        relocked = {o.order_id: ceil_div(o.locked * previous, leverage) for o in orders}
        extra = sum(relocked[o.order_id] - o.locked for o in orders)
        settings.leverage[symbol] = leverage  # tried: the margin at the new leverage decides, then undone if refused
        if (exposure or extra > 0) and risk(self, account_id, inst.margin_asset).available_raw < max(0, extra):
            if not had_settings:
                del self.settings[account_id]
            elif explicit is None:
                del settings.leverage[symbol]
            else:
                settings.leverage[symbol] = explicit
            raise Rejected(PerpReject.LEVERAGE_MARGIN_INSUFFICIENT)
        for order in orders:
            delta = relocked[order.order_id] - order.locked
            if delta > 0:
                account.lock(inst.margin_asset, delta)
            elif delta < 0:
                account.unlock(inst.margin_asset, -delta)
            order.locked += delta
        first = self.seq + 1
        self._emit_event(ConfigUpdate(first, self.clock.now_ms(), account_id, symbol, leverage))
        return LeverageResult(symbol, leverage, inst.max_notional_at(leverage), first, self._end(first))

    def set_margin_type(self, account_id: int, symbol: str, margin_type: str) -> SettingResult:
        self.account(account_id)
        self.instrument(symbol)
        if margin_type not in MARGIN_TYPES:
            raise Rejected(Reject.INVALID_ORDER, f"marginType {margin_type!r}")
        if self.settings_of(account_id).margin_type_of(symbol) == margin_type:
            raise Rejected(PerpReject.MARGIN_TYPE_UNCHANGED)
        if any(o.symbol == symbol for o in self.accounts[account_id].open_orders.values()):
            raise Rejected(PerpReject.MARGIN_TYPE_OPEN_ORDERS)
        mine = [p for p in self.account_positions.get(account_id, {}).values() if p.symbol == symbol]
        if any(p.amt for p in mine):
            raise Rejected(PerpReject.MARGIN_TYPE_POSITION)
        self._settings_to_change(account_id).margin_type[symbol] = margin_type
        for position in mine:  # flat: nothing held aside any more
            position.margin_type = margin_type
        first = self.seq + 1
        return SettingResult(first, self._end(first))

    def set_position_mode(self, account_id: int, dual_side: bool) -> SettingResult:
        account = self.account(account_id)
        if self.settings_of(account_id).dual_side == bool(dual_side):
            raise Rejected(PerpReject.POSITION_MODE_UNCHANGED)
        if account.open_orders:
            raise Rejected(PerpReject.POSITION_MODE_OPEN_ORDERS)
        if any(p.amt for p in self.account_positions.get(account_id, {}).values()):
            raise Rejected(PerpReject.POSITION_MODE_POSITION)
        self._settings_to_change(account_id).dual_side = bool(dual_side)
        first = self.seq + 1
        return SettingResult(first, self._end(first))

    def adjust_margin(self, account_id: int, symbol: str, amount: int, add: bool,
                      position_side: str = BOTH) -> MarginResult:
        """Move `amount` into (add) or out of an ISOLATED position's wallet (positionMargin type 1 / 2)."""
        self.account(account_id)
        inst = self.instrument(symbol)
        if type(amount) is not int or amount <= 0:
            raise Rejected(Reject.INVALID_AMOUNT, "a margin change must be a positive number of atoms")
        position = self.positions.get((account_id, symbol, position_side))
        if position is None or not position.amt or position.margin_type != ISOLATED:
            raise Rejected(PerpReject.POSITION_NOT_SUFFICIENT)
        asset = inst.margin_asset
        if add:
            if amount > risk(self, account_id, asset).available_raw:
                raise Rejected(Reject.INSUFFICIENT_BALANCE)
            self.accounts[account_id].debit(asset, amount)
            position.isolated_wallet += amount
        else:
            mark = self.mark_or_entry(position)
            keep = initial_margin(position.notional(mark, inst.base_unit), self.leverage_of(account_id, symbol))
            spare = position.isolated_wallet + min(0, position.unrealized(mark, inst.base_unit)) - keep
            if amount > spare:
                raise Rejected(PerpReject.ISOLATED_BALANCE_INSUFFICIENT)
            position.isolated_wallet -= amount
            self.accounts[account_id].credit(asset, amount)
        now = self.clock.now_ms()
        position.update_time = now
        first = self.seq + 1
        self._note(account_id, asset, position.key)
        self._flush_accounts(now, "MARGIN_TRANSFER")
        return MarginResult(symbol, position_side, amount, add, first, self._end(first))

    # --- orders ----------------------------------------------------------------------------------------
    def place_order(self, account_id: int, symbol: str, side: str, type_: str, *, qty: int = 0, price: int = 0,
                    tif: str | None = None, stop_price: int = 0, client_id: str | None = None,
                    stp: str | None = None, position_side: str = BOTH, reduce_only: bool = False,
                    close_position: bool = False, working_type: str = CONTRACT_PRICE,
                    price_protect: bool = False, quote_qty: int = 0, activation_price: int = 0,
                    callback_rate: int = 0) -> PlaceResult:
        """Validate, accept and match one order (validation.py; TRAILING_STOP_MARKET takes `callback_rate` in
        tenths of a percent and an optional `activation_price`)."""
        first = self.seq + 1
        try:
            if quote_qty:
                raise Rejected(Reject.INVALID_ORDER, "futures orders are sized in base (quantity)")
            inst, account, tif, stp, plan, need, now = validate(
                self, account_id, symbol, side, type_, qty, price, tif, stop_price, client_id, stp, position_side,
                reduce_only, close_position, working_type, activation_price, callback_rate)
        except Rejected as rejected:
            self._emit_event(OrderRejected(first, self.clock.now_ms(), account_id, symbol, client_id or "", side,
                                           type_, rejected.reason.value))
            self._end(first)
            raise
        order = PerpOrder(self.next_order_id, client_id or self._new_client_id(), account_id, symbol, side, type_,
                          tif, price, qty, stop_price, stp, now, position_side, reduce_only, close_position,
                          working_type, price_protect, activation_price, callback_rate)
        self.next_order_id += 1
        if type_ not in CONDITIONAL:
            order.working_time = now
        self._accept(account, order, inst, need)
        trades: list = []
        book = self.books[symbol]
        if type_ in CONDITIONAL:
            book.stops[order.order_id] = order
        elif plan is NOTHING_TO_TAKE and tif == GTC:
            self._rest(order, book)
        else:
            self._execute(order, inst, book, plan, trades, now)
        if trades:
            self._after_trades(inst, book, now, trades)
        self._flush(now)
        return PlaceResult(order, trades, first, self._end(first))

    def _after_trades(self, inst: PerpInstrument, book: OrderBook, now: int, trades: list) -> None:
        """What fills set off: conditional orders on the last price, and reduce-only orders the positions outgrew."""
        conditional.trigger(self, inst, book, now, trades)
        conditional.trim_reduce_only(self, inst, now)

    def modify_order(self, account_id: int, symbol: str, side: str, qty: int, price: int,
                     order_id: int | None = None, client_id: str | None = None) -> PlaceResult:
        """A resting LIMIT order's new price and quantity, same ids, new priority (amend.py)."""
        return amend.modify(self, account_id, symbol, side, qty, price, order_id, client_id)

    def amend_order(self, *args, **kwargs):
        raise Rejected(Reject.INVALID_ORDER, "futures orders are modified with modify_order")

    def cancel_replace(self, *args, **kwargs):
        raise Rejected(Reject.INVALID_ORDER, "cancelReplace does not exist on futures")

    def fill_order(self, order_id: int, qty: int, taker_account_id: int) -> PlaceResult:
        """Make exactly `qty` of one resting order trade at its price, with an IOC from `taker_account_id` that
        matches that order alone (the spot engine's fill_order, with the taker's initial margin checked)."""
        maker = self.orders.get(order_id)
        inst, account = fill_parties(self, maker, qty, taker_account_id)
        side = SELL if maker.is_buy else BUY
        position_side = BOTH if not self.settings_of(taker_account_id).dual_side else (SHORT if maker.is_buy
                                                                                        else LONG)
        plan = TakerPlan([(maker, qty)], qty, inst.notional(maker.price, qty), False)
        need = margin_need(self, inst, taker_account_id, inst.symbol, side == BUY, LIMIT, qty, maker.price, 0, plan,
                           position_side, False, self.settings_of(taker_account_id), self.mark(inst.symbol))
        first = self.seq + 1
        now = self.clock.now_ms()
        taker = PerpOrder(self.next_order_id, self._new_client_id(), taker_account_id, maker.symbol, side, LIMIT,
                          IOC, maker.price, qty, 0, "NONE", now, position_side)
        self.next_order_id += 1
        taker.working_time = now
        self._accept(account, taker, inst, need)
        trades: list = []
        book = self.books[maker.symbol]
        self._execute(taker, inst, book, plan, trades, now)
        self._after_trades(inst, book, now, trades)
        self._flush(now)
        return PlaceResult(taker, trades, first, self._end(first))

    def test_order(self, account_id: int, symbol: str, side: str, type_: str, **kwargs) -> None:
        """Every check place_order would run, changing nothing (POST /fapi/v1/order/test); same keywords."""
        validate(self, account_id, symbol, side, type_, kwargs.get("qty", 0), kwargs.get("price", 0),
                 kwargs.get("tif"), kwargs.get("stop_price", 0), kwargs.get("client_id"), kwargs.get("stp"),
                 kwargs.get("position_side", BOTH), kwargs.get("reduce_only", False),
                 kwargs.get("close_position", False), kwargs.get("working_type", CONTRACT_PRICE),
                 kwargs.get("activation_price", 0), kwargs.get("callback_rate", 0))

    # --- prices ----------------------------------------------------------------------------------------
    def mark(self, symbol: str) -> int | None:
        return self.prices[symbol].mark

    def index(self, symbol: str) -> int | None:
        return self.prices[symbol].index

    def mark_or_entry(self, position: Position) -> int:
        """The position's mark, or its entry price while the symbol has none."""
        mark = self.prices[position.symbol].mark
        if mark is not None:
            return mark
        if not position.amt:
            return 0
        return position.cost * self.instruments[position.symbol].base_unit // abs(position.amt)

    def set_index(self, symbol: str, price: int, check: bool = True) -> LiquidationResult:
        """A new index price (market maker walk or control plane): the mark moves with it, conditional orders on
        the mark may fire, and positions whose margin it exhausts are liquidated. One operation.

        `check=False` moves the prices only, for a caller that re-quotes the book to the new index first and then
        runs `check_marks` (the market maker): a liquidation then meets the book the new index made, not the
        one before the jump."""
        inst = self.instrument(symbol)
        if type(price) is not int or price <= 0:
            raise Rejected(Reject.INVALID_AMOUNT, "an index price must be a positive number of atoms")
        state = self.prices[symbol]
        if state.index is None:
            state.time = self.clock.now_ms()
        state.set_index(price)
        if not check:
            now = self.clock.now_ms()
            self.price_klines[symbol]["index"].record(now, state.index)
            self.price_klines[symbol]["mark"].record(now, state.mark)
            return LiquidationResult([], self.seq + 1, self.seq)
        return self._mark_moved(inst)

    def check_marks(self, symbol: str) -> LiquidationResult:
        """Conditional orders on the mark and liquidations at the current mark (after `set_index(check=False)`)."""
        return self._mark_moved(self.instrument(symbol))

    def set_premium(self, symbol: str, premium: int) -> LiquidationResult:
        """Pin the mark's premium over the index (it then decays toward the book's basis)."""
        inst = self.instrument(symbol)
        state = self.prices[symbol]
        if state.index is None:
            raise Rejected(Reject.INVALID_ORDER, "set the index first")
        if type(premium) is not int or state.index + premium <= 0:
            raise Rejected(Reject.INVALID_AMOUNT, "the mark (index + premium) must stay positive")
        state.set_premium(premium)
        state.time = self.clock.now_ms()
        return self._mark_moved(inst)

    def set_funding_rate(self, symbol: str, rate) -> None:
        """The rate the next settlement applies (instead of the computed one); None goes back to computing."""
        self.instrument(symbol)
        self.funding[symbol].override = rate

    def _mark_moved(self, inst: PerpInstrument) -> LiquidationResult:
        first = self.seq + 1
        now = self.clock.now_ms()
        state, klines = self.prices[inst.symbol], self.price_klines[inst.symbol]
        klines["index"].record(now, state.index)
        klines["mark"].record(now, state.mark)
        orders = self._margin_checks(inst, now)
        self._flush(now)
        return LiquidationResult(orders, first, self._end(first))

    def _margin_checks(self, inst: PerpInstrument, now: int) -> list[PerpOrder]:
        """After the mark moved or wallets paid funding: conditional orders on the mark, then liquidations."""
        book = self.books[inst.symbol]
        if book.stops:
            conditional.trigger(self, inst, book, now, [])
        return liquidation.check(self, inst.symbol, now)

    def basis(self, symbol: str) -> int | None:
        """The perpetual book's mid price less the index (None without both sides or an index)."""
        index = self.prices[symbol].index
        bid, ask = self.books[symbol].bids.best_price(), self.books[symbol].asks.best_price()
        if index is None or bid is None or ask is None:
            return None
        return (bid + ask) // 2 - index

    # --- time ------------------------------------------------------------------------------------------
    def tick(self, now: int) -> None:
        """Catch up with the clock: premium samples once a minute, the mark's premium decay, funding due."""
        for symbol in sorted(self.instruments):
            state, schedule = self.prices[symbol], self.funding[symbol]
            if state.index is None:
                continue
            if now >= schedule.next_sample:
                book = self.books[symbol]
                schedule.sample(premium_index(book.bids.best_price(), book.asks.best_price(), state.index))
                schedule.next_sample = now - now % 60_000 + 60_000
                before = state.mark
                state.follow(self.basis(symbol), now)
                if state.mark != before:
                    self._mark_moved(self.instruments[symbol])
        self.settle_due(now)

    def settle_due(self, now: int) -> FundingResult:
        """Settle every symbol whose funding time has come (at that time, at the mark then)."""
        first = self.seq + 1
        settlements = []
        for symbol in sorted(self.instruments):
            schedule = self.funding[symbol]
            if now >= schedule.next_time and self.prices[symbol].index is not None:
                settlements.append(settlement.settle(self, symbol, schedule.next_time))
        return self._settled(settlements, first, now)

    def settle_funding(self, symbol: str | None = None) -> FundingResult:
        """Settle now (control plane), all symbols with a mark or just one; the next funding time rolls on."""
        symbols = [self.instrument(symbol).symbol] if symbol is not None else sorted(self.instruments)
        first = self.seq + 1
        now = self.clock.now_ms()
        settlements = [settlement.settle(self, s, now) for s in symbols if self.prices[s].index is not None]
        return self._settled(settlements, first, now)

    def _settled(self, settlements: list, first: int, now: int) -> FundingResult:
        """Funding paid may leave positions without margin: they are liquidated in the same operation."""
        liquidated = []
        for done in settlements:
            liquidated += self._margin_checks(self.instruments[done.symbol], now)
        self._flush(now)
        return FundingResult(settlements, liquidated, first, self._end(first))

    # --- reading ---------------------------------------------------------------------------------------
    def risk(self, account_id: int, asset: str) -> Risk:
        self.account(account_id)
        return risk(self, account_id, asset)

    def position_size(self, account_id: int, symbol: str, position_side: str, is_buy: bool) -> int:
        """What an order of this side on this position side could close now (0 if it would open)."""
        position = self.positions.get((account_id, symbol, position_side))
        if position is None or not position.amt or (position.amt > 0) == is_buy:
            return 0
        return abs(position.amt)

    def income_of(self, account_id: int) -> list[IncomeRecord]:
        self.account(account_id)
        return self.income.of(account_id)

    def funding_history(self, symbol: str) -> list[FundingRecord]:
        self.instrument(symbol)
        return list(self.funding[symbol].history)

    def open_interest(self, symbol: str) -> int:
        self.instrument(symbol)
        return sum(p.amt for p in self.open_positions[symbol].values() if p.amt > 0)

    def commission_rates(self, account_id: int):
        tiers = self.fees.tiers
        return tiers[min(self.account(account_id).fee_tier, len(tiers) - 1)]


    # --- views (views.py): what the futures endpoints answer -------------------------------------------
    def position_rows(self, account_id: int, symbol: str | None = None) -> list[views.PositionView]:
        return views.position_rows(self, account_id, symbol)

    def account_view(self, account_id: int) -> views.AccountView:
        return views.account_view(self, account_id)

    def mark_view(self, symbol: str) -> views.MarkView:
        return views.mark_view(self, symbol)

    def force_orders_of(self, account_id: int | None = None, symbol: str | None = None) -> list[PerpOrder]:
        return [o for o in self.force_orders
                if (account_id is None or o.account_id == account_id) and (symbol is None or o.symbol == symbol)]

    def price_history(self, symbol: str, kind: str) -> list[list[int]]:
        """1-minute [open_time, open, high, low, close] candles of the "mark" or "index" price, oldest first."""
        self.instrument(symbol)
        if kind not in ("mark", "index"):
            raise Rejected(Reject.INVALID_ORDER, f"price history kind {kind!r}")
        return self.price_klines[symbol][kind].state()

    def insurance_fund(self, asset: str) -> int:
        return self.insurance.get(asset, 0)
