"""The ledger at its edges: balances never seen, a withdrawal of everything, repeated transfers of one asset,
and a triggered stop buy re-locking next to the other orders its account holds."""
from __future__ import annotations

import pytest

from simulator.engine.audit import audit
from simulator.engine.rejection import Reject
from simulator.engine.retention import Retention

from tests.engine.helpers import Recorder, a, fingerprint, free, funded, limit, locked, make_spec, new_engine, rejects


def test_an_asset_never_held_reads_as_zero_free_and_zero_locked():
    engine, _ = new_engine()
    account = engine.accounts[funded(engine, USDT="1")]
    assert (account.free("XRP"), account.locked("XRP")) == (0, 0)
    assert type(account.free("XRP")) is int and type(account.locked("XRP")) is int
    assert "XRP" not in account.balances  # reading creates nothing


def test_withdrawing_everything_free_is_allowed_and_one_atom_more_is_not():
    engine, _ = new_engine()
    me = funded(engine, USDT="100", BTC="1")
    limit(engine, me, "BUY", "10", "1")  # 10 locked, 90 free
    before = fingerprint(engine)
    rejects(Reject.INSUFFICIENT_BALANCE, engine.withdraw, me, "USDT", a("90") + 1)
    assert fingerprint(engine) == before
    engine.withdraw(me, "USDT", a("90"))
    assert (free(engine, me, "USDT"), locked(engine, me, "USDT")) == (0, a("10"))
    rejects(Reject.INSUFFICIENT_BALANCE, engine.withdraw, me, "USDT", 1)
    rejects(Reject.INSUFFICIENT_BALANCE, engine.withdraw, me, "ETH", 1)  # never held


def test_the_ledger_adds_up_repeated_transfers_per_asset():
    engine, _ = new_engine()
    me = funded(engine, USDT="100", BTC="2")
    other = funded(engine, USDT="50")
    engine.deposit(me, "USDT", a("25"))
    engine.withdraw(me, "USDT", a("10"))
    engine.withdraw(other, "USDT", a("5"))
    engine.withdraw(me, "BTC", a("0.5"))
    assert engine.deposits == {"USDT": a("175"), "BTC": a("2")}
    assert engine.withdrawals == {"USDT": a("15"), "BTC": a("0.5")}
    assert (free(engine, me, "USDT"), free(engine, other, "USDT"), free(engine, me, "BTC")) == (
        a("115"), a("45"), a("1.5"))
    assert audit(engine) == []


def test_a_transfer_reports_the_balance_after_it_and_its_signed_change():
    engine, _ = new_engine()
    me = funded(engine, USDT="100")
    limit(engine, me, "BUY", "10", "1")
    recorder = Recorder(engine)
    engine.withdraw(me, "USDT", a("30"))
    engine.deposit(me, "USDT", a("5"))
    assert [(e.account_id, e.asset, e.free, e.locked, e.delta, e.reason) for e in recorder.events] == [
        (me, "USDT", a("60"), a("10"), -a("30"), "WITHDRAW"),
        (me, "USDT", a("65"), a("10"), a("5"), "DEPOSIT"),
    ]


# --- a triggered STOP_LOSS / TAKE_PROFIT buy re-locks at its real cost -----------------------------------
@pytest.fixture
def stop_env():
    """Last price 100; asks of 1 BTC at 105 and 106; the printer can print more trades."""
    engine, _ = new_engine()
    printer = funded(engine, USDT="100000", BTC="1000")
    limit(engine, printer, "SELL", "100", "0.02")
    limit(engine, printer, "BUY", "100", "0.02", tif="IOC", stp="NONE")
    mm = funded(engine, BTC="10")
    limit(engine, mm, "SELL", "105", "1")
    limit(engine, mm, "SELL", "106", "1")
    return engine, printer


def print_104(engine, printer):
    limit(engine, printer, "SELL", "104", "0.02")
    limit(engine, printer, "BUY", "104", "0.02", tif="IOC", stp="NONE")


def test_a_triggered_buy_that_has_exactly_its_cost_trades(stop_env):
    engine, printer = stop_env
    trader = funded(engine, USDT="211")  # 2 BTC cost 105 + 106
    stop = engine.place_order(trader, "BTCUSDT", "BUY", "STOP_LOSS", qty=a("2"), stop_price=a("104")).order
    assert locked(engine, trader, "USDT") == a("208")  # at the stop price while it waits
    print_104(engine, printer)
    assert stop.status == "FILLED" and stop.cum_quote == a("211")
    assert (free(engine, trader, "USDT"), locked(engine, trader, "USDT")) == (0, 0)
    assert audit(engine) == []


def test_a_triggered_buy_relocks_beside_what_its_other_orders_hold(stop_env):
    engine, printer = stop_env
    trader = funded(engine, USDT="1000")
    resting = limit(engine, trader, "BUY", "50", "2").order  # holds 100
    stop = engine.place_order(trader, "BTCUSDT", "BUY", "STOP_LOSS", qty=a("1.5"), stop_price=a("104")).order
    assert locked(engine, trader, "USDT") == a("100") + a("156")
    recorder = Recorder(engine)
    print_104(engine, printer)
    assert stop.status == "FILLED" and stop.cum_quote == a("105") + a("53")
    assert resting.status == "NEW" and resting.locked == a("100")
    assert (free(engine, trader, "USDT"), locked(engine, trader, "USDT")) == (a("1000") - a("100") - a("158"),
                                                                              a("100"))
    # the balance event after the operation shows the lock its other order still holds
    last = [e for e in recorder.of("balance") if e.account_id == trader and e.asset == "USDT"][-1]
    assert (last.free, last.locked) == (free(engine, trader, "USDT"), a("100"))
    assert audit(engine) == []


