"""Which parameters each order type takes, what test_order checks, and the small reads around an order."""
from __future__ import annotations

import pytest

from simulator.engine.order import Order
from simulator.engine.rejection import Reject

from tests.engine.helpers import a, fingerprint, funded, limit, make_spec, new_engine, rejects


@pytest.fixture
def env():
    engine, _ = new_engine()
    me = funded(engine, USDT="100000", BTC="100")
    limit(engine, me, "SELL", "100", "0.02")
    limit(engine, me, "BUY", "100", "0.02", stp="NONE")  # a last price of 100, so stops can wait
    limit(engine, me, "SELL", "101", "1")  # something to take
    return engine, me


def order(type_, side="BUY", **extra):
    params = {
        "LIMIT": dict(qty=a("1"), price=a("99")),
        "LIMIT_MAKER": dict(qty=a("1"), price=a("99")),
        "MARKET": dict(qty=a("0.1")),
        "STOP_LOSS": dict(qty=a("1"), stop_price=a("110")),
        "TAKE_PROFIT": dict(qty=a("1"), stop_price=a("90")),
        "STOP_LOSS_LIMIT": dict(qty=a("1"), stop_price=a("110"), price=a("111")),
        "TAKE_PROFIT_LIMIT": dict(qty=a("1"), stop_price=a("90"), price=a("91")),
    }[type_]
    return dict(side=side, type_=type_, **params, **extra)


@pytest.mark.parametrize("type_", ["LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"])
def test_limit_priced_types_that_may_take_need_a_time_in_force(env, type_):
    engine, me = env
    before = fingerprint(engine)
    rejects(Reject.INVALID_ORDER, engine.place_order, me, "BTCUSDT", **order(type_))
    rejects(Reject.INVALID_ORDER, engine.place_order, me, "BTCUSDT", **order(type_, tif="GTD"))
    assert fingerprint(engine) == before
    for tif in ("GTC", "IOC", "FOK"):
        engine.test_order(me, "BTCUSDT", **order(type_, tif=tif))
    assert engine.place_order(me, "BTCUSDT", **order(type_, tif="IOC")).order.tif == "IOC"


@pytest.mark.parametrize("type_", ["MARKET", "STOP_LOSS", "TAKE_PROFIT"])
def test_types_that_never_rest_take_no_time_in_force(env, type_):
    engine, me = env
    for tif in ("GTC", "IOC", "FOK"):
        rejects(Reject.INVALID_ORDER, engine.place_order, me, "BTCUSDT", **order(type_, tif=tif))
    assert engine.place_order(me, "BTCUSDT", **order(type_)).order.tif == "GTC"


def test_a_limit_maker_is_gtc_whether_it_says_so_or_not(env):
    engine, me = env
    assert engine.place_order(me, "BTCUSDT", **order("LIMIT_MAKER")).order.tif == "GTC"
    assert engine.place_order(me, "BTCUSDT", **order("LIMIT_MAKER", tif="GTC")).order.tif == "GTC"
    for tif in ("IOC", "FOK"):
        rejects(Reject.INVALID_ORDER, engine.place_order, me, "BTCUSDT", **order("LIMIT_MAKER", tif=tif))


def test_test_order_takes_the_same_defaults_as_place_order(env):
    engine, me = env
    limit(engine, funded(engine, USDT="1000"), "BUY", "95", "1")
    # a quote-sized market order names no quantity at all
    engine.test_order(me, "BTCUSDT", "BUY", "MARKET", quote_qty=a("50"))
    engine.test_order(me, "BTCUSDT", "SELL", "MARKET", qty=a("0.5"))
    engine.test_order(me, "BTCUSDT", "SELL", "STOP_LOSS", qty=a("1"), stop_price=a("90"))


def test_test_order_checks_the_client_id_and_the_stp_mode(env):
    engine, me = env
    limit(engine, me, "BUY", "90", "1", client_id="taken")
    before = fingerprint(engine)
    rejects(Reject.DUPLICATE_CLIENT_ORDER_ID, engine.test_order, me, "BTCUSDT", "BUY", "LIMIT", qty=a("1"),
            price=a("90"), tif="GTC", client_id="taken")
    rejects(Reject.STP_MODE_NOT_ALLOWED, engine.test_order, me, "BTCUSDT", "BUY", "LIMIT", qty=a("1"),
            price=a("90"), tif="GTC", stp="DECREMENT")
    # with EXPIRE_TAKER its own ask at 101 stops a market buy before anything trades
    rejects(Reject.NO_LIQUIDITY, engine.test_order, me, "BTCUSDT", "BUY", "MARKET", qty=a("0.5"),
            stp="EXPIRE_TAKER")
    assert fingerprint(engine) == before
    engine.test_order(me, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("90"), tif="GTC", client_id="free")


