"""Why the engine refused an operation.

The engine speaks no wire dialect; it names the rule that failed and each dialect maps the name to its own
code and message (Binance: `-1013 Filter failure: LOT_SIZE`, `-2010 Duplicate order sent.`, ...).
"""
from __future__ import annotations

import enum


class Reject(enum.Enum):
    # symbol filters
    PRICE_FILTER = "PRICE_FILTER"
    LOT_SIZE = "LOT_SIZE"
    MARKET_LOT_SIZE = "MARKET_LOT_SIZE"
    NOTIONAL = "NOTIONAL"
    PERCENT_PRICE_BY_SIDE = "PERCENT_PRICE_BY_SIDE"
    MAX_NUM_ORDERS = "MAX_NUM_ORDERS"
    BAD_PRECISION = "BAD_PRECISION"
    PRICE_QTY_ZERO = "PRICE_QTY_ZERO"
    # order-level business rules
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    WOULD_TAKE = "WOULD_TAKE"  # LIMIT_MAKER that would match
    WOULD_TRIGGER_IMMEDIATELY = "WOULD_TRIGGER_IMMEDIATELY"
    DUPLICATE_CLIENT_ORDER_ID = "DUPLICATE_CLIENT_ORDER_ID"
    MARKET_CLOSED = "MARKET_CLOSED"
    NO_LIQUIDITY = "NO_LIQUIDITY"  # a market order against an empty book side
    STP_MODE_NOT_ALLOWED = "STP_MODE_NOT_ALLOWED"
    INVALID_ORDER = "INVALID_ORDER"  # inconsistent parameters the dialect should have caught
    # lookups and cancels
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    UNKNOWN_ACCOUNT = "UNKNOWN_ACCOUNT"
    UNKNOWN_ORDER = "UNKNOWN_ORDER"
    CLIENT_ID_MISMATCH = "CLIENT_ID_MISMATCH"  # an order id and a client order id that name different orders
    CANCEL_RESTRICTED = "CANCEL_RESTRICTED"
    INVALID_AMEND = "INVALID_AMEND"
    # account operations
    INVALID_AMOUNT = "INVALID_AMOUNT"


class Rejected(Exception):
    """Raised before any state changes: a rejected operation leaves the engine exactly as it was."""

    def __init__(self, reason: Reject, detail: str = ""):
        super().__init__(f"{reason.value}{': ' + detail if detail else ''}")
        self.reason = reason
        self.detail = detail
