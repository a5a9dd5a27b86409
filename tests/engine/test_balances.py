"""Free and locked balances: deposits, withdrawals, and the funds orders hold from placement to their end."""
from __future__ import annotations

from simulator.engine.rejection import Reject

from tests.engine.helpers import (Recorder, a, fingerprint, free, funded, limit, locked, new_engine, rejects)


def test_deposit_and_withdraw_move_free_balance_and_emit_events():
    engine, _ = new_engine()
    account = funded(engine)
    recorder = Recorder(engine)
    engine.deposit(account, "USDT", a("100.5"))
    engine.withdraw(account, "USDT", a("0.5"))
    assert free(engine, account, "USDT") == a("100")
    assert engine.deposits["USDT"] == a("100.5") and engine.withdrawals["USDT"] == a("0.5")
    deposit, withdrawal = recorder.of("balance")
    assert (deposit.delta, deposit.free, deposit.locked, deposit.reason) == (a("100.5"), a("100.5"), 0, "DEPOSIT")
    assert (withdrawal.delta, withdrawal.free, withdrawal.reason) == (-a("0.5"), a("100"), "WITHDRAW")


def test_bad_deposits_and_withdrawals_are_rejected_and_change_nothing():
    engine, _ = new_engine()
    account = funded(engine, USDT="100")
    recorder = Recorder(engine)
    before = fingerprint(engine)
    rejects(Reject.INVALID_AMOUNT, engine.deposit, account, "USDT", 0)
    rejects(Reject.INVALID_AMOUNT, engine.deposit, account, "USDT", -5)
    rejects(Reject.INVALID_AMOUNT, engine.deposit, account, "USDT", 1.5)  # never a float for money
    rejects(Reject.INVALID_AMOUNT, engine.withdraw, account, "USDT", 0)
    rejects(Reject.INSUFFICIENT_BALANCE, engine.withdraw, account, "USDT", a("100") + 1)
    rejects(Reject.INSUFFICIENT_BALANCE, engine.withdraw, account, "BTC", 1)  # an asset never held
    rejects(Reject.UNKNOWN_ACCOUNT, engine.deposit, 999, "USDT", 1)
    assert fingerprint(engine) == before
    assert recorder.events == []
    engine.withdraw(account, "USDT", a("100"))  # exactly all of it is fine
    assert free(engine, account, "USDT") == 0


def test_limit_buy_locks_quote_at_its_price_and_sell_locks_base():
    engine, _ = new_engine()
    buyer = funded(engine, USDT="1000")
    seller = funded(engine, BTC="2")
    buy = limit(engine, buyer, "BUY", "99.5", "2").order
    sell = limit(engine, seller, "SELL", "101", "1.5").order
    assert (free(engine, buyer, "USDT"), locked(engine, buyer, "USDT")) == (a("801"), a("199"))
    assert buy.locked == a("199")
    assert (free(engine, seller, "BTC"), locked(engine, seller, "BTC")) == (a("0.5"), a("1.5"))
    assert sell.locked == a("1.5")


def test_locked_funds_cannot_be_withdrawn():
    engine, _ = new_engine()
    account = funded(engine, USDT="100")
    limit(engine, account, "BUY", "60", "1")
    rejects(Reject.INSUFFICIENT_BALANCE, engine.withdraw, account, "USDT", a("40.01"))
    engine.withdraw(account, "USDT", a("40"))
    assert (free(engine, account, "USDT"), locked(engine, account, "USDT")) == (0, a("60"))


def test_cancel_releases_the_lock():
    engine, _ = new_engine()
    account = funded(engine, USDT="100", BTC="1")
    buy = limit(engine, account, "BUY", "60", "1").order
    sell = limit(engine, account, "SELL", "70", "0.4").order
    engine.cancel_order(account, "BTCUSDT", buy.order_id)
    engine.cancel_order(account, "BTCUSDT", sell.order_id)
    assert (free(engine, account, "USDT"), locked(engine, account, "USDT")) == (a("100"), 0)
    assert (free(engine, account, "BTC"), locked(engine, account, "BTC")) == (a("1"), 0)
    assert buy.locked == sell.locked == 0


