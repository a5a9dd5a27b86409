"""Scenario files: YAML read with line numbers, validated into a `Scenario`, or a ScenarioError naming the line.

A scenario is a scene that happens to a *subject*, the client under test: setup arranges the market, each step
then waits for the subject (or for time measured from its arrival) and acts, and the verdict judges the subject
on exchange-side facts. The scenario's own orders belong to its own accounts (counterparties), never to the
subject, and everything it changed is undone when it ends (simulator.control.scenarios).

    name: partial-fills                    # required
    description: ...                       # required: what the subject sees on the wire
    correct: ...                           # optional: what a correct client does (the README shows it)
    reproduces: [FILL-101]                 # optional: conformance check ids
    subject: {accounts: [demo]}            # optional: the subject's accounts (default: the config's accounts);
                                           # `subject` stands for the first one wherever an account is named
    setup:                                 # optional
      reset: true                          # default true: start from a reset simulator
      marketMaker: true                    # default: the config's market maker runs (false: paused, quotes gone)
      instruments:                         # symbols used; each must be configured. status / index optional
        - {symbol: BTCUSDT, status: TRADING, index: "65000"}
      accounts:                            # the scenario's own accounts (counterparties), referenced by name
        - {name: maker, balances: {USDT: "100000", BTC: "1"}, feeTier: 0}
      book:                                # resting orders placed before the first step (a place step each)
        - {as: ask1, account: maker, symbol: BTCUSDT, side: SELL, price: "65010", quantity: "0.5"}
    steps:                                 # the timeline; each step is a mapping with ONE action key
      - await: {request: "POST /api/v3/order", timeoutMs: 120000}
                                           # the subject's next matching request (or: connect: true,
                                           # subscribe: "btcusdt@depth*", userStream: true, disconnect: true,
                                           # arrival: true, afterMs: N = N ms after the subject arrived);
                                           # optional status: 200 (of a request), timeoutMs (default 120000),
                                           # mark: NAME (what the subject does after this is "after: NAME")
      - wait: {event: {kind: order, account: subject, exec_type: NEW}, as: o1, timeoutMs: 120000, pollMs: 50}
                                           # an engine event after the previous wait's; `as` names its order
      - pause: 500                         # let ms of time pass (the clock is not moved)
      - mark: gapped                       # remember this moment (a traffic check's after/before): what
                                           # the subject sends from now on is after it
      - place: {as: o1, account: maker, symbol: BTCUSDT, side: BUY, type: LIMIT, price: "65000",
                quantity: "0.3", timeInForce: GTC}     # type defaults to LIMIT, timeInForce to GTC for LIMIT
      - cancel: {order: o1}                            # by the venue (asClient: true goes through the cancel
                                                       # fault hook, as the owner's own cancel would)
      - take: {order: o1, qty: "0.1"}                  # the counterparty trades exactly qty of o1 (no qty:
                                                       # what is left of it)
      - fault: {as: f1, kind: http_error, status: 503, endpoint: "POST /api/v3/order", count: 2}
                                                       # a fault spec (control.faults); `account: NAME` and
                                                       # `order: REF` may stand for accountId / orderId
      - clearFault: f1                                 # or: all
      - advance: 1000                                  # clock, ms: given back when the scenario ends
      - skew: -3000                                    # server clock skew, ms: undone when it ends
      - index: {symbol: BTCUSDT, price: "64000"}       # needs the market maker
      - walk: {symbol: BTCUSDT, enabled: false}
      - status: {symbol: BTCUSDT, status: HALT}
      - rules: {symbol: BTCUSDT, tickSize: "1", stepSize: "0.001", minNotional: "20"}   # put back at the end
      - delist: ETHUSDT                                # its orders canceled by the venue, the symbol gone;
                                                       # no undo: the simulator is reset when the scenario ends
      - deposit: {account: trader, asset: USDT, amount: "100"}
      - withdraw: {account: trader, asset: USDT, amount: "100"}
      - feeTier: {account: trader, tier: 1}
      - listenKey: {account: trader, as: k1}
      - expect: {order: o1, status: PARTIALLY_FILLED, executedQty: "0.2"}   # the scene is as arranged
      - note: free text, printed in the timeline
      - settle: BTCUSDT                                # perpetual steps (settle, fundingRate, markPrice,
                                                       # futuresDeposit, futuresSettings, futuresPlace):
                                                       # see simulator.control.scenario_futures
    verdict:                               # checks on exchange-side facts once the steps ran: all must hold
      - {orders: subject, clientOrderId: lost-1, count: 1}
      - {traffic: request, endpoint: "GET /api/v3/depth", after: gapped}
    A step may add `expectError: CODE` (the step must fail with that control error code or engine reason, e.g.
    INSUFFICIENT_BALANCE) and `note: TEXT` (printed with it).

Checks (`expect` steps and `verdict` entries): see simulator.control.scenario_checks.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from simulator.control.errors import ControlError, bad_request
from simulator.control.faults import FaultSpecError, validate_spec
from simulator.control.scenario_checks import must_be_true, parse_check
from simulator.control.scenario_futures import FUTURES_ACTIONS, FuturesStepReader
from simulator.control.traffic import CONNECT, DISCONNECT, REQUEST, SUBSCRIBE, USER_STREAM
from simulator.engine.instrument import SYMBOL_STATUSES
from simulator.engine.order import ORDER_TYPES, SIDES, TIMES_IN_FORCE
from simulator.inputs import (MAX_AMOUNT, MAX_CLOCK_MS, BoundedYaml, Fields, InputError, boolean, decimal,
                              elements, integer, located, mapping_of, one_of, shown, text)

# Package data: pyproject.toml ships the top-level fixtures/ folder as the package simulator.fixtures, found the
# same way from a checkout's editable install and from an installed wheel, whatever the working directory.
SCENARIO_DIR = resources.files("simulator.fixtures") / "scenarios"


class ScenarioError(ValueError):
    """An invalid scenario: "file.yaml:12: steps[3].fault.kind: unknown fault 'xx'"."""


# --- YAML with line numbers -----------------------------------------------------------------------------
class LDict(dict):
    """A mapping that remembers the line of itself and of each value."""

    line: int = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines: dict[Any, int] = {}


class LList(list):
    line: int = 0

    def __init__(self, *args):
        super().__init__(*args)
        self.lines: list[int] = []


class _Loader(BoundedYaml, yaml.SafeLoader):
    """A SafeLoader (no arbitrary objects) recording lines, refusing nesting too deep and absurd integers."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LDict:
    loader.flatten_mapping(node)
    out = LDict()
    out.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = value_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LList:
    out = LList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> Decimal:
    """YAML floats become exact Decimals from their text: no float ever holds an amount."""
    text = loader.construct_scalar(node).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise yaml.constructor.ConstructorError(None, None, f"not a finite number: {text!r}",
                                                node.start_mark) from None
    if not value.is_finite():
        raise yaml.constructor.ConstructorError(None, None, f"not a finite number: {text!r}", node.start_mark)
    return value


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


