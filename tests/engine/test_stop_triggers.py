"""Each stop type and side fires on one side of its stop only, at the stop or beyond it, and never on the other.

A stop-loss buy and a take-profit sell fire when the last price rises to the stop; a stop-loss sell and a
take-profit buy when it falls to it. The *_LIMIT kinds follow the same rule as their market kinds. Triggered
stops are ordinary takers: self-trade prevention applies to them as to any other order.
"""
from __future__ import annotations

import pytest

from simulator.engine.audit import audit
from simulator.engine.rejection import Reject

from tests.engine.helpers import a, fingerprint, free, funded, limit, locked, new_engine, rejects

# (type, side) -> does it fire when the price rises to its stop?
KINDS = {
    ("STOP_LOSS", "BUY"): True, ("STOP_LOSS_LIMIT", "BUY"): True,
    ("TAKE_PROFIT", "SELL"): True, ("TAKE_PROFIT_LIMIT", "SELL"): True,
    ("STOP_LOSS", "SELL"): False, ("STOP_LOSS_LIMIT", "SELL"): False,
    ("TAKE_PROFIT", "BUY"): False, ("TAKE_PROFIT_LIMIT", "BUY"): False,
}
LAST = "100"


@pytest.fixture
def env():
    engine, _ = new_engine()
    printer = funded(engine, USDT="100000", BTC="1000")
    print_trade(engine, printer, LAST)
    trader = funded(engine, USDT="10000", BTC="10")
    return engine, printer, trader


def print_trade(engine, printer, price):
    """A trade at exactly `price` and nothing else left behind: the printer sells to itself."""
    limit(engine, printer, "SELL", price, "0.02")
    result = limit(engine, printer, "BUY", price, "0.02", tif="IOC", stp="NONE")
    assert [t.price for t in result.trades] == [a(price)]


def place_stop(engine, account, type_, side, stop_price):
    kwargs = dict(qty=a("1"), stop_price=a(stop_price))
    if type_.endswith("_LIMIT"):
        kwargs.update(price=a(stop_price), tif="GTC")  # a limit at the stop: it rests once triggered
    return engine.place_order(account, "BTCUSDT", side, type_, **kwargs).order


