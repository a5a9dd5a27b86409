"""Checks on exchange-side facts: what a scenario's `expect` steps and its closing `verdict` ask of the simulator.

A check is one mapping whose first key names what it looks at, the others its attributes:

    {order: REF, status: S, executedQty: D, origQty: D, working: BOOL}   an order the scenario placed or bound
    {orders: ACCOUNT, clientOrderId: X, symbol: SYM, side: BUY|SELL, status: S, count: N, sameQtyAs: REF}
                          the account's orders (open and finished) that fit the filter: exactly `count` of
                          them, or at least one when count is left out; with sameQtyAs, their quantities add up
                          to what order REF executed (e.g. selling back exactly what was bought)
    {balance: ACCOUNT, asset: A, free: D, locked: D}
    {symbol: SYM, status: S}
    {openOrders: ACCOUNT, symbol: SYM, count: N}
    {fault: REF, state: pending|active|exhausted|expired, hits: N}
    {clockSkewMs: N}
    {listenKey: REF, alive: BOOL}
    {rateLimited: 429 | 418 | false}
    {audit: true}
    {event: FILTER, count: N}            engine events since the setup ended (FILTER as in `wait`)
    {position: ACCOUNT, symbol: SYM, positionSide: BOTH|LONG|SHORT, amount: D, leverage: N, marginType: M}
                          a perpetual position (positionSide defaults to BOTH; amount is signed, 0 when there
                          is none; leverage and marginType are compared only while it is open)
    {futuresOpenOrders: ACCOUNT, symbol: SYM, side: S, positionSide: P, reduceOnly: BOOL, type: T, count: N}
                          the account's working futures orders that fit: exactly `count`, or at least one
    {income: ACCOUNT, incomeType: T, symbol: SYM, sign: positive|negative, count: N}
                          the account's futures income rows (GET /fapi/v1/income: FUNDING_FEE, REALIZED_PNL,
                          COMMISSION, INSURANCE_CLEAR, TRANSFER) since the setup ended that fit: exactly `count`,
                          or at least one
    {futuresAccount: ACCOUNT, dualSidePosition: BOOL, asset: A, walletBalance: D}
                          the futures account's position mode, and its wallet balance of `asset`
    {insuranceFund: ASSET, drained: BOOL}
                          whether the insurance fund of ASSET holds less than when the setup ended
    {traffic: KIND, endpoint: PATTERN, stream: PATTERN, status: N, account: ACCOUNT,
     after: ANCHOR, before: ANCHOR, during: FAULT, count: N, min: N, max: N}
                          what the subject sent on the wire (simulator.control.traffic): KIND is request,
                          connect, subscribe, userStream or disconnect; ANCHOR a mark's name (what arrived after
                          it) or a fault's (after: from its first hit, or its start; before: its end); `during` a
                          fault's window.
                          With no count/min/max: at least one.

ACCOUNT is an account's name; `subject` is the scenario's subject (its first account). The account names resolve
when the check runs. A check answers (summary, problems): no problems means it holds.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from simulator.control.scenario_futures import signed_amount
from simulator.control.traffic import KINDS as TRAFFIC_KINDS, matches
from simulator.engine.instrument import SYMBOL_STATUSES
from simulator.engine.perp.income import INCOME_TYPES
from simulator.engine.perp.order import PERP_ORDER_TYPES, POSITION_SIDES
from simulator.engine.perp.position import MARGIN_TYPES
from simulator.inputs import MAX_CLOCK_MS, MAX_COUNT, InputError, boolean, integer, one_of, text

CHECKS = {
    "order": ("status", "executedQty", "origQty", "working"),
    "orders": ("clientOrderId", "symbol", "side", "status", "count", "sameQtyAs"),
    "balance": ("asset", "free", "locked"),
    "symbol": ("status",),
    "openOrders": ("symbol", "count"),
    "fault": ("state", "hits"),
    "clockSkewMs": (),
    "listenKey": ("alive",),
    "rateLimited": (),
    "audit": (),
    "event": ("count",),
    "position": ("symbol", "positionSide", "amount", "leverage", "marginType"),
    "futuresOpenOrders": ("symbol", "side", "positionSide", "reduceOnly", "type", "count"),
    "income": ("incomeType", "symbol", "sign", "count"),
    "futuresAccount": ("dualSidePosition", "asset", "walletBalance"),
    "insuranceFund": ("drained",),
    "traffic": ("endpoint", "stream", "status", "account", "after", "before", "during", "count", "min", "max"),
}
FAULT_STATES = ("pending", "active", "exhausted", "expired")


class Refs(Protocol):
    """What a scenario check needs resolved at run time (the Player provides it)."""

    def account(self, name: str) -> int: ...

    def order_id(self, ref: str) -> int: ...

    def fault_id(self, ref: str) -> int: ...

    def listen_key(self, ref: str) -> str: ...

    def window(self, anchor: str) -> tuple[int | None, int | None]: ...

    def mark_seq(self, anchor: str) -> int | None: ...

    def events(self, wanted: dict[str, Any]) -> list[dict[str, Any]]: ...

    def observations(self) -> list[dict[str, Any]]: ...

    def futures_since(self) -> int: ...

    def insurance_before(self, asset: str) -> str: ...


# --- reading a check from a scenario file ---------------------------------------------------------------
def parse_check(v, value: Any, path: str, line: int, amount, anchors: set[str]) -> dict[str, Any]:
    """One check, validated by the scenario validator `v` (for names defined by earlier steps); `amount` reads a
    decimal; `anchors` are the names a `traffic` check may use as after/before/during."""
    if not isinstance(value, dict):
        raise InputError(path, f"expected a mapping with one subject ({', '.join(CHECKS)})", line)
    subjects = [key for key in value if key in CHECKS]
    if not subjects:
        raise InputError(path, f"no subject: start with one of {', '.join(CHECKS)}", line)
    subject = subjects[0]  # the first key; the others must be its attributes (openOrders' symbol, ...)
    m = v.mapping(value, path, line, (subject,), CHECKS[subject])
    out: dict[str, Any] = {"subject": subject}
    if subject == "order":
        out["order"] = v.ref(m, "order", v.orders, "order")
        out["status"] = m.optional("status", text)
        out["executedQty"] = m.optional("executedQty", amount)
        out["origQty"] = m.optional("origQty", amount)
        out["working"] = m.optional("working", boolean)
    elif subject == "orders":
        out["account"] = v.account(m, "orders")
        out["clientOrderId"] = m.optional("clientOrderId", text)
        out["symbol"] = m.optional("symbol", text)
        out["side"] = m.optional("side", one_of(("BUY", "SELL")))
        out["status"] = m.optional("status", text)
        out["count"] = m.optional("count", integer, minimum=0, maximum=MAX_COUNT)
        out["sameQtyAs"] = v.ref(m, "sameQtyAs", v.orders, "order") if "sameQtyAs" in m.data else None
    elif subject == "balance":
        out["account"] = v.account(m, "balance")
        out["asset"] = m.required("asset", text).upper()
        out["free"] = m.optional("free", amount)
        out["locked"] = m.optional("locked", amount)
    elif subject == "symbol":
        out["symbol"] = m.required("symbol", text).upper()
        out["status"] = m.required("status", one_of(SYMBOL_STATUSES))
    elif subject == "openOrders":
        out["account"] = v.account(m, "openOrders")
        out["symbol"] = m.optional("symbol", text)
        out["count"] = m.optional("count", integer, 0, minimum=0, maximum=MAX_COUNT)
    elif subject == "fault":
        out["fault"] = v.ref(m, "fault", v.faults, "fault")
        out["state"] = m.optional("state", one_of(FAULT_STATES))
        out["hits"] = m.optional("hits", integer, minimum=0, maximum=MAX_COUNT)
    elif subject == "clockSkewMs":
        out["ms"] = m.required("clockSkewMs", integer, -MAX_CLOCK_MS, MAX_CLOCK_MS)
    elif subject == "listenKey":
        out["listenKey"] = v.ref(m, "listenKey", v.listen_keys, "listenKey")
        out["alive"] = m.required("alive", boolean)
    elif subject == "rateLimited":
        out["status"] = m.required("rateLimited", _rate_limited)
    elif subject == "audit":
        m.required("audit", must_be_true)
    elif subject == "event":
        out["event"] = v.event_filter(m.data["event"], m.child("event"), m.line_of("event"))
        out["count"] = m.optional("count", integer, minimum=0, maximum=MAX_COUNT)
    elif subject == "position":
        out["account"] = v.account(m, "position")
        out["symbol"] = m.required("symbol", text).upper()
        out["positionSide"] = m.optional("positionSide", one_of(POSITION_SIDES), "BOTH")
        out["amount"] = m.optional("amount", signed_amount)
        out["leverage"] = m.optional("leverage", integer, minimum=1, maximum=125)
        out["marginType"] = m.optional("marginType", one_of(MARGIN_TYPES))
    elif subject == "futuresOpenOrders":
        out["account"] = v.account(m, "futuresOpenOrders")
        out["symbol"] = m.optional("symbol", text, "").upper() or None
        out["side"] = m.optional("side", one_of(("BUY", "SELL")))
        out["positionSide"] = m.optional("positionSide", one_of(POSITION_SIDES))
        out["reduceOnly"] = m.optional("reduceOnly", boolean)
        out["type"] = m.optional("type", one_of(PERP_ORDER_TYPES))
        out["count"] = m.optional("count", integer, minimum=0, maximum=MAX_COUNT)
    elif subject == "income":
        out["account"] = v.account(m, "income")
        out["incomeType"] = m.optional("incomeType", one_of(INCOME_TYPES))
        out["symbol"] = m.optional("symbol", text, "").upper() or None
        out["sign"] = m.optional("sign", one_of(("positive", "negative")))
        out["count"] = m.optional("count", integer, minimum=0, maximum=MAX_COUNT)
    elif subject == "futuresAccount":
        out["account"] = v.account(m, "futuresAccount")
        out["dualSidePosition"] = m.optional("dualSidePosition", boolean)
        out["asset"] = m.optional("asset", text)
        out["walletBalance"] = m.optional("walletBalance", amount)
        if (out["asset"] is None) != (out["walletBalance"] is None):
            raise InputError(path, "asset and walletBalance go together", line)
    elif subject == "insuranceFund":
        out["asset"] = m.required("insuranceFund", text).upper()
        out["drained"] = m.required("drained", boolean)
    else:  # traffic
        out["kind"] = m.required("traffic", one_of(TRAFFIC_KINDS))
        out["endpoint"] = m.optional("endpoint", text)
        out["stream"] = m.optional("stream", text)
        out["status"] = m.optional("status", integer, minimum=100, maximum=599)
        out["account"] = m.optional("account", text)
        for key in ("after", "before", "during"):
            out[key] = v.ref(m, key, anchors, "mark or fault") if key in m.data else None
        for key in ("count", "min", "max"):
            out[key] = m.optional(key, integer, minimum=0, maximum=MAX_COUNT)
    return out


def _rate_limited(value: Any, path: str) -> int | None:
    if value is True or value not in (429, 418, False):
        raise InputError(path, "expected 429, 418 or false")
    return value or None


def must_be_true(value: Any, path: str) -> bool:
    if value is not True:
        raise InputError(path, "expected true")
    return value


# --- running a check -----------------------------------------------------------------------------------
def describe(check: dict[str, Any]) -> str:
    """The check as a person reads it: `orders subject clientOrderId=lost-1 count=1`."""
    subject = check["subject"]
    head = {"order": "order", "orders": "account", "balance": "account", "openOrders": "account",
            "position": "account", "futuresOpenOrders": "account", "income": "account", "futuresAccount": "account",
            "insuranceFund": "asset", "fault": "fault", "listenKey": "listenKey", "symbol": "symbol",
            "traffic": "kind"}.get(subject)
    parts = [subject] + ([str(check[head])] if head else [])
    parts += [f"{k}={v}" for k, v in check.items() if k not in ("subject", head) and v is not None]
    return " ".join(parts)


def run_check(target, refs: Refs, check: dict[str, Any]) -> tuple[str, list[str]]:
    """(summary, problems) of one check against the control-plane `target`."""
    problems: list[str] = []

    def compare(name: str, actual: Any, expected: Any, decimal: bool = False) -> None:
        if expected is None:
            return
        same = Decimal(str(actual)) == Decimal(expected) if decimal else actual == expected
        if not same:
            problems.append(f"{name} is {actual!r}, expected {expected!r}")

    subject = check["subject"]
    if subject == "order":
        order = target.get_order(order_id=refs.order_id(check["order"]))["order"]
        compare("status", order["status"], check["status"])
        compare("executedQty", order["executedQty"], check["executedQty"], True)
        compare("origQty", order["origQty"], check["origQty"], True)
        compare("working", order["working"], check["working"])
        summary = f"{check['order']} {order['status']} executed {order['executedQty']}"
    elif subject == "orders":
        orders = target.list_orders(account_id=refs.account(check["account"]), symbol=check["symbol"],
                                    open_only=False)["orders"]
        fit = [o for o in orders if check["clientOrderId"] in (None, o["clientOrderId"])
               and check["side"] in (None, o["side"])]
        statuses = [o["status"] for o in fit]
        if check["status"] is not None:
            wrong = [s for s in statuses if s != check["status"]]
            if wrong or not fit:
                problems.append(f"status is {', '.join(statuses) or 'nothing (no such order)'}, expected "
                                f"{check['status']}")
        if check["count"] is not None:
            compare("count", len(fit), check["count"])
        elif not fit:
            problems.append("no such order")
        if check["sameQtyAs"] is not None:
            executed = target.get_order(order_id=refs.order_id(check["sameQtyAs"]))["order"]["executedQty"]
            total = sum((Decimal(o["origQty"]) for o in fit), Decimal(0))
            if total != Decimal(executed):
                problems.append(f"they add up to {total}, expected {check['sameQtyAs']}'s executed {executed}")
        summary = f"{len(fit)} order(s) {'(' + ', '.join(statuses) + ')' if statuses else ''}".rstrip()
    elif subject == "balance":
        balances = target.get_account(account_id=refs.account(check["account"]))["balances"]
        balance = balances.get(check["asset"], {"free": "0", "locked": "0"})
        compare("free", balance["free"], check["free"], True)
        compare("locked", balance["locked"], check["locked"], True)
        summary = f"{check['account']} {check['asset']} free {balance['free']} locked {balance['locked']}"
    elif subject == "symbol":
        status = target.symbols()["symbols"][check["symbol"]]["status"]
        compare("status", status, check["status"])
        summary = f"{check['symbol']} {status}"
    elif subject == "openOrders":
        orders = target.list_orders(account_id=refs.account(check["account"]), symbol=check["symbol"],
                                    open_only=True)["orders"]
        compare("count", len(orders), check["count"])
        summary = f"{check['account']} has {len(orders)} open order(s)"
    elif subject == "fault":
        fault = target.get_fault(fault_id=refs.fault_id(check["fault"]))
        compare("state", fault["state"], check["state"])
        compare("hits", fault["hits"], check["hits"])
        summary = f"{check['fault']} {fault['state']}, {fault['hits']} hit(s)"
    elif subject == "clockSkewMs":
        skew = target.clock()["skewMs"]
        compare("skew", skew, check["ms"])
        summary = f"server clock skew {skew} ms"
    elif subject == "listenKey":
        key = refs.listen_key(check["listenKey"])
        keys = {k["listenKey"]: k for k in target.list_listen_keys()["listenKeys"]}
        alive = key in keys and keys[key]["alive"]
        compare("alive", alive, check["alive"])
        summary = f"{check['listenKey']} {'alive' if alive else 'expired'}"
    elif subject == "rateLimited":
        forced = target.limits()["forced"]
        compare("forced refusal", forced, check["status"])
        summary = f"rate limiter {'refuses with ' + str(forced) if forced else 'does not refuse'}"
    elif subject == "audit":
        report = target.audit()
        if not report["ok"]:
            problems.append("; ".join(report["problems"][:3]))
        summary = "engine invariants hold"
    elif subject == "event":
        found = refs.events(check["event"])
        if check["count"] is None and not found:
            problems.append(f"no event matching {check['event']}")
        compare("count", len(found), check["count"])
        summary = f"{len(found)} event(s) matching {check['event']}"
    elif subject in FUTURES_CHECKS:
        summary = FUTURES_CHECKS[subject](target, refs, check, compare, problems)
    else:
        found = traffic_matching(refs, check)
        low, high = check["min"], check["max"]
        if check["count"] is not None:
            low = high = check["count"]
        elif low is None and high is None:
            low = 1
        if (low is not None and len(found) < low) or (high is not None and len(found) > high):
            wanted = (f"exactly {low}" if low == high else f"at least {low}" if high is None else
                      f"at most {high}" if low is None else f"{low} to {high}")
            problems.append(f"{len(found)} seen, expected {wanted}")
        summary = f"{len(found)} {check['kind']}(s) seen"
    return summary, problems


def traffic_matching(refs: Refs, check: dict[str, Any]) -> list[dict[str, Any]]:
    """The subject's observations that fit a traffic check's filter and time window."""
    wanted = {"kind": check["kind"], "endpoint": check["endpoint"], "stream": check["stream"],
              "status": check["status"],
              "accountId": refs.account(check["account"]) if check["account"] is not None else None}
    start = end = after_seq = before_seq = None
    if check["during"] is not None:
        start, end = refs.window(check["during"])
    for key in ("after", "before"):
        anchor = check[key]
        if anchor is None:
            continue
        seq = refs.mark_seq(anchor)  # a mark: by the order of arrival, exact
        if key == "after":
            if seq is not None:
                after_seq = seq
            else:
                start = refs.window(anchor)[0]
        elif seq is not None:
            before_seq = seq
        else:
            end = refs.window(anchor)[1]
    return [o for o in refs.observations() if matches(o, wanted)
            and (after_seq is None or o["seq"] > after_seq) and (before_seq is None or o["seq"] <= before_seq)
            and (start is None or o["at"] >= start) and (end is None or o["at"] < end)]


# --- perpetuals ---------------------------------------------------------------------------------------------
def _position(target, refs: Refs, check: dict[str, Any], compare, problems: list[str]) -> str:
    positions = target.futures_account(account_id=refs.account(check["account"]))["positions"]
    found = next((p for p in positions if p["symbol"] == check["symbol"]
                  and p["positionSide"] == check["positionSide"]), None)
    amount = found["positionAmt"] if found else "0"
    compare("amount", amount, check["amount"], True)
    if found is not None:
        compare("leverage", found["leverage"], check["leverage"])
        compare("marginType", "ISOLATED" if found["marginType"] == "isolated" else "CROSSED", check["marginType"])
    side = "" if check["positionSide"] == "BOTH" else f" {check['positionSide']}"
    return f"{check['account']} {check['symbol']}{side} position {Decimal(amount).normalize():f}" + (
        f" at {found['leverage']}x {found['marginType']}" if found else "")


def _futures_open_orders(target, refs: Refs, check: dict[str, Any], compare, problems: list[str]) -> str:
    orders = target.futures_account(account_id=refs.account(check["account"]))["openOrders"]
    fit = [o for o in orders if all(check[key] is None or o[key] == check[key]
                                    for key in ("symbol", "side", "positionSide", "reduceOnly", "type"))]
    if check["count"] is not None:
        compare("count", len(fit), check["count"])
    elif not fit:
        problems.append("no such open futures order")
    return f"{check['account']} has {len(fit)} such open futures order(s)"


def _income(target, refs: Refs, check: dict[str, Any], compare, problems: list[str]) -> str:
    rows = target.futures_income(account_id=refs.account(check["account"]), income_type=check["incomeType"],
                                 symbol=check["symbol"], limit=10_000)["income"]
    since = refs.futures_since()
    fit = [r for r in rows if r["time"] >= since and (
        check["sign"] is None or (Decimal(r["income"]) < 0) == (check["sign"] == "negative"))]
    if check["count"] is not None:
        compare("count", len(fit), check["count"])
    elif not fit:
        problems.append("no such income row")
    total = sum((Decimal(r["income"]) for r in fit), Decimal(0))
    return f"{check['account']}: {len(fit)} such income row(s), {total.normalize():f} in all"


def _futures_account(target, refs: Refs, check: dict[str, Any], compare, problems: list[str]) -> str:
    account = target.futures_account(account_id=refs.account(check["account"]))
    compare("dualSidePosition", account["dualSidePosition"], check["dualSidePosition"])
    summary = f"{check['account']} {'hedge' if account['dualSidePosition'] else 'one-way'} mode"
    if check["asset"] is not None:
        wallet = account["wallet"].get(check["asset"], {}).get("walletBalance", "0")
        compare("walletBalance", wallet, check["walletBalance"], True)
        summary += f", {check['asset']} wallet {wallet}"
    return summary


def _insurance_fund(target, refs: Refs, check: dict[str, Any], compare, problems: list[str]) -> str:
    fund = target.funding()["insuranceFund"].get(check["asset"], "0")
    before = refs.insurance_before(check["asset"])
    compare("drained", Decimal(fund) < Decimal(before), check["drained"])
    return f"{check['asset']} insurance fund {fund} (was {before})"


FUTURES_CHECKS = {"insuranceFund": _insurance_fund, "position": _position, "futuresOpenOrders": _futures_open_orders,
                  "income": _income, "futuresAccount": _futures_account}
