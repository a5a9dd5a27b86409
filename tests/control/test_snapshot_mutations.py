"""Mutated snapshots: whatever a restore accepts, the server serves without an error.

Hypothesis (derandomized, no example database, a bounded number of examples) takes a valid snapshot, changes one
to three things in it (a number nudged, zeroed, negated or made huge, a status or symbol swapped, an id pointed
elsewhere, a key or list element deleted or duplicated, a value of another type) and uploads it to a live server
with `PUT /_sim/v1/snapshot`. Then:

- refused: the control plane's 400 `invalid_snapshot`, and the running state is exactly as before;
- accepted: every public read endpoint for every symbol, and every signed read for every account with an API
  key, answers below 500 and never -1000 (an unexpected exception); the engine's audit is clean; the server's
  own snapshot of the new state is accepted back; and the background tick runs.
"""
from __future__ import annotations

import copy
import functools
import http.client
import json
from typing import Any, Callable
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from simulator.control.api import Control
from simulator.dialects.binance.wire import auth
from tests.control.conftest import frozen_sim
from tests.control.test_snapshot_consistency import busy_sim
from tests.live_server import LiveServer

EXAMPLES = 200
SNAPSHOT = "/_sim/v1/snapshot"
# Where mutations land, by top-level section: mostly the engine, whose parts must agree with each other.
SECTIONS = ["engine"] * 12 + ["recent_events", "keys", "demo_keys", "market_maker", "counterparty", "faults",
                              "listen_keys", "limiter", "clock", "config", "seed", "market_paused", "rng"]
TEXTS = ["NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "EXPIRED", "BUY", "SELL", "LIMIT", "MARKET",
         "STOP_LOSS_LIMIT", "GTC", "IOC", "TRADING", "HALT", "BTCUSDT", "ETHUSDT", "DOGEUSDT", "USDT", "BTC", "order",
         "balance", "trade", "", " ", "x", "demo-api-key", "EXPIRE_MAKER", "NONE"]


def market_maker_document() -> dict:
    """The default market maker quoting and trading for a while, an account of our own, pending faults that
    leave reads alone."""
    sim = frozen_sim(with_market_maker=True)
    c = Control(sim)
    alice = c.create_account(name="alice", balances={"USDT": "500000", "BTC": "5"})["id"]
    c.advance_clock(700)
    resting = c.place_order(alice, "BTCUSDT", "BUY", "LIMIT", quantity="0.01", price="60000",
                            time_in_force="GTC")["order"]
    c.advance_clock(700)
    c.add_fault({"kind": "partial_fill", "orderId": resting["orderId"], "qty": "0.005", "afterMs": 60_000})
    c.add_fault({"kind": "clock_skew", "ms": 300})
    return json.loads(json.dumps(sim.snapshot()))


@functools.cache
def documents() -> tuple[dict, ...]:
    """Built once; not a fixture, so that Hypothesis does not print them with a failing example."""
    return json.loads(json.dumps(busy_sim().snapshot())), market_maker_document()


@pytest.fixture(scope="module")
def server():
    live = LiveServer(frozen_sim()).start()
    yield live
    live.stop()