def test_a_triggered_buy_short_of_its_real_cost_expires_and_frees_its_lock(stop_env):
    engine, printer = stop_env
    trader = funded(engine, USDT="210.99")
    stop = engine.place_order(trader, "BTCUSDT", "BUY", "STOP_LOSS", qty=a("2"), stop_price=a("104")).order
    recorder = Recorder(engine)
    print_104(engine, printer)
    assert stop.status == "EXPIRED" and stop.expiry_reason == "INSUFFICIENT_BALANCE" and stop.executed == 0
    assert [(e.exec_type, e.status) for e in recorder.of("order") if e.order is stop] == [
        ("NEW", "NEW"), ("EXPIRED", "EXPIRED")]
    assert (free(engine, trader, "USDT"), locked(engine, trader, "USDT")) == (a("210.99"), 0)
    assert engine.depth("BTCUSDT", 5)[2] == [(a("105"), a("1")), (a("106"), a("1"))]
    assert audit(engine) == []


# --- accounts as they open ----------------------------------------------------------------------------------
def test_accounts_are_numbered_from_one_and_named_by_number_unless_named():
    engine, _ = new_engine()
    first = engine.open_account()
    named = engine.open_account("alice", fee_tier=0)
    third = engine.open_account()
    assert [(x.account_id, x.name) for x in (first, named, third)] == [(1, "account-1"), (2, "alice"),
                                                                       (3, "account-3")]
    assert engine.account(2) is named and first.update_time == 0 and first.balances == {}


def test_a_deposit_of_one_atom_is_a_deposit():
    engine, _ = new_engine()
    me = engine.open_account().account_id
    engine.deposit(me, "BTC", 1)
    assert free(engine, me, "BTC") == 1
    rejects(Reject.INVALID_AMOUNT, engine.deposit, me, "BTC", 0)
    rejects(Reject.INVALID_AMOUNT, engine.withdraw, me, "BTC", 0)


def test_an_order_needing_nothing_of_an_asset_never_held_leaves_it_at_zero():
    """A quote-sized market buy whose only step is expiring its own ask (EXPIRE_MAKER) needs no quote at all:
    the account, which never held any, shows zero free and zero locked after it."""
    engine, _ = new_engine()
    me = funded(engine, BTC="1")
    own = limit(engine, me, "SELL", "100", "1").order
    order = engine.place_order(me, "BTCUSDT", "BUY", "MARKET", quote_qty=a("50"), stp="EXPIRE_MAKER").order
    assert own.status == "EXPIRED_IN_MATCH" and order.executed == 0 and not order.is_open
    assert engine.accounts[me].balances["USDT"] == [0, 0]
    assert audit(engine) == []


def test_a_buy_filled_below_its_limit_keeps_locked_only_what_its_rest_needs():
    engine, _ = new_engine()
    seller = funded(engine, BTC="1")
    limit(engine, seller, "SELL", "100", "1")
    buyer = funded(engine, USDT="1000")
    order = limit(engine, buyer, "BUY", "101", "3").order  # locks 303; 1 fills at 100
    assert order.locked == a("202") and locked(engine, buyer, "USDT") == a("202")
    assert free(engine, buyer, "USDT") == a("1000") - a("100") - a("202")


def test_closed_orders_give_their_slot_back_one_each():
    engine, _ = new_engine(make_spec(max_num_orders=3))
    me = funded(engine, USDT="10000")
    seller = funded(engine, BTC="10")
    orders = [limit(engine, me, "BUY", price, "1").order for price in ("97", "98", "99")]
    rejects(Reject.MAX_NUM_ORDERS, limit, engine, me, "BUY", "96", "1")
    limit(engine, seller, "SELL", "99", "1")  # fills one of them
    assert orders[2].status == "FILLED"
    limit(engine, me, "BUY", "96", "1")
    rejects(Reject.MAX_NUM_ORDERS, limit, engine, me, "BUY", "95", "1")
    engine.cancel_order(me, "BTCUSDT", order_id=orders[0].order_id)
    limit(engine, me, "BUY", "95", "1")
    rejects(Reject.MAX_NUM_ORDERS, limit, engine, me, "BUY", "94", "1")


def test_one_order_allowed_means_the_first_order_is_allowed():
    engine, _ = new_engine(make_spec(max_num_orders=1))
    me = funded(engine, USDT="10000")
    limit(engine, me, "BUY", "97", "1")
    rejects(Reject.MAX_NUM_ORDERS, limit, engine, me, "BUY", "96", "1")


# --- what history an account keeps (retention.py) -----------------------------------------------------------
def test_an_account_says_whether_it_keeps_history():
    engine, _ = new_engine()
    assert engine.open_account().keeps_history is True
    assert engine.open_account(keeps_history=False).keeps_history is False


def test_a_smaller_retention_keeps_an_accounts_latest_trades():
    engine, _ = new_engine()
    seller = funded(engine, BTC="10")
    buyer = funded(engine, USDT="10000")
    for price in ("100", "101", "102"):
        limit(engine, seller, "SELL", price, "1")
        limit(engine, buyer, "BUY", price, "1")
    engine.retention = Retention(account_trades=2)
    engine.keep_history(engine.accounts[buyer], True)
    assert [t.price for t, _ in engine.accounts[buyer].trades["BTCUSDT"]] == [a("101"), a("102")]


@pytest.mark.parametrize("value", [-1, 1.5, "3", None])
def test_a_retention_is_a_non_negative_whole_count(value):
    with pytest.raises(ValueError):
        Retention(closed_orders=value)
    assert Retention(closed_orders=0).closed_orders == 0
