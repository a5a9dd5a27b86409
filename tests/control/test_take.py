"""'Take N of a resting order': exactly N of that order trades at its price, and nothing else in the book moves,
whatever sits ahead of it by price or by time."""
from __future__ import annotations

import pytest

from simulator.control.api import Control
from simulator.control.errors import ControlError
from simulator.engine.audit import audit


@pytest.fixture
def book(fsim):
    """Three bid levels; the target is the second order in the queue at the middle level."""
    c = Control(fsim)
    ids = {}
    for name in ("alice", "bob", "carol"):
        ids[name] = c.create_account(name=name, balances={"USDT": "1000000"})["id"]
    orders = {
        "best": c.place_order(ids["alice"], "BTCUSDT", "BUY", "LIMIT", quantity="0.5", price="65010",
                              time_in_force="GTC")["order"],
        "ahead": c.place_order(ids["alice"], "BTCUSDT", "BUY", "LIMIT", quantity="0.4", price="65000",
                               time_in_force="GTC")["order"],
        "target": c.place_order(ids["bob"], "BTCUSDT", "BUY", "LIMIT", quantity="0.3", price="65000",
                                time_in_force="GTC")["order"],
        "behind": c.place_order(ids["carol"], "BTCUSDT", "BUY", "LIMIT", quantity="0.2", price="65000",
                                time_in_force="GTC")["order"],
        "worse": c.place_order(ids["carol"], "BTCUSDT", "BUY", "LIMIT", quantity="0.1", price="64990",
                               time_in_force="GTC")["order"],
    }
    return c, ids, orders


def test_take_fills_only_the_target_at_its_price(fsim, book):
    c, ids, orders = book
    depth_before = fsim.engine.depth("BTCUSDT", 10)
    seq = fsim.engine.seq
    result = c.take(orders["target"]["orderId"], "0.1")
    assert result["order"]["status"] == "PARTIALLY_FILLED"
    assert result["order"]["executedQty"] == "0.10000000"
    [trade] = result["trades"]
    assert trade["price"] == "65000.00000000" and trade["qty"] == "0.10000000"
    assert trade["buyerOrderId"] == orders["target"]["orderId"] and trade["buyerIsMaker"] is True
    assert result["taker"]["status"] == "FILLED" and result["taker"]["side"] == "SELL"
    for name in ("best", "ahead", "behind", "worse"):
        assert c.get_order(orders[name]["orderId"])["order"]["executedQty"] == "0.00000000", name
    # the queue keeps its order; only the level's quantity moved
    level = fsim.engine.books["BTCUSDT"].bids.level(fsim.engine.instruments["BTCUSDT"].parse_price("65000"))
    assert list(level.orders) == [orders[n]["orderId"] for n in ("ahead", "target", "behind")]
    _, bids_after, _ = fsim.engine.depth("BTCUSDT", 10)
    assert [q for _, q in bids_after] == [q - (10_000_000 if p == 6_500_000_000_000 else 0)
                                          for p, q in depth_before[1]]
    # the usual event order: taker NEW, trade, maker TRADE, taker TRADE, balances, one depth update
    kinds = [(e.kind, getattr(e, "exec_type", "")) for e in fsim.recent_events if e.seq > seq]
    assert kinds[:5] == [("balance", ""), ("order", "NEW"), ("trade", ""), ("order", "TRADE"), ("order", "TRADE")]
    assert kinds[-1] == ("depth", "")
    assert audit(fsim.engine) == []


def test_take_the_rest_fills_the_order_and_funds_the_counterparty_only_as_needed(fsim, book):
    c, ids, orders = book
    target = orders["target"]["orderId"]
    before = fsim.engine.deposits["BTC"]  # the demo account's
    c.take(target, "0.1")
    cp = fsim.counterparty.account_id
    assert fsim.engine.deposits["BTC"] - before == 10_000_000  # exactly what the first take needed
    result = c.take(target, "0.2")
    assert result["order"]["status"] == "FILLED"
    assert fsim.engine.deposits["BTC"] - before == 30_000_000
    assert fsim.engine.accounts[cp].free("BTC") == 0
    assert c.get_order(orders["ahead"]["orderId"])["order"]["status"] == "NEW"
    assert audit(fsim.engine) == []


def test_take_a_sell_buys_from_it(fsim):
    c = Control(fsim)
    seller = c.create_account(name="seller", balances={"BTC": "1"})["id"]
    first = c.place_order(seller, "BTCUSDT", "SELL", "LIMIT", quantity="0.2", price="65000",
                          time_in_force="GTC")["order"]
    target = c.place_order(seller, "BTCUSDT", "SELL", "LIMIT", quantity="0.2", price="65000",
                           time_in_force="GTC")["order"]
    result = c.take(target["orderId"], "0.05")
    assert result["taker"]["side"] == "BUY"
    assert c.get_order(first["orderId"])["order"]["executedQty"] == "0.00000000"
    assert c.get_account(seller)["balances"]["USDT"]["free"] == "3246.75000000"  # 3250 less 0.1% fee


@pytest.mark.parametrize("qty, code", [("0.5", "bad_request"), ("0.000001", "bad_request"),
                                       ("0.000005", "bad_request"), ("0", "bad_request")])
def test_bad_quantities_are_refused_before_anything_changes(fsim, book, qty, code):
    c, ids, orders = book
    seq = fsim.engine.seq
    with pytest.raises(ControlError) as caught:
        c.take(orders["target"]["orderId"], qty)
    assert caught.value.code == code
    assert fsim.engine.seq == seq and fsim.counterparty.account_id is None


def test_closed_stop_and_unknown_orders_cannot_be_taken(fsim, book):
    c, ids, orders = book
    c.cancel_order(orders["worse"]["orderId"])
    with pytest.raises(ControlError, match="is CANCELED"):
        c.take(orders["worse"]["orderId"], "0.1")
    with pytest.raises(ControlError) as caught:
        c.take(999, "0.1")
    assert caught.value.status == 404
    # a stop order waiting for its trigger is not on the book
    c.take(orders["best"]["orderId"], "0.1")  # makes a last price, so stops can be placed
    stop = c.place_order(ids["alice"], "BTCUSDT", "BUY", "STOP_LOSS_LIMIT", quantity="0.1", price="70000",
                         stop_price="69000", time_in_force="GTC")["order"]
    with pytest.raises(ControlError, match="not on the book"):
        c.take(stop["orderId"], "0.1")


def test_take_on_a_halted_symbol_is_refused(fsim, book):
    c, ids, orders = book
    fsim.faults.add({"kind": "halt", "symbol": "BTCUSDT"})
    with pytest.raises(ControlError, match="HALT"):
        c.take(orders["target"]["orderId"], "0.1")
