"""Liquidation and margin calls to the atom (reference §9.1): when a margin call goes out (maintenance reaching
80 % of the margin balance, once until it recovers), when a position is liquidated (margin balance at or below
maintenance), the LIQUIDATION order and its bankruptcy price, the clearance fee and the insurance fund."""
from __future__ import annotations

from simulator.engine.perp.rejection import PerpReject
from tests.engine.helpers import Recorder, a, rejects
from tests.engine.perp_helpers import assert_clean, limit, market, new_futures, perp_spec, position, trader

BTC = a("1")


def _venue(*extra):
    engine, clock = new_futures(perp_spec("BTCUSDT"), perp_spec("ETHUSDT"), *extra)
    return engine, clock, trader(engine, "10000000")


def _long(engine, liquidity, account, symbol="BTCUSDT", qty="1", price="50000"):
    limit(engine, liquidity, "SELL", price, qty, symbol=symbol)
    market(engine, account, "BUY", qty, symbol=symbol)


def _consecutive(events) -> bool:
    seqs = [e.seq for e in events]
    return seqs == list(range(seqs[0], seqs[0] + len(seqs)))


def _rows(engine, account, income_type):
    return [(r.symbol, r.income, r.asset, r.info, r.time) for r in engine.income_of(account)
            if r.income_type == income_type]


def test_a_cross_liquidation_closes_at_the_book_and_the_fund_keeps_what_is_left_above_bankruptcy():
    engine, clock, liquidity = _venue()
    now = clock.now_ms()
    fund = engine.insurance_fund("USDT")
    for number in (1, 2):  # two victims in turn: the client ids count, the fund adds up
        engine.set_index("BTCUSDT", a("50000"))
        victim = trader(engine, "3000")
        _long(engine, liquidity, victim)  # cross wallet 2,975 after the 25 fee
        resting = limit(engine, victim, "BUY", "48000", "0.001").order  # held margin: cancelled first
        limit(engine, liquidity, "BUY", "47200", "1")  # the bid the liquidation sells into
        next_id = engine.next_order_id
        events = Recorder(engine)
        result = engine.set_index("BTCUSDT", a("47200"))  # margin 175 vs maintenance 188.8
        assert [(o.account_id, o.order_id) for o in result.orders] == [(victim, next_id)]
        order = result.orders[0]
        assert resting.status == "CANCELED" and resting.update_time == now
        assert (order.client_id, order.type, order.side, order.tif, order.price, order.qty, order.stop_price,
                order.stp, order.time, order.working_time, order.reduce_only, order.position_side) == \
            (f"autoclose-{number}", "LIQUIDATION", "SELL", "IOC", 0, BTC, 0, "NONE", now, now, True, "BOTH")
        # the margin balance (175) runs out 175 below the mark
        assert order.bankruptcy_price == a("47025")
        assert (order.status, order.executed) == ("FILLED", BTC)
        forced = events.of("force_order")
        assert len(forced) == 1 and forced[0].order is order and forced[0].time == now
        assert forced[0].avg_price == "47200.00000000"
        assert _consecutive(events.events)
        assert engine.next_order_id == next_id + 1
        # 175 less the 23.60 close fee is left: the clearance fee, and nothing for the fund to pay
        assert _rows(engine, victim, "INSURANCE_CLEAR") == [("", -a("151.4"), "USDT", "LIQUIDATION_CLEARANCE", now)]
        assert engine.accounts[victim].balances["USDT"] == [0, 0]
        update = [e for e in events.of("account_update") if e.account_id == victim][-1]
        assert update.balances[0].balance_change == -a("151.4")
        assert engine.insurance_fund("USDT") == fund + number * a("151.4")
        assert engine.insurance_taken["USDT"] == number * a("151.4")
    assert_clean(engine)


def test_a_gap_past_bankruptcy_is_paid_by_the_insurance_fund_and_bankruptcy_is_the_mark():
    engine, clock, liquidity = _venue()
    victim = trader(engine, "3000")
    _long(engine, liquidity, victim)
    limit(engine, liquidity, "BUY", "40000", "1")  # far below: the close loses more than the margin
    fund = engine.insurance_fund("USDT")
    events = Recorder(engine)
    result = engine.set_index("BTCUSDT", a("47000"))  # margin 2,975 - 3,000 < 0: no price left to give
    update = [e for e in events.of("account_update") if e.account_id == victim][-1]
    assert [tuple(row) for row in update.balances] == [("USDT", 0, 0, a("7045"))]
    assert result.orders[0].bankruptcy_price == a("47000")
    # 2,975 - 10,000 loss - 20 fee = -7,045: the fund brings the wallet back to zero
    assert _rows(engine, victim, "INSURANCE_CLEAR") == [("", a("7045"), "USDT", "", clock.now_ms())]
    assert engine.accounts[victim].balances["USDT"] == [0, 0]
    assert engine.insurance_fund("USDT") == fund - a("7045")
    assert engine.insurance_cleared["USDT"] == a("7045")
    assert_clean(engine)


