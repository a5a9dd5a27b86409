"""Spot user data events (reference §6.2): executionReport, outboundAccountPosition, balanceUpdate.

Rendering happens inside the engine listener, so each payload captures the order as it was when the event
happened. Events reach an account's sinks in engine order.

The balances an operation touched go out together when the engine says the operation is over
(`flush_balances`, called by the fan-out at its end): one outboundAccountPosition per account, listing each
asset's balance as the operation left it, after the operation's executionReports. A deposit or withdrawal is an
operation of its own and gets its balanceUpdate and position at once.

Sinks are where events go: a listenKey stream (raw `/ws/<key>` or combined, wrapped with the key as stream name)
or a WebSocket API subscription (wrapped as {"subscriptionId": N, "event": {...}}). A listenKey sink stops
receiving as soon as its key is closed or expires; on expiry the sweep pushes `listenKeyExpired` first.
`AccountSinks` (sinks by account, delivery, ending a listenKey, the sweep) serves the futures user streams as
well (futures_user.py), which state only where they differ: their listenKeys, their event-type filter, no
microsecond times, and an expired key ended at the next event rather than left for the sweep to tell.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from simulator.dialects.binance.wire.time_unit import event_to_microseconds
from simulator.engine.events import BalanceUpdate, OrderUpdate
from simulator.engine.instrument import Instrument
from simulator.engine.order import CANCELED, EXPIRED, NEW, PARTIALLY_FILLED, GTC

if TYPE_CHECKING:
    from simulator.core import Simulator
    from simulator.dialects.binance.wire.listen_keys import ListenKeys


class Connection(Protocol):
    """What a user data sink needs of its connection (streams.connection.Connection is the one there is)."""

    combined: bool
    micro: bool
    user_sinks: dict

    def send(self, text: str, stream: str | None = None, account_id: int | None = None,
             details: dict | None = None) -> None: ...

TRANSFER_REASONS = ("DEPOSIT", "WITHDRAW")
# Expiry reasons Binance spells in `eR`; the engine's others (STP, stop re-lock) have no Binance spelling.
EXPIRY_REASONS = frozenset(
    ("UNFILLED_IOC_QUANTITY_EXPIRED", "UNFILLED_FOK_ORDER_EXPIRED", "INSUFFICIENT_LIQUIDITY"))


_EXPIRED = {"event": "listenKeyExpired"}  # what a user data fault's `event` filter sees of that message
NO_TRADE_GROUP = -1  # Binance's tradeGroupId of an account outside any trade group


def dumps(payload: object) -> str:
    return json.dumps(payload, separators=(",", ":"))


# --- rendering --------------------------------------------------------------------------------------------
def render_execution_report(event: OrderUpdate, inst: Instrument, event_time: int) -> dict:
    order, trade = event.order, event.trade
    price, qty, quote = inst.format_price, inst.format_qty, inst.format_quote
    if trade is not None:
        fee, fee_asset = trade.fee_for(order)
        last_qty, last_price, last_quote = qty(trade.qty), price(trade.price), quote(trade.quote_qty)
        commission = inst.format_asset(fee_asset, fee)
        trade_id, maker = trade.trade_id, trade.is_maker(order)
    else:
        fee_asset, commission = None, "0"
        last_qty, last_price, last_quote = qty(0), price(0), quote(0)
        trade_id, maker = -1, False
    canceled = event.exec_type == CANCELED
    working_time = order.working_time  # from acceptance; a stop order's from its trigger, none before it
    # `w` on a NEW report: the order is working, MARKET, IOC and FOK included (captured Binance traffic; the FIX
    # API's WorkingIndicator on a FOK's NEW), a stop waiting for its trigger is not. On later reports: on the book.
    on_book = working_time >= 0 and (event.exec_type == NEW or (
        event.status in (NEW, PARTIALLY_FILLED) and order.price > 0 and order.tif == GTC))
    report = {
        "e": "executionReport", "E": event_time, "s": order.symbol,
        "c": event.cancel_client_id if canceled else order.client_id,
        "S": order.side, "o": order.type, "f": order.tif, "q": qty(event.qty), "p": price(order.price),
        "P": price(order.stop_price), "F": qty(0), "g": -1,
        "C": order.client_id if canceled else "",
        "x": event.exec_type, "X": event.status, "r": "NONE", "i": order.order_id,
        "l": last_qty, "z": qty(event.executed), "L": last_price, "n": commission, "N": fee_asset,
        "T": event.time, "t": trade_id, "I": event.seq, "w": on_book, "m": maker, "M": trade is not None,
        "O": order.time, "Z": quote(event.cum_quote), "Y": last_quote, "Q": quote(order.quote_qty),
    }
    if working_time >= 0:
        report["W"] = working_time
    report["V"] = order.stp
    prevention = event.prevention
    if prevention is not None:
        # STP conditional keys, only on a TRADE_PREVENTION report (the user data stream docs' "Conditional Fields
        # in Execution Report"). There are no trade groups here, so `u` is -1 as for an account without one.
        report.update({
            "v": prevention.match_id, "A": qty(order.prevented_qty), "B": qty(prevention.last_qty),
            "u": NO_TRADE_GROUP, "U": prevention.counter_order_id, "Cs": prevention.counter_symbol,
            "pl": qty(prevention.qty), "pL": price(prevention.price), "pY": quote(prevention.quote_qty),
        })
    if event.exec_type == EXPIRED and order.expiry_reason in EXPIRY_REASONS:
        report["eR"] = order.expiry_reason
    return report


def render_account_position(balances: list[BalanceUpdate], fmt: Callable[[str, int], str]) -> dict:
    last = balances[-1]
    return {"e": "outboundAccountPosition", "E": last.time, "u": last.time,
            "B": [{"a": b.asset, "f": fmt(b.asset, b.free), "l": fmt(b.asset, b.locked)} for b in balances]}


def render_balance_update(event: BalanceUpdate, fmt: Callable[[str, int], str]) -> dict:
    return {"e": "balanceUpdate", "E": event.time, "a": event.asset, "d": fmt(event.asset, event.delta),
            "T": event.time}


# --- sinks ------------------------------------------------------------------------------------------------
class UserSink:
    """One destination of an account's events on one connection."""

    __slots__ = ("conn", "account_id", "listen_key", "stream_name", "subscription_id")

    def __init__(self, conn: Connection, account_id: int, *, listen_key: str | None = None,
                 subscription_id: int | None = None):
        self.conn = conn
        self.account_id = account_id
        self.listen_key = listen_key
        self.subscription_id = subscription_id
        self.stream_name = json.dumps(listen_key) if listen_key is not None else ""

    def frame(self, text: str) -> str:
        """The payload text wrapped the way this sink's clients expect it."""
        if self.subscription_id is not None:
            return f'{{"subscriptionId":{self.subscription_id},"event":{text}}}'
        if self.conn.combined:
            return f'{{"stream":{self.stream_name},"data":{text}}}'
        return text

    def wants(self, event_type: str | None) -> bool:
        """Whether events of this type go to this sink: all do, but for a futures sink's `events` filter."""
        return True


