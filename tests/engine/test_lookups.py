"""Finding orders by client id, filling a resting bid, cancel-replace by client id, and several listeners."""
from __future__ import annotations

import pytest

from simulator.engine.audit import audit
from simulator.engine.rejection import Reject

from tests.engine.helpers import (Recorder, a, fingerprint, free, funded, limit, locked, make_spec, new_engine,
                                  rejects)


@pytest.fixture
def env():
    engine, _ = new_engine(make_spec(), make_spec("ETHUSDT", "ETH", "USDT"))
    me = funded(engine, USDT="10000", BTC="10", ETH="10")
    return engine, me


# --- client order ids -------------------------------------------------------------------------------------
def test_a_client_id_finds_the_latest_closed_order_that_had_it(env):
    engine, me = env
    first = limit(engine, me, "BUY", "90", "1", client_id="x").order
    engine.cancel_order(me, "BTCUSDT", order_id=first.order_id)
    second = limit(engine, me, "BUY", "91", "1", client_id="x").order
    engine.cancel_order(me, "BTCUSDT", order_id=second.order_id)
    limit(engine, me, "BUY", "92", "1", client_id="y")  # a later order with another id
    assert engine.find_order(me, "BTCUSDT", client_id="x") is second


def test_a_client_id_finds_an_older_closed_order_behind_later_ones(env):
    engine, me = env
    old = limit(engine, me, "BUY", "90", "1", client_id="old").order
    engine.cancel_order(me, "BTCUSDT", client_id="old")
    later = [limit(engine, me, "BUY", price, "1").order for price in ("91", "92")]
    engine.cancel_order(me, "BTCUSDT", order_id=later[0].order_id)
    assert engine.find_order(me, "BTCUSDT", client_id="old") is old
    assert engine.find_order(me, "BTCUSDT", client_id=later[1].client_id) is later[1]


def test_an_open_order_wins_over_a_closed_one_with_the_same_client_id(env):
    engine, me = env
    closed = limit(engine, me, "BUY", "90", "1", client_id="x").order
    engine.cancel_order(me, "BTCUSDT", order_id=closed.order_id)
    open_ = limit(engine, me, "BUY", "91", "1", client_id="x").order
    assert engine.find_order(me, "BTCUSDT", client_id="x") is open_


def test_an_older_open_order_renamed_to_a_client_id_wins_over_a_later_closed_one(env):
    engine, me = env
    renamed = limit(engine, me, "BUY", "89", "1", client_id="a").order
    closed = limit(engine, me, "BUY", "90", "1", client_id="x").order
    engine.cancel_order(me, "BTCUSDT", order_id=closed.order_id)
    engine.amend_order(me, "BTCUSDT", a("0.5"), order_id=renamed.order_id, new_client_id="x")
    assert engine.find_order(me, "BTCUSDT", client_id="x") is renamed
    rejects(Reject.UNKNOWN_ORDER, engine.find_order, me, "BTCUSDT", client_id="a")


def test_a_client_id_lookup_stays_on_its_symbol(env):
    engine, me = env
    limit(engine, me, "BUY", "90", "1", client_id="x")  # open on BTCUSDT
    # ETHUSDT has never seen an order of this account: nothing to find, and no error other than UNKNOWN_ORDER
    before = fingerprint(engine)
    rejects(Reject.UNKNOWN_ORDER, engine.find_order, me, "ETHUSDT", client_id="x")
    rejects(Reject.UNKNOWN_ORDER, engine.cancel_order, me, "ETHUSDT", client_id="x")
    assert fingerprint(engine) == before
    eth = limit(engine, me, "SELL", "2000", "1", symbol="ETHUSDT", client_id="e").order
    engine.cancel_order(me, "ETHUSDT", order_id=eth.order_id)
    rejects(Reject.UNKNOWN_ORDER, engine.find_order, me, "ETHUSDT", client_id="x")
    rejects(Reject.UNKNOWN_ORDER, engine.find_order, me, "BTCUSDT", client_id="e")
    assert engine.find_order(me, "ETHUSDT", client_id="e") is eth


def test_a_lookup_needs_an_id_or_a_client_id(env):
    engine, me = env
    limit(engine, me, "BUY", "90", "1")
    rejects(Reject.UNKNOWN_ORDER, engine.find_order, me, "BTCUSDT")
    rejects(Reject.UNKNOWN_ACCOUNT, engine.find_order, 999, "BTCUSDT", client_id="x")
    rejects(Reject.UNKNOWN_SYMBOL, engine.find_order, me, "XRPUSDT", client_id="x")


