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


class _Loader(yaml.SafeLoader):
    pass


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
    def __init__(self, source: str):
        self.source = source
        self.orders: set[str] = set()
        self.faults: set[str] = set()
        self.listen_keys: set[str] = set()
        self.accounts: set[str] = set()

    # --- errors and primitives ---------------------------------------------------------------------------
    def fail(self, line: int, path: str, reason: str) -> ScenarioError:
        return ScenarioError(f"{self.source}:{line}: {path}: {reason}")

    @staticmethod
    def line_of(container: Any, key: Any, default: int) -> int:
        if isinstance(container, LDict):
            return container.lines.get(key, container.line or default)
        if isinstance(container, LList) and isinstance(key, int) and key < len(container.lines):
            return container.lines[key]
        return default

    def mapping(self, value: Any, path: str, line: int, required: tuple[str, ...] = (),
                optional: tuple[str, ...] = ()) -> LDict:
        if not isinstance(value, dict):
            raise self.fail(line, path, "expected a mapping")
        for key in value:
            if key not in required and key not in optional:
                allowed = ", ".join((*required, *optional)) or "none"
                raise self.fail(self.line_of(value, key, line), f"{path}.{key}",
                                f"unknown key (allowed: {allowed})")
        for key in required:
            if key not in value:
                raise self.fail(getattr(value, "line", line), f"{path}.{key}", "required")
        return value

    def text(self, m: LDict, key: str, path: str, line: int, default: Any = ...) -> Any:
        if key not in m:
            if default is ...:
                raise self.fail(line, f"{path}.{key}", "required")
            return default
        value = m[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(self.line_of(m, key, line), f"{path}.{key}", "expected a non-empty string")
        return value.strip()

    def choice(self, m: LDict, key: str, path: str, line: int, allowed, default: Any = ...) -> Any:
        value = self.text(m, key, path, line, default)
        if value is not default and value not in allowed:
            raise self.fail(self.line_of(m, key, line), f"{path}.{key}",
                            f"{value!r} is not one of {', '.join(map(str, allowed))}")
        return value

    def integer(self, m: Any, key: Any, path: str, line: int, minimum: int | None = None,
                default: Any = ...) -> Any:
        if isinstance(m, dict):
            if key not in m:
                if default is ...:
                    raise self.fail(line, f"{path}.{key}", "required")
                return default
            value, where, at = m[key], f"{path}.{key}", self.line_of(m, key, line)
        else:
            value, where, at = m, path, line
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(at, where, f"expected an integer, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.fail(at, where, f"must be at least {minimum}")
        return value

    def boolean(self, m: LDict, key: str, path: str, line: int, default: Any = ...) -> Any:
        if key not in m:
            if default is ...:
                raise self.fail(line, f"{path}.{key}", "required")
            return default
        if not isinstance(m[key], bool):
            raise self.fail(self.line_of(m, key, line), f"{path}.{key}", "expected true or false")
        return m[key]

    def decimal(self, m: LDict, key: str, path: str, line: int, default: Any = ...) -> Any:
        if key not in m:
            if default is ...:
                raise self.fail(line, f"{path}.{key}", "required")
            return default
        value = m[key]
        at = self.line_of(m, key, line)
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise self.fail(at, f"{path}.{key}", f"expected a decimal such as \"0.1\", got {value!r}")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.fail(at, f"{path}.{key}", f"not a decimal number: {value!r}") from None
        if not number.is_finite() or number < 0:
            raise self.fail(at, f"{path}.{key}", "must be a non-negative decimal number")
        return str(value).strip()

    def ref(self, m: LDict, key: str, path: str, line: int, known: set[str], what: str) -> str:
        name = self.text(m, key, path, line)
        if name not in known:
            raise self.fail(self.line_of(m, key, line), f"{path}.{key}",
                            f"no {what} named {name!r} defined before this step (use `as: {name}` where it is "
                            "created)")
        return name

    def define(self, m: LDict, path: str, line: int, known: set[str]) -> str | None:
        if "as" not in m:
            return None
        name = self.text(m, "as", path, line)
        known.add(name)
        return name

    def account(self, m: LDict, key: str, path: str, line: int) -> str:
        return self.text(m, key, path, line)  # resolved at run time: setup accounts or existing ones (demo)

    # --- the document -------------------------------------------------------------------------------------
    def scenario(self, data: Any) -> Scenario:
        root = self.mapping(data, "scenario", 1, ("name", "description", "steps"), ("reproduces", "setup"))
        scenario = Scenario(name=self.text(root, "name", "name", 1),
                            description=self.text(root, "description", "description", 1),
                            source=self.source)
        if "reproduces" in root:
            ids = root["reproduces"]
            line = self.line_of(root, "reproduces", 1)
            if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
                raise self.fail(line, "reproduces", "expected a list of check ids")
            scenario.reproduces = tuple(ids)
        if "setup" in root:
            self.setup(root["setup"], self.line_of(root, "setup", 1), scenario)
        steps = root["steps"]
        line = self.line_of(root, "steps", 1)
        if not isinstance(steps, list) or not steps:
            raise self.fail(line, "steps", "expected a non-empty list of steps")
        for index, raw in enumerate(steps):
            scenario.steps.append(self.step(raw, index, f"steps[{index}]", self.line_of(steps, index, line)))
        return scenario

    def setup(self, value: Any, line: int, scenario: Scenario) -> None:
        setup = self.mapping(value, "setup", line, (), ("reset", "marketMaker", "instruments", "accounts", "book"))
        scenario.setup_line = line
        scenario.reset = self.boolean(setup, "reset", "setup", line, True)
        scenario.market_maker = self.boolean(setup, "marketMaker", "setup", line, False)
        for key in ("instruments", "accounts", "book"):
            if key in setup and not isinstance(setup[key], list):
                raise self.fail(self.line_of(setup, key, line), f"setup.{key}", "expected a list")
        for index, item in enumerate(setup.get("instruments", [])):
            path, at = f"setup.instruments[{index}]", self.line_of(setup["instruments"], index, line)
            m = self.mapping(item, path, at, ("symbol",), ("status", "index"))
            scenario.instruments.append({
                "symbol": self.text(m, "symbol", path, at).upper(),
                "status": self.choice(m, "status", path, at, SYMBOL_STATUSES, None),
                "index": self.decimal(m, "index", path, at, None), "line": at, "path": path})
        for index, item in enumerate(setup.get("accounts", [])):
            path, at = f"setup.accounts[{index}]", self.line_of(setup["accounts"], index, line)
            m = self.mapping(item, path, at, ("name",), ("balances", "feeTier", "apiKey", "secret"))
            name = self.text(m, "name", path, at)
            if name in self.accounts:
                raise self.fail(self.line_of(m, "name", at), f"{path}.name", f"duplicate account name {name!r}")
            self.accounts.add(name)
            balances = {}
            if "balances" in m:
                b = self.mapping(m["balances"], f"{path}.balances", self.line_of(m, "balances", at),
                                 (), tuple(m["balances"]) if isinstance(m["balances"], dict) else ())
                for asset in b:
                    balances[str(asset)] = self.decimal(b, asset, f"{path}.balances", at)
            scenario.accounts.append({
                "name": name, "balances": balances, "feeTier": self.integer(m, "feeTier", path, at, 0, 0),
                "apiKey": self.text(m, "apiKey", path, at, None), "secret": self.text(m, "secret", path, at, None),
                "line": at, "path": path})
        for index, item in enumerate(setup.get("book", [])):
            path, at = f"setup.book[{index}]", self.line_of(setup["book"], index, line)
            scenario.book.append(Step(-1, path, at, "place", self.place(item, path, at)))

    def step(self, raw: Any, index: int, path: str, line: int) -> Step:
        if not isinstance(raw, dict):
            raise self.fail(line, path, f"expected a mapping with one action ({', '.join(_STEP_ACTIONS)})")
        actions = [key for key in raw if key in _STEP_ACTIONS and not (key == "note" and len(raw) > 1)]
        extras = [key for key in raw if key not in actions]
        if len(actions) != 1:
            if not actions:
                unknown = next((k for k in raw if k not in ("note", "expectError")), None)
                if unknown is not None:
                    raise self.fail(self.line_of(raw, unknown, line), f"{path}.{unknown}",
                                    f"unknown action (known: {', '.join(_STEP_ACTIONS)})")
                raise self.fail(line, path, f"no action (known: {', '.join(_STEP_ACTIONS)})")
            raise self.fail(line, path, f"one action per step, got {', '.join(actions)}")
        action = actions[0]
        for key in extras:
            if key not in ("note", "expectError"):
                raise self.fail(self.line_of(raw, key, line), f"{path}.{key}",
                                "unknown key (a step has one action, plus optional note and expectError)")
        note = self.text(raw, "note", path, line, None) if action != "note" else None
        expect_error = self.text(raw, "expectError", path, line, None)
        if expect_error is not None and action not in _FAILABLE:
            raise self.fail(self.line_of(raw, "expectError", line), f"{path}.expectError",
                            f"{action} steps cannot fail on purpose")
        at = self.line_of(raw, action, line)
        where = f"{path}.{action}"
        args = getattr(self, f"step_{action}")(raw[action], where, at)
        return Step(index, path, at, action, args, note, expect_error)

    # --- actions ----------------------------------------------------------------------------------------
    def place(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("account", "symbol", "side"),
                         ("as", "type", "quantity", "price", "timeInForce", "quoteOrderQty", "stopPrice",
                          "clientOrderId"))
        order_type = self.choice(m, "type", path, line, ORDER_TYPES, "LIMIT")
        args = {
            "account": self.account(m, "account", path, line),
            "symbol": self.text(m, "symbol", path, line).upper(),
            "side": self.choice(m, "side", path, line, SIDES),
            "type": order_type,
            "quantity": self.decimal(m, "quantity", path, line, None),
            "price": self.decimal(m, "price", path, line, None),
            "timeInForce": self.choice(m, "timeInForce", path, line, TIMES_IN_FORCE,
                                       "GTC" if order_type == "LIMIT" else None),
            "quoteOrderQty": self.decimal(m, "quoteOrderQty", path, line, None),
            "stopPrice": self.decimal(m, "stopPrice", path, line, None),
            "clientOrderId": self.text(m, "clientOrderId", path, line, None),
        }
        args["as"] = self.define(m, path, line, self.orders)
        return args

    step_place = place

    def step_cancel(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("order",), ("asClient",))
        return {"order": self.ref(m, "order", path, line, self.orders, "order"),
                "asClient": self.boolean(m, "asClient", path, line, False)}

    def step_take(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("order", "qty"))
        return {"order": self.ref(m, "order", path, line, self.orders, "order"),
                "qty": self.decimal(m, "qty", path, line)}

    def step_fault(self, value: Any, path: str, line: int) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(line, path, "expected a fault spec mapping with a kind")
        spec = dict(value)
        name = self.define(value, path, line, set())
        spec.pop("as", None)
        account = order = None
        if "account" in spec:
            if "accountId" in spec:
                raise self.fail(self.line_of(value, "account", line), f"{path}.account",
                                "give account (a name) or accountId, not both")
            account = self.account(value, "account", path, line)
            spec["accountId"] = 1  # a placeholder for validation; the name is resolved when the step runs
            del spec["account"]
        if "order" in spec:
            if "orderId" in spec:
                raise self.fail(self.line_of(value, "order", line), f"{path}.order",
                                "give order (a name) or orderId, not both")
            order = self.ref(value, "order", path, line, self.orders, "order")
            spec["orderId"] = 1
            del spec["order"]
        try:
            validate_spec(spec)
        except FaultSpecError as exc:
            key = {"accountId": "account" if account else "accountId",
                   "orderId": "order" if order else "orderId"}.get(exc.field, exc.field)
            at = self.line_of(value, key, line) if key else line
            raise self.fail(at, f"{path}.{key}" if key else path, exc.reason) from None
        if name is not None:
            self.faults.add(name)
        clean = {k: v for k, v in value.items() if k not in ("as", "account", "order")}
        return {"spec": clean, "as": name, "account": account, "order": order}

    def step_clearFault(self, value: Any, path: str, line: int) -> str:  # noqa: N802 - the YAML key
        if value == "all":
            return "all"
        if not isinstance(value, str) or value not in self.faults:
            raise self.fail(line, path, f"expected 'all' or the name of a fault defined before ({value!r} is not)")
        return value

    def step_advance(self, value: Any, path: str, line: int) -> int:
        return self.integer(value, None, path, line, 0)

    def step_skew(self, value: Any, path: str, line: int) -> int:
        return self.integer(value, None, path, line)

    def step_index(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("symbol", "price"))
        return {"symbol": self.text(m, "symbol", path, line).upper(), "price": self.decimal(m, "price", path, line)}

    def step_walk(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("enabled",), ("symbol",))
        return {"enabled": self.boolean(m, "enabled", path, line),
                "symbol": self.text(m, "symbol", path, line, None)}

    def step_status(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("symbol", "status"))
        return {"symbol": self.text(m, "symbol", path, line).upper(),
                "status": self.choice(m, "status", path, line, SYMBOL_STATUSES)}

    def _money(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("account", "asset", "amount"))
        return {"account": self.account(m, "account", path, line), "asset": self.text(m, "asset", path, line),
                "amount": self.decimal(m, "amount", path, line)}

    step_deposit = _money
    step_withdraw = _money

    def step_feeTier(self, value: Any, path: str, line: int) -> dict[str, Any]:  # noqa: N802 - the YAML key
        m = self.mapping(value, path, line, ("account", "tier"))
        return {"account": self.account(m, "account", path, line), "tier": self.integer(m, "tier", path, line, 0)}

    def step_listenKey(self, value: Any, path: str, line: int) -> dict[str, Any]:  # noqa: N802 - the YAML key
        m = self.mapping(value, path, line, ("account",), ("as",))
        return {"account": self.account(m, "account", path, line),
                "as": self.define(m, path, line, self.listen_keys)}

    def event_filter(self, value: Any, path: str, line: int) -> dict[str, Any]:
        if not isinstance(value, dict) or not value:
            raise self.fail(line, path, "expected a non-empty mapping of event fields to values")
        out = {}
        for key, item in value.items():
            at = self.line_of(value, key, line)
            if key == "order":
                out["order"] = self.ref(value, "order", path, line, self.orders, "order")
            elif key == "account":
                out["account"] = self.account(value, "account", path, line)
            elif isinstance(item, (dict, list)):
                raise self.fail(at, f"{path}.{key}", "expected a plain value")
            else:
                out[str(key)] = item
        return out

    def step_wait(self, value: Any, path: str, line: int) -> dict[str, Any]:
        m = self.mapping(value, path, line, ("event",), ("timeoutMs", "pollMs"))
        return {"event": self.event_filter(m["event"], f"{path}.event", self.line_of(m, "event", line)),
                "timeoutMs": self.integer(m, "timeoutMs", path, line, 1, 5000),
                "pollMs": self.integer(m, "pollMs", path, line, 1, 50)}

    def step_expect(self, value: Any, path: str, line: int) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(line, path, f"expected a mapping with one subject ({', '.join(_EXPECT_SUBJECTS)})")
        subjects = [key for key in value if key in _EXPECT_SUBJECTS]
        if not subjects:
            raise self.fail(line, path, f"no subject: start with one of {', '.join(_EXPECT_SUBJECTS)}")
        subject = subjects[0]  # the first key; the others must be its attributes (openOrders' symbol, ...)
        m = self.mapping(value, path, line, (subject,), _EXPECT_SUBJECTS[subject])
        out: dict[str, Any] = {"subject": subject}
        if subject == "order":
            out["order"] = self.ref(m, "order", path, line, self.orders, "order")
            out["status"] = self.text(m, "status", path, line, None)
            out["executedQty"] = self.decimal(m, "executedQty", path, line, None)
            out["origQty"] = self.decimal(m, "origQty", path, line, None)
            out["working"] = self.boolean(m, "working", path, line, None)
        elif subject == "balance":
            out["account"] = self.account(m, "balance", path, line)
            out["asset"] = self.text(m, "asset", path, line).upper()
            out["free"] = self.decimal(m, "free", path, line, None)
            out["locked"] = self.decimal(m, "locked", path, line, None)
        elif subject == "symbol":
            out["symbol"] = self.text(m, "symbol", path, line).upper()
            out["status"] = self.choice(m, "status", path, line, SYMBOL_STATUSES)
        elif subject == "openOrders":
            out["account"] = self.account(m, "openOrders", path, line)
            out["symbol"] = self.text(m, "symbol", path, line, None)
            out["count"] = self.integer(m, "count", path, line, 0)
        elif subject == "fault":
            out["fault"] = self.ref(m, "fault", path, line, self.faults, "fault")
            out["state"] = self.choice(m, "state", path, line, _FAULT_STATES, None)
            out["hits"] = self.integer(m, "hits", path, line, 0, None)
        elif subject == "clockSkewMs":
            out["ms"] = self.integer(m, "clockSkewMs", path, line)
        elif subject == "listenKey":
            out["listenKey"] = self.ref(m, "listenKey", path, line, self.listen_keys, "listenKey")
            out["alive"] = self.boolean(m, "alive", path, line)
        elif subject == "rateLimited":
            limited = m["rateLimited"]
            if limited not in (429, 418, False) or limited is True:
                raise self.fail(self.line_of(m, "rateLimited", line), f"{path}.rateLimited",
                                "expected 429, 418 or false")
            out["status"] = limited or None
        elif subject == "audit":
            if m["audit"] is not True:
                raise self.fail(self.line_of(m, "audit", line), f"{path}.audit", "expected true")
        elif subject == "event":
            out["event"] = self.event_filter(m["event"], f"{path}.event", self.line_of(m, "event", line))
            out["count"] = self.integer(m, "count", path, line, 0, None)
        return out

    def step_note(self, value: Any, path: str, line: int) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(line, path, "expected text")
        return value.strip()


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