class AccountSinks:
    """Which connections want which account's user data on one venue, delivering it, and the end of its
    listenKeys. Spot (below) and futures (futures_user.py) state what differs: `listen_keys`, `fault_details`
    and the three rules that follow."""

    honours_time_unit = True  # timeUnit=MICROSECOND rewrites user data times too
    expired_details: dict | None = _EXPIRED  # what user data faults see of listenKeyExpired
    expired_keys_await_sweep = True  # an expired key's sinks stay until the sweep has told them

    def __init__(self, sim: Simulator):
        self.sim = sim
        self.sinks: dict[int, dict[UserSink, None]] = {}  # account id -> sinks, in subscription order

    def listen_keys(self) -> ListenKeys:
        """The venue's listenKeys (looked up each time: a reset replaces them)."""
        return self.sim.wire.listen_keys

    def add(self, sink: UserSink) -> None:
        self.sinks.setdefault(sink.account_id, {})[sink] = None

    def remove(self, sink: UserSink) -> None:
        sinks = self.sinks.get(sink.account_id)
        if sinks is not None:
            sinks.pop(sink, None)
            if not sinks:
                del self.sinks[sink.account_id]

    def end(self, sink: UserSink) -> None:
        """The sink's listenKey is over: nothing more goes to it, and its connection no longer holds it."""
        self.remove(sink)
        sink.conn.user_sinks.pop(sink.listen_key, None)

    def wants(self, account_id: int) -> bool:
        return account_id in self.sinks

    def listen_key_sinks(self, key: str) -> list[UserSink]:
        return [sink for sinks in self.sinks.values() for sink in sinks if sink.listen_key == key]

    def fault_details(self, payload: dict) -> dict[str, str | None]:
        """What user data faults pick a message by: its event type and an order update's execution type."""
        return {"event": payload.get("e"), "execType": payload.get("x")}

    def deliver(self, account_id: int, payload: dict) -> None:
        """One event to each of the account's sinks whose listenKey still stands and that wants its type."""
        sinks = self.sinks.get(account_id)
        if not sinks:
            return
        now = self.sim.clock.now_ms()
        listen_keys = self.listen_keys()
        texts: dict[bool, str] = {}  # microseconds? -> the payload serialised, once and only if some sink wants it
        details = self.fault_details(payload)
        for sink in list(sinks):
            if sink.listen_key is not None and listen_keys.account_of(sink.listen_key, now) != account_id:
                # closed, or expired where the sweep does not get to tell it: nothing more on this key
                if not (self.expired_keys_await_sweep and listen_keys.holds(sink.listen_key)):
                    self.end(sink)
                continue
            if not sink.wants(details["event"]):
                continue
            micro = sink.conn.micro and self.honours_time_unit
            text = texts.get(micro)
            if text is None:
                text = texts[micro] = dumps(event_to_microseconds(payload) if micro else payload)
            sink.conn.send(sink.frame(text), sink.listen_key, account_id, details)

    def sweep_listen_keys(self) -> None:
        """Remove expired listenKeys; each connection on one gets `listenKeyExpired`, then nothing more."""
        now = self.sim.clock.now_ms()
        for expired in self.listen_keys().sweep(now):
            payload = {"e": "listenKeyExpired", "E": now, "listenKey": expired.key}
            text, micro = dumps(payload), dumps(event_to_microseconds(payload))
            for sink in self.listen_key_sinks(expired.key):
                body = micro if sink.conn.micro and self.honours_time_unit else text
                sink.conn.send(sink.frame(body), sink.listen_key, sink.account_id, self.expired_details)
                self.end(sink)


