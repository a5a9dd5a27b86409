"""BinanceExchange: the spot connector. It wires the components together and owns the order lifecycle.

    exchange = BinanceExchange("demo-api-key", "demo-api-secret", ["BTC-USDT"], base_url="http://127.0.0.1:8900")
    await exchange.start_network()          # time sync, rules, books, user stream, restored orders
    await exchange.wait_until_ready(10)
    order_id = await exchange.place_order("BUY", "BTC-USDT", Decimal("0.01"), "LIMIT", Decimal("60000"))
    exchange.cancel("BTC-USDT", order_id)   # or: await exchange.cancel_all()
    await exchange.stop_network()

Flow of an order: tracked (and persisted) as PENDING_CREATE before the request leaves; the answer, the user
stream and status polling then move it through the ClientOrderTracker. A create or cancel whose outcome is
unknown (no answer, a 5xx, 503 -1007) is never re-sent: the status polling loop asks the exchange about the
order by its client id until the exchange knows it (then it goes on from there) or has said "no such order"
often enough (then it failed). Balances come from the user stream and from REST polling, which also covers
the time the stream is down. Signed requests carry the exchange's time: its offset is measured at start, on a
-1021 and every `time_sync_interval` seconds (checked at each status poll, measured in the background). The
perpetual half (perpetual_derivative.py) reuses all of this.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable

from connector import constants as c
from connector.auth import BinanceAuth
from connector.client_order_tracker import NOT_FOUND_LIMIT, ClientOrderTracker
from connector.events import BalanceUpdateEvent, EventBus, OrderFailureEvent, PublicTradeEvent
from connector.in_flight_order import InFlightOrder, OrderState, OrderUpdate, TradeUpdate, state_from_wire
from connector.order_book import OrderBook, OrderBookMessage
from connector.order_book_data_source import OrderBookTrackerDataSource
from connector.order_book_tracker import OrderBookTracker
from connector.order_cancellation import OrderCancellation
from connector.throttler import AsyncThrottler
from connector.time_synchronizer import TimeSynchronizer
from connector.tracking_store import TrackingStateStore
from connector.trading_rules import PairMap, TradingRule, parse_spot_rules
from connector.user_stream_data_source import UserStreamTrackerDataSource
from connector.user_stream_tracker import UserStreamTracker
from connector.web_assistant import ExchangeError, WebAssistantsFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Balance:
    total: Decimal
    available: Decimal


def new_client_order_id(side: str) -> str:
    """Unique, within Binance's 36 characters and both venues' alphabets: prefix, side letter, random hex."""
    head = f"{c.CLIENT_ORDER_ID_PREFIX}{side[0].upper()}"
    return head + secrets.token_hex(16)[: c.MAX_CLIENT_ORDER_ID_LEN - len(head)]


class BinanceExchange(OrderCancellation):
    market = c.SPOT
    name = "binance"
    paths = {"time": c.TIME, "exchange_info": c.EXCHANGE_INFO, "order": c.ORDER, "open_orders": c.OPEN_ORDERS,
             "account": c.ACCOUNT, "trades": c.MY_TRADES, "ping": c.PING}
    default_pools = c.DEFAULT_SPOT_POOLS

    def __init__(self, api_key: str, secret: str, trading_pairs: Iterable[str], base_url: str | None = None,
                 ws_url: str | None = None, domain: c.Domain | str = c.DEFAULT_DOMAIN, tracking_db: str | None = None,
                 request_timeout: float = 10.0, ws_heartbeat: float = c.WS_HEARTBEAT_TIMEOUT,
                 poll_interval: float = c.SHORT_POLL_INTERVAL, long_poll_interval: float = c.LONG_POLL_INTERVAL,
                 not_found_limit: int = NOT_FOUND_LIMIT, trading_rules_interval: float = c.TRADING_RULES_INTERVAL,
                 user_stream_mode: str = "ws_api", time_sync_interval: float = c.TIME_SYNC_INTERVAL,
                 time_source: Callable[[], float] = time.time):
        if base_url:
            domain = c.domain_for_url(base_url)
        elif isinstance(domain, str):
            domain = c.DOMAINS[domain]  # "exsim", "binance", "binance_testnet"
        rest = domain.spot_rest if self.market == c.SPOT else domain.usdm_rest
        ws = ws_url or (domain.spot_ws if self.market == c.SPOT else domain.usdm_ws)
        self.trading_pairs = list(trading_pairs)
        self.events = EventBus()
        self.time_synchronizer = TimeSynchronizer(time_source, resync_interval=time_sync_interval)
        self._clock_sync: asyncio.Task | None = None
        self.throttler = AsyncThrottler(self.default_pools)
        self.auth = BinanceAuth(api_key, secret, self.time_synchronizer)
        self.api = WebAssistantsFactory(rest, self.auth, self.throttler, self.time_synchronizer,
                                        time_path=self.paths["time"], request_timeout=request_timeout)
        self.pair_map = PairMap()
        self._trading_rules: dict[str, TradingRule] = {}
        self.order_book_tracker = OrderBookTracker(OrderBookTrackerDataSource(
            self.api, ws, self.trading_pairs, self.pair_map, self.market, heartbeat=ws_heartbeat))
        self.order_book_tracker.on_trade = self._on_public_trade
        self.user_stream_tracker = UserStreamTracker(UserStreamTrackerDataSource(
            self.api, ws, self.market, user_stream_mode, heartbeat=ws_heartbeat))
        self.user_stream_tracker.data_source.on_reconnect = self._on_user_stream_reconnect
        self._store = TrackingStateStore(tracking_db, self.name) if tracking_db else None
        self.order_tracker = ClientOrderTracker(self.events, self._store, self._now_ms,
                                                not_found_limit=not_found_limit)
        self._balances: dict[str, Balance] = {}
        self._balances_loaded = False
        self._poll_interval = poll_interval
        self._long_poll_interval = long_poll_interval
        self._trading_rules_interval = trading_rules_interval
        self._poll_notifier = asyncio.Event()
        self._rules_notifier = asyncio.Event()  # set: refresh the trading rules now
        self.polls = 0  # completed status polls
        self._full_poll_due = True
        # Create requests in flight, each with an event set when its answer (or failure) is in: their status is
        # not asked meanwhile, and a cancel waits for it (a cancel overtaking its create would be lost).
        self._creating: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task] = []
        self._order_tasks: set[asyncio.Task] = set()

    # --- clock ---
    def _now_ms(self) -> int:
        return self.time_synchronizer.now_ms()

    def _resync_clock_if_due(self) -> None:
        """Measure the clock offset again when the synchronizer says it is due (every status poll asks). In a task
        of its own: no poll and no request waits for it, and requests signed meanwhile use the current offset."""
        if (self._clock_sync is None or self._clock_sync.done()) and self.time_synchronizer.resync_due:
            self._clock_sync = self._spawn(self._resync_clock())

    async def _resync_clock(self) -> None:
        try:
            await self.api.sync_time()
        except Exception as exc:  # tried again after the synchronizer's retry interval; -1021 still resyncs
            log.info("clock resync failed: %r", exc)

    # --- network ---
    async def start_network(self) -> None:
        await self.api.sync_time()
        await self._update_trading_rules()
        if self._store:
            self.order_tracker.restore_tracking_states(self._store.load())
        loop = asyncio.get_running_loop()
        self.order_book_tracker.start()
        self.user_stream_tracker.start()
        self._tasks = [loop.create_task(self._status_polling_loop(), name="status-poll"),
                       loop.create_task(self._trading_rules_polling_loop(), name="rules-poll"),
                       loop.create_task(self._user_stream_event_listener(), name="user-events")]
        self._tasks += self._extra_tasks()
        self._poll_notifier.set()

    def _extra_tasks(self) -> list[asyncio.Task]:
        return []

    def _spawn(self, coroutine) -> asyncio.Task:
        """A task that runs to its end whoever stops waiting for it (a request cut short would be an answer lost):
        order creates and cancels, clock resyncs. stop_network cancels it."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._order_tasks.add(task)
        task.add_done_callback(self._order_tasks.discard)
        return task

    async def stop_network(self) -> None:
        for task in (*self._tasks, *self._order_tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, *self._order_tasks, return_exceptions=True)
        self._tasks = []
        await self.order_book_tracker.stop()
        await self.user_stream_tracker.stop()
        await self.api.close()
        if self._store:
            self._store.close()
            self._store = None

    async def check_network(self) -> bool:
        try:
            await self.api.api_request("GET", self.paths["ping"])
            return True
        except Exception:
            return False

    async def add_trading_pair(self, trading_pair: str) -> None:
        """Follow one more pair while running: its book (a SUBSCRIBE on the live market connections); its orders
        are tracked like any other's. The pair must be one the exchange lists (the trading rules name it)."""
        if trading_pair not in self._trading_rules:
            raise KeyError(f"unknown trading pair {trading_pair}")
        if trading_pair not in self.trading_pairs:
            self.trading_pairs.append(trading_pair)
        await self.order_book_tracker.add_trading_pair(trading_pair)

    async def remove_trading_pair(self, trading_pair: str) -> None:
        """Stop following a pair's book (UNSUBSCRIBE). Orders on it are left as they are, and still tracked."""
        if trading_pair in self.trading_pairs:
            self.trading_pairs.remove(trading_pair)
        await self.order_book_tracker.remove_trading_pair(trading_pair)

    # --- readiness ---
    @property
    def status_dict(self) -> dict[str, bool]:
        return {"time_synced": self.time_synchronizer.synced,
                "trading_rules": bool(self._trading_rules),
                "order_books": self.order_book_tracker.ready,
                "user_stream": self.user_stream_tracker.ready,
                "balances": self._balances_loaded}

    @property
    def ready(self) -> bool:
        return all(self.status_dict.values())

    def not_ready(self) -> list[str]:
        return [name for name, ok in self.status_dict.items() if not ok]

    async def wait_until_ready(self, timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while not self.ready:
                await asyncio.sleep(0.05)

    # --- views ---
    @property
    def trading_rules(self) -> dict[str, TradingRule]:
        return dict(self._trading_rules)

    @property
    def in_flight_orders(self) -> dict[str, InFlightOrder]:
        return self.order_tracker.active_orders

    @property
    def tracking_states(self) -> dict[str, dict]:
        return {k: v.to_json() for k, v in self.order_tracker.active_orders.items()}

    def get_order_book(self, trading_pair: str) -> OrderBook:
        return self.order_book_tracker.order_books[trading_pair]

    def get_balance(self, asset: str) -> Decimal:
        return self._balances.get(asset, Balance(Decimal(0), Decimal(0))).total

    def get_available_balance(self, asset: str) -> Decimal:
        return self._balances.get(asset, Balance(Decimal(0), Decimal(0))).available

    @property
    def balances(self) -> dict[str, Balance]:
        return dict(self._balances)

    def quantize_order_price(self, trading_pair: str, price: Decimal) -> Decimal:
        return self._trading_rules[trading_pair].quantize_price(price)

    def quantize_order_amount(self, trading_pair: str, amount: Decimal) -> Decimal:
        return self._trading_rules[trading_pair].quantize_amount(amount)

    def supported_order_types(self) -> list[str]:
        return ["LIMIT", "LIMIT_MAKER", "MARKET"]

    # --- placing ---
    def buy(self, trading_pair: str, amount: Decimal, order_type: str = "LIMIT", price: Decimal | None = None,
            **kwargs: Any) -> str:
        return self._start_order("BUY", trading_pair, amount, order_type, price, **kwargs)

    def sell(self, trading_pair: str, amount: Decimal, order_type: str = "LIMIT", price: Decimal | None = None,
             **kwargs: Any) -> str:
        return self._start_order("SELL", trading_pair, amount, order_type, price, **kwargs)

    def _start_order(self, side: str, trading_pair: str, amount: Decimal, order_type: str, price: Decimal | None,
                     client_order_id: str | None = None, **kwargs: Any) -> str:
        """Start the create in the background, tracked at once; the client order id comes back immediately."""
        client_order_id = client_order_id or new_client_order_id(side)
        if not self._track_new(client_order_id, side, trading_pair, amount, order_type, price, **kwargs):
            return client_order_id
        self._spawn(self._create_order(client_order_id))
        return client_order_id

    async def place_order(self, side: str, trading_pair: str, amount: Decimal, order_type: str = "LIMIT",
                          price: Decimal | None = None, client_order_id: str | None = None, **kwargs: Any) -> str:
        """Place and wait for the create request's answer (the order's fate then follows through events)."""
        client_order_id = client_order_id or new_client_order_id(side)
        if self._track_new(client_order_id, side, trading_pair, amount, order_type, price, **kwargs):
            await self._create_order(client_order_id)
        return client_order_id

    def _track_new(self, client_order_id: str, side: str, trading_pair: str, amount: Decimal, order_type: str,
                   price: Decimal | None, time_in_force: str = "GTC", **kwargs: Any) -> bool:
        """Track a new order (persisted before anything is sent). A client id already in use is refused here:
        sending it would get "Duplicate order sent." back, and the answer could not be told from the first
        order's; the first order stays tracked as it is."""
        if client_order_id in self.order_tracker.active_orders:
            self.events.trigger(OrderFailureEvent(client_order_id, trading_pair,
                                                  "Duplicate order sent: this client order id is in use."))
            return False
        rule = self._trading_rules.get(trading_pair)
        if rule is not None:
            amount = rule.quantize_amount(amount)
            price = rule.quantize_price(price) if price is not None else None
        order = InFlightOrder(client_order_id, trading_pair, order_type, side, amount,
                              price if order_type != "MARKET" else None, self._now_ms(),
                              time_in_force=time_in_force, **kwargs)
        self.order_tracker.start_tracking_order(order)
        return True

    def _local_refusal(self, order: InFlightOrder) -> str | None:
        rule = self._trading_rules.get(order.trading_pair)
        if rule is None:
            return f"unknown trading pair {order.trading_pair}"
        if order.order_type not in self.supported_order_types():
            return f"unsupported order type {order.order_type}"
        if order.order_type == "MARKET":
            book = self.order_book_tracker.order_books.get(order.trading_pair)
            reference = (book.best_ask if order.trade_type == "BUY" else book.best_bid) if book else None
            return rule.check(reference, order.amount)  # no book yet: the exchange checks the notional
        if order.price is None:
            return "a limit order needs a price"
        return rule.check(order.price, order.amount)

    def _order_params(self, order: InFlightOrder) -> dict[str, Any]:
        params: dict[str, Any] = {"symbol": self.pair_map.to_symbol(order.trading_pair), "side": order.trade_type,
                                  "type": order.order_type, "quantity": order.amount,
                                  "newClientOrderId": order.client_order_id, "newOrderRespType": "FULL"}
        if order.order_type == "LIMIT":
            params["timeInForce"] = order.time_in_force
        if order.order_type != "MARKET":
            params["price"] = order.price
        return params

    def _order_path(self, order: InFlightOrder) -> str:
        """Where a new order is sent (perpetuals send conditional orders elsewhere)."""
        return self.paths["order"]

    async def _create_order(self, client_order_id: str) -> None:
        order = self.order_tracker.fetch_order(client_order_id)
        refusal = self._local_refusal(order)
        if refusal:
            self._fail(order, refusal)
            return
        self._creating[client_order_id] = asyncio.Event()
        try:
            answer = await self.api.api_request("POST", self._order_path(order), self._order_params(order),
                                                signed=True)
        except ExchangeError as exc:
            if exc.unknown_outcome:
                log.warning("create %s: outcome unknown (%s); resolving by status query", client_order_id, exc)
                self._poll_notifier.set()
                return
            if self._rules_refusal(exc):
                # The exchange's rules are not what we hold (a new tick or minimum, a symbol gone): read them
                # again before reporting, so the next order is checked and quantized by the new ones.
                try:
                    await self._update_trading_rules()
                except Exception as refresh:  # the failure is still reported; the loop retries the rules
                    log.info("trading rules refresh failed: %r", refresh)
            self._fail(order, exc.msg, exc.code)
            return
        finally:
            self._creating.pop(client_order_id).set()
        self._process_order_answer(order, answer)
        if not order.fills_complete:
            self._poll_notifier.set()  # executed per the answer, fills not seen yet: fetch them now

    @staticmethod
    def _rules_refusal(exc: ExchangeError) -> bool:
        """A refusal that says the trading rules changed: a filter failure, an unknown or closed symbol."""
        return exc.code in c.RULES_REFUSAL_CODES or "Filter failure" in exc.msg or exc.msg in c.RULES_REFUSAL_MESSAGES

    def _fail(self, order: InFlightOrder, reason: str, code: int | None = None) -> None:
        self.order_tracker.process_order_update(OrderUpdate(order.client_order_id, order.trading_pair,
                                                            OrderState.FAILED, self._now_ms(), reason=reason,
                                                            code=code))

    def _process_order_answer(self, order: InFlightOrder, answer: dict[str, Any]) -> None:
        """A create answer (FULL on spot): its fills first, then its status."""
        exchange_order_id = str(answer["orderId"])
        timestamp = int(answer.get("transactTime") or answer.get("updateTime") or self._now_ms())
        for fill in answer.get("fills", []):
            price, qty = Decimal(fill["price"]), Decimal(fill["qty"])
            self.order_tracker.process_trade_update(TradeUpdate(
                str(fill["tradeId"]), order.client_order_id, exchange_order_id, order.trading_pair, price, qty,
                price * qty, fill.get("commissionAsset"), Decimal(fill.get("commission", "0")), timestamp,
                source="rest"))
        self.order_tracker.process_order_update(OrderUpdate(
            order.client_order_id, order.trading_pair, state_from_wire(answer["status"]), timestamp,
            exchange_order_id, Decimal(answer.get("executedQty", "0"))))

    async def get_open_orders(self, trading_pair: str | None = None) -> list[dict[str, Any]]:
        params = {"symbol": self.pair_map.to_symbol(trading_pair)} if trading_pair else {}
        return await self.api.api_request("GET", self.paths["open_orders"], params, signed=True,
                                          weight=None if trading_pair else 80)

    # --- status polling (the REST fallback for everything the user stream says) ---
    async def _status_polling_loop(self) -> None:
        """The clock offset when a resync is due (in the background); balances (and positions) every poll; the
        orders that need it every poll (a create or cancel whose answer is unknown, fills the exchange reported
        that we have not seen); every order on a full poll: when the user stream is not up, after it
        reconnected, and every long interval whatever happens."""
        loop = asyncio.get_running_loop()
        last_full = -float("inf")
        while True:
            try:
                async with asyncio.timeout(self._poll_interval):
                    await self._poll_notifier.wait()
            except TimeoutError:
                pass
            self._poll_notifier.clear()
            self._resync_clock_if_due()
            full = (self._full_poll_due or not self.user_stream_tracker.ready
                    or loop.time() - last_full >= self._long_poll_interval)
            if full:
                self._full_poll_due = False
                last_full = loop.time()
            for step in (self._update_balances, self._update_extra,
                         lambda: self._update_order_status(None if full else self._orders_needing_status())):
                try:
                    await step()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a failed step is retried at the next poll; the others still run
                    log.info("status poll: %r", exc)
            self.polls += 1

    def _orders_needing_status(self) -> list[InFlightOrder]:
        return [o for o in self.order_tracker.active_orders.values() if o.client_order_id not in self._creating and (
            o.current_state in (OrderState.PENDING_CREATE, OrderState.PENDING_CANCEL) or not o.fills_complete)]

    async def _update_extra(self) -> None:
        """Perpetuals: positions."""

    async def _on_user_stream_reconnect(self) -> None:
        self._full_poll_due = True  # events may have been missed while the stream was down
        self._poll_notifier.set()

    async def _update_order_status(self, orders: list[InFlightOrder] | None = None) -> None:
        if orders is None:
            orders = [o for o in self.order_tracker.active_orders.values()
                      if o.client_order_id not in self._creating]
        for order in orders:
            params = {"symbol": self.pair_map.to_symbol(order.trading_pair),
                      "origClientOrderId": order.client_order_id}
            try:
                answer = await self.api.api_request("GET", self.paths["order"], params, signed=True)
            except ExchangeError as exc:
                if exc.code == c.ORDER_DOES_NOT_EXIST:
                    self.order_tracker.process_order_not_found(order.client_order_id)
                continue
            executed = Decimal(answer.get("executedQty", "0"))
            if executed > order.executed_amount_base:
                await self._fetch_trades(order, str(answer["orderId"]))
            self.order_tracker.process_order_update(OrderUpdate(
                order.client_order_id, order.trading_pair, state_from_wire(answer["status"]),
                int(answer.get("updateTime", self._now_ms())), str(answer["orderId"]), executed))

    async def _fetch_missing_fills(self) -> None:
        for order in self.order_tracker.orders_missing_fills():
            if order.exchange_order_id:
                await self._fetch_trades(order, order.exchange_order_id)

    async def _fetch_trades(self, order: InFlightOrder, exchange_order_id: str) -> None:
        params = {"symbol": self.pair_map.to_symbol(order.trading_pair), "orderId": exchange_order_id}
        for trade in await self.api.api_request("GET", self.paths["trades"], params, signed=True):
            self.order_tracker.process_trade_update(self._trade_from_rest(order, trade))

    def _trade_from_rest(self, order: InFlightOrder, trade: dict[str, Any]) -> TradeUpdate:
        price, qty = Decimal(trade["price"]), Decimal(trade["qty"])
        return TradeUpdate(str(trade["id"]), order.client_order_id, str(trade["orderId"]), order.trading_pair,
                           price, qty, Decimal(trade.get("quoteQty", price * qty)), trade.get("commissionAsset"),
                           Decimal(trade.get("commission", "0")), int(trade["time"]),
                           bool(trade.get("isMaker", trade.get("maker", False))), source="rest")

    async def _update_balances(self) -> None:
        account = await self.api.api_request("GET", self.paths["account"], signed=True)
        seen = set()
        for row in account["balances"]:
            free, locked = Decimal(row["free"]), Decimal(row["locked"])
            seen.add(row["asset"])
            self._set_balance(row["asset"], free + locked, free, "rest")
        for asset in set(self._balances) - seen:  # omitted means zero
            self._set_balance(asset, Decimal(0), Decimal(0), "rest")
        self._balances_loaded = True

    def _set_balance(self, asset: str, total: Decimal, available: Decimal, source: str) -> None:
        new = Balance(total, available)
        if self._balances.get(asset) != new:
            self._balances[asset] = new
            self.events.trigger(BalanceUpdateEvent(asset, total, available, source))

    # --- trading rules ---
    async def _trading_rules_polling_loop(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self._trading_rules_interval):
                    await self._rules_notifier.wait()
            except TimeoutError:
                pass
            self._rules_notifier.clear()
            try:
                await self._update_trading_rules()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("trading rules refresh failed: %r", exc)

    async def _update_trading_rules(self) -> None:
        info = await self.api.api_request("GET", self.paths["exchange_info"])
        self.throttler.set_rate_limits(info.get("rateLimits", []))
        rules = self._parse_rules(info)
        self.pair_map.update(rules.values())
        self._trading_rules = rules

    def _parse_rules(self, info: dict[str, Any]) -> dict[str, TradingRule]:
        return parse_spot_rules(info)

    # --- user stream ---
    async def _user_stream_event_listener(self) -> None:
        queue = self.user_stream_tracker.user_stream
        while True:
            event = await queue.get()
            try:
                self._process_user_event(event)
            except Exception:  # one malformed event must not stop the listener
                log.exception("user stream event %r", event)

    def _process_user_event(self, event: dict[str, Any]) -> None:
        kind = event.get("e")
        if kind == "executionReport":
            self._process_execution_report(event)
        elif kind == "outboundAccountPosition":
            for row in event.get("B", []):
                free, locked = Decimal(row["f"]), Decimal(row["l"])
                self._set_balance(row["a"], free + locked, free, "ws")
        elif kind == "balanceUpdate":
            self._poll_notifier.set()  # a deposit or withdrawal: the account endpoint has the new totals

    def _process_execution_report(self, event: dict[str, Any]) -> None:
        # A cancel's report carries the cancel request's id in `c` and the order's own in `C`.
        client_order_id = (event.get("C") or event["c"]) if event.get("x") == "CANCELED" else event["c"]
        order = self.order_tracker.fetch_order(client_order_id)
        if order is None:
            return
        exchange_order_id = str(event["i"])
        if event.get("x") == "TRADE":
            price, qty = Decimal(event["L"]), Decimal(event["l"])
            self.order_tracker.process_trade_update(TradeUpdate(
                str(event["t"]), client_order_id, exchange_order_id, order.trading_pair, price, qty,
                Decimal(event.get("Y") or price * qty), event.get("N"), Decimal(event.get("n") or "0"),
                int(event["T"]), bool(event.get("m", False))))
        state = OrderState.FAILED if event.get("x") == "REJECTED" else state_from_wire(event["X"])
        self._note_unsolicited_cancel(order, state)
        self.order_tracker.process_order_update(OrderUpdate(
            client_order_id, order.trading_pair, state, int(event.get("E", 0)), exchange_order_id,
            Decimal(event.get("z", "0")), reason=event.get("r", "")))

    def _note_unsolicited_cancel(self, order: InFlightOrder, state: OrderState) -> None:
        """An order the exchange canceled without being asked (a delisting, a rule change): read the rules again.
        IOC and FOK orders end canceled by design, and market orders can expire for want of liquidity."""
        if (state is OrderState.CANCELED and order.current_state is not OrderState.PENDING_CANCEL
                and order.time_in_force == "GTC" and order.order_type != "MARKET"):
            self._rules_notifier.set()

    def _on_public_trade(self, message: OrderBookMessage) -> None:
        content = message.content
        self.events.trigger(PublicTradeEvent(message.trading_pair, str(content["trade_id"]), content["price"],
                                             content["amount"], content["trade_type"]))
