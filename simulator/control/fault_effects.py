"""What the state-changing fault kinds do to the simulator, kept in line with the live faults on every tick.

`FaultEffects.sync(injector, now)` runs after every add, clear and tick: it works out what the live faults want
(a skew, symbol statuses, a forced rate-limit refusal, listenKey lifetimes) and changes only what differs, remembering what was there
before the first fault took hold so the last one to go restores it. One-shot kinds (listen_key_expire,
partial_fill) fire here once they start. `before_cancel` is the cancel hook of fill_during_cancel. halt,
partial_fill and fill_during_cancel act on the spot engine, or with `venue` "futures" on the USD-M one.

It holds the simulator's parts (engine, the wire dialect's state, clock, counterparty), never the Simulator
itself, so a reset or restore that swaps a new state into the Simulator keeps every reference consistent. The
rate limiter and the listenKeys belong to the wire dialect: the effects reach them through its WireState
interface (simulator.core), never through the dialect's types.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from simulator.control.errors import ControlError
from simulator.control.fault_specs import FUTURES, FUTURES_HALT_STATUSES
from simulator.control.faults import Fault, FaultInjector, FaultSpecError
from simulator.engine.instrument import SYMBOL_STATUSES
from simulator.engine.rejection import Rejected
from simulator.jsonstate import expect_int, expect_optional_int


class FaultEffects:
    """What the state-changing kinds do. Holds the simulator's parts (never the Simulator itself)."""

    def __init__(self, engine, wire, clock, counterparty, futures: Callable[[], Any] | None = None):
        self.engine = engine
        # Gives the USD-M engine (None: no perpetuals here, a futures fault is refused). Asked each time: loading
        # a snapshot written before perpetuals swaps a fresh futures engine into the simulator.
        self.futures_of = futures or (lambda: None)
        self.wire = wire  # None for an engine-only simulator: rate_limit and listen_key_expire do nothing then
        self.clock = clock
        self.counterparty = counterparty
        self.skew_baseline: int | None = None  # the skew before the first clock_skew fault took hold
        self.status_baseline: dict[str, str] = {}  # symbol -> status before a halt/maintenance took hold
        self.futures_status_baseline: dict[str, str] = {}  # perpetual -> status before a futures halt took hold
        self.forced: list | None = None  # [status, until] the rate limiter was last forced to, by us
        # {accountId or None (every account): ms} the listenKeys' lifetime was last set to by listen_key_ttl
        # faults. Not in snapshots: the wire state a snapshot builds has none, and the first sync sets it again.
        self.key_ttls: dict[int | None, int] = {}

    def check(self, norm: dict[str, Any], restoring: bool = False) -> None:
        """Refuse a spec that names things this simulator does not have (before anything is registered).
        `restoring` a snapshot's fault, the order it names may have aged out of the engine since it was added
        (it then finds nothing to fill)."""
        kind = norm["kind"]
        engine = self._venue(norm["params"])
        if engine is None:
            raise FaultSpecError("venue", "this simulator has no USD-M perpetuals")
        symbols = norm["params"].get("symbols") or []
        if kind in ("halt", "partial_fill", "maintenance", "fill_during_cancel") and norm["symbol"]:
            symbols = [*symbols, norm["symbol"]]
        for symbol in symbols:
            if symbol not in engine.instruments:
                raise FaultSpecError("symbols" if symbol in (norm["params"].get("symbols") or []) else "symbol",
                                     f"unknown symbol {symbol!r}")
        if norm["account_id"] is not None and norm["account_id"] not in self.engine.accounts:
            raise FaultSpecError("accountId", f"no account {norm['account_id']}")
        if kind == "partial_fill":
            any_inst = engine.instruments.get(norm["symbol"] or "")
            order_id = norm["params"].get("orderId")
            if order_id is not None:
                order = engine.orders.get(order_id)
                if order is None and not (restoring and order_id < engine.next_order_id):
                    raise FaultSpecError("orderId", f"no order {order_id}")
                any_inst = engine.instruments[order.symbol] if order is not None else None
            if any_inst is not None:
                self._qty(any_inst, norm["params"]["qty"], "qty")

    def _venue(self, params: Mapping[str, Any]):
        """The engine a fault acts on: the USD-M one for `venue` futures (None if there is none), else spot."""
        return self.futures_of() if params.get("venue") == FUTURES else self.engine

    @staticmethod
    def _qty(inst, text: str, key: str) -> int:
        try:
            qty = inst.parse_qty(text)
        except Rejected:
            raise FaultSpecError(key, f"{text} has more decimals than {inst.symbol} allows") from None
        if qty % inst.step:
            raise FaultSpecError(key, f"{text} is not a multiple of the step size {inst.format_qty(inst.step)}")
        return qty

    # --- bringing state in line ----------------------------------------------------------------------
    def sync(self, injector: FaultInjector, now: int) -> None:
        live = [f for f in injector.faults.values() if f.is_active(now)]
        self._sync_skew([f for f in live if f.kind == "clock_skew"])
        spot_statuses = [f for f in live if f.kind in ("halt", "maintenance") and f.params.get("venue") != FUTURES]
        self._sync_statuses(spot_statuses, now)
        self._sync_futures_statuses([f for f in live if f.kind == "halt" and f.params.get("venue") == FUTURES])
        self._sync_rate_limit([f for f in live if f.kind == "rate_limit"], now)
        self._sync_listen_key_ttl([f for f in live if f.kind == "listen_key_ttl"], now)
        for fault in live:
            if fault.kind == "listen_key_expire":
                self._expire_listen_keys(fault, now)
            elif fault.kind == "partial_fill":
                self._partial_fill(fault, now)

    def _sync_skew(self, live: list[Fault]) -> None:
        if live:
            if self.skew_baseline is None:
                self.skew_baseline = self.clock.skew_ms
            wanted = live[-1].params["ms"]
        elif self.skew_baseline is not None:
            wanted, self.skew_baseline = self.skew_baseline, None
        else:
            return
        if self.clock.skew_ms != wanted:
            self.clock.set_skew(wanted)

    def _sync_statuses(self, live: list[Fault], now: int) -> None:
        wanted: dict[str, str] = {}
        for fault in live:  # in id order: the latest fault decides a symbol's status
            if fault.kind == "halt":
                symbols = [fault.symbol]
            else:
                symbols = fault.params.get("symbols") or ([fault.symbol] if fault.symbol else
                                                          sorted(self.engine.instruments))
            for symbol in symbols:
                wanted[symbol] = fault.params["status"]
        for symbol in wanted:
            if symbol not in self.status_baseline:
                self.status_baseline[symbol] = self.engine.instruments[symbol].status
        for symbol in list(self.status_baseline):
            if symbol not in wanted:
                wanted[symbol] = self.status_baseline.pop(symbol)
        for symbol, status in sorted(wanted.items()):
            if self.engine.instruments[symbol].status != status:
                self.engine.set_symbol_status(symbol, status)

    def _sync_futures_statuses(self, live: list[Fault]) -> None:
        """A perpetual's status while a futures halt lives (the latest one decides), what it was once none does.
        Set on the instrument itself: the spot engine's set_symbol_status knows only spot's statuses, and no
        futures stream carries a status change."""
        futures = self.futures_of()
        if futures is None:
            return
        wanted = {fault.symbol: fault.params["status"] for fault in live}
        for symbol in wanted:
            self.futures_status_baseline.setdefault(symbol, futures.instruments[symbol].status)
        for symbol in list(self.futures_status_baseline):
            if symbol not in wanted:
                wanted[symbol] = self.futures_status_baseline.pop(symbol)
        for symbol, status in sorted(wanted.items()):
            if futures.instruments[symbol].status != status:
                futures.instruments[symbol].status = status

    def _sync_rate_limit(self, live: list[Fault], now: int) -> None:
        if live:
            fault = live[-1]
            # a firstHit window not hit yet: the refusal's Retry-After says its whole length from now
            wanted = [fault.params["status"], fault.ends_at if fault.ends_at is not None else now + fault.duration_ms]
            if self.forced != wanted:
                if self.wire is not None:
                    self.wire.force_rate_limit(wanted[0], wanted[1])
                self.forced = wanted
        elif self.forced is not None:
            if self.forced[1] > now and self.wire is not None:
                self.wire.force_rate_limit(self.forced[0], 0)  # a time in the past ends the forced refusal
            self.forced = None

    def _sync_listen_key_ttl(self, live: list[Fault], now: int) -> None:
        wanted = {fault.account_id: fault.params["ms"] for fault in live}  # in id order: the latest decides
        if wanted != self.key_ttls:
            if self.wire is not None:
                self.wire.set_listen_key_ttls(wanted, now)
            self.key_ttls = wanted

    def _expire_listen_keys(self, fault: Fault, now: int) -> None:
        keys = [] if self.wire is None else \
            self.wire.expire_listen_keys(now, account_id=fault.account_id, key=fault.params.get("listenKey"))
        fault.hits += 1
        fault.remaining = 0
        fault.log.append(f"expired {len(keys)} listenKey(s)" + (f": {', '.join(keys)}" if keys else ""))

    def _partial_fill(self, fault: Fault, now: int) -> None:
        engine = self._venue(fault.params)
        if engine is None:
            return
        named = engine.orders.get(fault.params.get("orderId", 0))
        if named is not None and not named.is_open:
            fault.remaining = 0
            fault.log.append(f"order {named.order_id} is {named.status}: nothing to fill")
            return
        order = self._target_order(fault, engine)
        if order is None:
            return  # not there yet: it fires when the order appears (or never, if the fault expires first)
        inst = engine.instruments[order.symbol]
        qty = min(self._qty(inst, fault.params["qty"], "qty"), order.remaining)
        try:
            self._take(engine, order.order_id, qty)
        except ControlError as exc:
            fault.log.append(f"order {order.order_id}: not filled: {exc.message}")
            fault.remaining = 0
            return
        fault.hits += 1
        fault.remaining = 0
        fault.log.append(f"filled {inst.format_qty(qty)} of order {order.order_id}")

    def _take(self, engine, order_id: int, qty: int) -> None:
        """`qty` of a resting order trades against the counterparty, on the engine it rests in."""
        if engine is self.engine:
            self.counterparty.take(order_id, qty)
        else:
            self.counterparty.take_futures(engine, order_id, qty)

    def _target_order(self, fault: Fault, engine):
        order_id = fault.params.get("orderId")
        if order_id is not None:
            order = engine.orders.get(order_id)
        elif "clientOrderId" in fault.params:
            try:  # the engine's client-id rule (an open order of that account and symbol)
                order = engine.find_order(fault.account_id, fault.symbol, client_id=fault.params["clientOrderId"])
            except Rejected:
                order = None
        else:
            account = engine.accounts.get(fault.account_id)
            candidates = sorted((o for o in (account.open_orders.values() if account else ())
                                 if o.is_working and (fault.symbol is None or o.symbol == fault.symbol)),
                                key=lambda o: o.order_id)
            order = candidates[0] if candidates else None
        if order is None or not order.is_open or not order.is_working:
            return None
        return order

    # --- the cancel hook -----------------------------------------------------------------------------
    def before_cancel(self, injector: FaultInjector, account_id: int, symbol: str, order_id: int | None = None,
                      client_id: str | None = None, venue: str = "spot") -> Fault | None:
        engine = self._venue({"venue": venue})
        if engine is None:
            return None
        try:
            order = engine.find_order(account_id, symbol, order_id, client_id)
        except Rejected:
            return None  # the cancel itself will answer Unknown order
        if not order.is_open or not order.is_working:
            return None
        fault = injector.match("fill_during_cancel", symbol=symbol, account_id=account_id,
                               details={"venue": venue})
        if fault is None:
            return None
        try:
            self._take(engine, order.order_id, order.remaining)
            fault.log.append(f"filled order {order.order_id} just before its cancel")
        except ControlError as exc:
            fault.log.append(f"order {order.order_id}: could not fill before cancel: {exc.message}")
        return fault

    # --- snapshots -----------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"skew_baseline": self.skew_baseline, "status_baseline": dict(self.status_baseline),
                "futures_status_baseline": dict(self.futures_status_baseline), "forced": self.forced}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Back to what `state()` gave. KeyError, TypeError or ValueError on a bad state (a status this engine
        cannot show, a refusal the rate limiter cannot make), and then nothing changes."""
        skew = expect_optional_int(state["skew_baseline"], "skew baseline")
        statuses = dict(state["status_baseline"])
        for symbol, status in statuses.items():
            if symbol not in self.engine.instruments or status not in SYMBOL_STATUSES:
                raise ValueError(f"status baseline: {symbol!r} {status!r} is not a symbol and its status")
        futures_statuses = dict(state.get("futures_status_baseline") or {})  # absent from older snapshots
        for symbol, status in futures_statuses.items():
            futures = self.futures_of()
            if futures is None or symbol not in futures.instruments or \
                    status not in ("TRADING", *FUTURES_HALT_STATUSES):
                raise ValueError(f"futures status baseline: {symbol!r} {status!r} is not a perpetual and its status")
        forced = state["forced"]
        if forced is not None:
            status, until = forced
            if status not in (429, 418):
                raise ValueError(f"forced rate-limit status {status!r} is not 429 or 418")
            forced = [expect_int(status, "forced status"), expect_int(until, "forced until")]
        self.skew_baseline, self.status_baseline, self.forced = skew, statuses, forced
        self.futures_status_baseline = futures_statuses