def ticks(rises: bool, n: str) -> str:
    """A price `n` above the last price when the stop fires on a rise, `n` below it otherwise."""
    return str(a(LAST) // 10**8 + (int(n) if rises else -int(n)))


@pytest.mark.parametrize("type_, side", list(KINDS))
def test_a_stop_fires_on_its_side_only(env, type_, side):
    engine, printer, trader = env
    clock = engine.clock
    rises = KINDS[(type_, side)]
    order = place_stop(engine, trader, type_, side, ticks(rises, "4"))
    held = locked(engine, trader, "USDT" if side == "BUY" else "BTC")
    assert held > 0 and order.status == "NEW" and not order.is_working
    print_trade(engine, printer, ticks(rises, "-10"))  # far beyond on the wrong side
    print_trade(engine, printer, ticks(rises, "3"))  # towards the stop, not there yet
    assert order.status == "NEW" and not order.is_working and order.order_id in engine.books["BTCUSDT"].stops
    assert locked(engine, trader, "USDT" if side == "BUY" else "BTC") == held
    clock.advance(1000)
    print_trade(engine, printer, ticks(rises, "6"))  # jumps past the stop without trading at it
    assert order.is_working and order.order_id not in engine.books["BTCUSDT"].stops
    assert order.working_time == order.update_time == clock.now_ms() > order.time
    if type_.endswith("_LIMIT"):
        # nothing to take at its limit: it rests there, working, still holding its lock
        assert order.status == "NEW"
        assert engine.best_bid_ask("BTCUSDT")[0 if side == "BUY" else 1] == (order.price, a("1"))
    else:
        assert order.status == "EXPIRED" and order.expiry_reason == "INSUFFICIENT_LIQUIDITY"
        assert locked(engine, trader, "USDT" if side == "BUY" else "BTC") == 0
    assert audit(engine) == []


@pytest.mark.parametrize("type_, side", list(KINDS))
def test_a_stop_fires_when_the_last_price_reaches_it_exactly(env, type_, side):
    engine, printer, trader = env
    rises = KINDS[(type_, side)]
    order = place_stop(engine, trader, type_, side, ticks(rises, "4"))
    print_trade(engine, printer, ticks(rises, "4"))
    assert order.is_working


@pytest.mark.parametrize("type_, side", list(KINDS))
def test_a_stop_at_or_past_the_last_price_is_refused(env, type_, side):
    engine, printer, trader = env
    rises = KINDS[(type_, side)]
    before = fingerprint(engine)
    rejects(Reject.WOULD_TRIGGER_IMMEDIATELY, place_stop, engine, trader, type_, side, LAST)
    rejects(Reject.WOULD_TRIGGER_IMMEDIATELY, place_stop, engine, trader, type_, side, ticks(rises, "-1"))
    assert fingerprint(engine) == before
    assert place_stop(engine, trader, type_, side, ticks(rises, "1")).status == "NEW"


# --- self-trade prevention applies to a triggered stop ----------------------------------------------------
@pytest.fixture
def own_ask_ahead(env):
    """`trader` rests an ask at 105 ahead of a stranger's at 106 and holds a buy stop-loss at 104."""
    engine, printer, trader = env
    stranger = funded(engine, BTC="10")
    own = limit(engine, trader, "SELL", "105", "1").order
    theirs = limit(engine, stranger, "SELL", "106", "1").order
    return engine, printer, trader, own, theirs


def test_a_triggered_stop_expires_its_owners_resting_order_under_expire_maker(own_ask_ahead):
    engine, printer, trader, own, theirs = own_ask_ahead
    stop = engine.place_order(trader, "BTCUSDT", "BUY", "STOP_LOSS", qty=a("1"), stop_price=a("104"),
                              stp="EXPIRE_MAKER").order
    print_trade(engine, printer, "104")
    assert own.status == "EXPIRED_IN_MATCH" and own.expiry_reason == "STP_EXPIRE_MAKER"
    assert own.executed == 0 and own.prevented_qty == a("1")
    assert stop.status == "FILLED" and stop.cum_quote == a("106") and theirs.status == "FILLED"
    assert engine.accounts[trader].trades["BTCUSDT"][-1][0].seller is theirs
    assert locked(engine, trader, "BTC") == 0 and locked(engine, trader, "USDT") == 0
    assert audit(engine) == []


def test_a_triggered_stop_expires_itself_under_expire_taker(own_ask_ahead):
    engine, printer, trader, own, theirs = own_ask_ahead
    stop = engine.place_order(trader, "BTCUSDT", "BUY", "STOP_LOSS_LIMIT", qty=a("1"), stop_price=a("104"),
                              price=a("106"), tif="GTC", stp="EXPIRE_TAKER").order
    print_trade(engine, printer, "104")
    assert stop.status == "EXPIRED_IN_MATCH" and stop.expiry_reason == "STP_EXPIRE_TAKER"
    assert stop.executed == 0 and own.status == "NEW" and theirs.status == "NEW"
    assert (free(engine, trader, "USDT"), locked(engine, trader, "USDT")) == (a("10000"), 0)
    assert audit(engine) == []


def test_a_triggered_stop_with_stp_none_trades_with_its_owner(own_ask_ahead):
    engine, printer, trader, own, theirs = own_ask_ahead
    stop = engine.place_order(trader, "BTCUSDT", "BUY", "STOP_LOSS", qty=a("1"), stop_price=a("104"),
                              stp="NONE").order
    print_trade(engine, printer, "104")
    assert stop.status == own.status == "FILLED" and stop.cum_quote == a("105") and theirs.status == "NEW"