def test_a_cross_liquidation_cancels_every_order_holding_margin_in_the_asset_first():
    engine, _, liquidity = _venue(perp_spec("XRPUSDT"))
    victim = trader(engine, "3100")
    engine.set_margin_type(victim, "XRPUSDT", "ISOLATED")
    _long(engine, liquidity, victim)
    elsewhere = limit(engine, victim, "BUY", "49000", "0.04", symbol="ETHUSDT").order  # 98 held
    # an order for an isolated symbol holds its margin in the cross wallet too until it fills
    isolated = limit(engine, victim, "BUY", "49000", "0.001", symbol="XRPUSDT").order
    other_asset = perp_spec("ETHBUSD", quote="BUSD", margin_asset="BUSD")
    engine.add_instrument(other_asset)
    engine.deposit(victim, "BUSD", a("100"))
    busd = limit(engine, victim, "BUY", "49000", "0.001", symbol="ETHBUSD").order
    limit(engine, liquidity, "BUY", "40000", "1")
    engine.set_index("BTCUSDT", a("47000"))
    assert (elsewhere.status, isolated.status, busd.status) == ("CANCELED", "CANCELED", "NEW")
    # 3,075 - 10,000 - 20 = -6,945, paid by the fund: the wallet is back to zero, no free balance below it
    assert engine.accounts[victim].balances["USDT"] == [0, 0]
    assert [r.income for r in engine.income_of(victim) if r.income_type == "INSURANCE_CLEAR"] == [a("6945")]
    assert_clean(engine)


def test_no_clearance_fee_when_the_close_leaves_nothing_and_one_atom_when_it_leaves_one():
    engine, clock, liquidity = _venue()
    nothing, one_atom = trader(engine, "2848.6"), trader(engine, "2848.60000001")
    for victim in (nothing, one_atom):
        _long(engine, liquidity, victim)  # 2,823.60 (and one atom) after the fee
    limit(engine, liquidity, "BUY", "47200", "2")
    engine.set_index("BTCUSDT", a("47200"))  # 23.60 of margin: the close's 23.60 fee takes it all
    assert _rows(engine, nothing, "INSURANCE_CLEAR") == []
    assert _rows(engine, one_atom, "INSURANCE_CLEAR") == [("", -1, "USDT", "LIQUIDATION_CLEARANCE", clock.now_ms())]
    assert_clean(engine)


def test_the_bankruptcy_price_of_an_odd_size_is_cut_to_the_tick():
    engine, _, liquidity = _venue()
    victim = trader(engine, "9.001")
    _long(engine, liquidity, victim, qty="0.003")  # 8.926 after the 0.075 fee
    limit(engine, liquidity, "BUY", "47200", "1")
    result = engine.set_index("BTCUSDT", a("47200"))  # 8.926 - 8.4 = 0.526 against 0.5664 maintenance
    # 0.526 / 0.003 = 175.333... below the mark: 47,024.666..., cut to the 0.1 tick
    assert result.orders[0].bankruptcy_price == a("47024.6")
    assert type(result.orders[0].bankruptcy_price) is int


def test_an_isolated_short_liquidation_keeps_the_other_orders_and_clears_its_own_margin_only():
    engine, clock, liquidity = _venue()
    victim = trader(engine, "100000")
    engine.set_margin_type(victim, "BTCUSDT", "ISOLATED")
    limit(engine, liquidity, "BUY", "50000", "1")
    market(engine, victim, "SELL", "1")
    assert position(engine, victim).isolated_wallet == a("2475")  # 2,500 initial margin at 20x less the fee
    engine.adjust_margin(victim, "BTCUSDT", a("0.05"), True)
    on_symbol = limit(engine, victim, "SELL", "52000", "0.001").order
    elsewhere = limit(engine, victim, "BUY", "49000", "0.001", symbol="ETHUSDT").order
    limit(engine, liquidity, "SELL", "52300", "1")
    free = engine.accounts[victim].free("USDT") + on_symbol.locked  # what the victim has once the order goes
    result = engine.set_index("BTCUSDT", a("52300.03"))  # 2,475.05 - 2,300.03 = 175.02 < maintenance 209.2
    order = result.orders[0]
    assert (order.side, order.position_side) == ("BUY", "BOTH")
    # entry + isolated wallet = 52,475.05, cut to the 0.1 tick
    assert order.bankruptcy_price == a("52475")
    assert on_symbol.status == "CANCELED" and elsewhere.status == "NEW"
    # 2,475.05 - 2,300 loss - 26.15 fee = 148.90 returned, and taken as the clearance fee
    assert _rows(engine, victim, "INSURANCE_CLEAR") == \
        [("BTCUSDT", -a("148.9"), "USDT", "LIQUIDATION_CLEARANCE", clock.now_ms())]
    assert engine.accounts[victim].free("USDT") == free
    assert position(engine, victim).amt == 0 and position(engine, victim).isolated_wallet == 0
    assert_clean(engine)


