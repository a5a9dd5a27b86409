"""Playing a scenario (see scenario_schema for the file format) against a control-plane target, to a verdict.

The target is anything with the control plane's operations: `Control(sim)` in-process, or `ControlClient(url)`
over HTTP; both answer with the same JSON-ready dicts and raise the same `ControlError`s. The `Player` is a
generator that yields whenever a step wants time to pass, so each driver decides what waiting means:

* in-process (`play_in_process`): a frozen clock is advanced by the poll interval (so waits take simulated
  time and stay deterministic), a running clock is slept on; either way the simulator then ticks;
* over HTTP (`play_remote`, the CLI): sleep, while the server's own loop runs the market and the faults;
* server-side (`exsim serve --scenario`, `POST /_sim/v1/scenarios/run`): `await asyncio.sleep`, so the server
  keeps serving meanwhile.

The subject is the client under test: its accounts (the config's, unless the scenario names others) and
everything that arrives on the wire (simulator.control.traffic). Steps wait for it (`await`: its next request,
subscription, user stream...; `wait`: an engine event such as its order being placed), faults act on its
traffic, and the verdict judges it on exchange-side facts (simulator.control.scenario_checks).

The outcome (`Result.verdict`):
  PASS   every step ran and every verdict check holds;
  FAIL   the subject did not do what a correct client does: a step waiting for it timed out, or a verdict
         check does not hold;
  ERROR  the scene itself could not be arranged (a control-plane refusal, an `expect` not met).

Whatever the outcome, and when the run is interrupted, the exchange is left clean: faults cleared, the clock's
skew and any advance given back, the market maker running again (if it was), index prices, symbol statuses and
trading rules as they were, funding rates and mark premiums too (scenario_futures), every open order of the
scenario's own accounts canceled (futures ones too) and their perpetual positions closed (a delisting has no undo,
nor a position the book cannot close: after one, the simulator is reset to its config). Every step, and each part of
the clean-up, becomes a timeline entry {index, line, action, ok, summary}.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Generator, Iterator
from decimal import Decimal
from typing import Any

from simulator.control.errors import ControlError
from simulator.control.scenario_checks import describe, run_check
from simulator.control.scenario_futures import FuturesStepPlayer
from simulator.control.scenario_timeline import ERROR, FAIL, Entry, Result, fault_window, observation_text, trigger_text
from simulator.control.scenario_schema import (Scenario, ScenarioError, Step, load_scenario_file,
                                               load_scenario_text, resolve, shipped_files, shipped_scenarios)
from simulator.control.traffic import matches

__all__ = ["Entry", "Player", "Result", "Scenario", "ScenarioError", "Step", "drive", "drive_async", "load_scenario_file",
           "load_scenario_text", "play_in_process", "play_remote", "resolve", "shipped_files", "shipped_scenarios"]

SUBJECT = "subject"  # the account name that stands for the subject's (first) account


class _Stop(Exception):
    """The run ends here with `verdict`."""

    def __init__(self, verdict: str):
        super().__init__(verdict)
        self.verdict = verdict


class Player(FuturesStepPlayer):
    def __init__(self, scenario: Scenario, target, on_entry: Callable[[Entry], None] | None = None):
        self.scenario = scenario
        self.target = target
        self.on_entry = on_entry
        self.result = Result(scenario.name)
        self.accounts: dict[str, int] = {}
        self.own_accounts: list[int] = []  # the scenario's counterparties: their orders go when it ends
        self.subject_ids: list[int] = []
        self.orders: dict[str, int] = {}
        self.faults: dict[str, int] = {}
        self.fault_windows: dict[str, tuple[int | None, int | None]] = {}  # cleared faults: (start, end)
        self.marks: dict[str, int] = {}
        self.listen_keys: dict[str, str] = {}
        self.setup_seq = 0  # the last engine event of the setup: event checks count what came after
        self.event_cursor = 0  # waits match engine events after this seq
        self.traffic_cursor = 0  # awaits match observations after this seq
        self.traffic_start = 0  # the subject's traffic is what came after this seq
        self.arrived_at: int | None = None
        self._observations: list[dict[str, Any]] = []
        self._before: dict[str, Any] = {}  # what the clean-up restores
        self._advanced = 0
        self._walks_off: set[str | None] = set()
        self._rules_changed: set[str] = set()
        self._indexed: set[str] = set()  # symbols whose index the scenario set: put back at the end
        self._delisted = False
        self._futures_init()
        self._cleaned = False

    # --- the run -----------------------------------------------------------------------------------------
    def play(self) -> Generator[int, None, Result]:
        """Run to the end; yields a number of milliseconds whenever a step wants time to pass."""
        try:
            self._setup()
            for step in self.scenario.steps:
                yield from self._run(step)
            self._judge()
        except _Stop as stop:
            self.result.verdict = stop.verdict
        except GeneratorExit:  # interrupted: no verdict on the subject, but the exchange is still cleaned
            self.result.verdict, self.result.failure = ERROR, "interrupted before the end"
            raise
        finally:
            self.clean_up()
        return self.result

    def _entry(self, step: Step | None, action: str, ok: bool, summary: str, line: int | None = None,
               index: int | None = None) -> None:
        entry = Entry(index if index is not None else step.index if step else -1,
                      line if line is not None else (step.line if step else 0), action, ok, summary)
        self.result.timeline.append(entry)
        if self.on_entry is not None:
            self.on_entry(entry)

    def _fail(self, step: Step | None, action: str, summary: str, verdict: str) -> None:
        self._entry(step, action, False, summary)
        path = step.path if step else "setup"
        line = step.line if step else self.scenario.setup_line
        self.result.failure = f"{self.scenario.source}:{line}: {path}: {summary}"
        raise _Stop(verdict)

    def _say_waiting(self, step: Step, summary: str) -> None:
        if self.on_entry is not None:
            self.on_entry(Entry(step.index, step.line, step.action, True, summary, pending=True))

    def _setup(self) -> None:
        s, t = self.scenario, self.target
        try:
            if s.reset:
                t.reset()
                self._entry(None, "reset", True, "simulator reset to its config", s.setup_line)
            clock = t.clock()
            prices = t.prices()
            symbols = t.symbols()["symbols"]
            self._before = {"skew": clock["skewMs"], "statuses": {sym: v["status"] for sym, v in symbols.items()},
                            "rules": {sym: {key: v.get(key) for key in ("tickSize", "stepSize", "minNotional")}
                                      for sym, v in symbols.items()},
                            "maker": prices["marketMaker"] is not None and not prices["marketMaker"]["paused"],
                            "index": {sym: v["index"] for sym, v in prices["prices"].items()}}
            if prices["marketMaker"] is not None:
                wanted = s.market_maker is not False
                if prices["marketMaker"]["paused"] != (not wanted):
                    t.set_market_maker(enabled=wanted)
                    self._entry(None, "market", True, "market maker " + ("resumed" if wanted else
                                                                          "paused, its quotes canceled"),
                                s.setup_line)
            elif s.market_maker is True:
                self._fail(None, "market", "the scenario wants the market maker, which is disabled", ERROR)
            self._subject()
            self._futures_setup()
            for item in s.instruments:
                symbols = t.symbols()["symbols"]
                if item["symbol"] not in symbols:
                    self._fail(None, "instrument", f"{item['path']}: symbol {item['symbol']} is not configured "
                               f"(have: {', '.join(symbols)})", ERROR)
                if item["status"] is not None:
                    t.set_symbol_status(symbol=item["symbol"], status=item["status"])
                if item["index"] is not None:
                    self._indexed.add(item["symbol"])
                    t.set_index(symbol=item["symbol"], price=item["index"])
                self._entry(None, "instrument", True, f"{item['symbol']}" +
                            (f" status {item['status']}" if item["status"] else "") +
                            (f" index {item['index']}" if item["index"] else ""), item["line"])
            for item in s.accounts:
                created = t.create_account(name=item["name"], api_key=item["apiKey"], secret=item["secret"],
                                           fee_tier=item["feeTier"], balances=item["balances"] or None)
                self.accounts[item["name"]] = created["id"]
                self.own_accounts.append(created["id"])
                funds = ", ".join(f"{v} {k}" for k, v in item["balances"].items()) or "no funds"
                self._entry(None, "account", True, f"{item['name']} = account {created['id']} ({funds})",
                            item["line"])
        except ControlError as exc:
            self._fail(None, "setup", f"{exc.code}: {exc.message}", ERROR)
        for step in s.book:
            list(self._run(step))  # place steps never wait
        self.setup_seq = self.event_cursor = t.events(after=0, limit=1)["lastSeq"]
        self.traffic_start = self.traffic_cursor = t.traffic(after=0, limit=1)["lastSeq"]

    def _subject(self) -> None:
        known = {a["name"]: a["id"] for a in self.target.list_accounts()["accounts"]}
        names = self.scenario.subject or tuple(known)[:1]
        missing = [name for name in names if name not in known]
        if missing or not names:
            self._fail(None, "subject", f"no account named {', '.join(missing) or 'at all'} for the subject "
                       f"(have: {', '.join(known) or 'none'})", ERROR)
        self.subject_ids = [known[name] for name in names]
        self.accounts[SUBJECT] = self.subject_ids[0]
        self._entry(None, "subject", True, "the client under test: " + ", ".join(
            f"{name} (account {known[name]})" for name in names), self.scenario.setup_line)

    # --- what checks resolve (scenario_checks.Refs) ------------------------------------------------------
    def account(self, name: str) -> int:
        if name not in self.accounts:
            found = {a["name"]: a["id"] for a in self.target.list_accounts()["accounts"]}
            if name not in found:
                raise ControlError("unknown_account", f"no account named {name!r} (setup.accounts creates them)")
            self.accounts[name] = found[name]
        return self.accounts[name]

    def order_id(self, ref: str) -> int:
        return self.orders[ref]

    def fault_id(self, ref: str) -> int:
        return self.faults[ref]

    def listen_key(self, ref: str) -> str:
        return self.listen_keys[ref]

    def window(self, anchor: str) -> tuple[int | None, int | None]:
        """(start, end) on the simulator's clock of a fault's window (from its first hit, or its start, to its
        end; None: not ended yet)."""
        if anchor in self.fault_windows:
            return self.fault_windows[anchor]
        return fault_window(self.target.get_fault(fault_id=self.faults[anchor]), self.target.clock()["now"])

    def mark_seq(self, anchor: str) -> int | None:
        """The traffic seq a mark stands at (what came after it is after it), or None for a fault."""
        return self.marks.get(anchor)

    def events(self, wanted: dict[str, Any], after: int | None = None) -> list[dict[str, Any]]:
        """The engine events fitting `wanted` after seq `after` (default: since the setup ended)."""
        after = self.setup_seq if after is None else after
        return [e for e in _read_after(self.target.events, "events", after) if self._event_fits(e, wanted)]

    def observations(self) -> list[dict[str, Any]]:
        """The subject's traffic since the setup ended (read incrementally: the log only grows)."""
        after = self._observations[-1]["seq"] if self._observations else self.traffic_start
        self._observations += _read_after(self.target.traffic, "observations", after)
        return self._observations

    def _event_fits(self, event: dict[str, Any], wanted: dict[str, Any]) -> bool:
        for key, value in wanted.items():
            if key == "order":
                if event.get("order") != self.orders[value] and event.get("order_id") != self.orders[value]:
                    return False
            elif key == "account":
                if event.get("account_id") != self.account(value):
                    return False
            elif key not in event or str(event[key]) != str(value):
                return False
        return True

    # --- steps -------------------------------------------------------------------------------------------
    def _run(self, step: Step) -> Generator[int, None, None]:
        try:
            if step.action in ("wait", "await", "pause"):
                summary = yield from getattr(self, f"_{step.action}")(step)
            else:
                summary = getattr(self, f"_do_{step.action}")(step, step.args)
        except ControlError as exc:
            reason = exc.extra.get("reason")
            if step.expect_error is not None and step.expect_error in (exc.code, reason):
                self._entry(step, step.action, True, f"failed as expected: {exc.code}"
                            + (f" ({reason})" if reason else "") + (f"  # {step.note}" if step.note else ""))
                return
            self._fail(step, step.action, f"{exc.code}: {exc.message}", ERROR)
            return
        if step.expect_error is not None:
            self._fail(step, step.action, f"expected error {step.expect_error}, but it succeeded: {summary}", ERROR)
        self._entry(step, step.action, True, summary + (f"  # {step.note}" if step.note else ""))

    def _do_place(self, step: Step, a: dict[str, Any]) -> str:
        account = self.account(a["account"])
        result = self.target.place_order(
            account_id=account, symbol=a["symbol"], side=a["side"], type=a["type"], quantity=a["quantity"],
            price=a["price"], time_in_force=a["timeInForce"], quote_order_qty=a["quoteOrderQty"],
            stop_price=a["stopPrice"], client_order_id=a["clientOrderId"])
        order = result["order"]
        if a["as"]:
            self.orders[a["as"]] = order["orderId"]
        size = a["quantity"] or f"{a['quoteOrderQty']} (quote)"
        price = f" @ {a['price']}" if a["price"] else ""
        return (f"{a['as'] or 'order'} = {order['orderId']}: {a['account']} {a['side']} {a['type']} {size} "
                f"{a['symbol']}{price} -> {order['status']}, {len(result['trades'])} trade(s)")

    def _do_cancel(self, step: Step, a: dict[str, Any]) -> str:
        result = self.target.cancel_order(order_id=self.orders[a["order"]], as_client=a["asClient"])
        return f"{a['order']} -> {result['order']['status']}" + ("" if a["asClient"] else " (by the venue)")

    def _do_take(self, step: Step, a: dict[str, Any]) -> str:
        qty = a["qty"]
        if qty is None:  # the rest of it
            order = self.target.get_order(order_id=self.orders[a["order"]])["order"]
            qty = str(Decimal(order["origQty"]) - Decimal(order["executedQty"]))
        result = self.target.take(order_id=self.orders[a["order"]], qty=qty)
        order = result["order"]
        return (f"counterparty took {qty} of {a['order']} at {order['price']} -> {order['status']}, "
                f"executed {order['executedQty']}")

    def _do_fault(self, step: Step, a: dict[str, Any]) -> str:
        spec = dict(a["spec"])
        if a["account"]:
            spec["accountId"] = self.account(a["account"])
        if a["order"]:
            spec["orderId"] = self.orders[a["order"]]
        fault = self.target.add_fault(spec=spec)
        if a["as"]:
            self.faults[a["as"]] = fault["id"]
        detail = ", ".join(f"{k}={v}" for k, v in spec.items() if k != "kind")
        log = f"; {'; '.join(fault['log'])}" if fault.get("log") else ""
        return f"{a['as'] or 'fault'} = {fault['id']}: {spec['kind']} ({detail}) {fault['state']}{log}"

    def _do_clearFault(self, step: Step, name: str) -> str:  # noqa: N802 - the YAML key
        now = self.target.clock()["now"]
        names = [n for n in self.faults if n not in self.fault_windows] if name == "all" else [name]
        for ref in names:  # keep their windows: a verdict may ask what happened during them
            self.fault_windows[ref] = fault_window(self.target.get_fault(fault_id=self.faults[ref]), now)
        if name == "all":
            return f"cleared {len(self.target.clear_faults()['cleared'])} fault(s)"
        self.target.clear_fault(fault_id=self.faults[name])
        return f"cleared {name}"

    def _do_advance(self, step: Step, ms: int) -> str:
        now = self.target.advance_clock(ms=ms)["now"]
        self._advanced += ms
        return f"clock +{ms} ms -> {now} (given back when the scenario ends)"

    def _do_skew(self, step: Step, ms: int) -> str:
        return f"server clock skew {self.target.set_skew(ms=ms)['skewMs']} ms"

    def _do_index(self, step: Step, a: dict[str, Any]) -> str:
        self._indexed.add(a["symbol"])
        prices = self.target.set_index(symbol=a["symbol"], price=a["price"])
        liquidated = f", {len(prices['liquidated'])} liquidation(s)" if prices.get("liquidated") else ""
        return f"{a['symbol']} index {prices['prices'][a['symbol']]['index']}, maker requoted{liquidated}"

    def _do_walk(self, step: Step, a: dict[str, Any]) -> str:
        self.target.set_walk(enabled=a["enabled"], symbol=a["symbol"])
        (self._walks_off.discard if a["enabled"] else self._walks_off.add)(a["symbol"])
        return f"random walk {'on' if a['enabled'] else 'off'} for {a['symbol'] or 'every symbol'}"

    def _do_status(self, step: Step, a: dict[str, Any]) -> str:
        return f"{a['symbol']} -> {self.target.set_symbol_status(symbol=a['symbol'], status=a['status'])['status']}"

    def _do_rules(self, step: Step, a: dict[str, Any]) -> str:
        self._rules_changed.add(a["symbol"])
        r = self.target.change_symbol_rules(symbol=a["symbol"], tick_size=a["tickSize"], step_size=a["stepSize"],
                                            min_notional=a["minNotional"])
        return f"{r['symbol']} tick {r['tickSize']}, step {r['stepSize']}, min notional {r['minNotional']}"

    def _do_delist(self, step: Step, symbol: str) -> str:
        self._delisted = True
        r = self.target.delist_symbol(symbol=symbol)
        return f"{r['symbol']} delisted, {len(r['canceled'])} open order(s) canceled by the venue"

    def _do_deposit(self, step: Step, a: dict[str, Any]) -> str:
        r = self.target.deposit(account_id=self.account(a["account"]), asset=a["asset"], amount=a["amount"])
        return f"{a['account']} +{r['amount']} {r['asset']} (free {r['balance']['free']})"

    def _do_withdraw(self, step: Step, a: dict[str, Any]) -> str:
        r = self.target.withdraw(account_id=self.account(a["account"]), asset=a["asset"], amount=a["amount"])
        return f"{a['account']} -{r['amount']} {r['asset']} (free {r['balance']['free']})"

    def _do_feeTier(self, step: Step, a: dict[str, Any]) -> str:  # noqa: N802 - the YAML key
        self.target.set_fee_tier(account_id=self.account(a["account"]), tier=a["tier"])
        return f"{a['account']} fee tier {a['tier']}"

    def _do_listenKey(self, step: Step, a: dict[str, Any]) -> str:  # noqa: N802 - the YAML key
        key = self.target.create_listen_key(account_id=self.account(a["account"]))["listenKey"]
        if a["as"]:
            self.listen_keys[a["as"]] = key
        return f"{a['as'] or 'listenKey'} = {key[:12]}... for {a['account']}"

    def _do_mark(self, step: Step, name: str) -> str:
        self.marks[name] = self.target.traffic(after=0, limit=1)["lastSeq"]
        return f"{name}: the subject's traffic from here on comes after it"

    def _do_note(self, step: Step, text: str) -> str:
        return text

    def _do_expect(self, step: Step, check: dict[str, Any]) -> str:
        summary, problems = run_check(self.target, self, check)
        if problems:
            self._fail(step, "expect", "; ".join(problems), ERROR)
        return summary

    # --- waiting -----------------------------------------------------------------------------------------
    def _pause(self, step: Step) -> Generator[int, None, str]:
        yield step.args
        return f"{step.args} ms passed"

    def _wait(self, step: Step) -> Generator[int, None, str]:
        a = step.args
        self._say_waiting(step, f"waiting up to {a['timeoutMs'] / 1000:g} s for an event {a['event']}")
        waited = 0
        while True:
            found = self.events(a["event"], after=self.event_cursor)
            if found:
                event = found[0]
                self.event_cursor = event["seq"]
                if a["as"]:
                    self.orders[a["as"]] = event.get("order_id", event.get("order"))
                bound = f"; {a['as']} = order {self.orders[a['as']]}" if a["as"] else ""
                return f"event seq {event['seq']} ({event['kind']}) after {waited} ms{bound}"
            if waited >= a["timeoutMs"]:
                self._fail(step, "wait", f"no event matching {a['event']} within {a['timeoutMs']} ms", FAIL)
            yield a["pollMs"]
            waited += a["pollMs"]

    def _await(self, step: Step) -> Generator[int, None, str]:
        a = step.args
        what = trigger_text(a)
        self._say_waiting(step, f"waiting up to {a['timeoutMs'] / 1000:g} s for {what}")
        waited = 0
        while True:
            found = self._triggered(a)
            if found is not None:
                if a["mark"]:
                    self.marks[a["mark"]] = self.traffic_cursor
                return (f"{what}: seen after {waited} ms" + (f" ({found})" if found else "")
                        + (f"; {a['mark']} marks it" if a["mark"] else ""))
            if waited >= a["timeoutMs"]:
                self._fail(step, "await", f"no sign of {what} within {a['timeoutMs'] / 1000:g} s", FAIL)
            yield a["pollMs"]
            waited += a["pollMs"]

    def _triggered(self, a: dict[str, Any]) -> str | None:
        """What fired the trigger ("" when there is nothing to say), or None while it has not."""
        seen = [o for o in self.observations() if o["seq"] > self.traffic_cursor]
        if self.arrived_at is None and self._observations:
            self.arrived_at = self._observations[0]["at"]
        if a["trigger"] == "afterMs":
            if self.arrived_at is None:
                return None
            now = self.target.clock()["now"]
            return "" if now >= self.arrived_at + a["ms"] else None
        wanted = {"kind": a["kind"], "endpoint": a.get("endpoint"), "stream": a.get("stream")}
        for observation in seen:
            if matches(observation, wanted):
                if a["status"] is not None and observation.get("status") != a["status"]:
                    if observation.get("status") is None:
                        return None  # not answered yet: look again
                    continue
                self.traffic_cursor = observation["seq"]
                return observation_text(observation)
        return None

    # --- the end -----------------------------------------------------------------------------------------
    def _judge(self) -> None:
        failed = []
        for check in self.scenario.verdict:
            try:
                summary, problems = run_check(self.target, self, check.args)
            except ControlError as exc:
                self._fail(check, "verdict", f"{describe(check.args)}: {exc.code}: {exc.message}", ERROR)
            ok = not problems
            self.result.checks.append({"check": describe(check.args), "line": check.line, "ok": ok,
                                       "summary": summary, "problems": problems})
            self._entry(check, "verdict", ok, f"{describe(check.args)}: {summary}"
                        + (f" ({'; '.join(problems)})" if problems else ""), index=-2)
            if problems:
                failed.append(f"{describe(check.args)}: {'; '.join(problems)}")
        if failed:
            self.result.failure = "; ".join(failed)
            raise _Stop(FAIL)

    def clean_up(self) -> None:
        """Leave the exchange as a client found it: idempotent, and each part is tried whatever the others do."""
        if self._cleaned:
            return
        self._cleaned = True
        t = self.target
        try:
            no_undo = "a delisting has no undo" if self._delisted else self._futures_leftovers()
        except Exception as exc:  # noqa: BLE001 - an unreachable server: the reset below says so too
            no_undo = f"the scenario's own positions could not be closed ({exc})"
        if no_undo:  # back to the config, which lists every symbol and holds none of the scene's positions
            self._run_cleanup([("reset", lambda: t.reset() and f"{no_undo}: the simulator is reset to its config")])
            return
        tasks: list[tuple[str, Callable[[], str | None]]] = [("faults", lambda: (
            f"cleared {len(t.clear_faults()['cleared'])} fault(s)"))]
        if "skew" in self._before:
            tasks.append(("clock", lambda: f"skew back to {t.set_skew(ms=self._before['skew'])['skewMs']} ms"))
        if self._advanced:
            tasks.append(("clock", lambda: f"gave back {self._advanced} ms: now "
                          f"{t.rewind_clock(ms=min(self._advanced, t.clock()['advancedMs']))['now']}"))
        for symbol in sorted(self._walks_off, key=str):
            tasks.append(("market", lambda symbol=symbol: t.set_walk(enabled=True, symbol=symbol) and
                          f"random walk on for {symbol or 'every symbol'}"))
        if self._before.get("maker"):
            tasks.append(("market", lambda: None if not t.prices()["marketMaker"]["paused"] else
                          t.set_market_maker(enabled=True) and "market maker running again"))
        for symbol in sorted(self._indexed):
            tasks.append(("market", lambda symbol=symbol: self._restore_index(symbol)))
        tasks += self._futures_cleanup_tasks()
        for symbol, status in self._before.get("statuses", {}).items():
            tasks.append(("symbol", lambda symbol=symbol, status=status: self._restore_status(symbol, status)))
        for symbol in sorted(self._rules_changed):
            tasks.append(("symbol", lambda symbol=symbol: self._restore_rules(symbol)))
        for account_id in self.own_accounts:
            tasks.append(("orders", lambda account_id=account_id: self._cancel_own(account_id)))
        self._run_cleanup(tasks)

    def _run_cleanup(self, tasks: list[tuple[str, Callable[[], str | None]]]) -> None:
        for action, task in tasks:
            try:
                summary = task()
            except ControlError as exc:
                self._entry(None, action, False, f"clean-up failed: {exc.code}: {exc.message}", index=-3)
            except Exception as exc:  # an unreachable server: say so, and go on with the rest
                self._entry(None, action, False, f"clean-up failed: {exc}", index=-3)
            else:
                if summary:
                    self._entry(None, action, True, summary, index=-3)

    def _restore_index(self, symbol: str) -> str | None:
        before = self._before.get("index", {}).get(symbol)
        if before is None:
            return None
        self.target.set_index(symbol=symbol, price=before)
        return f"{symbol} index back to {before}"

    def _restore_status(self, symbol: str, status: str) -> str | None:
        symbols = self.target.symbols()["symbols"]
        if symbol not in symbols or symbols[symbol]["status"] == status:
            return None
        self.target.set_symbol_status(symbol=symbol, status=status)
        return f"{symbol} back to {status}"

    def _restore_rules(self, symbol: str) -> str:
        before = self._before["rules"][symbol]
        r = self.target.change_symbol_rules(symbol=symbol, tick_size=before["tickSize"],
                                            step_size=before["stepSize"], min_notional=before["minNotional"])
        return f"{symbol} rules back: tick {r['tickSize']}, step {r['stepSize']}, min notional {r['minNotional']}"

    def _cancel_own(self, account_id: int) -> str | None:
        orders = self.target.list_orders(account_id=account_id, open_only=True)["orders"]
        for order in orders:
            self.target.cancel_order(order_id=order["orderId"])
        return f"canceled {len(orders)} open order(s) of account {account_id}" if orders else None


