"""The HTTP edge: unknown paths and methods, oversized and malformed bodies, and unexpected exceptions."""
from __future__ import annotations

import logging

import aiohttp

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from simulator.app_keys import SIMULATOR
from simulator.dialects.binance.wire import rest as http
from simulator.dialects.binance.spot import routes as spot_rest
from simulator.server import MAX_BODY_BYTES
from tests.server import rest_helpers
from tests.server.rest_helpers import SYMBOL, Rest, make_sim

rest = rest_helpers.rest  # shared fixture
rest_sim = rest_helpers.rest_sim  # shared fixture

NOT_FOUND = (404, -1, "Unknown path.")


async def test_unknown_paths_and_methods_get_json_404s_with_the_weight_header(rest):
    for method, path in (("GET", "/"), ("GET", "/api/v3/"), ("GET", "/api/v9/ping"), ("POST", "/api/v3/ping"),
                         ("PUT", "/api/v3/depth"), ("PATCH", "/api/v3/order"), ("GET", "/api/v3/order/cancel")):
        reply = await rest.request(method, path)
        assert reply.error == NOT_FOUND, (method, path)
        assert reply.headers["Content-Type"].startswith("application/json")
        assert "X-MBX-USED-WEIGHT-1M" in reply.headers


async def test_head_is_not_served(rest):
    reply = await rest.request("HEAD", "/api/v3/ping")
    assert reply.status == 404 and "X-MBX-USED-WEIGHT-1M" in reply.headers


async def test_a_body_over_the_server_limit_is_a_clean_binance_error(rest):
    reply = await rest.request("POST", "/api/v3/order", body=b"a" * (MAX_BODY_BYTES + 1),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.error == (400, -1101, "Too many parameters sent for this endpoint.")
    assert "X-MBX-USED-WEIGHT-1M" in reply.headers
    under_the_server_limit = await rest.request("POST", "/api/v3/order", body="x=" + "a" * 70_000)
    assert under_the_server_limit.error[:2] == (400, -1101)  # params.MAX_REQUEST_SIZE


async def test_malformed_bodies(rest):
    junk = await rest.request("POST", "/api/v3/order", body=b"\xff\xfe\x00junk",
                              headers={"Content-Type": "application/octet-stream"})
    assert junk.error == (400, -1100, "Illegal characters found in a parameter.")
    as_json = await rest.request("POST", "/api/v3/order/test", body='{"symbol": "BTCUSDT"}',
                                 headers={"Content-Type": "application/json", "X-MBX-APIKEY": "demo-api-key"})
    assert as_json.error == (400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or "
                                         "malformed.")
    unicode = await rest.public("GET", "/api/v3/depth", symbol="BTC€USDT")
    assert unicode.error[:2] == (400, -1100)
    public_with_body = await rest.request("GET", "/api/v3/depth", body=f"symbol={SYMBOL}")
    assert public_with_body.status == 200


async def test_routes_of_other_modules_keep_their_own_answers():
    async def teapot(request):
        raise web.HTTPNotFound(text="not mine")

    app = web.Application(middlewares=spot_rest.middlewares())
    app[SIMULATOR] = make_sim()
    app.router.add_get("/elsewhere", teapot)
    async with TestClient(TestServer(app)) as client:
        async with client.get("/elsewhere") as response:
            assert (response.status, await response.text()) == (404, "not mine")


async def test_an_unexpected_exception_becomes_a_logged_json_1000(caplog):
    def explode(call):
        raise RuntimeError("boom")

    app = web.Application(middlewares=spot_rest.middlewares())
    app[SIMULATOR] = make_sim()
    http.add_endpoints(app, [http.Endpoint("GET", "/api/v3/explode", http.NONE, 3, explode)])
    with caplog.at_level(logging.ERROR, logger=http.__name__):
        async with TestClient(TestServer(app)) as client:
            reply = await Rest(client, app[SIMULATOR]).request("GET", "/api/v3/explode")
    assert reply.error == (400, -1000, "An unknown error occurred while processing the request.")
    assert reply.headers["X-MBX-USED-WEIGHT-1M"] == "3"
    assert "boom" in caplog.text


async def test_a_query_string_longer_than_aiohttp_default_line_limit_is_a_clean_binance_error(live_server):
    async with aiohttp.ClientSession() as session:
        url = f"{live_server.base_url}/api/v3/depth?symbol={SYMBOL}&pad={'a' * 70_000}"
        async with session.get(url) as response:
            assert response.status == 400
            assert await response.json() == {"code": -1101, "msg": "Too many parameters sent for this endpoint."}
        async with session.get(f"{live_server.base_url}/api/v3/depth?symbol={SYMBOL}&pad={'a' * 20_000}") as ok:
            assert ok.status == 200 and "lastUpdateId" in await ok.json()
