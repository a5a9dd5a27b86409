"""BinancePerpetualDerivative: the USD-M perpetuals connector (/fapi), the spot exchange plus PerpetualTrading.

What differs from spot:
  * orders: `positionSide` in hedge mode, `reduceOnly` in one-way mode when closing, LIMIT_MAKER sent as
    LIMIT + GTX, `newOrderRespType=RESULT` (no fills in the answer: they come by ORDER_TRADE_UPDATE or userTrades);
    cancel-all's answer (allOpenOrders) names no order: the user stream or status polling says how each ended;
  * conditional orders (STOP_MARKET, TAKE_PROFIT_MARKET: trigger price, working type, closePosition) go to the
    algo-order endpoint, where Binance takes them now; the order their trigger releases keeps the client id, so
    the user stream reports its fills like any order's, and status queries ask the algo endpoint while it waits;
  * balances from /fapi/v2/account (total = walletBalance, available = availableBalance) and ACCOUNT_UPDATE;
  * positions from /fapi/v2/positionRisk and ACCOUNT_UPDATE `P` (a position whose amount is 0 is gone);
  * funding info (mark, index, rate, next time) from the markPrice stream, seeded by /fapi/v1/premiumIndex;
  * funding payments from /fapi/v1/income (FUNDING_FEE), asked at once when the user stream reports an
    ACCOUNT_UPDATE of reason FUNDING_FEE (which, for a cross position, does not even name the symbol) and
    polled regularly as the fallback; each income row is reported once (by tranId), and the last one seen is
    kept in the tracking store, so payments made while the connector was down are reported after a restart.
"""
from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any, Iterable

from connector import constants as c
from connector.events import FundingPaymentCompletedEvent, PositionUpdateEvent
from connector.exchange import BinanceExchange
from connector.in_flight_order import InFlightOrder, OrderState, OrderUpdate, TradeUpdate, state_from_wire
from connector.perpetual_trading import BOTH, HEDGE, ONEWAY, FundingInfo, PerpetualTrading, Position
from connector.trading_rules import TradingRule, parse_usdm_rules
from connector.web_assistant import ExchangeError

log = logging.getLogger(__name__)
LAST_FUNDING_KEY = "last_funding_time_ms"
# algoStatus of a conditional order that has not released an order (waiting, or ended unfired), spelled as order
# statuses are; TRIGGERED / FINISHED: the released order's own status says the rest.
UNFIRED_ALGO_STATES = ("NEW", "CANCELED", "EXPIRED", "REJECTED")


