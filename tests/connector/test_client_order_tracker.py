"""The order state machine, fill de-duplication, fee accounting, completion waiting for fills, lost orders,
and tracking state saved to and restored from sqlite."""
from __future__ import annotations

from decimal import Decimal as D

from connector.client_order_tracker import ClientOrderTracker
from connector.events import EventBus
from connector.in_flight_order import InFlightOrder, OrderState, OrderUpdate, TradeUpdate, state_from_wire
from connector.tracking_store import TrackingStateStore

PAIR = "BTC-USDT"


def order(cid="c1", amount="1", state=OrderState.PENDING_CREATE):
    return InFlightOrder(cid, PAIR, "LIMIT", "BUY", D(amount), D("100"), 1, current_state=state)


def fill(tid, qty, cid="c1", fee="0.001", fee_asset="BTC", source="ws"):
    return TradeUpdate(str(tid), cid, "77", PAIR, D("100"), D(qty), D("100") * D(qty), fee_asset, D(fee), 5,
                       source=source)


def update(state, cid="c1", executed=None, eid="77"):
    return OrderUpdate(cid, PAIR, state, 5, eid, None if executed is None else D(executed))


def kinds(bus):
    return [e.kind for e in bus.history]


def make(store=None, limit=3):
    bus = EventBus()
    return bus, ClientOrderTracker(bus, store, clock_ms=lambda: 42, not_found_limit=limit)


def test_wire_statuses_map_to_states():
    assert [state_from_wire(s) for s in ("NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "EXPIRED",
                                         "EXPIRED_IN_MATCH", "REJECTED")] == [
        OrderState.OPEN, OrderState.PARTIALLY_FILLED, OrderState.FILLED, OrderState.CANCELED,
        OrderState.CANCELED, OrderState.CANCELED, OrderState.FAILED]


def test_life_of_an_order_partial_fills_then_filled():
    bus, tracker = make()
    tracker.start_tracking_order(order())
    tracker.process_order_update(update(OrderState.OPEN))
    assert tracker.fetch_order("c1").current_state is OrderState.OPEN
    assert tracker.process_trade_update(fill(1, "0.4"))
    assert tracker.fetch_order("c1").current_state is OrderState.PARTIALLY_FILLED
    tracker.process_order_update(update(OrderState.OPEN))  # a late NEW does not move it back
    assert tracker.fetch_order("c1").current_state is OrderState.PARTIALLY_FILLED
    assert tracker.process_trade_update(fill(2, "0.6", fee="0.5", fee_asset="BNB"))
    tracker.process_order_update(update(OrderState.FILLED, executed="1"))
    assert kinds(bus) == ["order_created", "order_filled", "order_filled", "order_completed"]
    completed = bus.history[-1]
    assert completed.base_amount == D("1") and completed.quote_amount == D("100")
    assert completed.fees == (("BNB", D("0.5")), ("BTC", D("0.001")))
    assert "c1" not in tracker.active_orders


def test_a_fill_reported_twice_counts_once():
    bus, tracker = make()
    tracker.start_tracking_order(order())
    assert tracker.process_trade_update(fill(9, "0.5", source="rest"))
    assert not tracker.process_trade_update(fill(9, "0.5", source="ws"))
    assert tracker.fetch_order("c1").executed_amount_base == D("0.5")
    assert kinds(bus).count("order_filled") == 1


def test_filled_waits_for_its_fills_before_completing():
    bus, tracker = make()
    tracker.start_tracking_order(order())
    tracker.process_order_update(update(OrderState.FILLED, executed="1"))  # status first, fills unknown yet
    assert kinds(bus) == ["order_created"] and "c1" in tracker.active_orders
    assert [o.client_order_id for o in tracker.orders_missing_fills()] == ["c1"]
    tracker.process_trade_update(fill(1, "1"))
    assert kinds(bus) == ["order_created", "order_filled", "order_completed"]


def test_cancel_after_a_partial_fill_reports_the_fill_and_the_cancel():
    bus, tracker = make()
    tracker.start_tracking_order(order())
    tracker.process_order_update(update(OrderState.OPEN))
    tracker.process_order_update(update(OrderState.PENDING_CANCEL))
    tracker.process_order_update(update(OrderState.PARTIALLY_FILLED, executed="0.3"))
    assert tracker.fetch_order("c1").current_state is OrderState.PENDING_CANCEL
    tracker.process_order_update(update(OrderState.CANCELED, executed="0.3"))
    assert "c1" in tracker.active_orders  # the 0.3 it was told about is not known yet
    tracker.process_trade_update(fill(4, "0.3"))
    assert kinds(bus) == ["order_created", "order_filled", "order_canceled"]
    assert bus.history[-1].executed_amount == D("0.3")


