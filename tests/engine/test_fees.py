"""Fees: maker and taker rates per account tier, charged in the asset each side receives; trade records."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.engine.fees import FeeSchedule, FeeTier, commission, rate_to_int
from simulator.engine.rejection import Reject

from tests.engine.helpers import a, free, funded, limit, make_spec, new_engine, rejects

TIERS = [FeeTier.of("0.001", "0.002"), FeeTier.of("0.0002", "0.0004"), FeeTier.of("0", "0")]


def test_maker_and_taker_pay_their_tiers_rate_in_the_asset_they_receive():
    engine, clock = new_engine(tiers=TIERS)
    maker = funded(engine, fee_tier=0, BTC="3")
    taker = funded(engine, fee_tier=1, USDT="1000")
    sell = limit(engine, maker, "SELL", "100", "2").order
    clock.advance(1234)
    result = limit(engine, taker, "BUY", "100", "1")
    (trade,) = result.trades
    # the buyer (taker, tier 1) pays 0.04 % of the 1 BTC it receives; the seller (maker, tier 0) 0.1 % of 100 USDT
    assert trade.fee_for(result.order) == (a("0.0004"), "BTC")
    assert trade.fee_for(sell) == (a("0.1"), "USDT")
    assert free(engine, taker, "BTC") == a("0.9996")
    assert free(engine, maker, "USDT") == a("99.9")
    assert engine.fees_collected == {"BTC": a("0.0004"), "USDT": a("0.1")}
    # every field a trade report needs
    assert (trade.trade_id, trade.symbol, trade.price, trade.qty, trade.quote_qty, trade.time) == (
        1, "BTCUSDT", a("100"), a("1"), a("100"), clock.now_ms())
    assert trade.buyer is result.order and trade.seller is sell and trade.buyer_is_maker is False
    assert trade.is_maker(sell) and not trade.is_maker(result.order)
    # roles swap: the same accounts, the tier-1 account now the maker (and the seller)
    buy = limit(engine, taker, "BUY", "99", "1").order
    result = limit(engine, maker, "SELL", "99", "1")
    (trade,) = result.trades
    assert trade.trade_id == 2 and trade.buyer_is_maker is True
    assert trade.fee_for(buy) == (a("0.0002"), "BTC")  # maker rate of tier 1
    assert trade.fee_for(result.order) == (a("0.198"), "USDT")  # taker rate of tier 0 on 99 USDT


def test_each_accounts_history_records_its_side_of_each_trade():
    engine, _ = new_engine(tiers=TIERS)
    maker = funded(engine, BTC="1")
    taker = funded(engine, USDT="1000")
    sell = limit(engine, maker, "SELL", "100", "1").order
    buy = limit(engine, taker, "BUY", "100", "1").order
    ((trade_m, order_m),) = engine.accounts[maker].trades["BTCUSDT"]
    ((trade_t, order_t),) = engine.accounts[taker].trades["BTCUSDT"]
    assert trade_m is trade_t and order_m is sell and order_t is buy


def test_changing_the_fee_tier_changes_the_rates_of_later_trades():
    engine, _ = new_engine(tiers=TIERS)
    maker = funded(engine, BTC="2")
    taker = funded(engine, USDT="1000")
    limit(engine, maker, "SELL", "100", "2")
    first = limit(engine, taker, "BUY", "100", "1").trades[0]
    engine.set_fee_tier(taker, 2)
    engine.set_fee_tier(maker, 2)
    second = limit(engine, taker, "BUY", "100", "1").trades[0]
    assert (first.buyer_fee, first.seller_fee) == (a("0.002"), a("0.1"))
    assert (second.buyer_fee, second.seller_fee) == (0, 0)
    rejects(Reject.INVALID_AMOUNT, engine.set_fee_tier, taker, 3)
    with pytest.raises(ValueError):
        engine.open_account(fee_tier=7)


def test_trade_ids_are_per_symbol():
    engine, _ = new_engine(make_spec(), make_spec(symbol="ETHUSDT", base="ETH"), tiers=TIERS)
    maker = funded(engine, BTC="1", ETH="1")
    taker = funded(engine, USDT="1000")
    ids = []
    for symbol in ("BTCUSDT", "ETHUSDT", "BTCUSDT"):
        limit(engine, maker, "SELL", "10", "0.2", symbol=symbol)
        ids.append((symbol, limit(engine, taker, "BUY", "10", "0.2", symbol=symbol).trades[0].trade_id))
    assert ids == [("BTCUSDT", 1), ("ETHUSDT", 1), ("BTCUSDT", 2)]


def test_commission_is_exact_and_rounds_half_up_to_the_atom():
    ten_percent = rate_to_int("0.1")
    assert commission(5, ten_percent) == 1  # 0.5 atom rounds up
    assert commission(4, ten_percent) == 0  # 0.4 rounds down
    assert commission(15, ten_percent) == 2  # 1.5 -> 2
    assert commission(a("123.45678901"), rate_to_int("0.00075")) == 9259259  # 0.0925925917.. rounds to 0.09259259
    assert commission(10**20, rate_to_int("0.00000001")) == 10**12
    assert commission(1, rate_to_int("0.99999999")) == 1  # never more than the amount itself


def test_fee_rates_must_be_exact_fractions_below_one():
    assert FeeTier.of("0.00075", Decimal("0.001")) == FeeTier(75_000, 100_000)
    for bad in ("1", "-0.001", "0.000000001"):
        with pytest.raises(ValueError):
            rate_to_int(bad)
    with pytest.raises(ValueError):
        FeeSchedule(TIERS).tier(3)


@pytest.mark.parametrize("rate, fee_atoms", [
    ("0.000025", 3),  # 2.5 atoms: half rounds up (not down, not to even)
    ("0.00002499", 2),  # 2.499 atoms: rounds down (not up)
    ("0.00002501", 3),
])
def test_the_engine_charges_fees_rounded_as_commission_rounds_them(rate, fee_atoms):
    """The rounding the engine uses is fees.commission's: a trade of 0.001 BTC (100,000 atoms) at a rate that
    makes the buyer's fee fall between two atoms."""
    engine, _ = new_engine(tiers=[FeeTier.of(rate, rate)])
    maker = funded(engine, BTC="1")
    taker = funded(engine, USDT="1000")
    limit(engine, maker, "SELL", "1000", "0.001")
    (trade,) = limit(engine, taker, "BUY", "1000", "0.001").trades
    assert trade.buyer_fee == fee_atoms == commission(a("0.001"), rate_to_int(rate))
    assert trade.seller_fee == commission(trade.quote_qty, rate_to_int(rate))
    assert free(engine, taker, "BTC") == a("0.001") - fee_atoms and engine.fees_collected["BTC"] == fee_atoms


def test_the_engine_computes_every_fee_with_commission(monkeypatch):
    """One rounding rule, one place: a copy of the arithmetic inlined in the engine would pass the test above
    today and drift apart from commission() tomorrow."""
    import simulator.engine.matching as matching
    calls = []

    def spy(amount, rate):
        calls.append((amount, rate))
        return commission(amount, rate)

    monkeypatch.setattr(matching, "commission", spy)
    engine, _ = new_engine(tiers=TIERS)
    maker = funded(engine, BTC="1")
    taker = funded(engine, USDT="1000")
    limit(engine, maker, "SELL", "100", "1")
    limit(engine, taker, "BUY", "100", "1")
    assert sorted(calls) == sorted([(a("1"), TIERS[0].taker), (a("100"), TIERS[0].maker)])
