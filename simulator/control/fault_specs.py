"""Fault specs: the kinds, their parameters, targets and budgets, and `validate_spec`, which reads a spec (JSON,
YAML scenario or CLI: one flat mapping) into its normalised form, or refuses it with a FaultSpecError naming the
key. The registry (simulator.control.faults) documents what each kind does and where it is hooked in."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator import fault_kinds as fk
from simulator.control.errors import ControlError
from simulator.engine.instrument import DELISTED, SYMBOL_STATUSES
from simulator.inputs import (MAX_AMOUNT, MAX_CLOCK_MS, MAX_COUNT, MAX_INT64, MIN_INT64, InputError, decimal,
                              integer, list_of, one_of, text)

PPM = 1_000_000



class FaultSpecError(ControlError):
    """An invalid fault spec; `field` names the offending key (or "" for the spec as a whole)."""

    def __init__(self, field_name: str, reason: str):
        super().__init__("invalid_fault", f"{field_name}: {reason}" if field_name else reason, 400,
                         field=field_name)
        self.field = field_name
        self.reason = reason


# --- parameter parsers: (value, key) -> value, or FaultSpecError ------------------------------------------
Parser = Callable[[Any, str], Any]


# The largest value of an integer parameter, by its key (the smallest is the kind's, or minus this): times up to
# a few years of milliseconds, counts up to a billion; ids and codes 64-bit.
_INT_LIMITS = {"ms": MAX_CLOCK_MS, "holdMs": MAX_CLOCK_MS, "durationMs": MAX_CLOCK_MS, "afterMs": MAX_CLOCK_MS,
               "count": MAX_COUNT, "windowMs": MAX_CLOCK_MS, "limit": MAX_COUNT}


def _int(minimum: int | None = None, allowed: Iterable[int] | None = None) -> Parser:
    allowed = tuple(allowed) if allowed else None

    def parse(value: Any, key: str) -> int:
        maximum = _INT_LIMITS.get(key, MAX_INT64)
        lowest = minimum if minimum is not None else -maximum if key in _INT_LIMITS else MIN_INT64
        return _bounded(integer, value, key, lowest, maximum, allowed=allowed, digits=True)

    return parse


def _bounded(parse: Callable[..., Any], value: Any, key: str, *args: Any, **kwargs: Any) -> Any:
    """`simulator.inputs`' reader `parse`, its refusal as a FaultSpecError naming the key."""
    try:
        return parse(value, key, *args, **kwargs)
    except InputError as exc:  # its path names the element of a list ("symbols[1]")
        raise FaultSpecError(exc.path or key, exc.reason) from None


def _text(value: Any, key: str) -> str:
    return _bounded(text, value, key)


def _one_of(*allowed: str) -> Parser:
    choice = one_of(allowed)
    return lambda value, key: _bounded(choice, value, key)


def _decimal_text(value: Any, key: str) -> str:
    """A positive decimal amount (at most 64-bit atoms of an 8-decimal asset), kept as its exact string (no float
    ever)."""
    number = _bounded(decimal, value, key, maximum=MAX_AMOUNT)
    if number <= 0:
        raise FaultSpecError(key, "must be a positive decimal number")
    return value.strip() if isinstance(value, str) else str(number)


