"""A fresh simulator per check: started in process on an ephemeral loopback port, arranged through the control
plane, and read back as the exchange-side truth the checks compare the adapter with.

The server runs on the caller's event loop (the adapter's), so setting it up costs a few milliseconds and the
in-process `Control(sim)` is called directly, with no thread hop: the loop is single-threaded, so nothing races.
The market is quiet (no background market maker; perpetual checks keep it on but paused, for the index prices
it holds): every book level, trade and balance a check sees was placed by the check's own scene, so what the
exchange knows is exactly what the check arranged.
"""
from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from fnmatch import fnmatchcase
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Optional

import aiohttp
from aiohttp import web

from simulator.config import Config, load_config
from simulator.control.api import Control
from simulator.core import Simulator
from simulator.server import build_simulator, create_app, make_runner

ConfigChange = Callable[[Config], Config]


@dataclass
class Request:
    at: float          # the event loop's clock when it arrived
    method: str
    path: str
    api_key: str
    status: int = 0    # 0: no answer (the connection was dropped)

SUBJECT_BALANCES = {"USDT": "100000", "BTC": "2", "ETH": "20"}
MAKER_BALANCES = {"USDT": "100000000", "BTC": "1000", "ETH": "10000"}


def quiet_config(change: Optional[ConfigChange] = None) -> Config:
    """The embedded default without background liquidity (and then whatever `change` makes of it)."""
    config = load_config()
    config = dataclasses.replace(config, market_maker=dataclasses.replace(config.market_maker, enabled=False))
    return change(config) if change is not None else config


def pair_of(base: str, quote: str) -> str:
    return f"{base}-{quote}"