class BinancePerpetualDerivative(BinanceExchange, PerpetualTrading):
    market = c.USDM
    name = "binance_perpetual"
    paths = {"time": c.F_TIME, "exchange_info": c.F_EXCHANGE_INFO, "order": c.F_ORDER,
             "open_orders": c.F_OPEN_ORDERS, "account": c.F_ACCOUNT, "trades": c.F_USER_TRADES, "ping": c.F_PING}
    default_pools = c.DEFAULT_USDM_POOLS

    def __init__(self, api_key: str, secret: str, trading_pairs: Iterable[str], *args: Any,
                 funding_poll_interval: float = c.FUNDING_POLL_INTERVAL, **kwargs: Any):
        BinanceExchange.__init__(self, api_key, secret, trading_pairs, *args, **kwargs)
        PerpetualTrading.__init__(self)
        self._funding_poll_interval = funding_poll_interval
        self._funding_notifier = asyncio.Event()
        self._funding_seen: set[str] = set()
        self._last_funding_ms: int | None = None
        self._positions_loaded = False

    # --- network ---
    async def start_network(self) -> None:
        await super().start_network()
        await self._update_position_mode()  # needed: orders are shaped by it
        try:
            await self._update_funding_info_rest()
        except ExchangeError as exc:  # the markPrice stream brings it too; readiness says it is missing meanwhile
            log.info("funding info over REST failed: %s", exc)
        stored = self._store.get_value(LAST_FUNDING_KEY) if self._store else None
        # Resume after the last payment reported before a restart; on a first start, report from now on (and
        # remember that at once: payments made while a connector that never polled was down count too).
        self._last_funding_ms = int(stored) + 1 if stored else self._now_ms()
        if self._store and not stored:
            self._store.set_value(LAST_FUNDING_KEY, str(self._last_funding_ms - 1))
        self._funding_notifier.set()  # payments made while we were down

    def _extra_tasks(self) -> list[asyncio.Task]:
        loop = asyncio.get_running_loop()
        return [loop.create_task(self._funding_info_listener(), name="funding-info"),
                loop.create_task(self._funding_payment_polling_loop(), name="funding-payments")]

    @property
    def status_dict(self) -> dict[str, bool]:
        return {**super().status_dict, "positions": self._positions_loaded,
                "funding_info": all(pair in self.funding_info for pair in self.trading_pairs)}

    def _parse_rules(self, info: dict[str, Any]) -> dict[str, TradingRule]:
        return parse_usdm_rules(info)

    # --- orders ---
    def supported_order_types(self) -> list[str]:
        return [*super().supported_order_types(), *c.CONDITIONAL_TYPES]

    def _local_refusal(self, order: InFlightOrder) -> str | None:
        if order.order_type not in c.CONDITIONAL_TYPES:
            return super()._local_refusal(order)
        rule = self._trading_rules.get(order.trading_pair)
        if rule is None:
            return f"unknown trading pair {order.trading_pair}"
        if order.trigger_price is None:
            return f"a {order.order_type} order needs a trigger price"
        if order.close_position:
            return None  # no amount: the position's size when it fires
        return rule.check(order.trigger_price, order.amount)

    def _order_path(self, order: InFlightOrder) -> str:
        return c.F_ALGO_ORDER if order.order_type in c.CONDITIONAL_TYPES else self.paths["order"]

    def _order_params(self, order: InFlightOrder) -> dict[str, Any]:
        if order.order_type in c.CONDITIONAL_TYPES:
            return self._algo_order_params(order)
        params: dict[str, Any] = {"symbol": self.pair_map.to_symbol(order.trading_pair), "side": order.trade_type,
                                  "type": "LIMIT" if order.order_type == "LIMIT_MAKER" else order.order_type,
                                  "quantity": order.amount, "newClientOrderId": order.client_order_id,
                                  "newOrderRespType": "RESULT"}
        if order.order_type in ("LIMIT", "LIMIT_MAKER"):
            params["price"] = order.price
            params["timeInForce"] = "GTX" if order.order_type == "LIMIT_MAKER" else order.time_in_force
        if self.position_mode == HEDGE:
            params["positionSide"] = order.position_side or self.position_side_for(order.trade_type,
                                                                                    order.position_action)
        elif order.reduce_only or order.position_action == "CLOSE":
            params["reduceOnly"] = True  # refused by the exchange in hedge mode, where positionSide says it
        return params

    def _algo_order_params(self, order: InFlightOrder) -> dict[str, Any]:
        """A conditional order as the algo-order endpoint spells it: triggerPrice, clientAlgoId; the order the
        trigger releases keeps that client id (ORDER_TRADE_UPDATE `c`), so the user stream tracks it as any."""
        params: dict[str, Any] = {"algoType": "CONDITIONAL", "symbol": self.pair_map.to_symbol(order.trading_pair),
                                  "side": order.trade_type, "type": order.order_type,
                                  "triggerPrice": order.trigger_price, "workingType": order.working_type,
                                  "clientAlgoId": order.client_order_id}
        if self.position_mode == HEDGE:
            params["positionSide"] = order.position_side or self.position_side_for(order.trade_type, "CLOSE")
        if order.close_position:
            params["closePosition"] = True  # with neither quantity nor reduceOnly (refused together)
            return params
        params["quantity"] = order.amount
        if self.position_mode != HEDGE and (order.reduce_only or order.position_action == "CLOSE"):
            params["reduceOnly"] = True
        return params

    def _cancel_request(self, order: InFlightOrder) -> tuple[str, dict[str, Any]]:
        """A conditional order is canceled on the algo endpoint; once it has fired and filled, that answers -2011
        and the status query settles it, as for any order that filled before its cancel."""
        if order.order_type in c.CONDITIONAL_TYPES:
            return c.F_ALGO_ORDER, {"clientAlgoId": order.client_order_id}
        return super()._cancel_request(order)

    def _process_order_answer(self, order: InFlightOrder, answer: dict[str, Any]) -> None:
        """An algo order's answer names it by algoId, its state by algoStatus (NEW: waiting for the trigger)."""
        if "algoId" not in answer:
            super()._process_order_answer(order, answer)
            return
        status = answer.get("algoStatus")
        state = state_from_wire(status) if status in UNFIRED_ALGO_STATES else OrderState.OPEN
        self.order_tracker.process_order_update(OrderUpdate(
            order.client_order_id, order.trading_pair, state, int(answer.get("updateTime") or self._now_ms()),
            str(answer["algoId"])))

    async def _update_order_status(self, orders: list[InFlightOrder] | None = None) -> None:
        """Conditional orders are asked about on the algo endpoint first: one still waiting (or ended unfired) is
        settled by that answer; one the trigger released is then an ordinary order, asked about as any."""
        if orders is None:
            orders = [o for o in self.order_tracker.active_orders.values()
                      if o.client_order_id not in self._creating]
        released = []
        for order in orders:
            if order.order_type not in c.CONDITIONAL_TYPES:
                released.append(order)
                continue
            try:
                answer = await self.api.api_request("GET", c.F_ALGO_ORDER, {"clientAlgoId": order.client_order_id},
                                                    signed=True)
            except ExchangeError as exc:
                if exc.code == c.ORDER_DOES_NOT_EXIST:
                    self.order_tracker.process_order_not_found(order.client_order_id)
                continue
            if answer.get("algoStatus") in UNFIRED_ALGO_STATES:
                self._process_order_answer(order, answer)
            else:
                released.append(order)
        await super()._update_order_status(released)

    def _track_new(self, client_order_id: str, side: str, trading_pair: str, amount: Decimal, order_type: str,
                   price: Decimal | None, **kwargs: Any) -> bool:
        kwargs.setdefault("leverage", self.leverage.get(trading_pair, 1))
        rule = self._trading_rules.get(trading_pair)
        if kwargs.get("trigger_price") is not None and rule is not None:
            kwargs["trigger_price"] = rule.quantize_price(kwargs["trigger_price"])
        if kwargs.get("position_side") in (None, BOTH) and self.position_mode == HEDGE:
            kwargs["position_side"] = self.position_side_for(side, kwargs.get("position_action"))
        return super()._track_new(client_order_id, side, trading_pair, amount, order_type, price, **kwargs)

    async def _bulk_cancel(self, trading_pair: str, orders: list[InFlightOrder]) -> None:
        """USD-M acknowledges with a code and message only: the orders stay PENDING_CANCEL until the user stream
        reports how each ended (canceled, or filled first), or the status poll, which asks about every order
        pending a cancel, does."""
        await self.api.api_request("DELETE", c.F_ALL_OPEN_ORDERS, {"symbol": self.pair_map.to_symbol(trading_pair)},
                                   signed=True)
        if not self.user_stream_tracker.ready:
            self._poll_notifier.set()  # no stream to tell us: ask now rather than at the next poll

    # --- settings ---
    async def set_leverage(self, trading_pair: str, leverage: int) -> int:
        answer = await self.api.api_request("POST", c.F_LEVERAGE, {"symbol": self.pair_map.to_symbol(trading_pair),
                                                                    "leverage": int(leverage)}, signed=True)
        self.leverage[trading_pair] = int(answer["leverage"])
        return self.leverage[trading_pair]

    async def set_position_mode(self, mode: str) -> None:
        try:
            await self.api.api_request("POST", c.F_POSITION_SIDE_DUAL, {"dualSidePosition": mode == HEDGE},
                                       signed=True)
        except ExchangeError as exc:
            if exc.code != c.NO_NEED_TO_CHANGE_POSITION_SIDE:
                raise
        self.position_mode = mode

    async def set_margin_type(self, trading_pair: str, margin_type: str) -> None:
        try:
            await self.api.api_request("POST", c.F_MARGIN_TYPE, {"symbol": self.pair_map.to_symbol(trading_pair),
                                                                  "marginType": margin_type}, signed=True)
        except ExchangeError as exc:
            if exc.code != c.NO_NEED_TO_CHANGE_MARGIN_TYPE:
                raise
        self.margin_type[trading_pair] = margin_type

    async def _update_position_mode(self) -> None:
        answer = await self.api.api_request("GET", c.F_POSITION_SIDE_DUAL, signed=True)
        self.position_mode = HEDGE if answer.get("dualSidePosition") else ONEWAY

    # --- balances and positions (REST) ---
    async def _update_balances(self) -> None:
        account = await self.api.api_request("GET", self.paths["account"], signed=True)
        for row in account.get("assets", []):
            self._set_balance(row["asset"], Decimal(row["walletBalance"]), Decimal(row["availableBalance"]), "rest")
        self._balances_loaded = True

    async def _update_extra(self) -> None:
        rows = await self.api.api_request("GET", c.F_POSITION_RISK, signed=True)
        seen = set()
        for row in rows:
            try:
                pair = self.pair_map.to_pair(row["symbol"])
            except KeyError:
                continue
            if "leverage" in row:
                self.leverage[pair] = int(row["leverage"])
            if "marginType" in row:
                self.margin_type[pair] = "ISOLATED" if row["marginType"].lower() == "isolated" else "CROSSED"
            amount = Decimal(row["positionAmt"])
            if amount:
                seen.add((pair, row["positionSide"]))
            self._set_position(pair, row["positionSide"], amount, Decimal(row["entryPrice"]),
                               Decimal(row.get("unRealizedProfit", "0")), "rest")
        for key in set(self.account_positions) - seen:
            self._set_position(key[0], key[1], Decimal(0), Decimal(0), Decimal(0), "rest")
        self._positions_loaded = True

    def _set_position(self, pair: str, side: str, amount: Decimal, entry: Decimal, pnl: Decimal, source: str) -> None:
        key = (pair, side)
        old = self.account_positions.get(key)
        if not amount:
            if old is None:
                return
            del self.account_positions[key]
        else:
            self.account_positions[key] = Position(pair, side, amount, entry, pnl, self.leverage.get(pair, 1))
            if old is not None and (old.amount, old.entry_price) == (amount, entry):
                return  # only the unrealized PnL moved: not news
        self.events.trigger(PositionUpdateEvent(pair, side, amount, entry, pnl, self.leverage.get(pair, 1), source))

    # --- funding ---
    async def _update_funding_info_rest(self) -> None:
        for pair in self.trading_pairs:
            row = await self.api.api_request("GET", c.F_PREMIUM_INDEX, {"symbol": self.pair_map.to_symbol(pair)})
            self.funding_info[pair] = FundingInfo(pair, Decimal(row["indexPrice"]), Decimal(row["markPrice"]),
                                                  Decimal(row["lastFundingRate"]), int(row["nextFundingTime"]))

    async def _funding_info_listener(self) -> None:
        queue = self.order_book_tracker.data_source.funding_info_queue
        while True:
            update = await queue.get()
            self.funding_info[update["trading_pair"]] = FundingInfo(
                update["trading_pair"], update["index_price"], update["mark_price"], update["rate"],
                update["next_funding_time_ms"])

    async def _funding_payment_polling_loop(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self._funding_poll_interval):
                    await self._funding_notifier.wait()
            except TimeoutError:
                pass
            self._funding_notifier.clear()
            try:
                await self._update_funding_payments()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("funding payment poll failed: %r", exc)

    async def _update_funding_payments(self) -> None:
        if self._last_funding_ms is None:
            return
        rows = await self.api.api_request("GET", c.F_INCOME, {"incomeType": "FUNDING_FEE",
                                                              "startTime": self._last_funding_ms, "limit": 1000},
                                          signed=True)
        for row in sorted(rows, key=lambda r: (int(r["time"]), str(r["tranId"]))):
            tran_id = str(row["tranId"])
            if tran_id in self._funding_seen:
                continue
            self._funding_seen.add(tran_id)
            try:
                pair = self.pair_map.to_pair(row["symbol"])
            except KeyError:
                pair = row["symbol"]
            self.events.trigger(FundingPaymentCompletedEvent(pair, row["asset"], Decimal(row["income"]),
                                                             int(row["time"]), "rest"))
            self._last_funding_ms = max(self._last_funding_ms, int(row["time"]))
        if self._store:
            self._store.set_value(LAST_FUNDING_KEY, str(self._last_funding_ms))

    # --- user stream ---
    def _process_user_event(self, event: dict[str, Any]) -> None:
        kind = event.get("e")
        if kind == "ORDER_TRADE_UPDATE":
            self._process_order_trade_update(event["o"], int(event.get("E", 0)))
        elif kind == "ACCOUNT_UPDATE":
            self._process_account_update(event["a"])
        elif kind == "ACCOUNT_CONFIG_UPDATE" and "ac" in event:
            self.leverage[self.pair_map.to_pair(event["ac"]["s"])] = int(event["ac"]["l"])

    def _process_order_trade_update(self, o: dict[str, Any], event_time: int) -> None:
        order = self.order_tracker.fetch_order(o["c"])
        if order is None:
            return  # not ours (a liquidation's autoclose-, another client's): positions follow by ACCOUNT_UPDATE
        exchange_order_id = str(o["i"])
        if o.get("x") == "TRADE" and int(o.get("t", 0)) != 0:
            price, qty = Decimal(o["L"]), Decimal(o["l"])
            self.order_tracker.process_trade_update(TradeUpdate(
                str(o["t"]), order.client_order_id, exchange_order_id, order.trading_pair, price, qty, price * qty,
                o.get("N"), Decimal(o.get("n") or "0"), int(o.get("T", event_time)), bool(o.get("m", False))))
        state = OrderState.FAILED if o.get("x") == "REJECTED" else state_from_wire(o["X"])
        self._note_unsolicited_cancel(order, state)
        self.order_tracker.process_order_update(OrderUpdate(order.client_order_id, order.trading_pair, state,
                                                            event_time, exchange_order_id, Decimal(o.get("z", "0"))))

    def _process_account_update(self, a: dict[str, Any]) -> None:
        for row in a.get("B", []):
            previous = self._balances.get(row["a"])
            # ACCOUNT_UPDATE has no available balance: keep the last known one until the next poll brings it.
            available = previous.available if previous else Decimal(row.get("cw", row["wb"]))
            self._set_balance(row["a"], Decimal(row["wb"]), available, "ws")
        for row in a.get("P", []):
            try:
                pair = self.pair_map.to_pair(row["s"])
            except KeyError:
                continue
            self._set_position(pair, row.get("ps", BOTH), Decimal(row["pa"]), Decimal(row["ep"]),
                               Decimal(row.get("up", "0")), "ws")
        if a.get("m") == "FUNDING_FEE":
            self._funding_notifier.set()
        self._poll_notifier.set()  # available balance and margins: the account endpoint has them

    @property
    def positions(self) -> list[Position]:
        return list(self.account_positions.values())

