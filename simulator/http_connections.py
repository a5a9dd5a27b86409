"""HTTP connections as exsim serves them: every request arrives within a bounded time, and malformed HTTP is
answered without a traceback.

aiohttp's server, left alone, waits for a request as long as its client likes: a connection that sends half a
request line, or headers announcing a body it never sends, is held (with its file descriptor and buffers) until
the client goes, so a few hundred of them exhaust the process. Here, per connection:

* a request's headers must be complete within `read_timeout` seconds, counted from the connection's start for
  its first request and from the first byte for each later one;
* its body may not stall for longer than `read_timeout` (counted from the last bytes received, so a large upload
  at any reasonable rate is fine; a body the handler is slow to read, which pauses reading, does not count);
* between requests, an idle keep-alive connection is closed after `KEEPALIVE_S`, as aiohttp's `run_app` does.

A connection past its deadline is closed, with one log line. WebSocket connections, once upgraded, are the
stream hub's to police (pings, pong deadlines, lifetime). A request aiohttp cannot parse gets its 400 with one log
line rather than an error with a traceback (aiohttp logs those as server errors), and so does a client that went
away mid-request.

This relies on aiohttp's request handler protocol (`web_protocol.RequestHandler`) and a few of its private
fields; the tests pin the behaviour for the aiohttp version installed.
"""
from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.streams import StreamReader

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 20.0
KEEPALIVE_S = 75.0


class BoundedRequestHandler(web.RequestHandler):
    """aiohttp's per-connection protocol with the read deadlines above."""

    __slots__ = ("_read_timeout", "_read_deadline", "_body")

    def __init__(self, manager: web.Server, *, read_timeout: float, **kwargs: Any):
        super().__init__(manager, **kwargs)
        self._read_timeout = read_timeout
        self._read_deadline: asyncio.TimerHandle | None = None
        self._body: StreamReader | None = None  # the body still arriving, if any

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm(restart=False)  # the first request's headers are due

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        self._body = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        requests = self._request_count
        super().data_received(data)
        if self._upgraded or self.transport is None:  # a WebSocket now (the hub polices it), or closed
            self._disarm()
            self._body = None
            return
        parsed = self._request_count != requests and bool(self._messages)
        if parsed:  # a request's headers are complete; the newest one's body may still be on its way
            payload = self._messages[-1][1]
            self._body = None if payload.is_eof() else payload
            self._disarm()
        if self._body is not None:
            if self._body.is_eof():
                self._body = None
                self._disarm()
            else:
                self._arm(restart=True)  # the body moved on: a stall is timed from now
        elif not parsed and data:
            self._arm(restart=False)  # part of a request's headers: timed from its first byte

    def _arm(self, *, restart: bool) -> None:
        if self._read_deadline is not None:
            if not restart:
                return
            self._read_deadline.cancel()
        self._read_deadline = self._loop.call_later(self._read_timeout, self._read_timed_out)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _read_timed_out(self) -> None:
        self._read_deadline = None
        if self.transport is None:
            return
        if self._body is not None and self._reading_paused:  # our handler is the slow side, not the client
            self._arm(restart=True)
            return
        peer = self.transport.get_extra_info("peername")
        what = "its request body stalled" if self._body is not None else "no complete request headers"
        log.info("closing the connection from %s: %s for %g s", peer[0] if peer else "?", what,
                 self._read_timeout)
        self.force_close()

    def handle_error(self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if isinstance(exc, ConnectionError):  # the client went (or was cut off) mid-request: nobody to answer
            log.debug("connection from %s lost mid-request: %s", request.remote, exc)
        elif isinstance(exc, HttpProcessingError):  # HTTP we cannot parse: the client's fault, one line
            # aiohttp's message spans lines (the bad bytes, a caret under them): one line, without the caret
            message = " ".join(part.strip() for part in str(message or exc).splitlines() if part.strip(" ^"))
            log.info("malformed HTTP from %s: %s", request.remote, message)
        else:
            return super().handle_error(request, status, exc, message)
        if request.writer.output_size > 0:
            raise ConnectionError("the response had already begun")
        response = web.Response(status=status, text=f"{status} {HTTPStatus(status).phrase}: {message or exc}\n")
        response.force_close()
        return response


class BoundedServer(web.Server):
    """aiohttp's low-level server, making `BoundedRequestHandler`s."""

    def __init__(self, *args: Any, read_timeout: float, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.read_timeout = read_timeout

    def __call__(self) -> BoundedRequestHandler:
        return BoundedRequestHandler(self, loop=self._loop, read_timeout=self.read_timeout, **self._kwargs)


class BoundedAppRunner(web.AppRunner):
    """An AppRunner whose connections are `BoundedRequestHandler`s."""

    def __init__(self, app: web.Application, *, read_timeout: float = READ_TIMEOUT_S, **kwargs: Any):
        if not read_timeout > 0:
            raise ValueError("the read timeout must be positive")
        super().__init__(app, keepalive_timeout=KEEPALIVE_S, **kwargs)
        self.read_timeout = read_timeout

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()  # starts the app up and gathers the handler's settings
        return BoundedServer(plain.request_handler, request_factory=plain.request_factory,
                             handler_cancellation=plain.handler_cancellation, loop=asyncio.get_running_loop(),
                             read_timeout=self.read_timeout, **plain._kwargs)
