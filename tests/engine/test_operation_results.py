"""Every engine operation returns what its caller needs, and listeners see where each operation ends.

The caller learns an outcome from the result (the order as it stands, trades, generated ids, the range of events
emitted), never by listening; a listener that buffers events learns from `subscribe_operation_end` where one
operation's events stop.
"""
from __future__ import annotations

import pytest

from simulator.engine.rejection import Reject, Rejected

from tests.engine.helpers import Recorder, a, funded, limit, new_engine, rejects


class Ends:
    """Records the engine's events and, in the same list, each operation end as ("end", first, last)."""

    def __init__(self, engine):
        self.log: list = []
        engine.subscribe(self.log.append)
        engine.subscribe_operation_end(self.end)

    def end(self, first_seq: int, last_seq: int) -> None:
        self.log.append(("end", first_seq, last_seq))

    def ends(self) -> list[tuple[int, int]]:
        return [(first, last) for kind, first, last in (e for e in self.log if type(e) is tuple)]

    def groups(self) -> list[list[int]]:
        """The sequence numbers of the events between consecutive ends."""
        groups, current = [], []
        for item in self.log:
            if type(item) is tuple:
                groups.append(current)
                current = []
            else:
                current.append(item.seq)
        assert current == [], "events after the last operation end"
        return groups

    def clear(self) -> None:
        self.log.clear()


def seqs(result) -> list[int]:
    return list(range(result.first_seq, result.last_seq + 1))


@pytest.fixture
def env():
    engine, clock = new_engine()
    mm = funded(engine, USDT="100000", BTC="100")
    me = funded(engine, USDT="100000", BTC="100")
    return engine, clock, mm, me


# --- results -----------------------------------------------------------------------------------------------
def test_a_placement_returns_its_order_trades_and_event_range(env):
    engine, _, mm, me = env
    limit(engine, mm, "SELL", "100", "1")
    recorder = Recorder(engine)
    result = limit(engine, me, "BUY", "100", "2")
    assert result.order.status == "PARTIALLY_FILLED" and [t.qty for t in result.trades] == [a("1")]
    assert seqs(result) == [e.seq for e in recorder.events] and result.last_seq == engine.seq
    assert len(seqs(result)) == 9  # NEW, trade, 2 TRADE updates, 4 balances, depth


def test_a_cancel_returns_the_order_and_the_cancel_client_id_it_drew(env):
    engine, _, _, me = env
    order = limit(engine, me, "BUY", "99", "1").order
    recorder = Recorder(engine)
    result = engine.cancel_order(me, "BTCUSDT", order_id=order.order_id)
    (update,) = recorder.of("order")
    assert result.order is order and order.status == "CANCELED"
    assert len(result.cancel_client_id) == 22 and result.cancel_client_id == update.cancel_client_id
    assert seqs(result) == [e.seq for e in recorder.events]
    named = limit(engine, me, "BUY", "99", "1").order
    assert engine.cancel_order(me, "BTCUSDT", order_id=named.order_id, cancel_client_id="c1").cancel_client_id == "c1"


def test_cancel_all_returns_each_order_with_its_cancel_client_id(env):
    engine, _, _, me = env
    orders = [limit(engine, me, "BUY", p, "1").order for p in ("97", "98", "99")]
    recorder = Recorder(engine)
    result = engine.cancel_all(me, "BTCUSDT")
    assert result.orders == orders
    assert result.cancel_client_ids == [e.cancel_client_id for e in recorder.of("order")]
    assert len(set(result.cancel_client_ids)) == 3
    assert seqs(result) == [e.seq for e in recorder.events]


def test_an_amend_returns_the_previous_client_id_and_its_update_seq(env):
    engine, clock, _, me = env
    order = limit(engine, me, "BUY", "99", "2", client_id="before").order
    clock.advance(7)
    recorder = Recorder(engine)
    result = engine.amend_order(me, "BTCUSDT", a("1"), order_id=order.order_id, new_client_id="after")
    (update,) = recorder.of("order")
    assert result.order is order and order.client_id == "after" and result.previous_client_id == "before"
    assert result.update_seq == update.seq and update.exec_type == "REPLACED"
    assert order.update_time == clock.now_ms() == update.time
    assert seqs(result) == [e.seq for e in recorder.events]


