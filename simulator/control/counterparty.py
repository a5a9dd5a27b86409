"""The control plane's own trading account, and 'take N of this resting order'.

`take(order_id, qty)` makes exactly `qty` of one resting order trade, at that order's price, against a
dedicated counterparty account (funded with exactly the shortfall, as a recorded deposit), and touches nothing
else in the book.

Why not simply send an opposite order? Price-time priority. A LIMIT IOC at the target's price first sweeps every
better-priced level, then every order ahead of the target in its own level's queue; sizing it "queue ahead + N"
would trade with (and change the state of) all those other orders too, some of them perhaps the connector's own,
and self-trade prevention could expire others on the way. An order that trades only with the target exists only
when nothing is ahead of it, so instead the counterparty's order is matched against a one-step plan holding just
the target: the same engine code path as a normal match (NEW for the taker, TRADE for both, the taker FILLED,
balances, one depth update, stop triggers on the new last price), only the choice of maker is ours.
The engine's `fill_order` does exactly that.
"""
from __future__ import annotations

from simulator.control.errors import ControlError, bad_request, conflict, not_found
from simulator.engine.engine import Engine, PlaceResult
from simulator.engine.order import Order
from simulator.engine.rejection import Rejected

NAME = "exsim-counterparty"


class Counterparty:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.account_id: int | None = None  # opened on first use, so config account ids never shift

    def ensure_account(self) -> int:
        if self.account_id is None:
            self.account_id = self.engine.open_account(NAME).account_id
        return self.account_id

    def fund(self, asset: str, needed: int) -> None:
        """Deposit what the counterparty lacks to have `needed` atoms of `asset` free (nothing if it has them)."""
        account = self.engine.account(self.ensure_account())
        shortfall = needed - account.free(asset)
        if shortfall > 0:
            self.engine.deposit(account.account_id, asset, shortfall)

    def check_take(self, order_id: int, qty: int) -> Order:
        """The resting order `qty` of which can be taken now, or a ControlError saying why not."""
        engine = self.engine
        maker = engine.orders.get(order_id)
        if maker is None:
            raise not_found("order", order_id)
        if not maker.is_open:
            raise conflict("order_not_open", f"order {order_id} is {maker.status}: nothing rests to take")
        book = engine.books[maker.symbol]
        level = book.side(maker.is_buy).level(maker.price) if maker.is_working else None
        if level is None or maker.order_id not in level.orders:
            raise conflict("order_not_resting", f"order {order_id} is not on the book (a stop order waiting "
                                                 "for its trigger?)")
        if maker.account_id == self.account_id:
            raise conflict("own_order", f"order {order_id} belongs to the counterparty account itself")
        inst = engine.instruments[maker.symbol]
        if inst.status != "TRADING":
            raise conflict("symbol_not_trading", f"{maker.symbol} is {inst.status}: no trade can happen")
        if type(qty) is not int or qty <= 0:
            raise bad_request("qty: must be positive")
        if qty % inst.step:
            raise bad_request(f"qty: {inst.format_qty(qty)} is not a multiple of the step size "
                              f"{inst.format_qty(inst.step)}")
        if qty > maker.remaining:
            raise bad_request(f"qty: {inst.format_qty(qty)} is more than order {order_id} has left "
                              f"({inst.format_qty(maker.remaining)})")
        return maker

    def take(self, order_id: int, qty: int) -> PlaceResult:
        """Trade exactly `qty` of resting order `order_id` at its price; the counterparty is the taker."""
        maker = self.check_take(order_id, qty)
        engine = self.engine
        inst = engine.instruments[maker.symbol]
        is_buy = not maker.is_buy
        need = inst.notional(maker.price, qty) if is_buy else qty
        self.fund(inst.quote if is_buy else inst.base, need)
        return engine.fill_order(maker.order_id, qty, self.account_id)

    def take_futures(self, futures, order_id: int, qty: int) -> PlaceResult:
        """`take` on the USD-M engine `futures`: the same account (its futures side), its futures wallet funded
        with the margin it lacks (1x leverage and the fees, with room to spare)."""
        checker = Counterparty(futures)
        checker.account_id = self.ensure_account()
        maker = checker.check_take(order_id, qty)  # the spot take's refusals, on the futures book
        taker = checker.account_id
        futures.ensure_account(taker, NAME, keeps_history=False)
        inst = futures.instruments[maker.symbol]
        shortfall = 2 * inst.notional(maker.price, qty) - max(0, futures.risk(taker, inst.margin_asset).available_raw)
        if shortfall > 0:
            futures.deposit(taker, inst.margin_asset, shortfall)
        try:
            return futures.fill_order(maker.order_id, qty, taker)
        except Rejected as exc:
            raise ControlError("refused", f"the futures engine refused the fill: {exc}", 409) from None
