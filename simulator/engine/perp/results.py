"""What the futures engine's own operations return (placement and cancels return the spot results:
PlaceResult, CancelResult, CancelAllResult). Each ends with the range of events the operation emitted."""
from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple


class LeverageResult(NamedTuple):
    symbol: str
    leverage: int
    max_notional: int  # atoms of the margin asset: maxNotionalValue
    first_seq: int
    last_seq: int


class SettingResult(NamedTuple):
    """A margin type or position mode change (nothing to report but that it happened)."""

    first_seq: int
    last_seq: int


class MarginResult(NamedTuple):
    """Isolated margin added (add=True) or removed."""

    symbol: str
    position_side: str
    amount: int
    add: bool
    first_seq: int
    last_seq: int


class FuturesTransferResult(NamedTuple):
    """Money into or out of an account's futures wallet (deposit, withdrawal, wallet transfer)."""

    account_id: int
    asset: str
    amount: int  # atoms moved (always positive)
    wallet_balance: int  # after it
    tran_id: int  # the TRANSFER income row's id
    first_seq: int
    last_seq: int


class FundingSettlement(NamedTuple):
    symbol: str
    rate: Decimal
    funding_time: int
    mark: int
    payers: int  # positions that paid
    receivers: int  # positions that received


class FundingResult(NamedTuple):
    settlements: list[FundingSettlement]
    liquidated: list  # LIQUIDATION orders of positions the payments left without margin
    first_seq: int
    last_seq: int


class LiquidationResult(NamedTuple):
    """What one mark move (or tick) liquidated: the LIQUIDATION orders, in order."""

    orders: list
    first_seq: int
    last_seq: int
