"""The futures engine's part of a snapshot: `"futures": {...}` beside the spot engine's.

Its books, orders, trades, accounts and market data have the spot engine's shape and are written and read by
the same code (snapshot.py's `_capture_engine` / `_load_engine`, which build PerpOrders and PerpTrades for a
futures engine); the rest is what only perpetuals have: positions, account settings, index / mark prices and
their candles, funding schedules and history, income rows, the insurance fund and the ledgers the audit checks,
force orders, the margin calls sent, the perpetual market maker's quotes, and the recent futures events. After a
restore the same operations give the same events as on the original (the tests replay both and compare).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from simulator.engine.perp.events import PerpTrade
from simulator.engine.perp.funding import FundingSchedule
from simulator.engine.perp.income import INCOME_TYPES, IncomeRecord
from simulator.engine.perp.order import PerpOrder
from simulator.engine.perp.position import MARGIN_TYPES, Position
from simulator.engine.perp.pricing import MarkPrice
from simulator.engine.perp.settings import AccountSettings
from simulator.jsonstate import expect_int, rng_from_state, rng_state
from simulator.market.perp_maker import PerpMarketMaker


def capture(sim, capture_engine: Callable, defer: Callable) -> tuple[dict[str, Any], Callable[[], None]]:
    futures = sim.futures
    engine, prepare = capture_engine(futures, defer)
    perp = getattr(sim.market_maker, "perp", None) if sim.market_maker is not None else None
    section = {
        "rng": rng_state(futures.rng),  # the futures engine's generated client ids
        "engine": engine,
        "positions": [p.state() for p in futures.positions.values()],
        "settings": [[account_id, s.state()] for account_id, s in futures.settings.items()],
        "prices": {symbol: state.state() for symbol, state in futures.prices.items()},
        "price_klines": {symbol: {kind: k.state() for kind, k in kinds.items()}
                         for symbol, kinds in futures.price_klines.items()},
        "funding": {symbol: schedule.state() for symbol, schedule in futures.funding.items()},
        "income": {"next_tran_id": futures.income.next_tran_id,
                   "rows": [[account_id, [list(r) for r in rows]] for account_id, rows in futures.income.rows.items()]},
        "insurance": dict(futures.insurance),
        "realized_total": dict(futures.realized_total),
        "funding_total": dict(futures.funding_total),
        "insurance_cleared": dict(futures.insurance_cleared),
        "insurance_taken": dict(futures.insurance_taken),
        "force_orders": [o.state() for o in futures.force_orders],
        "next_liquidation": futures.next_liquidation,
        "margin_called": sorted([list(key) for key in futures.margin_called], key=repr),
        "maker": perp.state() if perp is not None else None,
        "recent_events": None,
    }
    defer(section, "recent_events", list(sim.recent_futures_events), lambda event: event.as_dict())
    return section, prepare


def load(sim, section: Mapping[str, Any] | None, load_engine: Callable, frozen_event: Callable) -> None:
    """Replace the fresh futures engine's state by the section's (shape checked before: snapshot_shape). A
    document written before perpetuals has none: every restored account then gets an empty futures wallet,
    and the futures engine starts from its config (no account's money or orders are in it)."""
    futures = sim.futures
    if section is None:
        sim.recent_futures_events.clear()
        sim.futures = futures = sim.new_futures_engine()
        for account in sim.engine.accounts.values():
            futures.ensure_account(account.account_id, account.name, account.fee_tier, account.keeps_history)
        return
    futures.rng.setstate(rng_from_state(section["rng"]).getstate())
    load_engine(futures, section["engine"])
    futures.positions, futures.account_positions = {}, {}
    futures.open_positions = {symbol: {} for symbol in futures.instruments}
    for values in section["positions"]:
        position = Position.from_state(list(values))
        if position.symbol not in futures.instruments or position.account_id not in futures.accounts:
            raise ValueError(f"futures position {position.key}: unknown symbol or account")
        if position.margin_type not in MARGIN_TYPES or position.side not in ("BOTH", "LONG", "SHORT"):
            raise ValueError(f"futures position {position.key}: margin type / side")
        for name in ("amt", "cost", "realized", "isolated_wallet", "update_time"):
            expect_int(getattr(position, name), f"futures position {name}")
        futures.positions[position.key] = position
        futures.account_positions.setdefault(position.account_id, {})[position.key] = position
        if position.amt:
            futures.open_positions[position.symbol][position.key] = position
    futures.settings = {expect_int(account_id): AccountSettings.from_state(state)
                        for account_id, state in section["settings"]}
    for symbol in futures.instruments:
        futures.prices[symbol] = MarkPrice.from_state(list(section["prices"][symbol]))
        for kind, klines in futures.price_klines[symbol].items():
            klines.restore(section["price_klines"][symbol][kind])
        futures.funding[symbol] = FundingSchedule.from_state(section["funding"][symbol])
    income = section["income"]
    futures.income.rows.clear()
    for account_id, rows in income["rows"]:
        for row in rows:
            record = IncomeRecord(*row)
            if record.income_type not in INCOME_TYPES:
                raise ValueError(f"futures income row: type {record.income_type!r}")
            futures.income.rows.setdefault(expect_int(account_id), deque(maxlen=futures.income.kept)).append(record)
    futures.income.next_tran_id = expect_int(income["next_tran_id"])
    for name in ("insurance", "realized_total", "funding_total", "insurance_cleared", "insurance_taken"):
        setattr(futures, name, {str(asset): expect_int(amount) for asset, amount in section.get(name, {}).items()})
    futures.force_orders.clear()
    futures.force_orders.extend(_order(state) for state in section["force_orders"])
    futures.next_liquidation = expect_int(section["next_liquidation"])
    futures.closing_orders = futures.count_closing_orders()
    futures.margin_called = {tuple(key) for key in section["margin_called"]}
    if sim.market_maker is not None and section["maker"] is not None:
        PerpMarketMaker.from_state(futures, sim.market_maker, section["maker"])
    sim.recent_futures_events.clear()
    sim.recent_futures_events.extend(frozen_event(dict(e)) for e in section["recent_events"])


def trade(inst, item: Mapping[str, Any], orders: Mapping[int, Any]) -> PerpTrade:
    """A futures trade as `PerpTrade.state()` wrote it, between orders already loaded."""
    return PerpTrade(item["trade_id"], item["symbol"], item["price"], item["qty"], item["quote_qty"], item["time"],
                     orders[item["buyer"]], orders[item["seller"]], item["buyer_is_maker"], item["buyer_fee"],
                     item["seller_fee"], inst.margin_asset, item["buyer_pnl"], item["seller_pnl"])


def _order(state: Mapping[str, Any]) -> PerpOrder:
    order = PerpOrder.__new__(PerpOrder)
    for name, value in state.items():
        setattr(order, name, value)
    order.is_buy = order.side == "BUY"
    return order