def test_unknown_names_are_refused_with_the_right_reason():
    engine, _ = new_engine(make_spec(allowed_stp=("NONE",)))
    me = funded(engine, USDT="1000")
    rejects(Reject.UNKNOWN_SYMBOL, engine.instrument, "XRPUSDT")
    rejects(Reject.UNKNOWN_SYMBOL, engine.depth, "XRPUSDT", 5)
    rejects(Reject.UNKNOWN_SYMBOL, engine.best_bid_ask, "XRPUSDT")
    rejects(Reject.UNKNOWN_SYMBOL, engine.set_symbol_status, "XRPUSDT", "HALT")
    rejects(Reject.INVALID_ORDER, engine.set_symbol_status, "BTCUSDT", "SOMETIMES")
    rejects(Reject.UNKNOWN_ACCOUNT, engine.account, 999)
    rejects(Reject.UNKNOWN_ACCOUNT, engine.open_orders, 999)
    rejects(Reject.UNKNOWN_ACCOUNT, engine.cancel_all, 999, "BTCUSDT")
    rejects(Reject.UNKNOWN_SYMBOL, engine.cancel_all, me, "XRPUSDT")
    rejects(Reject.UNKNOWN_ACCOUNT, engine.deposit, 999, "USDT", 1)
    rejects(Reject.UNKNOWN_ACCOUNT, engine.withdraw, 999, "USDT", 1)
    rejects(Reject.UNKNOWN_ACCOUNT, engine.set_fee_tier, 999, 0)
    rejects(Reject.STP_MODE_NOT_ALLOWED, limit, engine, me, "BUY", "90", "1", stp="EXPIRE_MAKER")
    assert limit(engine, me, "BUY", "90", "1").order.stp == "EXPIRE_MAKER"  # the default need not be allowed
    with pytest.raises(ValueError):
        engine.add_instrument(make_spec())  # BTCUSDT exists already


def test_a_symbol_status_change_is_an_event_naming_the_symbol():
    engine, clock = new_engine(make_spec(), make_spec("ETHUSDT", "ETH", "USDT"))
    events = []
    engine.subscribe(events.append)
    clock.advance(7)
    engine.set_symbol_status("ETHUSDT", "BREAK")
    (event,) = events
    assert (event.kind, event.symbol, event.status, event.time, event.seq) == (
        "symbol_status", "ETHUSDT", "BREAK", clock.now_ms(), engine.seq)
    assert engine.instruments["ETHUSDT"].status == "BREAK" and engine.instruments["BTCUSDT"].status == "TRADING"


def test_an_orders_state_is_every_field_but_the_derived_side_flag(env):
    engine, me = env
    placed = limit(engine, me, "BUY", "99", "1", client_id="c").order
    state = placed.state()
    assert set(state) == set(Order.__slots__) - {"is_buy"}
    assert (state["order_id"], state["client_id"], state["side"], state["price"], state["qty"]) == (
        placed.order_id, "c", "BUY", a("99"), a("1"))
    assert "BUY" in repr(placed) and str(placed.order_id) in repr(placed)


def test_the_book_answers_for_one_level(env):
    engine, me = env
    book = engine.books["BTCUSDT"]
    limit(engine, me, "BUY", "99", "1")
    limit(engine, me, "BUY", "99", "0.5")
    assert book.level_qty(True, a("99")) == a("1.5") and book.level_qty(False, a("101")) == a("1")
    assert book.level_qty(True, a("101")) == 0 and book.level_qty(False, a("99")) == 0
    assert book.bids.level(a("99")).qty == a("1.5") and book.asks.level(a("101")).price == a("101")
    assert book.bids.level(a("101")) is None and book.asks.level(a("99")) is None
    assert (len(book.bids), len(book.asks)) == (1, 1)
    assert book.side(True) is book.bids and book.opposite(True) is book.asks


def test_a_refused_placement_is_an_event_naming_the_order_it_refused(env):
    engine, me = env
    events = []
    engine.subscribe(events.append)
    rejects(Reject.PRICE_FILTER, limit, engine, me, "SELL", "100.001", "1", client_id="c1")
    rejects(Reject.LOT_SIZE, limit, engine, me, "BUY", "90", "0.0001")
    assert [(e.kind, e.account_id, e.symbol, e.client_id, e.side, e.type, e.reason) for e in events] == [
        ("rejected", me, "BTCUSDT", "c1", "SELL", "LIMIT", "PRICE_FILTER"),
        ("rejected", me, "BTCUSDT", "", "BUY", "LIMIT", "LOT_SIZE"),
    ]


def test_orders_are_numbered_one_by_one_and_start_unexpired(env):
    engine, me = env
    first, second = (limit(engine, me, "BUY", "90", "1").order, limit(engine, me, "BUY", "91", "1").order)
    assert second.order_id == first.order_id + 1 and engine.next_order_id == second.order_id + 1
    assert (first.expiry_reason, first.prevented_match_id, first.prevented_qty) == ("", -1, 0)
    fresh, _ = new_engine()
    assert limit(fresh, funded(fresh, USDT="100"), "BUY", "90", "1").order.order_id == 1