def _read_after(read: Callable[..., dict[str, Any]], key: str, after: int) -> Iterator[dict[str, Any]]:
    """Every entry of a paged control-plane log (the engine's events, the wire's traffic) after seq `after`."""
    while True:
        page = read(after=after, limit=10_000)
        entries = page[key]
        yield from entries
        if not entries or entries[-1]["seq"] >= page["lastSeq"]:
            return
        after = entries[-1]["seq"]


# --- drivers --------------------------------------------------------------------------------------------
def drive(player: Player, sleep: Callable[[int], None]) -> Result:
    game = player.play()
    try:
        ms = next(game)
        while True:
            sleep(ms)
            ms = game.send(None)
    except StopIteration as stop:
        return stop.value
    finally:
        game.close()  # interrupted (Ctrl-C): the generator's clean-up runs


async def drive_async(player: Player) -> Result:
    """Play on a running server's event loop: waits are asyncio sleeps, so the server keeps serving."""
    game = player.play()
    try:
        ms = next(game)
        while True:
            await asyncio.sleep(ms / 1000)
            ms = game.send(None)
    except StopIteration as stop:
        return stop.value
    finally:
        game.close()  # canceled (the server stops): the generator's clean-up runs


def play_in_process(scenario: Scenario, control, on_entry: Callable[[Entry], None] | None = None) -> Result:
    """Play against `control`, the in-process control plane (`Control(sim)`) of the simulator it drives."""
    sim = control.sim

    def sleep(ms: int) -> None:
        if sim.clock.frozen:
            control.advance_clock(ms)
        else:
            time.sleep(ms / 1000)
            sim.tick()

    return drive(Player(scenario, control, on_entry), sleep)


def play_remote(scenario: Scenario, client, on_entry: Callable[[Entry], None] | None = None) -> Result:
    return drive(Player(scenario, client, on_entry), lambda ms: time.sleep(ms / 1000))