def _symbols(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise FaultSpecError(key, "expected a non-empty list of symbols")
    return [name.upper() for name in _bounded(list_of(text), value, key)]


def _probability(value: Any, key: str) -> int:
    """Decimal in [0, 1] with at most 6 decimals, as parts per million. A chance, not money: a JSON or YAML float
    is read through its shortest text, exactly."""
    number = _bounded(decimal, value, key, floats=True)
    if not 0 <= number <= 1:
        raise FaultSpecError(key, "must be between 0 and 1")
    scaled = number * PPM
    if scaled != scaled.to_integral_value():
        raise FaultSpecError(key, "at most 6 decimals")
    return int(scaled)


@dataclass(frozen=True)
class KindSpec:
    params: Mapping[str, tuple[Parser, bool, Any]]  # key -> (parser, required, default)
    description: str
    one_shot: bool = False  # fires once when it starts (count is always 1)
    no_budget: bool = False  # lasts by time only: count and probability do not apply
    needs: tuple[str, ...] = ()  # targets that must be given


_WS_STATUS = ("all", "stream", "listenKey")
# Binance's user data event types (`e`) and execution types (`x`), spot's then USD-M's: what a user data fault may
# pick messages by.
USER_EVENTS = ("executionReport", "outboundAccountPosition", "balanceUpdate", "listStatus", "listenKeyExpired",
               "eventStreamTerminated", "externalLockUpdate",
               "ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE", "ACCOUNT_CONFIG_UPDATE", "MARGIN_CALL")
EXEC_TYPES = ("NEW", "CANCELED", "REPLACED", "REJECTED", "TRADE", "EXPIRED", "TRADE_PREVENTION",
              "CALCULATED", "AMENDMENT")
# The keys a fault may filter calls on besides its targets (a call matches only if it has the fault's value), with
# the value a call that does not say has: REST's http_latency hook runs before the handler unless it says after.
# `venue` picks the engine a state-acting kind works on (spot, or the USD-M perpetuals'): a cancel hook says which
# engine's cancel it is, and one that does not say is a spot cancel.
FILTERS = {"event": None, "execType": None, "phase": "before", "venue": "spot"}
_MESSAGE_FILTERS = {"event": (_one_of(*USER_EVENTS), False, None), "execType": (_one_of(*EXEC_TYPES), False, None)}
WINDOW_FROM_START, WINDOW_FROM_FIRST_HIT = "start", "firstHit"
_HALT_STATUSES = tuple(s for s in SYMBOL_STATUSES if s not in ("TRADING", DELISTED))
# What a USD-M perpetual that does not trade shows in /fapi/v1/exchangeInfo (reference section 7.2), the first the
# default of a futures halt.
FUTURES_HALT_STATUSES = ("SETTLING", "PENDING_TRADING", "CLOSE")
SPOT, FUTURES = "spot", "futures"
_VENUE = {"venue": (_one_of(SPOT, FUTURES), False, SPOT)}

KINDS: dict[str, KindSpec] = {
    fk.HTTP_LATENCY: KindSpec({"ms": (_int(1), True, None), "phase": (_one_of("before", "after"), False, "before")},
                             "delay matching REST responses by ms: before the handler runs, or (phase after) "
                             "once the change is applied and its events are out"),
    fk.HTTP_ERROR: KindSpec({"status": (_int(allowed=(500, 502, 503)), False, 503),
                            "code": (_int(), False, None), "msg": (_text, False, None)},
                           "answer 500/502/503 with a Binance body; the request is NOT applied"),
    fk.HTTP_UNKNOWN_STATUS: KindSpec({}, "apply the request, then answer 503 -1007 'execution status unknown'"),
    fk.HTTP_BLACKHOLE: KindSpec({"holdMs": (_int(0), False, None)},
                               "apply the request, never answer (hold, then drop the connection)"),
    fk.MAINTENANCE: KindSpec({"symbols": (_symbols, False, None),
                             "status": (_one_of(*_HALT_STATUSES), False, "BREAK")},
                            "symbols show a non-TRADING status in exchangeInfo; other REST endpoints answer 503"),
    fk.HALT: KindSpec({"status": (_one_of(*_HALT_STATUSES, *FUTURES_HALT_STATUSES), False, None), **_VENUE},
                     "the symbol's trading is halted until cleared (venue futures: a perpetual's)", no_budget=True,
                     needs=("symbol",)),
    fk.RATE_LIMIT: KindSpec({"status": (_int(allowed=(429, 418)), False, 429), "ms": (_int(1), True, None)},
                           "every request is refused 429 (or 418 banned) for ms", no_budget=True),
    fk.WS_CLOSE: KindSpec({"scope": (_one_of(*_WS_STATUS), False, "all")},
                         "close WebSocket connections (all, a stream's, or user data ones)"),
    fk.WS_SILENCE: KindSpec({}, "WebSocket connections stay open but send nothing, pings unanswered"),
    fk.WS_DELAY: KindSpec({"ms": (_int(1), True, None)}, "delay WebSocket messages by ms"),
    fk.WS_DUPLICATE: KindSpec(_MESSAGE_FILTERS, "send WebSocket messages twice"),
    fk.WS_REORDER: KindSpec(_MESSAGE_FILTERS, "hold a WebSocket message until the next one of its stream (of its "
                                              "event type if `event` is given), at most 1 s"),
    fk.WS_DROP: KindSpec(_MESSAGE_FILTERS, "drop WebSocket messages (user data: pick them by event and execType)"),
    fk.WS_LIFETIME: KindSpec({"ms": (_int(1), True, None)},
                            "WebSocket connections older than ms are closed, as at Binance's 24 h limit",
                            no_budget=True),
    fk.WS_CONNECT_LIMIT: KindSpec({"limit": (_int(1), True, None), "windowMs": (_int(1), False, 300_000)},
                                 "at most limit WebSocket connection attempts per windowMs per IP; more are "
                                 "refused 429", no_budget=True),
    fk.LISTEN_KEY_TTL: KindSpec({"ms": (_int(1), True, None)},
                               "listenKeys live ms from their last POST or PUT (instead of 60 minutes)",
                               no_budget=True),
    fk.DEPTH_GAP: KindSpec({}, "drop depth diffs (one per hit) so update ids jump"),
    fk.LISTEN_KEY_EXPIRE: KindSpec({"listenKey": (_text, False, None)}, "listenKeys expire at once", one_shot=True),
    fk.CLOCK_SKEW: KindSpec({"ms": (_int(), True, None)}, "skew the server's clock by ms until cleared", no_budget=True),
    fk.FILL_DURING_CANCEL: KindSpec(_VENUE, "a cancel finds its order just filled: the cancel gets Unknown order "
                                            "(venue futures: a /fapi cancel)"),
    fk.PARTIAL_FILL: KindSpec({"qty": (_decimal_text, True, None), "orderId": (_int(1), False, None),
                              "clientOrderId": (_text, False, None), **_VENUE},
                             "qty of an order trades against the counterparty at an exact moment", one_shot=True),
}

_TARGETS = ("endpoint", "stream", "symbol", "accountId")
_BUDGET = ("count", "probability", "durationMs", "afterMs", "window")
_COMMON = ("kind", *_TARGETS, *_BUDGET)


def validate_spec(spec: Any) -> dict[str, Any]:
    """Check a fault spec; the normalised spec (kind params parsed, defaults filled) or FaultSpecError."""
    if not isinstance(spec, Mapping):
        raise FaultSpecError("", "a fault spec must be a mapping with at least a 'kind'")
    if "kind" not in spec:
        raise FaultSpecError("kind", f"required (one of {', '.join(KINDS)})")
    kind = spec["kind"]
    if kind not in KINDS:
        raise FaultSpecError("kind", f"unknown fault {kind!r} (known: {', '.join(KINDS)})")
    meta = KINDS[kind]
    for key in spec:
        if key not in _COMMON and key not in meta.params:
            known = ", ".join([*meta.params, *_TARGETS, *_BUDGET]) or "none"
            raise FaultSpecError(str(key), f"unknown key for fault {kind} (allowed: {known})")
    out: dict[str, Any] = {"kind": kind, "params": {}}
    for key, (parse, required, default) in meta.params.items():
        if key in spec and spec[key] is not None:
            out["params"][key] = parse(spec[key], key)
        elif required:
            raise FaultSpecError(key, f"required for fault {kind}")
        elif default is not None:
            out["params"][key] = default
    out["endpoint"] = _endpoint(spec["endpoint"], "endpoint") if spec.get("endpoint") is not None else None
    out["stream"] = _text(spec["stream"], "stream") if spec.get("stream") is not None else None
    out["symbol"] = _text(spec["symbol"], "symbol").upper() if spec.get("symbol") is not None else None
    out["account_id"] = _int(1)(spec["accountId"], "accountId") if spec.get("accountId") is not None else None
    out["count"] = _int(1)(spec["count"], "count") if spec.get("count") is not None else None
    out["probability_ppm"] = _probability(spec["probability"], "probability") \
        if spec.get("probability") is not None else None
    out["duration_ms"] = _int(1)(spec["durationMs"], "durationMs") if spec.get("durationMs") is not None else None
    out["after_ms"] = _int(0)(spec["afterMs"], "afterMs") if spec.get("afterMs") is not None else 0
    out["window"] = _one_of(WINDOW_FROM_START, WINDOW_FROM_FIRST_HIT)(spec["window"], "window") \
        if spec.get("window") is not None else WINDOW_FROM_START
    for target in meta.needs:
        if out[{"accountId": "account_id"}.get(target, target)] is None:
            raise FaultSpecError(target, f"required for fault {kind}")
    if meta.no_budget:
        for key in ("count", "probability"):
            if spec.get(key) is not None:
                raise FaultSpecError(key, f"not used by fault {kind}: it lasts until cleared"
                                          f"{' or for its ms' if kind == 'rate_limit' else ' or for durationMs'}")
    if meta.one_shot:
        if spec.get("count") not in (None, 1):
            raise FaultSpecError("count", f"fault {kind} fires once; add one fault per firing")
        if spec.get("probability") is not None:
            raise FaultSpecError("probability", f"not used by fault {kind}: it fires once when it starts")
        out["count"] = 1
    if kind == "rate_limit":
        if out["duration_ms"] is not None:
            raise FaultSpecError("durationMs", "rate_limit lasts its ms")
        out["duration_ms"] = out["params"]["ms"]
    if out["window"] == WINDOW_FROM_FIRST_HIT and out["duration_ms"] is None:
        raise FaultSpecError("window", "firstHit times a window: it needs durationMs")
    if out["params"].get("execType") is not None and out["params"].get("event", "executionReport") != \
            "executionReport":
        raise FaultSpecError("execType", "only executionReport events have an execution type")
    if kind == "halt":
        _halt_status(out["params"])
    if kind == "listen_key_expire" and out["account_id"] is None and "listenKey" not in out["params"]:
        raise FaultSpecError("accountId", "listen_key_expire needs accountId or listenKey")
    if kind == "partial_fill":
        params = out["params"]
        if "orderId" in params and "clientOrderId" in params:
            raise FaultSpecError("clientOrderId", "give orderId or clientOrderId, not both")
        if "orderId" not in params and out["account_id"] is None:
            raise FaultSpecError("accountId", "partial_fill needs orderId, or accountId (with clientOrderId "
                                              "and symbol, or alone for the account's oldest open order)")
        if "clientOrderId" in params and out["symbol"] is None:
            raise FaultSpecError("symbol", "required with clientOrderId")
    return out


def _halt_status(params: dict[str, Any]) -> None:
    """A halt's status is one its venue shows: spot's (default HALT) or a perpetual's (default SETTLING)."""
    allowed = FUTURES_HALT_STATUSES if params["venue"] == FUTURES else _HALT_STATUSES
    status = params.setdefault("status", allowed[0] if params["venue"] == FUTURES else "HALT")
    if status not in allowed:
        raise FaultSpecError("status", f"{status!r} is not a {params['venue']} halt status (one of: "
                                       f"{', '.join(allowed)})")


def _endpoint(value: Any, key: str) -> str:
    text = _text(value, key)
    method, _, path = text.rpartition(" ")
    if not path.startswith("/") and not path.startswith("*"):
        raise FaultSpecError(key, f"expected '/path' or 'METHOD /path', got {text!r}")
    if method and not method.isalpha():
        raise FaultSpecError(key, f"bad HTTP method {method!r}")
    return f"{method.upper()} {path}" if method else path