def test_a_float_stop_price_is_refused(env):
    engine, me = env
    rejects(Reject.INVALID_ORDER, engine.place_order, me, "BTCUSDT", "SELL", "STOP_LOSS", qty=a("1"),
            stop_price=float(a("90")))


@pytest.fixture
def atom_grid():
    """A symbol whose step is one atom of base (and whose tick is a whole unit), without notional limits."""
    engine, _ = new_engine(make_spec(tick_size="1", step_size="0.00000001", min_qty="0", min_price="1",
                                     min_notional="0", market_min_qty="0"))
    seller = funded(engine, BTC="1")
    limit(engine, seller, "SELL", "100", "0.5")
    return engine, funded(engine, USDT="10")


def test_a_market_order_of_one_atom_is_one_atom(atom_grid):
    engine, buyer = atom_grid
    result = engine.place_order(buyer, "BTCUSDT", "BUY", "MARKET", qty=1)
    assert [(t.qty, t.quote_qty) for t in result.trades] == [(1, 100)]


def test_a_quote_budget_of_one_atom_buys_nothing_here(atom_grid):
    engine, buyer = atom_grid
    # an atom of BTC costs 100 atoms of USDT at 100: one atom of budget reaches no step
    rejects(Reject.NO_LIQUIDITY, engine.place_order, buyer, "BTCUSDT", "BUY", "MARKET", quote_qty=1)
    result = engine.place_order(buyer, "BTCUSDT", "BUY", "MARKET", quote_qty=100)  # exactly one atom's cost
    assert [(t.qty, t.quote_qty) for t in result.trades] == [(1, 100)]


def test_the_smallest_price_and_quantity_pass_their_filters(atom_grid):
    engine, _ = atom_grid
    inst = engine.instruments["BTCUSDT"]
    inst.check_qty(1)
    rejects(Reject.PRICE_QTY_ZERO, inst.check_qty, 0)
    fine_price, _ = new_engine(make_spec(tick_size="0.00000001", step_size="1", min_qty="1", min_price="0",
                                         min_notional="0"))
    fine_price.instruments["BTCUSDT"].check_price(1)
    rejects(Reject.PRICE_QTY_ZERO, fine_price.instruments["BTCUSDT"].check_price, 0)


def test_a_limit_maker_sell_above_the_best_bid_rests(env):
    engine, me = env
    other = funded(engine, USDT="1000")
    limit(engine, other, "BUY", "99", "1")
    order = engine.place_order(me, "BTCUSDT", "SELL", "LIMIT_MAKER", qty=a("1"), price=a("100.5")).order
    assert order.status == "NEW" and engine.best_bid_ask("BTCUSDT")[1] == (a("100.5"), a("1"))
    rejects(Reject.WOULD_TAKE, engine.place_order, me, "BTCUSDT", "SELL", "LIMIT_MAKER", qty=a("1"), price=a("99"))


def test_notional_limits_are_inclusive_for_quote_and_stop_orders(env):
    engine, me = env  # min notional 1
    buyer = funded(engine, USDT="100")
    assert engine.place_order(buyer, "BTCUSDT", "BUY", "MARKET", quote_qty=a("1")).order.executed > 0
    rejects(Reject.NOTIONAL, engine.place_order, buyer, "BTCUSDT", "BUY", "MARKET", quote_qty=a("0.99999999"))
    stop = engine.place_order(me, "BTCUSDT", "SELL", "STOP_LOSS", qty=a("0.01"), stop_price=a("100"))
    assert stop.order.status == "NEW"
    rejects(Reject.NOTIONAL, engine.place_order, me, "BTCUSDT", "SELL", "STOP_LOSS", qty=a("0.01"),
            stop_price=a("99.99"))


def test_a_market_order_by_quantity_meets_notional_at_the_average_price(env):
    engine, me = env  # the average price is 100 (one trade), min notional 1
    other = funded(engine, USDT="1000")
    limit(engine, other, "BUY", "99", "1")
    rejects(Reject.NOTIONAL, engine.place_order, me, "BTCUSDT", "SELL", "MARKET", qty=a("0.009"))
    assert engine.place_order(me, "BTCUSDT", "SELL", "MARKET", qty=a("0.01")).order.executed == a("0.01")


def test_the_engine_keeps_each_instruments_spec_and_market_by_symbol():
    spec = make_spec("ETHBTC", "ETH", "BTC")
    engine, _ = new_engine(spec)
    assert engine.instruments["ETHBTC"].spec is spec
    assert engine.market["ETHBTC"].symbol == "ETHBTC" and engine.books["ETHBTC"].symbol == "ETHBTC"