def test_refused_cancel_restores_the_previous_state():
    _, tracker = make()
    tracker.start_tracking_order(order())
    tracker.process_order_update(update(OrderState.PARTIALLY_FILLED))
    tracker.process_order_update(update(OrderState.PENDING_CANCEL))
    tracker.restore_open_state("c1")
    assert tracker.fetch_order("c1").current_state is OrderState.PARTIALLY_FILLED


def test_a_second_cancel_in_flight_keeps_the_state_to_restore():
    """A cancel-all over an order whose own cancel is still out: the state to go back to stays the working one."""
    _, tracker = make()
    tracker.start_tracking_order(order())
    tracker.process_order_update(update(OrderState.PARTIALLY_FILLED))
    tracker.process_order_update(update(OrderState.PENDING_CANCEL))
    tracker.process_order_update(update(OrderState.PENDING_CANCEL))
    tracker.restore_open_state("c1")
    assert tracker.fetch_order("c1").current_state is OrderState.PARTIALLY_FILLED


def test_failure_carries_reason_and_code():
    bus, tracker = make()
    tracker.start_tracking_order(order())
    tracker.process_order_update(OrderUpdate("c1", PAIR, OrderState.FAILED, 5, reason="no money", code=-2010))
    assert kinds(bus) == ["order_failed"] and bus.history[0].code == -2010 and bus.history[0].reason == "no money"
    assert not tracker.active_orders


def test_updates_after_done_are_ignored_but_late_fills_are_deduplicated():
    bus, tracker = make()
    tracker.start_tracking_order(order())
    tracker.process_trade_update(fill(1, "1"))
    tracker.process_order_update(update(OrderState.FILLED, executed="1"))
    tracker.process_order_update(update(OrderState.CANCELED))
    assert not tracker.process_trade_update(fill(1, "1"))
    assert kinds(bus) == ["order_created", "order_filled", "order_completed"]


def test_an_order_the_exchange_never_saw_fails_after_the_limit():
    bus, tracker = make(limit=3)
    tracker.start_tracking_order(order())
    assert not tracker.process_order_not_found("c1")
    assert not tracker.process_order_not_found("c1")
    assert tracker.process_order_not_found("c1")
    assert kinds(bus) == ["order_failed"]


def test_a_found_order_resets_the_not_found_count():
    bus, tracker = make(limit=2)
    tracker.start_tracking_order(order())
    tracker.process_order_not_found("c1")
    tracker.process_order_update(update(OrderState.OPEN))
    assert not tracker.process_order_not_found("c1")
    assert "c1" in tracker.active_orders


def test_state_is_saved_and_restored_from_sqlite(tmp_path):
    path = str(tmp_path / "state.sqlite")
    store = TrackingStateStore(path, "binance")
    _, tracker = make(store)
    tracker.start_tracking_order(order("c1"))
    tracker.start_tracking_order(order("c2"))
    tracker.process_order_update(update(OrderState.OPEN, cid="c1"))
    tracker.process_trade_update(fill(1, "0.25", cid="c1"))
    tracker.process_order_update(OrderUpdate("c2", PAIR, OrderState.FAILED, 5, reason="x"))
    TrackingStateStore(path, "other").save("z", order("z").to_json(), 1)  # another connector's row
    store.close()

    store = TrackingStateStore(path, "binance")
    bus, tracker = make(store)
    restored = tracker.restore_tracking_states(store.load())
    assert [o.client_order_id for o in restored] == ["c1"]  # c2 was done and deleted
    again = tracker.fetch_order("c1")
    assert again.current_state is OrderState.PARTIALLY_FILLED and again.exchange_order_id == "77"
    assert again.order_fills["1"].fee_amount == D("0.001") and again.price == D("100")
    assert not tracker.process_trade_update(fill(1, "0.25", cid="c1"))  # known fill, also after restart
    tracker.process_trade_update(fill(2, "0.75", cid="c1"))  # made while we were down
    tracker.process_order_update(update(OrderState.FILLED, cid="c1", executed="1"))
    assert kinds(bus) == ["order_filled", "order_completed"]  # created was reported before the restart
    assert store.load() == {}
    store.close()
