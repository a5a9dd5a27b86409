"""The control plane's perpetual (USD-M) operations: futures wallets and transfers, positions, funding
(settle now, the next rate, the mark), orders on behalf of any account, and the futures engine's recent events.

A mixin of `Control` (api.py), which brings the shared helpers (`_account`, `_asset`, `_atoms`, `_fmt`); every
method validates its whole input with simulator.inputs before changing anything and answers a JSON-ready dict,
as the rest of the control plane does. Amounts are decimal strings in and out; rates are decimal strings.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulator.control.errors import ControlError, bad_request, conflict
from simulator.engine.perp.income import INCOME_TYPES
from simulator.engine.perp.numbers import format_decimal8
from simulator.engine.perp.order import PERP_ORDER_TYPES, POSITION_SIDES, WORKING_TYPES, PerpOrder
from simulator.engine.perp.position import MARGIN_TYPES
from simulator.engine.order import SIDES
from simulator.engine.rejection import Reject, Rejected
from simulator.inputs import MAX_ATOMS, boolean, decimal, integer, one_of, text

MAX_FUNDING_RATE = Decimal("0.03")  # Binance's largest caps are 3 % per interval
TRANSFER_TYPES = ("MAIN_UMFUTURE", "UMFUTURE_MAIN")
MAX_EVENTS = 10_000


class FuturesControl:
    sim: Any

    # --- helpers ---------------------------------------------------------------------------------------
    @property
    def futures(self):
        return self.sim.futures

    def _perp(self, symbol: Any, name: str = "symbol"):
        symbol = text(symbol, name).upper()
        inst = self.futures.instruments.get(symbol)
        if inst is None:
            raise ControlError("unknown_perpetual", f"{name}: no perpetual {symbol} (configured: "
                                                    f"{', '.join(sorted(self.futures.instruments)) or 'none'})", 404)
        return inst

    def _refused(self, exc: Rejected, code: str = "refused", status: int = 409) -> ControlError:
        if exc.reason is Reject.INSUFFICIENT_BALANCE:
            return conflict("insufficient_balance", f"the futures engine refused: {exc}")
        return ControlError(code, f"the futures engine refused: {exc}", status, reason=exc.reason.value)

    def _money(self, asset: str, atoms: int) -> str:
        return self.sim.format_amount(asset, atoms)

    def render_futures_order(self, order: PerpOrder) -> dict[str, Any]:
        inst = self.futures.instruments[order.symbol]
        return {
            "orderId": order.order_id, "clientOrderId": order.client_id, "accountId": order.account_id,
            "symbol": order.symbol, "side": order.side, "positionSide": order.position_side, "type": order.type,
            "timeInForce": order.tif, "price": inst.format_price(order.price),
            "origQty": inst.format_qty(order.qty), "executedQty": inst.format_qty(order.executed),
            "cumQuote": inst.format_quote(order.cum_quote), "stopPrice": inst.format_price(order.stop_price),
            "reduceOnly": order.reduce_only, "closePosition": order.close_position,
            "workingType": order.working_type, "status": order.status,
            "realizedPnl": self._money(inst.margin_asset, order.realized_pnl), "time": order.time,
            "updateTime": order.update_time,
        }

    # --- accounts --------------------------------------------------------------------------------------
    def futures_summary(self, account_id: int) -> dict[str, Any]:
        """The account's futures wallet, settings and positions (part of GET /accounts/{id})."""
        futures = self.futures
        if account_id not in futures.accounts:
            return {"wallet": {}, "positions": [], "dualSidePosition": False, "openOrders": []}
        view = futures.account_view(account_id)
        wallet = {row.asset: {"walletBalance": self._money(row.asset, row.wallet_balance),
                              "crossWalletBalance": self._money(row.asset, row.cross_wallet_balance),
                              "unrealizedProfit": self._money(row.asset, row.unrealized),
                              "marginBalance": self._money(row.asset, row.margin_balance),
                              "availableBalance": self._money(row.asset, row.available_balance),
                              "initialMargin": self._money(row.asset, row.initial_margin),
                              "maintMargin": self._money(row.asset, row.maint_margin)}
                  for row in view.assets}
        positions = []
        for row in futures.position_rows(account_id):
            if not row.amt and not row.isolated_wallet:
                continue
            inst = futures.instruments[row.symbol]
            asset = inst.margin_asset
            positions.append({
                "symbol": row.symbol, "positionSide": row.position_side, "positionAmt": inst.format_qty(row.amt),
                "entryPrice": format_decimal8(row.entry_price), "markPrice": inst.format_price(row.mark_price),
                "unRealizedProfit": self._money(asset, row.unrealized),
                "liquidationPrice": format_decimal8(row.liquidation_price), "leverage": row.leverage,
                "marginType": row.margin_type, "isolatedWallet": self._money(asset, row.isolated_wallet),
                "notional": self._money(asset, row.notional), "maintMargin": self._money(asset, row.maint_margin)})
        return {"wallet": wallet, "positions": positions, "dualSidePosition": view.dual_side,
                "openOrders": [self.render_futures_order(o) for o in futures.open_orders(account_id)]}

    def futures_account(self, account_id: int) -> dict[str, Any]:
        account = self._account(account_id)
        return {"accountId": account.account_id, **self.futures_summary(account.account_id)}

    def futures_deposit(self, account_id: int, asset: str, amount: Any) -> dict[str, Any]:
        account = self._account(account_id)
        asset = self._asset(asset)
        units = self._atoms(asset, amount)
        self.futures.ensure_account(account.account_id, account.name, account.fee_tier)
        row = self.futures.balance_row(account.account_id, asset)
        if row.wallet_balance + units > MAX_ATOMS:
            raise bad_request(f"amount: the futures wallet would exceed {self._money(asset, MAX_ATOMS)} {asset}")
        self.futures.deposit(account.account_id, asset, units)
        return self.futures_account(account.account_id)

    def futures_withdraw(self, account_id: int, asset: str, amount: Any) -> dict[str, Any]:
        account = self._account(account_id)
        asset = self._asset(asset)
        units = self._atoms(asset, amount)
        if account.account_id not in self.futures.accounts:
            raise conflict("insufficient_balance", f"account {account.account_id} has no futures wallet")
        try:
            self.futures.withdraw(account.account_id, asset, units)
        except Rejected as exc:
            raise self._refused(exc) from None
        return self.futures_account(account.account_id)

    def transfer(self, account_id: int, asset: str, amount: Any, type: str) -> dict[str, Any]:
        """Between the account's spot and futures wallets: MAIN_UMFUTURE (spot -> futures) or UMFUTURE_MAIN."""
        account = self._account(account_id)
        asset = self._asset(asset)
        units = self._atoms(asset, amount)
        direction = one_of(TRANSFER_TYPES)(text(type, "type").upper(), "type")
        if direction == "MAIN_UMFUTURE" and account.account_id in self.futures.accounts and \
                self.futures.balance_row(account.account_id, asset).wallet_balance + units > MAX_ATOMS:
            raise bad_request(f"amount: the futures wallet would exceed {self._money(asset, MAX_ATOMS)} {asset}")
        if direction == "UMFUTURE_MAIN" and account.free(asset) + account.locked(asset) + units > MAX_ATOMS:
            raise bad_request(f"amount: the spot balance would exceed {self._money(asset, MAX_ATOMS)} {asset}")
        try:
            moved = self.sim.transfer(account.account_id, asset, units, direction == "MAIN_UMFUTURE")
        except Rejected as exc:
            raise self._refused(exc) from None
        return {"tranId": moved.tran_id, "accountId": account.account_id, "asset": asset, "type": direction,
                "amount": self._money(asset, units), "spot": self._balances(account).get(asset),
                "futures": self.futures_summary(account.account_id)["wallet"].get(asset)}

    # --- funding and prices ----------------------------------------------------------------------------
    def funding(self) -> dict[str, Any]:
        """Every perpetual's index, mark, rate to be applied next, next funding time and the insurance fund."""
        futures = self.futures
        out = {}
        for symbol in sorted(futures.instruments):
            inst, view = futures.instruments[symbol], futures.mark_view(symbol)
            out[symbol] = {"indexPrice": None if view.index is None else inst.format_price(view.index),
                           "markPrice": None if view.mark is None else inst.format_price(view.mark),
                           "premium": inst.format_price(futures.prices[symbol].premium),
                           "nextFundingRate": str(view.last_funding_rate),
                           "rateSet": futures.funding[symbol].override is not None,
                           "nextFundingTime": view.next_funding_time,
                           "intervalHours": inst.funding_interval_hours,
                           "openInterest": inst.format_qty(futures.open_interest(symbol))}
        assets = sorted({inst.margin_asset for inst in futures.instruments.values()})
        return {"perpetuals": out,
                "insuranceFund": {asset: self._money(asset, futures.insurance_fund(asset)) for asset in assets}}

    def settle_funding(self, symbol: str | None = None) -> dict[str, Any]:
        """Settle funding now (all perpetuals, or one): every position open now pays or receives."""
        if symbol is not None:
            symbol = self._perp(symbol).symbol
        elif not self.futures.instruments:
            raise conflict("no_perpetuals", "this simulator's config has no perpetuals")
        if symbol is not None and self.futures.mark(symbol) is None:
            raise conflict("no_mark_price", f"symbol: {symbol} has no index price yet (set one first)")
        result = self.futures.settle_funding(symbol)
        return {"settled": [{"symbol": s.symbol, "fundingRate": str(s.rate), "fundingTime": s.funding_time,
                             "markPrice": self.futures.instruments[s.symbol].format_price(s.mark),
                             "payers": s.payers, "receivers": s.receivers} for s in result.settlements],
                "liquidated": [self.render_futures_order(o) for o in result.liquidated], **self.funding()}

    def set_funding_rate(self, symbol: str, rate: Any = None) -> dict[str, Any]:
        """The rate the next settlement of `symbol` applies (null: computed again from the premium)."""
        inst = self._perp(symbol)
        if rate is not None:
            rate = decimal(rate, "rate", minimum=-MAX_FUNDING_RATE, maximum=MAX_FUNDING_RATE)
            if rate != rate.quantize(Decimal("0.00000001")):
                raise bad_request("rate: at most 8 decimals")
        self.futures.set_funding_rate(inst.symbol, rate)
        return self.funding()

    def set_mark(self, symbol: str, price: Any = None, premium: Any = None, index: Any = None) -> dict[str, Any]:
        """Move the mark: to `price` (the premium over the index becomes the difference), or by a `premium`
        (signed) over the index; or set the perpetual's `index` alone (a simulator without a market maker has no
        other index: with one, POST /prices/index moves both markets). The premium then decays toward the book's
        own basis; positions the move leaves without margin are liquidated."""
        inst = self._perp(symbol)
        if sum(value is not None for value in (price, premium, index)) != 1:
            raise bad_request("give exactly one of markPrice, premium and indexPrice")
        if index is not None:
            atoms = self._parse(inst, index, "indexPrice", "price")
            if atoms < inst.tick:
                raise bad_request(f"indexPrice: must be at least one tick ({inst.format_price(inst.tick)})")
            result = self.futures.set_index(inst.symbol, atoms)
            return {"liquidated": [self.render_futures_order(o) for o in result.orders], **self.funding()}
        index = self.futures.index(inst.symbol)
        if index is None:
            raise conflict("no_index_price", f"symbol: {inst.symbol} has no index price yet (set one first)")
        if price is not None:
            mark = self._parse(inst, price, "markPrice", "price")
            if mark < inst.tick:
                raise bad_request(f"markPrice: must be at least one tick ({inst.format_price(inst.tick)})")
            premium_atoms = mark - index
        else:
            premium_atoms = _signed_atoms(premium, inst.quote_precision)
            if index + premium_atoms < inst.tick or abs(premium_atoms) > MAX_ATOMS // 2:
                raise bad_request("premium: the mark (index + premium) must stay at least one tick")
        result = self.futures.set_premium(inst.symbol, premium_atoms)
        return {"liquidated": [self.render_futures_order(o) for o in result.orders], **self.funding()}

    def drive_futures_index(self, symbol: str, price: int) -> list[dict[str, Any]]:
        """The index moved (control plane): the perpetual of the same name follows it. Returns liquidations."""
        if symbol not in self.futures.instruments:
            return []
        mm = self.sim.market_maker
        perp = getattr(mm, "perp", None)
        if perp is not None and symbol in perp.symbols and not self.sim.market_paused:
            # the perpetual book moves to the new index first: a liquidation the gap causes meets that book
            self.futures.set_index(symbol, price, check=False)
            perp.requote(symbol)
            result = self.futures.check_marks(symbol)
        else:
            result = self.futures.set_index(symbol, price)
        return [self.render_futures_order(o) for o in result.orders]

    # --- settings and orders on behalf of an account ---------------------------------------------------
    def futures_settings(self, account_id: int, symbol: str | None = None, leverage: Any = None,
                         margin_type: str | None = None, dual_side: Any = None) -> dict[str, Any]:
        """Set an account's position mode, and a symbol's leverage and margin type (each optional)."""
        account = self._account(account_id)
        inst = self._perp(symbol) if symbol is not None else None
        if inst is None and (leverage is not None or margin_type is not None):
            raise bad_request("symbol: required with leverage or marginType")
        leverage = integer(leverage, "leverage", 1, 125) if leverage is not None else None
        margin_type = one_of(MARGIN_TYPES)(text(margin_type, "marginType").upper(), "marginType") \
            if margin_type is not None else None
        dual_side = boolean(dual_side, "dualSidePosition") if dual_side is not None else None
        futures = self.futures
        futures.ensure_account(account.account_id, account.name, account.fee_tier)
        try:
            if dual_side is not None and futures.settings_of(account.account_id).dual_side != dual_side:
                futures.set_position_mode(account.account_id, dual_side)
            if margin_type is not None and futures.settings_of(account.account_id).margin_type_of(
                    inst.symbol) != margin_type:
                futures.set_margin_type(account.account_id, inst.symbol, margin_type)
            if leverage is not None:
                futures.set_leverage(account.account_id, inst.symbol, leverage)
        except Rejected as exc:
            raise self._refused(exc) from None
        return self.futures_account(account.account_id)

    def futures_order(self, account_id: int, symbol: str, side: str, type: str, quantity: Any = None,
                      price: Any = None, time_in_force: str | None = None, stop_price: Any = None,
                      position_side: str = "BOTH", reduce_only: Any = False, close_position: Any = False,
                      working_type: str = "CONTRACT_PRICE", client_order_id: str | None = None) -> dict[str, Any]:
        """A futures order on behalf of any account, through the engine's normal path (margin, matching)."""
        account = self._account(account_id)
        inst = self._perp(symbol)
        kwargs: dict[str, Any] = {
            "qty": self._parse(inst, quantity, "quantity", "qty") if quantity is not None else 0,
            "price": self._parse(inst, price, "price", "price") if price is not None else 0,
            "stop_price": self._parse(inst, stop_price, "stopPrice", "price") if stop_price is not None else 0,
            "tif": text(time_in_force, "timeInForce").upper() if time_in_force is not None else None,
            "client_id": text(client_order_id, "newClientOrderId") if client_order_id is not None else None,
            "position_side": one_of(POSITION_SIDES)(text(position_side, "positionSide").upper(), "positionSide"),
            "reduce_only": boolean(reduce_only, "reduceOnly"),
            "close_position": boolean(close_position, "closePosition"),
            "working_type": one_of(WORKING_TYPES)(text(working_type, "workingType").upper(), "workingType"),
        }
        side = one_of(SIDES)(text(side, "side").upper(), "side")
        type = one_of(PERP_ORDER_TYPES)(text(type, "type").upper(), "type")
        self.futures.ensure_account(account.account_id, account.name, account.fee_tier)
        try:
            result = self.futures.place_order(account.account_id, inst.symbol, side, type, **kwargs)
        except Rejected as exc:
            raise self._refused(exc, "order_rejected", 400) from None
        return {"order": self.render_futures_order(result.order),
                "trades": [{"tradeId": t.trade_id, "price": inst.format_price(t.price),
                            "qty": inst.format_qty(t.qty)} for t in result.trades]}

    def take_futures(self, order_id: int, qty: Any) -> dict[str, Any]:
        """Trade exactly `qty` of a resting futures order at its price against the control plane's counterparty
        (the spot `take`'s twin; the counterparty's futures wallet is funded with the margin it lacks)."""
        order_id = integer(order_id, "orderId", 1)
        maker = self.futures.orders.get(order_id)
        if maker is None:
            raise ControlError("unknown_order", f"no futures order {order_id}", 404)
        inst = self.futures.instruments[maker.symbol]
        atoms = self._parse(inst, qty, "qty", "qty")
        result = self.sim.counterparty.take_futures(self.futures, order_id, atoms)
        return {"order": self.render_futures_order(maker), "taker": self.render_futures_order(result.order),
                "trades": [{"tradeId": t.trade_id, "price": inst.format_price(t.price),
                            "qty": inst.format_qty(t.qty)} for t in result.trades]}

    def cancel_futures_order(self, order_id: int) -> dict[str, Any]:
        """Cancel any account's open futures order (a scenario's own, at its clean-up)."""
        order_id = integer(order_id, "orderId", 1)
        order = self.futures.orders.get(order_id)
        if order is None:
            raise ControlError("unknown_order", f"no futures order {order_id}", 404)
        if not order.is_open:
            raise conflict("order_not_open", f"futures order {order_id} is {order.status}")
        self.futures.cancel_order(order.account_id, order.symbol, order.order_id)
        return {"order": self.render_futures_order(order)}

    def futures_income(self, account_id: int, income_type: str | None = None, symbol: str | None = None,
                       limit: int = 1000) -> dict[str, Any]:
        """An account's futures income rows (as /fapi/v1/income lists them), newest last, optionally one type and
        one symbol; the most recent `limit`."""
        account = self._account(account_id)
        income_type = one_of(INCOME_TYPES)(text(income_type, "incomeType").upper(), "incomeType") \
            if income_type is not None else None
        symbol = self._perp(symbol).symbol if symbol is not None else None
        limit = integer(limit, "limit", 1, MAX_EVENTS)
        if account.account_id not in self.futures.accounts:
            return {"income": []}
        rows = [r for r in self.futures.income_of(account.account_id)
                if (income_type is None or r.income_type == income_type) and (symbol is None or r.symbol == symbol)]
        return {"income": [{"tranId": r.tran_id, "symbol": r.symbol, "incomeType": r.income_type,
                            "income": self._money(r.asset, r.income), "asset": r.asset, "info": r.info,
                            "time": r.time, "tradeId": r.trade_id} for r in rows[-limit:]]}

    def futures_stats(self) -> dict[str, Any]:
        """How much the futures engine holds (GET /stats' "futures"): bounded by the same retention as spot."""
        futures = self.futures
        accounts = futures.accounts.values()
        open_orders = sum(len(account.open_orders) for account in accounts)
        return {
            "orders": len(futures.orders), "openOrders": open_orders,
            "accountTrades": sum(len(history) for account in accounts for history in account.trades.values()),
            "marketTrades": sum(len(data.trades) for data in futures.market.values()),
            "klines": sum(len(data.klines) for data in futures.market.values()),
            "priceKlines": sum(len(k.rows) for kinds in futures.price_klines.values() for k in kinds.values()),
            "incomeRows": sum(len(rows) for rows in futures.income.rows.values()),
            "fundingHistory": sum(len(f.history) for f in futures.funding.values()),
            "forceOrders": len(futures.force_orders), "positions": len(futures.positions),
            "openPositions": sum(len(p) for p in futures.open_positions.values()),
            "recentEvents": len(self.sim.recent_futures_events), "seq": futures.seq,
        }

    def futures_events(self, after: int = 0, limit: int = 1000, kind: str | None = None) -> dict[str, Any]:
        """Recent futures engine events with seq > after (its own sequence), oldest first."""
        after = integer(after, "after", 0)
        limit = min(integer(limit, "limit", 1), MAX_EVENTS)
        recent = self.sim.recent_futures_events
        last = self.futures.seq
        oldest = recent[0].seq if recent else last + 1
        picked = []
        for event in recent:
            if event.seq > after and (kind is None or event.kind == kind):
                picked.append(event.as_dict())
                if len(picked) >= limit:
                    break
        return {"events": picked, "lastSeq": last, "gap": after + 1 < oldest and after < last}


def _signed_atoms(value: Any, precision: int) -> int:
    """A signed decimal amount in atoms of `precision` decimals, bounded to 64 bits."""
    number = decimal(value, "premium", minimum=-Decimal(MAX_ATOMS).scaleb(-precision),
                     maximum=Decimal(MAX_ATOMS).scaleb(-precision))
    scaled = number.scaleb(precision)
    if scaled != scaled.to_integral_value():
        raise bad_request(f"premium: more than {precision} decimals")
    return int(scaled)
