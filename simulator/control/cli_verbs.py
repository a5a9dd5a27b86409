"""The `exsim` verbs that drive a running simulator through its control plane.

Each verb takes `--url` (default http://127.0.0.1:8900, or $EXSIM_URL), `--admin-token` (or
$EXSIM_ADMIN_TOKEN) and `--json` (print the server's JSON answer instead of the readable summary). Exit status:
0 done, 1 refused by the simulator or a scenario failed, 2 bad usage or invalid file, 3 simulator unreachable.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from simulator.control.client import DEFAULT_URL, ControlClient, Unreachable
from simulator.control.errors import ControlError
from simulator.control.api import Control
from simulator.control.scenarios import ScenarioError, load_scenario_file, play_remote, resolve
from simulator.control.snapshot import SnapshotError, read_file, to_json, write_atomic

EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE = 1, 2, 3


class UsageError(Exception):
    pass


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=os.environ.get("EXSIM_URL", DEFAULT_URL),
                        help=f"the simulator (default {DEFAULT_URL}, or $EXSIM_URL)")
    common.add_argument("--admin-token", default=os.environ.get("EXSIM_ADMIN_TOKEN"),
                        help="admin token, if the server was started with one (or $EXSIM_ADMIN_TOKEN)")
    common.add_argument("--json", action="store_true", help="print the JSON answer")
    return common


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, default=lambda v: str(v) if isinstance(v, Decimal) else repr(v))


# --- readable output ------------------------------------------------------------------------------------
def _show_account(a: dict[str, Any]) -> str:
    lines = [f"account {a['id']} {a['name']!r}  fee tier {a['feeTier']}"]
    for key in a.get("apiKeys", []):
        lines.append(f"  api key {key['apiKey']}  secret {key['secret']}" if isinstance(key, dict)
                     else f"  api key {key}")
    if "apiKey" in a:
        lines.append(f"  api key {a['apiKey']}  secret {a['secret']}")
    for asset, b in a.get("balances", {}).items():
        lines.append(f"  {asset:<6} free {b['free']:>24}  locked {b['locked']:>24}")
    orders = a.get("openOrders")
    if isinstance(orders, list):
        lines += [f"  {_order_line(o)}" for o in orders] or ["  no open orders"]
    return "\n".join(lines)


def _order_line(o: dict[str, Any]) -> str:
    return (f"order {o['orderId']} acct {o['accountId']} {o['symbol']} {o['side']} {o['type']} "
            f"{o['origQty']} @ {o['price']}  {o['status']} executed {o['executedQty']}")


def _fault_line(f: dict[str, Any]) -> str:
    skip = {"id", "kind", "state", "hits", "remaining", "createdAt", "startsAt", "endsAt", "log"}
    detail = " ".join(f"{k}={v}" for k, v in f.items() if k not in skip)
    left = f" remaining {f['remaining']}" if f["remaining"] is not None else ""
    return f"fault {f['id']:>3} {f['kind']:<20} {f['state']:<9} hits {f['hits']}{left}  {detail}"


def _clock_line(c: dict[str, Any]) -> str:
    return (f"now {c['now']}  server time {c['serverTime']}  advanced {c['advancedMs']} ms  "
            f"skew {c['skewMs']} ms{'  (frozen)' if c['frozen'] else ''}")


# --- verbs ----------------------------------------------------------------------------------------------
def _kv_pairs(pairs: list[str], what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"{what}: expected KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(value, parse_float=Decimal)  # 503 -> int, [..] -> list, "x" -> str
        except ValueError:
            out[key] = value
    return out


def _account_create(c: ControlClient, a) -> tuple[dict, str]:
    balances = {k: str(v) for k, v in _kv_pairs(a.balance or [], "--balance").items()}
    r = c.create_account(name=a.name, api_key=a.api_key, secret=a.secret, fee_tier=a.fee_tier,
                         balances=balances or None)
    return r, _show_account(r)


def _account_list(c, a):
    r = c.list_accounts()
    return r, "\n".join(f"account {x['id']:>3} {x['name']!r:<32} fee tier {x['feeTier']}  "
                        f"{x['openOrders']} open order(s)  keys: {', '.join(x['apiKeys']) or '-'}"
                        for x in r["accounts"])


def _money(op: str) -> Callable:
    def run(c, a):
        r = getattr(c, op)(account_id=a.account, asset=a.asset, amount=a.amount)
        sign = "+" if op == "deposit" else "-"
        return r, (f"account {r['accountId']}: {sign}{r['amount']} {r['asset']}  now free {r['balance']['free']} "
                   f"locked {r['balance']['locked']}")
    return run


def _fault_add(c, a):
    spec = _kv_pairs(a.params, "fault parameter")
    if a.spec:
        try:
            spec.update(json.loads(a.spec, parse_float=Decimal))
        except ValueError as exc:
            raise UsageError(f"--spec: not valid JSON: {exc}") from None
    spec["kind"] = a.kind
    r = c.add_fault(spec=spec)
    return r, _fault_line(r) + "".join(f"\n  {line}" for line in r.get("log", []))


def _fault_list(c, a):
    r = c.list_faults()
    return r, "\n".join(_fault_line(f) for f in r["faults"]) or "no faults"


def _fault_clear(c, a):
    r = c.clear_fault(fault_id=a.id) if a.id is not None else c.clear_faults()
    return r, f"cleared {len(r['cleared'])} fault(s)" + (f": {', '.join(map(str, r['cleared']))}"
                                                          if r["cleared"] else "")


def _fault_kinds(c, a):
    r = c.fault_kinds()
    return r, "\n".join(f"{k:<20} {v['description']}"
                        + (f"  [{', '.join(p + ('*' if s['required'] else '') for p, s in v['params'].items())}]"
                           if v["params"] else "")
                        for k, v in r["kinds"].items())


def _snapshot_save(c, a):
    document = c.snapshot()
    write_atomic(a.file, to_json(document))
    return ({"file": a.file, "seq": document["engine"]["seq"]},
            f"saved snapshot (seq {document['engine']['seq']}, {len(document['engine']['accounts'])} accounts) to "
            f"{a.file}")


def _snapshot_load(c, a):
    try:
        document = read_file(a.file)
    except SnapshotError as exc:
        raise UsageError(str(exc)) from None
    r = c.restore(document=document)
    return r, f"restored {a.file}: {r['accounts']} accounts, {r['openOrders']} open orders, seq {r['seq']}"


def _scenario_run(c, a):
    path = Path(a.file)
    try:
        scenario = load_scenario_file(path) if path.suffix in (".yaml", ".yml") or path.exists() else \
            resolve(name=a.file)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None
    if not a.json:
        print(f"scenario {scenario.name}: {scenario.description.splitlines()[0]}", flush=True)
    result = play_remote(scenario, c, None if a.json else lambda e: print(e.render(), flush=True))
    text = ("PASSED" if result.ok else f"FAILED: {result.failure}")
    return result.to_dict(), text


def _scenario_validate(c, a):
    names = []
    for file in a.files:
        try:
            names.append(f"{file}: ok ({len(load_scenario_file(file).steps)} steps)")
        except ScenarioError as exc:
            raise UsageError(str(exc)) from None
    return {"ok": True, "files": a.files}, "\n".join(names)


def _scenario_list(c, a):
    r = Control.list_scenarios()
    return r, "\n".join(f"{s['name']:<28} {', '.join(s['reproduces']):<12} {s['description'].splitlines()[0]}"
                        for s in r["scenarios"])


def _events(c, a):
    r = c.events(after=a.after, limit=a.limit, kind=a.kind)
    lines = [json.dumps(e, separators=(",", ":")) for e in r["events"]]
    if r.get("gap"):
        lines.insert(0, f"(events up to some after {a.after} were already dropped from the recent window)")
    return r, "\n".join(lines) or f"no events after {a.after} (last seq {r['lastSeq']})"


def _simple(op: str, fmt: Callable[[dict, Any], str], **fixed: Any) -> Callable:
    def run(c, a):
        kwargs = {k: (getattr(a, v[1:]) if isinstance(v, str) and v.startswith("@") else v)
                  for k, v in fixed.items()}
        r = getattr(c, op)(**kwargs)
        return r, fmt(r, a)
    return run


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    common = _common()

    def verb(parent, name: str, run: Callable, help_text: str) -> argparse.ArgumentParser:
        parser = parent.add_parser(name, parents=[common], help=help_text, description=help_text)
        parser.set_defaults(run=_client_verb(run))
        return parser

    def group(name: str, help_text: str):
        parser = verbs.add_parser(name, help=help_text, description=help_text)
        return parser.add_subparsers(dest=f"{name}_verb", required=True, metavar="VERB")

    accounts = group("account", "create, list and show accounts")
    p = verb(accounts, "create", _account_create, "open an account with API keys (and balances)")
    p.add_argument("--name")
    p.add_argument("--api-key")
    p.add_argument("--secret")
    p.add_argument("--fee-tier", type=int, default=0)
    p.add_argument("--balance", action="append", metavar="ASSET=AMOUNT", help="opening balance (repeatable)")
    verb(accounts, "list", _account_list, "list accounts")
    p = verb(accounts, "show", _simple("get_account", lambda r, a: _show_account(r), account_id="@id"),
             "an account's keys, balances and open orders")
    p.add_argument("id", type=int)
    p = verb(accounts, "fee-tier", _simple("set_fee_tier", lambda r, a: f"account {r['id']} fee tier {r['feeTier']}",
                                           account_id="@id", tier="@tier"), "set an account's fee tier")
    p.add_argument("id", type=int)
    p.add_argument("tier", type=int)
    p = verb(accounts, "listen-key", _simple("create_listen_key", lambda r, a: r["listenKey"], account_id="@id"),
             "create (or extend) the account's listenKey")
    p.add_argument("id", type=int)

    for name in ("deposit", "withdraw"):
        p = verb(verbs, name, _money(name), f"{name} an amount for an account")
        p.add_argument("account", type=int)
        p.add_argument("asset")
        p.add_argument("amount")

    clock = group("clock", "read, advance or skew the simulator's clock")
    verb(clock, "show", _simple("clock", lambda r, a: _clock_line(r)), "read the clock")
    p = verb(clock, "advance", _simple("advance_clock", lambda r, a: _clock_line(r), ms="@ms"),
             "move simulated time forward")
    p.add_argument("ms", type=int)
    p = verb(clock, "skew", _simple("set_skew", lambda r, a: _clock_line(r), ms="@ms"),
             "skew the time the server reports and checks timestamps against")
    p.add_argument("ms", type=int)

    prices = group("price", "index prices of the market maker")
    verb(prices, "show", _simple("prices", lambda r, a: "\n".join(
        f"{s:<10} index {p['index']}  walk {'on' if p['walking'] else 'off'}" for s, p in r["prices"].items())
        or "no market maker"), "index prices")
    p = verb(prices, "index", _simple("set_index", lambda r, a: f"{a.symbol} index {r['prices'][a.symbol]['index']}",
                                      symbol="@symbol", price="@price"), "set an index price (the maker requotes)")
    p.add_argument("symbol")
    p.add_argument("price")
    p = verb(prices, "walk", lambda c, a: (lambda r: (r, f"random walk {a.state}"))(
        c.set_walk(enabled=a.state == "on", symbol=a.symbol)), "start or stop the random walk")
    p.add_argument("state", choices=("on", "off"))
    p.add_argument("symbol", nargs="?")
    p = verb(verbs, "market-maker", lambda c, a: (lambda r: (r, f"market maker {a.state}"))(
        c.set_market_maker(enabled=a.state == "on")), "pause or resume the background market maker")
    p.add_argument("state", choices=("on", "off"))

    orders = group("order", "orders on behalf of any account")
    p = verb(orders, "place", lambda c, a: (lambda r: (r, _order_line(r["order"]) + "".join(
        f"\n  trade {t['tradeId']}: {t['qty']} @ {t['price']}" for t in r["trades"])))(c.place_order(
            account_id=a.account, symbol=a.symbol, side=a.side.upper(), type=a.type.upper(), quantity=a.quantity,
            price=a.price, time_in_force=a.tif, quote_order_qty=a.quote_qty, stop_price=a.stop_price,
            client_order_id=a.client_id)), "place an order for an account")
    p.add_argument("account", type=int)
    p.add_argument("symbol")
    p.add_argument("side")
    p.add_argument("type")
    p.add_argument("--quantity", "-q")
    p.add_argument("--price", "-p")
    p.add_argument("--tif")
    p.add_argument("--quote-qty")
    p.add_argument("--stop-price")
    p.add_argument("--client-id")
    p = verb(orders, "list", lambda c, a: (lambda r: (r, "\n".join(_order_line(o) for o in r["orders"])
                                                      or "no orders"))(
        c.list_orders(account_id=a.account, symbol=a.symbol, open_only=not a.all)), "list orders")
    p.add_argument("--account", type=int)
    p.add_argument("--symbol")
    p.add_argument("--all", action="store_true", help="closed orders too")
    p = verb(orders, "show", _simple("get_order", lambda r, a: _order_line(r["order"]), order_id="@id"),
             "one order")
    p.add_argument("id", type=int)
    p = verb(orders, "cancel", _simple("cancel_order", lambda r, a: _order_line(r["order"]), order_id="@id",
                                       as_client="@as_client"), "cancel an order")
    p.add_argument("id", type=int)
    p.add_argument("--as-client", action="store_true", help="through the cancel fault hook, as its owner would")
    p = verb(orders, "take", _simple("take", lambda r, a: _order_line(r["order"]), order_id="@id", qty="@qty"),
             "trade exactly QTY of a resting order at its price, against the control plane's counterparty")
    p.add_argument("id", type=int)
    p.add_argument("qty")

    funding = group("funding", "funding of perpetuals")
    p = verb(funding, "settle", _simple("settle_funding", lambda r, a: "settled", symbol="@symbol"),
             "settle funding now")
    p.add_argument("symbol", nargs="?")

    faults = group("fault", "inject faults")
    p = verb(faults, "add", _fault_add, "add a fault: exsim fault add http_error status=503 "
                                        "'endpoint=POST /api/v3/order' count=2")
    p.add_argument("kind")
    p.add_argument("params", nargs="*", metavar="KEY=VALUE", help="parameters, targets and budget")
    p.add_argument("--spec", help="more of the spec as a JSON object")
    p.set_defaults(extra_into="params")
    verb(faults, "list", _fault_list, "list faults")
    p = verb(faults, "clear", _fault_clear, "clear one fault, or all")
    p.add_argument("id", type=int, nargs="?")
    verb(faults, "kinds", _fault_kinds, "the fault kinds and their parameters")

    scenarios = group("scenario", "play YAML scenarios")
    p = verb(scenarios, "run", _scenario_run, "play a scenario file (or a shipped scenario's name) against the "
                                              "server, printing the timeline")
    p.add_argument("file")
    p = scenarios.add_parser("validate", help="check scenario files without running them")
    p.add_argument("files", nargs="+")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_offline_verb(_scenario_validate))
    p = scenarios.add_parser("list", help="the shipped scenarios")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_offline_verb(_scenario_list))

    snapshots = group("snapshot", "download or upload the whole state")
    p = verb(snapshots, "save", _snapshot_save, "download a snapshot to FILE")
    p.add_argument("file")
    p = verb(snapshots, "load", _snapshot_load, "restore the server from a snapshot FILE")
    p.add_argument("file")

    verb(verbs, "reset", _simple("reset", lambda r, a: f"reset: {r['accounts']} accounts, seq {r['seq']}"),
         "reset the simulator to its config")
    p = verb(verbs, "events", _events, "recent engine events")
    p.add_argument("--after", type=int, default=0)
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--kind")
    verb(verbs, "audit", _simple("audit", lambda r, a: "engine invariants hold" if r["ok"] else
                                 "\n".join(r["problems"])), "check the engine's invariants")


def _finish(data: Any, text: str, as_json: bool, ok: bool = True) -> int:
    print(_dump(data) if as_json else text, flush=True)
    return 0 if ok else EXIT_REFUSED


def _client_verb(run: Callable) -> Callable[[argparse.Namespace], int]:
    def verb(args: argparse.Namespace) -> int:
        client = ControlClient(args.url, args.admin_token)
        try:
            data, text = run(client, args)
        except UsageError as exc:
            print(f"exsim: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except ControlError as exc:
            if args.json:
                print(_dump(exc.to_body()), flush=True)
            print(f"exsim: refused ({exc.status} {exc.code}): {exc.message}", file=sys.stderr)
            return EXIT_REFUSED
        except Unreachable as exc:
            print(f"exsim: {exc}", file=sys.stderr)
            return EXIT_UNREACHABLE
        ok = data.get("ok", True) if isinstance(data, dict) else True
        return _finish(data, text, args.json, ok is not False)

    return verb


def _offline_verb(run: Callable) -> Callable[[argparse.Namespace], int]:
    def verb(args: argparse.Namespace) -> int:
        try:
            data, text = run(None, args)
        except UsageError as exc:
            print(f"exsim: {exc}", file=sys.stderr)
            return EXIT_USAGE
        return _finish(data, text, args.json)

    return verb
