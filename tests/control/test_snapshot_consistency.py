"""Snapshots restore only consistent states: a document whose parts contradict each other (an id counter at or
below an id in use, a status outside its enum, an order filed under another account, a trade naming the wrong
order, a malformed kline or recent event, an empty secret) is refused whole with a SnapshotError that says why,
before anything is swapped in. Corrupt state files get the same clear message whatever is wrong with them."""
from __future__ import annotations

import copy
import json
from typing import Any, Callable

import pytest

from simulator.control.api import Control
from simulator.control.errors import ControlError
from simulator.control.snapshot import SnapshotError, load, load_file, read_file
from simulator.core import Simulator
from simulator.engine.audit import audit
from simulator.server import build_simulator
from tests.control.conftest import frozen_sim

Doc = dict[str, Any]


def busy_sim() -> Simulator:
    """A quiet simulator with a little of everything a snapshot holds: open, partly filled, filled, canceled
    and STP-expired orders, a pending stop, trades in two minutes (two klines, two aggregates), a listenKey."""
    sim = frozen_sim()
    c = Control(sim)
    alice = c.create_account(name="alice", balances={"USDT": "500000", "BTC": "5", "ETH": "50"})["id"]
    bob = c.create_account(name="bob", balances={"USDT": "500000", "BTC": "5", "ETH": "50"})["id"]
    c.place_order(alice, "BTCUSDT", "BUY", "LIMIT", quantity="0.2", price="60000", time_in_force="GTC")  # 1
    ask = c.place_order(bob, "BTCUSDT", "SELL", "LIMIT", quantity="0.3", price="61000",
                        time_in_force="GTC")["order"]  # 2
    c.take(ask["orderId"], "0.1")  # 3: the counterparty's taker; trade 1
    c.advance_clock(60_000)
    c.place_order(bob, "BTCUSDT", "SELL", "LIMIT", quantity="0.05", price="60000", time_in_force="IOC")  # 4
    c.place_order(bob, "BTCUSDT", "SELL", "STOP_LOSS_LIMIT", quantity="0.05", price="55000", stop_price="55500",
                  time_in_force="GTC")  # 5: pending
    gone = c.place_order(alice, "ETHUSDT", "BUY", "LIMIT", quantity="1", price="3000",
                         time_in_force="GTC")["order"]  # 6
    c.cancel_order(gone["orderId"])
    c.place_order(alice, "BTCUSDT", "SELL", "LIMIT", quantity="0.01", price="60000", time_in_force="GTC",
                  stp="EXPIRE_TAKER")  # 7: expired in a prevented match
    c.create_listen_key(alice)
    c.add_fault({"kind": "partial_fill", "orderId": 1, "qty": "0.01", "afterMs": 60_000})  # pending
    c.add_fault({"kind": "clock_skew", "ms": 300})
    return sim


def fault(doc: Doc, index: int = 0) -> Doc:
    return doc["faults"]["faults"][index]


@pytest.fixture(scope="module")
def document() -> Doc:
    return json.loads(json.dumps(busy_sim().snapshot()))  # through JSON, as over HTTP or from a file


def order(doc: Doc, order_id: int) -> Doc:
    return next(o for o in doc["engine"]["orders"] if o["order_id"] == order_id)


def account(doc: Doc, account_id: int) -> Doc:
    return next(a for a in doc["engine"]["accounts"] if a["account_id"] == account_id)


def kline(doc: Doc, index: int = 0) -> list:
    return doc["engine"]["market"]["BTCUSDT"]["klines"][index]


def renumber_account(doc: Doc, old: int, new: int) -> None:
    """Every reference to the account, consistently (the demo account: no orders, one API key)."""
    account(doc, old)["account_id"] = new
    for entry in doc["keys"]:
        if entry[2] == old:
            entry[2] = new


def renumber_order(doc: Doc, old: int, new: int) -> None:
    """Every reference to order 6 (canceled: the order list, alice's ETHUSDT history and finished orders)."""
    order(doc, old)["order_id"] = new
    alice = account(doc, 2)
    for ids in (dict(alice["orders"])["ETHUSDT"], alice.get("closed", [])):
        if old in ids:
            ids[ids.index(old)] = new


