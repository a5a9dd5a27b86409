"""Market data the engine keeps: depth and its update id, best bid/ask, last trades, klines, 24 h statistics."""
from __future__ import annotations

import pytest

from simulator.engine.market_data import MINUTE_MS
from simulator.engine.retention import Retention
from simulator.engine.rejection import Rejected

from tests.engine.helpers import START_MS, Recorder, a, funded, limit, new_engine


@pytest.fixture
def env():
    engine, clock = new_engine()
    mm = funded(engine, USDT="10000000", BTC="10000")
    taker = funded(engine, USDT="10000000", BTC="10000")
    return engine, clock, mm, taker


def test_the_update_id_moves_on_every_book_change_and_only_then(env):
    engine, _, mm, taker = env
    recorder = Recorder(engine)
    ids = []

    def step(changes_book, operation, *args, **kwargs):
        before = engine.depth("BTCUSDT", 5)[0]
        try:
            operation(*args, **kwargs)
        except Rejected:
            pass
        after = engine.depth("BTCUSDT", 5)[0]
        assert after == before + (1 if changes_book else 0), operation
        ids.append(after)

    assert engine.depth("BTCUSDT", 5)[0] == 0
    step(True, limit, engine, mm, "BUY", "99", "1")  # a new level
    step(True, limit, engine, mm, "BUY", "99", "2")  # more at the same level
    order = engine.open_orders(mm)[0]
    step(True, engine.amend_order, mm, "BTCUSDT", a("0.5"), order_id=order.order_id)
    step(True, engine.cancel_order, mm, "BTCUSDT", order_id=order.order_id)
    step(True, limit, engine, taker, "SELL", "99", "0.5")  # a fill
    step(False, limit, engine, taker, "SELL", "200", "0.001")  # rejected (notional): no change
    step(False, engine.place_order, taker, "BTCUSDT", "SELL", "STOP_LOSS", qty=a("1"), stop_price=a("90"))
    step(False, limit, engine, taker, "SELL", "100", "1", tif="IOC")  # expires without touching the book
    step(False, engine.deposit, taker, "USDT", a("1"))
    step(True, limit, engine, mm, "SELL", "101", "1")
    step(True, engine.place_order, taker, "BTCUSDT", "BUY", "MARKET", qty=a("0.5"))
    # each depth event carries the id the snapshot then reports, one per book-changing operation
    assert [e.update_id for e in recorder.of("depth")] == sorted(set(ids))


def test_depth_snapshot_aggregates_levels_best_first(env):
    engine, _, mm, taker = env
    for price, qty in [("99", "1"), ("98", "2"), ("99", "0.5"), ("97.5", "1")]:
        limit(engine, mm, "BUY", price, qty)
    for price, qty in [("101", "1"), ("100.5", "3")]:
        limit(engine, taker, "SELL", price, qty)
    update_id, bids, asks = engine.depth("BTCUSDT", 2)
    assert bids == [(a("99"), a("1.5")), (a("98"), a("2"))]
    assert asks == [(a("100.5"), a("3")), (a("101"), a("1"))]
    assert update_id == 6
    assert engine.best_bid_ask("BTCUSDT") == ((a("99"), a("1.5")), (a("100.5"), a("3")))


def test_best_bid_ask_of_an_empty_and_a_one_sided_book(env):
    engine, _, mm, _ = env
    assert engine.best_bid_ask("BTCUSDT") == (None, None)
    limit(engine, mm, "SELL", "101", "1")
    assert engine.best_bid_ask("BTCUSDT") == (None, (a("101"), a("1")))


def test_depth_events_give_absolute_level_quantities(env):
    engine, _, mm, taker = env
    limit(engine, mm, "SELL", "101", "1")
    limit(engine, mm, "SELL", "101", "1")
    limit(engine, mm, "SELL", "102", "1")
    recorder = Recorder(engine)
    limit(engine, taker, "BUY", "102", "2.5")
    (depth,) = recorder.of("depth")
    assert depth.asks == [(a("101"), 0), (a("102"), a("0.5"))] and depth.bids == []


