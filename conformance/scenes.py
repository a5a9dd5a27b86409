"""Scenes: each check's arrangement of the exchange, in one place.

A scene is a function of the `Venue` (and what it acts on) that arranges state or injects a fault through the
control plane. Robust checks take their fault from the shipped scenario that reproduces them (`shipped`: the
scenario's own fault steps, read from fixtures/scenarios/*.yaml), so a scenario and its check never disagree;
the few scenes below that no scenario covers, or whose scenario's parameters do not fit a fast check, say why.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from simulator.control.errors import ControlError
from simulator.control.scenario_schema import ScenarioError, resolve
from simulator.dialects.binance.wire.errors import from_reject
from simulator.engine.rejection import Reject

from conformance.venue import Venue

# The standard market: maker ladders around these mids (5 levels a side).
MID = {"BTC-USDT": Decimal("60000"), "ETH-USDT": Decimal("3000")}
STEP = {"BTC-USDT": Decimal("10"), "ETH-USDT": Decimal("1")}
LEVEL_QTY = {"BTC-USDT": Decimal("0.1"), "ETH-USDT": Decimal("1")}


def market(venue: Venue) -> None:
    """Every check's starting point: a maker ladder on each spot pair (the default `arrange`)."""
    for pair in MID:
        venue.ladder(pair, MID[pair], STEP[pair], LEVEL_QTY[pair])


def best(venue: Venue, pair: str) -> tuple[Decimal, Decimal]:
    """(best bid, best ask) on the exchange now."""
    bids, asks = venue.depth(pair, 1)
    return bids[0][0], asks[0][0]


def wire_answer(reason: str) -> tuple[int, str]:
    """(code, message) Binance's dialect sends for an engine rejection reason (the exchange's own words)."""
    error = from_reject(Reject(reason), param="quantity")
    return error.code, error.msg


# --- counterparty actions (the exchange acts on the subject's orders) -----------------------------------
def fill_by_counterparty(venue: Venue, order: dict[str, Any], qty: Optional[Decimal] = None) -> dict[str, Any]:
    """The counterparty trades `qty` (default: all that is left) of the subject's resting order."""
    left = Decimal(order["origQty"]) - Decimal(order["executedQty"])
    return venue.take(order["orderId"], qty if qty is not None else left)


def cancel_by_exchange(venue: Venue, order: dict[str, Any]) -> None:
    """The order is canceled on the exchange by someone else (an operator, a risk engine)."""
    venue.control.cancel_order(order["orderId"])


# --- faults --------------------------------------------------------------------------------------------------
def fault(venue: Venue, kind: str, **spec: Any) -> dict[str, Any]:
    return venue.add_fault({"kind": kind, "accountId": venue.subject_id, **spec}
                           if spec.pop("own", True) else {"kind": kind, **spec})


def _scenario(name: str):
    """A shipped scenario; a check whose scenario this simulator does not ship is skipped, naming it."""
    try:
        return resolve(name=name)
    except (ScenarioError, ControlError) as exc:
        from conformance.framework import CheckSkipped
        raise CheckSkipped(f"the simulator ships no scenario {name} ({exc})") from None


def shipped(venue: Venue, scenario: str, name: Optional[str] = None) -> list[dict[str, Any]]:
    """The fault(s) of a shipped scenario (fixtures/scenarios/<scenario>.yaml), as its `fault` steps spell them
    (only the one named `name`, if given), aimed at the subject where the scenario aims them at its subject. A
    check built on a scenario takes its fault from there, so the two never disagree."""
    added = []
    for step in _scenario(scenario).steps:
        if step.action != "fault" or (name is not None and step.args.get("as") != name):
            continue
        spec = dict(step.args["spec"])
        if step.args.get("account") == "subject":
            spec["accountId"] = venue.subject_id
        added.append(venue.add_fault(spec))
    if not added:
        raise LookupError(f"scenario {scenario} has no fault step{f' named {name}' if name else ''}")
    return added


def _control_op(venue: Venue, name: str):
    op = getattr(venue.control, name, None)
    if op is None:
        from conformance.framework import CheckSkipped
        raise CheckSkipped(f"the simulator's control plane has no {name} yet")
    return op


def scenario_step(scenario: str, action: str) -> Any:
    """The arguments of a shipped scenario's first step doing `action`."""
    return next(s for s in _scenario(scenario).steps if s.action == action).args


def rule_change(venue: Venue) -> dict[str, Any]:
    """rule-change.yaml's `rules` step: the symbol's tick size and minimum notional change at once."""
    a = scenario_step("rule-change", "rules")
    return _control_op(venue, "change_symbol_rules")(symbol=a["symbol"], tick_size=a.get("tickSize"),
                                                     step_size=a.get("stepSize"), min_notional=a.get("minNotional"))


def delisting(venue: Venue) -> dict[str, Any]:
    """symbol-delisted.yaml's `delist` step: the venue cancels the symbol's orders and stops listing it."""
    return _control_op(venue, "delist_symbol")(symbol=scenario_step("symbol-delisted", "delist"))


def order_not_applied(venue: Venue) -> dict[str, Any]:
    """The subject's next order is refused with a 503 before it reaches the engine (nothing applied)."""
    return fault(venue, "http_error", status=503, endpoint="POST /api/v3/order", count=1)


def unknown_status_twice(venue: Venue) -> dict[str, Any]:
    """order-unknown-status.yaml's fault on the subject's next two orders, not one."""
    spec = dict(_scenario("order-unknown-status").steps[0].args["spec"], count=2)
    return venue.add_fault({**spec, "accountId": venue.subject_id})


def cancel_unknown_status(venue: Venue) -> dict[str, Any]:
    """The subject's next cancel is applied but answered 503 -1007 (no scenario covers a cancel's lost answer)."""
    return fault(venue, "http_unknown_status", endpoint="DELETE /api/v3/order", count=1)


def lifetime_end(venue: Venue, ms: int) -> dict[str, Any]:
    """ws-max-lifetime.yaml's fault on every connection, user data included, and after `ms` instead of 3 s."""
    return fault(venue, "ws_lifetime", own=False, ms=ms)


def ws_close_user(venue: Venue) -> dict[str, Any]:
    """ws-close.yaml's fault aimed at the subject's user data connection instead of the market streams."""
    return fault(venue, "ws_close", count=1)


def ws_silence(venue: Venue, ms: int, market_only: bool) -> dict[str, Any]:
    """ws-silent-disconnect.yaml's fault (the connection stays open and says nothing, no close frame), here for
    `ms` and on the user data stream too: the scenario's lasts until its own later step clears it."""
    if market_only:
        return fault(venue, "ws_silence", own=False, stream="*@*", durationMs=ms)
    return fault(venue, "ws_silence", durationMs=ms)


def ip_ban(venue: Venue, ms: int) -> dict[str, Any]:
    """ip-ban-418.yaml's fault (every request answered 418), for `ms`: a longer ban than the scenario's 3 s, so
    that a connector that ignores it is told from one that honours it by a wide margin of requests."""
    return fault(venue, "rate_limit", own=False, status=418, ms=ms)


def clock_ahead(venue: Venue, ms: int) -> None:
    """The server's clock moves ahead for good (a client that signs with its own clock must sync first)."""
    venue.control.advance_clock(ms)


