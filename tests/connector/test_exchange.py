"""The spot exchange's order lifecycle with aioresponses for REST (no sockets opened): creates whose answer is
lost or unknown are resolved by status queries and never re-sent, a cancel that races a fill, user stream
events, balances, and a restart that picks up fills made while down."""
from __future__ import annotations

import asyncio
import re
from decimal import Decimal as D

import pytest
from aioresponses import aioresponses

from connector import constants as c
from connector.exchange import BinanceExchange
from connector.in_flight_order import OrderState
from tests.connector.test_trading_rules import SPOT_INFO

BASE = "http://exchange.test"
PAIR = "BTC-USDT"


def url(path):
    return re.compile(re.escape(BASE + path) + r"(\?.*)?$")


def count(m, method, path):
    return sum(len(calls) for (verb, u), calls in m.requests.items() if verb == method and u.path == path)


@pytest.fixture
async def exchange(tmp_path):
    ex = BinanceExchange("k", "s", [PAIR], base_url=BASE, tracking_db=str(tmp_path / "t.sqlite"),
                         not_found_limit=2, request_timeout=1)
    with aioresponses() as m:
        m.get(url(c.EXCHANGE_INFO), payload={**SPOT_INFO, "rateLimits": list(c.DEFAULT_SPOT_POOLS)})
        await ex._update_trading_rules()
    yield ex
    await ex.stop_network()


def order_answer(cid, status="NEW", executed="0", fills=()):
    return {"symbol": "BTCUSDT", "orderId": 55, "clientOrderId": cid, "transactTime": 1, "updateTime": 1,
            "price": "60000.00", "origQty": "0.01", "executedQty": executed, "status": status, "fills": list(fills)}


def kinds(ex):
    return [e.kind for e in ex.events.history if e.kind != "balance_update"]


async def test_a_full_answer_creates_and_fills(exchange):
    with aioresponses() as m:
        m.post(url(c.ORDER), payload=order_answer("c1", "FILLED", "0.01", [
            {"price": "60000.00", "qty": "0.004", "commission": "0.000004", "commissionAsset": "BTC", "tradeId": 1},
            {"price": "60001.00", "qty": "0.006", "commission": "0.000006", "commissionAsset": "BTC",
             "tradeId": 2}]))
        await exchange.place_order("BUY", PAIR, D("0.01"), "MARKET", client_order_id="c1")
    assert kinds(exchange) == ["order_created", "order_filled", "order_filled", "order_completed"]
    assert exchange.events.history[-1].fees == (("BTC", D("0.000010")),)


async def test_a_local_refusal_sends_nothing(exchange):
    with aioresponses() as m:
        await exchange.place_order("BUY", PAIR, D("0.00005"), "LIMIT", D("60000"), client_order_id="tiny")
        assert count(m, "POST", c.ORDER) == 0
    failure = exchange.events.history[-1]
    assert failure.kind == "order_failed" and "notional" in failure.reason


async def test_an_exchange_refusal_fails_with_its_code(exchange):
    with aioresponses() as m:
        m.post(url(c.ORDER), status=400, payload={"code": -2010, "msg": "Account has insufficient balance"})
        await exchange.place_order("BUY", PAIR, D("1"), "LIMIT", D("60000"), client_order_id="poor")
    failure = exchange.events.history[-1]
    assert (failure.kind, failure.code) == ("order_failed", -2010) and "insufficient" in failure.reason


async def test_unknown_create_outcome_is_resolved_by_status_query_without_a_duplicate(exchange):
    with aioresponses() as m:
        m.post(url(c.ORDER), status=503, payload={"code": -1007, "msg": "Timeout waiting for response"})
        await exchange.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("60000"), client_order_id="lost")
        assert exchange.in_flight_orders["lost"].current_state is OrderState.PENDING_CREATE
        assert kinds(exchange) == []
        m.get(url(c.ORDER), payload=order_answer("lost"))
        await exchange._update_order_status()
        assert count(m, "POST", c.ORDER) == 1
    assert kinds(exchange) == ["order_created"]
    assert exchange.in_flight_orders["lost"].exchange_order_id == "55"


async def test_a_create_that_never_arrived_fails_after_repeated_not_found(exchange):
    with aioresponses() as m:
        m.post(url(c.ORDER), exception=asyncio.TimeoutError())
        await exchange.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("60000"), client_order_id="gone")
        m.get(url(c.ORDER), status=400, payload={"code": -2013, "msg": "Order does not exist."}, repeat=True)
        await exchange._update_order_status()
        assert "gone" in exchange.in_flight_orders
        await exchange._update_order_status()
        assert count(m, "POST", c.ORDER) == 1
    assert kinds(exchange) == ["order_failed"] and "gone" not in exchange.in_flight_orders


