"""The USD-M half of the ccxt adapter: ccxt's `binanceusdm` (REST) and ccxt.pro's (events), unmodified but for
URLs. Orders, fills and books work as on spot; positions, the futures wallet and funding payments come from REST
polls (`fetch_positions`, `fetch_balance`, `fetch_funding_history`), as a ccxt user would write it.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro
from ccxt.base.errors import BaseError

from conformance.adapter import (CONDITIONAL_ORDER_TYPES, AdapterError, Balance, Capability, FundingInfo,
                                 FundingPayment, OrderRequest, Position, PositionUpdate)
from conformance.adapters.ccxt_spot import CcxtAdapter, _dec

_CODE = re.compile(r'"code"\s*:\s*(-?\d+)')
_MSG = re.compile(r'"msg"\s*:\s*"([^"]*)"')


def _refusal(exc: BaseError) -> AdapterError:
    text = str(exc)
    code, msg = _CODE.search(text), _MSG.search(text)
    return AdapterError(msg.group(1) if msg else text, int(code.group(1)) if code else None)


class CcxtPerpetualAdapter(CcxtAdapter):
    capabilities = frozenset({Capability.PERPETUAL, Capability.MARKET_ORDERS, Capability.IOC, Capability.FOK,
                              Capability.CANCEL_ALL, Capability.ORDER_BOOK, Capability.POSITIONS,
                              Capability.LEVERAGE, Capability.POSITION_MODE, Capability.MARGIN_TYPE,
                              Capability.FUNDING, Capability.CONDITIONAL_ORDERS})
    exchange_class = ccxtpro.binanceusdm
    market_types = ["linear"]

    def __init__(self, config):
        super().__init__(config)
        self._positions: dict[tuple[str, str], Position] = {}
        self._funding_seen: set[str] = set()
        self._leverage: dict[str, int] = {}  # as set through this adapter: positionRisk v3 does not say
        self._funding_since = 0

    async def start(self) -> None:
        await super().start()
        self._funding_since = await self.exchange.fetch_time()
        await self._poll_extra()

    def _loops(self) -> list:
        # no watch_balance: the futures wallet (walletBalance, availableBalance) is read from REST
        loops = [self._watch_orders(), self._watch_trades(), self._poll()]
        return loops + [self._watch_book(pair) for pair in self.config.trading_pairs]

    def symbol(self, pair: str) -> str:
        base, quote = pair.split("-")
        return f"{base}/{quote}:{quote}"

    def pair(self, symbol: str) -> str:
        return symbol.split(":")[0].replace("/", "-")

    def _ccxt_type(self, order: OrderRequest) -> str:
        return order.order_type if order.order_type in CONDITIONAL_ORDER_TYPES else super()._ccxt_type(order)

    def _order_params(self, order: OrderRequest) -> dict[str, Any]:
        if order.order_type in CONDITIONAL_ORDER_TYPES:
            # ccxt sends these to the algo-order endpoint (triggerPrice, clientAlgoId from newClientOrderId)
            params: dict[str, Any] = {"triggerPrice": str(order.trigger_price), "workingType": order.working_type}
            if order.close_position:
                params["closePosition"] = True
        else:
            params = super()._order_params(order)
        if order.position_side != "BOTH":
            params["positionSide"] = order.position_side
        if order.reduce_only:
            params["reduceOnly"] = True
        return params

    # --- REST polls --------------------------------------------------------------------------------------
    async def _poll_balances(self) -> None:
        balance = await self.exchange.fetch_balance()
        for row in (balance.get("info") or {}).get("assets", []):
            self._set_balance(row["asset"], _dec(row["walletBalance"]), _dec(row["availableBalance"]))

    async def _poll_extra(self) -> None:
        positions = {}
        for p in await self.exchange.fetch_positions([self.symbol(pair) for pair in self.config.trading_pairs]):
            info = p["info"]
            if _dec(info.get("positionAmt")):
                position = Position(self.pair(p["symbol"]), info.get("positionSide", "BOTH"),
                                    _dec(info["positionAmt"]), _dec(info["entryPrice"]),
                                    int(p.get("leverage") or info.get("leverage")
                                        or self._leverage.get(self.pair(p["symbol"]), 0)),
                                    _dec(info.get("unRealizedProfit")))
                positions[(position.trading_pair, position.position_side)] = position
        for key in set(self._positions) | set(positions):
            old, new = self._positions.get(key), positions.get(key)
            if old != new:
                self._queue.put_nowait(PositionUpdate(key[0], key[1], new.amount if new else Decimal(0),
                                                      new.entry_price if new else Decimal(0)))
        self._positions = positions
        for row in await self.exchange.fetch_funding_history(since=self._funding_since):
            if row["id"] not in self._funding_seen:
                self._funding_seen.add(row["id"])
                self._queue.put_nowait(FundingPayment(self.pair(row["symbol"]), row["code"], _dec(row["amount"]),
                                                      int(row["timestamp"])))

    # --- views and settings ---------------------------------------------------------------------------------
    async def balances(self) -> dict[str, Balance]:
        return dict(self._balances)

    async def positions(self) -> list[Position]:
        return list(self._positions.values())

    async def funding_info(self, trading_pair: str) -> FundingInfo:
        rate = await self.exchange.fetch_funding_rate(self.symbol(trading_pair))
        info = rate["info"]
        return FundingInfo(trading_pair, _dec(info["indexPrice"]), _dec(info["markPrice"]),
                           _dec(info["lastFundingRate"]), int(info["nextFundingTime"]))

    async def set_leverage(self, trading_pair: str, leverage: int) -> None:
        try:
            await self.exchange.set_leverage(leverage, self.symbol(trading_pair))
        except BaseError as exc:
            raise _refusal(exc) from None
        self._leverage[trading_pair] = leverage

    async def set_position_mode(self, mode: str) -> None:
        try:
            await self.exchange.set_position_mode(mode == "HEDGE")
        except BaseError as exc:
            raise _refusal(exc) from None

    async def set_margin_type(self, trading_pair: str, margin_type: str) -> None:
        try:
            await self.exchange.set_margin_mode("isolated" if margin_type == "ISOLATED" else "cross",
                                                self.symbol(trading_pair))
        except BaseError as exc:
            raise _refusal(exc) from None
