"""The state-acting fault kinds on the USD-M venue (`"venue": "futures"`), against a real server: a /fapi cancel
that finds its order just filled (-2011), a partial fill at the moment a fault starts, a halted perpetual that
shows a non-trading status and refuses orders until the fault goes. Without `venue` they stay spot faults and
leave /fapi alone."""
from __future__ import annotations

import json

import pytest

from simulator.control.faults import FaultSpecError
from tests.server import fapi_helpers
from tests.server.fapi_helpers import SYMBOL

fapi = fapi_helpers.fapi
fapi_sim = fapi_helpers.fapi_sim
LIMIT = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.010", "price": "40000"}


async def _resting(fapi) -> int:
    placed = await fapi.order(**LIMIT)
    assert placed.status == 200, placed.body
    return placed.body["orderId"]


async def _query(fapi, order_id: int) -> dict:
    found = await fapi.signed("GET", "/fapi/v1/order", symbol=SYMBOL, orderId=order_id)
    assert found.status == 200, found.body
    return found.body


def _position(fapi) -> int:
    """The demo account's one-way position in the perpetual, in atoms."""
    [row] = [p for p in fapi.sim.futures.position_rows(fapi.account_id(), SYMBOL) if p.position_side == "BOTH"]
    return row.amt


def _atoms(fapi, qty: str) -> int:
    return fapi.sim.futures.instruments[SYMBOL].parse_qty(qty)


async def test_fill_during_cancel_fills_a_futures_order_and_the_cancel_answers_unknown_order(fapi):
    order_id = await _resting(fapi)
    fault = fapi.sim.faults.add({"kind": "fill_during_cancel", "venue": "futures", "symbol": SYMBOL, "count": 1})
    canceled = await fapi.signed("DELETE", "/fapi/v1/order", symbol=SYMBOL, orderId=order_id)
    assert canceled.error == (400, -2011, "Unknown order sent.")
    filled = await _query(fapi, order_id)
    assert (filled["status"], filled["executedQty"]) == ("FILLED", "0.010")
    assert _position(fapi) == _atoms(fapi, "0.010")  # a real trade: the account is long what it bought
    assert fault.hits == 1 and f"filled order {order_id} just before its cancel" in fault.log
    # its one count is spent: the next cancel cancels
    second = await _resting(fapi)
    assert (await fapi.signed("DELETE", "/fapi/v1/order", symbol=SYMBOL, orderId=second)).body["status"] == \
        "CANCELED"


async def test_fill_during_cancel_reaches_a_futures_batch_cancel(fapi):
    first, second = await _resting(fapi), await _resting(fapi)
    fapi.sim.faults.add({"kind": "fill_during_cancel", "venue": "futures", "count": 1})
    answers = (await fapi.signed("DELETE", "/fapi/v1/batchOrders", where="body", symbol=SYMBOL,
                                 orderIdList=json.dumps([first, second]))).body
    assert answers[0] == {"code": -2011, "msg": "Unknown order sent."}
    assert answers[1]["status"] == "CANCELED"
    assert (await _query(fapi, first))["status"] == "FILLED"


async def test_a_spot_fill_during_cancel_leaves_futures_cancels_alone(fapi):
    order_id = await _resting(fapi)
    spot = fapi.sim.faults.add({"kind": "fill_during_cancel", "symbol": SYMBOL})
    canceled = await fapi.signed("DELETE", "/fapi/v1/order", symbol=SYMBOL, orderId=order_id)
    assert canceled.body["status"] == "CANCELED"
    assert spot.hits == 0 and spot.params["venue"] == "spot"


async def test_partial_fill_trades_qty_of_a_futures_order_when_it_starts(fapi):
    order_id = await _resting(fapi)
    fault = fapi.sim.faults.add({"kind": "partial_fill", "venue": "futures", "orderId": order_id, "qty": "0.004",
                                 "afterMs": 1000})
    fapi.sim.tick()
    assert (await _query(fapi, order_id))["status"] == "NEW"  # not started yet
    fapi.sim.clock.advance(1000)
    fapi.sim.tick()
    body = await _query(fapi, order_id)
    assert (body["status"], body["executedQty"]) == ("PARTIALLY_FILLED", "0.004")
    assert body["avgPrice"] == "40000.00000000"  # at the order's own price
    assert _position(fapi) == _atoms(fapi, "0.004")
    assert fault.hits == 1 and f"filled 0.00400000 of order {order_id}" in fault.log
    fapi.sim.tick()  # one-shot: nothing more
    assert (await _query(fapi, order_id))["executedQty"] == "0.004"