def test_another_accounts_client_id_is_not_found(env):
    engine, me = env
    other = funded(engine, USDT="1000")
    limit(engine, other, "BUY", "90", "1", client_id="x")
    rejects(Reject.UNKNOWN_ORDER, engine.find_order, me, "BTCUSDT", client_id="x")
    # the same client id may be open on two accounts at once
    mine = limit(engine, me, "BUY", "90", "1", client_id="x").order
    assert engine.find_order(me, "BTCUSDT", client_id="x") is mine


# --- cancel-replace by client order id ----------------------------------------------------------------------
def test_cancel_replace_finds_the_order_to_cancel_by_its_client_id(env):
    engine, me = env
    keep = limit(engine, me, "BUY", "89", "1", client_id="keep").order
    old = limit(engine, me, "BUY", "90", "1", client_id="old").order
    result = engine.cancel_replace(me, "BTCUSDT", "BUY", "LIMIT", qty=a("2"), price=a("91"), tif="GTC",
                                   client_id="new", cancel_client_id="old")
    assert result.cancel_reject is None and result.place_reject is None
    assert result.cancel.order is old and old.status == "CANCELED"
    new = result.placed.order
    assert (new.client_id, new.qty, new.price, new.status) == ("new", a("2"), a("91"), "NEW")
    assert keep.status == "NEW"
    assert locked(engine, me, "USDT") == a("89") + a("182")
    assert engine.depth("BTCUSDT", 5)[1] == [(a("91"), a("2")), (a("89"), a("1"))]
    assert audit(engine) == []


def test_cancel_replace_with_an_unknown_client_id_cancels_nothing_and_stops(env):
    engine, me = env
    limit(engine, me, "BUY", "90", "1", client_id="old")
    before = fingerprint(engine)
    result = engine.cancel_replace(me, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("91"), tif="GTC",
                                   cancel_client_id="nope")
    assert result.cancel is None and result.cancel_reject.reason is Reject.UNKNOWN_ORDER
    assert result.placed is None and result.place_reject is None
    assert fingerprint(engine) == before


# --- fill_order on a resting bid ----------------------------------------------------------------------------
def test_fill_order_sells_into_a_resting_bid(env):
    engine, me = env
    ahead = limit(engine, me, "BUY", "100", "1").order  # better price, would match first
    bidder = funded(engine, USDT="1000")
    bid = limit(engine, bidder, "BUY", "99", "2").order
    seller = funded(engine, BTC="1")
    result = engine.fill_order(bid.order_id, a("0.5"), seller)
    (trade,) = result.trades
    taker = result.order
    assert (taker.side, taker.type, taker.tif, taker.price, taker.account_id) == ("SELL", "LIMIT", "IOC", a("99"),
                                                                                  seller)
    assert (trade.buyer, trade.seller, trade.price, trade.qty) == (bid, taker, a("99"), a("0.5"))
    assert trade.buyer_is_maker is True and taker.status == "FILLED" and ahead.executed == 0
    assert bid.status == "PARTIALLY_FILLED" and bid.executed == a("0.5")
    assert (free(engine, seller, "BTC"), locked(engine, seller, "BTC")) == (a("0.5"), 0)
    assert free(engine, seller, "USDT") == a("49.5") - trade.seller_fee and trade.seller_fee == a("0.0495")
    assert locked(engine, bidder, "USDT") == a("148.5")
    assert free(engine, bidder, "BTC") == a("0.5") - a("0.0005")
    assert engine.depth("BTCUSDT", 5)[1] == [(a("100"), a("1")), (a("99"), a("1.5"))]
    assert audit(engine) == []


def test_fill_order_into_a_bid_needs_the_base_it_sells(env):
    engine, me = env
    bidder = funded(engine, USDT="1000")
    bid = limit(engine, bidder, "BUY", "99", "2").order
    seller = funded(engine, BTC="0.499", USDT="10000")  # quote is no use to a seller
    before = fingerprint(engine)
    rejects(Reject.INSUFFICIENT_BALANCE, engine.fill_order, bid.order_id, a("0.5"), seller)
    assert fingerprint(engine) == before
    assert engine.fill_order(bid.order_id, a("0.499"), seller).order.status == "FILLED"


