"""The fault registry (validation, targeting, count / probability / duration on the sim clock) and the faults
whose effects are implemented today: halt, maintenance's symbol status, rate_limit, clock_skew,
listen_key_expire, partial_fill and fill_during_cancel."""
from __future__ import annotations

import pytest

from simulator import fault_kinds
from simulator.control.api import Control
from simulator.control.errors import ControlError
from simulator.control.faults import KINDS, FaultSpecError, validate_spec
from simulator.dialects.binance.wire.errors import BinanceError, backend_timeout, injected_http_error
from simulator.engine.rejection import Reject, Rejected
from tests.control.conftest import frozen_sim


# --- validation -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec, field, words", [
    ({}, "kind", "required"),
    ({"kind": "xx"}, "kind", "unknown fault 'xx'"),
    ({"kind": "http_latency"}, "ms", "required for fault http_latency"),
    ({"kind": "http_latency", "ms": 0}, "ms", "at least 1"),
    ({"kind": "http_latency", "ms": "fast"}, "ms", "expected an integer"),
    ({"kind": "http_error", "status": 404}, "status", "not one of 500, 502, 503"),
    ({"kind": "http_error", "colour": "red"}, "colour", "unknown key for fault http_error"),
    ({"kind": "http_error", "probability": "1.5"}, "probability", "between 0 and 1"),
    ({"kind": "http_error", "probability": "0.0000001"}, "probability", "at most 6 decimals"),
    ({"kind": "http_error", "count": 0}, "count", "at least 1"),
    ({"kind": "http_error", "endpoint": "api/v3/order"}, "endpoint", "expected '/path'"),
    ({"kind": "halt"}, "symbol", "required for fault halt"),
    ({"kind": "halt", "symbol": "BTCUSDT", "count": 2}, "count", "not used by fault halt"),
    ({"kind": "rate_limit", "status": 403, "ms": 10}, "status", "not one of 429, 418"),
    ({"kind": "rate_limit", "ms": 10, "durationMs": 5}, "durationMs", "lasts its ms"),
    ({"kind": "listen_key_expire"}, "accountId", "needs accountId or listenKey"),
    ({"kind": "partial_fill", "qty": "0.1"}, "accountId", "needs orderId"),
    ({"kind": "partial_fill", "qty": "-1", "orderId": 1}, "qty", "positive"),
    ({"kind": "partial_fill", "qty": "0.1", "accountId": 1, "clientOrderId": "x"}, "symbol", "required with"),
    ({"kind": "partial_fill", "qty": "0.1", "orderId": 1, "count": 2}, "count", "fires once"),
    ({"kind": "ws_close", "scope": "some"}, "scope", "not one of all, stream, listenKey"),
    ({"kind": "http_error", "window": "firstHit"}, "window", "needs durationMs"),
    ({"kind": "http_error", "window": "soon", "durationMs": 5}, "window", "not one of start, firstHit"),
    ({"kind": "listen_key_expire", "accountId": 1, "window": "firstHit"}, "window", "needs durationMs"),
    ({"kind": "http_latency", "ms": 5, "phase": "during"}, "phase", "not one of before, after"),
    ({"kind": "ws_drop", "event": "trade"}, "event", "not one of executionReport"),
    ({"kind": "ws_drop", "execType": "FILLED"}, "execType", "not one of NEW"),
    ({"kind": "ws_reorder", "event": "balanceUpdate", "execType": "NEW"}, "execType", "only executionReport"),
    ({"kind": "ws_lifetime"}, "ms", "required for fault ws_lifetime"),
    ({"kind": "ws_lifetime", "ms": 10, "count": 1}, "count", "not used by fault ws_lifetime"),
    ({"kind": "ws_connect_limit", "limit": 0}, "limit", "at least 1"),
    ({"kind": "ws_connect_limit", "limit": 10**10}, "limit", "at most"),
    ({"kind": "ws_connect_limit", "limit": 5, "windowMs": 0}, "windowMs", "at least 1"),
    ({"kind": "listen_key_ttl", "ms": 10**15}, "ms", "at most"),
])
def test_invalid_specs_are_refused_naming_the_field(spec, field, words):
    with pytest.raises(FaultSpecError) as caught:
        validate_spec(spec)
    assert caught.value.field == field
    assert words in caught.value.reason
    assert caught.value.status == 400 and caught.value.code == "invalid_fault"