def test_the_document_is_consistent(document):
    """The base of every case below loads and audits clean, so each refusal is its mutation's doing."""
    sim = load(copy.deepcopy(document), build_simulator)
    assert audit(sim.engine) == []
    engine = document["engine"]
    assert [engine["next_account_id"], engine["next_order_id"]] == [5, 8]
    assert engine["seq"] == document["recent_events"][-1]["seq"]
    assert account(document, 2)["name"] == "alice" and account(document, 3)["name"] == "bob"
    assert [order(document, i)["status"] for i in range(1, 8)] == [
        "PARTIALLY_FILLED", "PARTIALLY_FILLED", "FILLED", "FILLED", "NEW", "CANCELED", "EXPIRED_IN_MATCH"]


CASES: list[tuple[str, Callable[[Doc], Any], str]] = [
    # id counters at or below an id in use: the next account or order would overwrite one
    ("next account id at the newest account", lambda d: d["engine"].update(next_account_id=4), "next account id"),
    ("next account id 1", lambda d: d["engine"].update(next_account_id=1), "next account id"),
    ("next order id at the newest order", lambda d: d["engine"].update(next_order_id=7), "next order id"),
    ("next order id 1", lambda d: d["engine"].update(next_order_id=1), "next order id"),
    ("next trade id at a kept trade", lambda d: d["engine"]["next_trade_id"].update(BTCUSDT=2), "next trade id"),
    ("next aggregate id at a kept aggregate",
     lambda d: d["engine"]["market"]["BTCUSDT"].update(next_agg_id=2), "next aggregate trade id"),
    ("next prevented match id at one in use",
     lambda d: d["engine"]["next_prevented_match_id"].update(BTCUSDT=0), "prevented match id"),
    # statuses and other vocabularies
    ("order status outside the enum", lambda d: order(d, 1).update(status="WEIRD"), "status 'WEIRD'"),
    ("order side outside the enum", lambda d: order(d, 6).update(side="HOLD"), "side 'HOLD'"),
    ("order type outside the enum", lambda d: order(d, 6).update(type="ICEBERG"), "type 'ICEBERG'"),
    ("symbol status outside the enum", lambda d: d["engine"]["symbol_status"].update(BTCUSDT="NOPE"),
     "symbol status 'NOPE'"),
    ("filled with nothing executed", lambda d: order(d, 6).update(status="FILLED"), "FILLED"),
    # ownership
    ("open order filed under another account", lambda d: order(d, 1).update(account_id=3),
     "belongs to account 3"),
    ("closed order filed under another account", lambda d: order(d, 6).update(account_id=3),
     "belongs to account 3"),
    ("order of an account that does not exist", lambda d: order(d, 6).update(account_id=99), "account 99"),
    ("open order missing from its account", lambda d: account(d, 2).update(open_orders=[]), "open"),
    ("client order id naming another order", lambda d: account(d, 2)["client_ids"][0].__setitem__(1, 7),
     "client order id"),
    ("open order count that does not add up", lambda d: account(d, 2).update(open_count=[["BTCUSDT", 3]]),
     "open order count"),
    ("open order resting nowhere", lambda d: d["engine"]["books"]["BTCUSDT"].update(bids=[]), "rests"),
    ("pending stop on the book", lambda d: d["engine"]["books"]["BTCUSDT"].update(
        stops=[], bids=[[5500000000000, [5]], [6000000000000, [1]]]), "does not belong"),
    # trade references
    ("trade with a seller as its buyer", lambda d: d["engine"]["trades"][0].update(buyer=2), "trade"),
    ("trade history pointing at another account's order",
     lambda d: account(d, 2)["trades"][0][1][0].__setitem__(1, 2), "trade 2"),
    ("trade of an order that does not exist", lambda d: d["engine"]["trades"][0].update(seller=99), "order 99"),
    ("trade quote amount off its price and quantity", lambda d: d["engine"]["trades"][0].update(quote_qty=1),
     "quote"),
    # klines (today they load and then klines and 24hr answer -1000)
    ("kline one value short", lambda d: kline(d).pop(), "kline"),
    ("kline with a string price", lambda d: kline(d).__setitem__(1, "61000"), "kline"),
    ("kline not a list", lambda d: d["engine"]["market"]["BTCUSDT"]["klines"].__setitem__(0, {}), "kline"),
    ("kline high below its low", lambda d: kline(d).__setitem__(2, 1), "kline"),
    ("kline off the minute", lambda d: kline(d).__setitem__(0, kline(d)[0] + 1), "kline"),
    ("aggregate trade with a string quantity",
     lambda d: d["engine"]["market"]["BTCUSDT"]["agg_trades"][0].__setitem__(2, "1"), "aggregate"),
    # recent events
    ("recent event that is not an object", lambda d: d["recent_events"].append(5), "recent event"),
    ("recent event without a seq", lambda d: d["recent_events"][-1].pop("seq"), r"recent_events\[44\]\.seq"),
    ("recent event with a string seq", lambda d: d["recent_events"][0].update(seq="1"), r"recent_events\[0\]\.seq"),
    ("recent events out of order", lambda d: d["recent_events"].reverse(), "recent event"),
    ("recent event of an unknown kind", lambda d: d["recent_events"][0].update(kind="gossip"), "recent event"),
    ("seq 0", lambda d: d["engine"].update(seq=0), "seq"),
    ("seq behind the recent events", lambda d: d["engine"].update(seq=d["engine"]["seq"] - 1), "seq"),
    # ids below 1, even when every reference agrees
    ("negative account id", lambda d: (renumber_account(d, 1, -1)), "account -1"),
    ("account id 0", lambda d: (renumber_account(d, 1, 0)), "account 0"),
    ("negative order id", lambda d: renumber_order(d, 6, -6), "order -6"),
    # API keys
    ("empty API secret", lambda d: d["keys"][0].__setitem__(1, ""), "secret"),
    ("API secret with a lone surrogate", lambda d: d["keys"][0].__setitem__(1, "\ud800"), "secret"),
    ("API key outside its pattern", lambda d: d["keys"][1].__setitem__(0, "not a key!"), "API key"),
    ("empty API key", lambda d: d["keys"][1].__setitem__(0, ""), "API key"),
    # faults: each as its spec would make it, every hook point reads them
    ("fault ending at a string", lambda d: fault(d).update(ends_at="x"), "fault ends_at"),
    ("fault with a number for its endpoint", lambda d: fault(d).update(endpoint=5), "fault 1: endpoint"),
    ("fault of an unknown kind", lambda d: fault(d).update(kind="boom"), "unknown fault 'boom'"),
    ("fault parameters its spec would not give", lambda d: fault(d)["params"].update(qty="-1"), "fault 1: qty"),
    ("fault id at the next fault id", lambda d: d["faults"].update(next_id=2), "below next_id 2"),
    ("fault effects skew baseline a string", lambda d: d["faults"]["effects"].update(skew_baseline="x"),
     "skew baseline"),
    ("fault effects status outside the enum",
     lambda d: d["faults"]["effects"].update(status_baseline={"BTCUSDT": "NOPE"}), "status baseline"),
    # parts keyed by symbol must name the configured symbols
    ("book of an unknown symbol", lambda d: d["engine"]["books"].update(DOGEUSDT=d["engine"]["books"]["ETHUSDT"]),
     "DOGEUSDT"),
]