async def test_a_cancel_that_races_a_fill_ends_filled(exchange):
    with aioresponses() as m:
        m.post(url(c.ORDER), payload=order_answer("race"))
        await exchange.place_order("SELL", PAIR, D("0.01"), "LIMIT", D("60000"), client_order_id="race")
        m.delete(url(c.ORDER), status=400, payload={"code": -2011, "msg": "Unknown order sent."})
        m.get(url(c.ORDER), payload=order_answer("race", "FILLED", "0.01"))
        m.get(url(c.MY_TRADES), payload=[{"symbol": "BTCUSDT", "id": 8, "orderId": 55, "price": "60000.00",
                                          "qty": "0.01", "quoteQty": "600.00", "commission": "0.6",
                                          "commissionAsset": "USDT", "time": 2, "isBuyer": False,
                                          "isMaker": True}])
        assert not await exchange._execute_cancel(PAIR, "race")
    assert kinds(exchange) == ["order_created", "order_filled", "order_completed"]
    fill = exchange.events.history[-2]
    assert (fill.fee_asset, fill.fee_amount, fill.is_maker, fill.source) == ("USDT", D("0.6"), True, "rest")


async def test_a_confirmed_cancel_after_a_partial_fill_waits_for_the_fill(exchange):
    with aioresponses() as m:
        m.post(url(c.ORDER), payload=order_answer("part"))
        await exchange.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("60000"), client_order_id="part")
        m.delete(url(c.ORDER), payload={**order_answer("part", "CANCELED", "0.004")})
        m.get(url(c.MY_TRADES), payload=[{"id": 3, "orderId": 55, "price": "60000.00", "qty": "0.004",
                                          "quoteQty": "240.00", "commission": "0.000004",
                                          "commissionAsset": "BTC", "time": 2, "isMaker": True}])
        assert await exchange._execute_cancel(PAIR, "part")
    assert kinds(exchange) == ["order_created", "order_filled", "order_canceled"]
    assert exchange.events.history[-1].executed_amount == D("0.004")


async def test_user_stream_events_drive_orders_and_balances(exchange):
    with aioresponses() as m:
        m.post(url(c.ORDER), payload=order_answer("ws"))
        await exchange.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("60000"), client_order_id="ws")
    report = {"e": "executionReport", "E": 5, "s": "BTCUSDT", "c": "ws", "C": "", "x": "TRADE",
              "X": "PARTIALLY_FILLED", "i": 55, "l": "0.004", "z": "0.004", "L": "60000.00", "n": "0.000004",
              "N": "BTC", "T": 5, "t": 21, "m": True, "Y": "240.00"}
    exchange._process_user_event(report)
    exchange._process_user_event(report)  # a duplicated frame
    exchange._process_user_event({"e": "outboundAccountPosition", "E": 6, "u": 6,
                                  "B": [{"a": "USDT", "f": "99760.0", "l": "360.0"}]})
    exchange._process_user_event({**report, "c": "cancel-req", "C": "ws", "x": "CANCELED", "X": "CANCELED",
                                  "l": "0", "t": -1})
    assert kinds(exchange) == ["order_created", "order_filled", "order_canceled"]
    assert exchange.get_balance("USDT") == D("100120.0") and exchange.get_available_balance("USDT") == D("99760.0")


async def test_rest_balances_fill_in_and_zero_what_is_gone(exchange):
    with aioresponses() as m:
        m.get(url(c.ACCOUNT), payload={"balances": [{"asset": "BTC", "free": "1.5", "locked": "0.5"},
                                                    {"asset": "ETH", "free": "2", "locked": "0"}]})
        m.get(url(c.ACCOUNT), payload={"balances": [{"asset": "BTC", "free": "2", "locked": "0"}]})
        await exchange._update_balances()
        assert exchange.get_balance("BTC") == D("2.0") and exchange.get_available_balance("BTC") == D("1.5")
        await exchange._update_balances()
    assert exchange.get_balance("ETH") == 0 and exchange.status_dict["balances"]


async def test_restart_restores_orders_and_picks_up_fills_made_while_down(tmp_path):
    db = str(tmp_path / "restart.sqlite")
    first = BinanceExchange("k", "s", [PAIR], base_url=BASE, tracking_db=db)
    with aioresponses() as m:
        m.get(url(c.EXCHANGE_INFO), payload=SPOT_INFO)
        m.post(url(c.ORDER), payload=order_answer("keep"))
        await first._update_trading_rules()
        await first.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("60000"), client_order_id="keep")
    await first.stop_network()

    second = BinanceExchange("k", "s", [PAIR], base_url=BASE, tracking_db=db)
    try:
        second.order_tracker.restore_tracking_states(second._store.load())
        assert second.in_flight_orders["keep"].current_state is OrderState.OPEN
        with aioresponses() as m:
            m.get(url(c.ORDER), payload=order_answer("keep", "FILLED", "0.01"))
            m.get(url(c.MY_TRADES), payload=[{"id": 30, "orderId": 55, "price": "60000.00", "qty": "0.01",
                                              "quoteQty": "600", "commission": "0.00001",
                                              "commissionAsset": "BTC", "time": 9, "isMaker": True}])
            await second._update_order_status()
        assert kinds(second) == ["order_filled", "order_completed"]
        assert second._store.load() == {}
    finally:
        await second.stop_network()


