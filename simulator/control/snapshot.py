"""Snapshots: a Simulator's whole state as a versioned JSON document, and a new Simulator built from one.

    {"format": "exsim-snapshot", "version": 1, "seed": ..., "config": {...}, "clock": {...}, "rng": {...},
     "engine": {...}, "keys": [...], "listen_keys": [...], "limiter": {...}, "market_maker": {...} | null,
     "market_paused": false, "counterparty": null, "faults": {...}, "recent_events": [...]}

Everything is integers and strings (amounts in atoms, as the engine holds them; config decimals as strings); a
RNG is its `getstate()` as a list (`simulator.jsonstate`). The clock, API keys, listenKeys, rate limiter, market
maker (with its index prices) and fault registry each give and take their own state through public
`state()` / `restore()` or `from_state()` methods; this module only places their parts in the document. The
engine is read and rebuilt attribute by attribute here (the engine has no serialisation of its own): accounts,
balances, every order it keeps (and, as "past_orders", those that aged out but that kept trades still name:
simulator.engine.retention), each account's finished orders in the order they finished, books with their queue
order, pending stops, trades (each stored once, referenced by symbol and id), klines, update ids, sequence, id
counters, fees collected and the deposit/withdrawal ledger. The same operations after a restore give the same
events as they would have given on the original. `capture` takes the document in two steps, so that a saver can
render and write it in another thread (see Capture).

`load` checks the document's shape first (every part there with its type, every reference resolving, recent
events and API keys as the Simulator makes them: `snapshot_shape`), then builds, each part validating its own
state, and audits the result (the engine's invariants must hold: ids below their counters, statuses in their
vocabularies, orders owned and placed, trades and klines that add up, money conserved). A corrupt, foreign or
self-contradicting document is refused with `SnapshotError` and never half loaded: it builds a brand-new
Simulator, which the caller swaps in only when it is complete (`Simulator.restore`).
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from simulator.clock import SimClock
from simulator.config import ConfigError, parse_config
from simulator.control import snapshot_futures, snapshot_rules
from simulator.control.snapshot_json import Rendering, json_chunks
from simulator.control.snapshot_shape import check_futures_shape, check_shape
from simulator.engine.account import Account
from simulator.engine.audit import audit
from simulator.engine.book import OrderBook
from simulator.engine.events import Trade
from simulator.engine.market_data import AggTrade, Kline, MarketData
from simulator.engine.order import BUY, Order
from simulator.engine.perp.audit import audit_perp
from simulator.engine.perp.engine import FuturesEngine
from simulator.engine.perp.order import PerpOrder
from simulator.inputs import InputError, parse_json
from simulator.jsonstate import expect_bool, expect_int, expect_optional_int, rng_from_state, rng_state
from simulator.market.maker import MarketMaker

FORMAT = "exsim-snapshot"
VERSION = 1


class SnapshotError(ValueError):
    """Not a snapshot this version can load; the message says why."""


# --- small pieces ---------------------------------------------------------------------------------------
def config_to_dict(config: Any) -> Any:
    """A Config back into the plain mapping `parse_config` reads (decimals as strings)."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return {f.name: config_to_dict(getattr(config, f.name)) for f in dataclasses.fields(config)}
    if isinstance(config, Decimal):
        return str(config)
    if isinstance(config, Mapping):
        return {str(k): config_to_dict(v) for k, v in config.items()}
    if isinstance(config, (list, tuple)):
        return [config_to_dict(v) for v in config]
    return config


class FrozenEvent:
    """An event carried over by a snapshot: its canonical dict, nothing more."""

    __slots__ = ("seq", "time", "kind", "_data")

    def __init__(self, data: dict[str, Any]):
        self.seq = data["seq"]
        self.time = data["time"]
        self.kind = data["kind"]
        self._data = data

    def as_dict(self) -> dict[str, Any]:
        return dict(self._data)


