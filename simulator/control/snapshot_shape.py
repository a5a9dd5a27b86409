"""The shape a snapshot document must have before anything is built from it.

Loading (snapshot.py) builds the engine attribute by attribute from the document; this says first that every
part it reads is there with its type (an id, an amount or a time is an int within 64 bits, never a bool, a
float or a string), that each kline and aggregate trade is a row of the right length, that every order or trade
the document refers to is one it holds, that the parts keyed by symbol name the configured symbols, and that the
Simulator's own parts agree with the engine: the recent events are events, numbered one after the other up to
the engine's sequence, and API keys and secrets are ones a client can sign with.

What the engine's state must satisfy once built (ids below their counters, statuses in their vocabularies, who
owns what, where open orders wait, money conserved) is the engine's audit (simulator.engine.audit), run on the
result before it is swapped in. Keys this module does not know are left to the loader: they are parts that
other modules read and check.

Every problem is an InputError naming where it is ("engine.orders[3].status: expected a string").
"""
from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from simulator.credentials import valid_api_key
from simulator.engine.events import (BalanceUpdate, DepthUpdate, OrderRejected, OrderUpdate, SymbolStatusChanged,
                                     TradeEvent)
from simulator.engine.market_data import AggTrade, Kline
from simulator.engine.perp.events import AccountUpdate, ConfigUpdate, ForceOrder, FundingSettled, MarginCall
from simulator.inputs import InputError, integer, shown

EVENT_KINDS = tuple(cls.kind for cls in (OrderUpdate, OrderRejected, TradeEvent, BalanceUpdate, DepthUpdate,
                                         SymbolStatusChanged))
FUTURES_EVENT_KINDS = EVENT_KINDS + tuple(cls.kind for cls in (AccountUpdate, ConfigUpdate, MarginCall, ForceOrder,
                                                               FundingSettled))

# An order's fields that are text; every other one is an int. `prevented_match_id` came later (the loader
# gives it its default when a document has none).
_ORDER_TEXT = ("client_id", "symbol", "side", "type", "tif", "status", "stp", "expiry_reason")
_ORDER_INTS = ("order_id", "account_id", "price", "qty", "stop_price", "quote_qty", "executed", "cum_quote",
               "time", "update_time", "working_time", "locked", "prevented_qty")
_ORDER_OPTIONAL_INTS = ("prevented_match_id",)
_TRADE_INTS = ("trade_id", "price", "qty", "quote_qty", "time", "buyer_fee", "seller_fee")
_KLINE_KINDS = (int,) * len(Kline.__slots__)
_AGG_KINDS = tuple(bool if name == "buyer_is_maker" else int for name in AggTrade.__slots__)


def check_shape(doc: Mapping[str, Any], symbols: Collection[str]) -> None:
    """InputError unless the document has the shape described above; `symbols` are the configured ones."""
    engine = _mapping(_key(doc, "engine", ""), "engine")
    check_engine_shape(engine, symbols)
    _recent_events(_key(doc, "recent_events", ""), engine["seq"])
    _keys(doc)


def check_futures_shape(section: Any, symbols: Collection[str]) -> None:
    """The futures engine's part (snapshot_futures.py): its engine as the spot one's, and its own recent events.
    Its positions, settings, prices, funding and income are read and checked by its loader and audit."""
    section = _mapping(section, "futures")
    engine = _mapping(_key(section, "engine", "futures"), "futures.engine")
    check_engine_shape(engine, symbols, "futures.engine")
    _recent_events(_key(section, "recent_events", "futures"), engine["seq"], FUTURES_EVENT_KINDS,
                   "futures.recent_events")


def check_engine_shape(engine: Mapping[str, Any], symbols: Collection[str], where: str = "engine") -> None:
    """An engine's section (spot's, or the futures engine's: the same shape), problems named under `where`."""
    try:
        _engine_shape(engine, symbols)
    except InputError as exc:
        if where == "engine":
            raise
        raise InputError(where + exc.path.removeprefix("engine"), exc.reason) from None


