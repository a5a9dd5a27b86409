"""`limit` on every spot list endpoint: the default when absent, truncation to the maximum above it.

Binance spot answers an over-large `limit` with the maximum number of rows instead of refusing it (aggTrades
with limit=5000 answers 1000 rows; the docs say so for depth). Below 1 is -1130, and a value that is not
digits is -1100, as for any integer parameter. USD-M refuses values above the maximum, so each endpoint
carries its own rule (spot.params.Limit).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from simulator.dialects.binance.spot import params as spot_params
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.dialects.binance.wire.params import Params
from tests.server import rest_helpers
from tests.server.rest_helpers import SYMBOL, Rest, make_sim

rest = rest_helpers.rest
MINUTE_MS = 60_000
HUGE = "99999999999999999999"  # the largest value the integer pattern ^[0-9]{1,20}$ lets through


@pytest.fixture
def rest_sim():
    return make_sim(max_num_orders=6000)  # room for more resting orders than depth's maximum


# --- arranging more rows than each maximum -----------------------------------------------------------------
def deep_book(rest: Rest) -> None:
    """5001 asks, one more than depth's maximum."""
    maker = rest.counterparty()
    for i in range(5001):
        rest.place(maker, "SELL", "0.001", str(60000 + i))


def many_fills(rest: Rest) -> None:
    """1001 buys of the demo account, each its own order, its own trade and its own aggregate trade.

    The engine keeps the last 1000 public trades, so the public lists hold exactly their maximum; the demo
    account's own history holds one more."""
    maker = rest.counterparty()
    rest.place(maker, "SELL", "1.001", "60000")
    demo = rest.account_id()
    for _ in range(1001):
        rest.place(demo, "BUY", "0.001", "60000", tif="IOC")


def many_minutes(rest: Rest) -> None:
    """One trade, then 1200 minutes: 1201 one-minute klines (an interval without trades is still a candle)."""
    rest.trade("60000")
    rest.sim.clock.advance(1200 * MINUTE_MS)


@dataclass(frozen=True)
class ListEndpoint:
    path: str
    default: int
    maximum: int
    arrange: Any
    params: dict[str, str]
    signed: bool = False
    rows_key: str | None = None  # depth counts the levels of one side

    async def get(self, rest: Rest, **params: Any):
        if self.signed:
            return await rest.signed("GET", self.path, symbol=SYMBOL, **self.params, **params)
        return await rest.public("GET", self.path, symbol=SYMBOL, **self.params, **params)

    def rows(self, body: Any) -> list:
        return body[self.rows_key] if self.rows_key else body


ENDPOINTS = [  # Binance's documented default and maximum of each
    ListEndpoint("/api/v3/depth", 100, 5000, deep_book, {}, rows_key="asks"),
    ListEndpoint("/api/v3/trades", 500, 1000, many_fills, {}),
    ListEndpoint("/api/v3/historicalTrades", 500, 1000, many_fills, {}),
    ListEndpoint("/api/v3/aggTrades", 500, 1000, many_fills, {}),
    ListEndpoint("/api/v3/klines", 500, 1000, many_minutes, {"interval": "1m"}),
    ListEndpoint("/api/v3/uiKlines", 500, 1000, many_minutes, {"interval": "1m"}),
    ListEndpoint("/api/v3/allOrders", 500, 1000, many_fills, {}, signed=True),
    ListEndpoint("/api/v3/myTrades", 500, 1000, many_fills, {}, signed=True),
]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.path.rsplit("/", 1)[-1])
async def test_default_maximum_and_truncation(rest, endpoint):
    endpoint.arrange(rest)
    default, maximum = endpoint.default, endpoint.maximum
    assert len(endpoint.rows((await endpoint.get(rest)).body)) == default
    at_max = await endpoint.get(rest, limit=maximum)
    assert at_max.status == 200 and len(endpoint.rows(at_max.body)) == maximum
    for above in (maximum + 1, 5 * maximum, HUGE):
        reply = await endpoint.get(rest, limit=above)
        assert reply.status == 200, (above, reply.body)
        assert reply.body == at_max.body  # the same rows as at the maximum: truncated, not refused
    small = await endpoint.get(rest, limit=3)
    assert len(endpoint.rows(small.body)) == 3


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.path.rsplit("/", 1)[-1])
@pytest.mark.parametrize(("value", "error"), [
    ("0", (400, -1130, "Data sent for parameter 'limit' is not valid.")),
    ("-1", (400, -1100, "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.")),
    ("1.5", (400, -1100, "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.")),
    ("100000000000000000000", (400, -1100,  # 21 digits
                               "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.")),
])
async def test_limits_that_are_refused(rest, endpoint, value, error):
    assert (await endpoint.get(rest, limit=value)).error == error


async def test_depth_weight_follows_the_asked_limit_beyond_the_maximum(rest):
    weights = []
    for limit in (5000, 5001, HUGE):
        before = int((await rest.public("GET", "/api/v3/ping")).headers["X-MBX-USED-WEIGHT-1M"])
        reply = await rest.public("GET", "/api/v3/depth", symbol=SYMBOL, limit=limit)
        weights.append(int(reply.headers["X-MBX-USED-WEIGHT-1M"]) - before)
    assert weights == [250, 250, 250]


def test_a_refusing_rule_refuses_above_its_maximum():
    """The futures rule (USD-M): above the maximum is -1130, not truncated."""
    refusing = spot_params.Limit(500, 1000, truncates=False)
    assert refusing.read(Params({"limit": "1000"})) == 1000
    with pytest.raises(BinanceError) as refused:
        refusing.read(Params({"limit": "1001"}))
    assert (refused.value.code, refused.value.msg) == (-1130, "Data sent for parameter 'limit' is not valid.")
    assert spot_params.Limit(500, 1000).read(Params({"limit": "1001"})) == 1000
