"""An in-process REST client for the spot API tests: a frozen clock, signing, and state snapshots.

A test module takes the fixtures by naming them: `rest = rest_helpers.rest`, `rest_sim = rest_helpers.rest_sim`
(override `rest_sim` in the module for another config).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer

from simulator.clock import SimClock
from simulator.core import Simulator
from simulator.dialects.binance.wire import auth
from simulator.dialects.binance.wire.ratelimit import Pool
from simulator.server import build_simulator, create_app
from tests.conftest import quiet_config

NOW = 1_700_000_020_000  # 40 s into a minute, at the start of a 10-second window: no roll-over under a test
DEMO_KEY, DEMO_SECRET = "demo-api-key", "demo-api-secret"
SYMBOL = "BTCUSDT"


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def error(self) -> tuple[int, int, str]:
        return self.status, self.body["code"], self.body["msg"]


def make_sim(*, limits: list[Pool] | None = None, **spot_changes) -> Simulator:
    """The quiet default on a frozen clock; `limits` replaces the spot rate-limit pools, `spot_changes`
    applies to every spot instrument (e.g. max_num_orders=2)."""
    config = quiet_config()
    if limits is not None:
        config = dataclasses.replace(
            config, rate_limits=dataclasses.replace(config.rate_limits, spot=tuple(limits)))
    if spot_changes:
        config = dataclasses.replace(
            config, spot=tuple(dataclasses.replace(spec, **spot_changes) for spec in config.spot))
    return build_simulator(config, clock=SimClock(frozen_at_ms=NOW))


class Rest:
    def __init__(self, client: TestClient, sim: Simulator):
        self.client = client
        self.sim = sim

    async def request(self, method: str, path: str, *, query: str = "", body: bytes | str = b"",
                      headers: dict[str, str] | None = None) -> Reply:
        url = f"{path}?{query}" if query else path
        data = body.encode() if isinstance(body, str) else body
        async with self.client.request(method, url, data=data, headers=headers or {}) as response:
            text = await response.text()
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
            return Reply(response.status, parsed, dict(response.headers))

    async def public(self, method: str, path: str, **params: Any) -> Reply:
        return await self.request(method, path, query=urlencode(params))

    async def signed(self, method: str, path: str, *, key: str = DEMO_KEY, secret: str = DEMO_SECRET,
                     where: str = "query", timestamp: int | None = None,
                     extra_headers: dict[str, str] | None = None, **params: Any) -> Reply:
        """Sign like ccxt: everything urlencoded, `timestamp` added, signature last (in the body for
        where="body", which sends a form body)."""
        params.setdefault("timestamp", self.sim.clock.server_time_ms() if timestamp is None else timestamp)
        payload = urlencode(params)
        signature = auth.sign(secret, payload)
        headers = {"X-MBX-APIKEY": key, **(extra_headers or {})}
        if where == "body":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return await self.request(method, path, body=f"{payload}&signature={signature}", headers=headers)
        return await self.request(method, path, query=f"{payload}&signature={signature}", headers=headers)

    async def order(self, **params: Any) -> Reply:
        params.setdefault("symbol", SYMBOL)
        return await self.signed("POST", "/api/v3/order", **params)

    # --- arranging state through the engine, as a control plane would ------------------------------------
    def account_id(self, key: str = DEMO_KEY) -> int:
        return self.sim.keys.get(key).account_id

    def counterparty(self, balances: dict[str, str] | None = None) -> int:
        key = self.sim.create_account(
            balances={asset: Decimal(amount) for asset, amount in (balances or {"BTC": "10", "USDT": "1000000"})
                      .items()})
        return key.account_id

    def place(self, account_id: int, side: str, qty: str, price: str, symbol: str = SYMBOL, tif: str = "GTC",
              client_id: str | None = None):
        inst = self.sim.engine.instruments[symbol]
        return self.sim.engine.place_order(account_id, symbol, side, "LIMIT", qty=inst.parse_qty(qty),
                                           price=inst.parse_price(price), tif=tif, client_id=client_id).order

    def trade(self, price: str, qty: str = "0.1", symbol: str = SYMBOL) -> None:
        """A public trade between two fresh accounts (the taker buys)."""
        maker, taker = self.counterparty(), self.counterparty()
        self.place(maker, "SELL", qty, price, symbol)
        self.place(taker, "BUY", qty, price, symbol)

    def state(self, key: str = DEMO_KEY) -> tuple:
        """Everything a rejected request must leave untouched: balances, open orders, their fills."""
        account = self.sim.engine.account(self.account_id(key))
        balances = {asset: tuple(value) for asset, value in account.balances.items()}
        orders = {oid: (o.status, o.executed, o.qty, o.locked) for oid, o in account.open_orders.items()}
        return balances, orders, len(self.sim.engine.orders)


@pytest.fixture
def rest_sim() -> Simulator:
    return make_sim()


@pytest.fixture
async def rest(rest_sim):
    client = TestClient(TestServer(create_app(rest_sim)))
    await client.start_server()
    try:
        yield Rest(client, rest_sim)
    finally:
        await client.close()