def _engine_shape(engine: Mapping[str, Any], symbols: Collection[str]) -> None:
    orders = _orders(engine, "orders")
    past = _orders(engine, "past_orders") if "past_orders" in engine else set()
    if orders & past:
        raise InputError("engine.past_orders", f"order {min(orders & past)} is also a kept order")
    trades = _trades(engine, symbols, orders | past)
    for name in ("seq", "next_order_id", "next_account_id"):
        _int(_key(engine, name, "engine"), f"engine.{name}")
    counters = ("next_trade_id", "next_prevented_match_id") if "next_prevented_match_id" in engine \
        else ("next_trade_id",)  # a document may predate prevented match ids: numbering then starts over
    for name in counters:
        for symbol, value in _per_symbol(_key(engine, name, "engine"), f"engine.{name}", symbols).items():
            _int(value, f"engine.{name}.{symbol}")
    statuses = _per_symbol(_key(engine, "symbol_status", "engine"), "engine.symbol_status", symbols, everyone=False)
    for symbol, status in statuses.items():
        _text(status, f"engine.symbol_status.{symbol}")
    for name in ("deposits", "withdrawals", "fees_collected"):
        for asset, amount in _mapping(_key(engine, name, "engine"), f"engine.{name}").items():
            _int(amount, f"engine.{name}.{asset}")
    _accounts(engine, orders, orders | past, trades)
    _books(engine, symbols, orders)
    _market(engine, symbols, trades)


# --- the engine's parts ---------------------------------------------------------------------------------
def _orders(engine: Mapping[str, Any], name: str) -> set[int]:
    ids: set[int] = set()
    for item, path in _rows(_key(engine, name, "engine"), f"engine.{name}"):
        _mapping(item, path)
        for field in _ORDER_TEXT:
            _text(_key(item, field, path), f"{path}.{field}")
        for field in _ORDER_INTS + tuple(f for f in _ORDER_OPTIONAL_INTS if f in item):
            _int(_key(item, field, path), f"{path}.{field}")
        if item["order_id"] in ids:
            raise InputError(f"{path}.order_id", f"order {item['order_id']} appears twice")
        ids.add(item["order_id"])
    return ids


def _trades(engine: Mapping[str, Any], symbols: Collection[str], orders: set[int]) -> set[tuple[str, int]]:
    ids: set[tuple[str, int]] = set()
    for item, path in _rows(_key(engine, "trades", "engine"), "engine.trades"):
        _mapping(item, path)
        symbol = _symbol(_key(item, "symbol", path), f"{path}.symbol", symbols)
        for field in _TRADE_INTS:
            _int(_key(item, field, path), f"{path}.{field}")
        for field in ("buyer", "seller"):
            _ref(_key(item, field, path), f"{path}.{field}", orders)
        _bool(_key(item, "buyer_is_maker", path), f"{path}.buyer_is_maker")
        if (symbol, item["trade_id"]) in ids:
            raise InputError(f"{path}.trade_id", f"{symbol} trade {item['trade_id']} appears twice")
        ids.add((symbol, item["trade_id"]))
    return ids


def _accounts(engine: Mapping[str, Any], kept: set[int], orders: set[int], trades: set[tuple[str, int]]) -> None:
    """Open orders, client ids, histories and closed orders name kept orders; a trade history names trades and
    the account's side of each, kept or past."""
    ids: set[int] = set()
    for item, path in _rows(_key(engine, "accounts", "engine"), "engine.accounts"):
        _mapping(item, path)
        account_id = _int(_key(item, "account_id", path), f"{path}.account_id")
        if account_id in ids:
            raise InputError(f"{path}.account_id", f"account {account_id} appears twice")
        ids.add(account_id)
        _text(_key(item, "name", path), f"{path}.name")
        for field in ("fee_tier", "update_time"):
            _int(_key(item, field, path), f"{path}.{field}")
        assets: set[str] = set()
        for (asset, free, locked), where in _tuples(_key(item, "balances", path), f"{path}.balances", 3):
            if _text(asset, f"{where}[0]") in assets:
                raise InputError(where, f"{asset} is listed twice")
            assets.add(asset)
            _int(free, f"{where}[1]")
            _int(locked, f"{where}[2]")
        for order_id, where in _rows(_key(item, "open_orders", path), f"{path}.open_orders"):
            _ref(order_id, where, kept)
        for (client_id, order_id), where in _tuples(_key(item, "client_ids", path), f"{path}.client_ids", 2):
            _text(client_id, f"{where}[0]")
            _ref(order_id, f"{where}[1]", kept)
        for (symbol, count), where in _tuples(_key(item, "open_count", path), f"{path}.open_count", 2):
            _text(symbol, f"{where}[0]")
            _int(count, f"{where}[1]")
        for (symbol, history), where in _tuples(_key(item, "orders", path), f"{path}.orders", 2):
            _text(symbol, f"{where}[0]")
            for order_id, at in _rows(history, f"{where}[1]"):
                _ref(order_id, at, kept)
        for (symbol, history), where in _tuples(_key(item, "trades", path), f"{path}.trades", 2):
            _text(symbol, f"{where}[0]")
            for (trade_id, order_id), at in _tuples(history, f"{where}[1]", 2):
                if (symbol, _int(trade_id, f"{at}[0]")) not in trades:
                    raise InputError(f"{at}[0]", f"{symbol} trade {trade_id} is not one of the snapshot's trades")
                _ref(order_id, f"{at}[1]", orders)
        if "closed" in item:
            for order_id, where in _rows(item["closed"], f"{path}.closed"):
                _ref(order_id, where, kept)
        if "keeps_history" in item:
            _bool(item["keeps_history"], f"{path}.keeps_history")


