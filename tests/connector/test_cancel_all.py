"""Cancel-all with the bulk endpoints (aioresponses for REST): one request per pair, the tracker updated from the
spot answer or, on USD-M (whose answer names no order), from the user stream; the same lost-response discipline
as a single cancel (status queries, never a second cancel), a create in flight waited for, a deadline kept."""
from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest
from aioresponses import aioresponses

from connector import constants as c
from connector.in_flight_order import OrderState
from connector.perpetual_derivative import BinancePerpetualDerivative
from tests.connector.test_exchange import PAIR, count, exchange, order_answer, url  # noqa: F401 (fixture)
from tests.connector.test_perpetual import perp, result  # noqa: F401 (fixture)


def canceled(cid, executed="0", order_id=55):
    return {**order_answer(cid, "CANCELED", executed), "orderId": order_id, "origClientOrderId": cid,
            "clientOrderId": "cancel-" + cid}


async def place(ex, m, *cids, path=c.ORDER, answer=order_answer):
    for cid in cids:
        m.post(url(path), payload=answer(cid))
        await ex.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("60000"), client_order_id=cid)


def of(ex, cid):
    return [e.kind for e in ex.events.history if getattr(e, "client_order_id", None) == cid]


async def test_spot_one_request_for_the_pair_and_the_answer_settles_the_orders(exchange):
    with aioresponses() as m:
        await place(exchange, m, "a", "b", "c")
        # a and b were open (b partly filled); c had filled before the cancel arrived, so it is not listed.
        m.delete(url(c.OPEN_ORDERS), payload=[canceled("a"), canceled("b", "0.004", 56)])
        m.get(url(c.ORDER), payload=order_answer("c", "FILLED", "0.01"))
        m.get(url(c.MY_TRADES), payload=[{"id": 7, "orderId": 55, "price": "60000.00", "qty": "0.01",
                                          "quoteQty": "600", "commission": "0.00001", "commissionAsset": "BTC",
                                          "time": 2, "isMaker": True}])
        m.get(url(c.MY_TRADES), payload=[{"id": 8, "orderId": 56, "price": "60000.00", "qty": "0.004",
                                          "quoteQty": "240", "commission": "0.000004", "commissionAsset": "BTC",
                                          "time": 2, "isMaker": True}])
        results = await exchange.cancel_all()
        assert count(m, "DELETE", c.OPEN_ORDERS) == 1 and count(m, "DELETE", c.ORDER) == 0
    assert [(r.client_order_id, r.success) for r in results] == [("a", True), ("b", True), ("c", False)]
    assert of(exchange, "a") == ["order_created", "order_canceled"]
    assert of(exchange, "b") == ["order_created", "order_filled", "order_canceled"]
    assert of(exchange, "c") == ["order_created", "order_filled", "order_completed"]
    assert not exchange.in_flight_orders and not exchange._rules_notifier.is_set()


async def test_spot_nothing_open_is_settled_by_status_queries(exchange):
    with aioresponses() as m:
        await place(exchange, m, "gone", "still")
        m.delete(url(c.OPEN_ORDERS), status=400, payload={"code": -2011, "msg": "Unknown order sent."})
        m.get(url(c.ORDER), payload=order_answer("gone", "CANCELED"))
        m.get(url(c.ORDER), payload=order_answer("still"))
        results = await exchange.cancel_all()
    assert [r.success for r in results] == [True, False]
    assert exchange.in_flight_orders["still"].current_state is OrderState.OPEN
    assert of(exchange, "gone") == ["order_created", "order_canceled"]


async def test_spot_a_lost_answer_is_resolved_by_status_query_never_by_a_second_cancel(exchange):
    with aioresponses() as m:
        await place(exchange, m, "lost")
        m.delete(url(c.OPEN_ORDERS), exception=asyncio.TimeoutError())
        m.get(url(c.ORDER), payload=order_answer("lost", "CANCELED"))
        results = await exchange.cancel_all()
        assert count(m, "DELETE", c.OPEN_ORDERS) == 1 and count(m, "DELETE", c.ORDER) == 0
    assert results[0].success and of(exchange, "lost") == ["order_created", "order_canceled"]


async def test_spot_a_refused_cancel_all_puts_the_orders_back(exchange):
    with aioresponses() as m:
        await place(exchange, m, "kept")
        m.delete(url(c.OPEN_ORDERS), status=400, payload={"code": -1003, "msg": "Too many requests."})
        results = await exchange.cancel_all()
        assert count(m, "GET", c.ORDER) == 0
    assert not results[0].success and exchange.in_flight_orders["kept"].current_state is OrderState.OPEN