# --- dumping --------------------------------------------------------------------------------------------
def dump(sim) -> dict[str, Any]:
    """The document of a Simulator (simulator.core), which calls this as `Simulator.snapshot()`."""
    return capture(sim).document()


def _state(value: Any) -> Any:
    """A part's state: already taken (a dict or list), or taken now from an object that no longer changes."""
    return value if type(value) is dict or type(value) is list else value.state()


class Capture:
    """A snapshot in two steps, for a saver that must not hold up the simulator (control.persist).

    `capture(sim)` runs where the simulator runs, between two operations, and copies what may still change:
    balances, open orders, books, counters, every part's own state. Of the history that never changes again
    (finished orders, trades, klines but the current minute's, aggregate trades, events) it keeps references
    only, as Renderings. `document()` renders them into the plain document; `chunks()` gives its JSON text in
    pieces, rendering as it goes, so the history is never all rendered at once. Either may run later, in another
    thread, while the simulator goes on: all they read is immutable (an event shows its order's client order id
    as it is then, as it always has, and only an open order can be renamed).
    """

    def __init__(self, document: dict[str, Any], prepare: Callable[[], None], renderings: list):
        self._document = document
        self._prepare: Callable[[], None] | None = prepare
        self._renderings = renderings  # (container, key) of each Rendering placed in the document

    def _prepared(self) -> dict[str, Any]:
        if self._prepare is not None:
            self._prepare()
            self._prepare = None
        return self._document

    def document(self) -> dict[str, Any]:
        document = self._prepared()
        for container, key in self._renderings:
            if type(container[key]) is Rendering:
                container[key] = container[key].rendered()
        return document

    def chunks(self) -> Iterator[str]:
        return json_chunks(self._prepared())


def capture(sim) -> Capture:
    """A Simulator's snapshot, taken quickly now and rendered later (see Capture)."""
    renderings: list = []

    def defer(container: Any, key: Any, items: list, render: Callable[[Any], Any] = _state) -> Rendering:
        container[key] = rendering = Rendering(items, render)
        renderings.append((container, key))
        return rendering

    # API keys and listenKeys come from the OS, so they have no RNG to keep: documents written before that still
    # hold "keys" and "listen_keys" under "rng", and `_build` ignores them.
    engine, prepare_spot = _capture_engine(sim.engine, defer)
    futures, prepare_futures = snapshot_futures.capture(sim, _capture_engine, defer)

    def prepare() -> None:
        prepare_spot()
        prepare_futures()
    document = {
        "format": FORMAT,
        "version": VERSION,
        "seed": sim.seed,
        "config": config_to_dict(sim.config),
        "clock": sim.clock.state(),
        "rng": {"engine": rng_state(sim.rng), "faults": rng_state(sim.faults.rng)},
        "engine": engine,
        "symbol_rules": snapshot_rules.dump(sim.engine, sim.config),
        "keys": sim.keys.state()["keys"],
        "demo_keys": [k.key for k in sim.demo_keys],
        "market_maker": sim.market_maker.state() if sim.market_maker is not None else None,
        "market_paused": sim.market_paused,
        "counterparty": sim.counterparty.account_id,
        "faults": sim.faults.state(),
        "recent_events": None,
        "futures": futures,
        # the wire dialect's own sections ("listen_keys" and "limiter" for Binance's)
        **(sim.wire.state() if sim.wire is not None else {}),
    }
    defer(document, "recent_events", list(sim.recent_events), _event_dict)
    return Capture(document, prepare, renderings)


def _event_dict(event: Any) -> dict[str, Any]:
    return event.as_dict()


def _trade_pair(pair: tuple) -> list[int]:
    trade, order = pair
    return [trade.trade_id, order.order_id]


def _trade_id(trade: Trade) -> int:
    return trade.trade_id


def _order_id(order: Order) -> int:
    return order.order_id


