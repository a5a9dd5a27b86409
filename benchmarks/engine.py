"""Matching-engine benchmark: throughput, per-operation latency and memory per resting order.

Replays a seeded workload through the engine's public API with accounting and events on (one listener
subscribed, counting events): by default 200,000 operations over 2 symbols and 100 accounts, 60 % GTC limit
orders near the mid (some crossing), 25 % cancels of resting orders, 10 % market orders and 5 % IOC orders.
The operation list is generated (prices and quantities already in atoms) before the clock starts.

Then, in a fresh engine, it places `--resting` non-crossing orders spread over many accounts and price levels and
measures the growth of the process's resident set (/proc/self/statm), scaled to MB per million resting orders.

Prints one JSON line:
  ops_per_s            operations / wall time of the whole replay loop (engine calls + the loop's bookkeeping)
  engine_ops_per_s     operations / the sum of the timed engine calls alone
  cpu_ops_per_s        operations / the process CPU time of the replay loop (less sensitive to a busy machine)
  p50_us, p99_us       per-operation latency of the engine call (time.perf_counter_ns around each call)
  rss_mb_per_million_resting

With `--perp` it also replays the same workload on the perpetuals' futures engine (initial margin checked on
every placement, positions, PnL and USD-M fees on every fill, the index moved every 100 operations so the mark,
its conditional orders and the liquidation check follow) and times one funding settlement over 10,000 open
positions, adding:
  perp_ops_per_s, perp_engine_ops_per_s, perp_cpu_ops_per_s, perp_p50_us, perp_p99_us
  perp_vs_spot          perp_cpu_ops_per_s / cpu_ops_per_s of this same run (target >= 0.6)
  settle_ms             one settlement over settle_positions positions, wall time (target < 100)
  settle_cpu_ms         the same in process CPU time (less sensitive to a busy machine)

Usage: python benchmarks/engine.py [--ops N] [--resting N] [--seed S] [--quick] [--perp]
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.engine.clock import ManualClock  # noqa: E402
from simulator.engine.engine import Engine  # noqa: E402
from simulator.engine.fees import FeeSchedule, FeeTier  # noqa: E402
from simulator.engine.instrument import InstrumentSpec  # noqa: E402
from simulator.engine.rejection import Rejected  # noqa: E402
from _harness import summary  # noqa: E402  (this script's directory leads sys.path)
import _perp  # noqa: E402

OPS, RESTING = 200_000, 1_000_000
QUICK_OPS, QUICK_RESTING = 3_000, 3_000
UNIT = 10**8  # atoms per whole unit (8 decimals)
LIMIT, CANCEL, MARKET, IOC, MARK = 0, 1, 2, 3, 4


def specs() -> list[InstrumentSpec]:
    # The filters of fixtures/default.yaml (percent-price band on, so every limit order computes the average
    # price), except maxNumOrders: 100 accounts hold a book of tens of thousands of orders here.
    common = dict(min_price=Decimal("0.01"), max_price=Decimal("1000000"), max_qty=Decimal("9000"),
                  max_notional=Decimal("9000000"), bid_multiplier_up=Decimal("5"), bid_multiplier_down=Decimal("0.2"),
                  ask_multiplier_up=Decimal("5"), ask_multiplier_down=Decimal("0.2"), max_num_orders=10**9)
    return [
        InstrumentSpec("BTCUSDT", "BTC", "USDT", tick_size=Decimal("0.01"), step_size=Decimal("0.00001"),
                       min_qty=Decimal("0.00001"), min_notional=Decimal("5"), **common),
        InstrumentSpec("ETHUSDT", "ETH", "USDT", tick_size=Decimal("0.01"), step_size=Decimal("0.0001"),
                       min_qty=Decimal("0.0001"), min_notional=Decimal("5"), **common),
    ]


# symbol -> (mid price, tick, quantity lot used by the workload); all in atoms
MARKETS = {
    "BTCUSDT": (30_000 * UNIT, UNIT // 100, UNIT // 1000),  # lots of 0.001 BTC (30 USDT)
    "ETHUSDT": (2_000 * UNIT, UNIT // 100, UNIT // 100),  # lots of 0.01 ETH (20 USDT)
}


def new_engine(seed: int, accounts: int) -> tuple[Engine, list[int]]:
    engine = Engine(ManualClock(), random.Random(seed), FeeSchedule([FeeTier.of("0.001", "0.001")]),
                    instruments=specs())
    ids = []
    for _ in range(accounts):
        account_id = engine.open_account().account_id
        for asset in ("USDT", "BTC", "ETH"):
            engine.deposit(account_id, asset, 10**12 * UNIT)
        ids.append(account_id)
    return engine, ids


def generate(seed: int, n: int, accounts: list[int]) -> list[tuple]:
    """(kind, account, symbol, side, price, qty, pick) per operation, all decided before timing starts."""
    rng = random.Random(seed)
    symbols = list(MARKETS)
    ops = []
    for _ in range(n):
        roll = rng.random()
        symbol = symbols[rng.random() < 0.5]
        mid, tick, lot = MARKETS[symbol]
        side = "BUY" if rng.random() < 0.5 else "SELL"
        sign = -1 if side == "BUY" else 1  # away from the mid on the order's own side
        account = accounts[rng.randrange(len(accounts))]
        if roll < 0.60:
            # mostly 1..50 ticks behind the mid on its own side; one in ten reaches 0..5 ticks across it
            ticks = rng.randint(1, 50) if rng.random() >= 0.10 else -rng.randint(0, 5)
            ops.append((LIMIT, account, symbol, side, mid + sign * ticks * tick, rng.randint(1, 10) * lot, 0))
        elif roll < 0.85:
            ops.append((CANCEL, 0, "", "", 0, 0, rng.getrandbits(30)))
        elif roll < 0.95:
            ops.append((MARKET, account, symbol, side, 0, rng.randint(1, 5) * lot, 0))
        else:
            ops.append((IOC, account, symbol, side, mid - sign * rng.randint(0, 3) * tick,
                        rng.randint(1, 10) * lot, 0))
    return ops


def replay(engine: Engine, ops: list[tuple]) -> dict:
    """Run the operations, one engine millisecond apart (so klines and the average price move as they would)."""
    place, cancel = engine.place_order, engine.cancel_order
    set_index = getattr(engine, "set_index", None)  # the futures engine's index moves (--perp)
    tick = engine.clock.advance
    clock = time.perf_counter_ns
    live: list = []  # orders that rested when placed: what cancels choose from
    latencies = []
    record = latencies.append
    rejected = skipped = 0
    gc.collect()
    cpu_start = time.process_time_ns()
    start = clock()
    for kind, account, symbol, side, price, qty, pick in ops:
        tick(1)
        try:
            if kind == LIMIT:
                t0 = clock()
                order = place(account, symbol, side, "LIMIT", qty=qty, price=price, tif="GTC").order
                record(clock() - t0)
                if order.working_time >= 0 and order.status in ("NEW", "PARTIALLY_FILLED"):
                    live.append(order)
            elif kind == CANCEL:
                order = None
                while live:  # a random resting order; those filled since they rested are dropped on the way
                    j = pick % len(live)
                    candidate = live[j]
                    live[j] = live[-1]
                    live.pop()
                    if candidate.status in ("NEW", "PARTIALLY_FILLED"):
                        order = candidate
                        break
                if order is None:
                    skipped += 1
                    continue
                t0 = clock()
                cancel(order.account_id, order.symbol, order.order_id)
                record(clock() - t0)
            elif kind == MARKET:
                t0 = clock()
                place(account, symbol, side, "MARKET", qty=qty)
                record(clock() - t0)
            elif kind == MARK:
                t0 = clock()
                set_index(symbol, price)
                record(clock() - t0)
            else:
                t0 = clock()
                place(account, symbol, side, "LIMIT", qty=qty, price=price, tif="IOC")
                record(clock() - t0)
        except Rejected:
            record(clock() - t0)
            rejected += 1
    wall = clock() - start
    cpu = time.process_time_ns() - cpu_start
    timed = sorted(latencies)  # every engine call made (a cancel with nothing left to cancel makes none)
    n, k = len(ops), len(timed)
    return dict(
        ops=n, ops_per_s=round(n / (wall / 1e9)), engine_ops_per_s=round(k / (sum(timed) / 1e9)),
        cpu_ops_per_s=round(n / (cpu / 1e9)),
        p50_us=round(timed[k // 2] / 1000, 2), p99_us=round(timed[min(k - 1, k * 99 // 100)] / 1000, 2),
        max_us=round(timed[-1] / 1000, 1), rejected=rejected, cancels_without_target=skipped,
        resting_after=len(live),
    )


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_per_million_resting(seed: int, resting: int) -> float:
    """RSS growth of an engine that takes `resting` non-crossing orders (1000 accounts, 2 x 2 x 2000 levels)."""
    engine, accounts = new_engine(seed, 1000)
    count = [0]

    def listener(event):
        count[0] += 1

    engine.subscribe(listener)
    rng = random.Random(seed)
    symbols = list(MARKETS)
    gc.collect()
    before = rss_bytes()
    place = engine.place_order
    for i in range(resting):
        symbol = symbols[i & 1]
        mid, tick, lot = MARKETS[symbol]
        ticks = 1 + rng.randrange(2000)
        if i & 2:
            place(accounts[i % 1000], symbol, "BUY", "LIMIT", qty=rng.randint(1, 10) * lot, price=mid - ticks * tick,
                  tif="GTC")
        else:
            place(accounts[i % 1000], symbol, "SELL", "LIMIT", qty=rng.randint(1, 10) * lot,
                  price=mid + ticks * tick, tif="GTC")
    gc.collect()
    after = rss_bytes()
    resting_now = sum(len(level.orders) for book in engine.books.values()
                      for side in (book.bids, book.asks) for level in side.levels.values())
    assert resting_now == resting, (resting_now, resting)
    return (after - before) / resting * 1e6 / 2**20


def perp_figures(args, ops: list[tuple], spot: dict) -> dict:
    """The same operations on the futures engine, then one funding settlement (benchmarks/_perp.py)."""
    mids = {symbol: mid for symbol, (mid, _, _) in MARKETS.items()}
    engine, accounts = _perp.new_engine(args.seed, 100, mids)
    events = [0]

    def count(event):
        events[0] += 1

    engine.subscribe(count)
    perp_ops = _perp.with_mark_moves(ops, args.seed, mids, MARK)
    print(f"[bench] engine: replaying {len(perp_ops)} operations on perpetuals", file=sys.stderr, flush=True)
    figures = {f"perp_{key}": value for key, value in replay(engine, perp_ops).items()}
    figures["perp_events"] = events[0]
    figures["perp_vs_spot"] = round(figures["perp_cpu_ops_per_s"] / spot["cpu_ops_per_s"], 2)
    del engine
    gc.collect()
    print("[bench] engine: one funding settlement", file=sys.stderr, flush=True)
    figures.update(_perp.settlement(args.seed, 200 if args.quick else _perp.SETTLE_POSITIONS))
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=summary(__doc__))
    parser.add_argument("--ops", type=int, help=f"operations replayed (default {OPS:,}; {QUICK_OPS:,} with --quick)")
    parser.add_argument("--resting", type=int,
                        help=f"resting orders for the memory figure (default {RESTING:,}; {QUICK_RESTING:,} with --quick)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the workload (default 42)")
    parser.add_argument("--quick", action="store_true", help="a tiny run, as every benchmark takes (a smoke test)")
    parser.add_argument("--perp", action="store_true",
                        help="also the perpetuals: the workload with margin and mark moves, and a funding settlement")
    args = parser.parse_args(argv)
    args.ops = args.ops or (QUICK_OPS if args.quick else OPS)
    args.resting = args.resting or (QUICK_RESTING if args.quick else RESTING)

    engine, accounts = new_engine(args.seed, 100)
    events = [0]

    def count(event):
        events[0] += 1

    engine.subscribe(count)
    ops = generate(args.seed, args.ops, accounts)
    print(f"[bench] engine: replaying {args.ops} operations", file=sys.stderr, flush=True)
    figures = replay(engine, ops)
    figures["events"] = events[0]
    del engine
    gc.collect()
    if args.perp:
        figures.update(perp_figures(args, ops, figures))
    del ops
    gc.collect()
    figures["resting"] = args.resting
    print(f"[bench] engine: {figures['ops_per_s']} ops/s; measuring {args.resting} resting orders",
          file=sys.stderr, flush=True)
    figures["rss_mb_per_million_resting"] = round(memory_per_million_resting(args.seed, args.resting), 1)
    figures["python"] = platform.python_version()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