class Venue:
    """One simulator behind one server; `control` is its control plane, `subject` the account under test."""

    def __init__(self, config: Config):
        self.sim: Simulator = build_simulator(config)
        self.control = Control(self.sim)
        self._runner: Optional[web.AppRunner] = None
        self.port = 0
        self.subject_id = 0
        self.api_key = ""
        self.api_secret = ""
        self.maker_id = 0
        self.requests: list[Request] = []  # every HTTP request the server answered, in arrival order

    @web.middleware
    async def _record(self, request: web.Request, handler):
        entry = Request(asyncio.get_running_loop().time(), request.method, request.path,
                        request.headers.get("X-MBX-APIKEY", ""))
        self.requests.append(entry)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            entry.status = exc.status
            raise
        entry.status = response.status
        return response

    def requests_to(self, method: str, path: str, since: float = 0.0, own: bool = True) -> list["Request"]:
        """The subject's requests (by its API key) to METHOD path (fnmatch pattern) that arrived after `since`."""
        return [r for r in self.requests if r.at >= since and r.method == method and fnmatchcase(r.path, path)
                and (not own or r.api_key == self.api_key)]

    def statuses(self, since: float = 0.0) -> list[int]:
        return [r.status for r in self.requests if r.at >= since]

    # --- lifecycle -------------------------------------------------------------------------------------
    async def start(self) -> "Venue":
        app = create_app(self.sim)
        app.middlewares.insert(0, self._record)  # outermost: sees the status the client got
        self._runner = make_runner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        subject = self.control.create_account(name="subject", balances=dict(SUBJECT_BALANCES))
        self.subject_id, self.api_key, self.api_secret = subject["id"], subject["apiKey"], subject["secret"]
        self.maker_id = self.control.create_account(name="maker", balances=dict(MAKER_BALANCES))["id"]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    # --- symbols -----------------------------------------------------------------------------------------
    def symbol(self, pair: str) -> str:
        return pair.replace("-", "")

    def spot_pairs(self) -> list[str]:
        return [pair_of(i.base, i.quote) for i in self.sim.engine.instruments.values()]

    def instrument(self, pair: str):
        return self.sim.engine.instruments[self.symbol(pair)]

    async def serves_perpetuals(self) -> tuple[bool, str]:
        """Whether /fapi/v1/exchangeInfo lists a symbol (the USD-M dialect is served), and why not."""
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{self.rest_url}/fapi/v1/exchangeInfo",
                                       timeout=aiohttp.ClientTimeout(total=5)) as response:
                    if response.status != 200:
                        return False, f"GET /fapi/v1/exchangeInfo answered HTTP {response.status}"
                    body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return False, f"GET /fapi/v1/exchangeInfo failed: {exc!r}"
        if not body.get("symbols"):
            return False, "GET /fapi/v1/exchangeInfo lists no symbol"
        return True, ""

    # --- truth: what the exchange knows --------------------------------------------------------------------
    def balances(self, account_id: Optional[int] = None) -> dict[str, tuple[Decimal, Decimal]]:
        """(free, locked) by asset, spot wallet."""
        account = self.control.get_account(account_id or self.subject_id)
        return {asset: (Decimal(b["free"]), Decimal(b["locked"])) for asset, b in account["balances"].items()}

    def orders(self, open_only: bool = False, pair: Optional[str] = None) -> list[dict[str, Any]]:
        symbol = self.symbol(pair) if pair else None
        return self.control.list_orders(account_id=self.subject_id, symbol=symbol, open_only=open_only)["orders"]

    def order(self, client_order_id: str) -> Optional[dict[str, Any]]:
        """The subject's order with that client id, with its trades ({"order": ..., "trades": [...]})."""
        for order in self.orders():
            if order["clientOrderId"] == client_order_id:
                return self.control.get_order(order["orderId"])
        return None

    def trades(self) -> list[dict[str, Any]]:
        """Every trade of the subject's orders, in trade id order, with the subject's side of the fee."""
        out = []
        for order in self.orders():
            for trade in self.control.get_order(order["orderId"])["trades"]:
                mine_buy = trade["buyerOrderId"] == order["orderId"]
                out.append({**trade, "orderId": order["orderId"], "clientOrderId": order["clientOrderId"],
                            "side": "BUY" if mine_buy else "SELL",
                            "fee": Decimal(trade["buyerFee"] if mine_buy else trade["sellerFee"]),
                            "feeAsset": trade["buyerFeeAsset"] if mine_buy else trade["sellerFeeAsset"]})
        return sorted(out, key=lambda t: t["tradeId"])

    def depth(self, pair: str, limit: int) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        inst = self.instrument(pair)
        _, bids, asks = self.sim.engine.depth(inst.symbol, limit)

        def levels(side):
            return [(Decimal(inst.format_price(p)), Decimal(inst.format_qty(q))) for p, q in side]

        return levels(bids), levels(asks)

    def rejections(self, after: int = 0) -> list[dict[str, Any]]:
        return [e for e in self.control.events(after=after, kind="rejected")["events"]
                if e["account_id"] == self.subject_id]

    def seq(self) -> int:
        return self.sim.engine.seq

    # --- arranging: the maker's liquidity -----------------------------------------------------------------
    def quote(self, pair: str, side: str, price: Decimal | str, qty: Decimal | str) -> dict[str, Any]:
        """A resting LIMIT GTC order of the maker (the subject's counterparty)."""
        return self.control.place_order(self.maker_id, self.symbol(pair), side, "LIMIT", quantity=str(qty),
                                        price=str(price), time_in_force="GTC")["order"]

    def ladder(self, pair: str, mid: Decimal, step: Decimal, qty: Decimal, levels: int = 5) -> None:
        """`levels` maker quotes a side around `mid`, `step` apart, each of `qty` (deeper ones a little larger,
        so levels are told apart by quantity too)."""
        for i in range(levels):
            size = qty + qty * i / 10
            self.quote(pair, "SELL", mid + step * (i + 1), size)
            self.quote(pair, "BUY", mid - step * (i + 1), size)

    def take(self, order_id: int, qty: Decimal | str) -> dict[str, Any]:
        return self.control.take(order_id, str(qty))

    def add_fault(self, spec: dict[str, Any]) -> dict[str, Any]:
        return self.control.add_fault(spec)

    async def fault_over(self, fault: dict[str, Any], timeout: float = 30.0) -> None:
        """Wait until a time-boxed fault has ended and its effects are undone (the background tick does it)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.control.get_fault(fault["id"])["state"] in ("active", "pending"):
            if loop.time() > deadline:
                raise TimeoutError(f"fault {fault['id']} ({fault['kind']}) still live after {timeout} s")
            await asyncio.sleep(0.05)
        self.sim.tick()


__all__ = ["ConfigChange", "Venue", "quiet_config", "pair_of"]
