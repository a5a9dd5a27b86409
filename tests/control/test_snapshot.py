"""Snapshots: the whole state to a versioned JSON document and back; a restore followed by the same operations
gives the same events; bad documents are refused without touching anything."""
from __future__ import annotations

import copy
import json

import pytest

from simulator.control.api import Control
from simulator.control.errors import ControlError
from simulator.control.persist import StateSaver
from simulator.control.snapshot import FORMAT, VERSION, SnapshotError, config_to_dict, load, read_file
from simulator.config import load_config, parse_config
from simulator.core import Simulator
from simulator.server import build_simulator
from simulator.dialects.binance.wire.venue_state import binance_wire
from simulator.engine.audit import audit
from simulator.engine.market_data import MarketData
from tests.control.conftest import frozen_sim


def ops_a(sim: Simulator) -> dict:
    """Build up state: accounts, resting orders, trades, stops, a listenKey, faults, market maker activity."""
    c = Control(sim)
    names = {}
    for name in ("alice", "bob"):
        names[name] = c.create_account(name=name, balances={"USDT": "500000", "BTC": "5", "ETH": "50"})["id"]
    for _ in range(6):
        c.advance_clock(700)  # the market maker requotes and its counterparties trade
    a, b = names["alice"], names["bob"]
    c.place_order(a, "BTCUSDT", "BUY", "LIMIT", quantity="0.2", price="64000", time_in_force="GTC")
    c.place_order(a, "BTCUSDT", "BUY", "LIMIT", quantity="0.1", price="64000", time_in_force="GTC")
    resting = c.place_order(b, "BTCUSDT", "SELL", "LIMIT", quantity="0.3", price="66500",
                            time_in_force="GTC")["order"]
    c.take(resting["orderId"], "0.1")
    c.place_order(b, "BTCUSDT", "SELL", "STOP_LOSS_LIMIT", quantity="0.05", price="60000", stop_price="60500",
                  time_in_force="GTC")
    c.create_listen_key(a)
    c.add_fault({"kind": "http_error", "probability": "0.5", "endpoint": "/api/v3/*"})
    c.add_fault({"kind": "partial_fill", "orderId": resting["orderId"], "qty": "0.05", "afterMs": 3000})
    c.add_fault({"kind": "clock_skew", "ms": 1200})
    c.set_index("ETHUSDT", "3300")
    return names


def ops_b(sim: Simulator, names: dict) -> list:
    """More operations; everything they produce is returned for comparison."""
    events: list = []
    sim.engine.subscribe(lambda e: events.append(e.as_dict()))
    c = Control(sim)
    carol = c.create_account(name="carol", balances={"USDT": "1000"})
    out = [{k: v for k, v in carol.items() if k not in ("apiKey", "secret")}]  # those come from the OS
    out.append([sim.faults.match("http_error", endpoint="GET /api/v3/account") is not None for _ in range(20)])
    for _ in range(8):
        out.append(c.advance_clock(500)["now"])  # the partial fill fires; the market trades
    out.append(c.place_order(names["alice"], "BTCUSDT", "SELL", "MARKET", quantity="0.01"))
    out.append(c.place_order(names["bob"], "ETHUSDT", "BUY", "LIMIT", quantity="1", price="3300",
                             time_in_force="GTC"))  # a generated client order id
    out.append(c.create_listen_key(names["bob"])["accountId"])  # a new listenKey: from the OS too
    out.append(c.list_faults())
    out.append(c.clock())
    out.append(events)
    return out


def test_restore_then_the_same_operations_give_the_same_events():
    original = frozen_sim(with_market_maker=True)
    names = ops_a(original)
    document = json.loads(json.dumps(original.snapshot()))  # through JSON, as over HTTP or a file
    expected = ops_b(original, names)
    restored = Simulator.from_snapshot(document, wire=binance_wire)
    actual = ops_b(restored, names)
    assert actual[-1], "ops B should produce events"
    assert actual == expected
    assert audit(restored.engine) == []


