"""Events: every state change is one, numbered by a per-engine sequence, in a fixed order per operation."""
from __future__ import annotations

import json

from simulator.engine.rejection import Rejected

from tests.engine.helpers import Recorder, a, funded, limit, new_engine


def test_a_crossing_order_emits_orders_and_trades_then_balances_then_depth():
    engine, _ = new_engine()
    mm = funded(engine, BTC="1")
    taker = funded(engine, USDT="1000")
    maker_order = limit(engine, mm, "SELL", "100", "1").order
    recorder = Recorder(engine)
    result = limit(engine, taker, "BUY", "100", "2")
    order = result.order
    summary = []
    for e in recorder.events:
        if e.kind == "order":
            summary.append(("order", e.order.order_id, e.exec_type, e.status))
        elif e.kind == "trade":
            summary.append(("trade", e.trade.trade_id))
        elif e.kind == "balance":
            summary.append(("balance", e.account_id, e.asset, e.free, e.locked))
        else:
            summary.append((e.kind, e.update_id, e.bids, e.asks))
    assert summary == [
        ("order", order.order_id, "NEW", "NEW"),
        ("trade", 1),
        ("order", maker_order.order_id, "TRADE", "FILLED"),
        ("order", order.order_id, "TRADE", "PARTIALLY_FILLED"),
        ("balance", taker, "USDT", a("800"), a("100")),
        ("balance", taker, "BTC", a("0.999"), 0),
        ("balance", mm, "BTC", 0, 0),
        ("balance", mm, "USDT", a("99.9"), 0),
        ("depth", 2, [(a("100"), a("1"))], [(a("100"), 0)]),
    ]
    seqs = [e.seq for e in recorder.events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


def test_every_kind_of_state_change_is_an_event_with_contiguous_sequence_numbers():
    engine, clock = new_engine()
    recorder = Recorder(engine)
    mm = funded(engine, USDT="10000", BTC="10")  # balance (deposit)
    taker = funded(engine, USDT="10000", BTC="10")
    resting = limit(engine, mm, "SELL", "100", "2").order  # NEW
    limit(engine, taker, "BUY", "100", "1")  # FILLED taker, PARTIALLY_FILLED maker
    engine.cancel_order(mm, "BTCUSDT", order_id=resting.order_id)  # CANCELED
    limit(engine, taker, "BUY", "90", "1", tif="IOC")  # EXPIRED
    try:
        limit(engine, taker, "BUY", "90.001", "1")
    except Rejected:
        pass  # rejected
    engine.withdraw(taker, "USDT", a("1"))
    clock.advance(5)
    engine.set_symbol_status("BTCUSDT", "BREAK")
    kinds = set(recorder.kinds())
    assert kinds == {"balance", "order", "trade", "depth", "rejected", "symbol_status"}
    statuses = {e.status for e in recorder.of("order")}
    assert statuses == {"NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "EXPIRED"}
    assert [e.seq for e in recorder.events] == list(range(1, len(recorder.events) + 1))
    assert engine.seq == len(recorder.events)
    assert recorder.events[-1].time == clock.now_ms()


def test_events_copy_the_state_at_the_moment_they_happen():
    engine, _ = new_engine()
    mm = funded(engine, BTC="1")
    taker = funded(engine, USDT="1000")
    recorder = Recorder(engine)
    order = limit(engine, mm, "SELL", "100", "1").order
    limit(engine, taker, "BUY", "100", "0.4")
    limit(engine, taker, "BUY", "100", "0.6")
    mine = [e for e in recorder.of("order") if e.order is order]
    assert [(e.status, e.executed, e.cum_quote) for e in mine] == [
        ("NEW", 0, 0), ("PARTIALLY_FILLED", a("0.4"), a("40")), ("FILLED", a("1"), a("100"))]
    assert order.status == "FILLED"


def test_events_render_as_plain_json():
    engine, _ = new_engine()
    mm = funded(engine, BTC="1")
    taker = funded(engine, USDT="1000")
    recorder = Recorder(engine)
    limit(engine, mm, "SELL", "100", "1")
    limit(engine, taker, "BUY", "100", "1", client_id="cid")
    for event in recorder.events:
        rendered = event.as_dict()
        assert rendered["seq"] == event.seq and rendered["kind"] == event.kind
        assert json.loads(json.dumps(rendered, sort_keys=True)) == json.loads(json.dumps(rendered))
    trade = recorder.of("trade")[0].as_dict()
    assert {k: trade[k] for k in ("price", "qty", "quote_qty", "buyer_fee", "seller_fee", "buyer_is_maker")} == {
        "price": a("100"), "qty": a("1"), "quote_qty": a("100"), "buyer_fee": a("0.001"),
        "seller_fee": a("0.1"), "buyer_is_maker": False}
    taker_update = recorder.of("order")[-1].as_dict()
    assert taker_update["client_id"] == "cid" and taker_update["trade"] == 1
    assert taker_update["account_id"] == taker and taker_update["symbol"] == "BTCUSDT"


def test_unsubscribed_listeners_hear_nothing_more():
    engine, _ = new_engine()
    recorder = Recorder(engine)
    funded(engine, USDT="1")
    engine.unsubscribe(recorder.events.append)
    funded(engine, USDT="1")
    assert len(recorder.events) == 1 and engine.seq == 2