def test_fill_order_returns_the_taker_and_its_trades(env):
    engine, _, mm, me = env
    resting = limit(engine, mm, "SELL", "100", "2").order
    recorder = Recorder(engine)
    result = engine.fill_order(resting.order_id, a("0.5"), me)
    assert result.order.status == "FILLED" and [t.seller for t in result.trades] == [resting]
    assert seqs(result) == [e.seq for e in recorder.events]


def test_deposits_and_withdrawals_return_the_balance_after_them(env):
    engine, _, _, me = env
    deposit = engine.deposit(me, "ETH", a("2"))
    assert (deposit.account_id, deposit.asset, deposit.amount, deposit.free, deposit.locked) == (
        me, "ETH", a("2"), a("2"), 0)
    assert deposit.first_seq == deposit.last_seq == engine.seq
    limit(engine, me, "BUY", "99", "1")
    withdrawal = engine.withdraw(me, "USDT", a("5"))
    assert (withdrawal.amount, withdrawal.free, withdrawal.locked) == (a("5"), a("99896"), a("99"))
    assert withdrawal.first_seq == withdrawal.last_seq == engine.seq


def test_a_symbol_status_change_returns_its_event(env):
    engine, _, _, _ = env
    result = engine.set_symbol_status("BTCUSDT", "HALT")
    assert (result.symbol, result.status, result.first_seq, result.last_seq) == ("BTCUSDT", "HALT", engine.seq,
                                                                                  engine.seq)


# --- operation ends ------------------------------------------------------------------------------------------
def test_each_operation_ends_once_after_its_last_event(env):
    engine, _, mm, me = env
    ends = Ends(engine)
    sell = limit(engine, mm, "SELL", "100", "1")
    buy = limit(engine, me, "BUY", "100", "0.5")
    cancel = engine.cancel_order(mm, "BTCUSDT", order_id=sell.order.order_id)
    deposit = engine.deposit(me, "ETH", a("1"))
    status = engine.set_symbol_status("BTCUSDT", "HALT")
    results = [sell, buy, cancel, deposit, status]
    assert ends.ends() == [(r.first_seq, r.last_seq) for r in results]
    assert ends.groups() == [seqs(r) for r in results]


def test_a_refused_placement_ends_after_its_rejected_event_and_other_refusals_emit_no_end(env):
    engine, _, _, me = env
    ends = Ends(engine)
    rejects(Reject.PRICE_FILTER, limit, engine, me, "BUY", "99.001", "1")
    assert [e.kind for e in ends.log[:1]] == ["rejected"] and ends.ends() == [(engine.seq, engine.seq)]
    ends.clear()
    rejects(Reject.UNKNOWN_ORDER, engine.cancel_order, me, "BTCUSDT", order_id=999)
    rejects(Reject.UNKNOWN_ORDER, engine.amend_order, me, "BTCUSDT", a("1"), order_id=999)
    rejects(Reject.INSUFFICIENT_BALANCE, engine.withdraw, me, "USDT", a("1000000"))
    rejects(Reject.UNKNOWN_ORDER, engine.cancel_all, me, "BTCUSDT")
    nothing = engine.cancel_replace(me, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("99"), tif="GTC",
                                    cancel_order_id=999)  # the cancel fails: STOP_ON_FAILURE stops there
    assert nothing.cancel_reject is not None and nothing.last_seq == nothing.first_seq - 1
    engine.test_order(me, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("99"), tif="GTC")
    engine.set_fee_tier(me, 0)
    assert ends.log == []


def test_stops_triggered_by_a_placement_end_with_it(env):
    engine, _, mm, me = env
    limit(engine, mm, "SELL", "100", "1")
    limit(engine, me, "BUY", "100", "0.1")  # last price 100
    limit(engine, mm, "BUY", "95", "2")
    stop = engine.place_order(me, "BTCUSDT", "SELL", "STOP_LOSS", qty=a("1"), stop_price=a("98")).order
    limit(engine, mm, "BUY", "98", "0.1")
    ends = Ends(engine)
    result = limit(engine, me, "SELL", "98", "0.1")  # trades at 98: the stop fires and sells at 95
    assert stop.status == "FILLED"
    assert ends.ends() == [(result.first_seq, result.last_seq)]
    assert [t.price for t in result.trades] == [a("98")]  # the placed order's own trades
    kinds = [e.kind for e in ends.log[:-1]]
    assert kinds.count("trade") == 2 and kinds.count("depth") == 1