def test_a_snapshot_round_trips_exactly(msim):
    ops_a(msim)
    document = msim.snapshot()
    assert document["format"] == FORMAT and document["version"] == VERSION
    assert Simulator.from_snapshot(json.loads(json.dumps(document)), wire=binance_wire).snapshot() == document


def test_the_snapshot_holds_what_it_promises(msim):
    names = ops_a(msim)
    doc = msim.snapshot()
    engine = doc["engine"]
    assert {a["name"] for a in engine["accounts"]} >= {"alice", "bob", "exsim-counterparty"}
    assert engine["books"]["BTCUSDT"]["stops"]  # the pending stop order
    bids = engine["books"]["BTCUSDT"]["bids"]
    assert any(len(ids) >= 2 for _, ids in bids)  # queue order kept per level
    assert engine["trades"] and engine["market"]["BTCUSDT"]["klines"]
    assert engine["fees_collected"] and engine["deposits"]
    assert doc["listen_keys"] and doc["faults"]["faults"] and doc["market_maker"]["quotes"]
    assert doc["clock"]["skew_ms"] == 1200 and doc["clock"]["frozen_at"] is not None
    assert set(doc["rng"]) == {"engine", "faults"}
    assert doc["counterparty"] is not None and names


def test_config_survives_the_round_trip():
    config = load_config()
    assert parse_config(json.loads(json.dumps(config_to_dict(config)))) == config


@pytest.mark.parametrize("mutate, words", [
    (lambda d: d.update(format="something-else"), "not an exsim snapshot"),
    (lambda d: d.update(version=99), "unsupported snapshot version 99"),
    (lambda d: d.pop("engine"), "malformed"),
    (lambda d: d["config"].update(seed="x"), "snapshot config: seed"),
    (lambda d: d["engine"]["accounts"][0]["balances"].append(["XRP", 5, 0]), "inconsistent: XRP not conserved"),
    (lambda d: d["engine"]["orders"][0].update(symbol="DOGEUSDT"), "unknown symbol"),
])
def test_bad_documents_are_refused(msim, mutate, words):
    ops_a(msim)
    document = copy.deepcopy(msim.snapshot())
    mutate(document)
    with pytest.raises(SnapshotError, match=words):
        load(document, build_simulator)


def test_restore_in_place_swaps_everything_or_nothing(msim):
    names = ops_a(msim)
    saved = msim.snapshot()
    heard: list = []
    msim.engine.subscribe(heard.append)  # e.g. the stream hub
    swapped: list = []
    msim.on_swap.append(swapped.append)
    c = Control(msim)
    c.create_account(name="dave")
    before = msim.snapshot()
    broken = copy.deepcopy(saved)
    broken["engine"]["books"]["BTCUSDT"]["bids"][0][1].append(99999)
    with pytest.raises(ControlError) as caught:
        c.restore(broken)
    assert caught.value.code == "invalid_snapshot" and caught.value.status == 400
    assert msim.snapshot() == before  # untouched
    identity = id(msim)
    summary = c.restore(saved)
    assert id(msim) == identity and swapped == [msim]
    assert "dave" not in {a["name"] for a in c.list_accounts()["accounts"]}
    assert summary["seq"] == saved["engine"]["seq"]
    heard.clear()
    c.deposit(names["alice"], "USDT", "1")
    assert [e.kind for e in heard] == ["balance"]  # listeners follow the state to the new engine
    # the restored recent events are still served
    assert c.events(after=saved["engine"]["seq"] - 3)["events"][0]["seq"] == saved["engine"]["seq"] - 2


def test_reset_goes_back_to_the_config_clock_included(msim):
    c = Control(msim)
    ops_a(msim)
    fresh = frozen_sim(with_market_maker=True)
    assert msim.clock.now_ms() > fresh.clock.now_ms()
    c.reset()
    assert msim.clock.now_ms() == fresh.clock.now_ms()  # the frozen start (wall time for a running clock)
    assert msim.clock.advanced_ms == 0 and msim.clock.skew_ms == 0
    assert [a["name"] for a in c.list_accounts()["accounts"]] == \
        [a["name"] for a in Control(fresh).list_accounts()["accounts"]]
    assert c.list_faults()["faults"] == []
    assert msim.engine.seq == fresh.engine.seq


