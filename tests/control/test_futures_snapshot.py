"""Snapshots cover every perpetual state: a restored simulator shows the same futures state, and the same
operations on the original and the restored one give the same futures events."""
from __future__ import annotations

import json

import pytest

from simulator.control.api import Control
from simulator.control.snapshot import SnapshotError
from simulator.core import Simulator
from tests.control.conftest import frozen_sim


def _busy() -> Simulator:
    sim = frozen_sim(with_market_maker=True)
    control = Control(sim)
    for _ in range(3):
        sim.clock.advance(1000)
        sim.tick()
    demo = next(a["id"] for a in control.list_accounts()["accounts"] if a["name"] == "demo")
    control.futures_order(demo, "BTCUSDT", "BUY", "MARKET", quantity="0.5")
    control.futures_settings(demo, "ETHUSDT", leverage=5, margin_type="ISOLATED")
    control.futures_order(demo, "ETHUSDT", "SELL", "MARKET", quantity="2")
    control.futures_order(demo, "BTCUSDT", "SELL", "LIMIT", quantity="0.1", price="70000", time_in_force="GTC")
    control.futures_order(demo, "BTCUSDT", "SELL", "STOP_MARKET", stop_price="50000", close_position=True,
                          working_type="MARK_PRICE")
    victim = control.create_account(name="victim")["id"]
    control.futures_deposit(victim, "USDT", "4000")
    control.futures_order(victim, "BTCUSDT", "BUY", "MARKET", quantity="1")
    control.set_funding_rate("BTCUSDT", "0.0004")
    control.settle_funding()
    control.set_mark("BTCUSDT", premium="-30")
    return sim


def _copy(document):
    return json.loads(json.dumps(document))


def _play(sim: Simulator) -> list[dict]:
    """The same operations on either simulator: their futures events."""
    events = []
    sim.futures.subscribe(lambda event: events.append(event.as_dict()))
    control = Control(sim)
    sim.clock.advance(60_000)
    sim.tick()
    control.set_index("BTCUSDT", "60000")  # liquidates the victim, fires nothing else
    control.futures_order(1, "BTCUSDT", "SELL", "MARKET", quantity="0.2")
    control.settle_funding()
    sim.clock.advance(8 * 3_600_000)
    sim.tick()
    return events


def test_restore_shows_the_same_futures_state():
    sim = _busy()
    document = _copy(sim.snapshot())
    restored = Simulator.from_snapshot(document, wire=sim.wire_factory)
    assert _copy(restored.snapshot()) == document
    for account_id in sim.futures.accounts:
        assert Control(restored).futures_account(account_id) == Control(sim).futures_account(account_id)
    assert restored.futures.income_of(1) == sim.futures.income_of(1)
    assert Control(restored).audit()["ok"]


def test_restored_runs_give_the_same_events():
    sim = _busy()
    restored = Simulator.from_snapshot(_copy(sim.snapshot()), wire=sim.wire_factory)
    original = _play(sim)
    assert any(e["kind"] == "force_order" for e in original)
    assert any(e["kind"] == "funding" for e in original)
    assert _play(restored) == original


def test_inconsistent_futures_state_is_refused():
    document = _copy(_busy().snapshot())
    position = next(p for p in document["futures"]["positions"] if p[3])
    position[3] += 1000  # a size no fill made: open interest no longer balances
    with pytest.raises(SnapshotError, match="futures"):
        Simulator.from_snapshot(document)
    document = _copy(_busy().snapshot())
    document["futures"]["engine"]["orders"][0]["price"] = "1"
    with pytest.raises(SnapshotError, match="futures.engine"):
        Simulator.from_snapshot(document)


def test_same_seed_and_requests_give_the_same_futures_events():
    """Determinism: two simulators from one config and seed, on frozen clocks, given the same requests."""
    first, second = _busy(), _busy()
    assert _play(first) == _play(second)
    assert _copy(first.snapshot())["futures"] == _copy(second.snapshot())["futures"]  # (API keys come from the OS)


def test_a_document_from_before_perpetuals_loads_with_empty_futures_wallets():
    sim = _busy()
    document = _copy(sim.snapshot())
    del document["futures"]
    restored = Simulator.from_snapshot(document, wire=sim.wire_factory)
    assert set(restored.futures.accounts) == set(restored.engine.accounts)
    assert all(not a.balances and not a.open_orders for a in restored.futures.accounts.values())
    assert Control(restored).audit()["ok"]
    Control(restored).futures_deposit(1, "USDT", "100")  # and it trades on from there
