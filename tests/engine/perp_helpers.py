"""Builders for the futures engine tests: a perpetual, funded futures accounts, an index, orders in decimals."""
from __future__ import annotations

import random
from decimal import Decimal

from simulator.engine.clock import ManualClock
from simulator.engine.perp.audit import audit_perp
from simulator.engine.perp.engine import FuturesEngine
from simulator.engine.perp.instrument import PerpSpec
from tests.engine.helpers import START_MS, a


def perp_spec(symbol: str = "BTCUSDT", **overrides) -> PerpSpec:
    fields = dict(symbol=symbol, base=symbol.removesuffix("USDT"), quote="USDT", margin_asset="USDT",
                  tick_size=Decimal("0.1"), step_size=Decimal("0.001"), min_qty=Decimal("0.001"),
                  max_qty=Decimal("1000"), min_notional=Decimal("5"), max_leverage=125,
                  maint_margin_rate=Decimal("0.004"), funding_interval_hours=8)
    fields.update(overrides)
    return PerpSpec(**fields)


def new_futures(*specs: PerpSpec, index: str | None = "50000", start_ms: int = START_MS,
                seed: int = 1) -> tuple[FuturesEngine, ManualClock]:
    clock = ManualClock(start_ms)
    engine = FuturesEngine(clock, random.Random(seed), instruments=specs or (perp_spec(),))
    if index is not None:
        for symbol in engine.instruments:
            engine.set_index(symbol, a(index))
    return engine, clock


def trader(engine: FuturesEngine, usdt: str = "100000", account_id: int | None = None) -> int:
    """A futures account holding `usdt` in its wallet; returns its id."""
    account_id = account_id or engine.next_account_id
    engine.ensure_account(account_id)
    if Decimal(usdt):
        engine.deposit(account_id, "USDT", a(usdt))
    return account_id


def limit(engine, account_id: int, side: str, price: str, qty: str, tif: str = "GTC", symbol: str = "BTCUSDT",
          **kwargs):
    return engine.place_order(account_id, symbol, side, "LIMIT", qty=a(qty), price=a(price), tif=tif, **kwargs)


def market(engine, account_id: int, side: str, qty: str, symbol: str = "BTCUSDT", **kwargs):
    return engine.place_order(account_id, symbol, side, "MARKET", qty=a(qty), **kwargs)


def holding_one_btc(side: str):
    """A fresh futures engine (last price and mark 50,000), a deep liquidity account, and an account that bought
    (`side` BUY: long) or sold (SELL: short) 1 BTC from it at 50,000: (engine, clock, liquidity, account)."""
    engine, clock = new_futures()
    liquidity, account = trader(engine, "10000000"), trader(engine)
    limit(engine, liquidity, "SELL" if side == "BUY" else "BUY", "50000", "1")
    market(engine, account, side, "1")
    return engine, clock, liquidity, account


def position(engine, account_id: int, symbol: str = "BTCUSDT", side: str = "BOTH"):
    return engine.positions.get((account_id, symbol, side))


def wallet(engine, account_id: int, asset: str = "USDT") -> int:
    return engine.balance_row(account_id, asset).wallet_balance


def assert_clean(engine) -> None:
    problems = audit_perp(engine)
    assert not problems, problems


def perp_fingerprint(engine) -> str:
    """Everything a futures operation could change, except the event sequence (a refused placement emits one)."""
    from tests.engine.helpers import fingerprint
    return repr((
        fingerprint(engine),
        sorted(p.state() for p in engine.positions.values()),
        sorted((k, s.state()) for k, s in engine.settings.items()),
        {s: p.state() for s, p in engine.prices.items()},
        {s: f.state() for s, f in engine.funding.items()},
        {k: list(rows) for k, rows in engine.income.rows.items()}, engine.income.next_tran_id,
        engine.insurance, engine.realized_total, engine.funding_total, engine.insurance_cleared,
        engine.insurance_taken,
        engine.next_liquidation, sorted(engine.margin_called),
    ))
