"""Small builders shared by the engine tests: instruments, funded accounts, an event recorder, a fingerprint.

Amounts in the tests are written as decimal strings and turned into atoms with `a()` (8 decimals, the default
precision of every asset here), so a test reads like the numbers a person would type.
"""
from __future__ import annotations

import dataclasses
import random
from decimal import Decimal

import pytest

from simulator.engine.clock import ManualClock
from simulator.engine.engine import Engine
from simulator.engine.events import Event
from simulator.engine.fees import FeeSchedule, FeeTier
from simulator.engine.instrument import InstrumentSpec, to_atoms
from simulator.engine.rejection import Reject, Rejected

START_MS = 1_700_000_000_000 - 1_700_000_000_000 % 60_000  # a minute boundary, so kline tests read simply

_DECIMAL_FIELDS = {f.name for f in dataclasses.fields(InstrumentSpec) if f.type in ("Decimal", Decimal)}


def a(text: str) -> int:
    """A decimal string as atoms (1e-8)."""
    return to_atoms(Decimal(text), 8)


def make_spec(symbol: str = "BTCUSDT", base: str = "BTC", quote: str = "USDT", **overrides) -> InstrumentSpec:
    fields = dict(
        tick_size="0.01", step_size="0.001", min_qty="0.001", max_qty="1000",
        min_price="0.01", max_price="1000000", min_notional="1", max_notional="10000000",
        market_min_qty="0.001", market_max_qty="100",
    )
    fields.update(overrides)
    for name, value in fields.items():
        if name in _DECIMAL_FIELDS and isinstance(value, str):
            fields[name] = Decimal(value)
    return InstrumentSpec(symbol=symbol, base=base, quote=quote, **fields)


ETH_SPEC = dict(symbol="ETHUSDT", base="ETH", quote="USDT", tick_size="0.01", step_size="0.0001",
                min_qty="0.0001")


def new_engine(*specs: InstrumentSpec, seed: int = 1, tiers: list[FeeTier] | None = None,
               start_ms: int = START_MS) -> tuple[Engine, ManualClock]:
    clock = ManualClock(start_ms)
    fees = FeeSchedule(tiers or [FeeTier.of("0.001", "0.001")])
    engine = Engine(clock, random.Random(seed), fees, instruments=specs or (make_spec(),))
    return engine, clock


def funded(engine: Engine, fee_tier: int = 0, **balances: str) -> int:
    """A new account holding the given balances (asset=decimal string); returns its id."""
    account = engine.open_account(fee_tier=fee_tier)
    for asset, amount in balances.items():
        engine.deposit(account.account_id, asset, a(amount))
    return account.account_id


def limit(engine: Engine, account_id: int, side: str, price: str, qty: str, tif: str = "GTC",
          symbol: str = "BTCUSDT", **kwargs):
    return engine.place_order(account_id, symbol, side, "LIMIT", qty=a(qty), price=a(price), tif=tif, **kwargs)


def free(engine: Engine, account_id: int, asset: str) -> int:
    return engine.accounts[account_id].free(asset)


def locked(engine: Engine, account_id: int, asset: str) -> int:
    return engine.accounts[account_id].locked(asset)


class Recorder:
    """Collects every event the engine emits."""

    def __init__(self, engine: Engine):
        self.events: list[Event] = []
        engine.subscribe(self.events.append)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]

    def clear(self) -> None:
        self.events.clear()


def rejects(reason: Reject, fn, *args, **kwargs) -> Rejected:
    with pytest.raises(Rejected) as info:
        fn(*args, **kwargs)
    assert info.value.reason is reason, f"expected {reason}, got {info.value.reason}"
    return info.value


def fingerprint(engine: Engine) -> str:
    """Everything an operation could change, except the event sequence (a rejected placement emits one)."""
    accounts = {}
    for account_id, acc in engine.accounts.items():
        accounts[account_id] = (
            acc.fee_tier, acc.update_time, sorted(acc.balances.items()), list(acc.open_orders),
            sorted((cid, o.order_id) for cid, o in acc.client_ids.items()), sorted(acc.open_count.items()),
            {s: [o.order_id for o in orders] for s, orders in sorted(acc.orders.items())},
            {s: [(t.trade_id, o.order_id) for t, o in trades] for s, trades in sorted(acc.trades.items())},
        )
    books = {}
    for symbol, book in engine.books.items():
        sides = []
        for side in (book.bids, book.asks):
            sides.append([(lvl.price, lvl.qty, list(lvl.orders)) for lvl in side.levels.values()])
        books[symbol] = (book.update_id, sides, list(book.stops))
    market = {}
    for symbol, md in engine.market.items():
        market[symbol] = ([t.trade_id for t in md.trades], [k.state() for k in md.klines],
                          [g.state() for g in md.agg_trades], md.next_agg_id)
    state = dict(
        accounts=accounts,
        orders=[o.state() for o in engine.orders.values()],
        books=books, market=market,
        ledger=(sorted(engine.deposits.items()), sorted(engine.withdrawals.items()),
                sorted(engine.fees_collected.items())),
        ids=(engine.next_order_id, engine.next_account_id, sorted(engine.next_trade_id.items()),
             sorted(engine.next_prevented_match_id.items())),
        status=[(s, i.status) for s, i in engine.instruments.items()],
        rng=engine.rng.getstate(),
    )
    return repr(state)
