"""binance-connector's account queries, unmodified but for its base_url: commission rates and unfilled orders."""
from __future__ import annotations

import pytest
from binance.error import ClientError
from binance.spot import Spot

from tests.interop.helpers import DEMO_KEY, DEMO_SECRET, SYMBOL

pytestmark = pytest.mark.interop


@pytest.fixture
def client(live_server) -> Spot:
    return Spot(DEMO_KEY, DEMO_SECRET, base_url=live_server.base_url)


def test_query_commission_rates(client):
    rates = client.query_commission_rates(SYMBOL)
    assert rates["symbol"] == SYMBOL
    assert rates["standardCommission"] == {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000",
                                           "seller": "0.00000000"}
    assert rates["discount"]["enabledForAccount"] is False
    with pytest.raises(ClientError) as unknown:
        client.query_commission_rates("NOPEUSDT")
    assert (unknown.value.status_code, unknown.value.error_code) == (400, -1121)


def test_get_order_rate_limit(client):
    before = client.get_order_rate_limit()
    assert [(pool["rateLimitType"], pool["interval"], pool["intervalNum"]) for pool in before] == [
        ("ORDERS", "SECOND", 10), ("ORDERS", "DAY", 1)]
    client.new_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="50000")
    after = client.get_order_rate_limit()
    assert after[1]["count"] in (before[1]["count"] + 1, 1)  # 1 if the day rolled over in between
