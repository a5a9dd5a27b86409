"""Binance spot REST (/api/v3) on an aiohttp app: the route table and the middleware the server installs.

The pieces: `http` (endpoint declaration and the request pipeline: weight, parameters, auth, JSON errors),
`spot_market` (public data and ccxt's start-up stubs), `spot_trading` (orders, account, listenKeys),
`spot_account` (commission rates, unfilled order counts),
`spot_orders` (new-order parameters), `spot_klines`, `spot_payloads` (rendering) and `spot_params`.
"""
from __future__ import annotations

from aiohttp import web

from simulator.dialects.binance.wire import rest as http
from simulator.dialects.binance.spot import (account as spot_account, market as spot_market,
                                             trading as spot_trading)

ENDPOINTS = [*spot_market.ENDPOINTS, *spot_trading.ENDPOINTS, *spot_account.ENDPOINTS]


def middlewares() -> list:
    return [http.json_errors]


def setup(app: web.Application) -> None:
    http.add_endpoints(app, ENDPOINTS)
