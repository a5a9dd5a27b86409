"""Order types and time in force: LIMIT GTC/IOC/FOK, MARKET by base or quote, LIMIT_MAKER, and priority."""
from __future__ import annotations

import pytest

from simulator.engine.rejection import Reject

from tests.engine.helpers import (Recorder, a, fingerprint, free, funded, limit, locked, make_spec, new_engine,
                                  rejects)


@pytest.fixture
def env():
    engine, clock = new_engine()
    maker = funded(engine, USDT="100000", BTC="100")
    taker = funded(engine, USDT="100000", BTC="100")
    return engine, maker, taker


def asks(engine, *levels):
    maker = funded(engine, BTC="1000")
    return [limit(engine, maker, "SELL", price, qty).order for price, qty in levels]


def bids(engine, *levels):
    maker = funded(engine, USDT="10000000")
    return [limit(engine, maker, "BUY", price, qty).order for price, qty in levels]


def test_gtc_limit_rests_on_the_book(env):
    engine, maker, _ = env
    order = limit(engine, maker, "BUY", "99", "1.5").order
    assert order.status == "NEW" and order.is_working
    _, book_bids, book_asks = engine.depth("BTCUSDT", 10)
    assert book_bids == [(a("99"), a("1.5"))] and book_asks == []
    assert engine.open_orders(maker, "BTCUSDT") == [order]


def test_gtc_limit_trades_what_crosses_and_rests_the_rest(env):
    engine, _, taker = env
    asks(engine, ("100", "1"), ("101", "1"))
    result = limit(engine, taker, "BUY", "100.5", "3")
    assert [(t.price, t.qty) for t in result.trades] == [(a("100"), a("1"))]
    assert result.order.status == "PARTIALLY_FILLED" and result.order.remaining == a("2")
    _, book_bids, book_asks = engine.depth("BTCUSDT", 10)
    assert book_bids == [(a("100.5"), a("2"))] and book_asks == [(a("101"), a("1"))]


def test_ioc_fills_what_it_can_and_expires_the_rest(env):
    engine, _, taker = env
    asks(engine, ("100", "1"), ("101", "1"), ("102", "1"))
    result = limit(engine, taker, "BUY", "101", "5", tif="IOC")
    assert [t.price for t in result.trades] == [a("100"), a("101")]
    assert result.order.status == "EXPIRED" and result.order.executed == a("2")
    assert result.order.expiry_reason == "UNFILLED_IOC_QUANTITY_EXPIRED"
    _, book_bids, book_asks = engine.depth("BTCUSDT", 10)
    assert book_bids == [] and book_asks == [(a("102"), a("1"))]


def test_ioc_with_nothing_to_take_expires_untouched(env):
    engine, _, taker = env
    asks(engine, ("100", "1"))
    result = limit(engine, taker, "BUY", "99", "1", tif="IOC")
    assert result.trades == [] and result.order.status == "EXPIRED" and result.order.executed == 0
    assert engine.depth("BTCUSDT", 5)[1] == []


def test_fok_expires_whole_when_it_cannot_fill_completely(env):
    engine, _, taker = env
    resting = asks(engine, ("100", "1"), ("101", "1"))
    recorder = Recorder(engine)
    result = limit(engine, taker, "BUY", "101", "2.001", tif="FOK")
    assert result.trades == [] and result.order.status == "EXPIRED" and result.order.executed == 0
    assert result.order.expiry_reason == "UNFILLED_FOK_ORDER_EXPIRED"
    assert all(o.status == "NEW" and o.executed == 0 for o in resting)
    assert "trade" not in recorder.kinds() and "depth" not in recorder.kinds()
    assert locked(engine, taker, "USDT") == 0 and free(engine, taker, "USDT") == a("100000")


def test_fok_fills_completely_across_levels(env):
    engine, _, taker = env
    asks(engine, ("100", "1"), ("101", "1"))
    result = limit(engine, taker, "BUY", "101", "2", tif="FOK")
    assert [t.price for t in result.trades] == [a("100"), a("101")]
    assert result.order.status == "FILLED" and result.order.cum_quote == a("201")


def test_market_by_quantity_walks_the_book(env):
    engine, _, taker = env
    asks(engine, ("100", "1"), ("101", "1"), ("102", "1"))
    result = engine.place_order(taker, "BTCUSDT", "BUY", "MARKET", qty=a("2.5"))
    assert [(t.price, t.qty) for t in result.trades] == [(a("100"), a("1")), (a("101"), a("1")),
                                                         (a("102"), a("0.5"))]
    assert result.order.status == "FILLED" and result.order.cum_quote == a("252")
    assert result.order.price == 0


