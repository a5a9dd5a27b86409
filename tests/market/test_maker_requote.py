"""The maker moves its ladder without ever emptying a side of the book or crossing it: after every engine
operation (each one publishes a book ticker) both sides of every quoted book have a level, best bid below best
ask; through the random walk, through index jumps wider than the whole ladder, and with its quotes taken."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.clock import SimClock
from simulator.config import load_config
from simulator.core import Simulator
from simulator.engine.audit import audit

START = 1_700_000_000_000


def market(seed: int) -> Simulator:
    sim = Simulator(load_config(), seed=seed, clock=SimClock(frozen_at_ms=START))
    sim.tick()  # the first ladder: the book starts empty, so that requote alone may show one side
    return sim


def watch_tops(sim: Simulator) -> list[str]:
    """Record, after every engine operation from now on, each book that lacks a side or crosses."""
    problems: list[str] = []
    engine = sim.engine

    def check(*_) -> None:
        for symbol in sim.market_maker.symbols:
            book = engine.books[symbol]
            bid, ask = book.bids.best_price(), book.asks.best_price()
            if bid is None or ask is None or bid >= ask:
                problems.append(f"seq {engine.seq} {symbol}: bid {bid} ask {ask}")

    engine.subscribe_operation_end(check)
    return problems


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_random_walk_never_shows_an_empty_or_crossed_top(seed):
    sim = market(seed)
    problems = watch_tops(sim)
    seq = sim.engine.seq
    for _ in range(200):
        sim.clock.advance(250)
        sim.tick()
    assert sim.engine.seq - seq > 1000  # it did requote (and trade) a lot
    assert problems == []
    assert audit(sim.engine) == []


@pytest.mark.parametrize("factor", ["1.5", "0.6", "1.0001", "0.9999"])
def test_an_index_jump_wider_than_the_ladder_keeps_both_sides(factor):
    sim = market(7)
    problems = watch_tops(sim)
    maker = sim.market_maker
    for symbol in maker.symbols:
        inst = sim.engine.instruments[symbol]
        price = maker.index.prices[symbol] * Decimal(factor)
        maker.index.set(symbol, int(price) - int(price) % inst.tick)
        maker.requote(symbol)
        wanted = set(maker.ladder(symbol))
        assert set(maker.quotes[symbol]) == wanted  # the whole new ladder, nothing of the old one
        _, bids, asks = sim.engine.depth(symbol, 100)
        assert len(bids) == len(asks) == maker.config.levels
    assert problems == []
    assert audit(sim.engine) == []
