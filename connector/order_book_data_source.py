"""OrderBookTrackerDataSource: the public side of the wire for the order book tracker.

REST: the depth snapshot. WebSocket: on spot one combined stream carrying each pair's depth diffs and trades; on
USD-M, as Binance split them in 2026, depth on /public and aggregate trades and mark price (`markPriceUpdate`:
mark, index, funding rate, next funding time) on /market. Frames become OrderBookMessages on `diff_queue`
(snapshots are put there too, so the tracker sees snapshots and diffs in one order) and `trade_queue`;
funding info goes to `funding_info_queue`. Every (re)connect is reported through `on_reconnect`, because diffs
sent while the socket was down are lost and every book on it must be resynchronised. A pair added or removed
while running is a SUBSCRIBE or UNSUBSCRIBE on the live connections (paced: Binance drops a connection that
sends too many messages a second); a connection made later names the pairs followed in its URL.
"""
from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any, Awaitable, Callable, Iterable

import aiohttp

from connector import constants as c
from connector.order_book import OrderBookMessage, diff_message, snapshot_message, trade_message
from connector.trading_rules import PairMap
from connector.web_assistant import WebAssistantsFactory
from connector.ws_connection import ReconnectingStream

log = logging.getLogger(__name__)


class OrderBookTrackerDataSource:
    def __init__(self, api: WebAssistantsFactory, ws_base: str, trading_pairs: Iterable[str], pair_map: PairMap,
                 market: str = c.SPOT, heartbeat: float = c.WS_HEARTBEAT_TIMEOUT):
        self._api = api
        self._ws_base = ws_base.rstrip("/")
        self.trading_pairs = list(trading_pairs)
        self.pair_map = pair_map
        self.market = market
        self.diff_queue: asyncio.Queue[OrderBookMessage] = asyncio.Queue()
        self.trade_queue: asyncio.Queue[OrderBookMessage] = asyncio.Queue()
        self.funding_info_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.on_reconnect: Callable[[], Awaitable[None]] | None = None
        # USD-M's bare /stream is the old root, which serves only public data on Binance since the split (and is
        # spot's on exsim, which serves both markets on one port).
        if market == c.SPOT:
            self.stream = ReconnectingStream(f"{market}-book", api, lambda: self._url("", self.stream_names()),
                                             self._handle, self._connected, heartbeat=heartbeat,
                                             messages_per_s=c.WS_MESSAGES_PER_S[market])
            self.streams = [self.stream]
        else:
            self.stream = ReconnectingStream(f"{market}-book", api,
                                             lambda: self._url("/public", self.book_streams()),
                                             self._handle, self._connected, heartbeat=heartbeat,
                                             messages_per_s=c.WS_MESSAGES_PER_S[market])
            self.streams = [self.stream, ReconnectingStream(f"{market}-market", api,
                                                            lambda: self._url("/market", self.trade_streams()),
                                                            self._handle, heartbeat=heartbeat,
                                                            messages_per_s=c.WS_MESSAGES_PER_S[market])]

    def _symbols(self, pairs: Iterable[str] | None = None) -> list[str]:
        return [self.pair_map.to_symbol(pair).lower() for pair in (self.trading_pairs if pairs is None else pairs)]

    def book_streams(self, pairs: Iterable[str] | None = None) -> list[str]:
        return [f"{sym}@depth@100ms" for sym in self._symbols(pairs)]

    def trade_streams(self, pairs: Iterable[str] | None = None) -> list[str]:
        if self.market == c.SPOT:
            return [f"{sym}@trade" for sym in self._symbols(pairs)]
        return [name for sym in self._symbols(pairs) for name in (f"{sym}@aggTrade", f"{sym}@markPrice@1s")]

    def stream_names(self, pairs: Iterable[str] | None = None) -> list[str]:
        return self.book_streams(pairs) + self.trade_streams(pairs)

    async def add_trading_pair(self, trading_pair: str) -> None:
        self.trading_pairs.append(trading_pair)
        await self._change_subscription("SUBSCRIBE", trading_pair)

    async def remove_trading_pair(self, trading_pair: str) -> None:
        self.trading_pairs.remove(trading_pair)
        await self._change_subscription("UNSUBSCRIBE", trading_pair)

    async def _change_subscription(self, method: str, trading_pair: str) -> None:
        if self.market == c.SPOT:
            wanted = [(self.stream, self.stream_names([trading_pair]))]
        else:
            wanted = [(self.streams[0], self.book_streams([trading_pair])),
                      (self.streams[1], self.trade_streams([trading_pair]))]
        for stream, names in wanted:
            if not stream.connected.is_set():
                continue  # (re)connecting: the URL it connects to names the pairs followed by then
            try:
                await stream.request(method, names)
            except (ConnectionError, aiohttp.ClientError) as exc:  # dropped meanwhile: the reconnect's URL has it
                log.info("%s %s: %r", method, trading_pair, exc)

    async def _url(self, prefix: str, names: list[str]) -> str:
        return f"{self._ws_base}{prefix}/stream?streams={'/'.join(names)}"

    def start(self) -> None:
        for stream in self.streams:
            stream.start()

    async def stop(self) -> None:
        for stream in self.streams:
            await stream.stop()

    async def _connected(self, ws) -> None:
        if self.on_reconnect:
            await self.on_reconnect()

    async def get_snapshot(self, trading_pair: str) -> OrderBookMessage:
        symbol = self.pair_map.to_symbol(trading_pair)
        path, limit = (c.DEPTH, c.SPOT_DEPTH_LIMIT) if self.market == c.SPOT else (c.F_DEPTH, c.USDM_DEPTH_LIMIT)
        payload = await self._api.api_request("GET", path, {"symbol": symbol, "limit": limit})
        return snapshot_message(trading_pair, payload)

    async def get_last_traded_prices(self, trading_pairs: Iterable[str]) -> dict[str, Decimal]:
        path = "/api/v3/ticker/price" if self.market == c.SPOT else "/fapi/v1/ticker/price"
        out = {}
        for pair in trading_pairs:
            answer = await self._api.api_request("GET", path, {"symbol": self.pair_map.to_symbol(pair)}, weight=2)
            out[pair] = Decimal(answer["price"])
        return out

    async def _handle(self, frame: Any) -> None:
        if not isinstance(frame, dict) or "data" not in frame:
            return  # control replies ({"result": null, "id": ...}) and anything unexpected
        event = frame["data"]
        kind = event.get("e")
        if kind == "depthUpdate":
            self.diff_queue.put_nowait(diff_message(self.pair_map.to_pair(event["s"]), event))
        elif kind in ("trade", "aggTrade"):
            self.trade_queue.put_nowait(trade_message(self.pair_map.to_pair(event["s"]), event))
        elif kind == "markPriceUpdate":
            self.funding_info_queue.put_nowait({
                "trading_pair": self.pair_map.to_pair(event["s"]), "mark_price": Decimal(event["p"]),
                "index_price": Decimal(event["i"]), "rate": Decimal(event["r"]),
                "next_funding_time_ms": int(event["T"])})
