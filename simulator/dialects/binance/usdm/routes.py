"""Binance USD-M futures REST (/fapi) on an aiohttp app: the route table. Every endpoint runs through the shared
REST pipeline (wire.rest) and counts against the futures rate-limit pools (`venue="futures"`), except the wallet
transfers, which Binance serves on the spot host (/sapi)."""
from __future__ import annotations

from aiohttp import web

from simulator.app_keys import add_background_job
from simulator.dialects.binance.usdm import (account as usdm_account, algo as usdm_algo, countdown as usdm_countdown,
                                             market as usdm_market, trading as usdm_trading,
                                             user_stream as usdm_user_stream, wallet as usdm_wallet)
from simulator.dialects.binance.wire import rest as http

ENDPOINTS = [*usdm_market.ENDPOINTS, *usdm_trading.ENDPOINTS, *usdm_algo.ENDPOINTS, *usdm_countdown.ENDPOINTS,
             *usdm_account.ENDPOINTS, *usdm_user_stream.ENDPOINTS, *usdm_wallet.ENDPOINTS]


def setup(app: web.Application) -> None:
    http.add_endpoints(app, ENDPOINTS)
    add_background_job(app, usdm_countdown.run)  # countdownCancelAll's deadlines
