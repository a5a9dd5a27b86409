"""Stop orders wait off the book and trigger on the last trade price (never on quotes)."""
from __future__ import annotations

import pytest

from simulator.engine.rejection import Reject

from tests.engine.helpers import Recorder, a, fingerprint, free, funded, limit, locked, new_engine, rejects


@pytest.fixture
def env():
    engine, _ = new_engine()
    printer = funded(engine, USDT="1000000", BTC="1000")  # prints trades at chosen prices
    mm = funded(engine, USDT="1000000", BTC="1000")  # rests liquidity
    return engine, printer, mm


def print_trade(engine, printer, price, qty="0.02"):
    """A trade at exactly `price`: the printer rests a sell there and lifts it itself, with STP off."""
    limit(engine, printer, "SELL", price, qty)
    result = limit(engine, printer, "BUY", price, qty, tif="IOC", stp="NONE")
    assert result.trades and result.trades[-1].price == a(price)
    return result


def stop(engine, account, side, type_, stop_price, qty="1", price=None, tif=None):
    kwargs = dict(qty=a(qty), stop_price=a(stop_price))
    if price is not None:
        kwargs.update(price=a(price), tif=tif or "GTC")
    return engine.place_order(account, "BTCUSDT", side, type_, **kwargs).order


def test_stop_loss_sell_waits_off_the_book_then_sells_at_market(env):
    engine, printer, mm = env
    print_trade(engine, printer, "100")
    limit(engine, mm, "BUY", "95", "2")
    trader = funded(engine, BTC="1")
    update_id = engine.depth("BTCUSDT", 5)[0]
    order = stop(engine, trader, "SELL", "STOP_LOSS", "96")
    assert order.status == "NEW" and not order.is_working
    assert engine.depth("BTCUSDT", 5)[0] == update_id  # not on the book
    assert locked(engine, trader, "BTC") == a("1")
    print_trade(engine, printer, "96.01")
    assert order.status == "NEW" and not order.is_working
    recorder = Recorder(engine)
    result = print_trade(engine, printer, "96")
    assert result.trades[-1].price == a("96")
    assert order.status == "FILLED" and order.cum_quote == a("95") and order.is_working
    # the trigger is reported as the order starting to work, then its trade
    mine = [e for e in recorder.of("order") if e.order is order]
    assert [(e.exec_type, e.status) for e in mine] == [("NEW", "NEW"), ("TRADE", "FILLED")]
    assert locked(engine, trader, "BTC") == 0 and free(engine, trader, "USDT") == a("95") - a("0.095")


def test_quotes_alone_never_trigger_a_stop(env):
    engine, printer, mm = env
    print_trade(engine, printer, "100")
    trader = funded(engine, BTC="1", USDT="1000")
    sell = stop(engine, trader, "SELL", "STOP_LOSS", "96")
    buy = stop(engine, trader, "BUY", "STOP_LOSS", "104")
    limit(engine, mm, "BUY", "90", "1")  # the best bid far below the sell stop
    limit(engine, mm, "SELL", "110", "1")  # the best ask far above the buy stop
    engine.cancel_all(mm, "BTCUSDT")
    assert sell.status == buy.status == "NEW" and not sell.is_working and not buy.is_working


def test_stop_loss_buy_relocks_at_the_real_cost_when_triggered(env):
    engine, printer, mm = env
    print_trade(engine, printer, "100")
    limit(engine, mm, "SELL", "105", "1")
    trader = funded(engine, USDT="200")
    order = stop(engine, trader, "BUY", "STOP_LOSS", "104")
    assert locked(engine, trader, "USDT") == a("104")  # held at the stop price while it waits
    print_trade(engine, printer, "104")
    assert order.status == "FILLED" and order.cum_quote == a("105")
    assert (free(engine, trader, "USDT"), locked(engine, trader, "USDT")) == (a("95"), 0)


def test_a_triggered_buy_that_cannot_pay_expires(env):
    engine, printer, mm = env
    print_trade(engine, printer, "100")
    limit(engine, mm, "SELL", "105", "1")
    trader = funded(engine, USDT="104")
    order = stop(engine, trader, "BUY", "STOP_LOSS", "104")
    print_trade(engine, printer, "104")
    assert order.status == "EXPIRED" and order.expiry_reason == "INSUFFICIENT_BALANCE"
    assert (free(engine, trader, "USDT"), locked(engine, trader, "USDT")) == (a("104"), 0)


def test_take_profit_triggers_the_other_way(env):
    engine, printer, mm = env
    print_trade(engine, printer, "100")
    limit(engine, mm, "BUY", "99", "5")
    limit(engine, mm, "SELL", "101", "5")
    trader = funded(engine, BTC="1", USDT="1000")
    sell = stop(engine, trader, "SELL", "TAKE_PROFIT", "100.5")  # fires when the price rises to 100.5
    buy = stop(engine, trader, "BUY", "TAKE_PROFIT", "98.5")  # fires when the price falls to 98.5
    print_trade(engine, printer, "100.49")
    assert sell.status == buy.status == "NEW"
    print_trade(engine, printer, "100.5")
    # the sell fired and traded at the best bid, 99: not low enough for the buy
    assert sell.status == "FILLED" and sell.cum_quote == a("99") and buy.status == "NEW"
    engine.cancel_all(mm, "BTCUSDT")
    limit(engine, mm, "SELL", "101", "5")
    print_trade(engine, printer, "98.51")
    assert buy.status == "NEW"
    print_trade(engine, printer, "98.5")
    assert buy.status == "FILLED" and buy.cum_quote == a("101")