def test_liquidation_happens_when_margin_balance_equals_maintenance_not_one_atom_before():
    engine, _, liquidity = _venue()
    exact, above = trader(engine, "100000"), trader(engine, "100000")
    for victim, extra in ((exact, "15.8"), (above, "15.80000001")):
        engine.set_margin_type(victim, "BTCUSDT", "ISOLATED")
        _long(engine, liquidity, victim)
        engine.adjust_margin(victim, "BTCUSDT", a(extra), True)
    cross = trader(engine, "2515.8")  # a cross wallet of 2,490.80 after the fee
    _long(engine, liquidity, cross)
    limit(engine, liquidity, "BUY", "47000", "5")
    # at 47,700: 2,490.80 - 2,300 = 190.80 = 47,700 x 0.4 %
    result = engine.set_index("BTCUSDT", a("47700"))
    assert sorted(o.account_id for o in result.orders) == sorted([exact, cross])
    assert position(engine, above).amt == BTC
    assert_clean(engine)


def test_a_margin_call_goes_out_at_exactly_80_percent_once_and_again_after_recovering():
    engine, clock, liquidity = _venue()
    isolated_at, isolated_below, isolated_too = (trader(engine, "100000") for _ in range(3))
    for victim, extra in ((isolated_at, "63.5"), (isolated_below, "63.51"), (isolated_too, "63.5")):
        engine.set_margin_type(victim, "BTCUSDT", "ISOLATED")
        _long(engine, liquidity, victim)
        engine.adjust_margin(victim, "BTCUSDT", a(extra), True)  # 2,538.50: 238.50 left at 47,700
    limit(engine, isolated_at, "BUY", "49000", "0.001", symbol="ETHUSDT")  # held margin counts in the wallet
    cross_at, cross_too = trader(engine, "2563.5"), trader(engine, "2563.5")
    for victim in (cross_at, cross_too):
        _long(engine, liquidity, victim)  # cross wallet 2,538.50
    events = Recorder(engine)
    engine.set_index("BTCUSDT", a("47800"))  # 275 margin vs 191.2: 69.5 %
    assert not events.of("margin_call")
    warned = [isolated_at, isolated_too, cross_at, cross_too]
    for _ in range(2):
        events.clear()
        engine.set_index("BTCUSDT", a("47700"))  # 190.80 x 100 == 238.50 x 80
        calls = events.of("margin_call")
        assert sorted(c.account_id for c in calls) == sorted(warned)
        engine.set_index("BTCUSDT", a("47699.99"))  # still warned: no second call
        engine.set_index("BTCUSDT", a("47700"))
        assert len(events.of("margin_call")) == len(warned)
        engine.set_index("BTCUSDT", a("49000"))  # back under: the next crossing warns again
    by_account = {c.account_id: c for c in calls}
    row = ("BTCUSDT", "BOTH", BTC, "ISOLATED", a("2538.5"), a("47700"), -a("2300"), a("190.8"))
    assert tuple(by_account[isolated_at].positions[0]) == row
    assert by_account[isolated_at].cross_wallet == a("100000") - a("2500") - a("63.5")
    assert by_account[isolated_at].time == clock.now_ms()
    assert tuple(by_account[cross_at].positions[0]) == ("BTCUSDT", "BOTH", BTC, "CROSSED", 0, a("47700"),
                                                        -a("2300"), a("190.8"))
    assert by_account[cross_at].cross_wallet == a("2538.5")
    assert _consecutive(events.events)
    assert not events.of("force_order")