def test_market_larger_than_the_book_expires_the_rest(env):
    engine, _, taker = env
    bids(engine, ("99", "1"), ("98", "1"))
    result = engine.place_order(taker, "BTCUSDT", "SELL", "MARKET", qty=a("3"))
    assert result.order.executed == a("2") and result.order.status == "EXPIRED"
    assert result.order.expiry_reason == "INSUFFICIENT_LIQUIDITY"
    assert locked(engine, taker, "BTC") == 0 and free(engine, taker, "BTC") == a("98")


def test_market_buy_by_quote_amount_spends_at_most_the_budget(env):
    engine, _, taker = env
    asks(engine, ("100", "1"), ("101", "1"))
    result = engine.place_order(taker, "BTCUSDT", "BUY", "MARKET", quote_qty=a("150"))
    # 1 at 100, then 50 / 101 = 0.4950.. rounded down to the 0.001 step: 0.495 at 101 = 49.995
    assert [(t.price, t.qty) for t in result.trades] == [(a("100"), a("1")), (a("101"), a("0.495"))]
    order = result.order
    assert order.qty == order.executed == a("1.495") and order.status == "FILLED"
    assert order.cum_quote == a("149.995") and order.quote_qty == a("150")
    assert free(engine, taker, "USDT") == a("100000") - a("149.995") and locked(engine, taker, "USDT") == 0


def test_market_sell_by_quote_amount_receives_at_most_the_amount(env):
    engine, _, taker = env
    bids(engine, ("100", "1"), ("99", "1"))
    result = engine.place_order(taker, "BTCUSDT", "SELL", "MARKET", quote_qty=a("150"))
    # 1 at 100, then 50 / 99 = 0.5050.. -> 0.505 at 99 = 49.995
    assert [(t.price, t.qty) for t in result.trades] == [(a("100"), a("1")), (a("99"), a("0.505"))]
    assert result.order.cum_quote == a("149.995") and result.order.status == "FILLED"


def test_market_against_an_empty_side_is_refused(env):
    engine, maker, taker = env
    limit(engine, maker, "BUY", "99", "1")  # the other side has liquidity, this one has none
    before = fingerprint(engine)
    rejects(Reject.NO_LIQUIDITY, engine.place_order, taker, "BTCUSDT", "BUY", "MARKET", qty=a("1"))
    rejects(Reject.NO_LIQUIDITY, engine.place_order, taker, "BTCUSDT", "BUY", "MARKET", quote_qty=a("10"))
    assert fingerprint(engine) == before
    asks(engine, ("2000", "1"))
    # a budget that cannot buy one 0.001 step at the best price finds no liquidity either
    rejects(Reject.NO_LIQUIDITY, engine.place_order, taker, "BTCUSDT", "BUY", "MARKET", quote_qty=a("1.99"))
    result = engine.place_order(taker, "BTCUSDT", "BUY", "MARKET", quote_qty=a("2"))  # one step exactly
    assert result.order.executed == a("0.001") and result.order.status == "FILLED"


def test_limit_maker_rests_or_is_rejected_if_it_would_take(env):
    engine, maker, taker = env
    asks(engine, ("100", "1"))
    order = engine.place_order(taker, "BTCUSDT", "BUY", "LIMIT_MAKER", qty=a("1"), price=a("99.99")).order
    assert order.status == "NEW" and order.is_working
    before = fingerprint(engine)
    rejects(Reject.WOULD_TAKE, engine.place_order, taker, "BTCUSDT", "BUY", "LIMIT_MAKER", qty=a("1"),
            price=a("100"))
    rejects(Reject.WOULD_TAKE, engine.place_order, maker, "BTCUSDT", "SELL", "LIMIT_MAKER", qty=a("1"),
            price=a("99.99"))
    assert fingerprint(engine) == before


def test_price_time_priority():
    engine, _ = new_engine()
    first, second, better = (funded(engine, BTC="10") for _ in range(3))
    taker = funded(engine, USDT="10000")
    a1 = limit(engine, first, "SELL", "100", "1").order
    a2 = limit(engine, second, "SELL", "100", "1").order
    a3 = limit(engine, better, "SELL", "99.99", "1").order  # arrives last but is the better price
    result = limit(engine, taker, "BUY", "100", "2.5")
    assert [(t.seller.order_id, t.qty) for t in result.trades] == [
        (a3.order_id, a("1")), (a1.order_id, a("1")), (a2.order_id, a("0.5"))]
    assert (a1.status, a2.status, a3.status) == ("FILLED", "PARTIALLY_FILLED", "FILLED")