def _books(engine: Mapping[str, Any], symbols: Collection[str], orders: set[int]) -> None:
    for symbol, book in _per_symbol(_key(engine, "books", "engine"), "engine.books", symbols).items():
        path = f"engine.books.{symbol}"
        _mapping(book, path)
        _int(_key(book, "update_id", path), f"{path}.update_id")
        for side in ("bids", "asks"):
            for (price, ids), where in _tuples(_key(book, side, path), f"{path}.{side}", 2):
                _int(price, f"{where}[0]")
                for order_id, at in _rows(ids, f"{where}[1]"):
                    _ref(order_id, at, orders)
        for order_id, where in _rows(_key(book, "stops", path), f"{path}.stops"):
            _ref(order_id, where, orders)


def _market(engine: Mapping[str, Any], symbols: Collection[str], trades: set[tuple[str, int]]) -> None:
    for symbol, data in _per_symbol(_key(engine, "market", "engine"), "engine.market", symbols).items():
        path = f"engine.market.{symbol}"
        _mapping(data, path)
        for trade_id, where in _rows(_key(data, "trades", path), f"{path}.trades"):
            _trade_ref(symbol, trade_id, where, trades)
        last = _key(data, "last_trade", path)
        if last is not None:
            _trade_ref(symbol, last, f"{path}.last_trade", trades)
        for row, where in _rows(_key(data, "klines", path), f"{path}.klines"):
            _row(row, where, _KLINE_KINDS, f"a kline is a row of integers ({', '.join(Kline.__slots__)})")
        if "agg_trades" in data:  # a document may predate aggregate trades: they are rebuilt then
            for row, where in _rows(data["agg_trades"], f"{path}.agg_trades"):
                _row(row, where, _AGG_KINDS, f"an aggregate trade is a row ({', '.join(AggTrade.__slots__)}) of "
                                             f"integers and one boolean")
            _int(_key(data, "next_agg_id", path), f"{path}.next_agg_id")


# --- the Simulator's parts ------------------------------------------------------------------------------
def _recent_events(events: Any, seq: int, kinds: tuple[str, ...] = EVENT_KINDS, where: str = "recent_events") -> None:
    """Events as the engine emitted them: each numbered one after the other, the newest the engine's last."""
    previous = None
    for event, path in _rows(events, where):
        if not isinstance(event, Mapping):
            raise InputError(path, f"a recent event is an object, got {shown(event)}")
        number = _int(_key(event, "seq", path), f"{path}.seq")
        _int(_key(event, "time", path), f"{path}.time")
        kind = _key(event, "kind", path)
        if kind not in kinds:
            raise InputError(f"{path}.kind", f"a recent event's kind is one of {', '.join(kinds)}, "
                                             f"got {shown(kind)}")
        for field, value in event.items():
            _plain(value, f"{path}.{field}")
        if previous is not None and number != previous + 1:
            raise InputError(f"{path}.seq", f"recent event {number} follows {previous}: they are numbered one "
                                            f"after the other")
        previous = number
    if previous is not None and previous != seq:
        raise InputError("engine.seq", f"the engine's event seq is {seq} but the last recent event is {previous}")


