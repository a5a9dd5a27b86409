"""Who listens to which market stream, and delivering one payload to a stream's subscribers.

Each subscribed name has its parsed `StreamSpec`; names are also indexed by (kind, symbol), which is how the
fan-out finds the streams an engine event or an interval pass feeds. A payload is serialised once, and once more
per wrapping that some subscriber wants (combined-stream envelope, microsecond times).
"""
from __future__ import annotations

import json

from simulator.dialects.binance.streams.connection import Connection
from simulator.dialects.binance.streams.stream_names import StreamSpec
from simulator.dialects.binance.streams.user import dumps
from simulator.dialects.binance.wire.time_unit import event_to_microseconds


class Subscriptions:
    def __init__(self) -> None:
        self.subscribers: dict[str, dict[Connection, None]] = {}  # market stream name -> connections
        self.specs: dict[str, StreamSpec] = {}
        self.by_symbol_kind: dict[tuple[str, str | None], dict[str, None]] = {}  # (kind, symbol) -> names

    def add(self, conn: Connection, name: str, spec: StreamSpec) -> None:
        if conn.closed or name in conn.names:
            return
        conn.names[name] = None
        subscribers = self.subscribers.get(name)
        if subscribers is None:
            subscribers = self.subscribers[name] = {}
            self.specs[name] = spec
            self.by_symbol_kind.setdefault((spec.kind, spec.symbol), {})[name] = None
        subscribers[conn] = None

    def remove(self, conn: Connection, name: str) -> StreamSpec | None:
        """Unsubscribe; the stream's spec when this was its last subscriber (the stream is gone), else None."""
        conn.names.pop(name, None)
        subscribers = self.subscribers.get(name)
        if subscribers is None:
            return None
        subscribers.pop(conn, None)
        if subscribers:
            return None
        del self.subscribers[name]
        spec = self.specs.pop(name)
        names = self.by_symbol_kind[(spec.kind, spec.symbol)]
        del names[name]
        if not names:
            del self.by_symbol_kind[(spec.kind, spec.symbol)]
        return spec

    def names(self, kind: str, symbol: str | None) -> list[str]:
        names = self.by_symbol_kind.get((kind, symbol))
        return list(names) if names else []

    def publish(self, name: str, payload: object) -> None:
        """Send one payload to a market stream's subscribers, raw or wrapped as each connection wants it."""
        subscribers = self.subscribers.get(name)
        if not subscribers:
            return
        texts: dict[bool, str] = {}  # microseconds? -> the payload serialised, once and only if someone wants it
        frames: dict[tuple[bool, bool], str] = {}  # (microseconds?, combined?) -> the frame sent
        for conn in list(subscribers):
            variant = (conn.micro, conn.combined)
            frame = frames.get(variant)
            if frame is None:
                text = texts.get(conn.micro)
                if text is None:
                    text = texts[conn.micro] = dumps(event_to_microseconds(payload) if conn.micro else payload)
                frame = frames[variant] = f'{{"stream":{json.dumps(name)},"data":{text}}}' if conn.combined else text
            conn.send(frame, name)

    def drop(self, name: str, payload: object, kind: str) -> None:
        """A message a fault keeps from a whole stream: journaled for each subscriber, sent to none."""
        text = None
        for conn in self.subscribers.get(name, ()):
            if conn.journal is not None:
                text = text if text is not None else dumps(payload)
                conn.journal_drop(text, kind)
