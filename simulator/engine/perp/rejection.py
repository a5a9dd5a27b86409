"""Why the futures engine refused an operation, where the spot engine's `Reject` has no name for it.

Raised as `Rejected(PerpReject.X)`: a refusal's `reason` is a spot `Reject` or one of these, and the futures
dialect maps both to Binance's codes (the table in each member's comment).
"""
from __future__ import annotations

import enum


class PerpReject(enum.Enum):
    MARGIN_INSUFFICIENT = "MARGIN_INSUFFICIENT"  # -2019 Margin is insufficient.
    FOK_REJECTED = "FOK_REJECTED"  # -5021 a FOK order that could not fill whole
    REDUCE_ONLY_REJECTED = "REDUCE_ONLY_REJECTED"  # -2022 ReduceOnly Order is rejected.
    REDUCE_ONLY_IN_HEDGE_MODE = "REDUCE_ONLY_IN_HEDGE_MODE"  # -1106 reduceOnly sent when not required
    POSITION_SIDE_MISMATCH = "POSITION_SIDE_MISMATCH"  # -4061
    POSITION_NOT_SUFFICIENT = "POSITION_NOT_SUFFICIENT"  # -2024 (closePosition / margin of no position)
    MAX_POSITION_AT_LEVERAGE = "MAX_POSITION_AT_LEVERAGE"  # -2027
    LEVERAGE_INVALID = "LEVERAGE_INVALID"  # -4028
    LEVERAGE_MARGIN_INSUFFICIENT = "LEVERAGE_MARGIN_INSUFFICIENT"  # -2028
    MARGIN_TYPE_UNCHANGED = "MARGIN_TYPE_UNCHANGED"  # -4046
    MARGIN_TYPE_OPEN_ORDERS = "MARGIN_TYPE_OPEN_ORDERS"  # -4047
    MARGIN_TYPE_POSITION = "MARGIN_TYPE_POSITION"  # -4048
    POSITION_MODE_UNCHANGED = "POSITION_MODE_UNCHANGED"  # -4059
    POSITION_MODE_OPEN_ORDERS = "POSITION_MODE_OPEN_ORDERS"  # -4067
    POSITION_MODE_POSITION = "POSITION_MODE_POSITION"  # -4068
    ISOLATED_BALANCE_INSUFFICIENT = "ISOLATED_BALANCE_INSUFFICIENT"  # -4051? reduce isolated margin too far
