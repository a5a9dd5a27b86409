"""Spot account queries (USER_DATA): the commission rates of a symbol and the unfilled order counts.

`GET /api/v3/account/commission` answers from the engine's fee schedule: the account's tier gives the standard
maker and taker rates; there are no buyer/seller, special or tax rates and no BNB discount here, so those are
zero (at Binance's eight decimals). `GET /api/v3/rateLimit/order` answers from the rate limiter: each ORDERS
pool with the orders the account has placed in its current window.
"""
from __future__ import annotations

from typing import Any

from simulator.dialects.binance.spot import params as spot_params
from simulator.dialects.binance.spot.payloads import commission_rates, no_discount
from simulator.dialects.binance.wire.rest import USER_DATA, Call, Endpoint


def commission(call: Call) -> dict[str, Any]:
    engine = call.sim.engine
    inst = spot_params.symbol(engine, call.params)
    tier = engine.fees.tier(engine.account(call.account_id).fee_tier)
    return {
        "symbol": inst.symbol,
        "standardCommission": commission_rates(tier, buyer_seller=True),
        "specialCommission": commission_rates(None, buyer_seller=True),
        "taxCommission": commission_rates(None, buyer_seller=True),
        "discount": no_discount(),
    }


def unfilled_order_count(call: Call) -> list[dict[str, Any]]:
    counts = call.sim.wire.limiter.order_counts(call.account_id)
    return [{**pool.payload(), "count": count} for pool, count in counts]


ENDPOINTS = [
    Endpoint("GET", "/api/v3/account/commission", USER_DATA, 20, commission),
    Endpoint("GET", "/api/v3/rateLimit/order", USER_DATA, 40, unfilled_order_count),
]
