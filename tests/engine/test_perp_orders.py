"""Futures placement, fills, fees, positions and margin: the rules of the engine's first slice."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.engine.perp.events import AccountUpdate
from simulator.engine.perp.rejection import PerpReject
from simulator.engine.rejection import Reject
from tests.engine.helpers import Recorder, a, rejects
from tests.engine.perp_helpers import assert_clean, limit, market, new_futures, position, trader, wallet


@pytest.fixture
def venue():
    engine, clock = new_futures()
    return engine, clock, trader(engine), trader(engine)


def test_usdm_fees_are_two_and_five_basis_points(venue):
    engine, _, maker, taker = venue
    limit(engine, maker, "SELL", "50000", "1")
    result = market(engine, taker, "BUY", "1")
    trade = result.trades[0]
    assert (trade.seller_fee, trade.buyer_fee) == (a("10"), a("25"))  # 0.02 % and 0.05 % of 50,000
    assert wallet(engine, maker) == a("99990") and wallet(engine, taker) == a("99975")
    assert_clean(engine)


def test_fill_opens_opposite_positions_with_entry_price(venue):
    engine, _, maker, taker = venue
    limit(engine, maker, "SELL", "50000", "0.5")
    limit(engine, maker, "SELL", "50100", "0.5")
    market(engine, taker, "BUY", "1")
    long, short = position(engine, taker), position(engine, maker)
    assert long.amt == a("1") and short.amt == -a("1")
    assert long.entry_price(10**8, 8) == Decimal("50050.00000000")
    assert engine.open_interest("BTCUSDT") == a("1")
    assert_clean(engine)


def test_reducing_fill_realizes_pnl_and_flip_opens_at_fill_price(venue):
    engine, _, maker, taker = venue
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, taker, "BUY", "1")
    limit(engine, maker, "BUY", "51000", "3")
    result = market(engine, taker, "SELL", "3")
    assert result.trades[0].seller_pnl == a("1000")
    long = position(engine, taker)
    assert long.amt == -a("2") and long.entry_price(10**8, 8) == Decimal("51000")
    assert position(engine, maker).realized == -a("1000")
    assert_clean(engine)


def test_margin_is_checked_at_placement(venue):
    engine, _, _, _ = venue
    poor = trader(engine, "100")
    # 0.05 BTC at 50,000 is 2,500 of notional: 125 of margin at the default leverage 20
    rejects(PerpReject.MARGIN_INSUFFICIENT, limit, engine, poor, "BUY", "50000", "0.05")
    result = limit(engine, poor, "BUY", "50000", "0.039")
    assert result.order.locked == a("97.5")
    assert_clean(engine)


def test_cancel_gives_the_margin_back(venue):
    engine, _, maker, _ = venue
    order = limit(engine, maker, "BUY", "49000", "1").order
    assert engine.accounts[maker].locked("USDT") == a("2450")
    engine.cancel_order(maker, "BTCUSDT", order.order_id)
    assert engine.accounts[maker].balances["USDT"] == [a("100000"), 0]
    assert_clean(engine)


def test_order_that_reduces_needs_no_margin(venue):
    engine, _, maker, taker = venue
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, taker, "BUY", "1")
    result = limit(engine, taker, "SELL", "60000", "1")
    assert result.order.locked == 0


def test_account_update_only_when_wallet_or_position_moves(venue):
    engine, _, maker, taker = venue
    events = Recorder(engine)
    limit(engine, maker, "SELL", "50000", "1")
    assert not [e for e in events.events if isinstance(e, AccountUpdate)]
    market(engine, taker, "BUY", "1")
    updates = events.of("account_update")
    assert [u.account_id for u in updates] == [taker, maker]
    assert updates[0].positions[0].amt == a("1") and updates[0].reason == "ORDER"


def test_depth_update_ids_are_contiguous_per_book(venue):
    engine, _, maker, taker = venue
    events = Recorder(engine)
    limit(engine, maker, "SELL", "50000", "1")
    limit(engine, maker, "BUY", "49000", "1")
    market(engine, taker, "BUY", "0.5")
    ids = [e.update_id for e in events.of("depth")]
    assert ids == list(range(ids[0], ids[0] + len(ids)))
    assert engine.depth("BTCUSDT", 5)[0] == ids[-1]


def test_gtx_that_would_take_is_refused_and_fok_that_cannot_fill(venue):
    engine, _, maker, taker = venue
    limit(engine, maker, "SELL", "50000", "1")
    rejects(Reject.WOULD_TAKE, limit, engine, taker, "BUY", "50000", "0.1", tif="GTX")
    rejects(PerpReject.FOK_REJECTED, limit, engine, taker, "BUY", "50000", "2", tif="FOK")
    assert limit(engine, taker, "BUY", "49000", "0.1", tif="GTX").order.status == "NEW"
    assert_clean(engine)


def test_market_order_with_nothing_to_take(venue):
    engine, _, _, taker = venue
    rejects(Reject.NO_LIQUIDITY, market, engine, taker, "BUY", "1")


def test_income_history_is_bounded_by_the_retention():
    import random

    from simulator.engine.clock import ManualClock
    from simulator.engine.perp.engine import FuturesEngine
    from simulator.engine.retention import Retention
    from tests.engine.perp_helpers import perp_spec

    engine = FuturesEngine(ManualClock(), random.Random(1), [perp_spec()], Retention(income_rows=3))
    engine.set_index("BTCUSDT", a("50000"))
    me = trader(engine, "1000")
    for _ in range(4):
        engine.deposit(me, "USDT", a("1"))
    rows = engine.income_of(me)
    assert len(rows) == 3 and [r.income for r in rows] == [a("1")] * 3  # the first deposit aged out


def test_self_trade_prevention_as_on_spot(venue):
    engine, _, maker, _ = venue
    resting = limit(engine, maker, "SELL", "50000", "1").order
    result = limit(engine, maker, "BUY", "50000", "1", stp="EXPIRE_MAKER")
    assert resting.status == "EXPIRED_IN_MATCH" and not result.trades
    assert result.order.status == "NEW" and position(engine, maker) is None  # no trade, no position
    again = limit(engine, maker, "SELL", "50000", "1", stp="EXPIRE_TAKER").order
    assert again.status == "EXPIRED_IN_MATCH"
    assert_clean(engine)


def test_mark_follows_the_book_premium_and_decays(venue):
    engine, clock, maker, _ = venue
    limit(engine, maker, "BUY", "50090", "1")
    limit(engine, maker, "SELL", "50110", "1")
    assert engine.mark("BTCUSDT") == a("50000")
    clock.advance(300_000)
    engine.tick(clock.now_ms())  # half a time constant of the book's basis (+100)
    assert engine.mark("BTCUSDT") == a("50050")
    engine.set_premium("BTCUSDT", -a("200"))
    clock.advance(300_000)
    engine.tick(clock.now_ms())  # a pinned premium fades half way toward the book's basis
    assert engine.mark("BTCUSDT") == a("49950")
    assert engine.funding["BTCUSDT"].samples == 2  # one premium-index sample per minute boundary reached
