"""Binance USD-M futures REST (/fapi) on an aiohttp app: the route table. Every endpoint runs through the shared
REST pipeline (wire.rest) and counts against the futures rate-limit pools (`venue="futures"`)."""
from __future__ import annotations

from aiohttp import web

from simulator.dialects.binance.usdm import market as usdm_market, user_stream as usdm_user_stream
from simulator.dialects.binance.wire import rest as http

ENDPOINTS = [*usdm_market.ENDPOINTS, *usdm_user_stream.ENDPOINTS]


def setup(app: web.Application) -> None:
    http.add_endpoints(app, ENDPOINTS)
