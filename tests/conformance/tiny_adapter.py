"""A tiny purpose-built adapter for testing the suite itself: a REST-only spot connector in one page.

It places, cancels and polls over signed REST with aiohttp, and nothing more: no WebSocket (so no order book, no
balance events), no time synchronisation, no throttling, no lost-order handling. The suite's own tests use it to
see each path of a check (passed, failed with evidence, skipped for a capability) on a code base that is neither
the reference connector nor ccxt.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import time
from decimal import Decimal
from typing import Any, Optional
from urllib.parse import urlencode

import aiohttp

from conformance.adapter import (AdapterConfig, Balance, Capability, OpenOrder, OrderCanceled, OrderCompleted,
                                 OrderCreated, OrderFailed, OrderFilled, OrderRequest, TradingRule)

TERMINAL = {"FILLED": OrderCompleted, "CANCELED": OrderCanceled, "EXPIRED": OrderCanceled,
            "EXPIRED_IN_MATCH": OrderCanceled, "REJECTED": OrderCanceled}


class TinyAdapter:
    capabilities = frozenset({Capability.SPOT, Capability.MARKET_ORDERS, Capability.IOC, Capability.FOK,
                              Capability.LIMIT_MAKER})

    def __init__(self, config: AdapterConfig):
        self.config = config
        self.session: Optional[aiohttp.ClientSession] = None
        self.queue: asyncio.Queue = asyncio.Queue()
        self.orders: dict[str, dict[str, Any]] = {}   # client id -> {request, id, trades, done}
        self.rules: dict[str, TradingRule] = {}
        self.cached: dict[str, Balance] = {}
        self.poller: Optional[asyncio.Task] = None
        self.ids = 0

    async def _call(self, method: str, path: str, signed: bool = False, **params: Any) -> tuple[int, Any]:
        if signed:
            params["timestamp"] = int(time.time() * 1000)  # the wall clock: no sync with the server
            query = urlencode(params)
            params["signature"] = hmac.new(self.config.api_secret.encode(), query.encode(),
                                           hashlib.sha256).hexdigest()
        async with self.session.request(method, self.config.rest_url + path, params=params,
                                        headers={"X-MBX-APIKEY": self.config.api_key}) as response:
            return response.status, await response.json(content_type=None)

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config.timing.request_timeout))
        _, info = await self._call("GET", "/api/v3/exchangeInfo")
        for s in info["symbols"]:
            f = {flt["filterType"]: flt for flt in s["filters"]}
            pair = f"{s['baseAsset']}-{s['quoteAsset']}"
            self.rules[pair] = TradingRule(pair, Decimal(f["LOT_SIZE"]["minQty"]), Decimal(f["LOT_SIZE"]["maxQty"]),
                                           Decimal(f["PRICE_FILTER"]["tickSize"]), Decimal(f["LOT_SIZE"]["stepSize"]),
                                           Decimal(f.get("NOTIONAL", {}).get("minNotional", "0")), s["status"])
        await self._poll_balances()
        self.poller = asyncio.get_running_loop().create_task(self._poll())

    async def stop(self) -> None:
        if self.poller:
            self.poller.cancel()
            with contextlib.suppress(BaseException):
                await self.poller
        if self.session:
            await self.session.close()

    async def events(self):
        while True:
            yield await self.queue.get()

    async def place(self, order: OrderRequest) -> str:
        self.ids += 1
        cid = order.client_order_id or f"tiny{self.ids}"
        params: dict[str, Any] = {"symbol": order.trading_pair.replace("-", ""), "side": order.side,
                                  "type": order.order_type, "quantity": str(order.amount),
                                  "newClientOrderId": cid, "newOrderRespType": "FULL"}
        if order.order_type != "MARKET":
            params["price"] = str(order.price)
        if order.order_type == "LIMIT":
            params["timeInForce"] = order.time_in_force
        status, body = await self._call("POST", "/api/v3/order", signed=True, **params)
        if status != 200:
            self.queue.put_nowait(OrderFailed(cid, order.trading_pair, body.get("msg", ""), body.get("code")))
            return cid
        tracked = self.orders[cid] = {"request": order, "id": str(body["orderId"]), "trades": set(), "done": False}
        self.queue.put_nowait(OrderCreated(cid, tracked["id"], order.trading_pair, order.side, order.order_type,
                                           order.amount, order.price))
        await self._refresh(cid, body["status"])
        return cid

    async def _refresh(self, cid: str, status: str) -> None:
        tracked = self.orders[cid]
        request: OrderRequest = tracked["request"]
        _, trades = await self._call("GET", "/api/v3/myTrades", signed=True,
                                     symbol=request.trading_pair.replace("-", ""), orderId=tracked["id"])
        for t in trades:
            if str(t["id"]) not in tracked["trades"]:
                tracked["trades"].add(str(t["id"]))
                self.queue.put_nowait(OrderFilled(cid, tracked["id"], request.trading_pair, str(t["id"]),
                                                  request.side, Decimal(t["price"]), Decimal(t["qty"]),
                                                  t["commissionAsset"], Decimal(t["commission"])))
        if status in TERMINAL and not tracked["done"]:
            tracked["done"] = True
            self.queue.put_nowait(TERMINAL[status](cid, tracked["id"], request.trading_pair))

    async def cancel(self, trading_pair: str, client_order_id: str) -> None:
        await self._call("DELETE", "/api/v3/order", signed=True, symbol=trading_pair.replace("-", ""),
                         origClientOrderId=client_order_id)

    async def cancel_all(self, trading_pair: Optional[str] = None) -> list[str]:
        raise NotImplementedError("not declared")

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.config.timing.poll_interval)
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError, KeyError):
                await self._poll_balances()
                for cid, tracked in list(self.orders.items()):
                    if not tracked["done"]:
                        _, body = await self._call("GET", "/api/v3/order", signed=True,
                                                   symbol=tracked["request"].trading_pair.replace("-", ""),
                                                   orderId=tracked["id"])
                        await self._refresh(cid, body["status"])

    async def _poll_balances(self) -> None:
        status, body = await self._call("GET", "/api/v3/account", signed=True)
        if status == 200:
            self.cached = {b["asset"]: Balance(Decimal(b["free"]) + Decimal(b["locked"]), Decimal(b["free"]))
                           for b in body["balances"]}

    async def balances(self) -> dict[str, Balance]:
        return dict(self.cached)

    async def open_orders(self, trading_pair: Optional[str] = None) -> list[OpenOrder]:
        return [OpenOrder(cid, t["id"], t["request"].trading_pair, t["request"].side, t["request"].order_type,
                          t["request"].price, t["request"].amount, Decimal(0), "OPEN")
                for cid, t in self.orders.items() if not t["done"]]

    async def trading_rules(self) -> dict[str, TradingRule]:
        return dict(self.rules)


def make_adapter(config: AdapterConfig) -> TinyAdapter:
    return TinyAdapter(config)
