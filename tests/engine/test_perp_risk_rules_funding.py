"""Funding settlement to the atom (reference §9): every open position pays or receives |size| x mark x rate,
payers rounded up and receivers down, one FUNDING_FEE income row and one account update per account, the
rounding rest to the insurance fund, and a wallet that funding moved judged afresh for its margin."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from simulator.engine.perp.funding import FundingRecord
from tests.engine.helpers import Recorder, a
from tests.engine.perp_helpers import assert_clean, limit, market, new_futures, perp_spec, trader, wallet

RATE = Decimal("0.00012345")
MARK = a("50000.12345678")


def _fee(amt: int, mark: int, rate: Decimal) -> int:
    """What one position gets (+) or pays (-): |size| x mark cut to the atom, times the rate; a payer's share
    rounded up, a receiver's down."""
    notional = abs(amt) * mark // 10**8
    share = notional * abs(Fraction(rate))
    pays = (amt > 0) == (rate > 0)
    return -((share.numerator + share.denominator - 1) // share.denominator) if pays else int(share)


def _market():
    # sizes down to one atom (so the whole-price tick keeps every notional on the atom grid)
    fine = perp_spec("BTCUSDT", tick_size=Decimal("1"), step_size=Decimal("0.00000001"),
                     min_qty=Decimal("0.00000001"), min_notional=Decimal("0"))
    engine, clock = new_futures(fine, perp_spec("ETHUSDT"))
    return engine, clock, trader(engine, "10000000")


def _trade(engine, liquidity, account, side, qty, **kwargs):
    limit(engine, liquidity, "SELL" if side == "BUY" else "BUY", "50000", qty)
    market(engine, account, side, qty, **kwargs)


def test_each_account_pays_or_receives_its_positions_funding_with_one_row_and_one_update():
    engine, clock, liquidity = _market()
    one_atom, plain, hedged, with_isolated = (trader(engine) for _ in range(4))
    _trade(engine, liquidity, one_atom, "BUY", "0.00000001")
    _trade(engine, liquidity, plain, "BUY", "0.003")
    engine.set_position_mode(hedged, True)
    _trade(engine, liquidity, hedged, "BUY", "0.001", position_side="LONG")
    _trade(engine, liquidity, hedged, "SELL", "0.005", position_side="SHORT")
    engine.set_margin_type(with_isolated, "ETHUSDT", "ISOLATED")
    limit(engine, liquidity, "SELL", "50000", "0.01", symbol="ETHUSDT")
    market(engine, with_isolated, "BUY", "0.01", symbol="ETHUSDT")
    _trade(engine, liquidity, with_isolated, "SELL", "0.002")
    limit(engine, with_isolated, "SELL", "51000", "0.001")  # held margin: in the wallet, not free
    limit(engine, plain, "BUY", "49000", "0.001")
    engine.set_index("BTCUSDT", MARK)
    engine.set_funding_rate("BTCUSDT", RATE)
    # a one-atom long: worth 50,000.12 atoms, cut to 50,000, what it cost; 20x and 0.4 % of that, rounded up
    smallest = engine.risk(one_atom, "USDT")
    assert (smallest.cross_unrealized, smallest.cross_initial, smallest.cross_maint) == (0, 2500, 200)
    positions = list(engine.open_positions["BTCUSDT"].values())
    expected: dict[int, int] = {}
    for p in positions:
        expected[p.account_id] = expected.get(p.account_id, 0) + _fee(p.amt, MARK, RATE)
    assert expected[one_atom] == -7  # 50,000 atoms x 0.012345 % = 6.17: rounded up for a payer
    assert expected[hedged] == _fee(a("0.001"), MARK, RATE) + _fee(-a("0.005"), MARK, RATE)
    before = {account: wallet(engine, account) for account in expected}
    rows_before = {account: len(engine.income_of(account)) for account in expected}
    fund, next_tran_id = engine.insurance_fund("USDT"), engine.income.next_tran_id
    events = Recorder(engine)
    now, seq = clock.now_ms(), engine.seq
    result = engine.settle_funding("BTCUSDT")
    settled = result.settlements[0]
    assert (settled.symbol, settled.rate, settled.funding_time, settled.mark) == ("BTCUSDT", RATE, now, MARK)
    assert (settled.payers, settled.receivers) == \
        (sum(p.amt > 0 for p in positions), sum(p.amt < 0 for p in positions))
    assert settled.payers >= 2 and settled.receivers >= 2
    for account, amount in expected.items():
        assert wallet(engine, account) == before[account] + amount
        rows = engine.income_of(account)
        assert len(rows) == rows_before[account] + 1  # the rows before stay
        assert tuple(rows[-1])[1:] == (account, "BTCUSDT", "FUNDING_FEE", amount, "USDT", "FUNDING_FEE", now, "")
        assert type(rows[-1].income) is int
        assert engine.accounts[account].update_time == now
    tran_ids = sorted(engine.income_of(account)[-1].tran_id for account in expected)
    assert tran_ids == list(range(next_tran_id, next_tran_id + len(expected)))
    assert engine.income.next_tran_id == next_tran_id + len(expected)
    total = sum(expected.values())
    assert engine.funding_total["USDT"] == total and engine.insurance_fund("USDT") == fund - total
    assert engine.funding_history("BTCUSDT") == [FundingRecord("BTCUSDT", RATE, now, MARK)]
    (funding,) = events.of("funding")
    assert (funding.symbol, funding.rate, funding.funding_time, funding.mark, funding.time) == \
        ("BTCUSDT", RATE, now, MARK, now)
    updates = {u.account_id: u for u in events.of("account_update")}
    assert set(updates) == set(expected)
    free, locked = engine.accounts[with_isolated].balances["USDT"]
    isolated = engine.positions[(with_isolated, "ETHUSDT", "BOTH")].isolated_wallet
    assert locked > 0 and isolated > 0
    row = updates[with_isolated].balances[0]
    assert tuple(row) == ("USDT", free + locked + isolated, free + locked, expected[with_isolated])
    free, locked = engine.accounts[plain].balances["USDT"]
    assert locked > 0
    assert tuple(updates[plain].balances[0]) == ("USDT", free + locked, free + locked, expected[plain])
    assert all(u.reason == "FUNDING_FEE" and u.time == now and not u.positions for u in updates.values())
    assert [e.seq for e in events.events] == list(range(seq + 1, seq + 1 + len(events.events)))
    # the next settlement adds to the totals
    engine.set_funding_rate("BTCUSDT", -RATE)
    engine.settle_funding("BTCUSDT")
    again = sum(_fee(p.amt, MARK, -RATE) for p in positions)
    assert engine.funding_total["USDT"] == total + again
    assert engine.insurance_fund("USDT") == fund - total - again
    assert_clean(engine)


def test_funding_that_moves_a_wallet_has_its_margin_judged_afresh():
    engine, _, liquidity = _market()
    victim = trader(engine, "3000")
    _trade(engine, liquidity, victim, "BUY", "1")  # 2,975 of margin against 200 of maintenance
    events = Recorder(engine)
    engine.set_index("BTCUSDT", a("49999.9"))  # judged safe, and remembered so
    engine.set_funding_rate("BTCUSDT", Decimal("0.05"))  # 2,500 to pay: 475 left, 200 maintenance: 42 %
    engine.settle_funding("BTCUSDT")
    engine.set_funding_rate("BTCUSDT", Decimal("0.005"))  # 250 more: 225 left, 89 %
    engine.settle_funding("BTCUSDT")
    assert [c.account_id for c in events.of("margin_call")] == [victim]