def test_every_kind_has_a_valid_minimal_spec():
    minimal = {"http_latency": {"ms": 5}, "rate_limit": {"ms": 5}, "ws_delay": {"ms": 5}, "clock_skew": {"ms": 5},
               "halt": {"symbol": "BTCUSDT"}, "listen_key_expire": {"accountId": 1},
               "partial_fill": {"qty": "0.1", "orderId": 1}, "ws_lifetime": {"ms": 5}, "listen_key_ttl": {"ms": 5},
               "ws_connect_limit": {"limit": 5}}
    for kind in KINDS:
        norm = validate_spec({"kind": kind, **minimal.get(kind, {})})
        assert norm["kind"] == kind


def test_specs_naming_unknown_things_are_refused_and_nothing_is_registered(fsim):
    with pytest.raises(FaultSpecError, match="unknown symbol 'DOGEUSDT'"):
        fsim.faults.add({"kind": "halt", "symbol": "DOGEUSDT"})
    with pytest.raises(FaultSpecError, match="no account 99"):
        fsim.faults.add({"kind": "http_error", "accountId": 99})
    with pytest.raises(FaultSpecError, match="no order 5"):
        fsim.faults.add({"kind": "partial_fill", "orderId": 5, "qty": "0.1"})
    assert fsim.faults.list() == []
    assert fsim.faults.next_id == 1


# --- matching ---------------------------------------------------------------------------------------------
def test_count_is_consumed_by_matches_only(fsim):
    fault = fsim.faults.add({"kind": "http_error", "endpoint": "POST /api/v3/order", "count": 2})
    assert fsim.faults.match("http_error", endpoint="GET /api/v3/order") is None  # other method
    assert fsim.faults.match("http_latency", endpoint="POST /api/v3/order") is None  # other kind
    assert fsim.faults.match("http_error", endpoint="POST /api/v3/order") is fault
    assert fsim.faults.match("http_error", endpoint="POST /api/v3/order") is fault
    assert fsim.faults.match("http_error", endpoint="POST /api/v3/order") is None
    assert fault.hits == 2 and fault.remaining == 0
    assert Control(fsim).list_faults()["faults"][0]["state"] == "exhausted"


def test_targets_endpoint_patterns_stream_symbol_and_account(fsim):
    faults = fsim.faults
    any_method = faults.add({"kind": "http_latency", "ms": 5, "endpoint": "/api/v3/open*"})
    assert faults.match("http_latency", endpoint="GET /api/v3/openOrders") is any_method
    assert faults.match("http_latency", endpoint="DELETE /api/v3/openOrders") is any_method
    assert faults.match("http_latency", endpoint="GET /api/v3/account") is None
    assert faults.match("http_latency") is None  # the hook names no endpoint: a targeted fault does not apply
    stream = faults.add({"kind": "ws_delay", "ms": 5, "stream": "btcusdt@depth*"})
    assert faults.match("ws_delay", stream="btcusdt@depth@100ms") is stream
    assert faults.match("ws_delay", stream="ethusdt@depth") is None
    symbol = faults.add({"kind": "depth_gap", "symbol": "btcusdt"})
    assert faults.match("depth_gap", symbol="BTCUSDT") is symbol
    assert faults.match("depth_gap", symbol="ETHUSDT") is None
    account = faults.add({"kind": "ws_silence", "accountId": 1})
    assert faults.match("ws_silence", account_id=1) is account
    assert faults.match("ws_silence", account_id=None) is None
    untargeted = faults.add({"kind": "ws_duplicate"})
    assert faults.match("ws_duplicate", stream="anything", symbol="X", account_id=7) is untargeted


def test_ws_close_scope_picks_the_kind_of_connection(fsim):
    market = fsim.faults.add({"kind": "ws_close", "scope": "stream", "count": 1})
    user = fsim.faults.add({"kind": "ws_close", "scope": "listenKey", "accountId": 1})
    anything = fsim.faults.add({"kind": "ws_close"})
    assert fsim.faults.match("ws_close", stream="k" * 60, account_id=1, scope="listenKey") is user
    assert fsim.faults.match("ws_close", stream="btcusdt@trade", scope="stream") is market
    assert fsim.faults.match("ws_close", stream="btcusdt@trade", scope="stream") is anything
    assert market.hits == 1 and user.hits == 1