@pytest.mark.parametrize("mutate, words", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_inconsistent_documents_are_refused(document, mutate, words):
    broken = copy.deepcopy(document)
    mutate(broken)
    with pytest.raises(SnapshotError, match=words):
        load(broken, build_simulator)


def test_a_refused_restore_changes_nothing(document):
    """The issue's story: with next_order_id at 1 the restore was accepted, a new order reused id 1, and a
    later market order failed with KeyError (-1000). Refused now, and the running state is untouched."""
    sim = busy_sim()
    before = sim.snapshot()
    broken = copy.deepcopy(document)
    broken["engine"]["next_order_id"] = 1
    with pytest.raises(ControlError) as caught:
        Control(sim).restore(broken)
    assert caught.value.status == 400 and caught.value.code == "invalid_snapshot"
    assert "next order id" in str(caught.value)
    assert sim.snapshot() == before


@pytest.mark.parametrize("content, words", [
    (b'{"format": "exsim-snapshot", "name": "\xff\xfe"}', "corrupt"),
    (b"[" * 100_000 + b"]" * 100_000, "corrupt"),
    (b'{"a": ' * 100_000 + b"1" + b"}" * 100_000, "corrupt"),
    (b"\x00\x01\x02", "corrupt"),
    (b"", "corrupt"),
], ids=["invalid UTF-8", "nested lists", "nested objects", "binary", "empty"])
def test_corrupt_state_files_get_a_clear_message(tmp_path, content, words):
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(SnapshotError, match=words) as caught:
        read_file(path)
    assert str(path) in str(caught.value)
    with pytest.raises(SnapshotError, match=words):
        load_file(path, build_simulator)


def test_an_inconsistent_state_file_names_the_file_and_the_problem(tmp_path, document):
    broken = copy.deepcopy(document)
    broken["engine"]["next_account_id"] = 1
    path = tmp_path / "state.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(SnapshotError, match="next account id") as caught:
        load_file(path, build_simulator)
    assert str(caught.value).startswith(f"{path}: ")