class Client:
    """One keep-alive connection; every answer as (status, parsed JSON or text)."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None):
        self.connection.request(method, url, body=body, headers=headers or {})
        response = self.connection.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw.decode("utf-8", "replace")

    def close(self) -> None:
        self.connection.close()


@pytest.fixture(scope="module")
def client(server):
    client = Client(server.port)
    yield client
    client.close()


# --- mutations -------------------------------------------------------------------------------------------
def nodes(value: Any, holder: Any = None, key: Any = None) -> list[tuple[Any, Any]]:
    """(container, key) of every value under `value`, an RNG's 624 state words excepted (any value is valid
    there, and they would crowd out everything else)."""
    found = [] if holder is None else [(holder, key)]
    if isinstance(value, dict):
        for child_key, child in value.items():
            found += nodes(child, value, child_key)
    elif isinstance(value, list) and not (len(value) > 600 and all(type(v) is int for v in value)):
        for index, child in enumerate(value):
            found += nodes(child, value, index)
    return found


def replacements(value: Any, ids: list[int]) -> list[Callable[[Any, Any], None]]:
    """What may happen to one value, each as `change(container, key)`; `ids` are ids in use to point at. Changes
    that keep the value's type come twice: most changes of type are refused outright, and an accepted document
    is what this test is after."""
    def put(new: Any) -> Callable[[Any, Any], None]:
        def change(holder: Any, key: Any) -> None:
            holder[key] = copy.deepcopy(new)
        change.__name__ = f"put {new!r}"
        return change

    def delete(holder: Any, key: Any) -> None:
        del holder[key]

    def duplicate(holder: Any, key: Any) -> None:
        holder[key].append(copy.deepcopy(holder[key][0]))

    def reverse(holder: Any, key: Any) -> None:
        holder[key].reverse()

    def drop_first(holder: Any, key: Any) -> None:
        del holder[key][0]

    same: list[Callable[[Any, Any], None]] = []
    other = [delete, put(None), put("x"), put(1.5), put([]), put({})]
    if type(value) is int:
        same = [put(value + 1), put(value - 1), put(0), put(-1), put(1), put(-value), put(value * 2),
                put(2**63)] + [put(i) for i in ids]
        other += [put(str(value)), put(True)]
    elif isinstance(value, str):
        same = [put(text) for text in TEXTS] + [put(value + "x")]
        other.append(put(7))
    elif isinstance(value, bool):
        same = [put(not value)]
        other.append(put(1))
    elif isinstance(value, list) and value:
        same = [duplicate, reverse, drop_first]
    elif isinstance(value, dict):
        other.append(put(list(value.values())))
    return same * 2 + other


def mutate(data: st.DataObject, doc: dict) -> list[str]:
    """One to three mutations, drawn; what was done, for the failure message."""
    done = []
    ids = [o["order_id"] for o in doc["engine"]["orders"][:5]] + [a["account_id"] for a in doc["engine"]["accounts"]]
    for _ in range(data.draw(st.sampled_from([1, 1, 1, 1, 2, 2, 3]), label="mutations")):
        section = data.draw(st.sampled_from(SECTIONS), label="section")
        if section not in doc:
            continue
        candidates = [(doc, section)] + nodes(doc[section], doc, section)[1:]
        holder, key = candidates[data.draw(st.integers(0, len(candidates) - 1), label="node")]
        if isinstance(holder, list) and not -len(holder) <= key < len(holder):
            continue  # an earlier mutation shortened this list
        options = replacements(holder[key], ids)
        change = options[data.draw(st.integers(0, len(options) - 1), label="change")]
        done.append(f"{section} ... {key!r}: {json.dumps(holder[key])[:60]} -> {change.__name__}")
        change(holder, key)
    return done


# --- the reads ------------------------------------------------------------------------------------------
def reads(server: LiveServer) -> list[tuple[str, str, str | None, str | None]]:
    """(method, url, api key, secret) of every read: public ones per symbol, signed ones per API key."""
    def state():
        sim = server.sim
        symbols = sorted(sim.engine.instruments)
        keys = [(k.key, k.secret, k.account_id) for k in sim.keys.all()]
        orders = {account_id: [(o.symbol, o.order_id) for o in list(sim.engine.orders.values())
                               if o.account_id == account_id][-3:] for _, _, account_id in keys}
        return symbols, keys, orders, sim.clock.server_time_ms()

    symbols, keys, orders, now = server.call(state)
    out: list[tuple[str, str, str | None, str | None]] = [
        ("GET", "/api/v3/exchangeInfo", None, None), ("GET", "/api/v3/ticker/24hr", None, None),
        ("GET", "/api/v3/ticker/price", None, None), ("GET", "/api/v3/ticker/bookTicker", None, None),
        ("GET", "/api/v3/time", None, None)]
    for symbol in symbols:
        for path, extra in (("exchangeInfo", {}), ("depth", {"limit": 100}), ("trades", {}),
                            ("historicalTrades", {}), ("aggTrades", {}), ("aggTrades", {"fromId": 1}),
                            ("klines", {"interval": "1m"}), ("klines", {"interval": "1d"}),
                            ("uiKlines", {"interval": "1h"}), ("ticker/24hr", {}), ("ticker/price", {}),
                            ("ticker/bookTicker", {}), ("avgPrice", {}), ("ticker", {"windowSize": "7d"}),
                            ("ticker/tradingDay", {})):
            out.append(("GET", f"/api/v3/{path}?{urlencode({'symbol': symbol, **extra})}", None, None))
    for key, secret, account_id in keys:
        signed = [("account", {}), ("openOrders", {}), ("rateLimit/order", {})]
        for symbol in symbols:
            signed += [("openOrders", {"symbol": symbol}), ("allOrders", {"symbol": symbol}),
                       ("myTrades", {"symbol": symbol}), ("account/commission", {"symbol": symbol})]
        signed += [("order", {"symbol": symbol, "orderId": order_id}) for symbol, order_id in orders[account_id]]
        for path, params in signed:
            query = urlencode({**params, "timestamp": now, "recvWindow": 60_000})
            out.append(("GET", f"/api/v3/{path}?{query}&signature={auth.sign(secret, query)}", key, secret))
    return out


def broken_answers(client: Client, server: LiveServer) -> list[str]:
    problems = []
    for method, url, key, _ in reads(server):
        status, body = client.request(method, url, headers={"X-MBX-APIKEY": key} if key else {})
        if status >= 500 or isinstance(body, dict) and body.get("code") == -1000:
            problems.append(f"{method} {url.split('&signature')[0]}: {status} {str(body)[:200]}")
    for path in ("/accounts", "/events", "/faults", "/clock", "/orders", "/listen-keys", "/limits", "/prices"):
        status, body = client.request("GET", f"/_sim/v1{path}")
        if status >= 500:
            problems.append(f"GET /_sim/v1{path}: {status} {str(body)[:200]}")
    return problems


def put_snapshot(client: Client, document: Any) -> tuple[int, Any]:
    return client.request("PUT", SNAPSHOT, json.dumps(document).encode(), {"Content-Type": "application/json"})


@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_accepted_snapshot_serves_every_read(server, client, data):
    base = documents()[data.draw(st.integers(0, len(documents()) - 1), label="document")]
    doc = copy.deepcopy(base)
    done = mutate(data, doc)
    # from the base's state, on its frozen clock and with its tick done, so that nothing moves by itself
    assert put_snapshot(client, base)[0] == 200
    server.call(server.sim.tick)
    parts, state = server.call(lambda: (dict(vars(server.sim)), server.sim.snapshot()))
    status, body = put_snapshot(client, doc)
    event("accepted" if status == 200 else "refused")
    if status != 200:
        assert status == 400 and body["error"]["code"] == "invalid_snapshot", (done, status, body)
        assert server.call(lambda: all(vars(server.sim)[name] is part for name, part in parts.items())), \
            f"a refused restore swapped parts in: {done}"
        assert server.call(server.sim.snapshot) == state, f"a refused restore changed the state: {done}"
        return
    problems = broken_answers(client, server)
    assert not problems, f"after {done}:\n" + "\n".join(problems)
    status, audit = client.request("GET", "/_sim/v1/audit")
    assert status == 200 and audit["ok"], (done, audit)
    status, served = client.request("GET", SNAPSHOT)
    assert status == 200, (done, served)
    status, body = put_snapshot(client, served)
    assert status == 200, f"the server's own snapshot after {done} is refused: {body}"
    server.call(server.sim.tick)  # the market maker and the faults run on the restored state


def test_unmutated_documents_are_accepted(server, client):
    """The bases of the mutations load, and their reads are clean: every refusal is a mutation's doing."""
    for document in documents():
        assert put_snapshot(client, document)[0] == 200
        assert broken_answers(client, server) == []
