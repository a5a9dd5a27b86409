"""Accounts: free and locked balance per asset, open orders, and their history."""
from __future__ import annotations

from simulator.engine.order import Order


class Account:
    __slots__ = ("account_id", "name", "fee_tier", "balances", "open_orders", "client_ids", "open_count",
                 "orders", "trades", "update_time")

    def __init__(self, account_id: int, name: str, fee_tier: int = 0):
        self.account_id = account_id
        self.name = name
        self.fee_tier = fee_tier
        # asset -> [free, locked] in atoms; a list so the hot path can update it in place
        self.balances: dict[str, list[int]] = {}
        self.open_orders: dict[int, Order] = {}
        self.client_ids: dict[str, Order] = {}  # client order id -> open order (unique among open orders)
        self.open_count: dict[str, int] = {}  # symbol -> open orders (MAX_NUM_ORDERS)
        self.orders: dict[str, list[Order]] = {}  # symbol -> every order ever accepted, oldest first
        self.trades: dict[str, list] = {}  # symbol -> [(Trade, Order)] this account's side of each trade
        self.update_time = 0

    def balance(self, asset: str) -> list[int]:
        bal = self.balances.get(asset)
        if bal is None:
            bal = self.balances[asset] = [0, 0]
        return bal

    def free(self, asset: str) -> int:
        bal = self.balances.get(asset)
        return bal[0] if bal else 0

    def locked(self, asset: str) -> int:
        bal = self.balances.get(asset)
        return bal[1] if bal else 0