async def test_spot_waits_for_a_create_in_flight_before_canceling(exchange):
    answer = asyncio.Event()

    async def slow_create(url, **kwargs):
        await answer.wait()

    with aioresponses() as m:
        m.post(url(c.ORDER), payload=order_answer("slow"), callback=slow_create)
        m.delete(url(c.OPEN_ORDERS), payload=[canceled("slow")])
        create = asyncio.create_task(exchange.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("60000"),
                                                          client_order_id="slow"))
        await asyncio.sleep(0)
        cancel_all = asyncio.create_task(exchange.cancel_all())
        await asyncio.sleep(0.05)
        assert not cancel_all.done() and count(m, "DELETE", c.OPEN_ORDERS) == 0
        answer.set()
        results = await asyncio.wait_for(cancel_all, 5)
        await create
    assert results[0].success and of(exchange, "slow") == ["order_created", "order_canceled"]


async def test_spot_the_deadline_returns_and_the_request_still_settles_the_orders(exchange):
    answer = asyncio.Event()

    async def slow_cancel(url, **kwargs):
        await answer.wait()

    with aioresponses() as m:
        await place(exchange, m, "late")
        m.delete(url(c.OPEN_ORDERS), payload=[canceled("late")], callback=slow_cancel)
        results = await exchange.cancel_all(timeout=0.1)
        assert not results[0].success
        assert exchange.in_flight_orders["late"].current_state is OrderState.PENDING_CANCEL
        answer.set()
        await exchange.events.wait_for(lambda e: e.kind == "order_canceled", 5)


async def test_spot_only_the_pair_asked_for(exchange):
    with aioresponses() as m:
        await place(exchange, m, "mine")
        assert await exchange.cancel_all(trading_pair="ETH-BTC") == []
        assert count(m, "DELETE", c.OPEN_ORDERS) == 0


# --- USD-M: the answer is {"code": 200, "msg": ...}; the user stream says how each order ended ----------------
def order_trade_update(cid, status, executed="0", **trade):
    o = {"s": "BTCUSDT", "c": cid, "i": 9, "x": "TRADE" if trade else status, "X": status, "z": executed, **trade}
    return {"e": "ORDER_TRADE_UPDATE", "E": 7, "o": o}


async def test_usdm_one_request_then_the_user_stream_settles_each_order(perp):  # noqa: F811
    perp.user_stream_tracker.data_source.subscribed.set()  # the stream counts as up: no extra status poll
    with aioresponses() as m:
        await place(perp, m, "x", "y", path=c.F_ORDER, answer=result)
        m.delete(url(c.F_ALL_OPEN_ORDERS),
                 payload={"code": 200, "msg": "The operation of cancel all open order is done."})
        task = asyncio.create_task(perp.cancel_all())
        async with asyncio.timeout(5):
            while count(m, "DELETE", c.F_ALL_OPEN_ORDERS) == 0:
                await asyncio.sleep(0.01)
        assert perp.in_flight_orders["x"].current_state is OrderState.PENDING_CANCEL
        assert not task.done()
        # y filled just before the cancel arrived; x was canceled.
        perp._process_user_event(order_trade_update("y", "FILLED", "0.01", t=4, L="60000.00", l="0.01", T=7))
        perp._process_user_event(order_trade_update("x", "CANCELED"))
        results = await asyncio.wait_for(task, 5)
        assert count(m, "DELETE", c.F_ORDER) == 0 and count(m, "GET", c.F_ORDER) == 0
    assert [(r.client_order_id, r.success) for r in results] == [("x", True), ("y", False)]
    assert of(perp, "x") == ["order_created", "order_canceled"]
    assert of(perp, "y") == ["order_created", "order_filled", "order_completed"]
    assert not perp._rules_notifier.is_set()  # a cancel we asked for is not taken for the exchange's own


async def test_usdm_without_the_user_stream_the_status_poll_is_asked_at_once(perp):  # noqa: F811
    with aioresponses() as m:
        await place(perp, m, "p", path=c.F_ORDER, answer=result)
        m.delete(url(c.F_ALL_OPEN_ORDERS), payload={"code": 200, "msg": "done"})
        perp._poll_notifier.clear()
        results = await perp.cancel_all(timeout=0.1)
    assert perp._poll_notifier.is_set() and not results[0].success
    assert perp._orders_needing_status() == [perp.in_flight_orders["p"]]


async def test_usdm_a_lost_answer_is_resolved_by_status_query(perp):  # noqa: F811
    with aioresponses() as m:
        await place(perp, m, "q", path=c.F_ORDER, answer=result)
        m.delete(url(c.F_ALL_OPEN_ORDERS), status=502, body="Bad Gateway")
        m.get(url(c.F_ORDER), payload=result("q"))
        results = await perp.cancel_all()
        assert count(m, "DELETE", c.F_ALL_OPEN_ORDERS) == 1 and count(m, "DELETE", c.F_ORDER) == 0
    assert not results[0].success and perp.in_flight_orders["q"].current_state is OrderState.OPEN


@pytest.mark.parametrize("market", ["spot", "usdm"])
async def test_nothing_tracked_sends_nothing(exchange, perp, market):  # noqa: F811
    ex = exchange if market == "spot" else perp
    with aioresponses() as m:
        assert await ex.cancel_all() == []
        assert not m.requests
    assert isinstance(perp, BinancePerpetualDerivative)
