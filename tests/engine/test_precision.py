"""Instruments whose base and quote assets have different precisions, neither of them 8.

Prices, notionals, locks and the seller's fee are quote atoms; quantities and the buyer's fee are base atoms.
With base 5 / quote 2 decimals (BTCUSD) and base 3 / quote 6 decimals (SOLUSDC) the two atoms differ by three
orders of magnitude either way, so using one asset's precision where the other's belongs fails here.
"""
from __future__ import annotations

import pytest

from simulator.engine.audit import audit
from simulator.engine.instrument import Instrument
from simulator.engine.rejection import Reject

from tests.engine.helpers import make_spec, new_engine, rejects

BTCUSD = make_spec("BTCUSD", "BTC", "USD", base_precision=5, quote_precision=2, tick_size="1", step_size="0.01",
                   min_qty="0.01", min_price="1", min_notional="1")
SOLUSDC = make_spec("SOLUSDC", "SOL", "USDC", base_precision=3, quote_precision=6, tick_size="0.0001",
                    step_size="0.01", min_qty="0.01", min_price="0.0001", min_notional="0.5")


@pytest.fixture
def env():
    engine, clock = new_engine(BTCUSD, SOLUSDC)
    return engine, clock, engine.instruments["BTCUSD"], engine.instruments["SOLUSDC"]


def fund(engine, inst: Instrument, base: str = "0", quote: str = "0") -> int:
    account = engine.open_account().account_id
    if base != "0":
        engine.deposit(account, inst.base, inst.parse_qty(base))
    if quote != "0":
        engine.deposit(account, inst.quote, inst.parse_quote(quote))
    return account


def place(engine, inst: Instrument, account, side, price, qty, **kwargs):
    return engine.place_order(account, inst.symbol, side, "LIMIT", price=inst.parse_price(price),
                              qty=inst.parse_qty(qty), tif=kwargs.pop("tif", "GTC"), **kwargs)


def balances(engine, inst: Instrument, account) -> tuple[str, str, str, str]:
    """(base free, base locked, quote free, quote locked) as decimal strings at each asset's precision."""
    acc = engine.accounts[account]
    return (inst.format_qty(acc.free(inst.base)), inst.format_qty(acc.locked(inst.base)),
            inst.format_quote(acc.free(inst.quote)), inst.format_quote(acc.locked(inst.quote)))


def test_each_asset_has_its_own_atom(env):
    engine, _, btc, sol = env
    assert (btc.base_unit, btc.tick, btc.step, btc.min_notional) == (10**5, 100, 1000, 100)
    assert (sol.base_unit, sol.tick, sol.step, sol.min_notional) == (10**3, 100, 10, 500_000)
    assert (btc.parse_price("101.25"), btc.parse_qty("0.00001"), btc.parse_quote("0.01")) == (10125, 1, 1)
    assert (sol.parse_price("0.000001"), sol.parse_qty("0.001"), sol.parse_quote("1.5")) == (1, 1, 1_500_000)
    for parse, text in ((btc.parse_price, "1.001"), (btc.parse_quote, "0.001"), (btc.parse_qty, "0.000001"),
                        (sol.parse_price, "0.0000001"), (sol.parse_quote, "0.0000001"), (sol.parse_qty, "0.0001")):
        rejects(Reject.BAD_PRECISION, parse, text)
    assert (btc.format_price(10125), btc.format_qty(10125), btc.format_quote(1)) == ("101.25", "0.10125", "0.01")
    assert (sol.format_price(10125), sol.format_qty(10125), sol.format_quote(1)) == ("0.010125", "10.125",
                                                                                     "0.000001")
    # an amount named by its asset (a fee, a balance) takes that asset's precision
    assert (btc.format_asset("BTC", 37), btc.format_asset("USD", 37)) == ("0.00037", "0.37")
    assert (sol.format_asset("SOL", 12), sol.format_asset("USDC", 12)) == ("0.012", "0.000012")


def test_the_grid_check_uses_each_assets_precision():
    # tick 0.01 USD x step 0.01 BTC = 0.0001 USD: finer than a cent, whatever the quantity's own precision
    with pytest.raises(ValueError):
        Instrument(make_spec("BTCUSD", "BTC", "USD", base_precision=5, quote_precision=2, tick_size="0.01",
                             step_size="0.01", min_qty="0.01", min_price="0.01"))
    # the same tick and step with the precisions the other way round are fine (0.0001 of a 5-decimal quote)
    Instrument(make_spec("BTCUSD", "BTC", "USD", base_precision=2, quote_precision=5, tick_size="0.01",
                         step_size="0.01", min_qty="0.01", market_min_qty="0.01", min_price="0.01"))


