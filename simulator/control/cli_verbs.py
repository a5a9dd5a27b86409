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
from simulator.control.snapshot import SnapshotError, read_file, write_atomic
from simulator.control.snapshot_json import to_json

EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE = 1, 2, 3
ACCOUNT_HELP = "an account id, or an account's name (e.g. alice)"


class UsageError(Exception):
    pass


def resolve_account(client: ControlClient, given: str) -> int:
    """An account id as given (digits), or the id of the one account with that name. Names are resolved through
    the control plane each time: ids depend on how many accounts the config and the market maker opened."""
    if given.isdigit():
        return int(given)
    ids = [a["id"] for a in client.list_accounts()["accounts"] if a["name"] == given]
    if not ids:
        raise UsageError(f"no account is named {given!r} (`exsim account list` shows them)")
    if len(ids) > 1:
        raise UsageError(f"{len(ids)} accounts are named {given!r} (ids {', '.join(map(str, ids))}): give the id")
    return ids[0]


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
    if "futures" in a:
        lines.append(_show_futures(a["futures"]))
    return "\n".join(lines)


def _show_futures(f: dict[str, Any]) -> str:
    """An account's futures wallet and positions (GET /accounts/{id}'s "futures", or /accounts/{id}/futures)."""
    lines = [f"  futures ({'hedge' if f['dualSidePosition'] else 'one-way'} mode)"]
    for asset, w in f["wallet"].items():
        lines.append(f"    {asset:<6} wallet {w['walletBalance']:>22}  available {w['availableBalance']:>22}  "
                     f"unrealized {w['unrealizedProfit']}")
    for p in f["positions"]:
        lines.append(f"    {p['symbol']} {p['positionSide']} {p['positionAmt']} @ {p['entryPrice']}  mark "
                     f"{p['markPrice']}  uPnL {p['unRealizedProfit']}  {p['marginType']} {p['leverage']}x  "
                     f"liq {p['liquidationPrice']}")
    return "\n".join(lines)


def _funding_lines(r: dict[str, Any]) -> str:
    lines = [f"{s:<10} index {p['indexPrice']}  mark {p['markPrice']}  next rate {p['nextFundingRate']}"
             f"{' (set)' if p['rateSet'] else ''}  next funding {p['nextFundingTime']}  OI {p['openInterest']}"
             for s, p in r["perpetuals"].items()]
    lines += [f"insurance fund {asset} {amount}" for asset, amount in r["insuranceFund"].items()]
    return "\n".join(lines) or "no perpetuals"


def _order_line(o: dict[str, Any]) -> str:
    return (f"order {o['orderId']} acct {o['accountId']} {o['symbol']} {o['side']} {o['type']} "
            f"{o['origQty']} @ {o['price']}  {o['status']} executed {o['executedQty']}")


def _fault_line(f: dict[str, Any]) -> str:
    skip = {"id", "kind", "state", "hits", "remaining", "createdAt", "startsAt", "endsAt", "log"}
    detail = " ".join(f"{k}={v}" for k, v in f.items() if k not in skip)
    left = f" remaining {f['remaining']}" if f["remaining"] is not None else ""
    return f"fault {f['id']:>3} {f['kind']:<20} {f['state']:<9} hits {f['hits']}{left}  {detail}"