def test_fill_order_refuses_a_pending_stop_and_a_quantity_off_the_step(env):
    engine, me = env
    limit(engine, me, "SELL", "100", "0.02")
    limit(engine, me, "BUY", "100", "0.02", stp="NONE")  # a last price, so a stop can wait
    bidder = funded(engine, USDT="1000")
    stop = engine.place_order(bidder, "BTCUSDT", "BUY", "STOP_LOSS", qty=a("1"), stop_price=a("110")).order
    bid = limit(engine, bidder, "BUY", "99", "2").order
    seller = funded(engine, BTC="5")
    before = fingerprint(engine)
    rejects(Reject.UNKNOWN_ORDER, engine.fill_order, stop.order_id, a("0.5"), seller)
    rejects(Reject.LOT_SIZE, engine.fill_order, bid.order_id, a("0.5") + 1, seller)
    rejects(Reject.LOT_SIZE, engine.fill_order, bid.order_id, -a("0.5"), seller)
    rejects(Reject.UNKNOWN_ACCOUNT, engine.fill_order, bid.order_id, a("0.5"), 999)
    assert fingerprint(engine) == before
    assert engine.fill_order(bid.order_id, a("2"), seller).order.executed == a("2")  # all it has left


# --- listeners ----------------------------------------------------------------------------------------------
def test_two_listeners_hear_every_event_in_the_same_order(env):
    engine, me = env
    first, second = Recorder(engine), Recorder(engine)
    other = funded(engine, BTC="1")
    limit(engine, other, "SELL", "100", "1")
    limit(engine, me, "BUY", "100", "0.5")
    assert first.events and first.events == second.events
    assert [e.seq for e in first.events] == list(range(first.events[0].seq, engine.seq + 1))
    engine.unsubscribe(first.events.append)
    heard = len(first.events)
    limit(engine, me, "BUY", "100", "0.5")
    assert len(first.events) == heard and second.events[-1].seq == engine.seq
    third = Recorder(engine)
    engine.deposit(me, "BTC", a("1"))
    assert second.events[-1] is third.events[-1] and len(third.events) == 1


def test_fill_orders_taker_is_an_ordinary_ioc_order_of_its_own(env):
    engine, me = env
    bidder = funded(engine, USDT="1000")
    bid = limit(engine, bidder, "BUY", "99", "2").order
    seller = funded(engine, BTC="1")
    next_id = engine.next_order_id
    taker = engine.fill_order(bid.order_id, a("0.5"), seller).order
    assert taker.order_id == next_id and engine.orders[next_id] is taker and engine.next_order_id == next_id + 1
    assert len(taker.client_id) == 22 and int(taker.client_id, 16) >= 0  # drawn like any generated client id
    assert (taker.symbol, taker.stop_price, taker.quote_qty, taker.stp) == ("BTCUSDT", 0, 0, "NONE")
    assert taker.working_time == taker.time == engine.clock.now_ms() and taker.is_working
    assert engine.find_order(seller, "BTCUSDT", client_id=taker.client_id) is taker
    assert limit(engine, me, "BUY", "90", "1").order.order_id == next_id + 1


def test_fill_order_takes_a_single_atom_on_a_one_atom_step():
    engine, _ = new_engine(make_spec(tick_size="1", step_size="0.00000001", min_qty="0", min_price="1",
                                     min_notional="0", market_min_qty="0"))
    seller = funded(engine, BTC="1")
    ask = limit(engine, seller, "SELL", "100", "0.5").order
    buyer = funded(engine, USDT="1")
    (trade,) = engine.fill_order(ask.order_id, 1, buyer).trades
    assert (trade.qty, trade.quote_qty, ask.executed) == (1, 100, 1)
    rejects(Reject.LOT_SIZE, engine.fill_order, ask.order_id, 0, buyer)


# --- the new half of a cancel-replace ---------------------------------------------------------------------
def test_cancel_replace_places_a_quote_sized_market_order(env):
    engine, me = env
    stranger = funded(engine, BTC="5")
    limit(engine, stranger, "SELL", "100", "1")
    old = limit(engine, me, "BUY", "90", "1").order
    result = engine.cancel_replace(me, "BTCUSDT", "BUY", "MARKET", quote_qty=a("50"), cancel_order_id=old.order_id)
    assert old.status == "CANCELED" and result.place_reject is None
    placed = result.placed.order
    assert (placed.type, placed.quote_qty, placed.executed, placed.cum_quote) == ("MARKET", a("50"), a("0.5"),
                                                                                  a("50"))


