"""Scenario files: YAML read with line numbers, validated into a `Scenario`, or a ScenarioError naming the line.

    name: partial-fills                    # required
    description: ...                       # required, one line or more
    reproduces: [FILL-101]                 # optional: conformance check ids
    setup:                                 # optional
      reset: true                          # default true: start from a reset simulator
      marketMaker: false                   # default false: background liquidity paused (true: resumed)
      instruments:                         # symbols used; each must be configured. status / index optional
        - {symbol: BTCUSDT, status: TRADING, index: "65000"}
      accounts:                            # created for the scenario; referenced by name afterwards
        - {name: trader, balances: {USDT: "100000", BTC: "1"}, feeTier: 0}
      book:                                # resting orders placed before the first step (a place step each)
        - {as: ask1, account: maker, symbol: BTCUSDT, side: SELL, price: "65010", quantity: "0.5"}
    steps:                                 # the timeline; each step is a mapping with ONE action key
      - place: {as: o1, account: trader, symbol: BTCUSDT, side: BUY, type: LIMIT, price: "65000",
                quantity: "0.3", timeInForce: GTC}     # type defaults to LIMIT, timeInForce to GTC for LIMIT
      - cancel: {order: o1, asClient: true}            # asClient: through the cancel fault hook
      - take: {order: o1, qty: "0.1"}                  # the counterparty trades exactly qty of o1
      - fault: {as: f1, kind: http_error, status: 503, endpoint: "POST /api/v3/order", count: 2}
                                                       # a fault spec (control.faults); `account: NAME` and
                                                       # `order: REF` may stand for accountId / orderId
      - clearFault: f1                                 # or: all
      - advance: 1000                                  # clock, ms
      - skew: -3000                                    # server clock skew, ms
      - index: {symbol: BTCUSDT, price: "64000"}       # needs the market maker
      - walk: {symbol: BTCUSDT, enabled: false}
      - status: {symbol: BTCUSDT, status: HALT}
      - deposit: {account: trader, asset: USDT, amount: "100"}
      - withdraw: {account: trader, asset: USDT, amount: "100"}
      - feeTier: {account: trader, tier: 1}
      - listenKey: {account: trader, as: k1}
      - wait: {event: {kind: order, order: o1, status: FILLED}, timeoutMs: 5000, pollMs: 50}
      - expect: {order: o1, status: PARTIALLY_FILLED, executedQty: "0.2"}
      - note: free text, printed in the timeline
    A step may add `expectError: CODE` (the step must fail with that control error code or engine reason, e.g.
    INSUFFICIENT_BALANCE) and `note: TEXT` (printed with it).

Expectations (`expect`), one subject each:
    {order: REF, status: S, executedQty: D, origQty: D, working: BOOL}
    {balance: ACCOUNT, asset: A, free: D, locked: D}
    {symbol: SYM, status: S}
    {openOrders: ACCOUNT, symbol: SYM, count: N}
    {fault: REF, state: pending|active|exhausted|expired, hits: N}
    {clockSkewMs: N}
    {listenKey: REF, alive: BOOL}
    {rateLimited: 429 | 418 | false}
    {audit: true}
    {event: FILTER, count: N}        # events since the setup ended; FILTER as in wait (order/account by name)
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
from simulator.engine.instrument import SYMBOL_STATUSES
from simulator.engine.order import ORDER_TYPES, SIDES, TIMES_IN_FORCE
from simulator.inputs import (MAX_AMOUNT, MAX_CLOCK_MS, MAX_COUNT, BoundedYaml, Fields, InputError, boolean, decimal,
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
    reproduces: tuple[str, ...] = ()
    setup_line: int = 1
    reset: bool = True
    market_maker: bool = False
    instruments: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    book: list[Step] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

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
_STEP_ACTIONS = ("place", "cancel", "take", "fault", "clearFault", "advance", "skew", "index", "walk", "status",
                 "deposit", "withdraw", "feeTier", "listenKey", "wait", "expect", "note")
_FAILABLE = ("place", "cancel", "take", "fault", "withdraw", "deposit", "index", "walk", "status", "feeTier",
             "listenKey", "clearFault")
_EXPECT_SUBJECTS = {
    "order": ("status", "executedQty", "origQty", "working"),
    "balance": ("asset", "free", "locked"),
    "symbol": ("status",),
    "openOrders": ("symbol", "count"),
    "fault": ("state", "hits"),
    "clockSkewMs": (),
    "listenKey": ("alive",),
    "rateLimited": (),
    "audit": (),
    "event": ("count",),
}
_FAULT_STATES = ("pending", "active", "exhausted", "expired")


class _Validator:
    """Reads a scenario document with `simulator.inputs`, remembering the names defined so far (orders, faults,
    listenKeys, accounts) so a step can refer only to what an earlier step created."""

    def __init__(self, source: str):
        self.source = source
        self.orders: set[str] = set()
        self.faults: set[str] = set()
        self.listen_keys: set[str] = set()
        self.accounts: set[str] = set()

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
        root = self.mapping(data, "", 1, ("name", "description", "steps"), ("reproduces", "setup"))
        scenario = Scenario(name=root.required("name", text), description=root.required("description", text),
                            source=self.source)
        scenario.reproduces = root.optional("reproduces", _check_ids, ())
        if "setup" in root:
            self.setup(Fields(root.data["setup"], "setup", root.line_of("setup")), scenario)
        for raw, path, line in elements(root.data["steps"], "steps", root.line_of("steps"),
                                        non_empty="expected a non-empty list of steps"):
            scenario.steps.append(self.step(raw, len(scenario.steps), path, line))
        return scenario

    def setup(self, setup: Fields, scenario: Scenario) -> None:
        setup.only("reset", "marketMaker", "instruments", "accounts", "book")
        scenario.setup_line = setup.line
        scenario.reset = setup.optional("reset", boolean, True)
        scenario.market_maker = setup.optional("marketMaker", boolean, False)
        for item, path, at in _items(setup, "instruments"):
            m = self.mapping(item, path, at, ("symbol",), ("status", "index"))
            scenario.instruments.append({
                "symbol": m.required("symbol", text).upper(), "status": m.optional("status", one_of(SYMBOL_STATUSES)),
                "index": m.optional("index", _amount, positive=True), "line": m.line, "path": path})
        for item, path, at in _items(setup, "accounts"):
            m = self.mapping(item, path, at, ("name",), ("balances", "feeTier", "apiKey", "secret"))
            name = m.required("name", text)
            if name in self.accounts:
                raise InputError(f"{path}.name", f"duplicate account name {name!r}", m.line_of("name"))
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
        m = self.mapping(value, path, line, ("order", "qty"))
        return {"order": self.ref(m, "order", self.orders, "order"), "qty": m.required("qty", _amount)}

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
        m = self.mapping(value, path, line, ("event",), ("timeoutMs", "pollMs"))
        return {"event": self.event_filter(m.data["event"], m.child("event"), m.line_of("event")),
                "timeoutMs": m.optional("timeoutMs", integer, 5000, minimum=1, maximum=MAX_WAIT_MS),
                "pollMs": m.optional("pollMs", integer, 50, minimum=1, maximum=MAX_WAIT_MS)}

    def step_expect(self, value: Any, path: str, line: int) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise InputError(path, f"expected a mapping with one subject ({', '.join(_EXPECT_SUBJECTS)})", line)
        subjects = [key for key in value if key in _EXPECT_SUBJECTS]
        if not subjects:
            raise InputError(path, f"no subject: start with one of {', '.join(_EXPECT_SUBJECTS)}", line)
        subject = subjects[0]  # the first key; the others must be its attributes (openOrders' symbol, ...)
        m = self.mapping(value, path, line, (subject,), _EXPECT_SUBJECTS[subject])
        out: dict[str, Any] = {"subject": subject}
        if subject == "order":
            out["order"] = self.ref(m, "order", self.orders, "order")
            out["status"] = m.optional("status", text)
            out["executedQty"] = m.optional("executedQty", _amount)
            out["origQty"] = m.optional("origQty", _amount)
            out["working"] = m.optional("working", boolean)
        elif subject == "balance":
            out["account"] = self.account(m, "balance")
            out["asset"] = m.required("asset", text).upper()
            out["free"] = m.optional("free", _amount)
            out["locked"] = m.optional("locked", _amount)
        elif subject == "symbol":
            out["symbol"] = m.required("symbol", text).upper()
            out["status"] = m.required("status", one_of(SYMBOL_STATUSES))
        elif subject == "openOrders":
            out["account"] = self.account(m, "openOrders")
            out["symbol"] = m.optional("symbol", text)
            out["count"] = m.optional("count", integer, 0, minimum=0, maximum=MAX_COUNT)
        elif subject == "fault":
            out["fault"] = self.ref(m, "fault", self.faults, "fault")
            out["state"] = m.optional("state", one_of(_FAULT_STATES))
            out["hits"] = m.optional("hits", integer, minimum=0, maximum=MAX_COUNT)
        elif subject == "clockSkewMs":
            out["ms"] = m.required("clockSkewMs", integer, -MAX_CLOCK_MS, MAX_CLOCK_MS)
        elif subject == "listenKey":
            out["listenKey"] = self.ref(m, "listenKey", self.listen_keys, "listenKey")
            out["alive"] = m.required("alive", boolean)
        elif subject == "rateLimited":
            out["status"] = m.required("rateLimited", _rate_limited)
        elif subject == "audit":
            m.required("audit", _must_be_true)
        elif subject == "event":
            out["event"] = self.event_filter(m.data["event"], m.child("event"), m.line_of("event"))
            out["count"] = m.optional("count", integer, minimum=0, maximum=MAX_COUNT)
        return out

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


def _rate_limited(value: Any, path: str) -> int | None:
    if value is True or value not in (429, 418, False):
        raise InputError(path, "expected 429, 418 or false")
    return value or None


def _must_be_true(value: Any, path: str) -> bool:
    if value is not True:
        raise InputError(path, "expected true")
    return value


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

