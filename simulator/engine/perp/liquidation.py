"""Liquidation and margin calls, checked whenever a mark price moves.

Cross margin uses the whole cross wallet: when an account's cross margin balance (cross wallet + cross
unrealized PnL) falls to its cross maintenance margin, all its cross positions are liquidated. An ISOLATED
position is on its own: when its isolated wallet + unrealized PnL falls to its maintenance margin, that position
alone is. Liquidating cancels the open orders on that margin (cross: every open order in the margin asset, as
each holds its margin in the cross wallet until it fills; isolated: the position's own), then closes each
position with a LIQUIDATION order (client id `autoclose-N`, IOC at market through the book, its
`bankruptcy_price` the price at which the margin is exhausted); whatever the margin does not cover afterwards
the insurance fund pays (INSURANCE_CLEAR income), and what the closes leave above bankruptcy the fund keeps as
the clearance fee (a negative INSURANCE_CLEAR row).
A position the book cannot absorb whole stays open for the next mark move. No auto-deleveraging: the fund may
go below zero, and the audit reports it as what it is.

A MARGIN_CALL is sent first, once, when maintenance margin reaches WARN_PERCENT of the margin balance, and again
only after the ratio went back under it.
"""
from __future__ import annotations

from simulator.engine.order import BUY, IOC, SELL
from simulator.engine.perp.events import ForceOrder, MarginCall, MarginCallRow
from simulator.engine.perp.income import INSURANCE_CLEAR
from simulator.engine.perp.margin import risk
from simulator.engine.perp.order import LIQUIDATION, PerpOrder
from simulator.engine.perp.position import ISOLATED
from simulator.engine.taker_plan import plan_taker

WARN_PERCENT = 80
CASCADE_ROUNDS = 10  # liquidations setting off liquidations in one operation: bounded


def check(engine, symbol: str, now: int) -> list[PerpOrder]:
    """Liquidate what the symbol's mark move left without margin; warn what came close. Returns the orders."""
    if engine.mark(symbol) is None:
        return []
    asset = engine.instruments[symbol].margin_asset
    orders: list[PerpOrder] = []
    candidates = {key[0] for key in engine.open_positions[symbol]}
    liquidated: set[int] = set()
    for _ in range(CASCADE_ROUNDS):
        found = []
        for account_id in sorted(candidates):
            found += _check_account(engine, account_id, asset, now)
        orders += found
        if not found:
            break
        # a cascade: the liquidations traded with resting orders, whose owners' margin is judged again
        liquidated |= {order.account_id for order in found}
        candidates = {key[0] for keys in engine._changed_positions.values() for key in keys} - liquidated
    return orders