def test_stop_loss_limit_rests_at_its_limit_when_triggered(env):
    engine, printer, mm = env
    print_trade(engine, printer, "100")
    limit(engine, mm, "BUY", "95", "1")
    trader = funded(engine, BTC="1")
    order = stop(engine, trader, "SELL", "STOP_LOSS_LIMIT", "96", price="95.5")
    print_trade(engine, printer, "96")
    assert order.status == "NEW" and order.is_working and order.executed == 0
    _, bids, asks = engine.depth("BTCUSDT", 5)
    assert asks == [(a("95.5"), a("1"))] and bids == [(a("95"), a("1"))]
    assert locked(engine, trader, "BTC") == a("1")
    # it is now an ordinary resting limit order
    limit(engine, mm, "BUY", "95.5", "0.4")
    assert order.status == "PARTIALLY_FILLED" and order.executed == a("0.4")


def test_take_profit_limit_with_ioc_takes_what_it_can(env):
    engine, printer, mm = env
    print_trade(engine, printer, "100")
    limit(engine, mm, "SELL", "101", "0.3")
    limit(engine, mm, "SELL", "103", "1")
    trader = funded(engine, USDT="1000")
    order = stop(engine, trader, "BUY", "TAKE_PROFIT_LIMIT", "99", price="102", tif="IOC")
    assert locked(engine, trader, "USDT") == a("102")
    print_trade(engine, printer, "99")
    assert order.status == "EXPIRED" and order.executed == a("0.3") and order.cum_quote == a("30.3")
    assert locked(engine, trader, "USDT") == 0 and free(engine, trader, "USDT") == a("1000") - a("30.3")


def test_a_stop_that_would_trigger_immediately_is_rejected(env):
    engine, printer, _ = env
    trader = funded(engine, BTC="10", USDT="10000")
    # before the first trade there is no last price: any stop is accepted
    stop(engine, trader, "BUY", "STOP_LOSS", "500")
    print_trade(engine, printer, "100")
    before = fingerprint(engine)
    for side, type_, stop_price in [("SELL", "STOP_LOSS", "100"), ("SELL", "STOP_LOSS", "100.01"),
                                    ("BUY", "STOP_LOSS", "100"), ("BUY", "STOP_LOSS", "99.99"),
                                    ("SELL", "TAKE_PROFIT", "100"), ("BUY", "TAKE_PROFIT", "100.01")]:
        rejects(Reject.WOULD_TRIGGER_IMMEDIATELY, stop, engine, trader, side, type_, stop_price)
    rejects(Reject.WOULD_TRIGGER_IMMEDIATELY, stop, engine, trader, "SELL", "STOP_LOSS_LIMIT", "100.5",
            price="100")
    assert fingerprint(engine) == before
    for side, type_, stop_price in [("SELL", "STOP_LOSS", "99.99"), ("BUY", "STOP_LOSS", "100.01"),
                                    ("SELL", "TAKE_PROFIT", "100.01"), ("BUY", "TAKE_PROFIT", "99.99")]:
        assert stop(engine, trader, side, type_, stop_price).status == "NEW"


def test_canceling_a_pending_stop_releases_its_lock_without_touching_the_book(env):
    engine, printer, _ = env
    print_trade(engine, printer, "100")
    trader = funded(engine, USDT="1000")
    order = stop(engine, trader, "BUY", "STOP_LOSS_LIMIT", "105", price="106")
    assert locked(engine, trader, "USDT") == a("106")
    recorder = Recorder(engine)
    update_id = engine.depth("BTCUSDT", 5)[0]
    engine.cancel_order(trader, "BTCUSDT", order.order_id)
    assert order.status == "CANCELED" and order.order_id not in engine.books["BTCUSDT"].stops
    assert (free(engine, trader, "USDT"), locked(engine, trader, "USDT")) == (a("1000"), 0)
    assert engine.depth("BTCUSDT", 5)[0] == update_id and "depth" not in recorder.kinds()
    print_trade(engine, printer, "110")
    assert order.status == "CANCELED"


def test_one_stops_fill_can_trigger_the_next(env):
    engine, printer, mm = env
    print_trade(engine, printer, "100")
    limit(engine, mm, "BUY", "95", "1")
    limit(engine, mm, "BUY", "94", "1")
    first_trader, second_trader = funded(engine, BTC="1"), funded(engine, BTC="1")
    first = stop(engine, first_trader, "SELL", "STOP_LOSS", "96")
    second = stop(engine, second_trader, "SELL", "STOP_LOSS", "95")
    print_trade(engine, printer, "96")  # fires the first, whose trade at 95 fires the second
    assert first.cum_quote == a("95") and second.cum_quote == a("94")
    assert engine.market["BTCUSDT"].last_price == a("94")


def test_stops_fired_together_work_in_order_id_order(env):
    engine, printer, mm = env
    print_trade(engine, printer, "100")
    limit(engine, mm, "BUY", "95", "1")
    limit(engine, mm, "BUY", "94", "1")
    late_trader, early_trader = funded(engine, BTC="1"), funded(engine, BTC="1")
    early = stop(engine, early_trader, "SELL", "STOP_LOSS", "97")  # placed first, lower stop
    late = stop(engine, late_trader, "SELL", "STOP_LOSS", "98")
    print_trade(engine, printer, "96")
    assert early.cum_quote == a("95") and late.cum_quote == a("94")
    assert early.order_id < late.order_id
