"""Bounded history (simulator.engine.retention): finished orders, own trades, public trades and klines beyond
the retention are forgotten, oldest first; open orders never are; accounts without history keep nothing; the
invariants hold throughout."""
from __future__ import annotations

import random

import pytest

from simulator.engine.audit import audit
from simulator.engine.clock import ManualClock
from simulator.engine.engine import Engine
from simulator.engine.fees import FeeSchedule, FeeTier
from simulator.engine.market_data import MINUTE_MS
from simulator.engine.rejection import Reject, Rejected
from simulator.engine.retention import Retention

from tests.engine.helpers import START_MS, a, limit, make_spec


def small_engine(**limits) -> tuple[Engine, ManualClock]:
    clock = ManualClock(START_MS)
    retention = Retention(**{"closed_orders": 3, "account_trades": 4, "market_trades": 5, "kline_minutes": 3,
                             **limits})
    engine = Engine(clock, random.Random(1), FeeSchedule([FeeTier.of("0.001", "0.001")]),
                    instruments=(make_spec(),), retention=retention)
    return engine, clock


def account(engine: Engine, keeps_history: bool = True) -> int:
    account_id = engine.open_account(keeps_history=keeps_history).account_id
    engine.deposit(account_id, "USDT", a("1000000"))
    engine.deposit(account_id, "BTC", a("1000"))
    return account_id


def kept_ids(engine: Engine, account_id: int) -> list[int]:
    return [o.order_id for o in engine.accounts[account_id].orders.get("BTCUSDT", [])]


def test_finished_orders_beyond_the_retention_are_forgotten_oldest_first_open_ones_never():
    engine, _ = small_engine()
    user = account(engine)
    resting = limit(engine, user, "BUY", "10", "1").order  # stays open throughout: never forgotten
    ids = [limit(engine, user, "BUY", "11", "1").order.order_id for _ in range(5)]
    # finish them out of id order: the one that finished first is forgotten first, whatever its id
    for order_id in [ids[3], ids[0], ids[4], ids[1], ids[2]]:
        engine.cancel_order(user, "BTCUSDT", order_id)
    assert kept_ids(engine, user) == [resting.order_id, ids[1], ids[2], ids[4]]
    assert [o.order_id for o in engine.accounts[user].closed] == [ids[4], ids[1], ids[2]]
    for gone in (ids[0], ids[3]):
        assert gone not in engine.orders
        with pytest.raises(Rejected) as refused:
            engine.find_order(user, "BTCUSDT", gone)
        assert refused.value.reason is Reject.UNKNOWN_ORDER
    assert engine.find_order(user, "BTCUSDT", resting.order_id) is resting
    assert engine.find_order(user, "BTCUSDT", client_id=resting.client_id) is resting
    assert audit(engine) == []


def test_a_finished_order_is_found_by_its_client_id_until_it_ages_out():
    engine, _ = small_engine(closed_orders=1)
    user = account(engine)
    first = limit(engine, user, "BUY", "11", "1", client_id="mine").order
    engine.cancel_order(user, "BTCUSDT", first.order_id)
    assert engine.find_order(user, "BTCUSDT", client_id="mine") is first
    second = limit(engine, user, "BUY", "11", "1").order
    engine.cancel_order(user, "BTCUSDT", second.order_id)
    with pytest.raises(Rejected):
        engine.find_order(user, "BTCUSDT", client_id="mine")


def test_each_account_keeps_its_own_finished_orders():
    engine, _ = small_engine(closed_orders=2)
    busy, quiet = account(engine), account(engine)
    quiet_order = limit(engine, quiet, "BUY", "11", "1").order
    engine.cancel_order(quiet, "BTCUSDT", quiet_order.order_id)
    for _ in range(10):
        engine.cancel_order(busy, "BTCUSDT", limit(engine, busy, "BUY", "11", "1").order.order_id)
    assert engine.orders[quiet_order.order_id] is quiet_order
    assert len(kept_ids(engine, busy)) == 2
    assert audit(engine) == []


