"""A MARKET order sized in quote (quoteOrderQty) walks several levels: its budget and its balance both bind.

The budget decides how much the order buys or sells; the balance is then checked against what that plan costs
(a buy) or sells (a sell), every level of it included.
"""
from __future__ import annotations

import pytest

from simulator.engine.audit import audit
from simulator.engine.rejection import Reject

from tests.engine.helpers import a, fingerprint, free, funded, limit, locked, new_engine, rejects


@pytest.fixture
def asks():
    """Asks of 1 BTC at 100, 101 and 102 from one market maker."""
    engine, _ = new_engine()
    mm = funded(engine, BTC="10")
    for price in ("100", "101", "102"):
        limit(engine, mm, "SELL", price, "1")
    return engine, mm


@pytest.fixture
def bids():
    """Bids of 1 BTC at 100, 99 and 98 from one market maker."""
    engine, _ = new_engine()
    mm = funded(engine, USDT="1000")
    for price in ("100", "99", "98"):
        limit(engine, mm, "BUY", price, "1")
    return engine, mm


def market(engine, account, side, quote):
    return engine.place_order(account, "BTCUSDT", side, "MARKET", quote_qty=a(quote))


def test_a_quote_buy_over_several_levels_pays_for_every_level(asks):
    engine, mm = asks
    # 300 buys 1 at 100, 1 at 101 and 0.970 at 102 (98.94): 299.94 in all, 0.06 short of a further step
    buyer = funded(engine, USDT="299.94")
    result = market(engine, buyer, "BUY", "300")
    order = result.order
    assert [(t.price, t.qty) for t in result.trades] == [(a("100"), a("1")), (a("101"), a("1")),
                                                         (a("102"), a("0.97"))]
    assert (order.qty, order.executed, order.cum_quote) == (a("2.97"), a("2.97"), a("299.94"))
    assert order.status == "FILLED" and order.quote_qty == a("300")
    assert (free(engine, buyer, "USDT"), locked(engine, buyer, "USDT")) == (0, 0)
    assert free(engine, buyer, "BTC") == a("2.97") - sum(t.buyer_fee for t in result.trades)
    assert audit(engine) == []


def test_a_quote_buy_whose_plan_costs_more_than_the_balance_is_refused(asks):
    engine, mm = asks
    buyer = funded(engine, USDT="299.93")  # one atom less than the three levels cost
    before = fingerprint(engine)
    rejects(Reject.INSUFFICIENT_BALANCE, market, engine, buyer, "BUY", "300")
    assert fingerprint(engine) == before
    # well short of the last level's cost too: the earlier levels' cost counts
    poor = funded(engine, USDT="250")
    rejects(Reject.INSUFFICIENT_BALANCE, market, engine, poor, "BUY", "300")
    assert free(engine, poor, "USDT") == a("250") and engine.depth("BTCUSDT", 5)[2][0] == (a("100"), a("1"))


def test_a_quote_buy_spends_its_budget_not_its_balance(asks):
    engine, mm = asks
    buyer = funded(engine, USDT="1000")
    result = market(engine, buyer, "BUY", "150.5")  # 1 at 100, then 50.5 // 101 -> 0.5 at 101 (50.5)
    assert [(t.price, t.qty) for t in result.trades] == [(a("100"), a("1")), (a("101"), a("0.5"))]
    assert result.order.cum_quote == a("150.5")
    assert (free(engine, buyer, "USDT"), locked(engine, buyer, "USDT")) == (a("849.5"), 0)
    assert engine.depth("BTCUSDT", 5)[2] == [(a("101"), a("0.5")), (a("102"), a("1"))]


def test_a_quote_sell_over_several_levels_sells_what_the_budget_asks(bids):
    engine, mm = bids
    # 250 receives 100 + 99, then 51 // 98 -> 0.520 at 98 (50.96): 2.52 BTC sold for 249.96
    seller = funded(engine, BTC="2.52")
    result = market(engine, seller, "SELL", "250")
    assert [(t.price, t.qty) for t in result.trades] == [(a("100"), a("1")), (a("99"), a("1")),
                                                         (a("98"), a("0.52"))]
    assert result.order.cum_quote == a("249.96") and result.order.status == "FILLED"
    assert (free(engine, seller, "BTC"), locked(engine, seller, "BTC")) == (0, 0)
    assert free(engine, seller, "USDT") == a("249.96") - sum(t.seller_fee for t in result.trades)
    assert audit(engine) == []


def test_a_quote_sell_needs_the_base_its_whole_plan_sells(bids):
    engine, mm = bids
    seller = funded(engine, BTC="2.519")
    before = fingerprint(engine)
    rejects(Reject.INSUFFICIENT_BALANCE, market, engine, seller, "SELL", "250")
    assert fingerprint(engine) == before


def test_a_quote_sell_goes_on_to_a_lower_bid_when_the_rest_of_its_budget_buys_no_step_at_a_higher_one():
    """Selling for quote, a lower bid may still take a step of what is left when a higher one no longer can."""
    engine, _ = new_engine()
    mm = funded(engine, USDT="1000")
    limit(engine, mm, "BUY", "100", "1")
    limit(engine, mm, "BUY", "100", "1")
    limit(engine, mm, "BUY", "60", "1")
    seller = funded(engine, BTC="5")
    # 100.08 sells 1 at 100; the 0.08 left is short of a step at 100 (0.1) but pays for one at 60 (0.06)
    result = market(engine, seller, "SELL", "100.08")
    assert [(t.price, t.qty) for t in result.trades] == [(a("100"), a("1")), (a("60"), a("0.001"))]
    assert result.order.status == "FILLED" and result.order.cum_quote == a("100.06")
