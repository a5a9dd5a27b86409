"""InFlightOrder: everything the connector knows about one order it placed, and the updates that move it.

States: PENDING_CREATE (sent, no answer yet) -> OPEN -> PARTIALLY_FILLED -> FILLED | CANCELED | FAILED, plus
PENDING_CANCEL while a cancel is in flight. Fills are kept by trade id, so a fill reported twice (user stream and
polling, or a duplicated frame) counts once; fees are summed per asset charged. Amounts are Decimal throughout.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any

from connector import constants as c

ZERO = Decimal(0)


class OrderState(Enum):
    PENDING_CREATE = "PENDING_CREATE"
    OPEN = "OPEN"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    FAILED = "FAILED"


DONE_STATES = {OrderState.FILLED, OrderState.CANCELED, OrderState.FAILED}


def state_from_wire(status: str) -> OrderState:
    """The wire's order status as a state; REJECTED (and anything unknown) is FAILED."""
    if status in c.WIRE_OPEN:
        return OrderState.OPEN
    if status in c.WIRE_PARTIAL:
        return OrderState.PARTIALLY_FILLED
    if status in c.WIRE_FILLED:
        return OrderState.FILLED
    if status in c.WIRE_CANCELED:
        return OrderState.CANCELED
    return OrderState.FAILED


@dataclass(frozen=True)
class TradeUpdate:
    trade_id: str
    client_order_id: str
    exchange_order_id: str
    trading_pair: str
    fill_price: Decimal
    fill_base_amount: Decimal
    fill_quote_amount: Decimal
    fee_asset: str | None
    fee_amount: Decimal
    fill_timestamp_ms: int
    is_maker: bool = False
    source: str = "ws"  # ws | rest

    def to_json(self) -> dict[str, Any]:
        return {"trade_id": self.trade_id, "client_order_id": self.client_order_id,
                "exchange_order_id": self.exchange_order_id, "trading_pair": self.trading_pair,
                "fill_price": str(self.fill_price), "fill_base_amount": str(self.fill_base_amount),
                "fill_quote_amount": str(self.fill_quote_amount), "fee_asset": self.fee_asset,
                "fee_amount": str(self.fee_amount), "fill_timestamp_ms": self.fill_timestamp_ms,
                "is_maker": self.is_maker, "source": self.source}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TradeUpdate":
        return cls(data["trade_id"], data["client_order_id"], data["exchange_order_id"], data["trading_pair"],
                   Decimal(data["fill_price"]), Decimal(data["fill_base_amount"]),
                   Decimal(data["fill_quote_amount"]), data["fee_asset"], Decimal(data["fee_amount"]),
                   int(data["fill_timestamp_ms"]), bool(data["is_maker"]), data.get("source", "ws"))


@dataclass(frozen=True)
class OrderUpdate:
    client_order_id: str
    trading_pair: str
    new_state: OrderState
    update_timestamp_ms: int
    exchange_order_id: str | None = None
    executed_amount: Decimal | None = None  # cumulative, as the exchange reports it
    reason: str = ""
    code: int | None = None  # the exchange's error code, for a refusal


