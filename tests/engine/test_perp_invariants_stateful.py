"""A hypothesis state machine drives random operations through the futures engine and checks its invariants
after each (the spot stateful test's idea, for perpetuals).

Four accounts trade two perpetuals with small wallets next to their orders: limit / market / post-only / FOK /
IOC orders, reduce-only, conditional orders on the mark and on the last price, closePosition, cancels, modifies,
leverage, margin type and position mode switches, isolated margin moves, deposits and withdrawals, index and
premium moves (which fire conditional orders and liquidate), funding rates and settlements, clock moves. After
every step:

- the engine's audit is clean: the margin asset conserved across wallets, realized PnL, fees, funding and the
  insurance fund; realized PnL equal to open long cost - open short cost; long open interest equal to short; no
  position beyond its bracket; each account's locked margin exactly its open orders';
- independently of the engine's ledger, from the income rows the machine saw: every account's wallet is its
  transfers + realized PnL - commissions + funding + insurance clearances (per account, to the atom), and funding
  across accounts never pays out more than it took in;
- available balance (as shown) is never negative; a position's side matches the account's mode;
- an operation that raises Rejected changes nothing and emits at most its one `rejected` event.
"""
from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from simulator.engine.perp.audit import audit_perp
from simulator.engine.perp.margin import risk
from simulator.engine.perp.order import closes
from simulator.engine.rejection import Rejected
from tests.engine.helpers import a
from tests.engine.perp_helpers import new_futures, perp_fingerprint, perp_spec, trader

SYMBOLS = ("BTCUSDT", "ETHUSDT")
MID = {"BTCUSDT": a("1000"), "ETHUSDT": a("100")}
TICK = {"BTCUSDT": a("0.1"), "ETHUSDT": a("0.01")}
UNIT = {"BTCUSDT": a("0.01"), "ETHUSDT": a("0.1")}
KINDS = ("LIMIT", "LIMIT", "LIMIT", "MARKET", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
         "TRAILING_STOP_MARKET")

accounts = st.integers(0, 3)
symbols = st.sampled_from(SYMBOLS)
orders = st.fixed_dictionaries(dict(
    side=st.sampled_from(("BUY", "SELL")), kind=st.sampled_from(KINDS),
    tif=st.sampled_from(("GTC", "GTC", "IOC", "FOK", "GTX")),
    offset=st.integers(-30, 30), units=st.integers(0, 40), stop_offset=st.integers(-60, 60),
    reduce_only=st.sampled_from((False, False, False, True)), close_position=st.sampled_from((False, False, False, True)),
    working_type=st.sampled_from(("CONTRACT_PRICE", "MARK_PRICE")),
    side_pick=st.integers(0, 9),  # 0: a position side the account's mode refuses; else one it accepts
))


class FuturesMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.engine, self.clock = new_futures(perp_spec("BTCUSDT", min_notional=Decimal("1")),
                                              perp_spec("ETHUSDT", tick_size=Decimal("0.01"),
                                                        max_leverage=50, maint_margin_rate=Decimal("0.01"),
                                                        min_notional=Decimal("1")), index=None)
        for symbol in SYMBOLS:
            self.engine.set_index(symbol, MID[symbol])
        self.events = []
        self.engine.subscribe(self.events.append)
        self.ids = [trader(self.engine, "2000") for _ in range(4)]

    def _try(self, fn, *args, **kwargs):
        before, seq = perp_fingerprint(self.engine), self.engine.seq
        try:
            return fn(*args, **kwargs)
        except Rejected:
            assert perp_fingerprint(self.engine) == before, "a refused operation changed the state"
            emitted = self.events[len(self.events) - (self.engine.seq - seq):] if self.engine.seq > seq else []
            assert [e.kind for e in emitted] in ([], ["rejected"])
            return None

    # --- rules ---------------------------------------------------------------------------------------
    @rule(who=accounts, symbol=symbols, p=orders)
    def place(self, who, symbol, p):
        mark = self.engine.mark(symbol)  # orders cluster around the mark (PERCENT_PRICE allows 5 % either way)
        mark -= mark % TICK[symbol]
        price = mark + p["offset"] * TICK[symbol] * 5
        stop = mark + p["stop_offset"] * TICK[symbol] * 5
        kind = p["kind"]
        dual = self.engine.settings_of(self.ids[who]).dual_side
        position_side = ("LONG" if p["side_pick"] % 2 else "SHORT") if dual == (p["side_pick"] > 0) else "BOTH"
        kwargs = dict(qty=0 if p["close_position"] and kind.endswith("_MARKET") else p["units"] * UNIT[symbol],
                      position_side=position_side, reduce_only=p["reduce_only"] and not dual,
                      close_position=p["close_position"] and kind.endswith("_MARKET"),
                      working_type=p["working_type"])
        if kind in ("LIMIT", "STOP", "TAKE_PROFIT"):
            kwargs.update(price=max(TICK[symbol], price), tif=p["tif"])
        if kind == "TRAILING_STOP_MARKET":  # callback 0.1 .. 6 %, activation at the stop offset or none
            kwargs.update(callback_rate=abs(p["stop_offset"]) + 1,
                          activation_price=max(TICK[symbol], stop) if p["stop_offset"] % 2 else 0)
        elif kind not in ("LIMIT", "MARKET"):
            kwargs.update(stop_price=max(TICK[symbol], stop))
        self._try(self.engine.place_order, self.ids[who], symbol, p["side"], kind, **kwargs)

    # placing is most of what happens on an exchange: three rules place, so it is drawn three times as often
    @rule(who=accounts, symbol=symbols, p=orders)
    def place_again(self, who, symbol, p):
        self.place(who, symbol, p)

    @rule(who=accounts, symbol=symbols, p=orders)
    def place_once_more(self, who, symbol, p):
        self.place(who, symbol, p)

    @rule(who=accounts, pick=st.integers(0, 20))
    def cancel(self, who, pick):
        open_orders = self.engine.open_orders(self.ids[who])
        if open_orders:
            order = open_orders[pick % len(open_orders)]
            self._try(self.engine.cancel_order, self.ids[who], order.symbol, order.order_id)

    @rule(who=accounts, symbol=symbols)
    def cancel_all(self, who, symbol):
        self._try(self.engine.cancel_all, self.ids[who], symbol)

    @rule(who=accounts, pick=st.integers(0, 20), offset=st.integers(-20, 20), units=st.integers(1, 30))
    def modify(self, who, pick, offset, units):
        open_orders = self.engine.open_orders(self.ids[who])
        if open_orders:
            order = open_orders[pick % len(open_orders)]
            mark = self.engine.mark(order.symbol)
            self._try(self.engine.modify_order, self.ids[who], order.symbol, order.side, units * UNIT[order.symbol],
                      mark - mark % TICK[order.symbol] + offset * TICK[order.symbol] * 5, order_id=order.order_id)

    @rule(who=accounts, symbol=symbols, leverage=st.integers(0, 130))
    def leverage(self, who, symbol, leverage):
        self._try(self.engine.set_leverage, self.ids[who], symbol, leverage)

    @rule(who=accounts, symbol=symbols, isolated=st.booleans())
    def margin_type(self, who, symbol, isolated):
        self._try(self.engine.set_margin_type, self.ids[who], symbol, "ISOLATED" if isolated else "CROSSED")

    @rule(who=accounts, dual=st.booleans())
    def position_mode(self, who, dual):
        self._try(self.engine.set_position_mode, self.ids[who], dual)

    @rule(who=accounts, symbol=symbols, amount=st.integers(1, 500), add=st.booleans(),
          side=st.sampled_from(("BOTH", "LONG", "SHORT")))
    def isolated_margin(self, who, symbol, amount, add, side):
        self._try(self.engine.adjust_margin, self.ids[who], symbol, a(str(amount)), add, side)

    @rule(who=accounts, amount=st.integers(1, 3000), out=st.booleans())
    def money(self, who, amount, out):
        fn = self.engine.withdraw if out else self.engine.deposit
        self._try(fn, self.ids[who], "USDT", a(str(amount)))

    @rule(symbol=symbols, move=st.integers(-150, 150))
    def index(self, symbol, move):
        start = len(self.events)
        price = max(TICK[symbol], MID[symbol] + move * MID[symbol] // 1000)
        self.engine.set_index(symbol, price - price % TICK[symbol])
        self._liquidated_where_due(start, symbol)

    @rule(symbol=symbols, premium=st.integers(-50, 50))
    def premium(self, symbol, premium):
        start = len(self.events)
        if self._try(self.engine.set_premium, symbol, premium * TICK[symbol]) is not None:
            self._liquidated_where_due(start, symbol)

    @rule(symbol=symbols, rate=st.integers(-75, 75))
    def funding(self, symbol, rate):
        start = len(self.events)
        self.engine.set_funding_rate(symbol, Decimal(rate) / 10_000)
        self.engine.settle_funding(symbol)
        self._liquidated_where_due(start, symbol)

    def _liquidated_where_due(self, start: int, symbol: str) -> None:
        """After a mark move or a settlement of `symbol`, no account holding it is left at or under maintenance
        without a liquidation attempt in that operation (a book too thin to close it leaves the position)."""
        forced = {e.order.account_id for e in self.events[start:] if e.kind == "force_order"}
        holders = {key[0] for key in self.engine.open_positions[symbol]}
        for account_id in self.ids:
            if account_id not in holders:
                continue
            figures = risk(self.engine, account_id, "USDT")
            cross = [p for p in figures.positions if p.margin_type != "ISOLATED"]
            under = cross and figures.cross_margin_balance <= figures.cross_maint
            for p in figures.positions:
                if p.margin_type == "ISOLATED":
                    inst = self.engine.instruments[p.symbol]
                    mark = self.engine.mark(p.symbol)
                    under = under or p.isolated_wallet + p.unrealized(mark, inst.base_unit) <= \
                        inst.maint_margin(p.notional(mark, inst.base_unit))
            assert not under or account_id in forced, (account_id, figures)

    @rule(ms=st.sampled_from((1_000, 60_000, 3_600_000, 8 * 3_600_000)))
    def time_passes(self, ms):
        self.clock.advance(ms)
        self.engine.tick(self.clock.now_ms())

    # --- invariants ----------------------------------------------------------------------------------
    @invariant()
    def audited(self):
        problems = audit_perp(self.engine)
        assert not problems, problems

    @invariant()
    def wallets_follow_their_income(self):
        """Each account's wallet is exactly the sum of its income rows (all kept: few operations)."""
        paid = 0
        for account_id in self.ids:
            rows = self.engine.income_of(account_id)
            wallet = self.engine.balance_row(account_id, "USDT").wallet_balance
            assert wallet == sum(r.income for r in rows), (account_id, wallet, rows[-3:])
            paid += sum(r.income for r in rows if r.income_type == "FUNDING_FEE")
        assert paid == self.engine.funding_total.get("USDT", 0) <= len(self.ids) * 2 * len(SYMBOLS) * 100

    @invariant()
    def shown_figures_hold(self):
        for account_id in self.ids:
            view = self.engine.account_view(account_id)
            assert all(row.available_balance >= 0 and row.max_withdraw_amount >= 0 for row in view.assets)
            assert view.totals.margin_balance == view.totals.wallet_balance + view.totals.unrealized

    @invariant()
    def reduce_only_never_grows_a_position(self):
        """A working reduce-only (or hedge-mode closing) order never holds more than its position could close."""
        for account_id in self.ids:
            for order in self.engine.open_orders(account_id):
                if order.working_time >= 0 and (order.reduce_only or closes(order.position_side, order.is_buy)):
                    closable = self.engine.position_size(account_id, order.symbol, order.position_side,
                                                         order.is_buy)
                    assert order.remaining <= closable, (order, closable)

    @invariant()
    def sequence_has_no_gaps(self):
        assert [e.seq for e in self.events] == list(range(1, len(self.events) + 1))


FuturesMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=80, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestFuturesInvariants = FuturesMachine.TestCase
