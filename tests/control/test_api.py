"""The in-process control plane: each operation's answer, and refusals that leave nothing half applied."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.control.api import Control, signature_of
from simulator.control.routes import ROUTES
from simulator.control.errors import ControlError


def refused(fn, *args, **kwargs) -> ControlError:
    with pytest.raises(ControlError) as caught:
        fn(*args, **kwargs)
    return caught.value


def test_every_route_names_a_control_method_with_matching_arguments():
    for route in ROUTES:
        params = set(signature_of(route.op).parameters) - {"self"}
        named = {kwarg for _, kwarg in route.body} | {kwarg for _, kwarg, _ in route.query}
        named |= {p.strip("{}") for p in route.path.split("/") if p.startswith("{")}
        if route.body_is:
            named.add(route.body_is)
        assert named == params, route.op


def test_create_account_with_keys_and_balances(control):
    created = control.create_account(name="alice", balances={"USDT": "1000.5", "BTC": Decimal("0.25")},
                                     fee_tier=1)
    assert created["apiKey"] and created["secret"] and created["feeTier"] == 1
    shown = control.get_account(created["id"])
    assert shown["balances"] == {"BTC": {"free": "0.25000000", "locked": "0.00000000"},
                                 "USDT": {"free": "1000.50000000", "locked": "0.00000000"}}
    assert shown["apiKeys"] == [{"apiKey": created["apiKey"], "secret": created["secret"]}]
    given = control.create_account(name="bob", api_key="bob-key", secret="bob-secret")
    assert (given["apiKey"], given["secret"]) == ("bob-key", "bob-secret")
    assert control.sim.keys.get("bob-key").account_id == given["id"]
    names = [a["name"] for a in control.list_accounts()["accounts"]]
    assert names[-2:] == ["alice", "bob"]


@pytest.mark.parametrize("kwargs, code, words", [
    ({"balances": {"USDT": "1", "BTC": "0.000000001"}}, "bad_request", "more than 8 decimals"),
    ({"balances": {"USDT": 1.5}}, "bad_request", "not floats"),
    ({"balances": {"USDT": "-1"}}, "bad_request", "negative"),
    ({"balances": {"US DT": "1"}}, "bad_request", "not an asset name"),
    ({"fee_tier": 7}, "bad_request", "no fee tier 7"),
    ({"api_key": "demo-api-key"}, "api_key_taken", "another account"),
    ({"api_key": "bad key!"}, "bad_request", "apiKey"),
    ({"name": "demo"}, "account_name_taken", "exists already"),
])
def test_bad_account_requests_create_nothing(control, kwargs, code, words):
    before = len(control.engine.accounts)
    error = refused(control.create_account, **kwargs)
    assert error.code == code and words in error.message and 400 <= error.status < 500
    assert len(control.engine.accounts) == before


def test_deposit_withdraw_and_fee_tier(control):
    account = control.create_account(name="alice")["id"]
    assert control.deposit(account, "usdt", "100")["balance"] == {"free": "100.00000000", "locked": "0.00000000"}
    assert control.withdraw(account, "USDT", "40")["balance"]["free"] == "60.00000000"
    error = refused(control.withdraw, account, "USDT", "61")
    assert error.code == "insufficient_balance" and error.status == 409
    assert refused(control.deposit, account, "USDT", "0").code == "bad_request"
    assert refused(control.deposit, 999, "USDT", "1").status == 404
    assert control.set_fee_tier(account, 2)["feeTier"] == 2
    assert refused(control.set_fee_tier, account, 3).code == "bad_request"
    assert control.get_account(account)["balances"]["USDT"]["free"] == "60.00000000"


def test_clock_read_advance_and_skew(control):
    start = control.clock()
    assert start["frozen"] is True and start["skewMs"] == 0
    assert control.advance_clock(1500)["now"] == start["now"] + 1500
    skewed = control.set_skew(-700)
    assert skewed["serverTime"] == skewed["now"] - 700
    assert refused(control.advance_clock, -1).code == "bad_request"


def test_orders_place_cancel_list_and_rejections(control):
    trader = control.create_account(name="trader", balances={"USDT": "10000"})["id"]
    placed = control.place_order(trader, "btcusdt", "BUY", "LIMIT", quantity="0.1", price="60000",
                                 time_in_force="GTC", client_order_id="mine-1")
    order = placed["order"]
    assert (order["status"], order["clientOrderId"], order["price"]) == ("NEW", "mine-1", "60000.00000000")
    assert [o["orderId"] for o in control.list_orders(account_id=trader)["orders"]] == [order["orderId"]]
    error = refused(control.place_order, trader, "BTCUSDT", "BUY", "LIMIT", quantity="1", price="60000",
                    time_in_force="GTC")
    assert (error.code, error.extra["reason"]) == ("order_rejected", "INSUFFICIENT_BALANCE")
    assert refused(control.place_order, trader, "BTCUSDT", "UP", "LIMIT").code == "bad_request"
    assert refused(control.place_order, trader, "XXXUSDT", "BUY", "LIMIT").status == 404
    assert refused(control.place_order, trader, "BTCUSDT", "BUY", "LIMIT", quantity="0.1",
                   price="60000.000000001").code == "bad_request"
    assert control.cancel_order(order["orderId"])["order"]["status"] == "CANCELED"
    assert refused(control.cancel_order, order["orderId"]).code == "order_not_open"
    assert control.list_orders(account_id=trader)["orders"] == []
    assert len(control.list_orders(account_id=trader, open_only=False)["orders"]) == 1


def test_funding_needs_a_mark_price(control):
    # quiet: no market maker, so no index yet: nothing settles, and one symbol asked for by name is refused
    assert control.settle_funding()["settled"] == []
    error = refused(control.settle_funding, "BTCUSDT")
    assert error.code == "no_mark_price" and error.status == 409
    assert refused(control.settle_funding, "DOGEUSDT").code == "unknown_perpetual"


def test_index_price_moves_the_makers_quotes(msim):
    control = Control(msim)
    msim.tick()
    mm = msim.market_maker
    assert control.prices()["prices"]["BTCUSDT"]["walking"] is True
    control.set_walk(False, "BTCUSDT")
    assert control.prices()["prices"]["BTCUSDT"]["walking"] is False
    control.set_index("BTCUSDT", "50000")
    bids = msim.engine.depth("BTCUSDT", 1)[1]
    asks = msim.engine.depth("BTCUSDT", 1)[2]
    assert bids[0][0] < 50000 * 10**8 < asks[0][0] < 50100 * 10**8  # requoted around the new index at once
    assert control.prices()["prices"]["BTCUSDT"]["index"] == "50000.00000000"
    assert refused(control.set_index, "BTCUSDT", "0").code == "bad_request"
    msim.tick()
    assert mm.index.prices["BTCUSDT"] == 50000 * 10**8  # the walk is off for it


def test_market_maker_pause_cancels_its_quotes_and_resume_requotes(msim):
    control = Control(msim)
    msim.tick()
    mm_account = msim.market_maker.account_id
    assert msim.engine.open_orders(mm_account)
    control.set_market_maker(False)
    assert msim.engine.open_orders(mm_account) == []
    msim.clock.advance(5000)
    msim.tick()
    assert msim.engine.open_orders(mm_account) == []  # paused: no requotes, no trades
    control.set_market_maker(True)
    assert msim.engine.open_orders(mm_account)


def test_prices_without_a_market_maker(control):
    assert control.prices() == {"marketMaker": None, "prices": {}}
    assert refused(control.set_index, "BTCUSDT", "1").code == "no_market_maker"


def test_events_after_a_sequence_number(control):
    first = control.events()["lastSeq"]
    account = control.create_account(name="alice", balances={"USDT": "5"})["id"]
    page = control.events(after=first)
    assert [e["kind"] for e in page["events"]] == ["balance"]
    assert page["events"][0]["account_id"] == account and page["lastSeq"] == first + 1 and not page["gap"]
    assert control.events(after=first, kind="order")["events"] == []
    assert control.events(after=0, limit=1)["events"][0]["seq"] == 1


def test_symbols_and_status(control):
    assert control.symbols()["symbols"]["BTCUSDT"]["status"] == "TRADING"
    assert control.set_symbol_status("BTCUSDT", "BREAK")["status"] == "BREAK"
    assert refused(control.set_symbol_status, "BTCUSDT", "CLOSED").code == "bad_request"


def test_audit_and_limits(control):
    assert control.audit() == {"ok": True, "problems": []}
    limits = control.limits()
    assert limits["forced"] is None and limits["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"
