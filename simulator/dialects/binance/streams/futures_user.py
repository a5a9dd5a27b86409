"""USD-M user data (reference §8.3): the futures engine's events as ORDER_TRADE_UPDATE, ACCOUNT_UPDATE,
ACCOUNT_CONFIG_UPDATE and MARGIN_CALL, delivered to the connections that opened a futures listenKey
(`/private/ws?listenKey=`, `/ws/<listenKey>` on a futures path, or a SUBSCRIBE to the key), and
`listenKeyExpired` when the key runs out.

Events are delivered in the engine's order, which is Binance's: the order updates and trades of an operation,
then its ACCOUNT_UPDATE (m=ORDER), so a client sees a fill before the balance and position it changed.
Futures listenKeys are the futures venue's own (`sim.wire.futures_listen_keys`). Delivery, the end of a
listenKey and the expiry sweep are user.AccountSinks'; FuturesUserStreams states where futures differs.
"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from simulator.dialects.binance.streams.user import AccountSinks, UserSink
from simulator.dialects.binance.wire.futures_amounts import Formats, computed, money
from simulator.engine.events import OrderUpdate
from simulator.engine.perp.numbers import ratio

if TYPE_CHECKING:
    from simulator.dialects.binance.wire.listen_keys import ListenKeys

# the engine's expiry reasons as ORDER_TRADE_UPDATE's `er` code (reference §8.3)
EXPIRY_CODES = {"STP_EXPIRE_TAKER": "1", "STP_EXPIRE_MAKER": "1", "STP_EXPIRE_BOTH": "1",
                "UNFILLED_IOC_QUANTITY_EXPIRED": "2", "UNFILLED_FOK_ORDER_EXPIRED": "2", "REDUCE_ONLY": "4",
                "LIQUIDATION": "5", "INSUFFICIENT_LIQUIDITY": "9"}
EXEC_TYPES = {"TRADE_PREVENTION": "EXPIRED"}  # futures has no TRADE_PREVENTION execution type


# --- rendering -----------------------------------------------------------------------------------------------
def open_notional(futures, account_id: int, symbol: str) -> tuple[int, int]:
    """(bids, asks) notional of the account's priced open orders on a symbol (ORDER_TRADE_UPDATE's `b`, `a`), in
    margin-asset atoms: what is left of each at its limit price."""
    bids = asks = 0
    for order in futures.open_orders(account_id, symbol):
        if order.price:
            value = order.price * (order.qty - order.executed) // futures.instruments[symbol].base_unit
            if order.is_buy:
                bids += value
            else:
                asks += value
    return bids, asks


def render_order_update(event: OrderUpdate, fmt: Formats, notional: tuple[int, int] = (0, 0)) -> dict:
    order, trade, inst = event.order, event.trade, fmt.inst
    precision = inst.quote_precision
    if trade is not None:
        fee, fee_asset = trade.fee_for(order)
        last_qty, last_price, trade_id = trade.qty, trade.price, trade.trade_id
        maker, pnl = trade.is_maker(order), trade.pnl_for(order)
    else:
        fee, fee_asset, last_qty, last_price, trade_id, maker, pnl = 0, inst.margin_asset, 0, 0, 0, False, 0
    exec_type = EXEC_TYPES.get(event.exec_type, event.exec_type)
    expired = exec_type == "EXPIRED" or event.status == "EXPIRED_IN_MATCH"
    return {"e": "ORDER_TRADE_UPDATE", "E": event.time, "T": event.time, "o": {
        "s": order.symbol, "c": order.client_id, "S": order.side, "o": order.type, "f": order.tif or "GTC",
        "q": fmt.format_qty(event.qty), "p": fmt.format_price(order.price),
        "ap": computed(ratio(event.cum_quote * inst.base_unit, event.executed, precision)),
        "sp": fmt.format_price(order.stop_price), "x": exec_type, "X": event.status, "i": order.order_id,
        "l": fmt.format_qty(last_qty), "z": fmt.format_qty(event.executed), "L": fmt.format_price(last_price),
        "N": fee_asset, "n": money(precision, fee), "T": event.time, "t": trade_id,
        "b": money(precision, notional[0]), "a": money(precision, notional[1]),
        "m": maker, "R": order.reduce_only, "wt": order.working_type, "ot": order.orig_type,
        "ps": order.position_side, "cp": order.close_position, "rp": money(precision, pnl),
        "pP": order.price_protect, "si": 0, "ss": 0, "V": order.stp or "NONE", "pm": "NONE", "gtd": 0,
        "er": EXPIRY_CODES.get(order.expiry_reason, "0") if expired else "0",
        **({"AP": fmt.format_price(order.activation_price), "cr": f"{Decimal(order.callback_rate) / 10:f}"}
           if order.orig_type == "TRAILING_STOP_MARKET" else {})}}


def render_account_update(event, instruments, precision: int) -> dict:
    """B: the balances that changed; P: the positions that changed (FUNDING_FEE on a cross position: none)."""
    balances = [{"a": row.asset, "wb": money(precision, row.wallet_balance), "cw": money(precision, row.cross_wallet),
                 "bc": money(precision, row.balance_change)} for row in event.balances]
    positions = []
    for row in event.positions:
        fmt = Formats(instruments[row.symbol])
        positions.append({"s": row.symbol, "pa": fmt.format_qty(row.amt), "ep": computed(row.entry_price),
                          "bep": computed(row.break_even_price), "cr": money(precision, row.realized),
                          "up": money(precision, row.unrealized), "mt": row.margin_type,
                          "iw": money(precision, row.isolated_wallet), "ps": row.position_side})
    return {"e": "ACCOUNT_UPDATE", "E": event.time, "T": event.time,
            "a": {"m": event.reason, "B": balances, "P": positions}}


def render_config_update(event) -> dict:
    return {"e": "ACCOUNT_CONFIG_UPDATE", "E": event.time, "T": event.time,
            "ac": {"s": event.symbol, "l": event.leverage}}


def render_margin_call(event, instruments, precision: int) -> dict:
    """`mt` is upper case here (CROSSED / ISOLATED), unlike ACCOUNT_UPDATE's."""
    positions = []
    for row in event.positions:
        fmt = Formats(instruments[row.symbol])
        positions.append({"s": row.symbol, "ps": row.position_side, "pa": fmt.format_qty(row.amt),
                          "mt": row.margin_type, "iw": money(precision, row.isolated_wallet),
                          "mp": money(precision, row.mark), "up": money(precision, row.unrealized),
                          "mm": money(precision, row.maint_margin)})
    return {"e": "MARGIN_CALL", "E": event.time, "cw": money(precision, event.cross_wallet), "p": positions}


# --- delivery ------------------------------------------------------------------------------------------------
class FuturesUserSink(UserSink):
    """A futures user data destination; `events` (from `/private/...?events=A/B`) keeps only those event types
    (listenKeyExpired always comes through)."""

    __slots__ = ("events",)

    def __init__(self, conn, account_id: int, listen_key: str, events: frozenset[str] | None = None):
        super().__init__(conn, account_id, listen_key=listen_key)
        self.events = events

    def wants(self, event_type: str | None) -> bool:
        return self.events is None or event_type in self.events


class FuturesUserStreams(AccountSinks):
    """The futures engine's events for the connections that want them, on the futures venue's own listenKeys."""

    honours_time_unit = False  # futures user data is never rewritten to microseconds (Binance has no timeUnit here)
    # As on spot, a connection on an expired key is told so (listenKeyExpired, which faults can pick by event)
    # even when an event for the account comes before the sweep: Binance always sends it.

    def listen_keys(self) -> ListenKeys:
        return self.sim.wire.futures_listen_keys

    def fault_details(self, payload: dict) -> dict[str, str | None]:
        return {"event": payload.get("e"), "execType": payload.get("o", {}).get("x")}  # x is inside the order
