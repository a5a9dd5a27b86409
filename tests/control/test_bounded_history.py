"""Bounded history across the Simulator: the retention comes from the config, snapshots keep exactly what the
engine keeps (orders that aged out but that kept trades still name included), a smaller retention applies at
restore, and the market maker's finished orders are never kept, however long it runs."""
from __future__ import annotations

import dataclasses
import json

import pytest

from simulator.clock import SimClock
from simulator.config import ConfigError, RetentionConfig, load_config, parse_config
from simulator.control.api import Control
from simulator.control.snapshot import config_to_dict, load
from simulator.engine.audit import audit
from simulator.server import build_simulator
from tests.conftest import quiet_config
from tests.control.conftest import T0


def small(config, **limits):
    return dataclasses.replace(config, retention=RetentionConfig(**{
        "closed_orders": 2, "account_trades": 3, "market_trades": 4, "kline_minutes": 5, "recent_events": 50,
        **limits}))


def through_json(document):
    return json.loads(json.dumps(document))


def traded_sim(**limits):
    """Two API accounts trading with each other a dozen times on a tiny retention."""
    sim = build_simulator(small(quiet_config(), **limits), clock=SimClock(frozen_at_ms=T0))
    control = Control(sim)
    maker = control.create_account(name="maker", balances={"USDT": "1000000", "BTC": "100"})["id"]
    taker = control.create_account(name="taker", balances={"USDT": "1000000", "BTC": "100"})["id"]
    for _ in range(12):
        control.place_order(account_id=maker, symbol="BTCUSDT", side="SELL", type="LIMIT", quantity="0.01",
                            price="60000", time_in_force="GTC")
        control.place_order(account_id=taker, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
        sim.clock.advance(60_000)
    return sim, maker, taker


def test_the_config_sets_the_retention_and_refuses_nonsense():
    config = load_config()
    assert config.retention == RetentionConfig()  # the embedded default states the defaults
    document = config_to_dict(config)
    document["retention"] = {"closed_orders": 7}
    assert parse_config(document).retention == RetentionConfig(closed_orders=7)
    del document["retention"]  # optional: configs (and snapshots) written before it still load
    assert parse_config(document).retention == RetentionConfig()
    for bad in ({"closed_orders": -1}, {"kline_minutes": 0}, {"market_trades": 10**9}, {"orders": 5}):
        document["retention"] = bad
        with pytest.raises(ConfigError, match="retention"):
            parse_config(document)


def test_the_simulator_keeps_what_the_config_says():
    sim, maker, taker = traded_sim()
    engine = sim.engine
    assert len(engine.accounts[maker].closed) == 2 and len(engine.accounts[taker].closed) == 2
    assert len(engine.accounts[taker].trades["BTCUSDT"]) == 3
    assert len(engine.market["BTCUSDT"].trades) == 4 and len(engine.market["BTCUSDT"].klines) == 5
    assert len(sim.recent_events) == 50
    assert audit(engine) == []


def test_a_snapshot_keeps_the_orders_that_kept_trades_still_name():
    sim, maker, taker = traded_sim(closed_orders=1, account_trades=5)
    document = through_json(sim.snapshot())
    past = {item["order_id"] for item in document["engine"]["past_orders"]}
    kept = {item["order_id"] for item in document["engine"]["orders"]}
    named = {t[side] for t in document["engine"]["trades"] for side in ("buyer", "seller")}
    assert past and not past & kept and named <= past | kept
    restored = load(document, build_simulator)
    assert audit(restored.engine) == []
    assert through_json(restored.snapshot()) == document
    trades = restored.engine.accounts[taker].trades["BTCUSDT"]
    assert [o.order_id for _, o in trades][:4] == [t.buyer.order_id for t, _ in trades][:4]
    assert all(o.order_id not in restored.engine.orders for _, o in list(trades)[:4])


def test_a_smaller_retention_applies_when_a_snapshot_is_restored():
    sim, maker, taker = traded_sim(closed_orders=10, account_trades=10)
    document = through_json(sim.snapshot())
    assert len(document["engine"]["accounts"][taker - 1]["closed"]) == 10
    document["config"]["retention"]["closed_orders"] = 2
    document["config"]["retention"]["account_trades"] = 1
    restored = load(document, build_simulator).engine
    assert len(restored.accounts[taker].closed) == 2 and len(restored.accounts[taker].trades["BTCUSDT"]) == 1
    assert audit(restored) == []


def test_a_snapshot_from_before_bounded_history_still_loads_and_is_bounded():
    sim, maker, taker = traded_sim(closed_orders=10)
    document = through_json(sim.snapshot())
    engine_state = document["engine"]
    for item in engine_state["accounts"]:
        del item["closed"], item["keeps_history"]
    engine_state["orders"] += engine_state.pop("past_orders")  # every order was kept then
    del document["config"]["retention"]  # the defaults apply
    restored = load(document, build_simulator).engine
    assert audit(restored) == []
    assert [o.order_id for o in restored.accounts[taker].closed] == \
        [o.order_id for o in sim.engine.accounts[taker].closed]


def test_the_market_makers_finished_orders_are_never_kept():
    sim = build_simulator(load_config(), clock=SimClock(frozen_at_ms=T0))
    mm = sim.market_maker
    house = [mm.account_id, *mm.counterparties]
    for _ in range(600):  # 10 simulated minutes: hundreds of quotes replaced, a few hundred trades
        sim.clock.advance(1000)
        sim.tick()
    engine = sim.engine
    assert engine.next_order_id > 1000
    assert all(o.is_open for o in engine.orders.values())  # only its live quotes: nobody else traded
    for account_id in house:
        account = engine.accounts[account_id]
        assert not account.closed and not account.keeps_history
        assert all(not history for history in account.trades.values())
    assert len(engine.orders) <= 2 * 2 * sim.config.market_maker.levels
    assert audit(engine) == []
    restored = load(through_json(sim.snapshot()), build_simulator)  # quotes of forgotten orders load too
    assert audit(restored.engine) == []
    restored.clock.advance(1000)
    restored.tick()


def test_stats_report_what_is_held_against_the_retention():
    sim, maker, taker = traded_sim()
    stats = Control(sim).stats()
    engine = sim.engine
    assert stats["orders"] == len(engine.orders) == stats["openOrders"] + stats["closedOrders"]
    assert stats["closedOrders"] == 4 and stats["openOrders"] == 0
    assert stats["accountTrades"] == 6 and stats["marketTrades"] == 4 and stats["klines"] == 5
    assert stats["recentEvents"] == 50 and stats["nextOrderId"] == 25
    assert stats["retention"]["closed_orders"] == 2
    json.dumps(stats)