def test_the_first_live_fault_in_id_order_wins(fsim):
    first = fsim.faults.add({"kind": "http_error", "status": 500, "count": 1})
    second = fsim.faults.add({"kind": "http_error", "status": 502})
    assert fsim.faults.match("http_error") is first
    assert fsim.faults.match("http_error") is second
    answer = injected_http_error(second.params["status"])
    assert (answer.status, answer.to_body()) == (502, {"code": -1000, "msg": "An unknown error occurred while "
                                                                             "processing the request."})
    assert (backend_timeout().status, backend_timeout().code) == (503, -1007)


def test_duration_and_delay_run_on_the_simulator_clock(fsim):
    fault = fsim.faults.add({"kind": "ws_silence", "afterMs": 1000, "durationMs": 500})
    assert fault.state(fsim.clock.now_ms()) == "pending"
    assert fsim.faults.match("ws_silence") is None
    fsim.clock.advance(1000)
    assert fsim.faults.match("ws_silence") is fault
    fsim.clock.advance(499)
    assert fsim.faults.match("ws_silence") is fault
    fsim.clock.advance(1)
    assert fsim.faults.match("ws_silence") is None
    assert fault.state(fsim.clock.now_ms()) == "expired"


def _draws(seed: int, n: int = 200) -> list[bool]:
    sim = frozen_sim(seed=seed)
    sim.faults.add({"kind": "http_error", "probability": "0.3"})
    return [sim.faults.match("http_error") is not None for _ in range(n)]


def test_probability_is_seeded_and_roughly_right():
    a, b, other = _draws(7), _draws(7), _draws(8)
    assert a == b  # same seed, same draws
    assert a != other
    assert 30 <= sum(a) <= 90  # about 30% of 200


def test_probability_draws_do_not_touch_other_random_streams(fsim):
    before = fsim.rng.getstate()
    fsim.faults.add({"kind": "http_error", "probability": "0.5"})
    for _ in range(10):
        fsim.faults.match("http_error")
    assert fsim.rng.getstate() == before


def test_clear_one_or_all(fsim):
    one = fsim.faults.add({"kind": "ws_reorder"})
    two = fsim.faults.add({"kind": "ws_duplicate"})
    assert fsim.faults.clear(one.fault_id) == [one]
    assert fsim.faults.list() == [two]
    with pytest.raises(ControlError) as caught:
        fsim.faults.clear(one.fault_id)
    assert caught.value.status == 404
    assert fsim.faults.clear() == [two]
    assert fsim.faults.list() == []


# --- effects implemented now ------------------------------------------------------------------------------
def test_halt_sets_the_status_and_restores_it_on_clear(fsim):
    engine = fsim.engine
    halt = fsim.faults.add({"kind": "halt", "symbol": "BTCUSDT"})
    assert engine.instruments["BTCUSDT"].status == "HALT"
    assert engine.instruments["ETHUSDT"].status == "TRADING"
    account = Control(fsim).create_account(balances={"USDT": "10000"})["id"]
    with pytest.raises(Rejected) as caught:
        engine.place_order(account, "BTCUSDT", "BUY", "LIMIT", qty=100_000, price=6_000_000_000_000, tif="GTC")
    assert caught.value.reason is Reject.MARKET_CLOSED
    fsim.faults.clear(halt.fault_id)
    assert engine.instruments["BTCUSDT"].status == "TRADING"
    kinds = [(e.symbol, e.status) for e in fsim.recent_events if e.kind == "symbol_status"]
    assert kinds == [("BTCUSDT", "HALT"), ("BTCUSDT", "TRADING")]


def test_halt_for_a_duration_ends_on_tick_and_overlapping_halts_stack(fsim):
    status = lambda: fsim.engine.instruments["BTCUSDT"].status  # noqa: E731
    long = fsim.faults.add({"kind": "halt", "symbol": "BTCUSDT", "status": "BREAK"})
    short = fsim.faults.add({"kind": "halt", "symbol": "BTCUSDT", "durationMs": 100})
    assert status() == "HALT"  # the latest fault decides
    fsim.clock.advance(100)
    fsim.tick()
    assert status() == "BREAK"
    assert short.state(fsim.clock.now_ms()) == "expired"
    fsim.faults.clear(long.fault_id)
    assert status() == "TRADING"