async def test_partial_fill_finds_the_accounts_oldest_open_futures_order(fapi):
    order_id = await _resting(fapi)
    fapi.sim.faults.add({"kind": "partial_fill", "venue": "futures", "accountId": fapi.account_id(),
                         "qty": "0.002"})
    fapi.sim.tick()
    assert (await _query(fapi, order_id))["executedQty"] == "0.002"


def _status(info: dict, symbol: str) -> str:
    return next(s["status"] for s in info["symbols"] if s["symbol"] == symbol)


async def test_halt_shows_a_perpetual_settling_refuses_its_orders_then_restores_it(fapi):
    fault = fapi.sim.faults.add({"kind": "halt", "venue": "futures", "symbol": SYMBOL})
    assert fault.params["status"] == "SETTLING"
    fapi.sim.tick()
    info = (await fapi.public("GET", "/fapi/v1/exchangeInfo")).body
    assert (_status(info, SYMBOL), _status(info, "ETHUSDT")) == ("SETTLING", "TRADING")
    assert fapi.sim.engine.instruments[SYMBOL].status == "TRADING"  # the spot pair trades on
    assert (await fapi.order(**LIMIT)).error == (400, -2010, "Market is closed.")
    fapi.sim.faults.clear(fault.fault_id)
    fapi.sim.tick()
    assert _status((await fapi.public("GET", "/fapi/v1/exchangeInfo")).body, SYMBOL) == "TRADING"
    assert (await fapi.order(**LIMIT)).status == 200


async def test_halt_with_a_chosen_futures_status(fapi):
    fapi.sim.faults.add({"kind": "halt", "venue": "futures", "symbol": SYMBOL, "status": "PENDING_TRADING"})
    fapi.sim.tick()
    assert _status((await fapi.public("GET", "/fapi/v1/exchangeInfo")).body, SYMBOL) == "PENDING_TRADING"


@pytest.mark.parametrize("spec, field, reason", [
    ({"kind": "halt", "symbol": SYMBOL, "venue": "options"}, "venue", "one of"),
    ({"kind": "halt", "symbol": SYMBOL, "venue": 7}, "venue", ""),
    ({"kind": "halt", "symbol": SYMBOL, "venue": "x" * 100_000}, "venue", ""),
    ({"kind": "halt", "symbol": SYMBOL, "venue": "futures", "status": "HALT"}, "status", "futures halt status"),
    ({"kind": "halt", "symbol": SYMBOL, "status": "SETTLING"}, "status", "spot halt status"),
    ({"kind": "halt", "symbol": "NOPEUSDT", "venue": "futures"}, "symbol", "unknown symbol"),
    ({"kind": "partial_fill", "venue": "futures", "orderId": 999_999, "qty": "0.001"}, "orderId", "no order"),
    ({"kind": "http_error", "venue": "futures"}, "venue", "unknown key"),
])
def test_the_venue_parameter_is_checked(fapi_sim, spec, field, reason):
    before = dict(fapi_sim.faults.faults)
    with pytest.raises(FaultSpecError) as refused:
        fapi_sim.faults.add(spec)
    assert refused.value.field == field and reason in refused.value.reason
    assert fapi_sim.faults.faults == before


def test_a_futures_halt_survives_a_snapshot_and_its_end_restores_trading(fapi_sim):
    fault = fapi_sim.faults.add({"kind": "halt", "venue": "futures", "symbol": SYMBOL, "status": "CLOSE"})
    fapi_sim.tick()
    fapi_sim.restore(fapi_sim.snapshot())
    fapi_sim.tick()
    assert fapi_sim.futures.instruments[SYMBOL].status == "CLOSE"
    assert fapi_sim.faults.effects.futures_status_baseline == {SYMBOL: "TRADING"}
    fapi_sim.faults.clear(fault.fault_id)
    fapi_sim.tick()
    assert fapi_sim.futures.instruments[SYMBOL].status == "TRADING"
