"""Futures events (beside the spot ones the futures engine reuses: OrderUpdate, TradeEvent, DepthUpdate,
OrderRejected). Each mirrors one Binance futures message so the dialect only translates:
AccountUpdate -> ACCOUNT_UPDATE, ConfigUpdate -> ACCOUNT_CONFIG_UPDATE, MarginCall -> MARGIN_CALL,
ForceOrder -> forceOrder, FundingSettled -> a fundingRate history row.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from simulator.engine.events import Event, Trade
from simulator.engine.order import Order
from simulator.engine.perp.numbers import break_even, ratio


class PerpTrade(Trade):
    """A futures match: both fees in the margin asset, and each side's realized PnL and position side."""

    __slots__ = ("buyer_pnl", "seller_pnl", "buyer_position_side", "seller_position_side")

    def __init__(self, trade_id: int, symbol: str, price: int, qty: int, quote_qty: int, time: int,
                 buyer: Order, seller: Order, buyer_is_maker: bool, buyer_fee: int, seller_fee: int,
                 margin_asset: str, buyer_pnl: int, seller_pnl: int):
        super().__init__(trade_id, symbol, price, qty, quote_qty, time, buyer, seller, buyer_is_maker, buyer_fee,
                         seller_fee, margin_asset, margin_asset)
        self.buyer_pnl = buyer_pnl
        self.seller_pnl = seller_pnl
        self.buyer_position_side = buyer.position_side
        self.seller_position_side = seller.position_side

    def pnl_for(self, order: Order) -> int:
        return self.buyer_pnl if order is self.buyer else self.seller_pnl

    def position_side_for(self, order: Order) -> str:
        return self.buyer_position_side if order is self.buyer else self.seller_position_side

    def state(self) -> dict[str, Any]:
        out = super().state()
        out.update(buyer_pnl=self.buyer_pnl, seller_pnl=self.seller_pnl,
                   buyer_position_side=self.buyer_position_side, seller_position_side=self.seller_position_side)
        return out


class BalanceRow(NamedTuple):
    asset: str
    wallet_balance: int  # cross wallet + isolated wallets
    cross_wallet: int
    balance_change: int  # except PnL and commission (a transfer, a funding fee)


class PositionRow(NamedTuple):
    """A position as an ACCOUNT_UPDATE's `P` entry shows it. The entry and break-even prices are computed when
    read (exact Decimals, cut to 8 decimals): most rows are never rendered, and the division is the costly part."""

    symbol: str
    position_side: str
    amt: int
    cost: int  # quote atoms of the open size (entry price x size)
    realized: int  # accumulated
    unrealized: int
    margin_type: str  # "cross" / "isolated", as ACCOUNT_UPDATE spells it
    isolated_wallet: int
    base_unit: int
    quote_precision: int
    taker_rate: int  # the fee rate (x 1e8) the break-even price pays to close

    @property
    def entry_price(self) -> Decimal:
        return ratio(self.cost * self.base_unit, abs(self.amt), self.quote_precision)

    @property
    def break_even_price(self) -> Decimal:
        return break_even(self.cost, self.amt, self.base_unit, self.quote_precision, self.taker_rate)


class AccountUpdate(Event):
    """The futures wallet or positions of one account changed: reason ORDER, FUNDING_FEE, DEPOSIT, WITHDRAW,
    MARGIN_TRANSFER, MARGIN_TYPE_CHANGE, INSURANCE_CLEAR, ADJUSTMENT."""

    __slots__ = ("account_id", "reason", "balances", "positions")
    kind = "account_update"

    def __init__(self, seq: int, time: int, account_id: int, reason: str, balances: tuple, positions: tuple):
        self.seq = seq
        self.time = time
        self.account_id = account_id
        self.reason = reason
        self.balances = balances
        self.positions = positions

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seq": self.seq, "time": self.time, "account_id": self.account_id,
                "reason": self.reason, "balances": [list(row) for row in self.balances],
                "positions": [list(row) for row in self.positions]}


class ConfigUpdate(Event):
    """An account's leverage on a symbol changed (ACCOUNT_CONFIG_UPDATE `ac`)."""

    __slots__ = ("account_id", "symbol", "leverage")
    kind = "config_update"

    def __init__(self, seq: int, time: int, account_id: int, symbol: str, leverage: int):
        self.seq = seq
        self.time = time
        self.account_id = account_id
        self.symbol = symbol
        self.leverage = leverage


class MarginCallRow(NamedTuple):
    symbol: str
    position_side: str
    amt: int
    margin_type: str  # "CROSSED" / "ISOLATED", as MARGIN_CALL spells it
    isolated_wallet: int
    mark: int
    unrealized: int
    maint_margin: int


class MarginCall(Event):
    """An account's (cross) or a position's (isolated) margin came within the warning level of maintenance."""

    __slots__ = ("account_id", "cross_wallet", "positions")
    kind = "margin_call"

    def __init__(self, seq: int, time: int, account_id: int, cross_wallet: int, positions: tuple):
        self.seq = seq
        self.time = time
        self.account_id = account_id
        self.cross_wallet = cross_wallet
        self.positions = positions

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seq": self.seq, "time": self.time, "account_id": self.account_id,
                "cross_wallet": self.cross_wallet, "positions": [list(row) for row in self.positions]}


class ForceOrder(Event):
    """A liquidation order finished (forceOrder stream): the order as it ended."""

    __slots__ = ("order", "symbol", "side", "qty", "price", "avg_price", "status", "executed")
    kind = "force_order"

    def __init__(self, seq: int, time: int, order: Order, avg_price: Decimal):
        self.seq = seq
        self.time = time
        self.order = order
        self.symbol = order.symbol
        self.side = order.side
        self.qty = order.qty
        self.price = order.bankruptcy_price
        self.avg_price = str(avg_price)
        self.status = order.status
        self.executed = order.executed


class FundingSettled(Event):
    """One symbol's funding settled: a /fapi/v1/fundingRate history row."""

    __slots__ = ("symbol", "rate", "funding_time", "mark")
    kind = "funding"

    def __init__(self, seq: int, time: int, symbol: str, rate: Decimal, funding_time: int, mark: int):
        self.seq = seq
        self.time = time
        self.symbol = symbol
        self.rate = rate
        self.funding_time = funding_time
        self.mark = mark

    def as_dict(self) -> dict[str, Any]:
        out = super().as_dict()
        out["rate"] = str(self.rate)
        return out
