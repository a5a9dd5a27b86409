"""The journal: an append-only JSON-lines record of every request, response and WebSocket message.

One JSON object per line, flushed as it is written, so a crash loses at most the line being written:

    {"n": 1, "t": 1700000000000, "type": "request", "id": 1, "method": "POST", "path": "/api/v3/order",
     "query": "symbol=BTCUSDT&...", "remote": "127.0.0.1", "headers": {...}, "body": "..."}
    {"n": 2, "t": 1700000000003, "type": "response", "id": 1, "status": 200, "headers": {...}, "body": "..."}
    {"n": 3, "t": ..., "type": "ws", "direction": "out", "connection": 7, "path": "/ws", "data": "..."}

`t` is the simulator's clock (ms); `id` pairs a response with its request. Secrets never reach the file: the
admin token and Authorization headers are written as "<redacted>" (a request's HMAC signature is kept: it is
useless without the secret and needed to replay the request byte for byte).

REST is recorded by `middleware(journal)`, which the server mounts outermost when started with `--journal`.
WebSocket traffic is recorded by the stream hub (simulator.dialects.binance.streams.hub), which finds the Journal
at `app[JOURNAL]` (simulator.app_keys): per connection (`connection` numbers them), an "open" line, each frame "in" and "out" as it
crosses the wire (text in `data`; pings and pongs as {"frame": "ping"} with no data), a "drop" line for each
message a fault kept from the client ({"fault": "ws_silence"} or "depth_gap"), and a "close" line.
"""
from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path
from typing import Any, Callable

from aiohttp import web


REDACTED_HEADERS = frozenset(("x-exsim-admin-token", "authorization", "cookie"))
MAX_BODY_CHARS = 1 << 20  # longer bodies are cut (with "truncated": true) to keep the journal usable


def _text(raw: bytes | str | None) -> tuple[str | None, bool]:
    if raw is None:
        return None, False
    text = raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else raw
    if len(text) > MAX_BODY_CHARS:
        return text[:MAX_BODY_CHARS], True
    return text, False


def _headers(headers) -> dict[str, str]:
    return {k: ("<redacted>" if k.lower() in REDACTED_HEADERS else v) for k, v in headers.items()}


class Journal:
    def __init__(self, path: str | Path, clock: Callable[[], int] | None = None):
        self.path = Path(path)
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self._clock = clock
        self._lock = threading.Lock()
        self._lines = itertools.count(1)
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        return next(self._ids)

    def write(self, record: dict[str, Any]) -> None:
        """Append one record as one line, and flush it."""
        with self._lock:
            if self._file.closed:
                return
            line = {"n": next(self._lines)}
            if self._clock is not None:
                line["t"] = self._clock()
            line.update(record)
            self._file.write(json.dumps(line, separators=(",", ":"), default=str) + "\n")
            self._file.flush()

    def request(self, request_id: int, method: str, path: str, query: str, remote: str | None, headers,
                body: bytes | None) -> None:
        text, truncated = _text(body)
        record = {"type": "request", "id": request_id, "method": method, "path": path, "query": query,
                  "remote": remote, "headers": _headers(headers), "body": text}
        if truncated:
            record["truncated"] = True
        self.write(record)

    def response(self, request_id: int, status: int, headers, body: bytes | str | None, **extra: Any) -> None:
        text, truncated = _text(body)
        record = {"type": "response", "id": request_id, "status": status, "headers": _headers(headers),
                  "body": text, **extra}
        if truncated:
            record["truncated"] = True
        self.write(record)

    def ws(self, direction: str, connection: int | str, path: str, data: str | bytes | None, **extra: Any) -> None:
        """One WebSocket message ('in' from the client, 'out' to it, 'drop' when a fault kept it from the
        client), or an 'open'/'close' of a connection."""
        text, truncated = _text(data)
        record = {"type": "ws", "direction": direction, "connection": connection, "path": path, "data": text,
                  **extra}
        if truncated:
            record["truncated"] = True
        self.write(record)

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()


def middleware(journal: Journal):
    """An aiohttp middleware recording each request and what was answered (WebSocket upgrades: the request and
    a response line with "upgrade": true; their messages are the WS hook's)."""

    @web.middleware
    async def journal_middleware(request: web.Request, handler) -> web.StreamResponse:
        request_id = journal.next_id()
        body = None
        length = request.content_length
        if request.body_exists and length is not None and length <= request.client_max_size:
            body = await request.read()  # cached by aiohttp: the handler reads the same bytes
        # A body of unknown or excessive length is left to the handler (which refuses or streams it) unread.
        journal.request(request_id, request.method, request.path, request.query_string, request.remote,
                        request.headers, body)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            journal.response(request_id, exc.status, exc.headers, exc.text)
            raise
        except BaseException as exc:
            journal.response(request_id, 500, {}, None, error=type(exc).__name__)
            raise
        if isinstance(response, web.Response):
            journal.response(request_id, response.status, response.headers, response.body)
        else:
            journal.response(request_id, response.status, response.headers, None, upgrade=_is_upgrade(request))
        return response

    return journal_middleware


def _is_upgrade(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"