def test_a_taker_walks_many_levels_in_one_order():
    engine, _ = new_engine()
    seller = funded(engine, BTC="100")
    taker = funded(engine, USDT="1000000")
    prices = [f"{100 + i}" for i in range(50)]
    for price in prices:
        limit(engine, seller, "SELL", price, "0.1")
    recorder = Recorder(engine)
    update_id = engine.depth("BTCUSDT", 1)[0]
    result = limit(engine, taker, "BUY", "200", "5")
    assert [t.price for t in result.trades] == [a(p) for p in prices]
    assert result.order.status == "FILLED"
    assert result.order.cum_quote == sum(a(p) // 10 for p in prices)
    assert engine.depth("BTCUSDT", 100)[2] == []
    # one depth update for the whole sweep, naming every level that emptied
    (depth,) = recorder.of("depth")
    assert depth.asks == [(a(p), 0) for p in prices] and depth.bids == []
    assert depth.update_id == engine.depth("BTCUSDT", 1)[0] == update_id + 1


INVALID = [
    ("limit without tif", dict(side="BUY", type_="LIMIT", qty=a("1"), price=a("100"))),
    ("limit with unknown tif", dict(side="BUY", type_="LIMIT", qty=a("1"), price=a("100"), tif="GTD")),
    ("market with tif", dict(side="BUY", type_="MARKET", qty=a("1"), tif="GTC")),
    ("market with a price", dict(side="BUY", type_="MARKET", qty=a("1"), price=a("100"))),
    ("market with qty and quote", dict(side="BUY", type_="MARKET", qty=a("1"), quote_qty=a("100"))),
    ("market with neither", dict(side="BUY", type_="MARKET")),
    ("market with a negative quote", dict(side="BUY", type_="MARKET", qty=a("1"), quote_qty=-1)),
    ("limit with quote_qty", dict(side="BUY", type_="LIMIT", qty=a("1"), price=a("100"), tif="GTC",
                                  quote_qty=a("50"))),
    ("stop with quote_qty", dict(side="BUY", type_="STOP_LOSS", qty=a("1"), stop_price=a("120"),
                                 quote_qty=a("50"))),
    ("limit with a stop price", dict(side="BUY", type_="LIMIT", qty=a("1"), price=a("100"), tif="GTC",
                                     stop_price=a("90"))),
    ("limit maker with ioc", dict(side="BUY", type_="LIMIT_MAKER", qty=a("1"), price=a("90"), tif="IOC")),
    ("unknown side", dict(side="HOLD", type_="LIMIT", qty=a("1"), price=a("100"), tif="GTC")),
    ("unknown type", dict(side="BUY", type_="ICEBERG", qty=a("1"), price=a("100"), tif="GTC")),
]


@pytest.mark.parametrize("name, order", INVALID, ids=[c[0] for c in INVALID])
def test_inconsistent_parameters_are_invalid(env, name, order):
    engine, _, taker = env
    asks(engine, ("100", "1"))
    before = fingerprint(engine)
    rejects(Reject.INVALID_ORDER, engine.place_order, taker, "BTCUSDT", **order)
    assert fingerprint(engine) == before


def test_unknown_symbol_account_and_closed_market():
    engine, _ = new_engine(make_spec(), make_spec(symbol="ETHUSDT", base="ETH"))
    account = funded(engine, USDT="1000")
    rejects(Reject.UNKNOWN_SYMBOL, limit, engine, account, "BUY", "100", "1", symbol="XRPUSDT")
    rejects(Reject.UNKNOWN_ACCOUNT, limit, engine, 42, "BUY", "100", "1")
    recorder = Recorder(engine)
    engine.set_symbol_status("BTCUSDT", "HALT")
    assert recorder.of("symbol_status")[0].status == "HALT"
    rejects(Reject.MARKET_CLOSED, limit, engine, account, "BUY", "100", "1")
    limit(engine, account, "BUY", "100", "1", symbol="ETHUSDT")  # other symbols still trade
    engine.set_symbol_status("BTCUSDT", "TRADING")
    limit(engine, account, "BUY", "100", "1")


def test_test_order_checks_everything_and_changes_nothing(env):
    engine, _, taker = env
    asks(engine, ("100", "1"))
    recorder = Recorder(engine)
    before = fingerprint(engine)
    engine.test_order(taker, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("100"), tif="GTC")
    rejects(Reject.LOT_SIZE, engine.test_order, taker, "BTCUSDT", "BUY", "LIMIT", qty=a("0.0001"),
            price=a("100"), tif="GTC")
    assert fingerprint(engine) == before and recorder.events == []
