"""Spot engine events to stream payloads, as they happen: `@trade`, `@aggTrade`, `@bookTicker`, the diff depth
batches the interval pass publishes, and every user data event.

What both venues do alike (depth batches, aggregate trades and the top of the book held until an operation ends)
is streams.operation_fanout's. Spot adds the `@trade` stream, pushed as each trade happens, the symbols traded
since the last `!ticker@arr` push, and user data: order updates at once, an account's balances once per operation
(one outboundAccountPosition, ahead of the operation's aggregate trades and book ticker).
"""
from __future__ import annotations

from simulator.dialects.binance.streams import market as ms
from simulator.dialects.binance.streams.operation_fanout import OperationFanout
from simulator.dialects.binance.streams.user import UserStreams
from simulator.engine.events import BalanceUpdate, OrderUpdate, TradeEvent


class EventFanout(OperationFanout):
    VENUE = "spot"
    DEPTH_SPEEDS_MS = (ms.FAST_SPEED_MS, ms.DEFAULT_SPEED_MS)
    AGG_TRADE = ms.AGG_TRADE
    BOOK_TICKER = ms.BOOK_TICKER
    render_agg_trade = staticmethod(ms.render_agg_trade)
    render_book_ticker = staticmethod(ms.render_book_ticker)  # no event time: spot's bookTicker has no `E`
    user: UserStreams

    def handlers_by_kind(self) -> dict:
        return {BalanceUpdate: self.user.on_balance, OrderUpdate: self.user.on_order, **super().handlers_by_kind()}

    def engine(self):
        return self.sim.engine

    def formats(self, symbol: str):
        return self.sim.engine.instruments[symbol]  # a spot instrument formats its own amounts

    def reset(self) -> None:
        super().reset()
        self.traded: set[str] = set()  # symbols with trades since the last `!ticker@arr` push

    def take_traded(self) -> set[str]:
        traded, self.traded = self.traded, set()
        return traded

    def settle_user(self) -> None:
        self.user.flush_balances()

    def _on_trade(self, event: TradeEvent) -> None:
        trade = event.trade
        symbol = trade.symbol
        self.traded.add(symbol)
        inst = self.sim.engine.instruments[symbol]
        subscriptions = self.subscriptions
        for name in subscriptions.names(ms.TRADE, symbol):
            subscriptions.publish(name, ms.render_trade(inst, trade, event.time))
        super()._on_trade(event)
