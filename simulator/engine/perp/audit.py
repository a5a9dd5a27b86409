"""The futures engine's invariants, checked from scratch (as engine/audit.py checks the spot engine's).

- The books: the spot audit's identity and book checks (ids under their counters, no crossed book, levels that
  match their orders).
- Money, per margin asset: wallets (free + locked + isolated) + fees collected
  == transfers in - transfers out + realized PnL + funding + shortfalls the insurance fund paid - clearance fees
  it kept; the insurance fund equals funding rests + clearance fees - shortfalls; funding paid never makes money (accounts' total <= the
  rounding of one atom per position); no cross wallet below zero.
- PnL: the accounts' realized PnL equals open long cost - open short cost (every fill's cash sums to zero), and
  each position's accumulated realized PnL adds up to the ledger's.
- Positions: long open interest equals short; the open-position index holds exactly the non-flat positions; a
  one-way account has only BOTH positions and a hedge one only LONG (>= 0) and SHORT (<= 0); no position's entry
  notional beyond its symbol's last bracket.
- Orders: each open order's margin is part of its account's locked balance, and the locked balance is exactly
  the open orders' margin.
"""
from __future__ import annotations

from simulator.engine.audit import _books, _identities
from simulator.engine.perp.order import BOTH, LONG, SHORT
from simulator.engine.perp.position import ISOLATED


def audit_perp(engine) -> list[str]:
    problems = _identities(engine)
    if problems:
        return problems
    problems += _books(engine)
    problems += _money(engine)
    problems += _pnl(engine)
    problems += _positions(engine)
    problems += _locks(engine)
    return problems


def _money(engine) -> list[str]:
    problems = []
    held: dict[str, int] = {}
    for account in engine.accounts.values():
        for asset, (free, locked) in account.balances.items():
            held[asset] = held.get(asset, 0) + free + locked
            if free + locked < 0:
                problems.append(f"account {account.account_id} {asset}: cross wallet {free + locked} below zero")
            if locked < 0:
                problems.append(f"account {account.account_id} {asset}: negative locked margin {locked}")
    for position in engine.positions.values():
        if position.margin_type == ISOLATED:
            asset = engine.instruments[position.symbol].margin_asset
            held[asset] = held.get(asset, 0) + position.isolated_wallet
        elif position.isolated_wallet:
            problems.append(f"position {position.key}: cross position holds isolated margin")
    assets = set(held) | set(engine.deposits) | set(engine.insurance)
    for asset in sorted(assets):
        came_in = engine.deposits.get(asset, 0) - engine.withdrawals.get(asset, 0)
        made = engine.realized_total.get(asset, 0) + engine.funding_total.get(asset, 0) + \
            engine.insurance_cleared.get(asset, 0) - engine.insurance_taken.get(asset, 0)
        actual = held.get(asset, 0) + engine.fees_collected.get(asset, 0)
        if came_in + made != actual:
            problems.append(f"{asset} not conserved: in {came_in} + PnL/funding/insurance {made} != wallets + fees "
                            f"{actual}")
        fund = -engine.funding_total.get(asset, 0) - engine.insurance_cleared.get(asset, 0) + \
            engine.insurance_taken.get(asset, 0)
        if engine.insurance.get(asset, 0) != fund:
            problems.append(f"{asset} insurance fund {engine.insurance.get(asset, 0)} != funding rests and "
                            f"clearance fees less shortfalls paid {fund}")
        positions = sum(len(engine.open_positions[s]) for s, i in engine.instruments.items()
                        if i.margin_asset == asset)
        if engine.funding_total.get(asset, 0) > 0 and not positions:
            problems.append(f"{asset}: funding paid the accounts {engine.funding_total[asset]} in all")
    return problems


def _pnl(engine) -> list[str]:
    problems = []
    realized: dict[str, int] = {}
    basis: dict[str, int] = {}
    for position in engine.positions.values():
        asset = engine.instruments[position.symbol].margin_asset
        realized[asset] = realized.get(asset, 0) + position.realized
        signed = position.cost if position.amt > 0 else -position.cost
        basis[asset] = basis.get(asset, 0) + signed
        if position.cost < 0 or (not position.amt and position.cost):
            problems.append(f"position {position.key}: cost {position.cost} for size {position.amt}")
    for asset in sorted(set(realized) | set(engine.realized_total)):
        if realized.get(asset, 0) != engine.realized_total.get(asset, 0):
            problems.append(f"{asset}: positions realized {realized.get(asset, 0)}, the ledger "
                            f"{engine.realized_total.get(asset, 0)}")
        if engine.realized_total.get(asset, 0) != basis.get(asset, 0):
            problems.append(f"{asset}: realized PnL {engine.realized_total.get(asset, 0)} != open long cost - open "
                            f"short cost {basis.get(asset, 0)}")
    return problems


def _positions(engine) -> list[str]:
    problems = []
    for symbol, inst in engine.instruments.items():
        mine = [p for p in engine.positions.values() if p.symbol == symbol]
        if sum(p.amt for p in mine):
            problems.append(f"{symbol}: long open interest != short (net {sum(p.amt for p in mine)})")
        indexed = set(engine.open_positions[symbol])
        if indexed != {p.key for p in mine if p.amt}:
            problems.append(f"{symbol}: the open-position index does not match the positions")
        cap = inst.brackets[-1].notional_cap
        for position in mine:
            if position.cost > cap:
                problems.append(f"position {position.key}: entry notional {position.cost} beyond the last bracket")
    for position in engine.positions.values():
        dual = engine.settings_of(position.account_id).dual_side
        if not position.amt:
            continue
        if (position.side == BOTH) == dual or (position.side == LONG and position.amt < 0) or \
                (position.side == SHORT and position.amt > 0):
            problems.append(f"position {position.key}: size {position.amt} on {position.side} in "
                            f"{'hedge' if dual else 'one-way'} mode")
    return problems


def _locks(engine) -> list[str]:
    problems = []
    if {k: v for k, v in engine.closing_orders.items() if v} != engine.count_closing_orders():
        problems.append("the count of reduce-only / hedge-mode open orders per account is off")
    for account in engine.accounts.values():
        held: dict[str, int] = {}
        for order in account.open_orders.values():
            if order.locked < 0:
                problems.append(f"{order!r}: negative margin {order.locked}")
            asset = engine.instruments[order.symbol].margin_asset
            held[asset] = held.get(asset, 0) + order.locked
        for asset, (_, locked) in account.balances.items():
            if locked != held.get(asset, 0):
                problems.append(f"account {account.account_id} {asset}: locked {locked}, open orders hold "
                                f"{held.get(asset, 0)}")
    return problems