def test_every_cross_position_in_the_margin_asset_counts_toward_the_margin_call():
    sol = perp_spec("SOLUSDT")
    eth_busd = perp_spec("ETHBUSD", quote="BUSD", margin_asset="BUSD")
    engine, _, liquidity = _venue(perp_spec("ADAUSDT"), eth_busd)
    engine.add_instrument(sol)  # no index yet: its positions count at entry
    engine.deposit(liquidity, "BUSD", a("1000000"))
    other_asset, flat_first, unmarked, two_symbols = (trader(engine, "3000") for _ in range(4))
    engine.deposit(other_asset, "BUSD", a("3000"))
    _long(engine, liquidity, other_asset, "ETHBUSD", "0.01")  # first of its positions, in BUSD
    _long(engine, liquidity, flat_first, "ADAUSDT", "0.01")
    limit(engine, liquidity, "BUY", "50000", "0.01", symbol="ADAUSDT")
    market(engine, flat_first, "SELL", "0.01", symbol="ADAUSDT")  # flat, and first of its positions
    _long(engine, liquidity, unmarked, "SOLUSDT", "0.01")
    _long(engine, liquidity, two_symbols, "ETHUSDT")  # its first symbol moves, its second does not
    _long(engine, liquidity, two_symbols, "BTCUSDT", "0.001")
    for victim in (other_asset, flat_first, unmarked):
        _long(engine, liquidity, victim)
    events, called = Recorder(engine), []
    for symbol in ("BTCUSDT", "ETHUSDT"):
        events.clear()
        engine.set_index(symbol, a("49990"))  # far from any call: judged safe and remembered
        engine.set_index(symbol, a("49980"))
        assert not events.of("margin_call")
        engine.set_index(symbol, a("47250"))  # about 225 of margin against 189 of maintenance: 84 %
        called += [c.account_id for c in events.of("margin_call")]
    assert sorted(called) == sorted([other_asset, flat_first, unmarked, two_symbols])
    assert not events.of("force_order")


def test_cross_and_isolated_positions_liquidated_in_one_move_are_all_reported():
    engine, _, liquidity = _venue()
    both, plain = trader(engine, "3000"), trader(engine, "3000")
    engine.deposit(both, "USDT", a("2500"))
    engine.set_margin_type(both, "ETHUSDT", "ISOLATED")
    _long(engine, liquidity, both)  # cross BTC first
    _long(engine, liquidity, both, "ETHUSDT")  # then isolated ETH: 2,475 of its own
    _long(engine, liquidity, plain)
    limit(engine, liquidity, "BUY", "46000", "5")
    limit(engine, liquidity, "BUY", "46000", "5", symbol="ETHUSDT")
    engine.set_index("ETHUSDT", a("47000"), check=False)  # ETH under water, not yet judged
    result = engine.set_index("BTCUSDT", a("47000"))
    assert [(o.account_id, o.symbol) for o in result.orders] == \
        [(both, "BTCUSDT"), (both, "ETHUSDT"), (plain, "BTCUSDT")]
    assert position(engine, both, "ETHUSDT").amt == 0
    assert_clean(engine)