def _capture_engine(engine, defer: Callable[..., Rendering]) -> tuple[dict[str, Any], Callable[[], None]]:
    """The engine's section, its history deferred (see Capture), and the step that finds which trades and which
    orders that aged out the history refers to (run with the rendering)."""
    accounts = []
    histories: list[list] = []  # each account's kept (trade, order) pairs, per symbol
    for account in engine.accounts.values():
        section = {
            "account_id": account.account_id, "name": account.name, "fee_tier": account.fee_tier,
            "balances": [[asset, free, locked] for asset, (free, locked) in account.balances.items()],
            "open_orders": list(account.open_orders),
            "client_ids": [[cid, order.order_id] for cid, order in account.client_ids.items()],
            "open_count": [[symbol, count] for symbol, count in account.open_count.items()],
            "orders": [[symbol, None] for symbol in account.orders],
            "closed": None,
            "keeps_history": account.keeps_history,
            "trades": [],
            "update_time": account.update_time,
        }
        # the lists change, the ids of what they hold never do: copied now (one C call each), rendered later
        for entry, orders in zip(section["orders"], account.orders.values()):
            defer(entry, 1, list(orders), _order_id)
        defer(section, "closed", list(account.closed), _order_id)
        for symbol, history in account.trades.items():
            pairs = list(history)
            histories.append(pairs)
            section["trades"].append([symbol, None])
            defer(section["trades"][-1], 1, pairs, _trade_pair)
        accounts.append(section)
    market = {}
    market_trades: list[list[Trade]] = []
    for symbol, data in engine.market.items():
        klines = list(data.klines)
        if klines:
            klines[-1] = klines[-1].state()  # the one kline a later trade may still change
        trades = list(data.trades)
        if data.last_trade is not None:
            market_trades.append([data.last_trade])
        market_trades.append(trades)
        section = {"trades": None, "klines": None,
                   "last_trade": data.last_trade.trade_id if data.last_trade else None,
                   "agg_trades": None, "next_agg_id": data.next_agg_id}
        defer(section, "trades", trades, _trade_id)
        defer(section, "klines", klines)
        defer(section, "agg_trades", list(data.agg_trades))
        market[symbol] = section
    books = {}
    for symbol, book in engine.books.items():
        books[symbol] = {
            "update_id": book.update_id,
            "bids": [[level.price, list(level.orders)] for level in book.bids.best_levels()],
            "asks": [[level.price, list(level.orders)] for level in book.asks.best_levels()],
            "stops": list(book.stops),
        }
    kept = dict(engine.orders)
    section = {
        "seq": engine.seq,
        "next_order_id": engine.next_order_id,
        "next_account_id": engine.next_account_id,
        "next_trade_id": dict(engine.next_trade_id),
        "next_prevented_match_id": dict(engine.next_prevented_match_id),
        "deposits": dict(engine.deposits),
        "withdrawals": dict(engine.withdrawals),
        "fees_collected": dict(engine.fees_collected),
        "symbol_status": {symbol: inst.status for symbol, inst in engine.instruments.items()},
        "accounts": accounts,
        "orders": None,
        "past_orders": None,
        "trades": None,
        "books": books,
        "market": market,
    }
    # an open order may still change: its state now; a finished one never does: rendered later
    open_now = {order_id: order.state() for account in engine.accounts.values()
                for order_id, order in account.open_orders.items()}

    def order_state(order: Order) -> dict[str, Any]:
        return open_now.get(order.order_id) or order.state()

    defer(section, "orders", list(kept.values()), order_state)
    past_orders = defer(section, "past_orders", [])
    all_trades = defer(section, "trades", [])

    def prepare() -> None:
        trades: dict[tuple[str, int], Trade] = {}
        for pairs in histories:
            for trade, _ in pairs:
                trades[(trade.symbol, trade.trade_id)] = trade
        for kept_trades in market_trades:
            for trade in kept_trades:
                trades[(trade.symbol, trade.trade_id)] = trade
        # A kept trade may refer to an order that aged out of the engine's (retention.py): written beside them.
        past = {order.order_id: order for trade in trades.values() for order in (trade.buyer, trade.seller)
                if kept.get(order.order_id) is not order}
        past_orders.items = [order for _, order in sorted(past.items())]
        all_trades.items = [trade for _, trade in sorted(trades.items())]

    return section, prepare


