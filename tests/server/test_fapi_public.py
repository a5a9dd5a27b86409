"""USD-M connectivity and exchangeInfo (reference §7.1, §7.2): the perpetuals as the config lists them, the
futures rate limits, and the shape clients rely on (ccxt: `contractType` makes a contract, `marginAsset` the
settle currency; Hummingbot: PERPETUAL + TRADING, LOT_SIZE, PRICE_FILTER, MIN_NOTIONAL.notional)."""
from __future__ import annotations

from tests.server import fapi_helpers
from tests.server.rest_helpers import NOW

fapi = fapi_helpers.fapi
fapi_sim = fapi_helpers.fapi_sim


async def test_ping_and_time(fapi):
    ping = await fapi.public("GET", "/fapi/v1/ping")
    assert (ping.status, ping.body) == (200, {})
    time = await fapi.public("GET", "/fapi/v1/time")
    assert (time.status, time.body) == (200, {"serverTime": NOW})


async def test_public_endpoints_ignore_an_api_key(fapi):
    reply = await fapi.request("GET", "/fapi/v1/ping", headers={"X-MBX-APIKEY": "not-a-key"})
    assert (reply.status, reply.body) == (200, {})


async def test_exchange_info_lists_the_configured_perpetuals(fapi):
    info = (await fapi.public("GET", "/fapi/v1/exchangeInfo")).body
    assert (info["timezone"], info["serverTime"], info["futuresType"]) == ("UTC", NOW, "U_MARGINED")
    assert info["rateLimits"] == [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
        {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300}]
    assert info["assets"] == [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "0"}]
    assert [s["symbol"] for s in info["symbols"]] == ["BTCUSDT", "ETHUSDT"]
    btc = info["symbols"][0]
    assert {key: btc[key] for key in ("pair", "contractType", "deliveryDate", "status", "baseAsset", "quoteAsset",
                                      "marginAsset", "pricePrecision", "quantityPrecision")} == {
        "pair": "BTCUSDT", "contractType": "PERPETUAL", "deliveryDate": 4133404800000, "status": "TRADING",
        "baseAsset": "BTC", "quoteAsset": "USDT", "marginAsset": "USDT", "pricePrecision": 2,
        "quantityPrecision": 3}
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.10"
    assert (filters["LOT_SIZE"]["minQty"], filters["LOT_SIZE"]["stepSize"]) == ("0.001", "0.001")
    assert filters["MIN_NOTIONAL"] == {"filterType": "MIN_NOTIONAL", "notional": "100"}
    assert set(filters["MAX_NUM_ORDERS"]) == {"filterType", "limit"}
    assert "GTX" in btc["timeInForce"] and "STOP_MARKET" in btc["orderTypes"]


async def test_coin_margined_venue_stays_empty(fapi):
    info = (await fapi.public("GET", "/dapi/v1/exchangeInfo")).body
    assert info["symbols"] == []


async def test_unknown_fapi_path_is_a_json_404_counted_on_the_futures_pools(fapi):
    await fapi.public("GET", "/api/v3/ping")  # spot weight: counted apart
    missing = await fapi.request("GET", "/fapi/v1/nowhere")
    assert (missing.status, missing.body["code"]) == (404, -1)
    assert missing.headers["X-MBX-USED-WEIGHT-1M"] == "1"