def test_cancel_all_is_one_operation(env):
    engine, _, _, me = env
    for price in ("97", "98", "99"):
        limit(engine, me, "BUY", price, "1")
    ends = Ends(engine)
    result = engine.cancel_all(me, "BTCUSDT")
    assert ends.ends() == [(result.first_seq, result.last_seq)]
    assert [e.kind for e in ends.log[:-1]] == ["order"] * 3 + ["balance", "depth"]


def test_a_cancel_replace_is_one_operation_and_what_runs_before_its_cancel_is_another(env):
    engine, _, mm, me = env
    old = limit(engine, me, "BUY", "99", "1").order
    resting = limit(engine, mm, "SELL", "105", "1").order
    ends = Ends(engine)

    def before_cancel():
        engine.fill_order(resting.order_id, a("0.5"), me)  # an operation of its own
        return True

    result = engine.cancel_replace(me, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("98"), tif="GTC",
                                   cancel_order_id=old.order_id, before_cancel=before_cancel)
    (fill_end, replace_end) = ends.ends()
    assert replace_end == (result.first_seq, result.last_seq) and fill_end[1] == result.first_seq - 1
    assert result.cancel.order is old and result.placed.order.status == "NEW"
    assert result.cancel.first_seq == result.first_seq and result.placed.last_seq == result.last_seq
    # a placement refused inside a cancel-replace still ends only once, with the whole operation
    ends.clear()
    other = limit(engine, me, "BUY", "97", "1", client_id="taken").order
    ends.clear()
    result = engine.cancel_replace(me, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("96"), tif="GTC",
                                   client_id="taken", cancel_order_id=result.placed.order.order_id)
    assert result.place_reject.reason is Reject.DUPLICATE_CLIENT_ORDER_ID and other.is_open
    assert ends.ends() == [(result.first_seq, result.last_seq)]
    assert ends.log[-2].kind == "rejected"


def test_two_operation_end_subscribers_both_hear_and_unsubscribing_stops_it(env):
    engine, _, _, me = env
    first, second = [], []
    engine.subscribe_operation_end(lambda *span: first.append(span))
    engine.subscribe_operation_end(second_listener := lambda *span: second.append(span))
    deposit = engine.deposit(me, "ETH", a("1"))
    engine.unsubscribe_operation_end(second_listener)
    withdrawal = engine.withdraw(me, "ETH", a("1"))
    assert first == [(deposit.first_seq, deposit.last_seq), (withdrawal.first_seq, withdrawal.last_seq)]
    assert second == [(deposit.first_seq, deposit.last_seq)]


def test_two_event_subscribers_both_hear_every_event(env):
    engine, _, _, me = env
    one, two = Recorder(engine), Recorder(engine)
    limit(engine, me, "BUY", "99", "1")
    assert one.events == two.events and len(one.events) == 3


def test_a_listener_may_unsubscribe_while_an_operation_end_is_handed_out(env):
    engine, _, _, me = env
    heard = []

    def once(first_seq, last_seq):
        heard.append((first_seq, last_seq))
        engine.unsubscribe_operation_end(once)

    engine.subscribe_operation_end(once)
    engine.subscribe_operation_end(lambda *span: heard.append(span))
    engine.deposit(me, "ETH", a("1"))
    engine.deposit(me, "ETH", a("1"))
    assert len(heard) == 3


def test_subscribing_inside_a_cancel_replace_keeps_its_single_end(env):
    engine, _, _, me = env
    old = limit(engine, me, "BUY", "99", "1").order
    late = []

    def on_event(event):
        if event.kind == "order" and event.exec_type == "CANCELED" and not late:
            engine.subscribe_operation_end(lambda *span: late.append(span))

    engine.subscribe(on_event)
    result = engine.cancel_replace(me, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("98"), tif="GTC",
                                   cancel_order_id=old.order_id)
    assert late == [(result.first_seq, result.last_seq)]


def test_a_failing_placement_still_reports_its_end_before_raising(env):
    engine, _, _, me = env
    order = []
    engine.subscribe_operation_end(lambda *span: order.append("end"))
    with pytest.raises(Rejected):
        try:
            limit(engine, me, "BUY", "99", "100000")
        finally:
            order.append("raised")
    assert order == ["end", "raised"]
