"""Modifying a resting futures order (PUT /fapi/v1/order) and the mark / index price history."""
from __future__ import annotations

import pytest

from simulator.engine.perp.rejection import PerpReject
from simulator.engine.rejection import Reject
from tests.engine.helpers import Recorder, a, rejects
from tests.engine.perp_helpers import assert_clean, limit, new_futures, position, trader


@pytest.fixture
def venue():
    engine, clock = new_futures()
    return engine, clock, trader(engine), trader(engine)


def test_modify_moves_price_and_quantity_and_margin(venue):
    engine, _, me, _ = venue
    order = limit(engine, me, "BUY", "49000", "1").order
    events = Recorder(engine)
    result = engine.modify_order(me, "BTCUSDT", "BUY", a("2"), a("48000"), order_id=order.order_id)
    assert result.order is order and (order.price, order.qty) == (a("48000"), a("2"))
    assert order.locked == a("4800") and engine.accounts[me].locked("USDT") == a("4800")
    assert events.of("order")[0].exec_type == "AMENDMENT"
    assert engine.depth("BTCUSDT", 5)[1] == [(a("48000"), a("2"))]
    assert_clean(engine)


def test_modify_into_the_book_trades(venue):
    engine, _, me, other = venue
    limit(engine, other, "SELL", "50000", "1")
    order = limit(engine, me, "BUY", "49000", "1").order
    result = engine.modify_order(me, "BTCUSDT", "BUY", a("1"), a("50000"), order_id=order.order_id)
    assert result.trades and order.status == "FILLED" and position(engine, me).amt == a("1")
    assert_clean(engine)


def test_modify_refusals_change_nothing(venue):
    engine, _, me, other = venue
    order = limit(engine, me, "BUY", "49000", "1").order
    limit(engine, other, "SELL", "50000", "1")
    rejects(Reject.INVALID_ORDER, engine.modify_order, me, "BTCUSDT", "SELL", a("1"), a("49000"),
            order_id=order.order_id)
    rejects(PerpReject.MARGIN_INSUFFICIENT, engine.modify_order, me, "BTCUSDT", "BUY", a("100"), a("49000"),
            order_id=order.order_id)
    rejects(Reject.PRICE_FILTER, engine.modify_order, me, "BTCUSDT", "BUY", a("1"), a("49000.05"),
            order_id=order.order_id)
    gtx = limit(engine, me, "BUY", "48000", "0.1", tif="GTX").order
    rejects(Reject.WOULD_TAKE, engine.modify_order, me, "BTCUSDT", "BUY", a("0.1"), a("50000"),
            order_id=gtx.order_id)
    assert (order.price, order.qty, order.locked) == (a("49000"), a("1"), a("2450"))
    assert_clean(engine)


def test_price_history_records_minute_candles(venue):
    engine, clock, _, _ = venue
    engine.set_index("BTCUSDT", a("50100"))
    engine.set_index("BTCUSDT", a("49900"))
    clock.advance(60_000)
    engine.set_index("BTCUSDT", a("50000"))
    rows = engine.price_history("BTCUSDT", "index")
    assert [row[1:] for row in rows] == [[a("50000"), a("50100"), a("49900"), a("49900")], [a("50000")] * 4]
    assert rows[1][0] - rows[0][0] == 60_000
    assert engine.price_history("BTCUSDT", "mark")[-1][4] == engine.mark("BTCUSDT")