def test_maintenance_puts_every_symbol_in_break_then_restores(fsim):
    fault = fsim.faults.add({"kind": "maintenance", "durationMs": 1000})
    assert {i.status for i in fsim.engine.instruments.values()} == {"BREAK"}
    fsim.clock.advance(1000)
    fsim.faults.tick()
    assert {i.status for i in fsim.engine.instruments.values()} == {"TRADING"}
    assert fault.state(fsim.clock.now_ms()) == "expired"
    only = fsim.faults.add({"kind": "maintenance", "symbols": ["ETHUSDT"]})
    assert fsim.engine.instruments["ETHUSDT"].status == "BREAK"
    assert fsim.engine.instruments["BTCUSDT"].status == "TRADING"
    fsim.faults.clear(only.fault_id)
    assert fsim.engine.instruments["ETHUSDT"].status == "TRADING"


def test_rate_limit_forces_429_then_418_on_the_limiter(fsim):
    limiter = fsim.wire.limiter
    storm = fsim.faults.add({"kind": "rate_limit", "status": 429, "ms": 10_000})
    with pytest.raises(BinanceError) as caught:
        limiter.charge_request("10.0.0.1", 1)
    assert caught.value.status == 429 and caught.value.headers["Retry-After"] == "10"
    fsim.clock.advance(10_000)
    fsim.faults.tick()
    limiter.charge_request("10.0.0.1", 1)  # the window is over
    assert storm.state(fsim.clock.now_ms()) == "expired"
    ban = fsim.faults.add({"kind": "rate_limit", "status": 418, "ms": 120_000})
    with pytest.raises(BinanceError) as caught:
        limiter.charge_request("10.0.0.1", 1)
    assert caught.value.status == 418 and "IP banned until" in caught.value.msg
    assert Control(fsim).limits()["forced"] == 418
    fsim.faults.clear(ban.fault_id)  # clearing ends the ban early
    limiter.charge_request("10.0.0.1", 1)
    assert Control(fsim).limits()["forced"] is None


def test_clock_skew_applies_and_restores_the_previous_skew(fsim):
    fsim.clock.set_skew(250)
    first = fsim.faults.add({"kind": "clock_skew", "ms": 3000})
    assert fsim.clock.skew_ms == 3000
    assert fsim.clock.server_time_ms() == fsim.clock.now_ms() + 3000
    second = fsim.faults.add({"kind": "clock_skew", "ms": -2000})
    assert fsim.clock.skew_ms == -2000
    fsim.faults.clear(second.fault_id)
    assert fsim.clock.skew_ms == 3000
    fsim.faults.clear(first.fault_id)
    assert fsim.clock.skew_ms == 250


def test_listen_key_expire_kills_the_accounts_keys_once(fsim):
    control = Control(fsim)
    alice = control.create_account(name="alice")["id"]
    bob = control.create_account(name="bob")["id"]
    key_a = control.create_listen_key(alice)["listenKey"]
    key_b = control.create_listen_key(bob)["listenKey"]
    now = fsim.clock.now_ms()
    fault = fsim.faults.add({"kind": "listen_key_expire", "accountId": alice})
    assert fsim.wire.listen_keys.account_of(key_a, now) is None
    assert fsim.wire.listen_keys.account_of(key_b, now) == bob
    assert fault.state(now) == "exhausted" and fault.hits == 1
    assert [k.key for k in fsim.wire.listen_keys.sweep(now)] == [key_a]
    fresh = control.create_listen_key(alice)["listenKey"]  # a new key after the fault lives on
    fsim.faults.tick()
    assert fsim.wire.listen_keys.account_of(fresh, now) == alice


def test_partial_fill_fires_at_its_moment(fsim):
    control = Control(fsim)
    trader = control.create_account(name="trader", balances={"USDT": "100000"})["id"]
    order = control.place_order(trader, "BTCUSDT", "BUY", "LIMIT", quantity="0.3", price="65000",
                                time_in_force="GTC")["order"]
    fault = fsim.faults.add({"kind": "partial_fill", "orderId": order["orderId"], "qty": "0.1", "afterMs": 500})
    assert control.get_order(order["orderId"])["order"]["executedQty"] == "0.00000000"
    control.advance_clock(499)
    assert fault.state(fsim.clock.now_ms()) == "pending"
    control.advance_clock(1)
    got = control.get_order(order["orderId"])
    assert got["order"]["executedQty"] == "0.10000000" and got["order"]["status"] == "PARTIALLY_FILLED"
    assert got["trades"][0]["time"] == fsim.clock.now_ms()
    assert fault.state(fsim.clock.now_ms()) == "exhausted" and fault.log == [f"filled 0.10000000 of order "
                                                                             f"{order['orderId']}"]


