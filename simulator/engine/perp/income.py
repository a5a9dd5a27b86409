"""Income history (/fapi/v1/income): one row per money movement of a futures wallet, bounded per account.

Types: TRANSFER, REALIZED_PNL, COMMISSION, FUNDING_FEE, INSURANCE_CLEAR. `income` is signed (+ in, - out).
Rows are kept per account up to the retention's `income_rows` (the oldest dropped first): a server running for
weeks stays flat, as every other history does (retention.py).
"""
from __future__ import annotations

from collections import deque
from typing import NamedTuple

TRANSFER, REALIZED_PNL, COMMISSION = "TRANSFER", "REALIZED_PNL", "COMMISSION"
FUNDING_FEE, INSURANCE_CLEAR = "FUNDING_FEE", "INSURANCE_CLEAR"
INCOME_TYPES = (TRANSFER, REALIZED_PNL, COMMISSION, FUNDING_FEE, INSURANCE_CLEAR)


class IncomeRecord(NamedTuple):
    tran_id: int
    account_id: int
    symbol: str  # "" when not symbol-related
    income_type: str
    income: int  # signed atoms of `asset`
    asset: str
    info: str
    time: int
    trade_id: str  # "" when not a trade's


class IncomeLedger:
    """Every account's income rows, oldest first, `kept` per account."""

    __slots__ = ("rows", "kept", "next_tran_id")

    def __init__(self, kept: int):
        self.rows: dict[int, deque[IncomeRecord]] = {}
        self.kept = kept
        self.next_tran_id = 1

    def add(self, account_id: int, symbol: str, income_type: str, income: int, asset: str, info: str, time: int,
            trade_id: str = "") -> IncomeRecord:
        tran_id = self.next_tran_id
        self.next_tran_id = tran_id + 1
        record = IncomeRecord(tran_id, account_id, symbol, income_type, income, asset, info, time, trade_id)
        rows = self.rows.get(account_id)
        if rows is None:
            rows = self.rows[account_id] = deque(maxlen=self.kept)
        rows.append(record)
        return record

    def of(self, account_id: int) -> list[IncomeRecord]:
        return list(self.rows.get(account_id, ()))
