"""Conditional USD-M orders (STOP_MARKET, TAKE_PROFIT_MARKET) with aioresponses: sent to the algo-order endpoint
as Binance takes them now, tracked through the trigger and the fills the user stream reports (the released order
keeps the client id), asked about on the algo endpoint while they wait, kept across a restart."""
from __future__ import annotations

from decimal import Decimal as D
from urllib.parse import parse_qsl

from aioresponses import aioresponses

from connector import constants as c
from connector.in_flight_order import InFlightOrder, OrderState
from tests.connector.test_perpetual import PAIR, bodies, perp, url  # noqa: F401 (perp: the fixture)


def algo_answer(cid, status="NEW"):
    return {"algoId": 45, "clientAlgoId": cid, "algoType": "CONDITIONAL", "orderType": "STOP_MARKET",
            "symbol": "BTCUSDT", "side": "SELL", "positionSide": "BOTH", "quantity": "0.000", "algoStatus": status,
            "triggerPrice": "59000.00", "workingType": "MARK_PRICE", "closePosition": True, "reduceOnly": False,
            "createTime": 1, "updateTime": 2, "triggerTime": 0}


def update(cid, x, status, o="MARKET", qty="0.010", last="0", cum="0", trade_id=0, price="0"):
    return {"e": "ORDER_TRADE_UPDATE", "E": 7, "T": 7, "o": {
        "s": "BTCUSDT", "c": cid, "S": "SELL", "o": o, "f": "GTC", "q": qty, "p": "0", "ap": "0", "sp": "59000.00",
        "x": x, "X": status, "i": 45, "l": last, "z": cum, "L": price, "N": "USDT", "n": "0.01", "T": 7,
        "t": trade_id, "m": False, "R": False, "wt": "MARK_PRICE", "ot": "STOP_MARKET", "ps": "BOTH", "cp": True}}


async def place_stop(perp, cid="stop"):
    with aioresponses() as m:
        m.post(url(c.F_ALGO_ORDER), payload=algo_answer(cid))
        await perp.place_order("SELL", PAIR, D(0), "STOP_MARKET", trigger_price=D("59000.004"), close_position=True,
                               working_type="MARK_PRICE", position_action="CLOSE", client_order_id=cid)
        return bodies(m, "POST", c.F_ALGO_ORDER), bodies(m, "POST", c.F_ORDER)


async def test_a_close_position_stop_goes_to_the_algo_endpoint_without_quantity(perp):
    algo, plain = await place_stop(perp)
    assert plain == [] and len(algo) == 1
    sent = algo[0]
    assert (sent["algoType"], sent["type"], sent["side"], sent["triggerPrice"], sent["workingType"]) == \
        ("CONDITIONAL", "STOP_MARKET", "SELL", "59000.00", "MARK_PRICE")
    assert sent["closePosition"] == "true" and sent["clientAlgoId"] == "stop"
    assert "quantity" not in sent and "reduceOnly" not in sent and "positionSide" not in sent
    order = perp.in_flight_orders["stop"]
    assert order.current_state is OrderState.OPEN and order.exchange_order_id == "45"
    assert [e.kind for e in perp.events.history] == ["order_created"]


async def test_a_take_profit_with_an_amount_closes_reduce_only_in_one_way_mode(perp):
    with aioresponses() as m:
        m.post(url(c.F_ALGO_ORDER), payload=algo_answer("tp"))
        await perp.place_order("SELL", PAIR, D("0.0104"), "TAKE_PROFIT_MARKET", trigger_price=D("62000"),
                               working_type="CONTRACT_PRICE", position_action="CLOSE", client_order_id="tp")
        sent = bodies(m, "POST", c.F_ALGO_ORDER)[0]
    assert (sent["type"], sent["quantity"], sent["reduceOnly"], sent["workingType"]) == \
        ("TAKE_PROFIT_MARKET", "0.010", "true", "CONTRACT_PRICE")


async def test_a_conditional_order_without_a_trigger_price_is_refused_locally(perp):
    with aioresponses() as m:
        await perp.place_order("SELL", PAIR, D("0.01"), "STOP_MARKET", client_order_id="bare")
        assert not m.requests
    assert [(e.kind, e.reason) for e in perp.events.history] == \
        [("order_failed", "a STOP_MARKET order needs a trigger price")]


