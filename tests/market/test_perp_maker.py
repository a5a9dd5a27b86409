"""The market maker on the perpetual books: one index drives both markets, both books stay quoted, and the
futures engine's books add up while the maker and its counterparties trade the perpetuals for a while."""
from __future__ import annotations

from simulator.clock import SimClock
from simulator.control.api import Control
from simulator.engine.perp.audit import audit_perp
from simulator.server import build_simulator

T0 = 1_700_000_000_000


def test_both_markets_follow_one_index_and_the_futures_books_add_up():
    sim = build_simulator(clock=SimClock(frozen_at_ms=T0))
    for _ in range(400):  # 200 s of market: walks, requotes, counterparty trades on both markets
        sim.clock.advance(500)
        sim.tick()
    problems = audit_perp(sim.futures)
    assert not problems, problems
    futures, spot = sim.futures, sim.engine
    assert futures.market["BTCUSDT"].trades and futures.open_interest("BTCUSDT") > 0
    index = sim.market_maker.index.prices["BTCUSDT"]
    assert futures.index("BTCUSDT") == index
    for engine in (spot, futures):
        bid, ask = engine.books["BTCUSDT"].bids.best_price(), engine.books["BTCUSDT"].asks.best_price()
        assert bid < index < ask and (ask - bid) * 1000 < index  # quoted tightly around the one index
    assert Control(sim).audit()["ok"]