# --- margin figures -------------------------------------------------------------------------------------------
def _figures(positions):
    """(cross unrealized, cross initial, cross maint, isolated unrealized, isolated initial, isolated maint) by
    the rule: notional = |size| x mark cut to the atom, PnL against cost, initial = notional / leverage rounded
    up, maintenance = notional x 0.4 % rounded up (first bracket)."""
    out = [0] * 6
    for amt, cost, mark, leverage, isolated in positions:
        notional = abs(amt) * mark // BTC
        pnl = notional - cost if amt > 0 else cost - notional
        base = 3 if isolated else 0
        out[base] += pnl
        out[base + 1] += -(-notional // leverage)
        out[base + 2] += -(-notional * 4 // 1000)
    return out


def test_account_figures_sum_each_margin_type_at_the_marks():
    sol = perp_spec("SOLUSDT")
    eth_busd = perp_spec("ETHBUSD", quote="BUSD", margin_asset="BUSD")
    engine, _, liquidity = _venue(perp_spec("ADAUSDT"), perp_spec("DOTUSDT"), perp_spec("XRPUSDT"), eth_busd)
    engine.add_instrument(sol)
    engine.deposit(liquidity, "BUSD", a("1000000"))
    account = trader(engine, "100000")
    engine.deposit(account, "BUSD", a("1000"))
    _long(engine, liquidity, account, "ETHBUSD", "0.01")  # another margin asset: not in USDT's figures
    _long(engine, liquidity, account, "ADAUSDT", "0.01")
    limit(engine, liquidity, "BUY", "50000", "0.01", symbol="ADAUSDT")
    market(engine, account, "SELL", "0.01", symbol="ADAUSDT")  # flat
    limit(engine, liquidity, "BUY", "50000", "0.003", symbol="DOTUSDT")
    market(engine, account, "SELL", "0.003", symbol="DOTUSDT")  # a cross short before the cross long
    engine.set_leverage(account, "BTCUSDT", 7)
    _long(engine, liquidity, account, "BTCUSDT", "0.003")
    engine.set_margin_type(account, "ETHUSDT", "ISOLATED")
    engine.set_margin_type(account, "XRPUSDT", "ISOLATED")
    limit(engine, liquidity, "BUY", "50000", "0.003", symbol="ETHUSDT")
    market(engine, account, "SELL", "0.003", symbol="ETHUSDT")  # isolated short
    _long(engine, liquidity, account, "XRPUSDT", "0.001")  # isolated long
    limit(engine, liquidity, "BUY", "50000", "0.002", symbol="SOLUSDT")
    market(engine, account, "SELL", "0.002", symbol="SOLUSDT")  # cross short, no mark
    limit(engine, account, "BUY", "40000", "0.001")  # an open order's margin
    btc, eth, xrp, dot = a("50000.33333333"), a("50000.77777777"), a("49999.11111111"), a("49000.66666666")
    engine.set_index("DOTUSDT", dot)
    engine.set_index("BTCUSDT", btc)
    engine.set_index("ETHUSDT", eth)
    engine.set_index("XRPUSDT", xrp)
    figures = engine.risk(account, "USDT")
    expected = _figures([(-a("0.003"), a("150"), dot, 20, False), (a("0.003"), a("150"), btc, 7, False),
                         (-a("0.002"), a("100"), a("50000"), 20, False),
                         (-a("0.003"), a("150"), eth, 20, True), (a("0.001"), a("50"), xrp, 20, True)])
    assert [figures.cross_unrealized, figures.cross_initial, figures.cross_maint, figures.isolated_unrealized,
            figures.isolated_initial, figures.isolated_maint] == expected
    wallets = sum(position(engine, account, s).isolated_wallet for s in ("ETHUSDT", "XRPUSDT"))
    assert wallets == a("7.5") - a("0.075") + a("2.5") - a("0.025")  # initial margin less the fee, each
    assert figures.isolated_wallets == wallets
    free, locked = engine.accounts[account].balances["USDT"]
    assert (figures.asset, figures.free, figures.locked) == ("USDT", free, locked) and locked == -(-a("40") // 7)
    assert {p.symbol for p in figures.positions} == {"BTCUSDT", "DOTUSDT", "SOLUSDT", "ETHUSDT", "XRPUSDT"}
    # available = free + cross unrealized - cross initial: an order needing exactly that is accepted, not more
    available = free + expected[0] - expected[1]
    need = a("40")  # 0.001 at 40,000 at 1x
    engine.set_leverage(account, "ADAUSDT", 1)
    engine.withdraw(account, "USDT", available - need)
    engine.test_order(account, "ADAUSDT", "BUY", "LIMIT", qty=a("0.001"), price=a("40000"), tif="GTC")
    engine.withdraw(account, "USDT", 1)
    rejects(PerpReject.MARGIN_INSUFFICIENT, engine.test_order, account, "ADAUSDT", "BUY", "LIMIT",
            qty=a("0.001"), price=a("40000"), tif="GTC")
    empty = engine.risk(account, "BNB")  # no balance and no position in it
    assert (empty.asset, empty.free, empty.locked, empty.positions, empty.isolated_wallets) == ("BNB", 0, 0, [], 0)


def test_an_account_without_positions_may_use_exactly_its_free_balance():
    engine, _, _ = _venue()
    account = trader(engine, "40")
    engine.set_leverage(account, "BTCUSDT", 1)
    engine.test_order(account, "BTCUSDT", "BUY", "LIMIT", qty=a("0.001"), price=a("40000"), tif="GTC")
    penniless = trader(engine, "0")  # not even a balance entry in the margin asset
    rejects(PerpReject.MARGIN_INSUFFICIENT, engine.test_order, penniless, "BTCUSDT", "BUY", "LIMIT",
            qty=a("0.001"), price=a("40000"), tif="GTC")
    poorer = trader(engine, "39.99999999")
    engine.set_leverage(poorer, "BTCUSDT", 1)
    rejects(PerpReject.MARGIN_INSUFFICIENT, engine.test_order, poorer, "BTCUSDT", "BUY", "LIMIT",
            qty=a("0.001"), price=a("40000"), tif="GTC")
