"""The control plane's operations on a Simulator, in-process: `Control(sim).deposit(1, "USDT", "100")`.

Every method validates all of its input before it changes anything, raises `ControlError` (code, message, 4xx
status) when it refuses, and returns a JSON-ready dict: exactly what the HTTP route of the same name answers.
`ROUTES` (simulator.control.routes) maps each operation to its HTTP method, path and JSON field names; the
server (`control.http`) and the client (`control.client`) are both generated from it, so the three can never
disagree.

Input is read with `simulator.inputs`: every number is bounded before any arithmetic (a clock move or skew to a
few years, amounts, prices and quantities to 64-bit atoms of their asset, ids and counts to 64 bits), and a
value it refuses becomes a 400 naming the field. Decimal amounts are strings in and out ("0.25"); ints and
Decimals are accepted in-process, never floats (the HTTP layer keeps JSON floats as `NumberText`, refused the
same way). Deposits take only the assets the config lists. Event dicts (`events`) are the engine's canonical
log, with amounts in integer atoms of their asset.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from simulator.control.errors import ControlError, bad_request, conflict, not_found
from simulator.control.faults import KINDS, Fault
from simulator.control.futures import FuturesControl
from simulator.control.routes import ROUTES
from simulator.control.rules import RuleChanges
from simulator.control.scenarios import play_in_process, resolve, shipped_scenarios
from simulator.control.snapshot import SnapshotError
from simulator.credentials import valid_api_key
from simulator.engine.audit import audit
from simulator.engine.perp.audit import audit_perp
from simulator.engine.events import Trade
from simulator.engine.instrument import DELISTED, SYMBOL_STATUSES, Instrument
from simulator.engine.order import ORDER_TYPES, SIDES, Order
from simulator.engine.rejection import Rejected
from simulator.inputs import (MAX_ATOMS, MAX_CLOCK_MS, MS_PER_DAY, InputError, atoms, boolean, integer, one_of,
                              text)

MAX_EVENTS = 10_000
# How far the clock may be advanced in all (one advance is at most MAX_CLOCK_MS): time never goes backwards until
# a reset, so this keeps every timestamp a server will ever show within reach of its clients' calendars.
MAX_CLOCK_ADVANCED_MS = 20 * 366 * MS_PER_DAY


# --- refusals --------------------------------------------------------------------------------------------
def _refusing_bad_input(cls: type) -> type:
    """Each route's operation answers a value `simulator.inputs` refused as a 400 naming the field. Every check
    runs before the operation changes anything, so the refusal leaves the simulator as it was."""

    def refusing(method: Callable) -> Callable:
        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except InputError as exc:
                raise bad_request(str(exc)) from None

        return call

    for route in ROUTES:
        method = inspect.getattr_static(cls, route.op)
        if isinstance(method, staticmethod):
            setattr(cls, route.op, staticmethod(refusing(method.__func__)))
        else:
            setattr(cls, route.op, refusing(method))
    return cls


@_refusing_bad_input
class Control(RuleChanges, FuturesControl):
    """The control plane on one Simulator. Cheap: make one per call or keep one; it holds only `sim` and, on a
    server started with `--state`, the StateSaver whose health it reports."""

    def __init__(self, sim, state_saver=None):
        self.sim = sim
        self.state_saver = state_saver

    # --- helpers ---------------------------------------------------------------------------------------
    @property
    def engine(self):
        return self.sim.engine

    def _account(self, account_id: Any):
        account_id = integer(account_id, "accountId", 1)
        account = self.engine.accounts.get(account_id)
        if account is None:
            raise not_found("account", account_id)
        return account

    def _instrument(self, symbol: Any, name: str = "symbol") -> Instrument:
        symbol = text(symbol, name).upper()
        inst = self.engine.instruments.get(symbol)
        if inst is None:
            raise ControlError("unknown_symbol", f"{name}: no symbol {symbol} (have: "
                                                 f"{', '.join(sorted(self.engine.instruments))})", 404)
        return inst

    def _asset(self, asset: Any, name: str = "asset") -> str:
        """An asset the config lists (an instrument's or an account's): no balance of anything else can be
        traded, priced or even formatted at a precision the config chose."""
        asset = text(asset, name).upper()
        if not asset.isalnum() or len(asset) > 20:
            raise bad_request(f"{name}: {asset!r} is not an asset name")
        known = self._known_assets()
        if asset not in known:
            raise bad_request(f"{name}: no asset {asset} in this simulator's config (have: {', '.join(known)})")
        return asset

    def _known_assets(self) -> list[str]:
        config = self.sim.config
        assets = {asset for spec in config.spot for asset in (spec.base, spec.quote)}
        assets |= {asset for spec in config.perpetuals for asset in (spec.base, spec.quote, spec.margin_asset)}
        assets |= {asset for account in config.accounts for asset in (*account.spot, *account.futures)}
        return sorted(assets)

    def _atoms(self, asset: str, amount: Any, name: str = "amount", positive: bool = True) -> int:
        """A decimal amount of `asset` in atoms: positive (or zero), at the asset's precision, in 64 bits."""
        return atoms(amount, name, self.sim.asset_precision(asset), positive=positive, of=f" for {asset}")

    @staticmethod
    def _parse(inst: Instrument, value: Any, name: str, kind: str) -> int:
        """A price, quantity or quote amount of `inst` in atoms (zero or more: the engine's filters judge)."""
        precision = inst.base_precision if kind == "qty" else inst.quote_precision
        return atoms(value, name, precision, positive=False, of=f" for {inst.symbol}")

    def _order(self, order_id: Any) -> Order:
        order_id = integer(order_id, "orderId", 1)
        order = self.engine.orders.get(order_id)
        if order is None:
            raise not_found("order", order_id)
        return order

    def _mm(self):
        if self.sim.market_maker is None:
            raise conflict("no_market_maker", "the market maker is disabled in this simulator's config "
                                              "(market_maker.enabled: false, or --no-market-maker)")
        return self.sim.market_maker

    def _fmt(self, asset: str, atoms: int) -> str:
        return self.sim.format_amount(asset, atoms)

    # --- rendering -------------------------------------------------------------------------------------
    def render_order(self, order: Order) -> dict[str, Any]:
        inst = self.engine.instruments[order.symbol]
        return {
            "orderId": order.order_id, "clientOrderId": order.client_id, "accountId": order.account_id,
            "symbol": order.symbol, "side": order.side, "type": order.type, "timeInForce": order.tif,
            "price": inst.format_price(order.price), "origQty": inst.format_qty(order.qty),
            "executedQty": inst.format_qty(order.executed), "cumQuoteQty": inst.format_quote(order.cum_quote),
            "stopPrice": inst.format_price(order.stop_price), "status": order.status,
            "working": order.is_working, "time": order.time, "updateTime": order.update_time,
        }

    def render_trade(self, trade: Trade) -> dict[str, Any]:
        inst = self.engine.instruments[trade.symbol]
        return {
            "tradeId": trade.trade_id, "symbol": trade.symbol, "price": inst.format_price(trade.price),
            "qty": inst.format_qty(trade.qty), "quoteQty": inst.format_quote(trade.quote_qty), "time": trade.time,
            "buyerOrderId": trade.buyer.order_id, "sellerOrderId": trade.seller.order_id,
            "buyerAccountId": trade.buyer.account_id, "sellerAccountId": trade.seller.account_id,
            "buyerIsMaker": trade.buyer_is_maker,
            "buyerFee": self._fmt(trade.base, trade.buyer_fee), "buyerFeeAsset": trade.base,
            "sellerFee": self._fmt(trade.quote, trade.seller_fee), "sellerFeeAsset": trade.quote,
        }

    def _account_summary(self, account) -> dict[str, Any]:
        return {"id": account.account_id, "name": account.name, "feeTier": account.fee_tier,
                "apiKeys": [k.key for k in self.sim.keys.keys_of(account.account_id)],
                "openOrders": len(account.open_orders)}

    def _balances(self, account) -> dict[str, dict[str, str]]:
        return {asset: {"free": self._fmt(asset, free), "locked": self._fmt(asset, locked)}
                for asset, (free, locked) in sorted(account.balances.items())}

    def _fault(self, fault: Fault) -> dict[str, Any]:
        return fault.to_dict(self.sim.clock.now_ms())

    # --- accounts --------------------------------------------------------------------------------------
    def list_accounts(self) -> dict[str, Any]:
        return {"accounts": [self._account_summary(a) for a in self.engine.accounts.values()]}

    def create_account(self, name: str | None = None, api_key: str | None = None, secret: str | None = None,
                       fee_tier: int = 0, balances: dict[str, Any] | None = None) -> dict[str, Any]:
        if name is not None:
            name = text(name, "name")
            if any(a.name == name for a in self.engine.accounts.values()):
                raise conflict("account_name_taken", f"name: an account named {name!r} exists already")
        if api_key is not None:
            if not valid_api_key(api_key):
                raise bad_request("apiKey: must be 1-128 characters of A-Z, a-z, 0-9, '-' and '_'")
            if self.sim.keys.get(api_key) is not None:
                raise conflict("api_key_taken", "apiKey: this API key belongs to another account")
        if secret is not None:
            secret = text(secret, "secret")
        fee_tier = integer(fee_tier, "feeTier", 0)
        if fee_tier >= len(self.engine.fees.tiers):
            raise bad_request(f"feeTier: no fee tier {fee_tier} (tiers 0..{len(self.engine.fees.tiers) - 1})")
        if balances is not None and not isinstance(balances, dict):
            raise bad_request("balances: expected a mapping of asset to decimal amount")
        amounts: dict[str, Decimal] = {}
        for asset, amount in (balances or {}).items():
            name_of = f"balances.{str(asset).upper()}"
            asset = self._asset(asset, name_of)
            held = self._atoms(asset, amount, name_of, positive=False)  # every check now, before any change
            amounts[asset] = Decimal(held).scaleb(-self.sim.asset_precision(asset))
        key = self.sim.create_account(name or "", api_key, secret, fee_tier, amounts)
        account = self.engine.accounts[key.account_id]
        return {"id": account.account_id, "name": account.name, "feeTier": account.fee_tier,
                "apiKey": key.key, "secret": key.secret, "balances": self._balances(account)}

    def get_account(self, account_id: int) -> dict[str, Any]:
        account = self._account(account_id)
        keys = self.sim.keys.keys_of(account.account_id)
        return {**self._account_summary(account),
                "apiKeys": [{"apiKey": k.key, "secret": k.secret} for k in keys],
                "balances": self._balances(account),
                "openOrders": [self.render_order(o) for o in self.engine.open_orders(account.account_id)],
                "updateTime": account.update_time, "futures": self.futures_summary(account.account_id)}

    def deposit(self, account_id: int, asset: str, amount: Any) -> dict[str, Any]:
        account = self._account(account_id)
        asset = self._asset(asset)
        units = self._atoms(asset, amount)
        if account.free(asset) + account.locked(asset) + units > MAX_ATOMS:
            raise bad_request(f"amount: the balance would exceed {self._fmt(asset, MAX_ATOMS)} {asset}, the most "
                              "64-bit atoms hold")
        self.engine.deposit(account.account_id, asset, units)
        return {"accountId": account.account_id, "asset": asset, "amount": self._fmt(asset, units),
                "balance": self._balances(account)[asset]}

    def withdraw(self, account_id: int, asset: str, amount: Any) -> dict[str, Any]:
        account = self._account(account_id)
        asset = self._asset(asset)
        units = self._atoms(asset, amount)
        if account.free(asset) < units:
            raise conflict("insufficient_balance", f"account {account.account_id} has only "
                                                   f"{self._fmt(asset, account.free(asset))} {asset} free")
        self.engine.withdraw(account.account_id, asset, units)
        return {"accountId": account.account_id, "asset": asset, "amount": self._fmt(asset, units),
                "balance": self._balances(account)[asset]}

    def set_fee_tier(self, account_id: int, tier: int) -> dict[str, Any]:
        account = self._account(account_id)
        tier = integer(tier, "tier", 0)
        if tier >= len(self.engine.fees.tiers):
            raise bad_request(f"tier: no fee tier {tier} (tiers 0..{len(self.engine.fees.tiers) - 1})")
        self.engine.set_fee_tier(account.account_id, tier)
        return self._account_summary(account)

    def create_listen_key(self, account_id: int) -> dict[str, Any]:
        account = self._account(account_id)
        key = self._wire().create_listen_key(account.account_id, self.sim.clock.now_ms())
        return {"listenKey": key, "accountId": account.account_id}

    def list_listen_keys(self, account_id: int | None = None) -> dict[str, Any]:
        if account_id is not None:
            account_id = self._account(account_id).account_id
        now = self.sim.clock.now_ms()
        return {"listenKeys": [
            {"listenKey": k["key"], "accountId": k["account_id"], "expiresAt": k["expires_at"],
             "alive": k["expires_at"] > now}
            for k in self._wire().listen_key_entries() if account_id is None or k["account_id"] == account_id]}

    # --- clock -----------------------------------------------------------------------------------------
    def clock(self) -> dict[str, Any]:
        clock = self.sim.clock
        return {"now": clock.now_ms(), "serverTime": clock.server_time_ms(), "advancedMs": clock.advanced_ms,
                "skewMs": clock.skew_ms, "aheadMs": clock.ahead_ms(), "frozen": clock.frozen}

    def advance_clock(self, ms: int) -> dict[str, Any]:
        ms = integer(ms, "ms", 0, MAX_CLOCK_MS)
        if self.sim.clock.advanced_ms + ms > MAX_CLOCK_ADVANCED_MS:
            raise bad_request(f"ms: the clock would be advanced more than {MAX_CLOCK_ADVANCED_MS} ms in total "
                              f"(it is {self.sim.clock.advanced_ms} ms ahead already)")
        self.sim.clock.advance(ms)
        self.sim.tick()
        return self.clock()

    def set_skew(self, ms: int) -> dict[str, Any]:
        self.sim.clock.set_skew(integer(ms, "ms", -MAX_CLOCK_MS, MAX_CLOCK_MS))
        return self.clock()

    def rewind_clock(self, ms: int) -> dict[str, Any]:
        """Take back ms of earlier advances: for a scenario that borrowed the future (a funding time, an
        expiry) and gives it back when it ends, so its clients' clocks agree with the server's again."""
        ms = integer(ms, "ms", 0, self.sim.clock.advanced_ms)
        self.sim.clock.rewind_by(ms)
        return self.clock()

    # --- the wire's traffic (what scenarios watch their subject do) -------------------------------------
    def traffic(self, after: int = 0, limit: int = 1000) -> dict[str, Any]:
        """Requests, connections and subscriptions that arrived on the wire after seq `after`, oldest first."""
        return self.sim.traffic.page(integer(after, "after", 0), min(integer(limit, "limit", 1), MAX_EVENTS))

    # --- symbols and prices ----------------------------------------------------------------------------
    def symbols(self) -> dict[str, Any]:
        return {"symbols": {symbol: {"status": inst.status, "base": inst.base, "quote": inst.quote,
                                     "tickSize": inst.format_price(inst.tick), "stepSize": inst.format_qty(inst.step),
                                     "minNotional": inst.format_quote(inst.min_notional)}
                            for symbol, inst in self.engine.instruments.items()}}

    def set_symbol_status(self, symbol: str, status: str) -> dict[str, Any]:
        inst = self._listed(symbol)  # a delisted symbol stays gone: no status brings it back
        status = one_of(tuple(s for s in SYMBOL_STATUSES if s != DELISTED))(status, "status")  # delist: its route
        if inst.status != status:
            self.engine.set_symbol_status(inst.symbol, status)
        return {"symbol": inst.symbol, "status": inst.status}

    def prices(self) -> dict[str, Any]:
        mm = self.sim.market_maker
        if mm is None:
            return {"marketMaker": None, "prices": {}}
        return {"marketMaker": {"paused": self.sim.market_paused},
                "prices": {symbol: {"index": self.engine.instruments[symbol].format_price(price),
                                    "walking": mm.index.walking[symbol]}
                           for symbol, price in sorted(mm.index.prices.items())}}

    def set_index(self, symbol: str, price: Any) -> dict[str, Any]:
        mm = self._mm()
        inst = self._instrument(symbol)
        if inst.symbol not in mm.index.prices:
            raise conflict("not_quoted", f"symbol: the market maker does not quote {inst.symbol}")
        atoms = self._parse(inst, price, "price", "price")
        if atoms < inst.tick:
            raise bad_request(f"price: must be at least one tick ({inst.format_price(inst.tick)})")
        mm.index.set(inst.symbol, atoms)
        if not self.sim.market_paused:
            mm.requote(inst.symbol)
        liquidated = self.drive_futures_index(inst.symbol, mm.index.prices[inst.symbol])  # one index, both markets
        return {**self.prices(), "liquidated": liquidated}

    def set_walk(self, enabled: bool, symbol: str | None = None) -> dict[str, Any]:
        mm = self._mm()
        enabled = boolean(enabled, "enabled")
        if symbol is not None:
            inst = self._instrument(symbol)
            if inst.symbol not in mm.index.prices:
                raise conflict("not_quoted", f"symbol: the market maker does not quote {inst.symbol}")
            symbols = [inst.symbol]
        else:
            symbols = list(mm.index.prices)
        for name in symbols:
            mm.index.walking[name] = enabled
        return self.prices()

    def set_market_maker(self, enabled: bool) -> dict[str, Any]:
        """Pause (its quotes are canceled, no background trades) or resume (it quotes again now)."""
        mm = self._mm()
        enabled = boolean(enabled, "enabled")
        if not enabled and not self.sim.market_paused:
            self.sim.market_paused = True
            mm.pause()  # spot and perpetual quotes alike
        elif enabled and self.sim.market_paused:
            self.sim.market_paused = False
            mm.resume()
        return self.prices()

    # --- orders ----------------------------------------------------------------------------------------
    def list_orders(self, account_id: int | None = None, symbol: str | None = None,
                    open_only: bool = True) -> dict[str, Any]:
        open_only = boolean(open_only, "open")
        if account_id is not None:
            account_id = self._account(account_id).account_id
        if symbol is not None:
            symbol = self._instrument(symbol).symbol
        if open_only:
            accounts = [self.engine.accounts[account_id]] if account_id else self.engine.accounts.values()
            orders = sorted((o for a in accounts for o in a.open_orders.values()), key=lambda o: o.order_id)
        else:
            orders = [o for o in self.engine.orders.values() if account_id is None or o.account_id == account_id]
        return {"orders": [self.render_order(o) for o in orders if symbol is None or o.symbol == symbol]}

    def place_order(self, account_id: int, symbol: str, side: str, type: str, quantity: Any = None,
                    price: Any = None, time_in_force: str | None = None, quote_order_qty: Any = None,
                    stop_price: Any = None, client_order_id: str | None = None,
                    stp: str | None = None) -> dict[str, Any]:
        """An order on behalf of any account, through the engine's normal path (filters, balance, matching)."""
        account = self._account(account_id)
        inst = self._instrument(symbol)
        side = one_of(SIDES)(side, "side")
        type = one_of(ORDER_TYPES)(type, "type")
        kwargs: dict[str, Any] = {
            "qty": self._parse(inst, quantity, "quantity", "qty") if quantity is not None else 0,
            "price": self._parse(inst, price, "price", "price") if price is not None else 0,
            "quote_qty": self._parse(inst, quote_order_qty, "quoteOrderQty", "quote")
            if quote_order_qty is not None else 0,
            "stop_price": self._parse(inst, stop_price, "stopPrice", "price") if stop_price is not None else 0,
            "tif": text(time_in_force, "timeInForce").upper() if time_in_force is not None else None,
            "client_id": text(client_order_id, "newClientOrderId") if client_order_id is not None else None,
            "stp": text(stp, "selfTradePreventionMode").upper() if stp is not None else None,
        }
        try:
            result = self.engine.place_order(account.account_id, inst.symbol, side, type, **kwargs)
        except Rejected as exc:
            raise ControlError("order_rejected", f"the engine refused the order: {exc}", 400,
                               reason=exc.reason.value) from None
        return {"order": self.render_order(result.order), "trades": [self.render_trade(t) for t in result.trades]}

    def get_order(self, order_id: int) -> dict[str, Any]:
        order = self._order(order_id)
        account = self.engine.accounts[order.account_id]
        trades = [self.render_trade(t) for t, o in account.trades.get(order.symbol, ()) if o is order]
        return {"order": self.render_order(order), "trades": trades}

    def cancel_order(self, order_id: int, as_client: bool = False) -> dict[str, Any]:
        """Cancel any account's order. `as_client`: as the account's own REST cancel would, through the cancel
        fault hook (fill_during_cancel), so a scenario can show that fault's effect without a connector."""
        order = self._order(order_id)
        as_client = boolean(as_client, "asClient")
        if not order.is_open:
            raise conflict("order_not_open", f"order {order.order_id} is {order.status}")
        fault = None
        if as_client:
            fault = self.sim.faults.before_cancel(order.account_id, order.symbol, order.order_id)
        try:
            self.engine.cancel_order(order.account_id, order.symbol, order.order_id)
        except Rejected as exc:
            raise ControlError("cancel_rejected", f"the engine refused the cancel: {exc}", 409,
                               reason=exc.reason.value, order=self.render_order(order),
                               fault=fault.fault_id if fault else None) from None
        return {"order": self.render_order(order)}

    def take(self, order_id: int, qty: Any) -> dict[str, Any]:
        """Trade exactly `qty` of a resting order at its price against the control plane's counterparty."""
        order = self._order(order_id)
        inst = self.engine.instruments[order.symbol]
        result = self.sim.counterparty.take(order.order_id, self._parse(inst, qty, "qty", "qty"))
        return {"order": self.render_order(order), "taker": self.render_order(result.order),
                "trades": [self.render_trade(t) for t in result.trades]}

    # --- faults ----------------------------------------------------------------------------------------
    def list_faults(self) -> dict[str, Any]:
        return {"faults": [self._fault(f) for f in self.sim.faults.list()]}

    def add_fault(self, spec: dict[str, Any]) -> dict[str, Any]:
        return self._fault(self.sim.faults.add(spec))

    def get_fault(self, fault_id: int) -> dict[str, Any]:
        self.sim.faults.tick()
        return self._fault(self.sim.faults.get(integer(fault_id, "faultId", 1)))

    def clear_faults(self) -> dict[str, Any]:
        return {"cleared": [f.fault_id for f in self.sim.faults.clear(None)]}

    def clear_fault(self, fault_id: int) -> dict[str, Any]:
        return {"cleared": [f.fault_id for f in self.sim.faults.clear(integer(fault_id, "faultId", 1))]}

    @staticmethod
    def fault_kinds() -> dict[str, Any]:
        return {"kinds": {kind: {"description": meta.description,
                                 "params": {key: {"required": required, "default": default}
                                            for key, (_, required, default) in meta.params.items()}}
                          for kind, meta in KINDS.items()}}

    def limits(self) -> dict[str, Any]:
        """What the rate limiter would do to the next request because of a forced refusal (a fault)."""
        return self._wire().rate_limit_status(self.sim.clock.now_ms())

    def _wire(self):
        """The wire dialect's own state (simulator.core.WireState), which a server always has."""
        if self.sim.wire is None:
            raise conflict("no_wire_dialect", "this simulator serves no wire dialect (no rate limits, no listenKeys)")
        return self.sim.wire

    # --- scenarios -------------------------------------------------------------------------------------
    @staticmethod
    def list_scenarios() -> dict[str, Any]:
        return {"scenarios": [{"name": s.name, "file": s.source, "description": s.description,
                               "reproduces": list(s.reproduces)} for s in shipped_scenarios()]}

    @staticmethod
    def load_scenario(yaml_text: str | None = None, name: str | None = None) -> dict[str, Any]:
        scenario = resolve(yaml_text, name)
        return {"name": scenario.name, "description": scenario.description, "steps": len(scenario.steps),
                "reproduces": list(scenario.reproduces)}

    def run_scenario(self, yaml_text: str | None = None, name: str | None = None) -> dict[str, Any]:
        """Play a scenario in-process to the end (waits advance a frozen clock, or sleep on a running one)."""
        scenario = resolve(yaml_text, name)
        return play_in_process(scenario, self).to_dict()

    # --- whole state -----------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return self.sim.snapshot()

    def restore(self, document: Any) -> dict[str, Any]:
        try:
            self.sim.restore(document)
        except SnapshotError as exc:
            raise ControlError("invalid_snapshot", str(exc), 400) from None
        return self._summary()

    def reset(self) -> dict[str, Any]:
        self.sim.reset()
        return self._summary()

    def _summary(self) -> dict[str, Any]:
        return {"accounts": len(self.engine.accounts), "openOrders": sum(len(a.open_orders)
                                                                        for a in self.engine.accounts.values()),
                "seq": self.engine.seq, "clock": self.clock()}

    def events(self, after: int = 0, limit: int = 1000, kind: str | None = None) -> dict[str, Any]:
        """Recent engine events with seq > after, oldest first; `gap` says some were already dropped."""
        after = integer(after, "after", 0)
        limit = min(integer(limit, "limit", 1), MAX_EVENTS)
        recent = self.sim.recent_events
        oldest = recent[0].seq if recent else self.engine.seq + 1
        picked = []
        for event in recent:
            if event.seq > after and (kind is None or event.kind == kind):
                picked.append(event.as_dict())
                if len(picked) >= limit:
                    break
        return {"events": picked, "lastSeq": self.engine.seq, "gap": after + 1 < oldest and after < self.engine.seq}

    def audit(self) -> dict[str, Any]:
        problems = audit(self.engine) + [f"futures: {p}" for p in audit_perp(self.sim.futures)]
        return {"ok": not problems, "problems": problems}

    def tick(self) -> dict[str, Any]:
        self.sim.tick()
        return {"now": self.sim.clock.now_ms()}

    def health(self) -> dict[str, Any]:
        """Whether all is well; with `--state`, how saving the state goes (`state`: its last save and error)."""
        state = self.state_saver.status() if self.state_saver is not None else None
        return {"ok": state is None or state["ok"], "state": state}

    def stats(self) -> dict[str, Any]:
        """How much the simulator holds now, against what its retention keeps at most (the config's
        `retention:`): a long run should see these level off."""
        engine = self.engine
        accounts = engine.accounts.values()
        open_orders = sum(len(account.open_orders) for account in accounts)
        return {
            "orders": len(engine.orders), "openOrders": open_orders,
            "closedOrders": len(engine.orders) - open_orders,
            "accountTrades": sum(len(history) for account in accounts for history in account.trades.values()),
            "marketTrades": sum(len(data.trades) for data in engine.market.values()),
            "aggTrades": sum(len(data.agg_trades) for data in engine.market.values()),
            "klines": sum(len(data.klines) for data in engine.market.values()),
            "recentEvents": len(self.sim.recent_events), "accounts": len(engine.accounts),
            "nextOrderId": engine.next_order_id, "seq": engine.seq,
            "retention": asdict(self.sim.config.retention), "futures": self.futures_stats(),
        }


def signature_of(op: str) -> inspect.Signature:
    return inspect.signature(getattr(Control, op))