def test_cancel_replace_places_a_stop_order_with_its_stop_price_and_stp(env):
    engine, me = env
    stranger = funded(engine, BTC="5")
    limit(engine, stranger, "SELL", "100", "0.02")
    limit(engine, funded(engine, USDT="100"), "BUY", "100", "0.02")  # a last price of 100
    old = limit(engine, me, "BUY", "90", "1").order
    result = engine.cancel_replace(me, "BTCUSDT", "SELL", "STOP_LOSS", qty=a("1"), stop_price=a("95"),
                                   stp="NONE", cancel_order_id=old.order_id)
    placed = result.placed.order
    assert (placed.type, placed.stop_price, placed.stp, placed.status) == ("STOP_LOSS", a("95"), "NONE", "NEW")
    assert placed.order_id in engine.books["BTCUSDT"].stops


def test_cancel_replace_draws_the_cancels_client_id_unless_given_one(env):
    engine, me = env
    first = limit(engine, me, "BUY", "90", "1").order
    drawn = engine.cancel_replace(me, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("91"), tif="GTC",
                                  cancel_order_id=first.order_id).cancel.cancel_client_id
    assert len(drawn) == 22 and int(drawn, 16) >= 0
    second = engine.open_orders(me, "BTCUSDT")[0]
    named = engine.cancel_replace(me, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("92"), tif="GTC",
                                  cancel_order_id=second.order_id, cancel_new_client_id="mine")
    assert named.cancel.cancel_client_id == "mine"


@pytest.fixture
def banded():
    """Percent-price bands of +-20 % around a reference price of 100; `me` rests a bid named "old"."""
    engine, _ = new_engine(make_spec(min_notional="10", bid_multiplier_up="1.2", bid_multiplier_down="0.8",
                                     ask_multiplier_up="1.5", ask_multiplier_down="0.8",
                                     allowed_stp=("NONE", "EXPIRE_MAKER")))
    me = funded(engine, USDT="100000", BTC="100")
    other = funded(engine, USDT="1000", BTC="10")
    limit(engine, other, "SELL", "100", "0.2")
    limit(engine, me, "BUY", "100", "0.2")
    old = limit(engine, me, "BUY", "90", "1", client_id="old").order
    return engine, me, old


@pytest.mark.parametrize("new, reason", [
    # a buy above its band (which a sell at that price would be inside)
    (dict(side="BUY", type_="LIMIT", qty=a("1"), price=a("130"), tif="GTC"), Reject.PERCENT_PRICE_BY_SIDE),
    (dict(side="SELL", type_="STOP_LOSS", qty=a("1"), stop_price=a("95") + 1), Reject.PRICE_FILTER),
    (dict(side="BUY", type_="MARKET", quote_qty=a("9.99")), Reject.NOTIONAL),
])
def test_a_replacement_reusing_the_cancelled_orders_client_id_still_meets_its_filters(banded, new, reason):
    """The client id is free once the cancel ran, so it does not refuse the new order; the filters still do,
    before anything is cancelled."""
    engine, me, old = banded
    before = fingerprint(engine)
    rejects(reason, engine.cancel_replace, me, "BTCUSDT", client_id="old", cancel_order_id=old.order_id, **new)
    assert fingerprint(engine) == before and old.status == "NEW"


def test_a_replacement_reusing_the_cancelled_orders_client_id_is_placed(banded):
    engine, me, old = banded
    result = engine.cancel_replace(me, "BTCUSDT", "SELL", "LIMIT", qty=a("1"), price=a("130"), tif="GTC",
                                   client_id="old", cancel_order_id=old.order_id)
    assert old.status == "CANCELED" and result.placed.order.client_id == "old"


def test_a_replacement_with_a_refused_stp_mode_is_the_placements_refusal(banded):
    """An STP mode the symbol refuses is no filter: the cancel runs and the placement reports it, whatever the
    new order's filters would have said."""
    engine, me, old = banded
    result = engine.cancel_replace(me, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("130"), tif="GTC",
                                   stp="EXPIRE_BOTH", cancel_order_id=old.order_id)
    assert old.status == "CANCELED" and result.placed is None
    assert result.place_reject.reason is Reject.STP_MODE_NOT_ALLOWED
