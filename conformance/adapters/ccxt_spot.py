"""The spot half of the ccxt adapter: ccxt (async REST) and ccxt.pro (WebSocket events), unmodified but for URLs.

It shows the suite is not tied to one code base, and tells ccxt users what ccxt's Binance classes get right out
of the box. The connector logic here is what a careful ccxt user writes: orders tracked by client id, fills from
`watch_my_trades` de-duplicated by trade id, order states from `watch_orders`, and a REST poll of open orders,
their trades and balances every `poll_interval` as a safety net. ccxt works in floats; this adapter converts
each number through its shortest repr (`Decimal(str(x))`), which is exact for the prices and sizes ccxt got as
decimal strings.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Optional
from urllib.parse import urlsplit

import ccxt.pro as ccxtpro
from ccxt.base.errors import BaseError, OrderNotFound

from conformance.adapter import (AdapterConfig, Balance, BookTop, Capability, OpenOrder, OrderCanceled,
                                 OrderCompleted, OrderCreated, OrderFailed, OrderFilled, OrderRequest, PublicTrade,
                                 TradingRule, BalanceUpdate)

_CODE = re.compile(r'"code"\s*:\s*(-?\d+)')
_MSG = re.compile(r'"msg"\s*:\s*"([^"]*)"')


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def repoint(exchange: Any, rest_url: str, ws_url: str) -> None:
    """Every url under exchange.urls["api"] to the simulator, keeping its path (the README's recipe)."""
    def rewrite(urls: dict) -> None:
        for name, url in urls.items():
            if isinstance(url, dict):
                rewrite(url)
            elif isinstance(url, str):
                urls[name] = (ws_url if url.startswith("ws") else rest_url) + urlsplit(url).path
    rewrite(exchange.urls["api"])


@dataclass
class _Tracked:
    request: OrderRequest
    client_order_id: str
    exchange_order_id: Optional[str] = None
    status: str = "pending"           # ccxt's: open, closed, canceled, expired, rejected
    filled: Decimal = Decimal(0)      # what the exchange says is executed
    trade_ids: set[str] = field(default_factory=set)
    reported: Decimal = Decimal(0)    # the sum of fills reported
    done: bool = False


class CcxtAdapter:
    capabilities = frozenset({Capability.SPOT, Capability.MARKET_ORDERS, Capability.LIMIT_MAKER, Capability.IOC,
                              Capability.FOK, Capability.CANCEL_ALL, Capability.ORDER_BOOK,
                              Capability.PUBLIC_TRADES, Capability.BALANCE_EVENTS})

    exchange_class = ccxtpro.binance
    market_types = ["spot"]  # ccxt's fetchMarkets: only the market this adapter trades

    def __init__(self, config: AdapterConfig):
        self.config = config
        self.exchange = self.exchange_class({
            "apiKey": config.api_key, "secret": config.api_secret, "enableRateLimit": True,
            "timeout": int(config.timing.request_timeout * 1000),
            "options": {"adjustForTimeDifference": True, "fetchMarkets": self.market_types,
                        "warnOnFetchOpenOrdersWithoutSymbol": False}})
        repoint(self.exchange, config.rest_url, config.ws_url)
        self._queue: asyncio.Queue = asyncio.Queue()
        self._orders: dict[str, _Tracked] = {}
        self._by_exchange_id: dict[str, _Tracked] = {}
        self._balances: dict[str, Balance] = {}
        self._tasks: list[asyncio.Task] = []
        self._ids = 0

    # --- lifecycle -------------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.exchange.load_markets()
        await self._poll_balances()
        self._tasks = [asyncio.get_running_loop().create_task(c) for c in self._loops()]
        for pair in self.config.trading_pairs:  # ready: every book has its snapshot
            await self.exchange.watch_order_book(self.symbol(pair))
        await asyncio.sleep(0.2)  # ccxt gives no signal that its user data subscription is live

    def _loops(self) -> list:
        loops = [self._watch_orders(), self._watch_trades(), self._watch_balance(), self._poll()]
        for pair in self.config.trading_pairs:
            loops += [self._watch_book(pair), self._watch_public_trades(pair)]
        return loops

    def symbol(self, pair: str) -> str:
        return pair.replace("-", "/")

    def pair(self, symbol: str) -> str:
        return symbol.replace("/", "-")

    def _order_params(self, order: OrderRequest) -> dict[str, Any]:
        """ccxt's params for an order beyond its symbol, type, side, amount and price."""
        if order.order_type == "LIMIT_MAKER":
            return {"postOnly": True}
        if order.order_type == "LIMIT":
            return {"timeInForce": order.time_in_force}
        return {}

    def _ccxt_type(self, order: OrderRequest) -> str:
        """ccxt's order type argument (the perpetual adapter passes its conditional types through)."""
        return "market" if order.order_type == "MARKET" else "limit"

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        self._tasks = []
        await self.exchange.close()

    async def events(self):
        while True:
            yield await self._queue.get()

    # --- orders ---------------------------------------------------------------------------------------
    async def place(self, order: OrderRequest) -> str:
        self._ids += 1
        cid = order.client_order_id or f"ccxt{id(self) % 100000}x{self._ids}"
        tracked = _Tracked(order, cid)
        if cid not in self._orders:  # a duplicate id is sent (the exchange answers why) but never tracked
            self._orders[cid] = tracked
        symbol = self.symbol(order.trading_pair)
        params: dict[str, Any] = {"newClientOrderId": cid, **self._order_params(order)}
        kind = self._ccxt_type(order)
        try:
            amount = None if order.close_position else float(self.exchange.amount_to_precision(symbol,
                                                                                                float(order.amount)))
            price = None if order.price is None else float(self.exchange.price_to_precision(symbol, float(order.price)))
            response = await self.exchange.create_order(symbol, kind, order.side.lower(), amount, price, params)
        except BaseError as exc:
            self._fail(tracked, str(exc))
            return cid
        self._update(tracked, response)
        return cid

    async def cancel(self, trading_pair: str, client_order_id: str) -> None:
        tracked = self._orders.get(client_order_id)
        if tracked is None or tracked.done:
            return
        with contextlib.suppress(BaseError):
            await self.exchange.cancel_order(tracked.exchange_order_id or "", self.symbol(trading_pair),
                                             {"origClientOrderId": client_order_id})

    async def cancel_all(self, trading_pair: Optional[str] = None) -> list[str]:
        asked = [t.client_order_id for t in self._orders.values() if not t.done and t.exchange_order_id
                 and (trading_pair is None or t.request.trading_pair == trading_pair)]
        await asyncio.gather(*(self.cancel(self._orders[c].request.trading_pair, c) for c in asked))
        return asked

    def _fail(self, tracked: _Tracked, message: str) -> None:
        code = _CODE.search(message)
        reason = _MSG.search(message)
        tracked.done = True
        self._queue.put_nowait(OrderFailed(tracked.client_order_id, tracked.request.trading_pair,
                                           reason.group(1) if reason else message,
                                           int(code.group(1)) if code else None))

    def _update(self, tracked: _Tracked, order: dict[str, Any]) -> None:
        """Apply an order as ccxt parsed it (REST answer, WS update or poll)."""
        if tracked.done:
            return
        if tracked.exchange_order_id is None and order.get("id"):
            tracked.exchange_order_id = str(order["id"])
            self._by_exchange_id[tracked.exchange_order_id] = tracked
            r = tracked.request
            self._queue.put_nowait(OrderCreated(tracked.client_order_id, tracked.exchange_order_id, r.trading_pair,
                                                r.side, r.order_type, r.amount, r.price))
        tracked.status = order.get("status") or tracked.status
        tracked.filled = max(tracked.filled, _dec(order.get("filled")))
        for trade in order.get("trades") or ():
            self._fill(tracked, trade)
        self._finish(tracked)

    def _fill(self, tracked: _Tracked, trade: dict[str, Any]) -> None:
        trade_id = str(trade.get("id"))
        if trade.get("id") is None or trade_id in tracked.trade_ids or tracked.done:
            return
        tracked.trade_ids.add(trade_id)
        amount = _dec(trade.get("amount"))
        tracked.reported += amount
        fee = trade.get("fee") or {}
        self._queue.put_nowait(OrderFilled(tracked.client_order_id, tracked.exchange_order_id or "",
                                           tracked.request.trading_pair, trade_id, tracked.request.side,
                                           _dec(trade.get("price")), amount, fee.get("currency") or "",
                                           _dec(fee.get("cost")), tracked.request.position_side))

    def _finish(self, tracked: _Tracked) -> None:
        """Terminal once the exchange says so and every fill it counts was reported."""
        if tracked.done or tracked.reported < tracked.filled:
            return
        r = tracked.request
        if tracked.status == "closed":
            tracked.done = True
            self._queue.put_nowait(OrderCompleted(tracked.client_order_id, tracked.exchange_order_id or "",
                                                  r.trading_pair))
        elif tracked.status in ("canceled", "expired", "rejected"):
            tracked.done = True
            self._queue.put_nowait(OrderCanceled(tracked.client_order_id, tracked.exchange_order_id,
                                                 r.trading_pair))

    def _tracked_of(self, order: dict[str, Any]) -> Optional[_Tracked]:
        return self._orders.get(order.get("clientOrderId") or "") or \
            self._by_exchange_id.get(str(order.get("id") or order.get("order") or ""))

    # --- WebSocket loops ----------------------------------------------------------------------------------
    async def _forever(self, watch, handle) -> None:
        while True:
            try:
                handle(await watch())
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(self.config.timing.poll_interval)

    async def _watch_orders(self) -> None:
        def handle(orders):
            for order in orders:
                tracked = self._tracked_of(order)
                if tracked is not None:
                    self._update(tracked, order)
        await self._forever(lambda: self.exchange.watch_orders(), handle)

    async def _watch_trades(self) -> None:
        def handle(trades):
            for trade in trades:
                tracked = self._tracked_of(trade)
                if tracked is not None:
                    self._fill(tracked, trade)
                    self._finish(tracked)
        await self._forever(lambda: self.exchange.watch_my_trades(), handle)

    async def _watch_balance(self) -> None:
        def handle(balance):
            for asset, total in (balance.get("total") or {}).items():
                self._set_balance(asset, _dec(total), _dec((balance.get("free") or {}).get(asset)))
        await self._forever(lambda: self.exchange.watch_balance(), handle)

    async def _watch_book(self, pair: str) -> None:
        await self._forever(lambda: self.exchange.watch_order_book(self.symbol(pair)), lambda book: None)

    async def _watch_public_trades(self, pair: str) -> None:
        seen: set[str] = set()

        def handle(trades):
            for t in trades:
                if str(t["id"]) not in seen:
                    seen.add(str(t["id"]))
                    self._queue.put_nowait(PublicTrade(pair, str(t["id"]), _dec(t["price"]), _dec(t["amount"])))
        await self._forever(lambda: self.exchange.watch_trades(self.symbol(pair)), handle)

    def _set_balance(self, asset: str, total: Decimal, available: Decimal) -> None:
        new = Balance(total, available)
        if self._balances.get(asset) != new:
            self._balances[asset] = new
            self._queue.put_nowait(BalanceUpdate(asset, total, available))

    # --- REST polling ----------------------------------------------------------------------------------------
    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.config.timing.poll_interval)
            with contextlib.suppress(asyncio.TimeoutError, BaseError):
                await self._poll_balances()
                await self._poll_extra()
            for tracked in [t for t in self._orders.values() if not t.done and t.exchange_order_id]:
                with contextlib.suppress(asyncio.TimeoutError, BaseError):
                    await self._poll_order(tracked)

    async def _poll_balances(self) -> None:
        balance = await self.exchange.fetch_balance()
        for asset, total in (balance.get("total") or {}).items():
            self._set_balance(asset, _dec(total), _dec((balance.get("free") or {}).get(asset)))

    async def _poll_extra(self) -> None:
        """The perpetual adapter's positions and funding payments."""

    async def _poll_order(self, tracked: _Tracked) -> None:
        symbol = self.symbol(tracked.request.trading_pair)
        try:
            order = await self.exchange.fetch_order(tracked.exchange_order_id, symbol)
        except OrderNotFound:
            return
        if _dec(order.get("filled")) > tracked.reported:
            for trade in await self.exchange.fetch_order_trades(tracked.exchange_order_id, symbol):
                self._fill(tracked, trade)
        self._update(tracked, order)

    # --- views ----------------------------------------------------------------------------------------------
    async def balances(self) -> dict[str, Balance]:
        return dict(self._balances)

    async def open_orders(self, trading_pair: Optional[str] = None) -> list[OpenOrder]:
        return [OpenOrder(t.client_order_id, t.exchange_order_id, t.request.trading_pair, t.request.side,
                          t.request.order_type, t.request.price, t.request.amount, t.reported,
                          "PARTIALLY_FILLED" if t.reported else "OPEN")
                for t in self._orders.values() if not t.done and t.exchange_order_id
                and (trading_pair is None or t.request.trading_pair == trading_pair)]

    async def order_book(self, trading_pair: str, depth: int) -> BookTop:
        book = self.exchange.orderbooks.get(self.symbol(trading_pair))
        if book is None:
            return BookTop((), ())
        return BookTop(tuple((_dec(p), _dec(q)) for p, q, *_ in book["bids"][:depth]),
                       tuple((_dec(p), _dec(q)) for p, q, *_ in book["asks"][:depth]))

    async def trading_rules(self) -> dict[str, TradingRule]:
        rules = {}
        for market in self.exchange.markets.values():  # only this adapter's market was loaded
            limits = market["limits"]
            rules[self.pair(market["symbol"])] = TradingRule(
                self.pair(market["symbol"]), _dec(limits["amount"]["min"]), _dec(limits["amount"]["max"]),
                _dec(market["precision"]["price"]), _dec(market["precision"]["amount"]),
                _dec((limits.get("cost") or {}).get("min")), market["info"].get("status", ""))
        return rules

    async def positions(self):
        raise NotImplementedError("the ccxt adapter trades spot only")

    async def funding_info(self, trading_pair: str):
        raise NotImplementedError("the ccxt adapter trades spot only")

    async def set_leverage(self, trading_pair: str, leverage: int) -> None:
        raise NotImplementedError("the ccxt adapter trades spot only")

    async def set_position_mode(self, mode: str) -> None:
        raise NotImplementedError("the ccxt adapter trades spot only")

    async def set_margin_type(self, trading_pair: str, margin_type: str) -> None:
        raise NotImplementedError("the ccxt adapter trades spot only")
