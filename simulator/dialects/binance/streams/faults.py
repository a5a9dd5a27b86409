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
  ws_duplicate  per message: it is queued twice.
  ws_reorder    per message: it is held, and sent right after the next message of the same stream (so two
                adjacent messages of that stream arrive swapped; the message that releases it is never held
                itself). A held message is also released when its fault is cleared or expires.
  ws_close      per connection, on each of the hub's 100 ms passes: the first fault matching what the
                connection carries closes it now (close frame 1001, queued messages discarded).
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


class Held:
    """Frames of one stream held back by ws_reorder until that stream's next message has been queued."""

    __slots__ = ("fault_id", "items")

    def __init__(self, fault_id: int, items: list):
        self.fault_id = fault_id
        self.items = items


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


def send(conn: Connection, injector, text: str, stream: str | None,
         account_id: int | None) -> None:
    """Queue one outgoing text message through the live faults."""
    kinds = injector.kinds
    if fk.WS_SILENCE in kinds and silenced(conn, injector):
        conn.journal_drop(text, fk.WS_SILENCE)
        return
    copies = 1
    if fk.WS_DUPLICATE in kinds and injector.match(fk.WS_DUPLICATE, stream=stream, account_id=account_id):
        copies = 2
    item: str | Delayed = text
    if fk.WS_DELAY in kinds:
        fault = injector.match(fk.WS_DELAY, stream=stream, account_id=account_id)
        if fault is not None:
            item = Delayed(asyncio.get_running_loop().time() + fault.params["ms"] / 1000, text)
    key = (stream, account_id)
    held = conn.held.pop(key, None) if conn.held else None
    if held is None and fk.WS_REORDER in kinds:
        fault = injector.match(fk.WS_REORDER, stream=stream, account_id=account_id)
        if fault is not None:
            conn.held[key] = Held(fault.fault_id, [item] * copies)
            return
    for _ in range(copies):
        conn.put(item)
    if held is not None:
        for late in held.items:
            conn.put(late)


def release_stale(conn: Connection, injector, now: int) -> None:
    """Send the messages ws_reorder holds for a fault that was cleared or has expired since."""
    for key, held in list(conn.held.items()):
        if injector.ended(held.fault_id, now):
            del conn.held[key]
            for item in held.items:
                conn.put(item)


def close_fault(conn: Connection, injector) -> object | None:
    """The ws_close fault that closes this connection now, if any."""
    for stream, account_id, scope in targets(conn):
        fault = injector.match(fk.WS_CLOSE, stream=stream, account_id=account_id, scope=scope)
        if fault is not None:
            return fault
    return None
