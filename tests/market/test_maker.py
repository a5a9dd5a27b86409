"""The background market: a seeded ladder around a random-walk index, refilled, with counterparty trades."""
from __future__ import annotations

import hashlib
import json

from simulator.clock import SimClock
from simulator.config import load_config
from simulator.core import Simulator
from simulator.engine.audit import audit
from simulator.engine.order import BUY, MARKET

START = 1_700_000_000_000


def run_market(seed: int, ticks: int = 60, step_ms: int = 250) -> tuple[Simulator, str]:
    """A default simulator on a frozen clock, ticked `ticks` times; and the hash of every event it emitted."""
    sim = Simulator(load_config(), seed=seed, clock=SimClock(frozen_at_ms=START))
    log = hashlib.sha256()
    sim.engine.subscribe(lambda event: log.update(json.dumps(event.as_dict(), sort_keys=True).encode()))
    for _ in range(ticks):
        sim.clock.advance(step_ms)
        sim.market_maker.tick(sim.clock.now_ms())
    return sim, log.hexdigest()


def test_a_fresh_market_has_a_ladder_on_both_sides_around_the_index():
    sim, _ = run_market(seed=1, ticks=1)
    maker = sim.market_maker
    for symbol in ("BTCUSDT", "ETHUSDT"):
        _, bids, asks = sim.engine.depth(symbol, 100)
        index = maker.index.prices[symbol]
        assert len(bids) == len(asks) == maker.config.levels
        assert all(price < index for price, _ in bids) and all(price > index for price, _ in asks)
        assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert audit(sim.engine) == []


def test_counterparties_trade_so_there_are_trades_tickers_and_klines():
    sim, _ = run_market(seed=1, ticks=40)
    market = sim.engine.market["BTCUSDT"]
    assert len(market.trades) >= 3
    assert market.klines and market.klines[-1].count >= 1
    stats = market.stats_24h(sim.clock.now_ms())
    assert stats.count == len(market.trades) and stats.volume > 0 and stats.high >= stats.low > 0
    takers = {t.buyer.account_id if not t.buyer_is_maker else t.seller.account_id for t in market.trades}
    assert takers <= set(sim.market_maker.counterparties)
    assert audit(sim.engine) == []


def test_the_same_seed_gives_the_same_market_and_another_seed_another():
    _, first = run_market(seed=7)
    _, again = run_market(seed=7)
    _, other = run_market(seed=8)
    assert first == again != other


def test_the_index_walks_and_the_ladder_follows_it():
    sim, _ = run_market(seed=3, ticks=1)
    maker = sim.market_maker
    before = maker.index.prices["BTCUSDT"]
    for _ in range(20):
        sim.clock.advance(maker.config.refill_ms)
        maker.tick(sim.clock.now_ms())
    after = maker.index.prices["BTCUSDT"]
    assert after != before
    _, bids, asks = sim.engine.depth("BTCUSDT", 1)
    assert bids[0][0] < after < asks[0][0]


def test_taken_liquidity_is_refilled_at_the_next_requote():
    sim, _ = run_market(seed=5, ticks=1)
    maker = sim.market_maker
    maker.index.walking["BTCUSDT"] = False  # hold the index so only the refill changes the book
    _, _, asks_before = sim.engine.depth("BTCUSDT", 100)
    taker = sim.create_account("taker", balances={"USDT": "10000000"}).account_id
    inst = sim.engine.instruments["BTCUSDT"]
    sim.engine.place_order(taker, "BTCUSDT", BUY, MARKET, qty=asks_before[0][1] + asks_before[1][1])
    assert sim.engine.depth("BTCUSDT", 100)[2][0][0] == asks_before[2][0]  # two levels gone
    sim.clock.advance(maker.config.refill_ms)
    maker.tick(sim.clock.now_ms())
    assert sim.engine.depth("BTCUSDT", 100)[2][:len(asks_before)] == asks_before
    assert inst.symbol == "BTCUSDT" and audit(sim.engine) == []


def test_a_halted_symbol_is_left_alone():
    sim, _ = run_market(seed=2, ticks=1)
    sim.engine.set_symbol_status("ETHUSDT", "HALT")
    seq = sim.engine.seq
    trades = len(sim.engine.market["ETHUSDT"].trades)
    for _ in range(10):
        sim.clock.advance(sim.market_maker.config.refill_ms)
        sim.market_maker.tick(sim.clock.now_ms())
    assert len(sim.engine.market["ETHUSDT"].trades) == trades
    touched = [e for e in sim.recent_events if e.seq > seq and event_symbol(e) == "ETHUSDT"]
    assert touched == []
    assert any(e.seq > seq and event_symbol(e) == "BTCUSDT" for e in sim.recent_events)


def event_symbol(event) -> str | None:
    for holder in (event, getattr(event, "order", None), getattr(event, "trade", None)):
        if holder is not None and getattr(holder, "symbol", None):
            return holder.symbol
    return None
