"""Accounts: free and locked balance per asset, open orders, and their history (bounded: see retention.py).

The ledger arithmetic lives here: money moves between an asset's free and locked parts through `lock` and
`unlock`, in or out of the account through `credit` and `debit`, and both ways in a trade through `settle`.
Each method moves an exact number of atoms and checks nothing: the engine decides beforehand whether a move
is allowed (enough free to lock, an order's lock covering what it pays).
"""
from __future__ import annotations

from collections import deque

from simulator.engine.order import Order


class Account:
    __slots__ = ("account_id", "name", "fee_tier", "balances", "open_orders", "client_ids", "open_count",
                 "orders", "trades", "update_time", "keeps_history", "closed", "closed_kept", "trades_kept")

    def __init__(self, account_id: int, name: str, fee_tier: int = 0):
        self.account_id = account_id
        self.name = name
        self.fee_tier = fee_tier
        # asset -> [free, locked] in atoms; a list so that a move updates it in place. Read it through free() and
        # locked() (or unpack the pair), change it only through the methods below.
        self.balances: dict[str, list[int]] = {}
        self.open_orders: dict[int, Order] = {}
        self.client_ids: dict[str, Order] = {}  # client order id -> open order (unique among open orders)
        self.open_count: dict[str, int] = {}  # symbol -> open orders (MAX_NUM_ORDERS)
        self.orders: dict[str, list[Order]] = {}  # symbol -> its open and its kept finished orders, oldest first
        # symbol -> deque(maxlen=trades_kept) of (Trade, Order): this account's side of its latest trades
        self.trades: dict[str, deque] = {}
        self.update_time = 0
        self.closed: deque[Order] = deque()  # its kept finished orders, in the order they finished
        # What history it keeps: Engine.keep_history sets these from the engine's Retention (none without history)
        self.keeps_history = True
        self.closed_kept = 0
        self.trades_kept = 0

    def trade_history(self, symbol: str) -> deque:
        """Its side of its kept trades on a symbol (created empty, bounded by trades_kept)."""
        history = self.trades.get(symbol)
        if history is None:
            history = self.trades[symbol] = deque(maxlen=self.trades_kept)
        return history

    # --- reading -----------------------------------------------------------------------------------------
    def free(self, asset: str) -> int:
        bal = self.balances.get(asset)
        return bal[0] if bal else 0

    def locked(self, asset: str) -> int:
        bal = self.balances.get(asset)
        return bal[1] if bal else 0

    # --- moving money ------------------------------------------------------------------------------------
    # Each placement and each fill moves money several times, so the methods that may meet a new asset create
    # its balance themselves instead of calling a shared helper (a call costs as much as the move).
    def credit(self, asset: str, amount: int) -> None:
        """`amount` arrives in free (a deposit, what a trade pays this side)."""
        bal = self.balances.get(asset)
        if bal is None:
            self.balances[asset] = [amount, 0]
        else:
            bal[0] += amount

    def debit(self, asset: str, amount: int) -> None:
        """`amount` leaves free (a withdrawal)."""
        self.balances[asset][0] -= amount

    def lock(self, asset: str, amount: int) -> None:
        """`amount` moves from free to locked: an order now holds it."""
        bal = self.balances.get(asset)
        if bal is None:
            bal = self.balances[asset] = [0, 0]
        bal[0] -= amount
        bal[1] += amount

    def unlock(self, asset: str, amount: int) -> None:
        """`amount` moves from locked back to free: an order no longer needs it."""
        bal = self.balances[asset]
        bal[1] -= amount
        bal[0] += amount

    def settle(self, paid_asset: str, released: int, paid: int, received_asset: str, received: int) -> None:
        """One side of a trade: it pays `paid` out of `released` atoms of its order's lock (the difference goes
        back to free: a buy locked at its limit price and traded lower) and receives `received` in free.

        One method for both halves because every fill settles two sides: a call each would cost a fill as much
        as its balance arithmetic.
        """
        bal = self.balances[paid_asset]
        bal[1] -= released
        bal[0] += released - paid
        bal = self.balances.get(received_asset)
        if bal is None:
            self.balances[received_asset] = [received, 0]
        else:
            bal[0] += received