@dataclass
class InFlightOrder:
    client_order_id: str
    trading_pair: str
    order_type: str          # LIMIT | LIMIT_MAKER | MARKET | STOP_MARKET | TAKE_PROFIT_MARKET (perpetuals)
    trade_type: str          # BUY | SELL
    amount: Decimal
    price: Decimal | None
    creation_timestamp_ms: int
    exchange_order_id: str | None = None
    current_state: OrderState = OrderState.PENDING_CREATE
    position_action: str | None = None   # perpetuals: OPEN | CLOSE
    position_side: str | None = None     # perpetuals: BOTH | LONG | SHORT
    leverage: int = 1
    reduce_only: bool = False
    time_in_force: str = "GTC"
    trigger_price: Decimal | None = None  # conditional (perpetuals): the stop price
    close_position: bool = False          # conditional: closes the whole position when triggered (amount 0)
    working_type: str = "MARK_PRICE"      # conditional: MARK_PRICE | CONTRACT_PRICE
    order_fills: dict[str, TradeUpdate] = field(default_factory=dict)
    executed_amount_reported: Decimal = ZERO  # the exchange's cumulative figure (z / executedQty)
    last_update_timestamp_ms: int = 0
    failure_reason: str = ""
    state_before_cancel: OrderState | None = None

    # --- derived figures ---
    @property
    def executed_amount_base(self) -> Decimal:
        return sum((f.fill_base_amount for f in self.order_fills.values()), ZERO)

    @property
    def executed_amount_quote(self) -> Decimal:
        return sum((f.fill_quote_amount for f in self.order_fills.values()), ZERO)

    @property
    def average_executed_price(self) -> Decimal | None:
        base = self.executed_amount_base
        return self.executed_amount_quote / base if base else None

    @property
    def cumulative_fees(self) -> dict[str, Decimal]:
        fees: dict[str, Decimal] = {}
        for fill in self.order_fills.values():
            if fill.fee_asset and fill.fee_amount:
                fees[fill.fee_asset] = fees.get(fill.fee_asset, ZERO) + fill.fee_amount
        return fees

    @property
    def is_done(self) -> bool:
        return self.current_state in DONE_STATES

    @property
    def is_filled(self) -> bool:
        return self.current_state is OrderState.FILLED

    @property
    def is_cancelled(self) -> bool:
        return self.current_state is OrderState.CANCELED

    @property
    def is_failure(self) -> bool:
        return self.current_state is OrderState.FAILED

    @property
    def is_open(self) -> bool:
        return self.current_state in (OrderState.OPEN, OrderState.PARTIALLY_FILLED, OrderState.PENDING_CANCEL)

    @property
    def fills_complete(self) -> bool:
        """Every fill the exchange reported (its cumulative executed amount) is in `order_fills`."""
        return self.executed_amount_base >= self.executed_amount_reported

    # --- updates ---
    def update_with_trade_update(self, trade: TradeUpdate) -> bool:
        """Record a fill; False if that trade id was seen already (a duplicate) or belongs elsewhere."""
        if trade.trade_id in self.order_fills or trade.client_order_id != self.client_order_id:
            return False
        self.order_fills[trade.trade_id] = trade
        if self.exchange_order_id is None:
            self.exchange_order_id = trade.exchange_order_id
        self.last_update_timestamp_ms = max(self.last_update_timestamp_ms, trade.fill_timestamp_ms)
        return True

    def to_json(self) -> dict[str, Any]:
        return {"client_order_id": self.client_order_id, "trading_pair": self.trading_pair,
                "order_type": self.order_type, "trade_type": self.trade_type, "amount": str(self.amount),
                "price": None if self.price is None else str(self.price),
                "creation_timestamp_ms": self.creation_timestamp_ms, "exchange_order_id": self.exchange_order_id,
                "current_state": self.current_state.value, "position_action": self.position_action,
                "position_side": self.position_side, "leverage": self.leverage, "reduce_only": self.reduce_only,
                "time_in_force": self.time_in_force,
                "trigger_price": None if self.trigger_price is None else str(self.trigger_price),
                "close_position": self.close_position, "working_type": self.working_type,
                "order_fills": [f.to_json() for f in self.order_fills.values()],
                "executed_amount_reported": str(self.executed_amount_reported),
                "last_update_timestamp_ms": self.last_update_timestamp_ms, "failure_reason": self.failure_reason}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "InFlightOrder":
        order = cls(data["client_order_id"], data["trading_pair"], data["order_type"], data["trade_type"],
                    Decimal(data["amount"]), None if data["price"] is None else Decimal(data["price"]),
                    int(data["creation_timestamp_ms"]), data.get("exchange_order_id"),
                    OrderState(data["current_state"]), data.get("position_action"), data.get("position_side"),
                    int(data.get("leverage", 1)), bool(data.get("reduce_only", False)),
                    data.get("time_in_force", "GTC"),
                    None if data.get("trigger_price") is None else Decimal(data["trigger_price"]),
                    bool(data.get("close_position", False)), data.get("working_type", "MARK_PRICE"))
        for fill in data.get("order_fills", []):
            trade = TradeUpdate.from_json(fill)
            order.order_fills[trade.trade_id] = trade
        order.executed_amount_reported = Decimal(data.get("executed_amount_reported", "0"))
        order.last_update_timestamp_ms = int(data.get("last_update_timestamp_ms", 0))
        order.failure_reason = data.get("failure_reason", "")
        return order
