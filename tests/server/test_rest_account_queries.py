"""GET /api/v3/account/commission (from the fee schedule) and GET /api/v3/rateLimit/order (from the limiter)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.dialects.binance.wire.ratelimit import Pool
from tests.server import rest_helpers
from tests.server.rest_helpers import SYMBOL, make_sim

rest = rest_helpers.rest
ZERO = "0.00000000"
NO_RATES = {"maker": ZERO, "taker": ZERO, "buyer": ZERO, "seller": ZERO}
POOLS = [Pool("REQUEST_WEIGHT", "MINUTE", 1, 6000), Pool("ORDERS", "SECOND", 10, 50),
         Pool("ORDERS", "DAY", 1, 160000), Pool("RAW_REQUESTS", "MINUTE", 5, 61000)]


@pytest.fixture
def rest_sim():
    return make_sim(limits=POOLS)


def commission_body(symbol: str, maker: str, taker: str) -> dict:
    return {
        "symbol": symbol,
        "standardCommission": {"maker": maker, "taker": taker, "buyer": ZERO, "seller": ZERO},
        "specialCommission": NO_RATES,
        "taxCommission": NO_RATES,
        "discount": {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "BNB",
                     "discount": ZERO},
    }


async def test_commission_rates_of_the_accounts_fee_tier(rest):
    reply = await rest.signed("GET", "/api/v3/account/commission", symbol=SYMBOL)
    assert reply.status == 200
    assert reply.body == commission_body(SYMBOL, "0.00100000", "0.00100000")  # VIP 0 of the default
    assert reply.headers["X-MBX-USED-WEIGHT-1M"] == "20"
    vip = rest.sim.create_account(api_key="vip-key", secret="vip-secret", fee_tier=2,
                                  balances={"USDT": Decimal(1)})
    reply = await rest.signed("GET", "/api/v3/account/commission", key=vip.key, secret="vip-secret",
                              symbol="ETHUSDT")
    assert reply.body == commission_body("ETHUSDT", "0.00080000", "0.00100000")


@pytest.mark.parametrize(("params", "error"), [
    ({}, (400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")),
    ({"symbol": "NOPEUSDT"}, (400, -1121, "Invalid symbol.")),
    ({"symbol": "btcusdt"},
     (400, -1100, "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'.")),
])
async def test_commission_parameter_errors(rest, params, error):
    assert (await rest.signed("GET", "/api/v3/account/commission", **params)).error == error


async def test_both_need_a_signature(rest):
    for path, params in (("/api/v3/account/commission", {"symbol": SYMBOL}), ("/api/v3/rateLimit/order", {})):
        assert (await rest.public("GET", path, **params)).error[:2] == (401, -2014)  # no API key
        assert (await rest.signed("GET", path, secret="wrong", **params)).error[:2] == (400, -1022)
        assert (await rest.public("GET", path, timestamp=1, **params)).error[:2] == (401, -2014)


async def test_unfilled_order_count_per_orders_pool(rest):
    reply = await rest.signed("GET", "/api/v3/rateLimit/order")
    assert reply.status == 200
    assert reply.body == [
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50, "count": 0},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 160000, "count": 0},
    ]
    assert reply.headers["X-MBX-USED-WEIGHT-1M"] == "40"
    assert "X-MBX-ORDER-COUNT-10S" not in reply.headers  # a query, not an order
    for price in ("50000", "50001"):
        placed = await rest.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001", price=price)
        assert placed.status == 200
    counts = [pool["count"] for pool in (await rest.signed("GET", "/api/v3/rateLimit/order")).body]
    assert counts == [2, 2]
    rest.sim.clock.advance(10_000)  # the 10-second window rolls over, the day's does not
    counts = [pool["count"] for pool in (await rest.signed("GET", "/api/v3/rateLimit/order")).body]
    assert counts == [0, 2]
    other = rest.sim.create_account(api_key="other-key", secret="other-secret")
    reply = await rest.signed("GET", "/api/v3/rateLimit/order", key=other.key, secret="other-secret")
    assert [pool["count"] for pool in reply.body] == [0, 0]  # counted per account