def test_last_trades_are_kept_newest_last_and_bounded(env):
    engine, _, mm, taker = env
    KEPT_TRADES = Retention().market_trades
    limit(engine, mm, "SELL", "100", "1000")
    for _ in range(KEPT_TRADES + 5):
        limit(engine, taker, "BUY", "100", "0.01")
    trades = engine.market["BTCUSDT"].trades
    assert len(trades) == KEPT_TRADES
    assert [t.trade_id for t in trades] == list(range(6, KEPT_TRADES + 6))
    assert engine.market["BTCUSDT"].last_trade is trades[-1]


def test_one_minute_klines_follow_the_injected_clock(env):
    engine, clock, mm, taker = env
    clock.set(START_MS + 10_000)
    limit(engine, mm, "SELL", "100", "1")
    limit(engine, taker, "BUY", "100", "1")  # taker buys: counts as taker-buy volume
    clock.set(START_MS + 50_000)
    limit(engine, mm, "BUY", "98", "2")
    limit(engine, taker, "SELL", "98", "2")  # taker sells
    limit(engine, mm, "SELL", "103", "0.5")
    limit(engine, taker, "BUY", "103", "0.5")
    clock.set(START_MS + MINUTE_MS + 1)
    limit(engine, mm, "SELL", "101", "1")
    limit(engine, taker, "BUY", "101", "1")
    first, second = engine.market["BTCUSDT"].klines
    assert (first.open_time, first.open, first.high, first.low, first.close) == (
        START_MS, a("100"), a("103"), a("98"), a("103"))
    assert (first.volume, first.quote_volume, first.count) == (a("3.5"), a("347.5"), 3)
    assert (first.taker_buy_volume, first.taker_buy_quote) == (a("1.5"), a("151.5"))
    assert (first.first_id, first.last_id) == (1, 3)
    assert (second.open_time, second.open, second.close, second.count) == (START_MS + MINUTE_MS, a("101"),
                                                                           a("101"), 1)


def test_24h_statistics_roll_with_the_clock(env):
    engine, clock, mm, taker = env
    limit(engine, mm, "SELL", "100", "1")
    limit(engine, taker, "BUY", "100", "1")
    clock.advance(60 * MINUTE_MS)
    limit(engine, mm, "SELL", "110", "2")
    limit(engine, taker, "BUY", "110", "2")
    stats = engine.market["BTCUSDT"].stats_24h(clock.now_ms())
    assert (stats.open, stats.high, stats.low, stats.last) == (a("100"), a("110"), a("100"), a("110"))
    assert (stats.volume, stats.quote_volume, stats.count) == (a("3"), a("320"), 2)
    assert (stats.first_id, stats.last_id, stats.last_qty) == (1, 2, a("2"))
    # 24 h after the first trade's minute closed it has left the window; the second is still in
    clock.set(START_MS + 24 * 60 * MINUTE_MS + MINUTE_MS)
    stats = engine.market["BTCUSDT"].stats_24h(clock.now_ms())
    assert (stats.open, stats.volume, stats.count, stats.first_id) == (a("110"), a("2"), 1, 2)
    assert stats.prev_close == a("100")
    # a day later with no trades the symbol is quiet: zero volume, prices at the last trade
    clock.advance(24 * 60 * MINUTE_MS)
    stats = engine.market["BTCUSDT"].stats_24h(clock.now_ms())
    assert (stats.volume, stats.count, stats.last, stats.first_id) == (0, 0, a("110"), -1)