class UserStreams(AccountSinks):
    """The spot engine's events translated for the connections that want them."""

    def __init__(self, sim: Simulator):
        super().__init__(sim)
        # (account, asset) -> its latest balance in the operation under way, in the order first touched
        self._pending: dict[tuple[int, str], BalanceUpdate] = {}

    # --- engine events ---------------------------------------------------------------------------------
    def on_order(self, event: OrderUpdate) -> None:
        order = event.order
        if not self.wants(order.account_id):
            return
        inst = self.sim.engine.instruments[order.symbol]
        self.deliver(order.account_id, render_execution_report(event, inst, event.time))

    def on_balance(self, event: BalanceUpdate) -> None:
        if event.reason in TRANSFER_REASONS:
            if self.wants(event.account_id):
                fmt = self.sim.format_amount
                self.deliver(event.account_id, render_balance_update(event, fmt))
                self.deliver(event.account_id, render_account_position([event], fmt))
            return
        if not self.wants(event.account_id):
            return
        self._pending[(event.account_id, event.asset)] = event  # a later step's balance replaces an earlier one

    def flush_balances(self) -> None:
        """One outboundAccountPosition per account for the balances pending (the operation's end calls it)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        by_account: dict[int, list[BalanceUpdate]] = {}
        for event in pending.values():
            by_account.setdefault(event.account_id, []).append(event)
        for account_id, balances in by_account.items():
            self.deliver(account_id, render_account_position(balances, self.sim.format_amount))
