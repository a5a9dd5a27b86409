"""Playing a scenario (see scenario_schema for the file format) against a control-plane target.

The target is anything with the control plane's operations: `Control(sim)` in-process, or `ControlClient(url)`
over HTTP; both answer with the same JSON-ready dicts and raise the same `ControlError`s. The `Player` is a
generator that yields whenever a `wait` step wants time to pass, so each driver decides what waiting means:

* in-process (`play_in_process`): a frozen clock is advanced by the poll interval (so waits take simulated
  time and stay deterministic), a running clock is slept on; either way the simulator then ticks;
* over HTTP (`play_remote`, the CLI): sleep, while the server's own loop runs the market and the faults;
* server-side (`POST /_sim/v1/scenarios/run`): `await asyncio.sleep`, so the server keeps serving meanwhile.

Every step becomes a timeline entry {index, line, action, ok, summary}; the first failing step (an expectation
not met, an unexpected error, or an `expectError` that did not happen) ends the run.
"""
from __future__ import annotations

import asyncio

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simulator.control.errors import ControlError
from simulator.control.scenario_schema import (Scenario, ScenarioError, Step, load_scenario_file,
                                               load_scenario_text, resolve, shipped_files, shipped_scenarios)

__all__ = ["Entry", "Player", "Result", "Scenario", "ScenarioError", "Step", "drive", "drive_async", "load_scenario_file",
           "load_scenario_text", "play_in_process", "play_remote", "resolve", "shipped_files", "shipped_scenarios"]


@dataclass
class Entry:
    index: int
    line: int
    action: str
    ok: bool
    summary: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "line": self.line, "action": self.action, "ok": self.ok,
                "summary": self.summary}

    def render(self) -> str:
        where = f"step {self.index:>2}" if self.index >= 0 else "setup  "
        return f"{'ok  ' if self.ok else 'FAIL'} {where} (line {self.line:>3}) {self.action:<10} {self.summary}"


@dataclass
class Result:
    name: str
    ok: bool = True
    timeline: list[Entry] = field(default_factory=list)
    failure: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "failure": self.failure,
                "timeline": [e.to_dict() for e in self.timeline]}


class StepFailed(Exception):
    pass


def _same_decimal(actual: Any, expected: str) -> bool:
    return Decimal(str(actual)) == Decimal(expected)


