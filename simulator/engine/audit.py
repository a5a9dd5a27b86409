"""The engine's invariants, checked from scratch against its state.

Property tests run this after every step; the control plane exposes it so a person can ask a live simulator
whether its books still add up. It returns the violations it finds (an empty list means all hold).
"""
from __future__ import annotations

from simulator.engine.engine import Engine
from simulator.engine.order import FINAL_STATUSES, LIMIT_PRICED


def audit(engine: Engine) -> list[str]:
    problems: list[str] = []
    problems += _conservation(engine)
    problems += _books(engine)
    problems += _orders_and_locks(engine)
    return problems


def _conservation(engine: Engine) -> list[str]:
    """deposits - withdrawals == free + locked + fees collected, per asset; nothing negative."""
    held: dict[str, int] = {}
    problems = []
    for account in engine.accounts.values():
        for asset, (free, locked) in account.balances.items():
            if free < 0 or locked < 0:
                problems.append(f"account {account.account_id} {asset}: negative balance {free}/{locked}")
            held[asset] = held.get(asset, 0) + free + locked
    assets = set(held) | set(engine.deposits) | set(engine.fees_collected)
    for asset in sorted(assets):
        expected = engine.deposits.get(asset, 0) - engine.withdrawals.get(asset, 0)
        actual = held.get(asset, 0) + engine.fees_collected.get(asset, 0)
        if expected != actual:
            problems.append(f"{asset} not conserved: in {expected}, held + fees {actual}")
    return problems


def _books(engine: Engine) -> list[str]:
    problems = []
    for symbol, book in engine.books.items():
        if book.is_crossed():
            problems.append(f"{symbol}: resting book crossed")
        for side in (book.bids, book.asks):
            for level in side.levels.values():
                shown = sum(o.remaining for o in level.orders.values())
                if not level.orders or shown != level.qty:
                    problems.append(f"{symbol} level {level.price}: qty {level.qty} but orders show {shown}")
                for order in level.orders.values():
                    if order.status in FINAL_STATUSES or order.price != level.price:
                        problems.append(f"{symbol}: {order!r} should not rest at {level.price}")
    return problems


def _orders_and_locks(engine: Engine) -> list[str]:
    """executed <= qty everywhere; each account's locked balance is exactly what its open orders hold."""
    problems = []
    for order in engine.orders.values():
        if not 0 <= order.executed <= order.qty:
            problems.append(f"{order!r}: executed outside [0, qty]")
        if order.status in FINAL_STATUSES and order.locked:
            problems.append(f"{order!r}: final but still holds {order.locked}")
    for account in engine.accounts.values():
        held: dict[str, int] = {}
        for order in account.open_orders.values():
            inst = engine.instruments[order.symbol]
            asset = inst.quote if order.is_buy else inst.base
            held[asset] = held.get(asset, 0) + order.locked
            if order.is_buy and order.type in LIMIT_PRICED:
                need = inst.notional(order.price, order.remaining)
            elif order.is_buy:
                need = inst.notional(order.stop_price, order.remaining)
            else:
                need = order.remaining
            if order.locked != need:
                problems.append(f"{order!r}: locks {order.locked}, needs {need}")
        for asset, (_, locked) in account.balances.items():
            if locked != held.get(asset, 0):
                problems.append(f"account {account.account_id} {asset}: locked {locked}, orders hold "
                                f"{held.get(asset, 0)}")
    return problems
