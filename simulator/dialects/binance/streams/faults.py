"""The WebSocket fault hooks (simulator.control.faults, WIRING): what the stream hub does to a connection while
ws_* faults are registered. Nothing here runs while the registry is empty: the hub's only cost then is one truth
test of `sim.faults.kinds` per message (and per connection on each 100 ms pass).

What a connection carries, for targeting (`targets`): each market stream name (stream=name, scope "stream"), each
user data sink (stream=its listenKey, or None for a WebSocket API subscription; accountId = the sink's account;
scope "listenKey"); a connection carrying nothing is (None, None, "stream") on market endpoints and
(None, None, None) on the WebSocket API, so only untargeted faults reach it.

  ws_silence    connection-wide: while it matches anything the connection carries, nothing leaves it - no data,
                no control replies, no keepalive pings, no pongs - and no close frame either: the connection
                stays open, as a dead TCP peer would look. Dropped messages are gone (they are not replayed).
  ws_delay      per message (stream = the message's stream or listenKey, accountId = a user sink's account):
                the message leaves `ms` later, and whatever is queued behind it waits too (latency, never
                reordering).
  ws_drop       per message: it is not sent (journaled as dropped).
  ws_duplicate  per message: it is queued twice.
  ws_reorder    per message: it is held, and sent right after the next message of the same stream (so two
                adjacent messages of that stream arrive swapped; the message that releases it is never held
                itself). With an `event` filter, only the next message of that event type releases it (a held
                NEW executionReport goes out after the order's TRADE, not after its account update). A held
                message is also released when its fault is cleared or expires, or after REORDER_HOLD_MS on the
                simulator's clock with nothing behind it.
  ws_close      per connection, on each of the hub's 100 ms passes: every connection a fault targets closes now
                (close frame 1001, queued messages discarded); the pass consumes one count of each fault that
                closed something (`FaultInjector.match_each`), so count 1 closes all the sockets it targets.
  ws_lifetime   per connection, on each pass: a connection older than the fault's `ms` (simulator clock) is
                closed as at Binance's 24 h limit (policing.py).
  ws_connect_limit  before the handshake: connection attempts of one IP over the fault's budget are refused
                with HTTP 429 (admission.py).

Message-level faults (ws_drop, ws_duplicate, ws_reorder, ws_delay) see the message's `details`: for user data,
the event type `event` (the payload's `e`) and execution type `execType` (`x`), which their filters pick by.
Messages of a diff depth stream are the merged 100 ms (or 1 s) diffs a connection actually receives: each
delivered diff is one message and consumes one count.
  depth_gap     in the hub itself (StreamHub.flush_interval): a diff depth message of <sym>@depth[...] is not
                published to that stream (match stream=name, symbol=SYM); consecutive hits drop consecutive
                diffs, so the next one's U jumps past the last u + 1 its subscribers saw.
"""
from __future__ import annotations

import asyncio
from typing import Any, Protocol

from simulator import fault_kinds as fk

CLOSE_REASON = "Connection closed by the server"


class Connection(Protocol):
    """What the fault hooks need of a connection (streams.connection.Connection is the one there is)."""

    names: dict[str, None]
    user_sinks: dict[Any, Any]
    market: bool
    held: dict[tuple, Held]

    def put(self, item: object) -> None: ...

    def journal_drop(self, text: str, kind: str) -> None: ...


class Delayed:
    """A text frame the writer sends no earlier than `due` (event loop time)."""

    __slots__ = ("due", "text")

    def __init__(self, due: float, text: str):
        self.due = due
        self.text = text


REORDER_HOLD_MS = 1000  # the longest a reordered message waits for one to overtake it (simulator clock)


class Held:
    """Frames of one stream held back by ws_reorder until that stream's next message (of event type
    `release_event`, if set) has been queued, or for REORDER_HOLD_MS at most."""

    __slots__ = ("fault_id", "items", "since_ms", "release_event")

    def __init__(self, fault_id: int, items: list, since_ms: int, release_event: str | None):
        self.fault_id = fault_id
        self.items = items
        self.since_ms = since_ms
        self.release_event = release_event


