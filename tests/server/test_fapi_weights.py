"""USD-M request weights (reference §7.1), endpoint by endpoint: what X-MBX-USED-WEIGHT-1M grows by."""
from __future__ import annotations

import pytest

from tests.server import fapi_helpers
from tests.server.fapi_helpers import SYMBOL

fapi = fapi_helpers.fapi
fapi_sim = fapi_helpers.fapi_sim

PUBLIC = [
    ("/fapi/v1/ping", {}, 1), ("/fapi/v1/time", {}, 1), ("/fapi/v1/exchangeInfo", {}, 1),
    ("/fapi/v1/trades", {"symbol": SYMBOL}, 5), ("/fapi/v1/historicalTrades", {"symbol": SYMBOL}, 20),
    ("/fapi/v1/aggTrades", {"symbol": SYMBOL}, 20),
    ("/fapi/v1/klines", {"symbol": SYMBOL, "interval": "1m", "limit": 99}, 1),
    ("/fapi/v1/klines", {"symbol": SYMBOL, "interval": "1m"}, 5),
    ("/fapi/v1/klines", {"symbol": SYMBOL, "interval": "1m", "limit": 1500}, 10),
    ("/fapi/v1/ticker/price", {"symbol": SYMBOL}, 1), ("/fapi/v1/ticker/price", {}, 2),
    ("/fapi/v1/ticker/bookTicker", {"symbol": SYMBOL}, 2), ("/fapi/v1/ticker/bookTicker", {}, 5),
    ("/fapi/v1/premiumIndex", {"symbol": SYMBOL}, 1), ("/fapi/v1/premiumIndex", {}, 10),
    ("/fapi/v1/fundingRate", {"symbol": SYMBOL}, 0), ("/fapi/v1/fundingInfo", {}, 0),
    ("/fapi/v1/openInterest", {"symbol": SYMBOL}, 1),
]
SIGNED = [
    ("GET", "/fapi/v1/openOrders", {"symbol": SYMBOL}, 1), ("GET", "/fapi/v1/openOrders", {}, 40),
    ("GET", "/fapi/v1/allOrders", {"symbol": SYMBOL}, 5), ("GET", "/fapi/v1/userTrades", {"symbol": SYMBOL}, 5),
    ("GET", "/fapi/v1/positionSide/dual", {}, 30), ("GET", "/fapi/v2/positionRisk", {}, 5),
    ("GET", "/fapi/v3/positionRisk", {}, 5), ("GET", "/fapi/v2/account", {}, 5), ("GET", "/fapi/v3/account", {}, 5),
    ("GET", "/fapi/v2/balance", {}, 5), ("GET", "/fapi/v3/balance", {}, 5), ("GET", "/fapi/v1/income", {}, 30),
    ("GET", "/fapi/v1/leverageBracket", {}, 1), ("POST", "/fapi/v1/leverage", {"symbol": SYMBOL, "leverage": 5}, 1),
    ("POST", "/fapi/v1/order", {"symbol": SYMBOL, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                                "quantity": "0.010", "price": "40000"}, 0),
    ("DELETE", "/fapi/v1/allOpenOrders", {"symbol": SYMBOL}, 1),
]


async def used(fapi) -> int:
    return int((await fapi.public("GET", "/fapi/v1/fundingInfo")).headers["X-MBX-USED-WEIGHT-1M"])


@pytest.mark.parametrize("path,params,weight", PUBLIC, ids=[f"{p}-{w}" for p, _, w in PUBLIC])
async def test_public_weights(fapi, path, params, weight):
    before = await used(fapi)
    reply = await fapi.public("GET", path, **params)
    assert reply.status == 200 and int(reply.headers["X-MBX-USED-WEIGHT-1M"]) - before == weight


@pytest.mark.parametrize("method,path,params,weight", SIGNED, ids=[f"{m}-{p}-{w}" for m, p, _, w in SIGNED])
async def test_signed_weights(fapi, method, path, params, weight):
    before = await used(fapi)
    reply = await fapi.signed(method, path, **params)
    assert reply.status == 200 and int(reply.headers["X-MBX-USED-WEIGHT-1M"]) - before == weight