def test_partial_fill_of_an_order_closed_meanwhile_gives_up(fsim):
    control = Control(fsim)
    trader = control.create_account(name="trader", balances={"BTC": "1"})["id"]
    order = control.place_order(trader, "BTCUSDT", "SELL", "LIMIT", quantity="0.2", price="66000",
                                time_in_force="GTC")["order"]
    fault = fsim.faults.add({"kind": "partial_fill", "orderId": order["orderId"], "qty": "0.1", "afterMs": 100})
    control.cancel_order(order["orderId"])
    control.advance_clock(100)
    assert fault.state(fsim.clock.now_ms()) == "exhausted" and fault.hits == 0
    assert fault.log == [f"order {order['orderId']} is CANCELED: nothing to fill"]


def test_partial_fill_by_client_id_waits_for_the_order_to_appear(fsim):
    control = Control(fsim)
    trader = control.create_account(name="trader", balances={"BTC": "1"})["id"]
    fault = fsim.faults.add({"kind": "partial_fill", "accountId": trader, "symbol": "BTCUSDT",
                             "clientOrderId": "later-1", "qty": "0.05"})
    assert fault.hits == 0
    order = control.place_order(trader, "BTCUSDT", "SELL", "LIMIT", quantity="0.2", price="66000",
                                time_in_force="GTC", client_order_id="later-1")["order"]
    fsim.tick()
    assert control.get_order(order["orderId"])["order"]["executedQty"] == "0.05000000"
    fsim.tick()  # fires once only
    assert control.get_order(order["orderId"])["order"]["executedQty"] == "0.05000000"


def test_fill_during_cancel_fills_first_so_the_cancel_fails(fsim):
    control = Control(fsim)
    trader = control.create_account(name="trader", balances={"BTC": "1"})["id"]
    order = control.place_order(trader, "BTCUSDT", "SELL", "LIMIT", quantity="0.2", price="66000",
                                time_in_force="GTC")["order"]
    other = control.place_order(trader, "BTCUSDT", "SELL", "LIMIT", quantity="0.1", price="67000",
                                time_in_force="GTC")["order"]
    fault = fsim.faults.add({"kind": "fill_during_cancel", "accountId": trader, "symbol": "BTCUSDT", "count": 1})
    # the hook as the REST cancel handler calls it, then the cancel itself
    assert fsim.faults.before_cancel(trader, "BTCUSDT", order_id=order["orderId"]) is fault
    with pytest.raises(Rejected) as caught:
        fsim.engine.cancel_order(trader, "BTCUSDT", order["orderId"])
    assert caught.value.reason is Reject.UNKNOWN_ORDER
    assert control.get_order(order["orderId"])["order"]["status"] == "FILLED"
    # count used up: the next cancel is a plain cancel
    assert fsim.faults.before_cancel(trader, "BTCUSDT", order_id=other["orderId"]) is None
    assert control.cancel_order(other["orderId"])["order"]["status"] == "CANCELED"
    assert control.audit()["ok"]


def test_fill_during_cancel_ignores_unknown_or_closed_orders(fsim):
    fsim.faults.add({"kind": "fill_during_cancel"})
    assert fsim.faults.before_cancel(1, "BTCUSDT", order_id=12345) is None
    assert fsim.faults.list()[0].hits == 0


def test_every_kind_is_named_in_fault_kinds():
    """The registry declares exactly the kinds whose names the dialects import (simulator.fault_kinds)."""
    assert set(KINDS) == fault_kinds.ALL


