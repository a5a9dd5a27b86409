"""The journal: an append-only JSON-lines record of every request, response and WebSocket message.

One JSON object per line, flushed as it is written, so a crash loses at most the line being written:

    {"n": 1, "t": 1700000000000, "type": "request", "id": 1, "method": "POST", "path": "/api/v3/order",
     "query": "symbol=BTCUSDT&...", "remote": "127.0.0.1", "headers": {...}, "body": "..."}
    {"n": 2, "t": 1700000000003, "type": "response", "id": 1, "status": 200, "headers": {...}, "body": "..."}
    {"n": 3, "t": ..., "type": "ws", "direction": "out", "connection": 7, "path": "/ws", "data": "..."}

`t` is the simulator's clock (ms); `id` pairs a response with its request.

Secrets never reach the file. The admin token, Authorization and cookie headers are written as "<redacted>";
so are the values of `secret` and `signature`, wherever they appear: JSON fields (an account's API secret, a
ws-api request's signature), query and form parameters (a signed REST request), and `secret:` lines of scenario
YAML. (A signature is no use without its request's timestamp window, and a journal is read, not replayed.) A
snapshot document, downloaded or uploaded at `/_sim/v1/snapshot`, is left out (`"body": null, "omitted":
"snapshot"`): it is the whole state, every API secret included, and `exsim snapshot save` keeps one when it is
wanted (an upload's answer, or a refusal, is written as usual). API keys and listenKeys are kept: a key only
names an account, and a listenKey is what a reader follows a user stream by (it dies within the hour, on this
server only).

The file is created readable by its owner only (0600), and it is bounded: once it would pass `max_bytes`, it is
renamed to FILE.1 (replacing the one before) and a new FILE is started, so the two never hold much more than
twice the bound; line numbers continue. If the file cannot be written or rotated, journaling stops, with one
log line saying why; the server goes on.

REST is recorded by `middleware(journal)`, which the server mounts outermost when started with `--journal`.
WebSocket traffic is recorded by each stream connection (simulator.dialects.binance.streams.connection), which
finds the Journal at `app[JOURNAL]` (simulator.app_keys): per connection (`connection` numbers them), an "open"
line, each frame "in" and "out" as it crosses the wire (text in `data`; pings and pongs as {"frame": "ping"}
with no data), a "drop" line for each message a fault kept from the client ({"fault": "ws_silence"} or
"depth_gap"), and a "close" line.
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any, Callable

from aiohttp import web

from simulator.control.http import PREFIX

log = logging.getLogger(__name__)

REDACTED = "<redacted>"
REDACTED_HEADERS = frozenset(("x-exsim-admin-token", "authorization", "cookie", "set-cookie"))
MAX_BODY_CHARS = 1 << 20  # longer bodies are cut (with "truncated": true) to keep the journal usable
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
SNAPSHOT_PATH = f"{PREFIX}/snapshot"  # its bodies are the whole state, every secret included: never written
_SECRET_VALUES = (  # (what finds a value, what replaces it: the name kept, the value redacted)
    (re.compile(r'("(?:secret|signature)"\s*:\s*)"(?:[^"\\]|\\.)*"'), rf'\g<1>"{REDACTED}"'),  # JSON field
    (re.compile(r'((?:^|[?&])(?:secret|signature)=)[^&\s"]*'), rf"\g<1>{REDACTED}"),  # query or form parameter
    # a YAML `secret:` line, raw or inside a JSON string (where its quotes are \" and its line ends \n)
    (re.compile(r"""(\bsecret[ \t]*:[ \t]*)(?:\\"(?:[^"\\]|\\[^"])*\\"|'[^']*'|"[^"]*"|[^\s\\,}\]]+)"""),
     rf"\g<1>{REDACTED}"),
)


def redact(text: str) -> str:
    """`text` with the value of every `secret` and `signature` it carries replaced by "<redacted>"."""
    if "secret" not in text and "signature" not in text:  # the common case, cheaply
        return text
    for pattern, replacement in _SECRET_VALUES:
        text = pattern.sub(replacement, text)
    return text


def _text(raw: bytes | str | None) -> tuple[str | None, bool]:
    if raw is None:
        return None, False
    text = redact(raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else raw)
    if len(text) > MAX_BODY_CHARS:
        return text[:MAX_BODY_CHARS], True
    return text, False


def _headers(headers) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in REDACTED_HEADERS else redact(v)) for k, v in headers.items()}


def _open_private(path: Path):
    """`path` opened for appending bytes, created readable and writable by its owner only. Unbuffered: each line
    is one write, so nothing is left half in a buffer when a write fails."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab", buffering=0)


class Journal:
    def __init__(self, path: str | Path, clock: Callable[[], int] | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES):
        if max_bytes <= 0:
            raise ValueError("the journal's size bound must be positive")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._file = _open_private(self.path)  # closed by close()
        self._size = os.fstat(self._file.fileno()).st_size
        self._clock = clock
        self._lock = threading.Lock()
        self._lines = itertools.count(1)
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        return next(self._ids)

    def write(self, record: dict[str, Any]) -> None:
        """Append one record as one line, written at once (first rotating the file if the line would take it
        past `max_bytes`)."""
        with self._lock:
            if self._file.closed:
                return
            line = {"n": next(self._lines)}
            if self._clock is not None:
                line["t"] = self._clock()
            line.update(record)
            data = (json.dumps(line, separators=(",", ":"), default=str) + "\n").encode()
            try:
                if self._size and self._size + len(data) > self.max_bytes:
                    self._rotate()
                self._file.write(data)
            except OSError as exc:
                log.error("journal %s cannot be written (%s): journaling stopped", self.path, exc.strerror or exc)
                self._file.close()
                return
            self._size += len(data)

    def _rotate(self) -> None:
        self._file.close()
        rotated = self.path.with_name(self.path.name + ".1")
        os.replace(self.path, rotated)
        self._file = _open_private(self.path)
        self._size = 0
        log.info("journal %s reached its bound of %d bytes: moved to %s, continuing in a new file", self.path,
                 self.max_bytes, rotated)

    def request(self, request_id: int, method: str, path: str, query: str, remote: str | None, headers,
                body: bytes | None) -> None:
        record = {"type": "request", "id": request_id, "method": method, "path": path, "query": redact(query),
                  "remote": remote, "headers": _headers(headers),
                  **_body(body, whole_state=path == SNAPSHOT_PATH and method != "GET")}
        self.write(record)

    def response(self, request_id: int, status: int, headers, body: bytes | str | None, *,
                 whole_state: bool = False, **extra: Any) -> None:
        """`whole_state`: the body is a snapshot (the answer to `GET /_sim/v1/snapshot`), left out."""
        record = {"type": "response", "id": request_id, "status": status, "headers": _headers(headers),
                  **_body(body, whole_state=whole_state), **extra}
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


def _body(raw: bytes | str | None, *, whole_state: bool) -> dict[str, Any]:
    """The "body" fields of a request or response record."""
    if whole_state and raw:
        return {"body": None, "omitted": "snapshot"}
    text, truncated = _text(raw)
    return {"body": text, "truncated": True} if truncated else {"body": text}


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
            whole_state = request.path == SNAPSHOT_PATH and request.method == "GET" and response.status == 200
            journal.response(request_id, response.status, response.headers, response.body, whole_state=whole_state)
        else:
            journal.response(request_id, response.status, response.headers, None, upgrade=_is_upgrade(request))
        return response

    return journal_middleware


def _is_upgrade(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"