# --- the validated scenario ------------------------------------------------------------------------------
@dataclass
class Step:
    index: int  # -1 for setup steps
    path: str  # "steps[3]" or "setup.book[0]"
    line: int
    action: str
    args: Any  # the action's validated value (a dict for most)
    note: str | None = None
    expect_error: str | None = None


@dataclass
class Scenario:
    name: str
    description: str
    source: str
    correct: str = ""
    reproduces: tuple[str, ...] = ()
    subject: tuple[str, ...] = ()  # account names; empty: the config's accounts
    setup_line: int = 1
    reset: bool = True
    market_maker: bool | None = None  # None: running if the config has one
    instruments: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    book: list[Step] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    verdict: list[Step] = field(default_factory=list)  # action "check", args a check (scenario_checks)

    def where(self, step: Step) -> str:
        return f"{self.source}:{step.line}: {step.path}"


def load_scenario_text(text: str, source: str = "<scenario>") -> Scenario:
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"{mark.line + 1}" if mark is not None else "?"
        raise ScenarioError(f"{source}:{line}: not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: not valid YAML: {exc}") from None
    except InputError as exc:
        raise ScenarioError(f"{source}:{exc.line}: not valid YAML: {exc.reason}") from None
    return _Validator(source).scenario(data)


def load_scenario_file(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return load_scenario_text(text, path.name if path.parent == SCENARIO_DIR else str(path))


# --- validation ------------------------------------------------------------------------------------------
_STEP_ACTIONS = ("await", "wait", "pause", "mark", "place", "cancel", "take", "fault", "clearFault", "advance", "skew",
                 "index", "walk", "status", "rules", "delist", "deposit", "withdraw", "feeTier", "listenKey", "expect",
                 "note", *FUTURES_ACTIONS)
# await: the trigger keys, each with the traffic kind it waits for and how its value is read
_TRIGGERS = ("request", "connect", "subscribe", "userStream", "disconnect", "arrival", "afterMs")
_TRIGGER_KINDS = {"request": REQUEST, "connect": CONNECT, "subscribe": SUBSCRIBE, "userStream": USER_STREAM,
                  "disconnect": DISCONNECT, "arrival": None}
# How long a step waits for its subject by default: someone may be starting their client by hand.
SUBJECT_TIMEOUT_MS = 120_000
_FAILABLE = ("place", "cancel", "take", "fault", "withdraw", "deposit", "index", "walk", "status", "rules", "delist",
             "feeTier", "listenKey", "clearFault", *FUTURES_ACTIONS)


class _Validator(FuturesStepReader):
    """Reads a scenario document with `simulator.inputs`, remembering the names defined so far (orders, faults,
    listenKeys, accounts) so a step can refer only to what an earlier step created."""

    def __init__(self, source: str):
        self.source = source
        self.orders: set[str] = set()
        self.faults: set[str] = set()
        self.listen_keys: set[str] = set()
        self.accounts: set[str] = set()
        self.anchors: set[str] = set()  # marks and faults: what a traffic check's after/before/during names

    @staticmethod
    def amount(value: Any, path: str, positive: bool = False) -> str:
        return _amount(value, path, positive)

    def scenario(self, data: Any) -> Scenario:
        try:
            return self._scenario(data)
        except InputError as exc:
            raise ScenarioError(f"{self.source}:{exc.line or 1}: {exc}") from None

    # --- primitives ----------------------------------------------------------------------------------------
    @staticmethod
    def mapping(value: Any, path: str, line: int, required: tuple[str, ...] = (),
                optional: tuple[str, ...] = ()) -> Fields:
        return Fields(value, path, line).only(*required, *optional, required=required)

    @staticmethod
    def ref(m: Fields, key: str, known: set[str], what: str) -> str:
        name = m.required(key, text)
        if name not in known:
            raise InputError(m.child(key), f"no {what} named {name!r} defined before this step (use `as: {name}` "
                                           "where it is created)", m.line_of(key))
        return name

    @staticmethod
    def define(m: Fields, known: set[str]) -> str | None:
        name = m.optional("as", text)
        if name is not None:
            known.add(name)
        return name

    @staticmethod
    def account(m: Fields, key: str) -> str:
        return m.required(key, text)  # resolved at run time: setup accounts or existing ones (demo)

    # --- the document -------------------------------------------------------------------------------------
    def _scenario(self, data: Any) -> Scenario:
        root = self.mapping(data, "", 1, ("name", "description", "steps"),
                            ("reproduces", "setup", "subject", "verdict", "correct"))
        scenario = Scenario(name=root.required("name", text), description=root.required("description", text),
                            source=self.source, correct=root.optional("correct", text, ""))
        scenario.reproduces = root.optional("reproduces", _check_ids, ())
        if "subject" in root:
            subject = self.mapping(root.data["subject"], "subject", root.line_of("subject"), ("accounts",))
            scenario.subject = subject.required("accounts", _names)
        if "setup" in root:
            self.setup(Fields(root.data["setup"], "setup", root.line_of("setup")), scenario)
        for raw, path, line in elements(root.data["steps"], "steps", root.line_of("steps"),
                                        non_empty="expected a non-empty list of steps"):
            scenario.steps.append(self.step(raw, len(scenario.steps), path, line))
        for raw, path, line in _items(root, "verdict"):
            scenario.verdict.append(Step(len(scenario.verdict), path, line, "check",
                                         parse_check(self, raw, path, line, _amount, self.anchors)))
        return scenario

    def setup(self, setup: Fields, scenario: Scenario) -> None:
        setup.only("reset", "marketMaker", "instruments", "accounts", "book")
        scenario.setup_line = setup.line
        scenario.reset = setup.optional("reset", boolean, True)
        scenario.market_maker = setup.optional("marketMaker", boolean)
        for item, path, at in _items(setup, "instruments"):
            m = self.mapping(item, path, at, ("symbol",), ("status", "index"))
            scenario.instruments.append({
                "symbol": m.required("symbol", text).upper(), "status": m.optional("status", one_of(SYMBOL_STATUSES)),
                "index": m.optional("index", _amount, positive=True), "line": m.line, "path": path})
        for item, path, at in _items(setup, "accounts"):
            m = self.mapping(item, path, at, ("name",), ("balances", "feeTier", "apiKey", "secret"))
            name = m.required("name", text)
            if name in self.accounts or name == "subject":
                raise InputError(f"{path}.name", f"duplicate account name {name!r}" if name != "subject" else
                                 "`subject` names the client under test, not one of the scenario's accounts",
                                 m.line_of("name"))
            self.accounts.add(name)
            scenario.accounts.append({
                "name": name, "balances": m.optional("balances", mapping_of(_amount), {}),
                "feeTier": m.optional("feeTier", integer, 0, minimum=0),
                "apiKey": m.optional("apiKey", text), "secret": m.optional("secret", text),
                "line": m.line, "path": path})
        for item, path, at in _items(setup, "book"):
            scenario.book.append(Step(-1, path, at, "place", self.place(item, path, at)))

    def step(self, raw: Any, index: int, path: str, line: int) -> Step:
        if not isinstance(raw, dict):
            raise InputError(path, f"expected a mapping with one action ({', '.join(_STEP_ACTIONS)})", line)
        m = Fields(raw, path, line)
        actions = [key for key in raw if key in _STEP_ACTIONS and not (key == "note" and len(raw) > 1)]
        if len(actions) != 1:
            if not actions:
                unknown = next((k for k in raw if k not in ("note", "expectError")), None)
                if unknown is not None:
                    raise InputError(m.child(unknown), f"unknown action (known: {', '.join(_STEP_ACTIONS)})",
                                     m.line_of(unknown))
                raise InputError(path, f"no action (known: {', '.join(_STEP_ACTIONS)})", line)
            raise InputError(path, f"one action per step, got {', '.join(actions)}", line)
        action = actions[0]
        for key in raw:
            if key not in (action, "note", "expectError"):
                raise InputError(m.child(key), "unknown key (a step has one action, plus optional note and "
                                               "expectError)", m.line_of(key))
        note = m.optional("note", text) if action != "note" else None
        expect_error = m.optional("expectError", text)
        if expect_error is not None and action not in _FAILABLE:
            raise InputError(m.child("expectError"), f"{action} steps cannot fail on purpose",
                             m.line_of("expectError"))
        at = m.line_of(action)
        args = getattr(self, f"step_{action}")(raw[action], m.child(action), at)
        return Step(index, path, at, action, args, note, expect_error)

    # --- actions ----------------------------------------------------------------------------------------
    def place(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("account", "symbol", "side"),
                         ("as", "type", "quantity", "price", "timeInForce", "quoteOrderQty", "stopPrice",
                          "clientOrderId"))
        order_type = m.optional("type", one_of(ORDER_TYPES), "LIMIT")
        args = {
            "account": self.account(m, "account"),
            "symbol": m.required("symbol", text).upper(),
            "side": m.required("side", one_of(SIDES)),
            "type": order_type,
            "quantity": m.optional("quantity", _amount),
            "price": m.optional("price", _amount),
            "timeInForce": m.optional("timeInForce", one_of(TIMES_IN_FORCE), "GTC" if order_type == "LIMIT" else None),
            "quoteOrderQty": m.optional("quoteOrderQty", _amount),
            "stopPrice": m.optional("stopPrice", _amount),
            "clientOrderId": m.optional("clientOrderId", text),
        }
        args["as"] = self.define(m, self.orders)
        return args

    step_place = place

    def step_cancel(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("order",), ("asClient",))
        return {"order": self.ref(m, "order", self.orders, "order"), "asClient": m.optional("asClient", boolean, False)}

    def step_take(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("order",), ("qty",))  # no qty: all that is left of it
        return {"order": self.ref(m, "order", self.orders, "order"), "qty": m.optional("qty", _amount)}

    def step_fault(self, value: Any, path: str, line: int) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise InputError(path, "expected a fault spec mapping with a kind", line)
        m = Fields(value, path, line)
        spec = dict(value)
        name = self.define(m, set())
        spec.pop("as", None)
        account = order = None
        if "account" in spec:
            if "accountId" in spec:
                raise InputError(m.child("account"), "give account (a name) or accountId, not both",
                                 m.line_of("account"))
            account = self.account(m, "account")
            spec["accountId"] = 1  # a placeholder for validation; the name is resolved when the step runs
            del spec["account"]
        if "order" in spec:
            if "orderId" in spec:
                raise InputError(m.child("order"), "give order (a name) or orderId, not both", m.line_of("order"))
            order = self.ref(m, "order", self.orders, "order")
            spec["orderId"] = 1
            del spec["order"]
        try:
            validate_spec(spec)
        except FaultSpecError as exc:
            key = {"accountId": "account" if account else "accountId",
                   "orderId": "order" if order else "orderId"}.get(exc.field, exc.field)
            raise InputError(m.child(key) if key else path, exc.reason, m.line_of(key) if key else line) from None
        if name is not None:
            self.faults.add(name)
            self.anchors.add(name)
        clean = {k: v for k, v in value.items() if k not in ("as", "account", "order")}
        return {"spec": clean, "as": name, "account": account, "order": order}

    def step_clearFault(self, value: Any, path: str, line: int) -> str:  # noqa: N802 - the YAML key
        if value == "all":
            return "all"
        if not isinstance(value, str) or value not in self.faults:
            raise InputError(path, f"expected 'all' or the name of a fault defined before ({shown(value)} is not)",
                             line)
        return value

    @staticmethod
    def step_advance(value: Any, path: str, line: int) -> int:
        return located(integer, value, path, line, 0, MAX_CLOCK_MS)

    @staticmethod
    def step_skew(value: Any, path: str, line: int) -> int:
        return located(integer, value, path, line, -MAX_CLOCK_MS, MAX_CLOCK_MS)

    def step_index(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("symbol", "price"))
        return {"symbol": m.required("symbol", text).upper(), "price": m.required("price", _amount, positive=True)}

    def step_walk(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("enabled",), ("symbol",))
        return {"enabled": m.required("enabled", boolean), "symbol": m.optional("symbol", text)}

    def step_status(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("symbol", "status"))
        return {"symbol": m.required("symbol", text).upper(), "status": m.required("status", one_of(SYMBOL_STATUSES))}

    def step_rules(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("symbol",), ("tickSize", "stepSize", "minNotional"))
        out = {"symbol": m.required("symbol", text).upper(), "tickSize": m.optional("tickSize", _amount, positive=True),
               "stepSize": m.optional("stepSize", _amount, positive=True),
               "minNotional": m.optional("minNotional", _amount)}
        if all(out[key] is None for key in ("tickSize", "stepSize", "minNotional")):
            raise InputError(path, "give at least one of tickSize, stepSize, minNotional", line)
        return out

    @staticmethod
    def step_delist(value: Any, path: str, line: int) -> str:
        return located(text, value, path, line).upper()

    def _money(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("account", "asset", "amount"))
        return {"account": self.account(m, "account"), "asset": m.required("asset", text),
                "amount": m.required("amount", _amount, positive=True)}

    step_deposit = _money
    step_withdraw = _money

    def step_feeTier(self, value: Any, path: str, line: int) -> dict[str, Any]:  # noqa: N802 - the YAML key
        m = self.mapping(value, path, line, ("account", "tier"))
        return {"account": self.account(m, "account"), "tier": m.required("tier", integer, minimum=0)}

    def step_listenKey(self, value: Any, path: str, line: int) -> dict[str, Any]:  # noqa: N802 - the YAML key
        m = self.mapping(value, path, line, ("account",), ("as",))
        return {"account": self.account(m, "account"), "as": self.define(m, self.listen_keys)}

    def event_filter(self, value: Any, path: str, line: int) -> dict[str, Any]:
        if not isinstance(value, dict) or not value:
            raise InputError(path, "expected a non-empty mapping of event fields to values", line)
        m = Fields(value, path, line)
        out = {}
        for key, item in value.items():
            if key == "order":
                out["order"] = self.ref(m, "order", self.orders, "order")
            elif key == "account":
                out["account"] = self.account(m, "account")
            elif isinstance(item, (dict, list)):
                raise InputError(m.child(key), "expected a plain value", m.line_of(key))
            else:
                out[str(key)] = item
        return out

    def step_wait(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("event",), ("as", "timeoutMs", "pollMs"))
        return {"event": self.event_filter(m.data["event"], m.child("event"), m.line_of("event")),
                "as": self.define(m, self.orders),
                "timeoutMs": m.optional("timeoutMs", integer, SUBJECT_TIMEOUT_MS, minimum=1, maximum=MAX_WAIT_MS),
                "pollMs": m.optional("pollMs", integer, 50, minimum=1, maximum=MAX_WAIT_MS)}

    def step_await(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, (), (*_TRIGGERS, "status", "mark", "timeoutMs", "pollMs"))
        triggers = [key for key in _TRIGGERS if key in m.data]
        if len(triggers) != 1:
            raise InputError(path, f"expected one trigger ({', '.join(_TRIGGERS)})", line)
        trigger = triggers[0]
        out: dict[str, Any] = {"trigger": trigger, "kind": _TRIGGER_KINDS.get(trigger),
                               "timeoutMs": m.optional("timeoutMs", integer, SUBJECT_TIMEOUT_MS, minimum=1,
                                                       maximum=MAX_WAIT_MS),
                               "pollMs": m.optional("pollMs", integer, 50, minimum=1, maximum=MAX_WAIT_MS),
                               "status": m.optional("status", integer, minimum=100, maximum=599)}
        if trigger == "request":
            out["endpoint"] = m.required("request", text)
        elif trigger == "subscribe":
            out["stream"] = m.required("subscribe", text)
        elif trigger == "afterMs":
            out["ms"] = m.required("afterMs", integer, minimum=0, maximum=MAX_WAIT_MS)
        else:
            m.required(trigger, must_be_true)
        out["mark"] = self.step_mark(m.data["mark"], m.child("mark"), m.line_of("mark")) if "mark" in m.data \
            else None
        if out["status"] is not None and trigger != "request":
            raise InputError(m.child("status"), "only a request has a status", m.line_of("status"))
        return out

    @staticmethod
    def step_pause(value: Any, path: str, line: int) -> int:
        return located(integer, value, path, line, 1, MAX_WAIT_MS)

    def step_mark(self, value: Any, path: str, line: int) -> str:
        name = located(text, value, path, line)
        if name in self.anchors:
            raise InputError(path, f"{name!r} already names a mark or a fault", line)
        self.anchors.add(name)
        return name

    def step_expect(self, value: Any, path: str, line: int) -> dict[str, Any]:
        return parse_check(self, value, path, line, _amount, self.anchors)

    @staticmethod
    def step_note(value: Any, path: str, line: int) -> str:
        if not isinstance(value, str) or not value.strip():
            raise InputError(path, "expected text", line)
        return value.strip()


# --- values ----------------------------------------------------------------------------------------------
# A wait's timeout or poll interval: an hour.
MAX_WAIT_MS = 3_600_000


def _amount(value: Any, path: str, positive: bool = False) -> str:
    """A non-negative decimal (positive with `positive`) up to MAX_AMOUNT, kept as its text for the control plane,
    which checks it again at its own asset's precision."""
    number = decimal(value, path, minimum=0, maximum=MAX_AMOUNT, positive=positive)
    return value.strip() if isinstance(value, str) else str(number)


def _check_ids(value: Any, path: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise InputError(path, "expected a list of check ids")
    return tuple(value)


def _names(value: Any, path: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item for item in value):
        raise InputError(path, "expected a non-empty list of account names")
    return tuple(value)


def _items(fields: Fields, key: str) -> Iterator[tuple[Any, str, int | None]]:
    """(item, path, line) of each element of the list under `key`; none when the key is absent."""
    if fields.data.get(key) is None:
        return iter(())
    return elements(fields.data[key], fields.child(key), fields.line_of(key))


def shipped_files() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.yaml"))


def resolve(yaml_text: str | None = None, name: str | None = None) -> Scenario:
    """A scenario from YAML text or a shipped scenario's name; a ControlError for a bad request."""
    if (yaml_text is None) == (name is None):
        raise bad_request("give exactly one of yaml (the scenario text) and name (a shipped scenario)")
    try:
        if yaml_text is not None:
            if not isinstance(yaml_text, str):
                raise bad_request("yaml: expected the scenario's YAML text")
            return load_scenario_text(yaml_text, "<request>")
        if not isinstance(name, str) or not name.replace("-", "").replace("_", "").isalnum():
            raise bad_request(f"name: {name!r} is not a scenario name")
        path = SCENARIO_DIR / f"{name}.yaml"
        if not path.is_file():
            known = ", ".join(p.stem for p in shipped_files())
            raise ControlError("unknown_scenario", f"no shipped scenario {name!r} (have: {known})", 404)
        return load_scenario_file(path)
    except ScenarioError as exc:
        raise ControlError("invalid_scenario", str(exc), 400) from None


def shipped_scenarios() -> list[Scenario]:
    return [load_scenario_file(path) for path in shipped_files()]

