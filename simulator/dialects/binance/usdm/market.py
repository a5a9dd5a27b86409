"""USD-M public endpoints (security NONE): connectivity and exchangeInfo; market data follows the engine."""
from __future__ import annotations

from typing import Any

from simulator.dialects.binance.usdm import params as usdm_params, payloads
from simulator.dialects.binance.wire.rest import FUTURES, NONE, Call, Endpoint


def ping(call: Call) -> dict:
    return {}


def server_time(call: Call) -> dict:
    return {"serverTime": call.sim.clock.server_time_ms()}


def exchange_info(call: Call) -> dict[str, Any]:
    sim = call.sim
    specs = list(usdm_params.listed(sim).values())
    margin_assets = list(dict.fromkeys(spec.margin_asset for spec in specs))
    return {
        "timezone": "UTC",
        "serverTime": sim.clock.server_time_ms(),
        "futuresType": "U_MARGINED",
        "rateLimits": sim.wire.futures_limiter.rate_limits_payload(),
        "exchangeFilters": [],
        "assets": [{"asset": asset, "marginAvailable": True, "autoAssetExchange": "0"} for asset in margin_assets],
        "symbols": [payloads.symbol_info(spec) for spec in specs],
    }


def _endpoint(method: str, path: str, weight, handler) -> Endpoint:
    return Endpoint(method, path, NONE, weight, handler, venue=FUTURES)


ENDPOINTS = [
    _endpoint("GET", "/fapi/v1/ping", 1, ping),
    _endpoint("GET", "/fapi/v1/time", 1, server_time),
    _endpoint("GET", "/fapi/v1/exchangeInfo", 1, exchange_info),
]
