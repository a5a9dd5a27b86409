"""An account's futures settings: position mode (one-way or hedge), and per symbol its leverage and margin type.

Binance's defaults for a new futures account: one-way mode, CROSSED margin, leverage 20 (or the symbol's maximum
when that is lower)."""
from __future__ import annotations

from simulator.engine.perp.position import CROSSED

DEFAULT_LEVERAGE = 20


class AccountSettings:
    __slots__ = ("dual_side", "leverage", "margin_type")

    def __init__(self) -> None:
        self.dual_side = False  # hedge mode (LONG / SHORT positions) when True
        self.leverage: dict[str, int] = {}  # symbol -> leverage; absent: the default
        self.margin_type: dict[str, str] = {}  # symbol -> CROSSED / ISOLATED; absent: CROSSED

    def margin_type_of(self, symbol: str) -> str:
        return self.margin_type.get(symbol, CROSSED)

    def state(self) -> dict:
        return {"dual_side": self.dual_side, "leverage": dict(self.leverage), "margin_type": dict(self.margin_type)}

    @classmethod
    def from_state(cls, state: dict) -> "AccountSettings":
        settings = cls()
        settings.dual_side = bool(state["dual_side"])
        settings.leverage = {str(k): int(v) for k, v in state["leverage"].items()}
        settings.margin_type = {str(k): str(v) for k, v in state["margin_type"].items()}
        return settings


NO_SETTINGS = AccountSettings()  # what an account that never changed a setting has: read, never written