@pytest.mark.parametrize("symbol, price, qty, notional, buyer_fee, seller_fee", [
    # 0.37 BTC at 101 USD: 37.37 USD; fees 0.1 %: 0.00037 BTC and 0.03737 -> 0.04 USD (half up)
    ("BTCUSD", "101", "0.37", "37.37", "0.00037", "0.04"),
    # 12.34 SOL at 1.2345 USDC: 15.233730 USDC; fees 0.01234 -> 0.012 SOL and 0.01523373 -> 0.015234 USDC
    ("SOLUSDC", "1.2345", "12.34", "15.233730", "0.012", "0.015234"),
])
def test_a_trade_moves_each_asset_in_its_own_atoms(env, symbol, price, qty, notional, buyer_fee, seller_fee):
    engine, _, *_ = env
    inst = engine.instruments[symbol]
    seller = fund(engine, inst, base="100")
    buyer = fund(engine, inst, quote="1000")
    maker = place(engine, inst, seller, "SELL", price, qty).order
    assert balances(engine, inst, seller)[:2] == (inst.format_qty(inst.parse_qty("100") - inst.parse_qty(qty)),
                                                  inst.format_qty(inst.parse_qty(qty)))
    (trade,) = place(engine, inst, buyer, "BUY", price, qty).trades
    assert (trade.price, trade.qty) == (inst.parse_price(price), inst.parse_qty(qty))
    assert trade.quote_qty == inst.parse_quote(notional) == maker.cum_quote
    assert (trade.buyer_fee, trade.seller_fee) == (inst.parse_qty(buyer_fee), inst.parse_quote(seller_fee))
    assert engine.fees_collected == {inst.base: trade.buyer_fee, inst.quote: trade.seller_fee}
    base_received = inst.parse_qty(qty) - inst.parse_qty(buyer_fee)
    assert balances(engine, inst, buyer) == (inst.format_qty(base_received), inst.format_qty(0),
                                             inst.format_quote(inst.parse_quote("1000") - trade.quote_qty),
                                             inst.format_quote(0))
    quote_received = trade.quote_qty - trade.seller_fee
    assert engine.accounts[seller].free(inst.quote) == quote_received
    assert audit(engine) == []


def test_a_buy_locks_its_notional_in_quote_atoms(env):
    engine, _, btc, sol = env
    buyer = fund(engine, btc, quote="49.5")
    place(engine, btc, buyer, "BUY", "99", "0.5")
    assert balances(engine, btc, buyer)[2:] == ("0.00", "49.50")
    rejects(Reject.INSUFFICIENT_BALANCE, place, engine, btc, buyer, "BUY", "100", "0.01")
    sol_buyer = fund(engine, sol, quote="10")
    place(engine, sol, sol_buyer, "BUY", "0.7777", "12.85")  # 9.993445 USDC
    assert balances(engine, sol, sol_buyer)[2:] == ("0.006555", "9.993445")
    sol_seller = fund(engine, sol, base="5")
    place(engine, sol, sol_seller, "SELL", "0.9", "1.23")
    assert balances(engine, sol, sol_seller)[:2] == ("3.770", "1.230")


def test_notional_filters_compare_quote_atoms(env):
    engine, _, btc, sol = env
    buyer = fund(engine, btc, quote="1000")
    rejects(Reject.NOTIONAL, place, engine, btc, buyer, "BUY", "99", "0.01")  # 0.99 USD, below 1
    assert place(engine, btc, buyer, "BUY", "100", "0.01").order.status == "NEW"  # 1.00 USD exactly
    sol_buyer = fund(engine, sol, quote="1000")
    rejects(Reject.NOTIONAL, place, engine, sol, sol_buyer, "BUY", "0.0499", "10")  # 0.499 USDC, below 0.5
    assert place(engine, sol, sol_buyer, "BUY", "0.05", "10").order.status == "NEW"


def test_a_quote_sized_market_order_spends_quote_atoms(env):
    engine, _, btc, sol = env
    seller = fund(engine, btc, base="10")
    place(engine, btc, seller, "SELL", "100", "1")
    place(engine, btc, seller, "SELL", "103", "1")
    buyer = fund(engine, btc, quote="200")
    result = engine.place_order(buyer, "BTCUSD", "BUY", "MARKET", quote_qty=btc.parse_quote("150.99"))
    # 100 for 1 BTC, then 50.99 // 103 per BTC = 0.49 BTC (steps of 0.01) for 50.47
    assert [(t.price, t.qty) for t in result.trades] == [(10000, 100_000), (10300, 49_000)]
    assert result.order.cum_quote == btc.parse_quote("150.47")
    assert balances(engine, btc, buyer)[2:] == ("49.53", "0.00")
    sol_seller = fund(engine, sol, base="10")
    sol_buyer = fund(engine, sol, quote="10")
    place(engine, sol, sol_buyer, "BUY", "1.5", "4")
    result = engine.place_order(sol_seller, "SOLUSDC", "SELL", "MARKET", quote_qty=sol.parse_quote("3.1"))
    # 3.1 USDC at 1.5 per SOL buys 2.066..., floored to the step of 0.01: 2.06 SOL for 3.09 USDC
    assert (result.order.executed, result.order.cum_quote) == (sol.parse_qty("2.06"), sol.parse_quote("3.09"))


def test_the_average_price_is_in_quote_atoms_per_whole_base_unit(env):
    engine, clock, btc, sol = env
    seller = fund(engine, btc, base="10")
    buyer = fund(engine, btc, quote="10000")
    place(engine, btc, seller, "SELL", "100", "1")
    place(engine, btc, seller, "SELL", "104", "3")
    place(engine, btc, buyer, "BUY", "104", "4")
    assert engine.market["BTCUSD"].average_price(clock.now_ms(), 5) == btc.parse_price("103")
    assert engine.market["BTCUSD"].last_price == btc.parse_price("104")