def _clock_line(c: dict[str, Any]) -> str:
    line = (f"now {c['now']}  server time {c['serverTime']}  advanced {c['advancedMs']} ms  "
            f"skew {c['skewMs']} ms{'  (frozen)' if c['frozen'] else ''}")
    ahead, base = c["advancedMs"] + c["skewMs"], "the frozen start" if c["frozen"] else "wall time"
    if ahead:
        line += (f"\nserver time is {abs(ahead)} ms {'ahead of' if ahead > 0 else 'behind'} {base}: clients that "
                 "sync with GET /api/v3/time keep working; `exsim reset` goes back to it")
    return line


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
    if scenario.reset:  # someone may be using this server: say what is about to happen to it
        print(f"exsim: scenario {scenario.name} first resets the simulator at {c.url}: its accounts, orders and "
              "faults are replaced by the config's", file=sys.stderr, flush=True)
    if not a.json:
        print(f"scenario {scenario.name}: {scenario.description.splitlines()[0]}", flush=True)
    result = play_remote(scenario, c, None if a.json else lambda e: print(e.render(), flush=True))
    return result.to_dict(), result.render_verdict()  # exit status 1 unless the verdict is PASS ("ok")


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
    p.add_argument("--name", help="a name other verbs accept in place of the id (keep it unique)")
    p.add_argument("--api-key", help="the API key (default: a random one)")
    p.add_argument("--secret", help="the API secret (default: a random one)")
    p.add_argument("--fee-tier", type=int, default=0, help="index into the config's fee tiers (default 0)")
    p.add_argument("--balance", action="append", metavar="ASSET=AMOUNT", help="opening balance (repeatable)")
    verb(accounts, "list", _account_list, "list accounts")
    p = verb(accounts, "show", _simple("get_account", lambda r, a: _show_account(r), account_id="@id"),
             "an account's keys, balances and open orders")
    account_arg(p, "id")
    p = verb(accounts, "fee-tier", _simple("set_fee_tier", lambda r, a: f"account {r['id']} fee tier {r['feeTier']}",
                                           account_id="@id", tier="@tier"), "set an account's fee tier")
    account_arg(p, "id")
    p.add_argument("tier", type=int, help="index into the config's fee tiers")
    p = verb(accounts, "listen-key", _simple("create_listen_key", lambda r, a: r["listenKey"], account_id="@id"),
             "create (or extend) the account's listenKey")
    account_arg(p, "id")

    for name in ("deposit", "withdraw"):
        p = verb(verbs, name, _money(name), f"{name} an amount for an account")
        account_arg(p, "account")
        p.add_argument("asset", help="e.g. USDT")
        p.add_argument("amount", help="a decimal amount, e.g. 500 or 0.25")

    clock = group("clock", "read, advance or skew the simulator's clock")
    verb(clock, "show", _simple("clock", lambda r, a: _clock_line(r)), "read the clock")
    p = verb(clock, "advance", _simple("advance_clock", lambda r, a: _clock_line(r), ms="@ms"),
             "move simulated time forward (for everything: klines, funding, listenKey expiry)")
    p.add_argument("ms", type=int, help="milliseconds, never negative (`exsim reset` goes back to wall time)")
    p = verb(clock, "skew", _simple("set_skew", lambda r, a: _clock_line(r), ms="@ms"),
             "skew the time the server reports and checks timestamps against")
    p.add_argument("ms", type=int, help="milliseconds, negative for behind; 0 removes the skew")

    prices = group("price", "index prices of the market maker")
    verb(prices, "show", _simple("prices", lambda r, a: "\n".join(
        f"{s:<10} index {p['index']}  walk {'on' if p['walking'] else 'off'}" for s, p in r["prices"].items())
        or "no market maker"), "index prices")
    p = verb(prices, "index", _simple("set_index", lambda r, a: f"{a.symbol} index {r['prices'][a.symbol]['index']}",
                                      symbol="@symbol", price="@price"), "set an index price (the maker requotes)")
    p.add_argument("symbol", help="e.g. BTCUSDT")
    p.add_argument("price", help="a decimal price")
    p = verb(prices, "walk", lambda c, a: (lambda r: (r, f"random walk {a.state}"))(
        c.set_walk(enabled=a.state == "on", symbol=a.symbol)), "start or stop the random walk")
    p.add_argument("state", choices=("on", "off"), help="on or off")
    p.add_argument("symbol", nargs="?", help="one symbol (default: all)")
    p = verb(verbs, "market-maker", lambda c, a: (lambda r: (r, f"market maker {a.state}"))(
        c.set_market_maker(enabled=a.state == "on")), "pause or resume the background market maker")
    p.add_argument("state", choices=("on", "off"), help="on or off")

    orders = group("order", "orders on behalf of any account")
    p = verb(orders, "place", lambda c, a: (lambda r: (r, _order_line(r["order"]) + "".join(
        f"\n  trade {t['tradeId']}: {t['qty']} @ {t['price']}" for t in r["trades"])))(c.place_order(
            account_id=a.account, symbol=a.symbol, side=a.side.upper(), type=a.type.upper(), quantity=a.quantity,
            price=a.price, time_in_force=a.tif or _default_tif(a.type), quote_order_qty=a.quote_qty,
            stop_price=a.stop_price, client_order_id=a.client_id)), "place an order for an account")
    account_arg(p, "account")
    p.add_argument("symbol", help="e.g. BTCUSDT")
    p.add_argument("side", help="BUY or SELL")
    p.add_argument("type", help="LIMIT, MARKET, LIMIT_MAKER, STOP_LOSS_LIMIT, ...")
    p.add_argument("--quantity", "-q", help="base quantity, a decimal")
    p.add_argument("--price", "-p", help="limit price, a decimal")
    p.add_argument("--tif", help="time in force: GTC, IOC or FOK (default GTC for the types that need one)")
    p.add_argument("--quote-qty", help="MARKET only: spend (BUY) or receive (SELL) this much quote asset")
    p.add_argument("--stop-price", help="trigger price of a stop or take-profit order")
    p.add_argument("--client-id", help="the order's client id (default: a generated one)")
    p = verb(orders, "list", lambda c, a: (lambda r: (r, "\n".join(_order_line(o) for o in r["orders"])
                                                      or "no orders"))(
        c.list_orders(account_id=a.account, symbol=a.symbol, open_only=not a.all)), "list orders")
    account_arg(p, "--account", required=False)
    p.add_argument("--symbol", help="only this symbol")
    p.add_argument("--all", action="store_true", help="closed orders too")
    p = verb(orders, "show", _simple("get_order", lambda r, a: _order_line(r["order"]), order_id="@id"),
             "one order")
    p.add_argument("id", type=int, help="the order id")
    p = verb(orders, "cancel", _simple("cancel_order", lambda r, a: _order_line(r["order"]), order_id="@id",
                                       as_client="@as_client"), "cancel an order")
    p.add_argument("id", type=int, help="the order id")
    p.add_argument("--as-client", action="store_true", help="through the cancel fault hook, as its owner would")
    p = verb(orders, "take", _simple("take", lambda r, a: _order_line(r["order"]), order_id="@id", qty="@qty"),
             "trade exactly QTY of a resting order at its price, against the control plane's counterparty")
    p.add_argument("id", type=int, help="the resting order's id")
    p.add_argument("qty", help="the quantity to trade, a decimal")

    funding = group("funding", "funding of perpetuals")
    p = verb(funding, "settle", _simple("settle_funding", lambda r, a: "\n".join(
        f"{s['symbol']} settled at rate {s['fundingRate']} (mark {s['markPrice']}): {s['payers']} paid, "
        f"{s['receivers']} received" for s in r["settled"]) or "nothing to settle", symbol="@symbol"),
             "settle funding now")
    p.add_argument("symbol", nargs="?", help="one perpetual (default: all)")
    verb(funding, "show", _simple("funding", lambda r, a: _funding_lines(r)),
         "index, mark, next rate and funding time of each perpetual; the insurance fund")
    p = verb(funding, "rate", lambda c, a: (lambda r: (r, _funding_lines(r)))(c.set_funding_rate(
        symbol=a.symbol, rate=None if a.rate == "computed" else a.rate)), "set the rate the next settlement applies")
    p.add_argument("symbol", help="e.g. BTCUSDT")
    p.add_argument("rate", help="a decimal rate per interval, e.g. 0.0005 or -0.001; 'computed' to unset")
    p = verb(funding, "mark", _simple("set_mark", lambda r, a: _funding_lines(r), symbol="@symbol",
                                      price="@price", premium="@premium", index="@index"),
             "move a perpetual's mark (to a price, or by a premium over the index; it decays to the book's), "
             "or set its index alone")
    p.add_argument("symbol", help="e.g. BTCUSDT")
    p.add_argument("--price", help="the mark price")
    p.add_argument("--premium", help="the mark's premium over the index (signed)")
    p.add_argument("--index", help="the perpetual's index price (without a market maker: `price index` needs one)")

    futures = group("futures", "futures wallets and positions of perpetuals")
    p = verb(futures, "show", _simple("futures_account", lambda r, a: _show_futures(r), account_id="@account"),
             "an account's futures wallet and positions")
    account_arg(p, "account")
    for name in ("deposit", "withdraw"):
        p = verb(futures, name, _simple(f"futures_{name}", lambda r, a: _show_futures(r), account_id="@account",
                                        asset="@asset", amount="@amount"), f"{name} into the futures wallet"
                 if name == "deposit" else "withdraw from the futures wallet")
        account_arg(p, "account")
        p.add_argument("asset", help="e.g. USDT")
        p.add_argument("amount", help="a decimal amount")
    p = verb(futures, "transfer", lambda c, a: (lambda r: (r, f"transfer {r['tranId']}: {r['amount']} {r['asset']} "
                                                              f"{r['type']}"))(c.transfer(
        account_id=a.account, asset=a.asset, amount=a.amount,
        type="MAIN_UMFUTURE" if a.to == "futures" else "UMFUTURE_MAIN")),
             "move an amount between the account's spot and futures wallets")
    account_arg(p, "account")
    p.add_argument("asset", help="e.g. USDT")
    p.add_argument("amount", help="a decimal amount")
    p.add_argument("--to", choices=("futures", "spot"), default="futures", help="where it goes (default futures)")

    faults = group("fault", "inject faults")
    p = verb(faults, "add", _fault_add, "add a fault: exsim fault add http_error status=503 "
                                        "'endpoint=POST /api/v3/order' count=2")
    p.add_argument("kind", help="a fault kind (`exsim fault kinds` lists them)")
    p.add_argument("params", nargs="*", metavar="KEY=VALUE", help="parameters, targets and budget")
    p.add_argument("--spec", help="more of the spec as a JSON object")
    p.set_defaults(extra_into="params")
    verb(faults, "list", _fault_list, "list faults")
    p = verb(faults, "clear", _fault_clear, "clear one fault, or all")
    p.add_argument("id", type=int, nargs="?", help="the fault's id (default: every fault)")
    verb(faults, "kinds", _fault_kinds, "the fault kinds and their parameters")

    scenarios = group("scenario", "play YAML scenarios")
    p = verb(scenarios, "run", _scenario_run, "play a scenario file (or a shipped scenario's name) against the "
                                              "server, printing the timeline")
    p.add_argument("file", help="a YAML file, or a shipped scenario's name (`exsim scenario list`)")
    p = scenarios.add_parser("validate", help="check scenario files without running them")
    p.add_argument("files", nargs="+", help="YAML files")
    p.add_argument("--json", action="store_true", help="print the JSON answer")
    p.set_defaults(run=_offline_verb(_scenario_validate))
    p = scenarios.add_parser("list", help="the shipped scenarios")
    p.add_argument("--json", action="store_true", help="print the JSON answer")
    p.set_defaults(run=_offline_verb(_scenario_list))

    snapshots = group("snapshot", "download or upload the whole state")
    p = verb(snapshots, "save", _snapshot_save, "download a snapshot to FILE")
    p.add_argument("file", help="where to write the JSON document")
    p = verb(snapshots, "load", _snapshot_load, "restore the server from a snapshot FILE")
    p.add_argument("file", help="a JSON document `snapshot save` wrote")

    verb(verbs, "reset", _simple("reset", lambda r, a: f"reset: {r['accounts']} accounts, seq {r['seq']}"),
         "reset the simulator to its config (clock included: back to wall time)")
    p = verb(verbs, "events", _events, "recent engine events, one JSON object a line")
    p.add_argument("--after", type=int, default=0, help="only events with a sequence number above this (default 0)")
    p.add_argument("--limit", type=int, default=100, help="at most this many events (default 100)")
    p.add_argument("--kind", help="only events of this kind (e.g. trade, order)")
    verb(verbs, "audit", _simple("audit", lambda r, a: "engine invariants hold" if r["ok"] else
                                 "\n".join(r["problems"])), "check the engine's invariants")


def account_arg(parser: argparse.ArgumentParser, name: str, required: bool = True) -> None:
    """An argument naming an account by id or name; `_client_verb` resolves it to an id before the verb runs."""
    parser.add_argument(name, help=ACCOUNT_HELP, **({} if required else {"default": None}))
    dest = name.lstrip("-").replace("-", "_")
    parser.set_defaults(account_args=(*(parser.get_default("account_args") or ()), dest))


def _default_tif(order_type: str) -> str | None:
    """GTC for the types Binance requires a timeInForce on, as most clients default it."""
    return "GTC" if order_type.upper() in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") else None


def _finish(data: Any, text: str, as_json: bool, ok: bool = True) -> int:
    print(_dump(data) if as_json else text, flush=True)
    return 0 if ok else EXIT_REFUSED


def _client_verb(run: Callable) -> Callable[[argparse.Namespace], int]:
    def verb(args: argparse.Namespace) -> int:
        client = ControlClient(args.url, args.admin_token)
        try:
            for dest in getattr(args, "account_args", ()):
                if getattr(args, dest) is not None:
                    setattr(args, dest, resolve_account(client, getattr(args, dest)))
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