# --- windows that start on first hit, passes, filters -------------------------------------------------------
def test_a_first_hit_window_starts_on_the_first_match_and_survives_a_snapshot(fsim):
    faults, clock = fsim.faults, fsim.clock
    fault = faults.add({"kind": "http_error", "durationMs": 1000, "window": "firstHit", "count": 5})
    clock.advance(50_000)
    assert fault.is_active(clock.now_ms()) and fault.ends_at is None and faults.waiting
    restored = frozen_sim()
    restored.faults.restore(faults.state())  # not hit yet: still waiting after a restore
    assert restored.faults.waiting and restored.faults.faults[1].ends_at is None
    assert faults.match("http_error", endpoint="GET /x") is fault
    assert (fault.first_hit_at, fault.ends_at) == (clock.now_ms(), clock.now_ms() + 1000) and not faults.waiting
    shown = Control(fsim).get_fault(1)
    assert (shown["window"], shown["firstHitAt"], shown["endsAt"]) == ("firstHit", fault.first_hit_at, fault.ends_at)
    again = frozen_sim()
    again.faults.restore(faults.state())
    assert again.faults.faults[1].ends_at == fault.ends_at and not again.faults.waiting
    clock.advance(1000)
    assert faults.match("http_error", endpoint="GET /x") is None


def test_a_snapshot_whose_first_hit_and_end_disagree_is_refused(fsim):
    fsim.faults.add({"kind": "http_error", "durationMs": 1000, "window": "firstHit"})
    fsim.faults.match("http_error")
    state = fsim.faults.state()
    state["faults"][0]["ends_at"] += 1
    with pytest.raises(ValueError, match="first hit"):
        frozen_sim().faults.restore(state)
    state["faults"][0].update(ends_at=None, first_hit_at=None, window="start")  # a start window needs its end
    with pytest.raises(ValueError, match="ends at"):
        frozen_sim().faults.restore(state)


def test_seen_starts_the_windows_aimed_at_the_traffic_only(fsim):
    faults, clock = fsim.faults, fsim.clock
    skew = faults.add({"kind": "clock_skew", "ms": 3000, "durationMs": 2000, "window": "firstHit", "accountId": 1})
    by_stream = faults.add({"kind": "ws_silence", "durationMs": 500, "window": "firstHit", "stream": "eth*"})
    assert fsim.clock.skew_ms == 3000  # acts from arming
    faults.seen(account_id=2, endpoint="GET /api/v3/ping")
    faults.seen(stream="btcusdt@trade")
    assert skew.first_hit_at is None and by_stream.first_hit_at is None
    clock.advance(10_000)
    faults.seen(account_id=1)
    assert skew.ends_at == clock.now_ms() + 2000 and by_stream.first_hit_at is None
    clock.advance(2000)
    faults.tick()
    assert fsim.clock.skew_ms == 0 and faults.waiting  # the skew's window is over; the stream's still waits
    faults.seen(stream="ethusdt@depth")
    assert by_stream.ends_at == clock.now_ms() + 500 and not faults.waiting


def test_match_each_consumes_one_count_per_pass_whatever_it_hits(fsim):
    faults = fsim.faults
    first = faults.add({"kind": "ws_close", "stream": "btc*", "count": 1})
    later = faults.add({"kind": "ws_close", "scope": "listenKey", "count": 2})
    calls = {"a": [("btcusdt@trade", None, "stream")], "b": [("btcusdt@depth", None, "stream")],
             "c": [("ethusdt@trade", None, "stream")], "d": [("KEY", 7, "listenKey")]}
    found = faults.match_each("ws_close", calls)
    assert found == {"a": first, "b": first, "d": later}
    assert (first.remaining, first.hits, later.remaining) == (0, 1, 1)
    assert faults.match_each("ws_close", calls) == {"d": later} and later.remaining == 0
    assert faults.match_each("ws_close", calls) == {}


def test_filters_match_only_calls_that_carry_the_value(fsim):
    faults = fsim.faults
    trade = faults.add({"kind": "ws_drop", "event": "executionReport", "execType": "TRADE"})
    account = faults.add({"kind": "ws_duplicate", "event": "outboundAccountPosition"})
    assert faults.match("ws_drop", details={"event": "executionReport", "execType": "NEW"}) is None
    assert faults.match("ws_drop") is None  # a market message carries no event type
    assert faults.match("ws_drop", details={"event": "executionReport", "execType": "TRADE"}) is trade
    assert faults.match("ws_duplicate", details={"event": "outboundAccountPosition", "execType": None}) is account
    after = faults.add({"kind": "http_latency", "ms": 5, "phase": "after"})
    assert faults.match("http_latency") is None  # the hook before the handler says nothing: "before"
    assert faults.match("http_latency", details={"phase": "after"}) is after
    assert after.hits == 1