async def test_the_trigger_then_every_fill_of_a_close_position_stop_is_reported(perp):
    """The stop has no amount of its own: each fill counts, and only the exchange's FILLED ends it."""
    await place_stop(perp)
    perp._process_user_event(update("stop", "NEW", "NEW"))  # fired: a MARKET order now, same client id
    assert perp.in_flight_orders["stop"].is_open
    perp._process_user_event(update("stop", "TRADE", "PARTIALLY_FILLED", last="0.004", cum="0.004", trade_id=71,
                                    price="58990.00"))
    perp._process_user_event(update("stop", "TRADE", "FILLED", last="0.006", cum="0.010", trade_id=72,
                                    price="58980.00"))
    kinds = [e.kind for e in perp.events.history]
    assert kinds == ["order_created", "order_filled", "order_filled", "order_completed"]
    fills = [e for e in perp.events.history if e.kind == "order_filled"]
    assert [(f.trade_id, f.amount, f.price) for f in fills] == [("71", D("0.004"), D("58990.00")),
                                                                 ("72", D("0.006"), D("58980.00"))]
    assert perp.events.history[-1].base_amount == D("0.010") and "stop" not in perp.in_flight_orders


async def test_status_poll_asks_the_algo_endpoint_while_the_stop_waits(perp):
    await place_stop(perp)
    with aioresponses() as m:
        m.get(url(c.F_ALGO_ORDER), payload=algo_answer("stop"))
        await perp._update_order_status()
        assert not [u for (verb, u) in m.requests if u.path == c.F_ORDER]
    assert perp.in_flight_orders["stop"].current_state is OrderState.OPEN


# The order a fired stop released, filled, and its one trade, as /fapi/v1/order and userTrades answer.
FIRED_ORDER = {"orderId": 45, "symbol": "BTCUSDT", "status": "FILLED", "clientOrderId": "stop",
               "executedQty": "0.010", "updateTime": 9}
FIRED_TRADE = {"id": 71, "orderId": 45, "price": "58990.00", "qty": "0.010", "commission": "0.01",
               "commissionAsset": "USDT", "time": 8, "maker": False, "buyer": False}


async def test_status_poll_follows_a_fired_stop_to_its_order(perp):
    await place_stop(perp)
    with aioresponses() as m:
        m.get(url(c.F_ALGO_ORDER), payload=algo_answer("stop", "TRIGGERED"))
        m.get(url(c.F_ORDER), payload=FIRED_ORDER)
        m.get(url(c.F_USER_TRADES), payload=[FIRED_TRADE])
        await perp._update_order_status()
    assert [e.kind for e in perp.events.history] == ["order_created", "order_filled", "order_completed"]


async def test_an_expired_stop_that_never_fired_ends_canceled(perp):
    await place_stop(perp)
    with aioresponses() as m:
        m.get(url(c.F_ALGO_ORDER), payload=algo_answer("stop", "EXPIRED"))
        await perp._update_order_status()
    assert [e.kind for e in perp.events.history] == ["order_created", "order_canceled"]


def test_the_trigger_survives_a_restart():
    order = InFlightOrder("s", PAIR, "STOP_MARKET", "SELL", D(0), None, 1, trigger_price=D("59000.00"),
                          close_position=True, working_type="CONTRACT_PRICE")
    again = InFlightOrder.from_json(order.to_json())
    assert (again.trigger_price, again.close_position, again.working_type) == (D("59000.00"), True, "CONTRACT_PRICE")


async def test_a_waiting_stop_is_canceled_on_the_algo_endpoint(perp):
    await place_stop(perp)
    with aioresponses() as m:
        m.delete(url(c.F_ALGO_ORDER), payload={"algoId": 45, "clientAlgoId": "stop", "code": "200", "msg": "success"})
        await perp._execute_cancel(PAIR, "stop")
        sent = [dict(parse_qsl(u.query_string)) | dict(parse_qsl(call.kwargs.get("data") or ""))
                for (verb, u), calls in m.requests.items() if verb == "DELETE" for call in calls]
        assert not [u for (verb, u) in m.requests if u.path == c.F_ORDER]
    assert sent[0]["clientAlgoId"] == "stop" and "origClientOrderId" not in sent[0]
    assert [(e.kind, getattr(e, "exchange_order_id", None)) for e in perp.events.history] == \
        [("order_created", "45"), ("order_canceled", "45")]


async def test_a_stop_that_fired_before_its_cancel_is_settled_by_its_status(perp):
    await place_stop(perp)
    with aioresponses() as m:
        m.delete(url(c.F_ALGO_ORDER), status=400, payload={"code": -2011, "msg": "Unknown order sent."})
        m.get(url(c.F_ALGO_ORDER), payload=algo_answer("stop", "TRIGGERED"))
        m.get(url(c.F_ORDER), payload=FIRED_ORDER)
        m.get(url(c.F_USER_TRADES), payload=[FIRED_TRADE])
        await perp._execute_cancel(PAIR, "stop")
    assert [e.kind for e in perp.events.history] == ["order_created", "order_filled", "order_completed"]
