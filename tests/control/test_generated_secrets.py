"""API keys, their secrets and listenKeys come from the operating system's randomness: two servers started
alike never hand out the same ones. Keys a config or a request pins stay as given, and the market stays
deterministic (keys never influence matching)."""
from __future__ import annotations

import json

from simulator.clock import SimClock
from simulator.control.api import Control
from simulator.server import build_simulator
from tests.conftest import quiet_config
from tests.control.conftest import T0


def fresh():
    return build_simulator(quiet_config(), seed=7, clock=SimClock(frozen_at_ms=T0))


def test_two_servers_started_alike_generate_different_keys_and_secrets():
    first, second = (Control(fresh()).create_account(name="alice") for _ in range(2))
    assert first["id"] == second["id"]  # the same account ...
    assert first["apiKey"] != second["apiKey"] and first["secret"] != second["secret"]  # ... but its own key
    assert len(first["apiKey"]) == len(first["secret"]) == 64
    assert first["apiKey"] != first["secret"]


def test_listen_keys_are_not_drawn_from_the_seed():
    keys = []
    for _ in range(2):
        control = Control(fresh())
        account = control.create_account(name="alice")["id"]
        keys.append(control.create_listen_key(account)["listenKey"])
    assert keys[0] != keys[1]
    assert all(len(key) == 60 and key.isalnum() for key in keys)  # Binance's shape


def test_pinned_keys_stay_pinned():
    sim = fresh()
    demo = sim.demo_keys[0]
    assert (demo.key, demo.secret) == ("demo-api-key", "demo-api-secret")  # from the config
    pinned = Control(sim).create_account(name="bob", api_key="bob-key", secret="bob-secret")
    assert (pinned["apiKey"], pinned["secret"]) == ("bob-key", "bob-secret")


def test_the_market_does_not_depend_on_the_keys():
    """Same seed, same operations: the same events, although every generated key differs."""
    logs = []
    for _ in range(2):
        sim = fresh()
        control = Control(sim)
        events = []
        sim.engine.subscribe(lambda e: events.append(e.as_dict()))
        a = control.create_account(name="a", balances={"USDT": "100000", "BTC": "1"})["id"]
        b = control.create_account(name="b", balances={"USDT": "100000", "BTC": "1"})["id"]
        control.place_order(a, "BTCUSDT", "SELL", "LIMIT", quantity="0.5", price="60000", time_in_force="GTC")
        control.place_order(b, "BTCUSDT", "BUY", "MARKET", quantity="0.2")
        logs.append(json.dumps(events, sort_keys=True, default=str))
    assert logs[0] == logs[1]


def test_a_snapshot_carries_the_generated_keys_themselves():
    sim = fresh()
    created = Control(sim).create_account(name="alice")
    restored = type(sim).from_snapshot(json.loads(json.dumps(sim.snapshot())), wire=sim.wire_factory)
    key = restored.keys.get(created["apiKey"])
    assert key is not None and key.secret == created["secret"]


def test_a_snapshot_written_with_key_generator_states_still_loads():
    """Documents from before keys came from the OS hold their generators' RNG states: ignored."""
    sim = fresh()
    created = Control(sim).create_account(name="alice")
    document = json.loads(json.dumps(sim.snapshot()))
    old_rng_state = document["rng"]["engine"]
    document["rng"].update(keys=old_rng_state, listen_keys=old_rng_state)
    restored = type(sim).from_snapshot(document, wire=sim.wire_factory)
    assert restored.keys.get(created["apiKey"]).secret == created["secret"]
