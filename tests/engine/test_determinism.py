"""The same seed and the same operations give a byte-identical event log; another seed gives another log."""
from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

from simulator.engine.clock import ManualClock
from simulator.engine.engine import Engine
from simulator.engine.fees import FeeSchedule, FeeTier
from simulator.engine.rejection import Rejected

from tests.engine.helpers import START_MS, a, make_spec

ROOT = Path(__file__).resolve().parents[2]
MIDS = {"BTCUSDT": a("100"), "ETHUSDT": a("20")}


def run_workload(seed: int, operations: int = 3000) -> str:
    """A seeded mix of every operation; returns sha256 over the event log, one sorted-key JSON line per event."""
    ops = random.Random(seed)  # draws the operations; the engine gets its own seeded stream
    clock = ManualClock(START_MS)
    engine = Engine(clock, random.Random(seed), FeeSchedule([FeeTier.of("0.001", "0.001"),
                                                               FeeTier.of("0.0002", "0.0007")]),
                    instruments=[make_spec(), make_spec("ETHUSDT", "ETH", "USDT", step_size="0.01",
                                                        min_qty="0.01")])
    digest = hashlib.sha256()
    engine.subscribe(lambda event: digest.update(json.dumps(event.as_dict(), sort_keys=True).encode() + b"\n"))
    accounts = [engine.open_account(fee_tier=i % 2).account_id for i in range(5)]
    for account_id in accounts:
        for asset, amount in (("USDT", "50000"), ("BTC", "100"), ("ETH", "500")):
            engine.deposit(account_id, asset, a(amount))
    for _ in range(operations):
        account_id = ops.choice(accounts)
        symbol = ops.choice(("BTCUSDT", "ETHUSDT"))
        side = ops.choice(("BUY", "SELL"))
        price = MIDS[symbol] + ops.randint(-20, 20) * a("0.05")
        qty = ops.randint(1, 40) * a("0.01")
        last = engine.market[symbol].last_price or MIDS[symbol]
        roll = ops.random()
        try:
            if roll < 0.45:
                engine.place_order(account_id, symbol, side, "LIMIT", qty=qty, price=price,
                                   tif=ops.choice(("GTC", "GTC", "IOC", "FOK")),
                                   stp=ops.choice((None, "NONE", "EXPIRE_TAKER", "EXPIRE_BOTH")))
            elif roll < 0.52:
                engine.place_order(account_id, symbol, side, "MARKET", qty=qty)
            elif roll < 0.56:
                engine.place_order(account_id, symbol, side, "MARKET", quote_qty=ops.randint(2, 50) * a("1"))
            elif roll < 0.60:
                engine.place_order(account_id, symbol, side, "LIMIT_MAKER", qty=qty, price=price)
            elif roll < 0.68:
                kind = ops.choice(("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"))
                extra = dict(price=price, tif="GTC") if kind.endswith("LIMIT") else {}
                engine.place_order(account_id, symbol, side, kind, qty=qty,
                                   stop_price=last + ops.randint(-5, 5) * a("0.05"), **extra)
            elif roll < 0.92:
                orders = engine.open_orders(account_id, symbol)
                if orders:
                    order = ops.choice(orders)
                    if roll < 0.85:
                        engine.cancel_order(account_id, symbol, order_id=order.order_id)
                    else:
                        engine.amend_order(account_id, symbol, order.executed + (order.remaining // 2 // 10**6)
                                           * 10**6, order_id=order.order_id)
            elif roll < 0.94:
                engine.cancel_all(account_id, symbol)
            elif roll < 0.97:
                engine.withdraw(account_id, "USDT", ops.randint(1, 100) * a("1"))
            else:
                engine.deposit(account_id, ops.choice(("USDT", "BTC", "ETH")), ops.randint(1, 100) * a("1"))
        except Rejected:
            pass
        clock.advance(ops.randint(0, 3000))
    return digest.hexdigest()


def test_same_seed_same_event_log():
    assert run_workload(7) == run_workload(7)


def test_different_seed_different_event_log():
    assert run_workload(7) != run_workload(8)


def test_event_log_does_not_depend_on_hash_randomisation():
    """A fresh interpreter with another PYTHONHASHSEED produces the same log: no set or hash order leaks in."""
    code = "from tests.engine.test_determinism import run_workload; print(run_workload(7))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == run_workload(7)
