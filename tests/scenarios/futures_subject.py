"""A small Binance USD-M (/fapi) client, careful or naive, to be the subject of the shipped perpetual scenarios.

`FuturesSubject(careful=True)` does what the scenario README says a correct client does: it takes its position,
its wallet and the funding rate from the exchange (positionRisk, balance, premiumIndex), read again before it acts;
it values a position at the mark price; it reads a refusal (-4068 position mode, -2022 reduce-only) as news about
the account, never as a reason to send the same thing another way; and it closes with reduce-only orders only.

`FuturesSubject(careful=False)` keeps its own books: its position is what its own order answers said, its wallet
what it read at the start plus its trades' realized PnL less their commission, the funding rate the one it read
first, the price the last trade's; it assumes a setting it asked for took effect. Each behaviour is one
`if self.careful` in one place, so a scenario's verdict tells which one mattered.

Everything is bounded: every request has a timeout, every loop a deadline (the scenario ends the run).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from decimal import ROUND_DOWN, Decimal
from urllib.parse import urlencode

import aiohttp

from tests.scenarios.subject import KEY, SECRET, Refused

SYMBOL = "BTCUSDT"
ASSET = "USDT"
POLL_S = 0.25
REQUEST_TIMEOUT_S = 3  # no perpetual scene loses an answer on purpose: a slow one is a loaded machine
TRANSIENT = (aiohttp.ClientError, asyncio.TimeoutError)  # a poll that failed is tried again at the next turn


class FuturesSubject:
    def __init__(self, base_url: str, *, careful: bool):
        self.base = base_url
        self.ws_base = base_url.replace("http://", "ws://")
        self.careful = careful
        self.session: aiohttp.ClientSession | None = None
        self.offset_ms = 0
        self.tick = self.step = Decimal(0)
        self.position = Decimal(0)  # naive: what its own order answers said
        self.wallet = Decimal(0)  # naive: the wallet read at the start, plus its trades' PnL less commission
        self.tasks: list[asyncio.Task] = []

    # --- life --------------------------------------------------------------------------------------------
    async def __aenter__(self) -> "FuturesSubject":
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
    async def request(self, method: str, path: str, params: dict | None = None, *, signed: bool = False):
        params = dict(params or {})
        if signed:
            params["timestamp"] = int(time.time() * 1000) + self.offset_ms
            params["signature"] = hmac.new(SECRET.encode(), urlencode(params).encode(), hashlib.sha256).hexdigest()
        async with self.session.request(method, self.base + path, params=params,
                                        headers={"X-MBX-APIKEY": KEY}) as r:
            body = await r.json(content_type=None)
            if r.status != 200:
                raise Refused(r.status, body)
            return body

    async def start(self, *, isolated_leverage: int | None = None) -> None:
        """Time, the symbol's rules, the wallet, and (isolated_leverage) ISOLATED margin at that leverage."""
        server = (await self.request("GET", "/fapi/v1/time"))["serverTime"]
        self.offset_ms = server - int(time.time() * 1000)
        info = await self.request("GET", "/fapi/v1/exchangeInfo")
        filters = {f["filterType"]: f for s in info["symbols"] if s["symbol"] == SYMBOL for f in s["filters"]}
        self.tick, self.step = Decimal(filters["PRICE_FILTER"]["tickSize"]), Decimal(filters["LOT_SIZE"]["stepSize"])
        self.wallet = await self.available()
        if isolated_leverage is not None:
            await self.request("POST", "/fapi/v1/marginType", {"symbol": SYMBOL, "marginType": "ISOLATED"},
                               signed=True)
            await self.request("POST", "/fapi/v1/leverage", {"symbol": SYMBOL, "leverage": isolated_leverage},
                               signed=True)

    def price(self, value: Decimal) -> str:
        return str((value / self.tick).to_integral_value(ROUND_DOWN) * self.tick)

    async def order(self, side: str, qty: Decimal, *, type_: str = "MARKET", price: Decimal | None = None,
                    reduce_only: bool = False, position_side: str | None = None) -> dict:
        params = {"symbol": SYMBOL, "side": side, "type": type_, "quantity": str(qty), "newOrderRespType": "RESULT"}
        if type_ == "LIMIT":
            params.update(price=self.price(price), timeInForce="GTC")
        if reduce_only:
            params["reduceOnly"] = "true"
        if position_side is not None:
            params["positionSide"] = position_side
        answer = await self.request("POST", "/fapi/v1/order", params, signed=True)
        filled = Decimal(answer["executedQty"])
        self.position += filled if side == "BUY" else -filled
        return answer

    async def stop_loss(self, trigger: Decimal) -> dict:
        """A STOP_MARKET that closes the long when the mark falls to `trigger` (Binance's algo order endpoint)."""
        return await self.request("POST", "/fapi/v1/algoOrder", {
            "algoType": "CONDITIONAL", "symbol": SYMBOL, "side": "SELL", "type": "STOP_MARKET",
            "triggerPrice": self.price(trigger), "closePosition": "true", "workingType": "MARK_PRICE"}, signed=True)

    async def exchange_position(self) -> Decimal:
        rows = await self.request("GET", "/fapi/v2/positionRisk", {"symbol": SYMBOL}, signed=True)
        return sum((Decimal(r["positionAmt"]) for r in rows), Decimal(0))

    async def held(self) -> Decimal:
        """The position as this client believes it: the exchange's (careful) or its own tally (naive)."""
        return await self.exchange_position() if self.careful else self.position

    async def available(self) -> Decimal:
        rows = await self.request("GET", "/fapi/v2/balance", signed=True)
        return next(Decimal(r["availableBalance"]) for r in rows if r["asset"] == ASSET)

    async def premium_index(self) -> dict:
        return await self.request("GET", "/fapi/v1/premiumIndex", {"symbol": SYMBOL})

    async def valuation_price(self) -> Decimal:
        """What a position is worth per unit: the mark (careful), the last trade (naive)."""
        if self.careful:
            return Decimal((await self.premium_index())["markPrice"])
        return Decimal((await self.request("GET", "/fapi/v1/ticker/price", {"symbol": SYMBOL}))["price"])

    async def entry_price(self) -> Decimal:
        rows = await self.request("GET", "/fapi/v2/positionRisk", {"symbol": SYMBOL}, signed=True)
        return next(Decimal(r["entryPrice"]) for r in rows if Decimal(r["positionAmt"]))

    async def close(self) -> None:
        """Close what it holds: reduce-only (careful, and only what the exchange says is there); naive: a plain
        opposite order for its own tally, and when a reduce-only one is refused, the same without the flag."""
        held = await self.held()
        if not held:
            return
        side = "SELL" if held > 0 else "BUY"
        try:
            await self.order(side, abs(held), reduce_only=True)
        except Refused as exc:
            if self.careful or exc.code != -2022:
                raise
            await self.order(side, abs(held))  # naive: "reduce-only refused? then just sell it"

    async def set_hedge_mode(self) -> bool:
        """Ask for hedge mode; whether this client now believes it is in hedge mode."""
        try:
            await self.request("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "true"}, signed=True)
            return True
        except Refused:
            return not self.careful  # careful: refused (-4068, a position is open), still one-way; naive: asked

    async def ledger_wallet(self) -> Decimal:
        """naive: the wallet read at the start, plus every trade's realized PnL, less every commission."""
        trades = await self.request("GET", "/fapi/v1/userTrades", {"symbol": SYMBOL}, signed=True)
        return self.wallet + sum((Decimal(t["realizedPnl"]) - Decimal(t["commission"]) for t in trades), Decimal(0))

    async def sweep_to_spot(self) -> None:
        """Move the whole futures wallet to spot: what the exchange says is available (careful), or what its own
        ledger says it holds (naive)."""
        amount = await self.available() if self.careful else await self.ledger_wallet()
        amount = amount.quantize(Decimal("0.00000001"), ROUND_DOWN)
        if amount > 0:
            await self.request("POST", "/sapi/v1/asset/transfer", {"type": "UMFUTURE_MAIN", "asset": ASSET,
                                                                   "amount": str(amount)}, signed=True)

    async def funding_income(self) -> list[dict]:
        return await self.request("GET", "/fapi/v1/income", {"symbol": SYMBOL, "incomeType": "FUNDING_FEE"},
                                  signed=True)

    async def to_spot(self, amount: Decimal) -> None:
        await self.request("POST", "/sapi/v1/asset/transfer", {"type": "UMFUTURE_MAIN", "asset": ASSET,
                                                               "amount": str(amount)}, signed=True)

    # --- the user stream ---------------------------------------------------------------------------------
    async def user_stream(self, on_event) -> None:
        """The futures user data stream, each event handed to `on_event` (one stream: the scenes are short)."""
        key = (await self.request("POST", "/fapi/v1/listenKey"))["listenKey"]
        async with self.session.ws_connect(f"{self.ws_base}/private/ws?listenKey={key}") as ws:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    return
                on_event(json.loads(msg.data))