def test_own_trades_public_trades_and_klines_are_bounded():
    engine, clock = small_engine(closed_orders=100)
    maker, taker = account(engine), account(engine)
    for _ in range(12):
        limit(engine, maker, "SELL", "100", "1")
        limit(engine, taker, "BUY", "100", "1")
        clock.advance(MINUTE_MS)
    assert len(engine.accounts[maker].trades["BTCUSDT"]) == 4
    assert [t.trade_id for t, _ in engine.accounts[taker].trades["BTCUSDT"]] == [9, 10, 11, 12]
    market = engine.market["BTCUSDT"]
    assert [t.trade_id for t in market.trades] == [8, 9, 10, 11, 12]
    assert len(market.agg_trades) == 5
    assert [k.first_id for k in market.klines] == [10, 11, 12]
    assert audit(engine) == []


def test_an_account_without_history_keeps_none_of_its_finished_orders_nor_its_trades():
    engine, _ = small_engine()
    house = account(engine, keeps_history=False)
    user = account(engine)
    quote = limit(engine, house, "SELL", "100", "2").order
    limit(engine, user, "BUY", "100", "1")
    assert engine.orders[quote.order_id] is quote  # open: kept
    assert "BTCUSDT" not in engine.accounts[house].trades or not engine.accounts[house].trades["BTCUSDT"]
    filled = limit(engine, user, "BUY", "100", "1")
    assert quote.order_id not in engine.orders and kept_ids(engine, house) == []
    # the user's trade still names the forgotten order as its counterpart
    trade, own = engine.accounts[user].trades["BTCUSDT"][-1]
    assert own is filled.order and trade.seller is quote
    taker = limit(engine, house, "BUY", "90", "1", tif="IOC").order  # expires at once: forgotten at once
    assert taker.order_id not in engine.orders
    assert engine.accounts[house].closed_kept == 0 and not engine.accounts[house].closed
    assert audit(engine) == []


def test_the_audit_notices_history_that_is_not_what_the_engine_keeps():
    engine, _ = small_engine()
    user = account(engine)
    order = limit(engine, user, "BUY", "11", "1").order
    engine.cancel_order(user, "BTCUSDT", order.order_id)
    engine.accounts[user].closed.clear()  # kept, yet not among its finished orders
    problems = audit(engine)
    assert any("is kept but not among" in problem for problem in problems)
    assert any("neither open nor among its finished orders" in problem for problem in problems)
    engine.accounts[user].closed.append(order)
    del engine.orders[order.order_id]  # listed in its history, not kept
    assert any("does not keep" in problem for problem in audit(engine))


def test_keep_history_applies_a_smaller_retention_to_what_an_account_holds():
    engine, _ = small_engine(closed_orders=10, account_trades=10)
    maker, user = account(engine), account(engine)
    for _ in range(6):
        limit(engine, maker, "SELL", "100", "1")
        limit(engine, user, "BUY", "100", "1")
    engine.keep_history(engine.accounts[user], False)
    assert kept_ids(engine, user) == [] and not engine.accounts[user].trades["BTCUSDT"]
    assert len(kept_ids(engine, maker)) == 6
    assert audit(engine) == []


@pytest.mark.parametrize("seed", range(4))
def test_the_invariants_hold_while_history_is_forgotten(seed):
    """Random trading by accounts with and without history, on a tiny retention: audited after every step."""
    rng = random.Random(seed)
    engine, clock = small_engine(closed_orders=2, account_trades=2, market_trades=2, kline_minutes=1)
    accounts = [account(engine), account(engine), account(engine, keeps_history=False)]
    for _ in range(300):
        who = rng.choice(accounts)
        action = rng.random()
        try:
            if action < 0.5:
                limit(engine, who, rng.choice(("BUY", "SELL")), str(rng.randint(95, 105)), str(rng.randint(1, 3)),
                      tif=rng.choice(("GTC", "GTC", "IOC")))
            elif action < 0.8 and engine.accounts[who].open_orders:
                engine.cancel_order(who, "BTCUSDT", rng.choice(sorted(engine.accounts[who].open_orders)))
            else:
                engine.place_order(who, "BTCUSDT", rng.choice(("BUY", "SELL")), "MARKET", qty=a("1"))
        except Rejected:
            pass
        clock.advance(rng.choice((0, 1000, MINUTE_MS)))
        assert audit(engine) == []
    assert all(len(engine.accounts[a_].closed) <= 2 for a_ in accounts)
    assert len(engine.orders) <= 2 * 2 + sum(len(engine.accounts[a_].open_orders) for a_ in accounts)