def targets(conn: Connection) -> list[tuple[str | None, int | None, str | None]]:
    """(stream, accountId, scope) of everything the connection carries."""
    out: list[tuple[str | None, int | None, str | None]] = [(name, None, "stream") for name in conn.names]
    for sink in conn.user_sinks.values():
        out.append((sink.listen_key, sink.account_id, "listenKey"))
    if not out:
        out.append((None, None, "stream" if conn.market else None))
    return out


def silenced(conn: Connection, injector) -> bool:
    """Whether a ws_silence fault holds this connection now (consumes one count of the fault that does)."""
    if fk.WS_SILENCE not in injector.kinds:
        return False
    for stream, account_id, _ in targets(conn):
        if injector.match(fk.WS_SILENCE, stream=stream, account_id=account_id) is not None:
            return True
    return False


def send(conn: Connection, injector, text: str, stream: str | None, account_id: int | None,
         details: dict[str, str | None] | None = None) -> None:
    """Queue one outgoing text message through the live faults; `details` (user data: event and execType) are
    what the faults' filters look at."""
    kinds = injector.kinds
    if fk.WS_SILENCE in kinds and silenced(conn, injector):
        conn.journal_drop(text, fk.WS_SILENCE)
        return
    if fk.WS_DROP in kinds and injector.match(fk.WS_DROP, stream=stream, account_id=account_id, details=details):
        conn.journal_drop(text, fk.WS_DROP)
        return
    copies = 1
    if fk.WS_DUPLICATE in kinds and injector.match(fk.WS_DUPLICATE, stream=stream, account_id=account_id,
                                                   details=details):
        copies = 2
    item: str | Delayed = text
    if fk.WS_DELAY in kinds:
        fault = injector.match(fk.WS_DELAY, stream=stream, account_id=account_id, details=details)
        if fault is not None:
            item = Delayed(asyncio.get_running_loop().time() + fault.params["ms"] / 1000, text)
    key = (stream, account_id)
    held = None
    if conn.held and key in conn.held:
        waiting = conn.held[key]
        if waiting.release_event is None or waiting.release_event == (details or {}).get("event"):
            held = conn.held.pop(key)  # this message overtakes it
    elif fk.WS_REORDER in kinds:
        fault = injector.match(fk.WS_REORDER, stream=stream, account_id=account_id, details=details)
        if fault is not None:
            conn.held[key] = Held(fault.fault_id, [item] * copies, injector.clock.now_ms(),
                                  fault.params.get("event"))
            return
    for _ in range(copies):
        conn.put(item)
    if held is not None:
        for late in held.items:
            conn.put(late)


def release_stale(conn: Connection, injector, now: int) -> None:
    """Send the messages ws_reorder holds for a fault that was cleared or has expired since, or that waited
    REORDER_HOLD_MS with nothing to overtake them."""
    for key, held in list(conn.held.items()):
        if injector.ended(held.fault_id, now) or now - held.since_ms >= REORDER_HOLD_MS:
            del conn.held[key]
            for item in held.items:
                conn.put(item)


def closing(connections: list[Connection], injector) -> dict[Connection, object]:
    """The connections ws_close faults close in this pass, each with the fault that closes it."""
    return injector.match_each(fk.WS_CLOSE, {conn: targets(conn) for conn in connections})


def lifetime_ms(conn: Connection, injector, configured_ms: int) -> int:
    """How old the connection may grow: the configured maximum, or a live ws_lifetime fault's ms if shorter."""
    if fk.WS_LIFETIME not in injector.kinds:
        return configured_ms
    for stream, account_id, _ in targets(conn):
        fault = injector.find(fk.WS_LIFETIME, stream=stream, account_id=account_id)
        if fault is not None:
            return min(configured_ms, fault.params["ms"])
    return configured_ms


def arrived(conn: Connection, injector) -> None:
    """The connection's traffic (it opened, or a frame came in): fault windows that start on first hit and
    target what it carries start now."""
    if injector.waiting:
        for stream, account_id, _ in targets(conn):
            injector.seen(stream=stream, account_id=account_id)
