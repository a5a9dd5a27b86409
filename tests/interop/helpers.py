"""Shared scenery for the interop tests: repointing ccxt, and a market arranged on the server thread."""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

from simulator.core import Simulator

DEMO_KEY, DEMO_SECRET = "demo-api-key", "demo-api-secret"
SYMBOL = "BTCUSDT"
ASK, BID, LAST = "60000", "59000", "59500"  # the counterparty's resting quotes and the seeded public trade


def repoint(exchange, base: str = "http://127.0.0.1:8900") -> None:
    """Point every url under a ccxt or ccxt.pro exchange's `urls["api"]` at the simulator, keeping each path
    (reference §10.1): REST ones at `base`, WebSocket ones (the nested `ws` and `ws-api` maps) at its ws://
    twin; spot and futures alike. The README gives this recipe word for word."""
    ws_base = "ws" + base[len("http"):]

    def rewrite(urls: dict) -> None:
        for name, url in urls.items():
            if isinstance(url, dict):
                rewrite(url)
            elif isinstance(url, str):
                parts = urlsplit(url)
                # ccxt.pro tells a spot stream (host stream.binance.com) from a futures one by "/stream" in the
                # URL: the simulator serves its spot streams under /stream/ws as well, to keep that hint
                prefix = "/stream" if (parts.hostname or "").startswith("stream.") else ""
                urls[name] = (ws_base if url.startswith("ws") else base) + prefix + parts.path

    rewrite(exchange.urls["api"])


def arrange_market(sim: Simulator) -> None:
    """Run on the server thread: a counterparty quotes 1 BTC at 59000 / 60000, after one trade at 59500.

    Two extra accounts through the engine directly, as the control plane would: nothing here uses the wire.
    """
    engine = sim.engine
    inst = engine.instruments[SYMBOL]
    maker = sim.create_account("counterparty", balances={"BTC": Decimal(5), "USDT": Decimal(1_000_000)})
    taker = sim.create_account("tape", balances={"BTC": Decimal(5), "USDT": Decimal(1_000_000)})

    def place(account_id: int, side: str, qty: str, price: str) -> None:
        engine.place_order(account_id, SYMBOL, side, "LIMIT", qty=inst.parse_qty(qty),
                           price=inst.parse_price(price), tif="GTC")

    place(maker.account_id, "SELL", "0.1", LAST)
    place(taker.account_id, "BUY", "0.1", LAST)  # the public trade
    place(maker.account_id, "SELL", "1", ASK)
    place(maker.account_id, "BUY", "1", BID)


def free_and_locked(sim: Simulator, api_key: str, asset: str) -> tuple[int, int]:
    account = sim.engine.account(sim.keys.get(api_key).account_id)
    free, locked = account.balances.get(asset, (0, 0))
    return free, locked
