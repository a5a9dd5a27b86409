"""A minimal client of exsim's control plane (/_sim/v1), for the demo and the connector's live tests: only the
calls they need, over HTTP like any other client. Not part of the connector proper (the connector never needs a
control plane: it talks to exsim exactly as to Binance)."""
from __future__ import annotations

from typing import Any

import aiohttp


class ExsimControlError(Exception):
    pass


class ExsimControl:
    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/") + "/_sim/v1"
        self._session: aiohttp.ClientSession | None = None

    async def _call(self, method: str, path: str, body: Any = None, query: dict | None = None) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        async with self._session.request(method, self.base + path, json=body if method != "GET" else None,
                                         params=query) as response:
            data = await response.json(content_type=None)
            if response.status >= 400:
                raise ExsimControlError(f"{method} {path}: {response.status} {data}")
            return data

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def create_account(self, name: str, **balances: str) -> dict[str, Any]:
        return await self._call("POST", "/accounts", {"name": name, "balances": balances})

    async def place_order(self, account_id: int, symbol: str, side: str, type_: str, quantity: str,
                          price: str | None = None, time_in_force: str | None = None) -> dict[str, Any]:
        body = {"accountId": account_id, "symbol": symbol, "side": side, "type": type_, "quantity": quantity}
        if price is not None:
            body["price"] = price
        if time_in_force is not None:
            body["timeInForce"] = time_in_force
        return (await self._call("POST", "/orders", body))["order"]

    async def orders(self, account_id: int, open_only: bool = False) -> list[dict[str, Any]]:
        query = {"accountId": str(account_id), "open": "true" if open_only else "false"}
        return (await self._call("GET", "/orders", query=query))["orders"]

    async def take(self, order_id: int | str, qty: str) -> dict[str, Any]:
        """A counterparty trades exactly `qty` of the order at its price."""
        return await self._call("POST", f"/orders/{order_id}/take", {"qty": qty})

    async def add_fault(self, kind: str, **spec: Any) -> dict[str, Any]:
        return await self._call("POST", "/faults", {"kind": kind, **spec})

    async def clear_faults(self) -> None:
        await self._call("DELETE", "/faults")

    async def settle_funding(self, symbol: str | None = None) -> dict[str, Any]:
        return await self._call("POST", "/funding/settle", {"symbol": symbol} if symbol else {})

    async def set_index(self, symbol: str, price: str) -> dict[str, Any]:
        """The index price of a symbol (spot and perpetual share it); liquidations it causes are in the answer."""
        return await self._call("POST", "/prices/index", {"symbol": symbol, "price": price})

    async def set_market_maker(self, enabled: bool) -> dict[str, Any]:
        return await self._call("POST", "/market-maker", {"enabled": enabled})

    async def set_walk(self, enabled: bool, symbol: str | None = None) -> dict[str, Any]:
        return await self._call("POST", "/prices/walk", {"enabled": enabled, **({"symbol": symbol} if symbol else {})})

    async def set_mark(self, symbol: str, price: str) -> dict[str, Any]:
        return await self._call("POST", "/funding/mark", {"symbol": symbol, "markPrice": price})

    async def futures_deposit(self, account_id: int, asset: str, amount: str) -> dict[str, Any]:
        return await self._call("POST", f"/accounts/{account_id}/futures/deposit", {"asset": asset, "amount": amount})

    async def futures_order(self, account_id: int, symbol: str, side: str, type_: str, quantity: str,
                            price: str | None = None, time_in_force: str | None = None,
                            position_side: str = "BOTH") -> dict[str, Any]:
        """A futures order on behalf of any account (a counterparty)."""
        body = {"accountId": account_id, "symbol": symbol, "side": side, "type": type_, "quantity": quantity,
                "positionSide": position_side}
        if price is not None:
            body["price"] = price
        if time_in_force is not None:
            body["timeInForce"] = time_in_force
        return await self._call("POST", "/futures/orders", body)