def _keys(doc: Mapping[str, Any]) -> None:
    """An API key a client can send in a header, and a secret it can sign with."""
    for (key, secret, account_id), path in _tuples(_key(doc, "keys", ""), "keys", 3):
        if not valid_api_key(key):
            raise InputError(f"{path}[0]", f"an API key is 1-128 characters of A-Z, a-z, 0-9, '-' and '_', got "
                                           f"{shown(key)}")
        if not isinstance(secret, str) or not secret or not secret.isprintable() or secret != secret.strip():
            raise InputError(f"{path}[1]", f"the secret of API key {key!r} must be printable text, not empty "
                                           f"and without surrounding spaces")
        _int(account_id, f"{path}[2]")
    for key, path in _rows(_key(doc, "demo_keys", ""), "demo_keys"):
        _text(key, path)


# --- readers --------------------------------------------------------------------------------------------
def _key(item: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in item:
        raise InputError(f"{path}.{key}" if path else key, "missing")
    return item[key]


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(path, f"expected an object, got {shown(value)}")
    return value


def _rows(value: Any, path: str) -> Iterator[tuple[Any, str]]:
    if not isinstance(value, (list, tuple)):
        raise InputError(path, f"expected a list, got {shown(value)}")
    for index, item in enumerate(value):
        yield item, f"{path}[{index}]"


def _tuples(value: Any, path: str, width: int) -> Iterator[tuple[Any, str]]:
    """Rows of exactly `width` values ([asset, free, locked], [symbol, ids], ...)."""
    for row, where in _rows(value, path):
        if not isinstance(row, (list, tuple)) or len(row) != width:
            raise InputError(where, f"expected a list of {width} values, got {shown(row)}")
        yield row, where


def _row(value: Any, path: str, kinds: tuple[type, ...], what: str) -> None:
    """A row of exactly one value of each kind (a kline, an aggregate trade)."""
    if not isinstance(value, (list, tuple)) or len(value) != len(kinds) \
            or any(type(item) is not kind for item, kind in zip(value, kinds)):
        raise InputError(path, f"{what}, got {shown(value)}")
    for index, item in enumerate(value):
        if type(item) is int:
            _int(item, f"{path}[{index}]")


def _int(value: Any, path: str) -> int:
    if type(value) is not int:  # not a bool, a float or a string of digits
        raise InputError(path, f"expected an integer, got {shown(value)}")
    return integer(value, path)


def _plain(value: Any, path: str) -> None:
    """JSON as the engine writes it: integers (no floats: the control plane serves these again), text, true,
    false, null, and lists and objects of those."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            _plain(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _plain(item, f"{path}[{index}]")
    elif type(value) is int:
        _int(value, path)
    elif value is not None and not isinstance(value, (str, bool)):
        raise InputError(path, f"expected an integer, text, true, false or null, got {shown(value)}")


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise InputError(path, f"expected a string, got {shown(value)}")
    return value


def _bool(value: Any, path: str) -> bool:
    if type(value) is not bool:
        raise InputError(path, f"expected true or false, got {shown(value)}")
    return value


def _symbol(value: Any, path: str, symbols: Collection[str]) -> str:
    if not isinstance(value, str) or value not in symbols:
        raise InputError(path, f"unknown symbol {shown(value)}")
    return value


def _per_symbol(value: Any, path: str, symbols: Collection[str], everyone: bool = True) -> Mapping[str, Any]:
    """A part keyed by symbol: only configured symbols, and (`everyone`) each of them."""
    table = _mapping(value, path)
    for symbol in table:
        _symbol(symbol, f"{path}.{symbol}", symbols)
    missing = [symbol for symbol in symbols if symbol not in table] if everyone else []
    if missing:
        raise InputError(f"{path}.{missing[0]}", "missing")
    return table


def _ref(value: Any, path: str, ids: set[int]) -> int:
    order_id = _int(value, path)
    if order_id not in ids:
        raise InputError(path, f"order {order_id} is not one of the snapshot's orders")
    return order_id


def _trade_ref(symbol: str, value: Any, path: str, trades: set[tuple[str, int]]) -> None:
    if (symbol, _int(value, path)) not in trades:
        raise InputError(path, f"{symbol} trade {value} is not one of the snapshot's trades")
