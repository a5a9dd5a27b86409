"""Position mode, leverage, margin type and isolated margin: switches refused with Binance's reasons."""
from __future__ import annotations

import pytest

from simulator.engine.perp.events import ConfigUpdate
from simulator.engine.perp.rejection import PerpReject
from simulator.engine.rejection import Reject
from tests.engine.helpers import Recorder, a, rejects
from tests.engine.perp_helpers import assert_clean, limit, market, new_futures, position, trader, wallet


@pytest.fixture
def venue():
    engine, clock = new_futures()
    return engine, trader(engine), trader(engine)


def test_hedge_mode_needs_a_position_side_and_refuses_reduce_only(venue):
    engine, maker, taker = venue
    engine.set_position_mode(taker, True)
    limit(engine, maker, "SELL", "50000", "2")
    rejects(PerpReject.POSITION_SIDE_MISMATCH, market, engine, taker, "BUY", "1")
    rejects(PerpReject.REDUCE_ONLY_IN_HEDGE_MODE, market, engine, taker, "BUY", "1", position_side="LONG",
            reduce_only=True)
    market(engine, taker, "BUY", "1", position_side="LONG")
    limit(engine, maker, "BUY", "49000", "2")
    market(engine, taker, "SELL", "1", position_side="SHORT")  # opens a short beside the long
    assert position(engine, taker, side="LONG").amt == a("1")
    assert position(engine, taker, side="SHORT").amt == -a("1")
    assert_clean(engine)


def test_one_way_mode_refuses_long_and_short(venue):
    engine, maker, taker = venue
    limit(engine, maker, "SELL", "50000", "1")
    rejects(PerpReject.POSITION_SIDE_MISMATCH, market, engine, taker, "BUY", "1", position_side="LONG")


def test_hedge_close_cannot_exceed_the_position(venue):
    engine, maker, taker = venue
    engine.set_position_mode(taker, True)
    limit(engine, maker, "BUY", "49000", "5")
    rejects(PerpReject.REDUCE_ONLY_REJECTED, market, engine, taker, "SELL", "1", position_side="LONG")


def test_position_mode_switch_refused_with_open_orders_or_positions(venue):
    engine, maker, taker = venue
    rejects(PerpReject.POSITION_MODE_UNCHANGED, engine.set_position_mode, taker, False)
    order = limit(engine, taker, "BUY", "40000", "1").order
    rejects(PerpReject.POSITION_MODE_OPEN_ORDERS, engine.set_position_mode, taker, True)
    engine.cancel_order(taker, "BTCUSDT", order.order_id)
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, taker, "BUY", "1")
    rejects(PerpReject.POSITION_MODE_POSITION, engine.set_position_mode, taker, True)
    limit(engine, maker, "BUY", "50000", "1")
    market(engine, taker, "SELL", "1")
    engine.set_position_mode(taker, True)
    assert engine.settings_of(taker).dual_side


def test_leverage_within_brackets_and_event(venue):
    engine, _, taker = venue
    events = Recorder(engine)
    rejects(PerpReject.LEVERAGE_INVALID, engine.set_leverage, taker, "BTCUSDT", 0)
    rejects(PerpReject.LEVERAGE_INVALID, engine.set_leverage, taker, "BTCUSDT", 126)
    result = engine.set_leverage(taker, "BTCUSDT", 125)
    assert result.max_notional == a("50000")
    # brackets allow 125x, 62x, 25x, 12x, 6x, 2x, 1x: 10x reaches the fourth bracket's cap
    assert engine.set_leverage(taker, "BTCUSDT", 10).max_notional == a("50000000")
    update = events.of("config_update")[-1]
    assert isinstance(update, ConfigUpdate) and (update.symbol, update.leverage) == ("BTCUSDT", 10)


def test_position_beyond_the_bracket_at_leverage_is_refused(venue):
    engine, maker, taker = venue
    engine.set_leverage(taker, "BTCUSDT", 125)  # up to 50,000 of notional
    limit(engine, maker, "SELL", "50000", "2")
    rejects(PerpReject.MAX_POSITION_AT_LEVERAGE, market, engine, taker, "BUY", "1.1")
    market(engine, taker, "BUY", "0.9")
    rejects(PerpReject.MAX_POSITION_AT_LEVERAGE, market, engine, taker, "BUY", "0.2")


def test_leverage_raise_refused_when_it_would_exceed_the_bracket(venue):
    engine, maker, taker = venue
    limit(engine, maker, "SELL", "50000", "2")
    market(engine, taker, "BUY", "2")  # 100,000 of notional
    rejects(PerpReject.MAX_POSITION_AT_LEVERAGE, engine.set_leverage, taker, "BTCUSDT", 125)


