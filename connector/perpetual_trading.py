"""PerpetualTrading: the state a perpetual connector keeps beside its orders: positions, funding info, position
mode and leverage per pair, with the value types they are made of. The Binance-specific wire handling lives in
perpetual_derivative.py."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ONEWAY, HEDGE = "ONEWAY", "HEDGE"
CROSSED, ISOLATED = "CROSSED", "ISOLATED"
BOTH, LONG, SHORT = "BOTH", "LONG", "SHORT"


@dataclass(frozen=True)
class Position:
    trading_pair: str
    position_side: str       # BOTH | LONG | SHORT
    amount: Decimal          # signed: negative is short
    entry_price: Decimal
    unrealized_pnl: Decimal
    leverage: int


@dataclass(frozen=True)
class FundingInfo:
    trading_pair: str
    index_price: Decimal
    mark_price: Decimal
    rate: Decimal
    next_funding_time_ms: int


class PerpetualTrading:
    def __init__(self) -> None:
        self.account_positions: dict[tuple[str, str], Position] = {}
        self.funding_info: dict[str, FundingInfo] = {}
        self.position_mode = ONEWAY
        self.leverage: dict[str, int] = {}
        self.margin_type: dict[str, str] = {}
        self.funding_payment_span = (0, 0)  # Binance snapshots positions at the settlement instant

    def supported_position_modes(self) -> list[str]:
        return [ONEWAY, HEDGE]

    def position_side_for(self, side: str, position_action: str | None) -> str:
        """Hedge mode names the position an order works on: opening a BUY is LONG, closing a BUY is SHORT."""
        if self.position_mode == ONEWAY:
            return BOTH
        opens_long = side == "BUY"
        if position_action == "CLOSE":
            opens_long = not opens_long
        return LONG if opens_long else SHORT
