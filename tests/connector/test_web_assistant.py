"""REST through the web assistant, with aioresponses: what is signed is what is sent, errors, -1021 resync,
429/418 bans, unknown outcomes."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from aioresponses import aioresponses

from connector import constants as c
from connector.auth import BinanceAuth
from connector.throttler import AsyncThrottler
from connector.time_synchronizer import TimeSynchronizer
from connector.web_assistant import ExchangeError, WebAssistantsFactory

BASE = "http://exchange.test"


def any_query(path):
    return re.compile(re.escape(BASE + path) + r"(\?.*)?$")


@pytest.fixture
async def api():
    sync = TimeSynchronizer()
    factory = WebAssistantsFactory(BASE, BinanceAuth("k", "s", sync), AsyncThrottler(c.DEFAULT_SPOT_POOLS), sync,
                                   request_timeout=1)
    yield factory
    await factory.close()


def sent(mocked, method, path):
    return [call for (m, url), calls in mocked.requests.items() if m == method and url.path == path
            for call in calls], [url for (m, url) in mocked.requests if m == method and url.path == path]


async def test_signed_post_signs_exactly_the_query_and_body_that_arrive():
    """A real loopback server records the raw bytes; the signature must verify over them (aioresponses would
    show a normalised URL, not what went over the wire)."""
    seen = {}

    async def order(request):
        seen.update(query=request.query_string, body=(await request.read()).decode(),
                    key=request.headers.get("X-MBX-APIKEY"), type=request.headers.get("Content-Type"))
        return web.json_response({"orderId": 1})

    app = web.Application()
    app.router.add_post(c.ORDER, order)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    sync = TimeSynchronizer()
    api = WebAssistantsFactory(f"http://127.0.0.1:{port}", BinanceAuth("k", "s", sync),
                               AsyncThrottler(c.DEFAULT_SPOT_POOLS), sync, request_timeout=5)
    try:
        params = {"symbol": "BTCUSDT", "quantity": "0.5", "newClientOrderId": "x-A_b-1"}
        assert await api.api_request("POST", c.ORDER, params, signed=True) == {"orderId": 1}
    finally:
        await api.close()
        await runner.cleanup()
    assert seen["body"] == "symbol=BTCUSDT&quantity=0.5&newClientOrderId=x-A_b-1"
    unsigned, signature = seen["query"].rsplit("&signature=", 1)
    assert unsigned.startswith("recvWindow=5000&timestamp=")
    assert signature == hmac.new(b"s", (unsigned + seen["body"]).encode(), hashlib.sha256).hexdigest()
    assert seen["key"] == "k" and seen["type"] == "application/x-www-form-urlencoded"


async def test_signed_get_puts_everything_in_the_query(api):
    with aioresponses() as m:
        m.get(any_query(c.ACCOUNT), payload={"balances": []})
        await api.api_request("GET", c.ACCOUNT, {"omitZeroBalances": True}, signed=True)
        calls, urls = sent(m, "GET", c.ACCOUNT)
    params = dict(parse_qsl(urls[0].raw_query_string))
    assert params["omitZeroBalances"] == "true" and "signature" in params and calls[0].kwargs["data"] is None


async def test_error_body_becomes_exchange_error(api):
    with aioresponses() as m:
        m.post(any_query(c.ORDER), status=400, payload={"code": -2010, "msg": "Account has insufficient balance"})
        with pytest.raises(ExchangeError) as info:
            await api.api_request("POST", c.ORDER, {}, signed=True)
    assert (info.value.status, info.value.code, info.value.unknown_outcome) == (400, -2010, False)


async def test_minus_1021_resyncs_the_clock_and_resends_once(api):
    with aioresponses() as m:
        m.get(any_query(c.ACCOUNT), status=400,
              payload={"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."})
        m.get(any_query(c.TIME), payload={"serverTime": 9_999_999_999_999}, repeat=True)
        m.get(any_query(c.ACCOUNT), payload={"balances": []})
        assert await api.api_request("GET", c.ACCOUNT, signed=True) == {"balances": []}
        _, urls = sent(m, "GET", c.ACCOUNT)
    assert len(urls) == 2  # aioresponses keys by url: two different timestamps, two requests
    assert api.time_synchronizer.offset_ms > 1_000_000_000


async def test_429_bans_the_connector_for_retry_after(api):
    with aioresponses() as m:
        m.get(any_query(c.PING), status=429, headers={"Retry-After": "1"},
              payload={"code": -1003, "msg": "Too much request weight used"})
        m.get(any_query(c.PING), payload={})
        with pytest.raises(ExchangeError) as info:
            await api.api_request("GET", c.PING)
        assert info.value.rate_limited and info.value.retry_after == 1.0 and api.throttler.banned
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.wait_for(api.api_request("GET", c.PING), 5)
        assert loop.time() - start >= 0.95


async def test_418_is_a_ban_too(api):
    with aioresponses() as m:
        m.get(any_query(c.PING), status=418, headers={"Retry-After": "120"},
              payload={"code": -1003, "msg": "Way too much request weight used; IP banned until 1."})
        with pytest.raises(ExchangeError):
            await api.api_request("GET", c.PING)
    assert api.throttler.banned_until - asyncio.get_running_loop().time() > 0  # monotonic clock, same base
    assert api.throttler.bans == 1


@pytest.mark.parametrize("status,body", [(503, {"code": -1007, "msg": "Timeout waiting for response"}),
                                         (502, None)])
async def test_server_side_failures_have_an_unknown_outcome(api, status, body):
    with aioresponses() as m:
        m.post(any_query(c.ORDER), status=status, payload=body)
        with pytest.raises(ExchangeError) as info:
            await api.api_request("POST", c.ORDER, {}, signed=True)
    assert info.value.unknown_outcome


@pytest.mark.parametrize("body", [{"code": -1008, "msg": "Request throttled by system-level protection."},
                                  {"code": -1000, "msg": "Service Unavailable."}])
async def test_503s_binance_says_were_not_executed_are_plain_failures(api, body):
    with aioresponses() as m:
        m.post(any_query(c.ORDER), status=503, payload=body)
        with pytest.raises(ExchangeError) as info:
            await api.api_request("POST", c.ORDER, {}, signed=True)
    assert not info.value.unknown_outcome


async def test_no_answer_has_an_unknown_outcome(api):
    with aioresponses() as m:
        m.post(any_query(c.ORDER), exception=asyncio.TimeoutError())
        with pytest.raises(ExchangeError) as info:
            await api.api_request("POST", c.ORDER, {}, signed=True)
    assert info.value.unknown_outcome and info.value.status == 0


async def test_used_weight_headers_reach_the_throttler(api):
    with aioresponses() as m:
        m.get(any_query(c.PING), payload={}, headers={"X-MBX-USED-WEIGHT-1M": "4000"})
        await api.api_request("GET", c.PING)
    pool = next(p for p in api.throttler.pools if p.kind == "REQUEST_WEIGHT")
    assert pool.used(asyncio.get_running_loop().time()) == 4000


async def test_the_session_is_created_once_in_the_running_loop(api):
    first = await api.session()
    assert await api.session() is first and first._loop is asyncio.get_running_loop()