def test_lower_leverage_refused_when_margin_cannot_carry_it(venue):
    engine, maker, _ = venue
    small = trader(engine, "6000")
    limit(engine, maker, "SELL", "50000", "2")
    market(engine, small, "BUY", "2")  # 100,000 at 20x: 5,000 of margin
    rejects(PerpReject.LEVERAGE_MARGIN_INSUFFICIENT, engine.set_leverage, small, "BTCUSDT", 10)
    assert engine.leverage_of(small, "BTCUSDT") == 20


def test_margin_type_switch_rules(venue):
    engine, maker, taker = venue
    rejects(PerpReject.MARGIN_TYPE_UNCHANGED, engine.set_margin_type, taker, "BTCUSDT", "CROSSED")
    order = limit(engine, taker, "BUY", "40000", "1").order
    rejects(PerpReject.MARGIN_TYPE_OPEN_ORDERS, engine.set_margin_type, taker, "BTCUSDT", "ISOLATED")
    engine.cancel_order(taker, "BTCUSDT", order.order_id)
    engine.set_margin_type(taker, "BTCUSDT", "ISOLATED")
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, taker, "BUY", "1")
    rejects(PerpReject.MARGIN_TYPE_POSITION, engine.set_margin_type, taker, "BTCUSDT", "CROSSED")
    rejects(Reject.INVALID_ORDER, engine.set_margin_type, taker, "BTCUSDT", "cross")


def test_isolated_position_holds_its_margin_and_can_be_topped_up(venue):
    engine, maker, taker = venue
    engine.set_margin_type(taker, "BTCUSDT", "ISOLATED")
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, taker, "BUY", "1")
    held = position(engine, taker)
    assert held.isolated_wallet == a("2500") - a("25")  # initial margin at 20x, less the taker fee
    assert wallet(engine, taker) == a("100000") - a("25")
    engine.adjust_margin(taker, "BTCUSDT", a("1000"), add=True)
    assert held.isolated_wallet == a("3475")
    rejects(PerpReject.ISOLATED_BALANCE_INSUFFICIENT, engine.adjust_margin, taker, "BTCUSDT", a("1000"), False)
    engine.adjust_margin(taker, "BTCUSDT", a("975"), add=False)
    assert held.isolated_wallet == a("2500")
    rejects(PerpReject.POSITION_NOT_SUFFICIENT, engine.adjust_margin, maker, "BTCUSDT", a("1"), True)
    assert_clean(engine)


def test_closing_isolated_position_returns_its_wallet(venue):
    engine, maker, taker = venue
    engine.set_margin_type(taker, "BTCUSDT", "ISOLATED")
    limit(engine, maker, "SELL", "50000", "1")
    market(engine, taker, "BUY", "1")
    limit(engine, maker, "BUY", "51000", "1")
    market(engine, taker, "SELL", "1")
    assert position(engine, taker).isolated_wallet == 0
    assert wallet(engine, taker) == a("100000") - a("25") + a("1000") - a("25.5")
    assert_clean(engine)


def test_leverage_change_reprices_the_open_orders_margin(venue):
    engine, _, taker = venue
    order = limit(engine, taker, "BUY", "40000", "1").order  # 2,000 at 20x
    engine.set_leverage(taker, "BTCUSDT", 40)
    assert order.locked == a("1000") and engine.accounts[taker].locked("USDT") == a("1000")
    engine.set_leverage(taker, "BTCUSDT", 2)
    assert order.locked == a("20000")
    poor = trader(engine, "1000")
    limit(engine, poor, "BUY", "40000", "0.4")  # 800 at 20x
    rejects(PerpReject.LEVERAGE_MARGIN_INSUFFICIENT, engine.set_leverage, poor, "BTCUSDT", 10)  # 1,600 > 1,000
    assert engine.accounts[poor].locked("USDT") == a("800") and engine.leverage_of(poor, "BTCUSDT") == 20
    assert_clean(engine)


def test_a_refused_leverage_change_leaves_no_setting_behind(venue):
    engine, _, _ = venue
    poor = trader(engine, "1000")
    limit(engine, poor, "BUY", "40000", "0.4")
    before = engine.settings_of(poor).state()
    rejects(PerpReject.LEVERAGE_MARGIN_INSUFFICIENT, engine.set_leverage, poor, "BTCUSDT", 10)
    assert engine.settings_of(poor).state() == before and poor not in engine.settings  # defaults: none stored
    engine.set_leverage(poor, "BTCUSDT", 25)
    before = engine.settings_of(poor).state()
    rejects(PerpReject.LEVERAGE_MARGIN_INSUFFICIENT, engine.set_leverage, poor, "BTCUSDT", 10)
    assert engine.settings_of(poor).state() == before and engine.leverage_of(poor, "BTCUSDT") == 25
    assert_clean(engine)
