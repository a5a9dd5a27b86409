"""How much finished history the engine keeps, so that a server running for weeks stays flat.

Counts, never wall time: what is kept depends only on what happened, so the engine stays deterministic.

- `closed_orders`: finished orders (FILLED, CANCELED, EXPIRED, EXPIRED_IN_MATCH) kept per account, across its
  symbols; the one that finished longest ago goes first. Open orders are always kept. An order that aged out
  is unknown to every lookup (Binance's -2013 "Order does not exist." on a query) and absent from allOrders.
- `account_trades`: an account's own trades kept per symbol (myTrades), the oldest dropped first.
- `market_trades`: public trades and aggregate trades kept per symbol (GET trades, aggTrades).
- `income_rows`: a futures account's income rows kept (/fapi/v1/income; Binance keeps three months), the oldest
  dropped first.
- `kline_minutes`: 1 m klines kept per symbol; the 24 h and rolling-window tickers are built from them, so
  fewer than 8 days (the 7d window plus the minute its open is floored to) shortens the longest windows.

An account opened without history (the market maker's and its counterparties': no API key can ask about them)
keeps none of its finished orders and none of its own trades.

A kept trade refers to its buyer's and seller's orders as objects, whether or not they are still kept: it keeps
them alive (bounded, as the trades are), and a snapshot writes such orders beside the kept ones.
"""
from __future__ import annotations

from dataclasses import dataclass

WEEK_OF_MINUTES = 7 * 1440


@dataclass(frozen=True)
class Retention:
    closed_orders: int = 2000
    account_trades: int = 2000
    market_trades: int = 1000
    kline_minutes: int = WEEK_OF_MINUTES + 1440  # eight days: the 7d ticker window, plus slack
    income_rows: int = 10_000

    def __post_init__(self) -> None:
        for name in ("closed_orders", "account_trades", "market_trades", "kline_minutes", "income_rows"):
            if type(getattr(self, name)) is not int or getattr(self, name) < 0:
                raise ValueError(f"retention {name} must be a non-negative integer")
