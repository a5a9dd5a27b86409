"""The perpetual side of benchmarks/engine.py (`--perp`): the same seeded workload on the futures engine (margin
checked on every placement, positions and PnL on every fill), with the index moved every MARK_EVERY operations
(the mark follows it: conditional and liquidation checks run), and a funding settlement over many open
positions."""
from __future__ import annotations

import gc
import random
import time
from decimal import Decimal

from simulator.engine.clock import ManualClock
from simulator.engine.perp.engine import FuturesEngine
from simulator.engine.perp.instrument import PerpSpec

UNIT = 10**8
MARK_EVERY = 100  # operations between two index moves
SETTLE_POSITIONS = 10_000


def specs() -> list[PerpSpec]:
    """The spot benchmark's grid (tick 0.01; BTC lots of 0.00001, ETH of 0.0001), as perpetuals."""
    common = dict(quote="USDT", margin_asset="USDT", tick_size=Decimal("0.01"), max_qty=Decimal("9000"),
                  min_notional=Decimal("5"), maint_margin_rate=Decimal("0.004"), max_num_orders=10**9)
    return [PerpSpec("BTCUSDT", "BTC", step_size=Decimal("0.00001"), min_qty=Decimal("0.00001"), max_leverage=125,
                     **common),
            PerpSpec("ETHUSDT", "ETH", step_size=Decimal("0.0001"), min_qty=Decimal("0.0001"), max_leverage=100,
                     **common)]


def new_engine(seed: int, accounts: int, mids: dict[str, int]) -> tuple[FuturesEngine, list[int]]:
    engine = FuturesEngine(ManualClock(), random.Random(seed), instruments=specs())
    for symbol, mid in mids.items():
        engine.set_index(symbol, mid)
    ids = []
    for account_id in range(1, accounts + 1):
        engine.ensure_account(account_id)
        engine.deposit(account_id, "USDT", 10**9 * UNIT)
        ids.append(account_id)
    return engine, ids


def with_mark_moves(ops: list[tuple], seed: int, mids: dict[str, int], mark_kind: int) -> list[tuple]:
    """The workload with an index move every MARK_EVERY operations: a random walk of a few ticks per symbol."""
    rng = random.Random(f"{seed}:marks")
    prices = dict(mids)
    symbols = sorted(mids)
    out = []
    for i, op in enumerate(ops):
        if i % MARK_EVERY == MARK_EVERY - 1:
            symbol = symbols[rng.random() < 0.5]
            prices[symbol] += rng.randint(-3, 3) * UNIT // 100
            out.append((mark_kind, 0, symbol, "", prices[symbol], 0, 0))
        out.append(op)
    return out


def settlement(seed: int, positions: int = SETTLE_POSITIONS) -> dict:
    """Time one funding settlement of one symbol over `positions` open positions (half long, half short, each
    its own account), with a listener on (counting events)."""
    mid = 30_000 * UNIT
    engine, ids = new_engine(seed, positions, {"BTCUSDT": mid})
    lot = UNIT // 1000
    for long_id, short_id in zip(ids[0::2], ids[1::2]):
        engine.place_order(short_id, "BTCUSDT", "SELL", "LIMIT", qty=lot, price=mid, tif="GTC")
        engine.place_order(long_id, "BTCUSDT", "BUY", "MARKET", qty=lot)
    assert len(engine.open_positions["BTCUSDT"]) == positions
    events = [0]

    def count(event):
        events[0] += 1

    engine.subscribe(count)
    engine.set_funding_rate("BTCUSDT", Decimal("0.0001"))
    gc.collect()
    cpu_start = time.process_time_ns()
    start = time.perf_counter_ns()
    result = engine.settle_funding("BTCUSDT")
    elapsed = time.perf_counter_ns() - start
    cpu = time.process_time_ns() - cpu_start
    done = result.settlements[0]
    return dict(settle_positions=positions, settle_ms=round(elapsed / 1e6, 1), settle_cpu_ms=round(cpu / 1e6, 1),
                settle_events=events[0], settle_payers=done.payers, settle_receivers=done.receivers)
