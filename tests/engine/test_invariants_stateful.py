"""A hypothesis state machine drives random operations through the engine and checks its invariants after each.

Four accounts (on three fee tiers) trade two symbols that share a quote asset: deposits, withdrawals, every order
type and time in force, every self-trade-prevention mode, cancels by id and by client id, cancel-all, amends,
cancel-replace, clock moves and trading halts. Wallets are small next to the orders (a few orders lock all of
them, a quote-sized market order may cost more than its account holds) and prices cluster around the mid (several
accounts rest at one price), so balance checks, quote budgets and queue priority all bind. After every step the engine's own audit must come back clean and
the checks here, computed independently from the event stream and the machine's own ledger, must hold:

- each asset is conserved: deposits - withdrawals == free + locked + fees (fees summed from trade events);
- no balance is negative; each account's locked balance is exactly what its open orders still need;
- the resting book never crosses; executed <= quantity, and executed equals the sum of the order's trades;
- a market order sized in quote never spends (buying) or receives (selling) more than its budget;
- event sequence numbers run 1..N without a gap; depth update ids move by one per depth event, and a local book
  rebuilt from depth events alone equals the engine's depth snapshot; the last balance event of each
  (account, asset) shows its current balance;
- an operation that raises Rejected changes nothing (a fingerprint of the whole state is equal before and after)
  and emits nothing but, for a placement, its one `rejected` event.
"""
from __future__ import annotations

import random
from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from simulator.engine.audit import audit
from simulator.engine.clock import ManualClock
from simulator.engine.engine import Engine
from simulator.engine.fees import FeeSchedule, FeeTier
from simulator.engine.order import LIMIT_PRICED, STOP_TYPES
from simulator.engine.rejection import Rejected
from simulator.engine.validation import FILTER_REJECTS

from tests.engine.helpers import START_MS, a, fingerprint, make_spec

N_ACCOUNTS = 4
SPECS = {
    "BTCUSDT": make_spec("BTCUSDT", "BTC", "USDT", max_num_orders=3, bid_multiplier_up="1.2",
                         bid_multiplier_down="0.8", ask_multiplier_up="1.2", ask_multiplier_down="0.8"),
    "ETHUSDT": make_spec("ETHUSDT", "ETH", "USDT", step_size="0.01", min_qty="0.01", max_num_orders=8,
                         default_stp="NONE"),
}
MID = {"BTCUSDT": a("100"), "ETHUSDT": a("20")}
PRICE_STEP = {"BTCUSDT": a("0.1"), "ETHUSDT": a("0.05")}  # price offsets move by this much
QTY_UNIT = {"BTCUSDT": a("0.005"), "ETHUSDT": a("0.05")}  # quantities are multiples of this
ASSETS = ("USDT", "BTC", "ETH")
KINDS = ("LIMIT", "LIMIT", "LIMIT", "MARKET", "MARKET_QUOTE", "LIMIT_MAKER", "STOP_LOSS", "STOP_LOSS_LIMIT",
         "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")

accounts = st.integers(0, N_ACCOUNTS - 1)
symbols = st.sampled_from(sorted(SPECS))
order_params = st.fixed_dictionaries(dict(
    side=st.sampled_from(("BUY", "SELL")),
    kind=st.sampled_from(KINDS),
    tif=st.sampled_from(("GTC", "GTC", "IOC", "FOK")),
    # +-10 around the mid; 11 = off the tick grid, 12 = far outside the band; half the time within a tick of the
    # mid, where orders of several accounts share a level
    offset=st.integers(-12, 12) | st.integers(-1, 1),
    steps=st.integers(0, 61),  # 0 = a zero quantity; small ones fail NOTIONAL; 61 = off the step grid
    stop_offset=st.integers(-6, 6),
    quote=st.integers(0, 60),  # x 2 USDT: up to twice a wallet, enough to walk several levels
    client_id=st.sampled_from((None, None, None, "x", "y", "z")),
    stp=st.sampled_from((None, None, "NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH")),
))


class EngineMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.clock = ManualClock(START_MS)
        tiers = [FeeTier.of("0.001", "0.001"), FeeTier.of("0.0002", "0.0007"), FeeTier.of("0", "0.00075")]
        self.engine = Engine(self.clock, random.Random(1234), FeeSchedule(tiers), instruments=SPECS.values())
        self.events = []
        self.engine.subscribe(self.events.append)
        self.account_ids = [self.engine.open_account(fee_tier=i % 3).account_id for i in range(N_ACCOUNTS)]
        # the machine's own ledger and what it has learnt from the event stream so far
        self.deposited: Counter = Counter()
        self.withdrawn: Counter = Counter()
        self.fees_from_trades: Counter = Counter()
        self.executed_from_trades: Counter = Counter()
        self.local_books = {symbol: ({}, {}) for symbol in SPECS}
        self.update_ids = {symbol: 0 for symbol in SPECS}
        self.last_balance: dict[tuple[int, str], tuple[int, int]] = {}
        self.seen = 0
        self.rejections: Counter = Counter()

    # --- helpers -------------------------------------------------------------------------------------------
    def attempt(self, operation, *args, placement: bool = False, **kwargs):
        """Run one engine call; if it is rejected, prove it changed nothing. True if it was accepted."""
        before = fingerprint(self.engine)
        emitted = len(self.events)
        try:
            operation(*args, **kwargs)
            return True
        except Rejected as rejected:
            self.rejections[rejected.reason.value] += 1
            assert fingerprint(self.engine) == before, f"{rejected!r} changed the engine's state"
            new = self.events[emitted:]
            if placement:
                assert [(e.kind, e.reason) for e in new] == [("rejected", rejected.reason.value)]
            else:
                assert new == [], f"{rejected!r} emitted {new}"
            return False

    def order_kwargs(self, symbol: str, p: dict) -> dict:
        inst = self.engine.instruments[symbol]
        last = self.engine.market[symbol].last_price or MID[symbol]
        price = MID[symbol] + p["offset"] * PRICE_STEP[symbol]
        if p["offset"] == 11:
            price += 1  # off the tick grid
        elif p["offset"] == 12:
            price = MID[symbol] * 2  # outside the percent-price band once there is a reference
        qty = p["steps"] * QTY_UNIT[symbol]
        if p["steps"] == 61:
            qty = QTY_UNIT[symbol] * 10 + 1  # off the step grid
        stop_price = last + p["stop_offset"] * PRICE_STEP[symbol]
        kind = p["kind"]
        kwargs = dict(side=p["side"], client_id=p["client_id"], stp=p["stp"])
        if kind == "MARKET_QUOTE":
            kwargs.update(type_="MARKET", quote_qty=p["quote"] * a("2"))
        elif kind == "MARKET":
            kwargs.update(type_="MARKET", qty=qty)
        elif kind == "LIMIT_MAKER":
            kwargs.update(type_=kind, qty=qty, price=price)
        else:
            kwargs.update(type_=kind, qty=qty)
            if kind in LIMIT_PRICED:
                kwargs.update(price=price, tif=p["tif"])
            if kind in STOP_TYPES:
                kwargs.update(stop_price=max(stop_price, inst.tick))
        return kwargs

    def pick_open_order(self, account: int, symbol: str, pick: int):
        orders = self.engine.open_orders(self.account_ids[account], symbol)
        return orders[pick % len(orders)] if orders else None

    # --- rules ---------------------------------------------------------------------------------------------
    @initialize()
    def fund_everyone(self):
        for account_id in self.account_ids:
            # about two orders' worth of each asset (an order locks up to 0.3 BTC, 3 ETH or 30 USDT)
            for asset, amount in (("USDT", a("60")), ("BTC", a("0.6")), ("ETH", a("6"))):
                self.engine.deposit(account_id, asset, amount)
                self.deposited[asset] += amount

    @rule(account=accounts, asset=st.sampled_from(ASSETS), amount=st.integers(-1, 4000))
    def deposit(self, account, asset, amount):
        amount *= 10**4  # up to 0.4 of a unit: top-ups that keep wallets small
        if self.attempt(self.engine.deposit, self.account_ids[account], asset, amount):
            self.deposited[asset] += amount

    @rule(account=accounts, asset=st.sampled_from(ASSETS), percent=st.integers(0, 120))
    def withdraw(self, account, asset, percent):
        account_id = self.account_ids[account]
        amount = self.engine.accounts[account_id].free(asset) * percent // 100
        if self.attempt(self.engine.withdraw, account_id, asset, amount):
            self.withdrawn[asset] += amount

    @rule(account=accounts, symbol=symbols, p=order_params)
    def place(self, account, symbol, p):
        self.attempt(self.engine.place_order, self.account_ids[account], symbol, placement=True,
                     **self.order_kwargs(symbol, p))

    # Placing is what builds the books worth checking: two more rules make it the most frequent step.
    @rule(account=accounts, symbol=symbols, p=order_params)
    def place_more(self, account, symbol, p):
        self.place(account, symbol, p)

    @rule(account=accounts, symbol=symbols, p=order_params, kind=st.sampled_from(("LIMIT", "MARKET")))
    def place_limit_or_market(self, account, symbol, p, kind):
        self.place(account, symbol, {**p, "kind": kind})

    @rule(account=accounts, symbol=symbols, side=st.sampled_from(("BUY", "SELL")), start=st.integers(-3, 3),
          levels=st.integers(2, 4), steps=st.integers(1, 20))
    def ladder(self, account, symbol, side, start, levels, steps):
        """One account rests GTC limits at consecutive prices away from the mid: a book several levels deep,
        for market orders (by quantity or by quote budget) to walk."""
        away = 1 if side == "SELL" else -1
        for level in range(levels):
            self.attempt(self.engine.place_order, self.account_ids[account], symbol, placement=True, side=side,
                         type_="LIMIT", tif="GTC", qty=steps * QTY_UNIT[symbol],
                         price=MID[symbol] + (start + away * level) * PRICE_STEP[symbol])

    @rule(account=accounts, symbol=symbols, pick=st.integers(0, 50),
          how=st.sampled_from(("id", "id", "client_id", "unknown", "wrong_symbol")))
    def cancel(self, account, symbol, pick, how):
        account_id = self.account_ids[account]
        order = self.pick_open_order(account, symbol, pick)
        if how == "unknown" or order is None:
            self.attempt(self.engine.cancel_order, account_id, symbol, order_id=10**9 + pick)
        elif how == "wrong_symbol":
            other = next(s for s in SPECS if s != symbol)
            self.attempt(self.engine.cancel_order, account_id, other, order_id=order.order_id)
        elif how == "client_id":
            self.attempt(self.engine.cancel_order, account_id, symbol, client_id=order.client_id)
        else:
            self.attempt(self.engine.cancel_order, account_id, symbol, order_id=order.order_id)

    @rule(account=accounts, symbol=symbols)
    def cancel_all(self, account, symbol):
        self.attempt(self.engine.cancel_all, self.account_ids[account], symbol)

    @rule(account=accounts, symbol=symbols, pick=st.integers(0, 50), percent=st.integers(-10, 110))
    def amend(self, account, symbol, pick, percent):
        order = self.pick_open_order(account, symbol, pick)
        if order is None:
            return
        step = self.engine.instruments[symbol].step
        new_qty = order.executed + order.remaining * percent // 100 // step * step
        self.attempt(self.engine.amend_order, self.account_ids[account], symbol, new_qty, order_id=order.order_id)

    @rule(account=accounts, symbol=symbols, pick=st.integers(0, 50), p=order_params, allow_failure=st.booleans())
    def cancel_replace(self, account, symbol, pick, p, allow_failure):
        account_id = self.account_ids[account]
        order = self.pick_open_order(account, symbol, pick)
        order_id = order.order_id if order is not None else 10**9
        before = fingerprint(self.engine)
        emitted = len(self.events)
        try:
            result = self.engine.cancel_replace(account_id, symbol, cancel_order_id=order_id,
                                                mode="ALLOW_FAILURE" if allow_failure else "STOP_ON_FAILURE",
                                                **self.order_kwargs(symbol, p))
        except Rejected as rejected:  # the new order's filters fail: nothing is cancelled
            assert rejected.reason in FILTER_REJECTS
            assert fingerprint(self.engine) == before and self.events[emitted:] == []
            return
        if result.cancel is None and result.placed is None:
            assert fingerprint(self.engine) == before
            new = self.events[emitted:]
            expected = [] if result.place_reject is None else [("rejected", result.place_reject.reason.value)]
            assert [(e.kind, e.reason) for e in new] == expected
        if not allow_failure and result.cancel_reject is not None:
            assert result.placed is None and result.place_reject is None

    @rule(ms=st.integers(0, 180_000), symbol=symbols,
          status=st.sampled_from((None,) * 6 + ("HALT", "TRADING")))
    def advance_clock(self, ms, symbol, status):
        self.clock.advance(ms)
        if status:
            self.engine.set_symbol_status(symbol, status)

    # --- invariants ----------------------------------------------------------------------------------------
    @invariant()
    def all_invariants_hold(self):
        # one invariant calling the checks in order: the event stream is read first, the others use it
        self.read_new_events()
        assert audit(self.engine) == []
        self.check_local_books()
        self.check_conservation()
        self.check_orders()

    def read_new_events(self):
        new = self.events[self.seen:]
        for offset, event in enumerate(new):
            assert event.seq == self.seen + offset + 1, "event sequence has a gap"
        self.seen += len(new)
        assert self.engine.seq == self.seen
        for event in new:
            if event.kind == "trade":
                trade = event.trade
                self.fees_from_trades[trade.base] += trade.buyer_fee
                self.fees_from_trades[trade.quote] += trade.seller_fee
                self.executed_from_trades[trade.buyer.order_id] += trade.qty
                self.executed_from_trades[trade.seller.order_id] += trade.qty
                assert trade.quote_qty == trade.price * trade.qty // 10**8
            elif event.kind == "depth":
                assert event.update_id == self.update_ids[event.symbol] + 1, "depth update ids skipped"
                self.update_ids[event.symbol] = event.update_id
                bids, asks = self.local_books[event.symbol]
                for levels, changes in ((bids, event.bids), (asks, event.asks)):
                    for price, qty in changes:
                        if qty:
                            levels[price] = qty
                        else:
                            # a level may appear and vanish inside one operation (a taker rests, then a
                            # triggered stop takes it): the diff then removes a level never shown, as Binance's do
                            levels.pop(price, None)
            elif event.kind == "balance":
                self.last_balance[(event.account_id, event.asset)] = (event.free, event.locked)

    def check_local_books(self):
        for symbol, (bids, asks) in self.local_books.items():
            update_id, engine_bids, engine_asks = self.engine.depth(symbol, 10**6)
            assert update_id == self.update_ids[symbol]
            assert sorted(bids.items(), reverse=True) == engine_bids
            assert sorted(asks.items()) == engine_asks
            if engine_bids and engine_asks:
                assert engine_bids[0][0] < engine_asks[0][0], f"{symbol} crossed"
            for side in (self.engine.books[symbol].bids, self.engine.books[symbol].asks):
                first = side.levels.peekitem(0)[1] if side.levels else None
                assert side.best() is first, "the cached best level is not the first level"

    def check_conservation(self):
        held: Counter = Counter()
        for account in self.engine.accounts.values():
            for asset, (free, locked) in account.balances.items():
                assert free >= 0 and locked >= 0, f"negative {asset} balance"
                held[asset] += free + locked
                assert self.last_balance.get((account.account_id, asset), (0, 0)) == (free, locked), \
                    "the last balance event does not show the balance"
        assert dict(+self.fees_from_trades) == {k: v for k, v in self.engine.fees_collected.items() if v}
        for asset in ASSETS:
            assert self.deposited[asset] - self.withdrawn[asset] == held[asset] + self.fees_from_trades[asset]

    def check_orders(self):
        needs: Counter = Counter()
        for order in self.engine.orders.values():
            assert 0 <= order.executed <= order.qty
            assert order.executed == self.executed_from_trades[order.order_id]
            if order.quote_qty:
                assert order.cum_quote <= order.quote_qty, f"{order!r} went over its quote budget"
            account = self.engine.accounts[order.account_id]
            assert order.is_open == (order.order_id in account.open_orders)
            if not order.is_open:
                assert order.locked == 0
                continue
            inst = self.engine.instruments[order.symbol]
            book = self.engine.books[order.symbol]
            if order.is_working:
                assert order.order_id in book.side(order.is_buy).level(order.price).orders
            else:
                assert order.order_id in book.stops and order.type in STOP_TYPES
            if order.is_buy:
                needs[(order.account_id, inst.quote)] += (order.price or order.stop_price) * order.remaining // 10**8
            else:
                needs[(order.account_id, inst.base)] += order.remaining
        for account in self.engine.accounts.values():
            for asset, (_, locked) in account.balances.items():
                assert locked == needs[(account.account_id, asset)]
            client_ids = [o.client_id for o in account.open_orders.values()]
            assert len(client_ids) == len(set(client_ids)), "duplicate client order id among open orders"


EngineMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=100, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestEngineInvariants = EngineMachine.TestCase