async def test_a_cancel_waits_for_its_create_to_be_answered(exchange):
    answer = asyncio.Event()
    order = []

    async def slow_create(url, **kwargs):
        await answer.wait()
        order.append("create answered")

    with aioresponses() as m:
        m.post(url(c.ORDER), payload=order_answer("slow"), callback=slow_create)
        m.delete(url(c.ORDER), payload=order_answer("slow", "CANCELED"))
        create = asyncio.create_task(exchange.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("60000"),
                                                          client_order_id="slow"))
        await asyncio.sleep(0)
        cancel = asyncio.create_task(exchange._execute_cancel(PAIR, "slow"))
        await asyncio.sleep(0.05)
        assert not cancel.done() and not any(verb == "DELETE" for verb, _ in m.requests)
        answer.set()
        assert await asyncio.wait_for(cancel, 5)
        await create
    assert kinds(exchange) == ["order_created", "order_canceled"]


@pytest.mark.parametrize("domain,rest", [("binance", "https://api.binance.com"),
                                         ("binance_testnet", "https://testnet.binance.vision"),
                                         (c.EXSIM, "http://127.0.0.1:8900")])
async def test_domains_by_name_or_constant(domain, rest):
    ex = BinanceExchange("k", "s", [PAIR], domain=domain)
    try:
        assert ex.api.rest_base == rest
    finally:
        await ex.stop_network()


async def test_open_orders_and_last_prices_over_rest(exchange):
    with aioresponses() as m:
        m.get(url(c.OPEN_ORDERS), payload=[order_answer("o1")])
        m.get(url("/api/v3/ticker/price"), payload={"symbol": "BTCUSDT", "price": "60123.45"})
        assert [o["clientOrderId"] for o in await exchange.get_open_orders(PAIR)] == ["o1"]
        prices = await exchange.order_book_tracker.data_source.get_last_traded_prices([PAIR])
    assert prices == {PAIR: D("60123.45")}


async def test_trading_rules_are_refreshed_periodically(tmp_path):
    ex = BinanceExchange("k", "s", [PAIR], base_url=BASE, trading_rules_interval=0.05)
    halted = {"symbols": [{**SPOT_INFO["symbols"][0], "status": "HALT"}]}
    try:
        with aioresponses() as m:
            m.get(url(c.EXCHANGE_INFO), payload=SPOT_INFO)
            m.get(url(c.EXCHANGE_INFO), payload=halted, repeat=True)
            await ex._update_trading_rules()
            assert ex.trading_rules[PAIR].is_trading
            loop = asyncio.get_running_loop().create_task(ex._trading_rules_polling_loop())
            try:
                async with asyncio.timeout(5):
                    while ex.trading_rules[PAIR].is_trading:
                        await asyncio.sleep(0.01)
            finally:
                loop.cancel()
        await ex.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("60000"), client_order_id="halted")
        assert "HALT" in ex.events.history[-1].reason
    finally:
        await ex.stop_network()


async def test_a_filter_refusal_reads_the_rules_again_before_it_is_reported(exchange):
    new_tick = {"symbols": [{**SPOT_INFO["symbols"][0], "filters": [
        {"filterType": "PRICE_FILTER", "minPrice": "0.1", "maxPrice": "1000000", "tickSize": "0.50000000"},
        *SPOT_INFO["symbols"][0]["filters"][1:]]}]}
    seen_tick = []
    exchange.events.add_listener(lambda e: seen_tick.append(exchange.trading_rules[PAIR].min_price_increment))
    with aioresponses() as m:
        m.post(url(c.ORDER), status=400, payload={"code": -1013, "msg": "Filter failure: PRICE_FILTER"})
        m.get(url(c.EXCHANGE_INFO), payload=new_tick)
        await exchange.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("60000.01"), client_order_id="off-grid")
        assert seen_tick == [D("0.5")]  # the failure was reported with the new rules already in place
        m.post(url(c.ORDER), payload=order_answer("on-grid"))
        await exchange.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("60000.7"), client_order_id="on-grid")
        sent = [call.kwargs["data"] for (verb, u), calls in m.requests.items() if verb == "POST" for call in calls]
    assert "price=60000.5" in sent[-1]


@pytest.mark.parametrize("tif,order_type,refresh", [("GTC", "LIMIT", True), ("IOC", "LIMIT", False),
                                                    ("GTC", "MARKET", False)])
async def test_an_unasked_cancel_refreshes_the_rules(exchange, tif, order_type, refresh):
    with aioresponses() as m:
        m.post(url(c.ORDER), payload=order_answer("gone"))
        await exchange.place_order("BUY", PAIR, D("0.01"), order_type, D("60000"), client_order_id="gone",
                                   time_in_force=tif)
    exchange._process_user_event({"e": "executionReport", "E": 5, "s": "BTCUSDT", "c": "gone", "C": "",
                                  "x": "CANCELED", "X": "CANCELED", "i": 55, "z": "0", "t": -1})
    assert exchange._rules_notifier.is_set() is refresh
    assert exchange.events.history[-1].kind == "order_canceled"
