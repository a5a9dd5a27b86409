"""The USD-M side of a venue: arranging perpetual scenes and reading what the futures engine knows.

Written against the engine API the perpetuals work publishes (`sim.futures`, a FuturesEngine). Anything that
API does not offer yet makes the check skip with the missing piece named, never fail: the perpetual level
runs as soon as the simulator serves it.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from simulator.control.errors import ControlError

from conformance.framework import CheckSkipped
from conformance.venue import Venue

FUTURES_DEPOSIT = Decimal("100000")
MAKER_FUTURES_DEPOSIT = Decimal("100000000")


class Futures:
    def __init__(self, venue: Venue):
        self.venue = venue
        engine = getattr(venue.sim, "futures", None)
        if engine is None or not getattr(engine, "instruments", None):
            raise CheckSkipped("the simulator has no USD-M engine (sim.futures) with instruments yet")
        self.engine = engine

    def need(self, name: str) -> Any:
        """An engine operation, or a skip naming what the simulator lacks."""
        op = getattr(self.engine, name, None)
        if op is None:
            raise CheckSkipped(f"the simulator's futures engine has no {name}() yet")
        return op

    def inst(self, pair: str):
        return self.engine.instruments[self.venue.symbol(pair)]

    def _atoms_asset(self, amount: Decimal) -> int:
        return int(amount * 10 ** 8)

    # --- arranging --------------------------------------------------------------------------------------
    def fund(self) -> None:
        """Both the subject's and the maker's futures wallets get USDT."""
        deposit = self.need("deposit")
        deposit(self.venue.subject_id, "USDT", self._atoms_asset(FUTURES_DEPOSIT))
        deposit(self.venue.maker_id, "USDT", self._atoms_asset(MAKER_FUTURES_DEPOSIT))

    def quote(self, pair: str, side: str, price: Decimal, qty: Decimal, account_id: Optional[int] = None,
              tif: str = "GTC") -> Any:
        inst = self.inst(pair)
        return self.need("place_order")(account_id or self.venue.maker_id, inst.symbol, side, "LIMIT",
                                        qty=inst.parse_qty(qty), price=inst.parse_price(price), tif=tif)

    def ladder(self, pair: str, mid: Decimal, step: Decimal, qty: Decimal, levels: int = 5) -> None:
        for i in range(levels):
            self.quote(pair, "SELL", mid + step * (i + 1), qty)
            self.quote(pair, "BUY", mid - step * (i + 1), qty)

    def take(self, order_id: int, qty: Decimal) -> Any:
        """The maker's counter-order trades `qty` of the subject's resting order at its price."""
        order = self.engine.orders[order_id]
        inst = self.engine.instruments[order.symbol]
        side = "SELL" if order.side == "BUY" else "BUY"
        return self.need("place_order")(self.venue.maker_id, order.symbol, side, "LIMIT", qty=inst.parse_qty(qty),
                                        price=order.price, tif="IOC")

    # --- reading --------------------------------------------------------------------------------------------
    def order(self, client_order_id: str) -> Optional[Any]:
        for order in self.engine.orders.values():
            if order.client_id == client_order_id and order.account_id == self.venue.subject_id:
                return order
        return None

    def positions(self) -> list[tuple]:
        """(pair, position side, signed amount, entry price) of every non-zero position of the subject."""
        out = []
        for row in self.need("position_rows")(self.venue.subject_id):
            if row.amt:
                inst = self.engine.instruments[row.symbol]
                out.append((f"{inst.base}-{inst.quote}", row.position_side, Decimal(inst.format_qty(row.amt))
                            if row.amt > 0 else -Decimal(inst.format_qty(-row.amt)), Decimal(row.entry_price)))
        return sorted(out)

    def leverage(self, pair: str) -> int:
        return self.need("leverage_of")(self.venue.subject_id, self.venue.symbol(pair))

    def margin_type(self, pair: str) -> str:
        return self.need("settings_of")(self.venue.subject_id).margin_type_of(self.venue.symbol(pair))

    def dual_side(self) -> bool:
        return self.need("settings_of")(self.venue.subject_id).dual_side

    def index(self, pair: str) -> Decimal:
        inst = self.inst(pair)
        return Decimal(inst.format_price(self.need("index")(inst.symbol)))

    def wallet(self) -> tuple[Decimal, Decimal]:
        """(wallet balance, available balance) of USDT."""
        view = self.need("account_view")(self.venue.subject_id)
        for asset in view.assets:
            if asset.asset == "USDT":
                return Decimal(asset.wallet_balance) / 10 ** 8, Decimal(asset.available_balance) / 10 ** 8
        return Decimal(0), Decimal(0)

    def fills(self, client_order_id: str) -> list[tuple]:
        """(trade id, price, amount, fee asset, fee) of the subject's order's trades."""
        order = self.order(client_order_id)
        if order is None:
            return []
        account = self.engine.accounts[self.venue.subject_id]
        inst = self.engine.instruments[order.symbol]
        out = []
        for trade, mine in account.trades.get(order.symbol, ()):
            if mine is order:
                fee, asset = trade.fee_for(order)
                out.append((str(trade.trade_id), Decimal(inst.format_price(trade.price)),
                            Decimal(inst.format_qty(trade.qty)), asset, Decimal(fee) / 10 ** 8))
        return sorted(out)

    def funding_incomes(self) -> list[tuple]:
        """(pair, signed amount) of each FUNDING_FEE income of the subject, oldest first."""
        out = []
        for record in self.need("income_of")(self.venue.subject_id):
            if record.income_type == "FUNDING_FEE":
                inst = self.engine.instruments[record.symbol]
                out.append((f"{inst.base}-{inst.quote}", Decimal(record.income) / 10 ** 8))
        return out

    def mark(self, pair: str) -> Any:
        return self.need("mark_view")(self.venue.symbol(pair))

    def settle_funding(self, pair: str) -> None:
        """Funding settles now, through the control plane (the clock stays where it is: a connector is not made
        to resync its clock by the scene); on a simulator without that operation, by moving the clock to the
        symbol's next funding time."""
        try:
            self.venue.control.settle_funding(self.venue.symbol(pair))
            return
        except ControlError:
            pass
        view = self.mark(pair)
        now = self.venue.sim.clock.now_ms()
        self.venue.control.advance_clock(max(0, view.next_funding_time - now) + 1)
        self.venue.sim.tick()

    def flip_funding_rate(self, pair: str) -> Decimal:
        """funding-flip.yaml's first rate (negative: longs are paid) becomes the symbol's next funding rate."""
        from conformance.scenes import scenario_step
        rate = Decimal(scenario_step("funding-flip", "fundingRate")["rate"])
        self.need("set_funding_rate")(self.venue.symbol(pair), rate)
        return rate

    def set_index(self, pair: str, price: Decimal) -> Any:
        """The index (and so the mark) moves to `price`: positions are marked, and liquidated if need be."""
        inst = self.inst(pair)
        return self.need("set_index")(inst.symbol, inst.parse_price(inst.format_price(inst.parse_price(price))))
