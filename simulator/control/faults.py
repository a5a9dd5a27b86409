"""Fault injection: a seeded registry of faults, and the effects of those that act on the simulator's state.

A fault is a spec (one flat mapping, the same in JSON, YAML scenarios and the CLI):

    {"kind": "http_error", "status": 503,                 # the kind and its own parameters
     "endpoint": "POST /api/v3/order", "symbol": "BTCUSDT", "stream": "btcusdt@depth*", "accountId": 3,
     "count": 2, "probability": "0.5", "durationMs": 10000, "afterMs": 0, "window": "start"}

Targets (all optional; a fault with a target only matches a call that names the same thing):
  endpoint   "METHOD /path" or "/path" (any method), shell-style wildcards allowed ("/api/v3/*")
  stream     a stream name, wildcards allowed ("btcusdt@depth*"); a user data stream is named by its listenKey
  symbol     exact symbol (case-insensitive)
  accountId  the account the request or stream belongs to
Budget (all optional): `count` matches at most that many times; `probability` (decimal in [0, 1], at most 6
decimals) matches each eligible call with that chance, drawn from the injector's own seeded RNG; `durationMs`
ends it that long after it starts, on the simulator's clock; `afterMs` delays its start. With no count and no
duration it lasts until cleared. `window` (default "start"): "firstHit" makes `durationMs` (rate_limit: its `ms`)
count from the fault's first effect on its target instead - its first match, or for the kinds acting on state
(halt, maintenance, rate_limit, clock_skew, ws_lifetime, listen_key_ttl, ...) the target's first REST request or
WebSocket frame after it started (`seen`). Such a fault acts from its start; its `endsAt` is null and
`firstHitAt` set once hit (both in its JSON).
Filters (message-level kinds): `event` (a user data event type, the payload's `e`) and `execType` (an
executionReport's `x`) for ws_drop/ws_duplicate/ws_reorder/ws_delay; `phase` ("before"/"after") for
http_latency. A fault with a filter matches only the calls that have its value.

`FaultInjector.match(kind, endpoint=..., stream=..., symbol=..., account_id=..., details=...)` is the one call a
REST or WS hook point makes: the first live fault of that kind whose targets fit, with its count consumed and its
probability drawn, or None. `find` is the same without consuming (kinds that hold a setting while they live);
`match_each` matches many subjects in one pass, one count per fault per pass (ws_close); `seen(...)` reports the
target's traffic for firstHit windows, called only while `waiting`. See WIRING below for each hook point.

Some kinds act on the simulator's state directly, whatever the transport (`fault_effects.FaultEffects`):
  halt               the symbol's status becomes `status` (HALT) while the fault lives, then what it was before;
                     with `venue` "futures" a perpetual's (SETTLING, PENDING_TRADING or CLOSE; default SETTLING):
                     its /fapi orders are refused -2010 "Market is closed."
  maintenance        every symbol (or `symbols`) shows `status` (BREAK) while it lives (and REST answers 503,
                     but spot exchangeInfo, ping and time, so the status can be seen)
  rate_limit         the rate limiter refuses every request with `status` 429 or 418 for `ms`; a 429 says
                     Retry-After: the end, and an IP sending more before then is banned with 418 (the limiter's
                     rule for organic 429s)
  listen_key_ttl     listenKeys (of `accountId`, or all) live `ms` from their last POST or PUT while it lives; at
                     its end live keys get the configured lifetime back
  clock_skew         the server clock is skewed by `ms` while it lives, then restored
  listen_key_expire  once, on start: the account's listenKeys (or `listenKey`) expire now (the hub's sweep then
                     pushes listenKeyExpired and the stream stops)
  partial_fill       once, on start: `qty` of an order (`orderId`, or `clientOrderId` + symbol + accountId, or the
                     account's oldest open order) trades against the control plane's counterparty; with `venue`
                     "futures" a USD-M order (the counterparty's futures wallet gets the margin it lacks)
fill_during_cancel acts from the cancel hook (`FaultInjector.before_cancel`): the order is filled completely just
before the cancel runs, so the cancel answers "Unknown order". `venue` (default "spot") says which engine's cancels
it catches: "futures" the /fapi ones (single and batch), which then answer -2011 "Unknown order sent.".

WIRING: each hook point is one lookup, `sim.faults.match(kind, ...)`,
guarded by the one cheap test `if sim.faults.kinds:` (the kinds of the registered faults: empty, no fault, and
nothing else is looked at). REST (simulator.dialects.binance.wire.rest.serve): endpoint is f"{request.method}
{request.path}", symbol the request's `symbol` parameter (upper case) or None, account_id the authenticated
account (before authentication: the owner of the X-MBX-APIKEY header) or None:
  after parsing the params and BEFORE charging weight:
    sim.faults.seen(endpoint=..., symbol=..., account_id=key owner) while sim.faults.waiting (firstHit windows)
    maintenance          -> answer 503 -1008; nothing else runs, nothing is charged (spot exchangeInfo, ping,
                            time: not matched, they answer)
  after authenticate() (so accountId targets work), before the handler:
    http_error           -> answer f.params["status"] with Binance's body for it; the handler does NOT run
    http_latency         -> await asyncio.sleep(f.params["ms"] / 1000), then go on
  after the handler ran (the change is applied, its stream events queued):
    http_latency with phase "after" (details={"phase": "after"}) -> sleep ms, then answer
    http_unknown_status  -> answer 503 -1007 instead of the real answer
    http_blackhole       -> answer nothing: wait f.params.get("holdMs") ms (None: until the client gives up),
                            then close request.transport
  REST DELETE /api/v3/order and cancelReplace's cancel half (spot_trading._cancel), and the control plane's
  cancel with asClient, just before engine.cancel_order: sim.faults.before_cancel(account_id, symbol, order_id).
  REST DELETE /fapi/v1/order and /fapi/v1/batchOrders (usdm.trading._cancel), just before futures.cancel_order:
  sim.faults.before_cancel(account_id, symbol, order_id, client_id, venue="futures").
  The WebSocket API offers no order methods, so it has no cancel hook.
WS (simulator.dialects.binance.streams.faults has the details): stream = the market stream name
("btcusdt@depth@100ms") or, for user data, the listenKey (WebSocket API subscriptions: None); account_id the user
data sink's account; details {"event": e, "execType": x} of a user data message:
  per outgoing message (one count per message a connection receives; a merged 100 ms depth diff is one):
    ws_drop (not sent), ws_delay (send it f.params["ms"] later; what is queued behind it waits too),
    ws_duplicate (send it twice), ws_reorder (hold it, send it right after its stream's next message - of the
    fault's `event` type, if it has one - or after 1 s of simulator clock with nothing behind it)
  per connection: ws_silence matched against everything the connection carries: nothing leaves it (messages,
    control replies, keepalive pings, pongs), no close frame
  per diff depth message, per stream (StreamHub.flush_interval): depth_gap, stream=name and symbol=SYM: it is not
    published; consecutive hits drop consecutive diffs, so the next U jumps past the last u + 1
  hub pass (every 100 ms), all connections at once: match_each("ws_close", {conn: (stream, account_id, scope
    "stream" for a market stream, "listenKey" for a user data sink) of what it carries}) -> every connection a
    fault targets is closed now (1001, queued messages discarded); one count per fault per pass.
    find("ws_lifetime", ...) -> a connection older than ms (simulator clock) is closed 1001, like at 24 h
  before the handshake: find("ws_connect_limit", endpoint="GET /path") -> at most `limit` admitted connections
    per `windowMs` per IP; over it, HTTP 429 -1003 with Retry-After (streams/admission.py)
  a connection's opening and each frame it sends: seen(stream=..., account_id=...) while waiting
WS journal: Connection.journal is app.get(journal.JOURNAL); every frame in and out, each open and close, and each
message a fault dropped is recorded with .ws(...).
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any, Protocol

from simulator.control.errors import ControlError
from simulator.control.fault_specs import (FILTERS, KINDS, PPM, WINDOW_FROM_FIRST_HIT, WINDOW_FROM_START,
                                           FaultSpecError, validate_spec)
from simulator.jsonstate import expect_int, expect_optional_int

__all__ = ["ACTIVE", "EXHAUSTED", "EXPIRED", "KINDS", "PENDING", "Fault", "FaultInjector", "FaultSpecError",
           "validate_spec"]

PENDING, ACTIVE, EXHAUSTED, EXPIRED = "pending", "active", "exhausted", "expired"


@dataclass
class Fault:
    fault_id: int
    kind: str
    params: dict[str, Any]
    endpoint: str | None = None
    stream: str | None = None
    symbol: str | None = None
    account_id: int | None = None
    count: int | None = None
    remaining: int | None = None
    probability_ppm: int | None = None
    created_at: int = 0
    starts_at: int = 0
    ends_at: int | None = None
    hits: int = 0
    log: list[str] = field(default_factory=list)  # what its effects did, newest last
    window: str = WINDOW_FROM_START  # firstHit: durationMs counts from first_hit_at (ends_at is None until then)
    duration_ms: int | None = None
    first_hit_at: int | None = None

    @property
    def awaiting_first_hit(self) -> bool:
        return self.window == WINDOW_FROM_FIRST_HIT and self.first_hit_at is None

    def state(self, now: int) -> str:
        if self.remaining == 0:
            return EXHAUSTED
        if now < self.starts_at:
            return PENDING
        if self.ends_at is not None and now >= self.ends_at:
            return EXPIRED
        return ACTIVE

    def is_active(self, now: int) -> bool:
        return self.state(now) == ACTIVE

    def targets(self, endpoint: str | None, stream: str | None, symbol: str | None,
                account_id: int | None, scope: str | None = None, details: Mapping[str, str] | None = None) -> bool:
        """Whether a call naming these things is one this fault is aimed at. `details` are what a message-level
        filter (`event`, `execType`, `phase`) looks at: a fault with a filter only matches a call that has it."""
        for key, unsaid in FILTERS.items():
            wanted = self.params.get(key)
            if wanted is not None and (details or {}).get(key, unsaid) != wanted:
                return False
        wanted_scope = self.params.get("scope")
        if wanted_scope not in (None, "all") and scope != wanted_scope:
            return False
        if self.endpoint is not None:
            if endpoint is None:
                return False
            pattern = self.endpoint
            subject = endpoint if " " in pattern else endpoint.partition(" ")[2] or endpoint
            if not fnmatchcase(subject, pattern):
                return False
        if self.stream is not None and (stream is None or not fnmatchcase(stream, self.stream)):
            return False
        if self.symbol is not None and (symbol is None or symbol.upper() != self.symbol):
            return False
        if self.account_id is not None and account_id != self.account_id:
            return False
        return True

    def to_dict(self, now: int) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.fault_id, "kind": self.kind, **self.params}
        for key, value in (("endpoint", self.endpoint), ("stream", self.stream), ("symbol", self.symbol),
                           ("accountId", self.account_id), ("count", self.count)):
            if value is not None:
                out[key] = value
        if self.probability_ppm is not None:
            out["probability"] = str((Decimal(self.probability_ppm) / PPM).normalize())
        out.update({"remaining": self.remaining, "state": self.state(now), "hits": self.hits,
                    "createdAt": self.created_at, "startsAt": self.starts_at, "endsAt": self.ends_at})
        if self.window != WINDOW_FROM_START:  # endsAt is null until the first hit
            out.update({"window": self.window, "durationMs": self.duration_ms, "firstHitAt": self.first_hit_at})
        if self.log:
            out["log"] = list(self.log)
        return out

    def state_dict(self) -> dict[str, Any]:
        """Everything, for snapshots."""
        return {"fault_id": self.fault_id, "kind": self.kind, "params": self.params, "endpoint": self.endpoint,
                "stream": self.stream, "symbol": self.symbol, "account_id": self.account_id, "count": self.count,
                "remaining": self.remaining, "probability_ppm": self.probability_ppm,
                "created_at": self.created_at, "starts_at": self.starts_at, "ends_at": self.ends_at,
                "hits": self.hits, "log": list(self.log), "window": self.window, "duration_ms": self.duration_ms,
                "first_hit_at": self.first_hit_at}


class Effects(Protocol):
    """What the state-changing kinds do to the simulator (fault_effects.FaultEffects is the one there is)."""

    def check(self, norm: dict[str, Any], restoring: bool = False) -> None: ...

    def sync(self, injector: FaultInjector, now: int) -> None: ...

    def before_cancel(self, injector: FaultInjector, account_id: int, symbol: str, order_id: int | None = None,
                      client_id: str | None = None, venue: str = "spot") -> Any: ...

    def state(self) -> dict[str, Any]: ...

    def restore(self, state: Mapping[str, Any]) -> None: ...


class FaultInjector:
    """The registry: add, list, clear and match faults, on the simulator's clock with a seeded RNG."""

    def __init__(self, clock, rng: random.Random, effects: Effects | None = None):
        self.clock = clock
        self.rng = rng
        self.effects = effects
        self.faults: dict[int, Fault] = {}
        self.next_id = 1
        # The kinds of the registered faults (whatever their state): the hook points' one cheap check, so a
        # simulator without faults pays a single truth test per message (`if injector.kinds:`).
        self.kinds: frozenset[str] = frozenset()
        # Whether some fault's window waits for its first hit: `seen`'s one cheap check.
        self.waiting = False

    def _reindex(self) -> None:
        self.kinds = frozenset(f.kind for f in self.faults.values())
        self.waiting = any(f.awaiting_first_hit for f in self.faults.values())

    # --- registry ------------------------------------------------------------------------------------
    def add(self, spec: Mapping[str, Any]) -> Fault:
        """Validate and register a fault; its effect (if any) applies now or when it starts."""
        norm = validate_spec(spec)
        if self.effects is not None:
            self.effects.check(norm)
        now = self.clock.now_ms()
        starts = now + norm["after_ms"]
        from_start = norm["window"] == WINDOW_FROM_START and norm["duration_ms"] is not None
        fault = Fault(self.next_id, norm["kind"], norm["params"], norm["endpoint"], norm["stream"],
                      norm["symbol"], norm["account_id"], norm["count"], norm["count"], norm["probability_ppm"],
                      now, starts, starts + norm["duration_ms"] if from_start else None,
                      window=norm["window"], duration_ms=norm["duration_ms"])
        self.next_id += 1
        self.faults[fault.fault_id] = fault
        self._reindex()
        self.tick(now)
        return fault

    def get(self, fault_id: int) -> Fault:
        fault = self.faults.get(fault_id)
        if fault is None:
            raise ControlError("unknown_fault", f"no fault {fault_id}", 404)
        return fault

    def list(self) -> list[Fault]:
        self.tick()
        return list(self.faults.values())

    def clear(self, fault_id: int | None = None) -> list[Fault]:
        """Remove one fault (or all); effects they held are undone. The removed faults."""
        if fault_id is None:
            removed = list(self.faults.values())
            self.faults.clear()
        else:
            removed = [self.get(fault_id)]
            del self.faults[fault_id]
        self._reindex()
        self.tick()
        return removed

    def active(self, kind: str | None = None, now: int | None = None) -> list[Fault]:
        now = self.clock.now_ms() if now is None else now
        return [f for f in self.faults.values() if (kind is None or f.kind == kind) and f.is_active(now)]

    # --- the hook-point lookup -----------------------------------------------------------------------
    def ended(self, fault_id: int, now: int) -> bool:
        """Whether the fault is gone: cleared, or past its duration (a fault with its count used up has not
        ended: what it holds back may still wait for its stream's next message)."""
        fault = self.faults.get(fault_id)
        return fault is None or fault.state(now) == EXPIRED

    def match(self, kind: str, *, endpoint: str | None = None, stream: str | None = None,
              symbol: str | None = None, account_id: int | None = None, scope: str | None = None,
              details: Mapping[str, str] | None = None) -> Fault | None:
        """The first live fault of `kind` targeting this call, its count consumed and probability drawn (and, for
        a firstHit window, its clock started).

        `scope` ("stream" or "listenKey") only matters to ws_close, whose `scope` parameter picks the kind of
        connection it closes; `details` to faults with a filter (Fault.targets)."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        now = self.clock.now_ms()
        for fault in self.faults.values():
            if fault.kind != kind or not fault.is_active(now):
                continue
            if not fault.targets(endpoint, stream, symbol, account_id, scope, details):
                continue
            if fault.probability_ppm is not None and self.rng.randrange(PPM) >= fault.probability_ppm:
                continue
            self._hit(fault, now)
            return fault
        return None

    def find(self, kind: str, *, endpoint: str | None = None, stream: str | None = None,
             symbol: str | None = None, account_id: int | None = None) -> Fault | None:
        """The first live fault of `kind` targeting this call, consuming nothing and drawing nothing: for the
        kinds that hold a setting while they live (ws_lifetime, ws_connect_limit)."""
        now = self.clock.now_ms()
        for fault in self.faults.values():
            if fault.kind == kind and fault.is_active(now) and fault.targets(endpoint, stream, symbol, account_id):
                return fault
        return None

    def match_each(self, kind: str, calls: Mapping[Any, list[tuple[str | None, int | None, str | None]]]) \
            -> dict[Any, Fault]:
        """One pass over many subjects at once (the hub's 100 ms pass over every connection): for each subject
        (key -> the (stream, accountId, scope) it carries), the first live fault of `kind` aimed at any of them.
        A fault that hits in the pass consumes one count and draws its probability once, whatever number of
        subjects it hits: a ws_close with count 1 closes every socket it targets, not one of them."""
        now = self.clock.now_ms()
        found: dict[Any, Fault] = {}
        for fault in self.faults.values():
            if fault.kind != kind or not fault.is_active(now):
                continue
            hit = [key for key, carried in calls.items() if key not in found
                   and any(fault.targets(None, stream, None, account_id, scope) for stream, account_id, scope in carried)]
            if not hit:
                continue
            if fault.probability_ppm is not None and self.rng.randrange(PPM) >= fault.probability_ppm:
                continue
            self._hit(fault, now)
            found.update(dict.fromkeys(hit, fault))
        return found

    def _hit(self, fault: Fault, now: int) -> None:
        fault.hits += 1
        if fault.remaining is not None:
            fault.remaining -= 1
        if fault.awaiting_first_hit:
            self._first_hit(fault, now)

    def _first_hit(self, fault: Fault, now: int) -> None:
        fault.first_hit_at = now
        fault.ends_at = now + fault.duration_ms
        self.waiting = any(f.awaiting_first_hit for f in self.faults.values())

    def seen(self, *, endpoint: str | None = None, stream: str | None = None, symbol: str | None = None,
             account_id: int | None = None) -> None:
        """The subject's traffic arrived (a REST request, a WebSocket connection or message): the window of
        each live firstHit fault aimed at it starts now, whatever its kind - a halt, maintenance, rate limit or
        skew acts from the moment it is armed, but lasts its durationMs from the first request it can affect.
        The hook points call it only while `waiting`."""
        if not self.waiting:
            return
        now = self.clock.now_ms()
        started = False
        for fault in self.faults.values():
            # traffic naming no symbol (an account query, a connection) reaches a fault on one symbol (a halt)
            if fault.awaiting_first_hit and fault.is_active(now) \
                    and fault.targets(endpoint, stream, symbol if symbol is not None else fault.symbol, account_id):
                self._first_hit(fault, now)
                started = True
        if started:
            self.tick(now)  # effects keyed on the end (a forced 429's Retry-After) see it now

    def before_cancel(self, account_id: int, symbol: str, order_id: int | None = None,
                      client_id: str | None = None, venue: str = "spot") -> Fault | None:
        """The cancel hook (REST and ws-api, just before engine.cancel_order; `venue` "futures" for a /fapi
        cancel): with a fill_during_cancel fault of that venue matching, the order is filled completely first,
        so the cancel that follows answers Unknown order."""
        if self.effects is None:
            return None
        return self.effects.before_cancel(self, account_id, symbol, order_id, client_id, venue)

    # --- time ----------------------------------------------------------------------------------------
    def tick(self, now: int | None = None) -> None:
        """Bring effects in line with the faults live now: start, end, fire one-shots."""
        if self.effects is not None:
            self.effects.sync(self, self.clock.now_ms() if now is None else now)

    # --- snapshots -----------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"next_id": self.next_id, "faults": [f.state_dict() for f in self.faults.values()],
                "effects": self.effects.state() if self.effects is not None else None}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Back to the faults that `state()` gave. KeyError, TypeError or ValueError on a bad state (a fault its
        spec could not have made, an id not below next_id), and then nothing changes."""
        next_id = expect_int(state["next_id"], "faults next_id")
        faults: dict[int, Fault] = {}
        for item in state["faults"]:
            fault = self._restored(item)
            if fault.fault_id in faults or not 1 <= fault.fault_id < next_id:
                raise ValueError(f"fault {fault.fault_id}: ids are unique, from 1, below next_id {next_id}")
            faults[fault.fault_id] = fault
        if self.effects is not None and state.get("effects") is not None:
            self.effects.restore(state["effects"])
        self.next_id = next_id
        self.faults = faults
        self._reindex()

    def _restored(self, item: Mapping[str, Any]) -> Fault:
        """A fault from its state, checked as `add` checks a spec (its kind, parameters and targets exactly as
        the spec they came from gives them, naming what this simulator has), its counters and times integers:
        the hook points and the effects then read it without surprises."""
        fault = Fault(**item)
        if not isinstance(fault.params, Mapping) or not isinstance(fault.log, list) \
                or not all(isinstance(line, str) for line in fault.log):
            raise TypeError(f"fault {fault.fault_id!r}: params must be an object and log a list of text")
        spec = {"kind": fault.kind, **fault.params, "window": fault.window}
        for key, value in (("endpoint", fault.endpoint), ("stream", fault.stream), ("symbol", fault.symbol),
                           ("accountId", fault.account_id), ("count", fault.count)):
            if value is not None:
                spec[key] = value
        if fault.kind != "rate_limit" and fault.duration_ms is not None:
            spec["durationMs"] = fault.duration_ms
        if fault.probability_ppm is not None:
            spec["probability"] = str(Decimal(expect_int(fault.probability_ppm, "probability_ppm")) / PPM)
        try:
            norm = validate_spec(spec)
            if self.effects is not None:
                self.effects.check(norm, restoring=True)
        except FaultSpecError as exc:
            raise ValueError(f"fault {fault.fault_id!r}: {exc.message}") from None
        given = (dict(fault.params), fault.endpoint, fault.stream, fault.symbol, fault.account_id, fault.count,
                 fault.probability_ppm)
        if given != (norm["params"], norm["endpoint"], norm["stream"], norm["symbol"], norm["account_id"],
                     norm["count"], norm["probability_ppm"]):
            raise ValueError(f"fault {fault.fault_id!r}: not as its spec gives it")
        for name in ("fault_id", "created_at", "starts_at", "hits"):
            expect_int(getattr(fault, name), f"fault {name}")
        ends_at = expect_optional_int(fault.ends_at, "fault ends_at")
        remaining = expect_optional_int(fault.remaining, "fault remaining")
        if (remaining is None) != (fault.count is None) or not 0 <= (remaining or 0) <= (fault.count or 0) \
                or fault.hits < 0:
            raise ValueError(f"fault {fault.fault_id}: remaining {remaining} of count {fault.count}, hits {fault.hits}")
        first_hit_at = expect_optional_int(fault.first_hit_at, "fault first_hit_at")
        duration = norm["duration_ms"]
        if fault.window == WINDOW_FROM_START:
            if duration is None and ends_at is not None:  # a snapshot from before durations were kept
                duration = ends_at - fault.starts_at
            expected_end = fault.starts_at + duration if duration is not None else None
            wrong_hit = first_hit_at is not None
        else:
            expected_end = first_hit_at + duration if first_hit_at is not None else None
            wrong_hit = first_hit_at is not None and first_hit_at < fault.starts_at
        if ends_at != expected_end or wrong_hit or duration is not None and duration <= 0:
            raise ValueError(f"fault {fault.fault_id}: it ends at {ends_at}, starts at {fault.starts_at}, first hit "
                             f"at {first_hit_at}")
        return replace(fault, params=dict(fault.params), log=list(fault.log), duration_ms=duration)
