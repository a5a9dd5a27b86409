"""The clock as Binance's documented practice meets it: after the control plane advances the simulator's clock,
ccxt with `adjustForTimeDifference` (which syncs with GET /api/v3/time) still signs orders the server accepts;
and one `repoint` sends every url of ccxt and ccxt.pro, REST and WebSocket, spot and futures, to the simulator."""
from __future__ import annotations

import ccxt
import ccxt.pro as ccxtpro
import pytest

from simulator.control.client import ControlClient
from tests.interop.helpers import DEMO_KEY, DEMO_SECRET, arrange_market, repoint

pytestmark = pytest.mark.interop
PAIR = "BTC/USDT"
AHEAD_MS = 60_000


def all_urls(urls) -> list[str]:
    return [u for v in urls.values() for u in (all_urls(v) if isinstance(v, dict) else [v])]


def test_ccxt_that_syncs_with_server_time_keeps_trading_across_a_clock_advance(live_server):
    live_server.call(arrange_market, live_server.sim)
    control = ControlClient(live_server.base_url)
    assert control.advance_clock(ms=AHEAD_MS)["aheadMs"] == AHEAD_MS

    naive = ccxt.binance({"apiKey": DEMO_KEY, "secret": DEMO_SECRET})
    repoint(naive, live_server.base_url)
    naive.load_markets()
    with pytest.raises(ccxt.InvalidNonce):  # -1021: its timestamps are a minute behind the server's
        naive.create_order(PAIR, "limit", "buy", 0.01, 50000)

    synced = ccxt.binance({"apiKey": DEMO_KEY, "secret": DEMO_SECRET})
    synced.options["adjustForTimeDifference"] = True
    repoint(synced, live_server.base_url)
    synced.load_markets()
    synced.load_time_difference()
    assert abs(synced.options["timeDifference"] + AHEAD_MS) < 5_000  # ccxt keeps local minus server time
    order = synced.create_order(PAIR, "limit", "buy", 0.01, 50000)
    assert order["status"] == "open"

    control.reset()  # back to wall time: the naive client works again
    assert control.clock()["aheadMs"] == 0
    naive.markets = None
    naive.load_markets(reload=True)
    assert naive.fetch_balance()["USDT"]["free"] > 0


@pytest.mark.parametrize("make", [ccxt.binance, ccxt.binanceusdm, ccxtpro.binance, ccxtpro.binanceusdm])
def test_repoint_leaves_no_url_at_binance(make):
    exchange = make()
    repoint(exchange, "http://127.0.0.1:8901")
    urls = all_urls(exchange.urls["api"])
    assert urls and all(u.startswith(("http://127.0.0.1:8901/", "ws://127.0.0.1:8901/")) for u in urls), urls
    if isinstance(exchange, ccxtpro.Exchange):
        assert exchange.urls["api"]["ws"]["ws-api"]["spot"] == "ws://127.0.0.1:8901/ws-api/v3"