# --- loading --------------------------------------------------------------------------------------------
# Order fields added after a snapshot may have been written, with the value they take when it has none.
_ADDED_ORDER_FIELDS = {"prevented_match_id": -1, "activation_price": 0, "callback_rate": 0, "extreme": 0}
# What building from a malformed document may raise: a missing key, a wrong type, a bad value.
_MALFORMED = (KeyError, TypeError, ValueError, IndexError, AttributeError, ArithmeticError)


def load(document: Any, build: Callable[[Any, int, SimClock], Any]) -> Any:
    """A new Simulator with the document's state, or SnapshotError (nothing else is touched). `build(config,
    seed, clock)` makes the fresh Simulator (Simulator.from_snapshot passes its own constructor)."""
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        raise SnapshotError(f"not an exsim snapshot (expected \"format\": \"{FORMAT}\")")
    version = document.get("version")
    if type(version) is not int or version != VERSION:  # not 1.0 or true, which compare equal to 1
        raise SnapshotError(f"unsupported snapshot version {version!r}; this exsim reads version {VERSION}")
    try:
        config = parse_config(document["config"])
    except ConfigError as exc:
        raise SnapshotError(f"snapshot config: {exc}") from None
    except KeyError:
        raise SnapshotError("snapshot: missing 'config'") from None
    try:  # every part there with its type and every reference resolving, before anything is built
        check_shape(document, [spec.symbol for spec in config.spot])
        if "futures" in document:  # written since perpetuals trade
            check_futures_shape(document["futures"], [spec.symbol for spec in config.perpetuals])
        if "symbol_rules" in document:  # written since rules can change mid-session
            snapshot_rules.check(document["symbol_rules"], [spec.symbol for spec in config.spot])
    except InputError as exc:
        raise SnapshotError(f"snapshot is malformed: {exc}") from None
    try:
        sim = _build(document, config, build)
        problems = audit(sim.engine)  # on a malformed engine the audit itself can fail
        problems += [f"futures: {problem}" for problem in audit_perp(sim.futures)]
    except SnapshotError:
        raise
    except _MALFORMED as exc:
        raise SnapshotError(f"snapshot is malformed: {type(exc).__name__}: {exc}") from None
    if problems:
        raise SnapshotError(f"snapshot is inconsistent: {problems[0]}"
                            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return sim


def _build(doc: Mapping[str, Any], config, build: Callable[[Any, int, SimClock], Any]) -> Any:
    """A normal build gives every part its wiring; each part's state is then replaced by the document's. The
    result is a new Simulator: an error anywhere here leaves every existing one untouched."""
    sim = build(config, expect_int(doc["seed"], "seed"), SimClock.from_state(doc["clock"]))
    rngs = doc["rng"]
    sim.rng.setstate(rng_from_state(rngs["engine"]).getstate())  # in place: the engine holds this very object
    sim.faults.rng.setstate(rng_from_state(rngs["faults"]).getstate())

    _load_engine(sim.engine, doc["engine"])
    snapshot_rules.load(sim.engine, doc.get("symbol_rules"))
    accounts = sim.engine.accounts
    sim.keys.restore({"keys": doc["keys"]})
    owners = [(k.account_id, f"API key {k.key!r}") for k in sim.keys.all()]
    if sim.wire is not None:
        sim.wire.restore(doc)
        owners += sim.wire.owners()
    for account_id, what in owners:
        if account_id not in accounts:
            raise SnapshotError(f"snapshot: {what} belongs to no account")
    sim.demo_keys = []
    for key in doc["demo_keys"]:
        api_key = sim.keys.get(key)
        if api_key is None:
            raise SnapshotError(f"snapshot: demo key {key!r} is not one of its API keys")
        sim.demo_keys.append(api_key)
    if doc["market_maker"] is None:
        sim.market_maker = None
    else:
        sim.market_maker = MarketMaker.from_state(sim.engine, config.market_maker, doc["market_maker"])
    sim.market_paused = expect_bool(doc["market_paused"], "market_paused")
    counterparty = expect_optional_int(doc["counterparty"], "counterparty")
    if counterparty is not None and counterparty not in accounts:
        raise SnapshotError(f"snapshot: the counterparty account {counterparty} does not exist")
    sim.counterparty.account_id = counterparty
    sim.faults.restore(doc["faults"])
    sim.recent_events.clear()
    sim.recent_events.extend(FrozenEvent(dict(e)) for e in doc["recent_events"])
    snapshot_futures.load(sim, doc.get("futures"), _load_engine, FrozenEvent)  # (None: written before perps)
    return sim


def _load_order(engine, item: Mapping[str, Any]) -> Order:
    kind = PerpOrder if isinstance(engine, FuturesEngine) else Order
    order = kind.__new__(kind)
    for name in Order.__slots__ + (PerpOrder.__slots__ if kind is PerpOrder else ()):
        if name != "is_buy":
            setattr(order, name, item[name] if name in item else _ADDED_ORDER_FIELDS[name])
    order.is_buy = order.side == BUY
    if order.symbol not in engine.instruments:
        raise SnapshotError(f"snapshot: order {order.order_id} is for unknown symbol {order.symbol!r}")
    return order


def _load_engine(engine, state: Mapping[str, Any]) -> None:
    orders: dict[int, Order] = {}
    for item in state["orders"]:
        order = _load_order(engine, item)
        orders[expect_int(order.order_id)] = order
    # orders that aged out but that kept trades still refer to (written since history is bounded)
    traded = dict(orders)
    for item in state.get("past_orders", ()):
        order = _load_order(engine, item)
        if expect_int(order.order_id) in orders:
            raise SnapshotError(f"snapshot: order {order.order_id} is both kept and past")
        traded[order.order_id] = order

    trades: dict[tuple[str, int], Trade] = {}
    for item in state["trades"]:
        inst = engine.instruments[item["symbol"]]
        if isinstance(engine, FuturesEngine):
            trade = snapshot_futures.trade(inst, item, traded)
        else:
            trade = Trade(item["trade_id"], item["symbol"], item["price"], item["qty"], item["quote_qty"],
                          item["time"], traded[item["buyer"]], traded[item["seller"]], item["buyer_is_maker"],
                          item["buyer_fee"], item["seller_fee"], inst.base, inst.quote)
        trades[(trade.symbol, trade.trade_id)] = trade

    accounts: dict[int, Account] = {}
    keeps_history: dict[int, bool] = {}
    for item in state["accounts"]:
        account = Account(expect_int(item["account_id"]), item["name"], expect_int(item["fee_tier"]))
        engine.fees.tier(account.fee_tier)
        account.balances = {asset: [expect_int(free), expect_int(locked)] for asset, free, locked in item["balances"]}
        account.open_orders = {oid: orders[oid] for oid in item["open_orders"]}
        account.client_ids = {cid: orders[oid] for cid, oid in item["client_ids"]}
        account.open_count = {symbol: expect_int(count) for symbol, count in item["open_count"]}
        account.orders = {symbol: [orders[oid] for oid in ids] for symbol, ids in item["orders"]}
        account.trades = {symbol: deque((trades[(symbol, tid)], traded[oid]) for tid, oid in history)
                          for symbol, history in item["trades"]}
        account.update_time = expect_int(item["update_time"])
        if "closed" in item:
            account.closed = deque(orders[oid] for oid in item["closed"])
        else:  # written before history was bounded: its finished orders, in the order they finished
            account.closed = deque(sorted((o for history in account.orders.values() for o in history
                                           if not o.is_open), key=lambda o: (o.update_time, o.order_id)))
        keeps_history[account.account_id] = expect_bool(item.get("keeps_history", True), "keeps_history")
        accounts[account.account_id] = account

    books = {}
    for symbol in engine.instruments:
        saved = state["books"][symbol]
        book = OrderBook(symbol)
        book.update_id = expect_int(saved["update_id"])
        for side, levels in ((book.bids, saved["bids"]), (book.asks, saved["asks"])):
            for price, ids in levels:
                for oid in ids:
                    order = orders[oid]
                    if order.price != price or order.is_buy != side.is_bid:
                        raise SnapshotError(f"snapshot: order {oid} does not belong at {symbol} level {price}")
                    side.add(order)
        book.stops = {oid: orders[oid] for oid in saved["stops"]}
        books[symbol] = book

    market = {}
    for symbol, inst in engine.instruments.items():
        saved = state["market"][symbol]
        data = MarketData(symbol, inst.base_unit, engine.retention.market_trades, engine.retention.kline_minutes)
        data.trades.extend(trades[(symbol, tid)] for tid in saved["trades"])
        data.klines.extend(Kline.from_state(values) for values in saved["klines"])
        data.last_trade = trades[(symbol, saved["last_trade"])] if saved["last_trade"] is not None else None
        if "agg_trades" in saved:
            data.agg_trades.extend(AggTrade.from_state(values) for values in saved["agg_trades"])
            data.next_agg_id = expect_int(saved["next_agg_id"])
        else:  # written before aggregate trades were kept: aggregate the kept trades
            data.rebuild_agg_trades()
        market[symbol] = data

    for symbol, status in state["symbol_status"].items():
        if status != engine.instruments[symbol].status:
            engine.instruments[symbol].status = status  # set directly: restoring is not a status change
    engine.orders = orders
    engine.accounts = accounts
    engine.books = books
    engine.market = market
    engine.seq = expect_int(state["seq"])
    engine.next_order_id = expect_int(state["next_order_id"])
    engine.next_account_id = expect_int(state["next_account_id"])
    engine.next_trade_id = {symbol: expect_int(state["next_trade_id"][symbol]) for symbol in engine.instruments}
    if "next_prevented_match_id" in state:
        engine.next_prevented_match_id = {symbol: expect_int(state["next_prevented_match_id"][symbol])
                                          for symbol in engine.instruments}
    else:  # written before prevented matches were numbered: continue after the highest id an order carries
        engine.next_prevented_match_id = {symbol: 1 + max((o.prevented_match_id for o in orders.values()
                                                           if o.symbol == symbol), default=-1)
                                          for symbol in engine.instruments}
    engine.deposits = {k: expect_int(v) for k, v in state["deposits"].items()}
    engine.withdrawals = {k: expect_int(v) for k, v in state["withdrawals"].items()}
    engine.fees_collected = {k: expect_int(v) for k, v in state["fees_collected"].items()}
    for account_id, account in accounts.items():  # the limits of this engine's retention; beyond them forgotten
        engine.keep_history(account, keeps_history[account_id])


# --- files ----------------------------------------------------------------------------------------------
def write_atomic(path: str | Path, text: str | Iterable[str]) -> None:
    """Crash-safe write: a temp file in the same directory, fsync, rename over the target, fsync the dir. `text`
    may come in pieces (json_chunks)."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if isinstance(text, str):
                handle.write(text)
            else:
                handle.writelines(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_file(path: str | Path) -> dict[str, Any]:
    """A snapshot document from a file, or SnapshotError naming the file and the problem."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return parse_json(raw.decode("utf-8"))  # numbers and nesting bounded, as for an uploaded snapshot
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"{path}: not UTF-8 text at byte {exc.start} (corrupt or truncated?)") from None
    except InputError as exc:
        raise SnapshotError(f"{path}: {exc.reason} (corrupt or truncated?)") from None


def load_file(path: str | Path, build: Callable[[Any, int, SimClock], Any]) -> Any:
    document = read_file(path)
    try:
        return load(document, build)
    except SnapshotError as exc:
        raise SnapshotError(f"{path}: {exc}") from None
