"""Shared scenery for the USD-M interop tests: a perpetual market arranged on the server thread, and the control
plane's funding settlement called over HTTP as a test harness would."""
from __future__ import annotations

import json
import urllib.request
from decimal import Decimal

from simulator.core import Simulator

SYMBOL = "BTCUSDT"
SWAP = "BTC/USDT:USDT"
INDEX, BID, ASK = "50000", "49900", "50100"  # the counterparty's quotes around the index


def arrange_perp_market(sim: Simulator) -> None:
    """Run on the server thread: an index of 50000 and a counterparty quoting 5 BTC a side at 49900 / 50100."""
    futures = sim.futures
    inst = futures.instruments[SYMBOL]
    futures.set_index(SYMBOL, inst.parse_price(INDEX))
    maker = sim.create_account("perp-counterparty", futures={"USDT": Decimal(10_000_000)}).account_id
    for side, price in (("SELL", ASK), ("BUY", BID)):
        futures.place_order(maker, SYMBOL, side, "LIMIT", qty=inst.parse_qty("5"), price=inst.parse_price(price),
                            tif="GTC")


def settle_funding(base_url: str, symbol: str = SYMBOL, rate: str = "0.0001") -> dict:
    """The control plane: set the next funding rate, then settle now (POST /_sim/v1/funding/...)."""
    post(base_url, "/_sim/v1/funding/rate", {"symbol": symbol, "rate": rate})
    return post(base_url, "/_sim/v1/funding/settle", {"symbol": symbol})


def post(base_url: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(base_url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")
