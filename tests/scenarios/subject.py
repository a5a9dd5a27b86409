"""A small Binance spot client, careful or naive, to be the subject of the shipped scenarios.

`Subject(careful=True)` does what the scenario README says a correct client does: it measures the server's time
and resyncs on -1021, honours Retry-After and 418 bans, backs off on 5xx, treats a lost or unknown order answer as
"look it up" (never places it again), tracks fills by cumulative quantity with trades de-duplicated by id, polls
its open orders' status, keeps its book by snapshot plus diffs and resyncs on a gap, reconnects closed or silent
sockets, recreates an expired listenKey, refreshes the trading rules and quantizes to them, and on -2011 for a
cancel asks what became of the order.

`Subject(careful=False)` is the naive client the issue describes: no resync, no retry discipline, no dedup. Each
behaviour is one `if self.careful` in one place, so a scenario's verdict tells which one mattered.

Everything is bounded: every request has a timeout, every loop a deadline (the scenario ends the run).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from decimal import ROUND_DOWN, Decimal
from urllib.parse import urlencode

import aiohttp

KEY, SECRET = "demo-api-key", "demo-api-secret"
SYMBOL = "BTCUSDT"
REQUEST_TIMEOUT_S = 1.5  # a lost answer is noticed after this (the scenes hold theirs longer)
SILENCE_S = 1.5  # a market socket quiet this long is dead (the maker's diffs flow every 100 ms)
FINAL = ("FILLED", "CANCELED", "EXPIRED", "REJECTED", "EXPIRED_IN_MATCH", "FAILED", "LOST")


class Refused(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(f"{status} {body}")
        self.status = status
        self.code = body.get("code") if isinstance(body, dict) else None


class Subject:
    def __init__(self, base_url: str, *, careful: bool):
        self.base = base_url
        self.ws_base = base_url.replace("http://", "ws://")
        self.careful = careful
        self.session: aiohttp.ClientSession | None = None
        self.offset_ms = 0
        self.blocked_until = 0.0  # careful: no request before this (loop time): Retry-After, bans
        self.client_ids = (f"subj-{n}" for n in itertools.count(1))
        self.orders: dict[str, dict] = {}  # client id -> {"status", "executed", "qty", "trades": set, "sum_l"}
        self.rules: dict[str, dict] = {}
        self.book_ok = False
        self.resyncs = 0
        self.tasks: list[asyncio.Task] = []

    # --- life --------------------------------------------------------------------------------------------
    async def __aenter__(self) -> "Subject":
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S))
        return self

    async def __aexit__(self, *exc) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.session.close()

    def spawn(self, coro) -> None:
        self.tasks.append(asyncio.ensure_future(coro))

    # --- REST --------------------------------------------------------------------------------------------
    async def request(self, method: str, path: str, params: dict | None = None, *, signed: bool = False,
                      retries: int = 3) -> dict:
        """One call with this client's discipline; Refused when it finally fails."""
        last: Exception | None = None
        for attempt in range(retries + 1):
            if self.careful:
                wait = self.blocked_until - asyncio.get_running_loop().time()
                if wait > 0:
                    await asyncio.sleep(wait)
            try:
                return await self._send(method, path, dict(params or {}), signed)
            except Refused as exc:
                last = exc
                if exc.status in (429, 418):
                    if not self.careful:
                        await asyncio.sleep(0.02)  # naive: straight back in
                        continue
                    raise
                if exc.code == -1021 and self.careful:
                    await self.sync_time()
                    continue
                if exc.status >= 500 and exc.code != -1007:
                    await asyncio.sleep(0.25 * 2 ** attempt if self.careful else 0.02)
                    continue
                raise
        raise last  # type: ignore[misc]

    async def _send(self, method: str, path: str, params: dict, signed: bool) -> dict:
        headers = {"X-MBX-APIKEY": KEY}
        if signed:
            params["timestamp"] = int(time.time() * 1000) + self.offset_ms
            query = urlencode(params)
            params["signature"] = hmac.new(SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()
        async with self.session.request(method, self.base + path, params=params, headers=headers) as r:
            body = await r.json(content_type=None)
            if r.status != 200:
                if r.status in (429, 418):
                    after = float(r.headers.get("Retry-After", "1"))
                    self.blocked_until = asyncio.get_running_loop().time() + after
                raise Refused(r.status, body)
            return body

    async def sync_time(self) -> None:
        before = time.time() * 1000
        server = (await self._send("GET", "/api/v3/time", {}, False))["serverTime"]
        after = time.time() * 1000
        self.offset_ms = int(server - (before + after) / 2)

    async def load_rules(self) -> None:
        info = await self.request("GET", "/api/v3/exchangeInfo")
        self.rules.clear()
        for s in info["symbols"]:
            filters = {f["filterType"]: f for f in s["filters"]}
            self.rules[s["symbol"]] = {"status": s["status"], "tick": Decimal(filters["PRICE_FILTER"]["tickSize"]),
                                       "step": Decimal(filters["LOT_SIZE"]["stepSize"])}

    async def refresh_rules_forever(self, every_s: float = 0.5) -> None:
        while True:
            try:
                await self.load_rules()
            except (Refused, aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(every_s)

    def trading(self, symbol: str = SYMBOL) -> bool:
        """Whether the rules last read list the symbol as TRADING (a delisted symbol is not listed at all)."""
        return self.rules.get(symbol, {}).get("status") == "TRADING"

    def price(self, value: Decimal, symbol: str = SYMBOL) -> str:
        tick = self.rules[symbol]["tick"]
        return str((value / tick).to_integral_value(ROUND_DOWN) * tick)

    async def best_bid(self, symbol: str = SYMBOL) -> Decimal:
        return Decimal((await self.request("GET", "/api/v3/ticker/bookTicker", {"symbol": symbol}))["bidPrice"])

    # --- orders ------------------------------------------------------------------------------------------
    async def place(self, side: str, qty: str, price: str | None = None, *, type_: str = "LIMIT",
                    symbol: str = SYMBOL, ack: bool = False, stp: str | None = None) -> str:
        """Place one order; a lost or unknown answer is looked up (careful) or the order placed again (naive)."""
        for _ in range(3):
            client_id = next(self.client_ids)
            self.orders[client_id] = {"status": "PENDING", "executed": Decimal(0), "qty": Decimal(qty),
                                      "trades": set(), "sum_l": Decimal(0), "side": side}
            params = {"symbol": symbol, "side": side, "type": type_, "quantity": qty,
                      "newClientOrderId": client_id}
            if stp is not None:
                params["selfTradePreventionMode"] = stp
            if type_ == "LIMIT":
                params.update(price=price, timeInForce="GTC")
            if ack:
                params["newOrderRespType"] = "ACK"  # the answer says only that it was accepted
            try:
                answer = await self.request("POST", "/api/v3/order", params, signed=True, retries=0)
                self._apply_status(client_id, answer.get("status", "NEW"), Decimal(answer.get("executedQty", "0")))
                return client_id
            except Refused as exc:
                if exc.code == -1007 and self.careful:
                    return await self.look_up(client_id)
                if exc.status >= 500 and not self.careful:
                    continue  # naive: it failed, so place it again
                self.orders[client_id]["status"] = "FAILED"
                raise
            except (asyncio.TimeoutError, aiohttp.ClientError):
                if self.careful:
                    return await self.look_up(client_id)
                continue  # naive: no answer means no order: place it again
        return client_id

    async def look_up(self, client_id: str, symbol: str = SYMBOL) -> str:
        for _ in range(20):
            try:
                order = await self.request("GET", "/api/v3/order", {"symbol": symbol, "origClientOrderId": client_id},
                                           signed=True)
                self._apply_status(client_id, order["status"], Decimal(order["executedQty"]))
                return client_id
            except Refused as exc:
                if exc.code != -2013:
                    raise
            except (asyncio.TimeoutError, aiohttp.ClientError):
                pass
            await asyncio.sleep(0.3)
        self.orders[client_id]["status"] = "LOST"
        return client_id

    def _apply_status(self, client_id: str, status: str, executed: Decimal) -> None:
        order = self.orders.setdefault(client_id, {"status": status, "executed": executed, "qty": Decimal(0),
                                                   "trades": set(), "sum_l": Decimal(0), "side": "?"})
        if not self.careful:  # naive: the latest word wins, whatever order the words came in
            order["status"] = status
            return
        if order["status"] in FINAL or executed < order["executed"]:
            return  # careful: an order never goes backwards
        order["executed"] = executed
        order["status"] = status

    async def cancel(self, client_id: str, symbol: str = SYMBOL) -> None:
        for _ in range(1 if self.careful else 3):
            try:
                answer = await self.request("DELETE", "/api/v3/order", {"symbol": symbol,
                                                                        "origClientOrderId": client_id}, signed=True)
                self._apply_status(client_id, answer["status"], Decimal(answer["executedQty"]))
                return
            except Refused as exc:
                if exc.code != -2011:
                    raise
                if self.careful:  # the order ended some other way: ask how
                    await self.look_up(client_id, symbol)
                    return
        return

    async def poll_orders_forever(self, every_s: float = 0.5) -> None:
        """careful: the user stream can miss an event; status polling cannot."""
        while True:
            for client_id, order in list(self.orders.items()):
                if order["status"] in ("NEW", "PARTIALLY_FILLED"):
                    try:
                        await self.look_up(client_id)
                    except (Refused, aiohttp.ClientError, asyncio.TimeoutError):
                        pass
            await asyncio.sleep(every_s)

    # --- the user stream ---------------------------------------------------------------------------------
    async def user_stream_forever(self) -> None:
        while True:
            try:
                key = (await self.request("POST", "/api/v3/userDataStream"))["listenKey"]
                async with self.session.ws_connect(f"{self.ws_base}/ws/{key}") as ws:
                    async for msg in ws:
                        if msg.type != aiohttp.WSMsgType.TEXT:
                            break
                        event = json.loads(msg.data)
                        if event.get("e") == "executionReport":
                            self._on_report(event)
                        elif event.get("e") == "listenKeyExpired" and self.careful:
                            break  # a new key and a new stream
            except (Refused, aiohttp.ClientError, asyncio.TimeoutError):
                pass
            if not self.careful:
                return  # naive: one stream, and that is that
            await asyncio.sleep(0.2)

    async def _reconcile_balances(self) -> None:
        try:
            await self.request("GET", "/api/v3/account", signed=True)
        except (Refused, aiohttp.ClientError, asyncio.TimeoutError):
            pass

    def _on_report(self, event: dict) -> None:
        order = self.orders.get(event["c"])
        if order is None:
            return
        if event["x"] == "TRADE":
            if self.careful:
                if event["t"] in order["trades"]:
                    return
                order["trades"].add(event["t"])
                self.spawn(self._reconcile_balances())  # the stream's account updates may come out of step
            order["sum_l"] += Decimal(event["l"])
        if self.careful:
            self._apply_status(event["c"], event["X"], Decimal(event["z"]))
        else:
            order["executed"] = order["sum_l"]
            order["status"] = event["X"]

    # --- the order book ----------------------------------------------------------------------------------
    async def book_forever(self, symbol: str = SYMBOL) -> None:
        """Snapshot + diffs; careful: resync on a gap, reconnect on close or silence."""
        stream = f"{symbol.lower()}@depth@100ms"
        loop = asyncio.get_running_loop()
        backoff = 0.2
        while True:
            opened = loop.time()
            try:
                async with self.session.ws_connect(f"{self.ws_base}/ws/{stream}", autoping=True) as ws:
                    last_u = await self._snapshot(symbol)
                    while True:
                        try:
                            msg = await ws.receive(timeout=SILENCE_S if self.careful else None)
                        except asyncio.TimeoutError:
                            break  # careful: silent for too long
                        if msg.type != aiohttp.WSMsgType.TEXT:
                            break
                        diff = json.loads(msg.data)
                        if diff["u"] <= last_u:
                            continue  # a duplicate, or older than the snapshot
                        if diff["U"] != last_u + 1 and self.careful:
                            self.book_ok = False
                            self.resyncs += 1
                            last_u = await self._snapshot(symbol)
                            continue
                        last_u = diff["u"]
            except aiohttp.WSServerHandshakeError as exc:  # refused: wait at least what the server asks
                if not self.careful:
                    return
                after = float((exc.headers or {}).get("Retry-After", 0))
                backoff = min(backoff * 2, 2.0)
                await asyncio.sleep(max(after, backoff))
                continue
            except (Refused, aiohttp.ClientError, asyncio.TimeoutError):
                pass
            if not self.careful:
                return
            # careful: a connection that died young means trouble: back off more each time, less once it lasts
            backoff = min(backoff * 2, 2.0) if loop.time() - opened < 1.0 else 0.2
            await asyncio.sleep(backoff)

    async def _snapshot(self, symbol: str) -> int:
        depth = await self.request("GET", "/api/v3/depth", {"symbol": symbol, "limit": 100})
        self.book_ok = True
        return depth["lastUpdateId"]

    async def trades_stream_forever(self, symbol: str = SYMBOL) -> None:
        """A market socket on <symbol>@trade, reconnected (careful) when closed or silent."""
        while True:
            try:
                async with self.session.ws_connect(f"{self.ws_base}/ws/{symbol.lower()}@trade") as ws:
                    while True:
                        try:
                            msg = await ws.receive(timeout=SILENCE_S * 3 if self.careful else None)
                        except asyncio.TimeoutError:
                            break
                        if msg.type != aiohttp.WSMsgType.TEXT:
                            break
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            if not self.careful:
                return
            await asyncio.sleep(0.2)