def _safe(engine, account_id: int, asset: str) -> bool:
    """Whether the account is far from any warning: only cross positions, and its cross margin balance above
    maintenance / WARN_PERCENT (the common case on every mark move, so computed lean, and remembered).

    An account found safe is remembered with the marks it was judged at and its slack (balance x 80 - maint x
    100): while the marks have moved too little to use up that slack, it is still safe without a recount. A move
    of the mark by d changes the balance by at most size x d and the maintenance margin by at most half that (no
    bracket rate reaches 50 %, and the brackets' amounts keep it continuous); each term is given two atoms for
    rounding. Anything that changes the account's wallet or positions forgets it (PerpMatcher._note)."""
    prices = engine.prices
    remembered = engine.safe_accounts.get(account_id)
    if remembered is not None:
        marks, slack, sizes = remembered
        used = 0
        for symbol, size, unit in sizes:
            used += 130 * (size * abs(prices[symbol].mark - marks[symbol]) // unit + 2) + 180
        if used < slack:
            return True
    free, locked = engine.accounts[account_id].balances.get(asset, (0, 0))
    balance, maint = free + locked, 0
    instruments = engine.instruments
    marks, sizes = {}, []
    for position in engine.account_positions[account_id].values():
        amt = position.amt
        if not amt:
            continue
        if position.margin_type == ISOLATED:
            return False
        inst = instruments[position.symbol]
        if inst.margin_asset != asset:
            continue
        mark = prices[position.symbol].mark
        if mark is None:
            return False
        if amt > 0:
            notional = amt * mark // inst.base_unit
            balance += notional - position.cost
        else:
            notional = -amt * mark // inst.base_unit
            balance += position.cost - notional
        maint += inst.maint_margin(notional)
        marks[position.symbol] = mark
        sizes.append((position.symbol, abs(amt), inst.base_unit))
    slack = balance * WARN_PERCENT - maint * 100
    if slack <= 0:
        engine.safe_accounts.pop(account_id, None)
        return False
    engine.safe_accounts[account_id] = (marks, slack, sizes)
    return True


def _check_account(engine, account_id: int, asset: str, now: int) -> list[PerpOrder]:
    if _safe(engine, account_id, asset):
        engine.margin_called.discard((account_id,))
        return []
    figures = risk(engine, account_id, asset)
    orders: list[PerpOrder] = []
    warned: list = []
    cross = [p for p in figures.positions if p.margin_type != ISOLATED]
    if cross:
        balance, maint = figures.cross_margin_balance, figures.cross_maint
        if balance <= maint:
            orders += _liquidate(engine, account_id, cross, now, None)
        elif _warn(engine, (account_id,), maint, balance):
            warned += cross
    for position in figures.positions:
        if position.margin_type != ISOLATED or not position.amt:
            continue
        inst = engine.instruments[position.symbol]
        mark = engine.mark_or_entry(position)
        balance = position.isolated_wallet + position.unrealized(mark, inst.base_unit)
        maint = inst.maint_margin(position.notional(mark, inst.base_unit))
        if balance <= maint:
            orders += _liquidate(engine, account_id, [position], now, position)
        elif _warn(engine, position.key, maint, balance):
            warned.append(position)
    if warned:
        _margin_call(engine, account_id, asset, warned, now)
    return orders


def _warn(engine, key: tuple, maint: int, balance: int) -> bool:
    """Whether to send a margin call now: the ratio reached the warning level and none was sent since it did."""
    if maint * 100 >= balance * WARN_PERCENT:
        if key in engine.margin_called:
            return False
        engine.margin_called.add(key)
        return True
    engine.margin_called.discard(key)
    return False


def _margin_call(engine, account_id: int, asset: str, positions: list, now: int) -> None:
    rows = []
    for position in positions:
        inst = engine.instruments[position.symbol]
        mark = engine.mark_or_entry(position)
        rows.append(MarginCallRow(position.symbol, position.side, position.amt, position.margin_type,
                                  position.isolated_wallet, mark, position.unrealized(mark, inst.base_unit),
                                  inst.maint_margin(position.notional(mark, inst.base_unit))))
    free, locked = engine.accounts[account_id].balances.get(asset, (0, 0))
    engine.seq = seq = engine.seq + 1
    engine._dispatch(MarginCall(seq, now, account_id, free + locked, tuple(rows)))


def _liquidate(engine, account_id: int, positions: list, now: int, isolated) -> list[PerpOrder]:
    account = engine.accounts[account_id]
    symbols = {p.symbol for p in positions}
    asset = engine.instruments[positions[0].symbol].margin_asset
    for order in sorted(account.open_orders.values(), key=lambda o: o.order_id):
        if isolated is None:  # every open order holds its margin in the cross wallet (`locked`), any symbol's
            held = engine.instruments[order.symbol].margin_asset == asset
        else:
            held = order.symbol in symbols and order.position_side == isolated.side
        if held:
            engine._cancel(order, now, "")
    free_before = account.free(asset)
    orders = []
    for position in sorted(positions, key=lambda p: (p.symbol, p.side)):
        if not position.amt:
            continue
        inst = engine.instruments[position.symbol]
        is_buy = position.amt < 0
        qty = abs(position.amt)
        order = PerpOrder(engine.next_order_id, f"autoclose-{engine.next_liquidation}", account_id,
                          position.symbol, BUY if is_buy else SELL, LIQUIDATION, IOC, 0, qty, 0, "NONE", now,
                          position.side, reduce_only=True)
        engine.next_order_id += 1
        engine.next_liquidation += 1
        order.bankruptcy_price = _bankruptcy_price(engine, position, inst, isolated is not None)
        order.working_time = now
        engine._accept(account, order, inst, 0)
        book = engine.books[position.symbol]
        plan = plan_taker(book, inst, account_id, is_buy, "NONE", 0, qty, 0)
        trades: list = []
        engine._execute(order, inst, book, plan, trades, now)
        engine.force_orders.append(order)
        engine.seq = seq = engine.seq + 1
        engine._dispatch(ForceOrder(seq, now, order, order.avg_price(inst.quote_precision, inst.base_unit)))
        orders.append(order)
    if all(not p.amt for p in positions):
        # What the closes left above bankruptcy is the clearance fee, kept by the insurance fund as Binance keeps
        # it: a cross account's whole remaining cross wallet, an isolated position's returned margin.
        left = account.free(asset) - (free_before if isolated is not None else 0)
        if left > 0:
            _clearance(engine, account_id, positions[0].symbol if isolated is not None else "", asset, left, now)
    _clear(engine, account_id, asset, now)
    engine.margin_called.discard((account_id,))
    return orders


def _bankruptcy_price(engine, position, inst, isolated: bool) -> int:
    """The mark at which the margin behind the position is exhausted (rounded to the tick, toward the mark)."""
    mark = engine.mark_or_entry(position)
    if isolated:
        balance = position.isolated_wallet + position.unrealized(mark, inst.base_unit)
    else:
        balance = risk(engine, position.account_id, inst.margin_asset).cross_margin_balance
    move = max(0, balance) * inst.base_unit // abs(position.amt)
    price = mark - move if position.amt > 0 else mark + move
    price -= price % inst.tick
    return max(inst.tick, price)


def _clear(engine, account_id: int, asset: str, now: int) -> None:
    """A cross wallet left below zero is brought back to zero by the insurance fund."""
    account = engine.accounts[account_id]
    free, locked = account.balances.get(asset, (0, 0))
    if free + locked >= 0:
        return
    insurance_clear(engine, account_id, "", asset, -(free + locked), now)
    account.credit(asset, -(free + locked))


def _clearance(engine, account_id: int, symbol: str, asset: str, amount: int, now: int) -> None:
    """The liquidation clearance fee: `amount` leaves the account's wallet for the insurance fund (an
    INSURANCE_CLEAR income row, negative, info LIQUIDATION_CLEARANCE)."""
    engine.accounts[account_id].debit(asset, amount)
    engine.insurance[asset] = engine.insurance.get(asset, 0) + amount
    engine.insurance_taken[asset] = engine.insurance_taken.get(asset, 0) + amount
    engine.income.add(account_id, symbol, INSURANCE_CLEAR, -amount, asset, "LIQUIDATION_CLEARANCE", now)
    engine._note(account_id, asset, None, -amount)


def insurance_clear(engine, account_id: int, symbol: str, asset: str, amount: int, now: int) -> None:
    """The insurance fund pays `amount` into the account's wallet (the caller credits it where it belongs)."""
    engine.insurance[asset] = engine.insurance.get(asset, 0) - amount
    engine.insurance_cleared[asset] = engine.insurance_cleared.get(asset, 0) + amount
    engine.income.add(account_id, symbol, INSURANCE_CLEAR, amount, asset, "", now)
    engine._note(account_id, asset, None, amount)
