"""No client can hold a socket open for ever: requests arrive within the read timeout or the connection is
closed, malformed HTTP gets a 400 and one log line (no traceback), and a WebSocket consumer dropped for overflow
has its socket closed at once, whatever sits unread in its buffers."""
from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web

from simulator.cli import main
from simulator.dialects.binance.streams import connection
from simulator.server import create_app, make_runner

READ_TIMEOUT = 0.5
WAIT = 5.0  # how long any single wait may take before the test fails


@asynccontextmanager
async def serving(sim, read_timeout: float = READ_TIMEOUT):
    """The whole exsim app on an ephemeral port, in this test's loop, with a short read timeout."""
    runner = make_runner(create_app(sim), read_timeout=read_timeout)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1]
    finally:
        await runner.cleanup()


async def closed_after(port: int, *chunks: bytes, gap: float = 0.0) -> tuple[bytes, float]:
    """Send `chunks` (`gap` seconds apart, stopping if the server closes first), then read to the end; (what
    came back, seconds until the server closed)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    try:
        for i, chunk in enumerate(chunks):
            if i and gap:
                await asyncio.sleep(gap)
            writer.write(chunk)
            await writer.drain()
        data = await asyncio.wait_for(reader.read(), WAIT)
    except ConnectionError:  # closed by the server while we were still sending
        data = b""
    finally:
        writer.close()
    return data, time.monotonic() - started


@pytest.mark.parametrize("sent", [
    [b"GET /api/v3/ti"],  # half a request line
    [b"GET /api/v3/time HTTP/1.1\r\nHost: 127.0.0.1\r\n"],  # headers never finished
    [],  # nothing at all
    [b"GET /api/v3/time?"] + [b"a"] * 40,  # a byte every 0.1 s: closed long before the trickle ends
])
async def test_a_request_whose_headers_never_complete_is_closed_within_the_read_timeout(sim, sent):
    async with serving(sim) as port:
        data, elapsed = await closed_after(port, *sent, gap=0.1)
    assert data == b""
    assert READ_TIMEOUT * 0.9 <= elapsed < READ_TIMEOUT + 2


@pytest.mark.parametrize("path, extra", [("/api/v3/order", b""),
                                         ("/_sim/v1/accounts", b"Content-Type: application/json\r\n")])
async def test_a_stalled_body_is_closed_within_the_read_timeout_without_a_traceback(sim, caplog, path, extra):
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n".encode() + extra + b"\r\n"
    with caplog.at_level(logging.DEBUG):
        async with serving(sim) as port:
            data, elapsed = await closed_after(port, head + b"symbol=BTC")
    assert data == b"" and READ_TIMEOUT * 0.9 <= elapsed < READ_TIMEOUT + 2
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING]
    assert any("request body stalled" in r.getMessage() for r in caplog.records)


async def test_a_slow_body_that_keeps_moving_is_served(sim):
    """The body deadline bounds a stall, not the upload: three pauses of 60% of the timeout are fine."""
    body = json.dumps({"name": "slow-but-steady"}).encode()
    head = (f"POST /_sim/v1/accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    async with serving(sim, read_timeout=1.0) as port:
        data, _ = await closed_after(port, head, body[:5], body[5:10], body[10:], gap=0.6)
    assert data.startswith(b"HTTP/1.1 200") and b"slow-but-steady" in data


async def test_an_idle_keep_alive_connection_and_an_idle_websocket_outlive_the_read_timeout(sim):
    async with serving(sim) as port:
        async with aiohttp.ClientSession() as session:
            for _ in range(2):  # the same pooled connection, idle in between for longer than the timeout
                async with session.get(f"http://127.0.0.1:{port}/api/v3/time") as response:
                    assert response.status == 200
                await asyncio.sleep(READ_TIMEOUT * 2)
            assert session.connector is not None
            ws = await session.ws_connect(f"ws://127.0.0.1:{port}/ws")
            for i in range(2):  # a WebSocket's frames are not requests: no deadline runs between them
                await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}))
                msg = await ws.receive(timeout=WAIT)
                assert json.loads(msg.data) == {"result": [], "id": i}
                await asyncio.sleep(READ_TIMEOUT * 2)
            await ws.close()


async def test_a_later_request_on_a_kept_alive_connection_has_the_same_deadline(sim):
    first = b"GET /api/v3/time HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    async with serving(sim) as port:
        data, elapsed = await closed_after(port, first, b"GET /api/v3/ti", gap=0.2)
    assert data.startswith(b"HTTP/1.1 200") and data.count(b"HTTP/1.1") == 1  # the first answered, then closed
    assert 0.2 + READ_TIMEOUT * 0.9 <= elapsed < READ_TIMEOUT + 2


@pytest.mark.parametrize("request_bytes, words", [
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n", "Invalid header"),
    (b"GET /api/v3/time HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: nope\r\n\r\n", "Content-Length"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", "HTTPS"),
])
async def test_malformed_http_gets_a_400_and_one_log_line_without_a_traceback(sim, caplog, request_bytes, words):
    with caplog.at_level(logging.DEBUG):
        async with serving(sim) as port:
            data, _ = await closed_after(port, request_bytes)
    assert data.startswith(b"HTTP/1.0 400") or data.startswith(b"HTTP/1.1 400")
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING]
    lines = [r.getMessage() for r in caplog.records if r.name == "simulator.http_connections"]
    assert len(lines) == 1 and words in lines[0] and "\n" not in lines[0]


@pytest.mark.parametrize("value", ["0", "-2", "nan", "inf"])
def test_serve_refuses_a_read_timeout_that_is_not_a_positive_number(value, capsys):
    assert main(["serve", "--port", "0", "--read-timeout", value]) == 2
    assert "--read-timeout must be a positive number" in capsys.readouterr().err


def test_a_slow_consumer_dropped_for_overflow_has_its_socket_closed_at_once(server, monkeypatch):
    """The client reads nothing, so megabytes wait in the server's transport; dropping it must free the socket
    (abort), not wait for those bytes to drain (close) until the client goes."""
    monkeypatch.setattr(connection, "CLOSE_TIMEOUT_S", 0.2)  # how long the close handshake is tried
    server.hub.settings.max_queue = 4
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.settimeout(WAIT)
    client.connect(("127.0.0.1", server.port))
    try:
        client.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += client.recv(1)
        assert head.startswith(b"HTTP/1.1 101")
        conn = wait_until(lambda: next(iter(server.hub.connections), None))
        transport = conn.request.transport
        chunk = "x" * 1_000_000

        def fill() -> bool:  # one more megabyte whenever the writer has taken the last
            if conn.queue.qsize() == 0:
                conn.put(chunk)
            return transport.get_write_buffer_size() > 64 * 1024  # past asyncio's high-water mark: the
            # kernel's buffers are full, and the writer waits for the client to read

        wait_until(lambda: server.call(fill))
        server.call(lambda: [conn.put(chunk) for _ in range(server.hub.settings.max_queue + 1)])
        assert server.call(lambda: conn.closing)  # dropped for overflow
        sock = transport.get_extra_info("socket")
        wait_until(lambda: server.call(lambda: sock.fileno() == -1))  # the server's socket is gone
    finally:
        client.close()


def wait_until(probe, timeout: float = WAIT):
    """The first truthy value of `probe()`, polled until `timeout`; fails the test after that."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {timeout} s: {probe}")
        time.sleep(0.01)