def test_the_remembered_average_price_always_equals_a_fresh_computation(env):
    import random

    engine, clock, mm, taker = env
    market = engine.market["BTCUSDT"]
    rng = random.Random(5)
    for _ in range(300):
        clock.advance(rng.choice((0, 1, 999, 20_000, 59_999, 60_000, 61_000, 400_000)))
        if rng.random() < 0.4:
            price = f"{rng.randint(95, 105)}.{rng.randint(0, 99):02d}"
            limit(engine, mm, "SELL", price, "0.02")
            limit(engine, taker, "BUY", price, "0.02")
        for minutes in (1, 5, 5, 30):
            now = clock.now_ms()
            assert market.average_price(now, minutes) == market._average_price(now, minutes)
    assert market.average_price(clock.now_ms(), 5) is not None


# --- aggregate trades -------------------------------------------------------------------------------------
def _aggs(engine, symbol="BTCUSDT"):
    return [(g.agg_id, g.price, g.qty, g.first_id, g.last_id, g.time, g.buyer_is_maker)
            for g in engine.market[symbol].agg_trades]


def test_one_takers_trades_at_one_price_are_one_aggregate(env):
    engine, clock, mm, taker = env
    limit(engine, mm, "SELL", "100", "1")
    limit(engine, mm, "SELL", "100", "2")  # same level, a second maker order
    limit(engine, mm, "SELL", "101", "1")
    result = limit(engine, taker, "BUY", "101", "3.5")
    assert [t.trade_id for t in result.trades] == [1, 2, 3]
    # trades 1 and 2 (100) are one aggregate with the summed quantity; trade 3 (101) is the next one
    assert _aggs(engine) == [(1, a("100"), a("3"), 1, 2, START_MS, False),
                             (2, a("101"), a("0.5"), 3, 3, START_MS, False)]


def test_another_taker_at_the_same_price_opens_a_new_aggregate(env):
    engine, clock, mm, taker = env
    limit(engine, mm, "BUY", "99", "5")
    limit(engine, taker, "SELL", "99", "1")
    limit(engine, taker, "SELL", "99", "1")  # the same account and price, but another taker order
    assert _aggs(engine) == [(1, a("99"), a("1"), 1, 1, START_MS, True),
                             (2, a("99"), a("1"), 2, 2, START_MS, True)]
    assert engine.market["BTCUSDT"].next_agg_id == 3


def test_a_triggered_stop_is_a_taker_of_its_own(env):
    engine, clock, mm, taker = env
    limit(engine, mm, "SELL", "100", "1")
    limit(engine, mm, "SELL", "100", "1")
    engine.place_order(taker, "BTCUSDT", "BUY", "STOP_LOSS", qty=a("0.5"), stop_price=a("100"))
    limit(engine, taker, "BUY", "100", "1")  # takes the first ask; its trade at 100 fires the stop
    assert [(g.first_id, g.last_id, g.qty) for g in engine.market["BTCUSDT"].agg_trades] == \
        [(1, 1, a("1")), (2, 2, a("0.5"))]  # same price, consecutive trades, but two takers


def test_aggregates_are_queried_by_id_or_time(env):
    engine, clock, mm, taker = env
    for _ in range(3):
        limit(engine, mm, "SELL", "100", "1")
        limit(engine, mm, "SELL", "100", "1")
        limit(engine, taker, "BUY", "100", "2")
        clock.advance(1000)
    market = engine.market["BTCUSDT"]
    assert [(g.agg_id, g.first_id, g.last_id) for g in market.agg_trades] == [(1, 1, 2), (2, 3, 4), (3, 5, 6)]
    assert [g.agg_id for g in market.agg_trades_between(2, None, None, 500)] == [2, 3]
    assert [g.agg_id for g in market.agg_trades_between(1, None, None, 1)] == [1]
    assert [g.agg_id for g in market.agg_trades_between(None, START_MS + 1, None, 500)] == [2, 3]
    assert [g.agg_id for g in market.agg_trades_between(None, None, START_MS + 1000, 500)] == [1, 2]
    assert [g.agg_id for g in market.agg_trades_between(None, None, None, 2)] == [2, 3]