def test_expiry_releases_what_an_ioc_order_did_not_use():
    engine, _ = new_engine(tiers=None)
    maker = funded(engine, BTC="1")
    taker = funded(engine, USDT="1000")
    limit(engine, maker, "SELL", "100", "0.4")
    order = limit(engine, taker, "BUY", "100", "1", tif="IOC").order
    assert order.status == "EXPIRED" and order.executed == a("0.4")
    assert free(engine, taker, "USDT") == a("1000") - a("40")
    assert locked(engine, taker, "USDT") == 0
    assert free(engine, taker, "BTC") == a("0.4") - a("0.0004")  # 0.1 % fee in the asset received


def test_fill_spends_at_the_trade_price_and_returns_price_improvement():
    engine, _ = new_engine()
    maker = funded(engine, BTC="1")
    taker = funded(engine, USDT="1000")
    limit(engine, maker, "SELL", "100", "1")
    order = limit(engine, taker, "BUY", "105", "1").order
    assert order.status == "FILLED" and order.cum_quote == a("100")
    # locked 105 at placement; the trade at 100 released the 5 back to free
    assert (free(engine, taker, "USDT"), locked(engine, taker, "USDT")) == (a("900"), 0)
    assert (free(engine, maker, "BTC"), locked(engine, maker, "BTC")) == (0, 0)
    assert free(engine, maker, "USDT") == a("100") - a("0.1")


def test_partial_fill_keeps_locked_what_the_rest_still_needs():
    engine, _ = new_engine()
    maker = funded(engine, USDT="1000")
    taker = funded(engine, BTC="1")
    order = limit(engine, maker, "BUY", "100", "3").order
    limit(engine, taker, "SELL", "99", "1")  # fills 1 of the resting 3 at 100
    assert order.status == "PARTIALLY_FILLED"
    assert order.locked == locked(engine, maker, "USDT") == a("200")
    assert free(engine, maker, "USDT") == a("700")


def test_insufficient_balance_is_rejected_before_anything_changes():
    engine, _ = new_engine()
    account = funded(engine, USDT="100", BTC="0.5")
    maker = funded(engine, BTC="2")
    limit(engine, maker, "SELL", "60", "2")
    recorder = Recorder(engine)
    before = fingerprint(engine)
    next_id = engine.next_order_id
    rejects(Reject.INSUFFICIENT_BALANCE, limit, engine, account, "BUY", "50.01", "2")
    rejects(Reject.INSUFFICIENT_BALANCE, limit, engine, account, "SELL", "70", "0.501")
    # a market buy needs what its fills would cost: 1.7 x 60 = 102 > 100
    rejects(Reject.INSUFFICIENT_BALANCE, engine.place_order, account, "BTCUSDT", "BUY", "MARKET", qty=a("1.7"))
    rejects(Reject.INSUFFICIENT_BALANCE, engine.place_order, account, "BTCUSDT", "BUY", "STOP_LOSS",
            qty=a("1"), stop_price=a("100.01"))
    assert fingerprint(engine) == before
    assert engine.next_order_id == next_id
    assert recorder.kinds() == ["rejected"] * 4
    assert {e.reason for e in recorder.events} == {"INSUFFICIENT_BALANCE"}
    # exactly enough is enough
    limit(engine, account, "BUY", "50", "2")
    assert free(engine, account, "USDT") == 0


def test_market_buy_by_quantity_locks_exactly_its_cost():
    engine, _ = new_engine()
    maker = funded(engine, BTC="2")
    limit(engine, maker, "SELL", "60", "1")
    limit(engine, maker, "SELL", "70", "1")
    account = funded(engine, USDT="95")  # 1 x 60 + 0.5 x 70 = 95
    order = engine.place_order(account, "BTCUSDT", "BUY", "MARKET", qty=a("1.5")).order
    assert order.status == "FILLED" and order.cum_quote == a("95")
    assert (free(engine, account, "USDT"), locked(engine, account, "USDT")) == (0, 0)