class Player:
    def __init__(self, scenario: Scenario, target, on_entry: Callable[[Entry], None] | None = None):
        self.scenario = scenario
        self.target = target
        self.on_entry = on_entry
        self.result = Result(scenario.name)
        self.accounts: dict[str, int] = {}
        self.orders: dict[str, int] = {}
        self.faults: dict[str, int] = {}
        self.listen_keys: dict[str, str] = {}
        self.start_seq = 0

    # --- the run -----------------------------------------------------------------------------------------
    def play(self) -> Generator[int, None, Result]:
        """Run to the end; yields a number of milliseconds whenever a wait wants time to pass."""
        s = self.scenario
        try:
            self._setup()
            self.start_seq = self.target.events(after=0, limit=1)["lastSeq"]
            for step in s.steps:
                yield from self._run(step)
        except StepFailed:
            pass
        return self.result

    def _entry(self, step: Step | None, action: str, ok: bool, summary: str, line: int | None = None) -> None:
        entry = Entry(step.index if step else -1, line if line is not None else (step.line if step else 0),
                      action, ok, summary)
        self.result.timeline.append(entry)
        if self.on_entry is not None:
            self.on_entry(entry)
        if not ok:
            self.result.ok = False
            where = f"{self.scenario.source}:{entry.line}"
            path = step.path if step else "setup"
            self.result.failure = f"{where}: {path}: {summary}"
            raise StepFailed(summary)

    def _setup(self) -> None:
        s, t = self.scenario, self.target
        try:
            if s.reset:
                t.reset()
                self._entry(None, "reset", True, "simulator reset to its config", s.setup_line)
            prices = t.prices()
            if prices["marketMaker"] is not None:
                if prices["marketMaker"]["paused"] != (not s.market_maker):
                    t.set_market_maker(enabled=s.market_maker)
                    self._entry(None, "market", True, "market maker " + ("resumed" if s.market_maker else
                                                                          "paused, its quotes canceled"),
                                s.setup_line)
            elif s.market_maker:
                self._entry(None, "market", False, "the scenario wants the market maker, which is disabled",
                            s.setup_line)
            for item in s.instruments:
                symbols = t.symbols()["symbols"]
                if item["symbol"] not in symbols:
                    self._entry(None, "instrument", False, f"{item['path']}: symbol {item['symbol']} is not "
                                f"configured (have: {', '.join(symbols)})", item["line"])
                if item["status"] is not None:
                    t.set_symbol_status(symbol=item["symbol"], status=item["status"])
                if item["index"] is not None:
                    t.set_index(symbol=item["symbol"], price=item["index"])
                self._entry(None, "instrument", True, f"{item['symbol']}" +
                            (f" status {item['status']}" if item["status"] else "") +
                            (f" index {item['index']}" if item["index"] else ""), item["line"])
            for item in s.accounts:
                created = t.create_account(name=item["name"], api_key=item["apiKey"], secret=item["secret"],
                                           fee_tier=item["feeTier"], balances=item["balances"] or None)
                self.accounts[item["name"]] = created["id"]
                funds = ", ".join(f"{v} {k}" for k, v in item["balances"].items()) or "no funds"
                self._entry(None, "account", True, f"{item['name']} = account {created['id']} ({funds})",
                            item["line"])
        except ControlError as exc:
            self._entry(None, "setup", False, f"{exc.code}: {exc.message}", s.setup_line)
        for step in s.book:
            list(self._run(step))  # place steps never wait

    def _account(self, step: Step, name: str) -> int:
        if name not in self.accounts:
            found = {a["name"]: a["id"] for a in self.target.list_accounts()["accounts"]}
            if name not in found:
                self._entry(step, step.action, False, f"no account named {name!r} (setup.accounts creates them)")
            self.accounts[name] = found[name]
        return self.accounts[name]

    def _run(self, step: Step) -> Generator[int, None, None]:
        try:
            if step.action == "wait":
                summary = yield from self._wait(step)
            else:
                summary = getattr(self, f"_do_{step.action}")(step, step.args)
        except ControlError as exc:
            reason = exc.extra.get("reason")
            if step.expect_error is not None and step.expect_error in (exc.code, reason):
                self._entry(step, step.action, True, f"failed as expected: {exc.code}"
                            + (f" ({reason})" if reason else "") + (f"  # {step.note}" if step.note else ""))
                return
            self._entry(step, step.action, False, f"{exc.code}: {exc.message}")
            return
        if step.expect_error is not None:
            self._entry(step, step.action, False, f"expected error {step.expect_error}, but it succeeded: {summary}")
        self._entry(step, step.action, True, summary + (f"  # {step.note}" if step.note else ""))

    # --- actions -----------------------------------------------------------------------------------------
    def _do_place(self, step: Step, a: dict[str, Any]) -> str:
        account = self._account(step, a["account"])
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
        return f"{a['order']} -> {result['order']['status']}"

    def _do_take(self, step: Step, a: dict[str, Any]) -> str:
        result = self.target.take(order_id=self.orders[a["order"]], qty=a["qty"])
        order = result["order"]
        return (f"counterparty took {a['qty']} of {a['order']} at {order['price']} -> {order['status']}, "
                f"executed {order['executedQty']}")

    def _do_fault(self, step: Step, a: dict[str, Any]) -> str:
        spec = dict(a["spec"])
        if a["account"]:
            spec["accountId"] = self._account(step, a["account"])
        if a["order"]:
            spec["orderId"] = self.orders[a["order"]]
        fault = self.target.add_fault(spec=spec)
        if a["as"]:
            self.faults[a["as"]] = fault["id"]
        detail = ", ".join(f"{k}={v}" for k, v in spec.items() if k != "kind")
        log = f"; {'; '.join(fault['log'])}" if fault.get("log") else ""
        return f"{a['as'] or 'fault'} = {fault['id']}: {spec['kind']} ({detail}) {fault['state']}{log}"

    def _do_clearFault(self, step: Step, name: str) -> str:  # noqa: N802 - the YAML key
        if name == "all":
            return f"cleared {len(self.target.clear_faults()['cleared'])} fault(s)"
        self.target.clear_fault(fault_id=self.faults[name])
        return f"cleared {name}"

    def _do_advance(self, step: Step, ms: int) -> str:
        return f"clock +{ms} ms -> {self.target.advance_clock(ms=ms)['now']}"

    def _do_skew(self, step: Step, ms: int) -> str:
        return f"server clock skew {self.target.set_skew(ms=ms)['skewMs']} ms"

    def _do_index(self, step: Step, a: dict[str, Any]) -> str:
        prices = self.target.set_index(symbol=a["symbol"], price=a["price"])
        return f"{a['symbol']} index {prices['prices'][a['symbol']]['index']}, maker requoted"

    def _do_walk(self, step: Step, a: dict[str, Any]) -> str:
        self.target.set_walk(enabled=a["enabled"], symbol=a["symbol"])
        return f"random walk {'on' if a['enabled'] else 'off'} for {a['symbol'] or 'every symbol'}"

    def _do_status(self, step: Step, a: dict[str, Any]) -> str:
        return f"{a['symbol']} -> {self.target.set_symbol_status(symbol=a['symbol'], status=a['status'])['status']}"

    def _do_deposit(self, step: Step, a: dict[str, Any]) -> str:
        r = self.target.deposit(account_id=self._account(step, a["account"]), asset=a["asset"], amount=a["amount"])
        return f"{a['account']} +{r['amount']} {r['asset']} (free {r['balance']['free']})"

    def _do_withdraw(self, step: Step, a: dict[str, Any]) -> str:
        r = self.target.withdraw(account_id=self._account(step, a["account"]), asset=a["asset"], amount=a["amount"])
        return f"{a['account']} -{r['amount']} {r['asset']} (free {r['balance']['free']})"

    def _do_feeTier(self, step: Step, a: dict[str, Any]) -> str:  # noqa: N802 - the YAML key
        self.target.set_fee_tier(account_id=self._account(step, a["account"]), tier=a["tier"])
        return f"{a['account']} fee tier {a['tier']}"

    def _do_listenKey(self, step: Step, a: dict[str, Any]) -> str:  # noqa: N802 - the YAML key
        key = self.target.create_listen_key(account_id=self._account(step, a["account"]))["listenKey"]
        if a["as"]:
            self.listen_keys[a["as"]] = key
        return f"{a['as'] or 'listenKey'} = {key[:12]}... for {a['account']}"

    def _do_note(self, step: Step, text: str) -> str:
        return text

    # --- waiting and expecting ---------------------------------------------------------------------------
    def _matches(self, step: Step, event: dict[str, Any], wanted: dict[str, Any]) -> bool:
        for key, value in wanted.items():
            if key == "order":
                if event.get("order") != self.orders[value] and event.get("order_id") != self.orders[value]:
                    return False
            elif key == "account":
                if event.get("account_id") != self._account(step, value):
                    return False
            elif key not in event or str(event[key]) != str(value):
                return False
        return True

    def _events(self, step: Step, wanted: dict[str, Any]) -> list[dict[str, Any]]:
        found, after = [], self.start_seq
        while True:
            page = self.target.events(after=after, limit=10_000)
            found += [e for e in page["events"] if self._matches(step, e, wanted)]
            if not page["events"] or page["events"][-1]["seq"] >= page["lastSeq"]:
                return found
            after = page["events"][-1]["seq"]

    def _wait(self, step: Step) -> Generator[int, None, str]:
        a = step.args
        waited = 0
        while True:
            found = self._events(step, a["event"])
            if found:
                return f"event seq {found[0]['seq']} ({found[0]['kind']}) after {waited} ms"
            if waited >= a["timeoutMs"]:
                self._entry(step, "wait", False, f"no event matching {a['event']} within {a['timeoutMs']} ms")
            yield a["pollMs"]
            waited += a["pollMs"]

    def _do_expect(self, step: Step, a: dict[str, Any]) -> str:
        t = self.target
        subject = a["subject"]
        problems: list[str] = []

        def check(name: str, actual: Any, expected: Any, decimal: bool = False) -> None:
            if expected is None:
                return
            same = _same_decimal(actual, expected) if decimal else actual == expected
            if not same:
                problems.append(f"{name} is {actual!r}, expected {expected!r}")

        if subject == "order":
            order = t.get_order(order_id=self.orders[a["order"]])["order"]
            check("status", order["status"], a["status"])
            check("executedQty", order["executedQty"], a["executedQty"], True)
            check("origQty", order["origQty"], a["origQty"], True)
            check("working", order["working"], a["working"])
            summary = f"{a['order']} {order['status']} executed {order['executedQty']}"
        elif subject == "balance":
            balances = t.get_account(account_id=self._account(step, a["account"]))["balances"]
            balance = balances.get(a["asset"], {"free": "0", "locked": "0"})
            check("free", balance["free"], a["free"], True)
            check("locked", balance["locked"], a["locked"], True)
            summary = f"{a['account']} {a['asset']} free {balance['free']} locked {balance['locked']}"
        elif subject == "symbol":
            status = t.symbols()["symbols"][a["symbol"]]["status"]
            check("status", status, a["status"])
            summary = f"{a['symbol']} {status}"
        elif subject == "openOrders":
            orders = t.list_orders(account_id=self._account(step, a["account"]), symbol=a["symbol"])["orders"]
            check("count", len(orders), a["count"])
            summary = f"{a['account']} has {len(orders)} open order(s)"
        elif subject == "fault":
            fault = t.get_fault(fault_id=self.faults[a["fault"]])
            check("state", fault["state"], a["state"])
            check("hits", fault["hits"], a["hits"])
            summary = f"{a['fault']} {fault['state']}, {fault['hits']} hit(s)"
        elif subject == "clockSkewMs":
            skew = t.clock()["skewMs"]
            check("skew", skew, a["ms"])
            summary = f"server clock skew {skew} ms"
        elif subject == "listenKey":
            key = self.listen_keys[a["listenKey"]]
            keys = {k["listenKey"]: k for k in t.list_listen_keys()["listenKeys"]}
            alive = key in keys and keys[key]["alive"]
            check("alive", alive, a["alive"])
            summary = f"{a['listenKey']} {'alive' if alive else 'expired'}"
        elif subject == "rateLimited":
            forced = t.limits()["forced"]
            check("forced refusal", forced, a["status"])
            summary = f"rate limiter {'refuses with ' + str(forced) if forced else 'does not refuse'}"
        elif subject == "audit":
            report = t.audit()
            if not report["ok"]:
                problems.append("; ".join(report["problems"][:3]))
            summary = "engine invariants hold"
        else:  # event
            found = self._events(step, a["event"])
            if a["count"] is None and not found:
                problems.append(f"no event matching {a['event']}")
            check("count", len(found), a["count"])
            summary = f"{len(found)} event(s) matching {a['event']}"
        if problems:
            self._entry(step, "expect", False, "; ".join(problems))
        return summary


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