def test_files_are_written_atomically_and_read_back(msim, tmp_path):
    path = tmp_path / "state.json"
    StateSaver(msim, path).save()
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp file left behind
    assert load(read_file(path), build_simulator).snapshot() == msim.snapshot()
    path.write_text(path.read_text()[:1000])
    with pytest.raises(SnapshotError, match="not valid JSON"):
        read_file(path)


def test_fault_effects_survive_a_restore_and_undo_after_it(fsim):
    fsim.clock.set_skew(100)
    fsim.faults.add({"kind": "halt", "symbol": "BTCUSDT"})
    fsim.faults.add({"kind": "rate_limit", "status": 429, "ms": 60_000})
    fsim.faults.add({"kind": "clock_skew", "ms": 500})
    restored = Simulator.from_snapshot(json.loads(json.dumps(fsim.snapshot())), wire=binance_wire)
    control = Control(restored)
    assert restored.engine.instruments["BTCUSDT"].status == "HALT"
    assert control.limits()["forced"] == 429
    assert restored.clock.skew_ms == 500
    restored.faults.clear()
    assert restored.engine.instruments["BTCUSDT"].status == "TRADING"
    assert control.limits()["forced"] is None
    assert restored.clock.skew_ms == 100


def _stp_and_sweeps(sim: Simulator) -> None:
    """A two-trade aggregate and a prevented match."""
    c = Control(sim)
    dave = c.create_account(name="dave", balances={"USDT": "500000", "BTC": "5"})["id"]
    erin = c.create_account(name="erin", balances={"USDT": "500000"})["id"]
    for _ in range(2):
        c.place_order(dave, "BTCUSDT", "SELL", "LIMIT", quantity="0.1", price="60000", time_in_force="GTC")
    c.place_order(erin, "BTCUSDT", "BUY", "LIMIT", quantity="0.15", price="60000", time_in_force="GTC")
    c.place_order(dave, "BTCUSDT", "BUY", "LIMIT", quantity="0.1", price="60000", time_in_force="GTC",
                  stp="EXPIRE_TAKER")


def test_aggregates_and_prevented_matches_survive_a_snapshot(fsim):
    _stp_and_sweeps(fsim)
    engine = fsim.engine
    assert engine.next_prevented_match_id["BTCUSDT"] == 1
    assert [(g.first_id, g.last_id) for g in engine.market["BTCUSDT"].agg_trades] == [(1, 2)]
    document = json.loads(json.dumps(fsim.snapshot()))
    restored = Simulator.from_snapshot(document, wire=binance_wire).engine
    assert restored.next_prevented_match_id == engine.next_prevented_match_id
    for symbol, data in engine.market.items():
        assert [g.state() for g in restored.market[symbol].agg_trades] == [g.state() for g in data.agg_trades]
        assert restored.market[symbol].next_agg_id == data.next_agg_id
    assert [o.prevented_match_id for o in restored.orders.values()] == \
        [o.prevented_match_id for o in engine.orders.values()]


def test_a_snapshot_from_before_aggregates_and_prevented_match_ids_still_loads(msim):
    ops_a(msim)
    _stp_and_sweeps(msim)
    document = json.loads(json.dumps(msim.snapshot()))
    del document["engine"]["next_prevented_match_id"]
    for order in document["engine"]["orders"]:
        order.pop("prevented_match_id")
    for market in document["engine"]["market"].values():
        del market["agg_trades"], market["next_agg_id"]
    restored = load(document, build_simulator).engine
    # prevented match ids: the orders lost theirs, so numbering starts over; aggregates: rebuilt from the trades
    assert restored.next_prevented_match_id == {symbol: 0 for symbol in restored.instruments}
    for symbol, data in restored.market.items():
        expected = MarketData(symbol, restored.instruments[symbol].base_unit, restored.retention.market_trades,
                              restored.retention.kline_minutes)
        for trade in data.trades:
            expected.record(trade)
        assert [g.state() for g in data.agg_trades] == [g.state() for g in expected.agg_trades]
