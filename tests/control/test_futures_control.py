"""The control plane's perpetual operations: futures wallets and transfers, positions in the account view,
funding settled now, the next rate, the mark, one index driving both markets, futures orders on behalf of an
account, the futures events, and bounded input that changes nothing when refused."""
from __future__ import annotations

import pytest

from simulator.control.api import Control
from simulator.control.errors import ControlError
from tests.control.conftest import frozen_sim


def refused(fn, *args, **kwargs) -> ControlError:
    with pytest.raises(ControlError) as caught:
        fn(*args, **kwargs)
    return caught.value


@pytest.fixture
def control() -> Control:
    """With the market maker quoting both markets, on a frozen clock."""
    sim = frozen_sim(with_market_maker=True)
    sim.tick()
    return Control(sim)


def _demo(control) -> int:
    return next(a["id"] for a in control.list_accounts()["accounts"] if a["name"] == "demo")


def test_account_view_shows_the_futures_wallet_and_positions(control):
    demo = _demo(control)
    shown = control.get_account(demo)["futures"]
    assert shown["wallet"]["USDT"]["walletBalance"] == "1000000.00000000" and shown["positions"] == []
    control.futures_order(demo, "BTCUSDT", "BUY", "MARKET", quantity="0.1")
    position = control.get_account(demo)["futures"]["positions"][0]
    assert (position["symbol"], position["positionSide"], position["positionAmt"]) == ("BTCUSDT", "BOTH",
                                                                                       "0.10000000")
    assert position["marginType"] == "cross" and position["leverage"] == 20
    assert control.audit()["ok"]


def test_transfers_both_ways_and_refusals_change_nothing(control):
    demo = _demo(control)
    moved = control.transfer(demo, "USDT", "250", "MAIN_UMFUTURE")
    assert moved["spot"]["free"] == "999750.00000000"
    assert moved["futures"]["walletBalance"] == "1000250.00000000" and moved["tranId"] >= 1
    back = control.transfer(demo, "USDT", "50.5", "umfuture_main")
    assert back["spot"]["free"] == "999800.50000000"
    before = control.get_account(demo)
    assert refused(control.transfer, demo, "USDT", "5000000", "MAIN_UMFUTURE").code == "insufficient_balance"
    assert refused(control.transfer, demo, "USDT", "5000000", "UMFUTURE_MAIN").code == "insufficient_balance"
    assert refused(control.transfer, demo, "USDT", "1", "SIDEWAYS").status == 400
    assert refused(control.transfer, demo, "USDT", "1e30", "MAIN_UMFUTURE").status == 400
    assert refused(control.transfer, demo, "USDT", "-1", "MAIN_UMFUTURE").status == 400
    assert control.get_account(demo) == before
    assert control.audit()["ok"]


def test_futures_deposit_and_withdraw(control):
    created = control.create_account(name="carol")
    control.futures_deposit(created["id"], "USDT", "1000")
    assert control.futures_account(created["id"])["wallet"]["USDT"]["walletBalance"] == "1000.00000000"
    control.futures_withdraw(created["id"], "USDT", "400")
    assert control.futures_account(created["id"])["wallet"]["USDT"]["walletBalance"] == "600.00000000"
    assert refused(control.futures_withdraw, created["id"], "USDT", "601").code == "insufficient_balance"


def test_settle_now_pays_funding_and_rolls_nothing_else(control):
    demo = _demo(control)
    control.futures_order(demo, "BTCUSDT", "BUY", "MARKET", quantity="1")
    control.set_funding_rate("BTCUSDT", "0.001")
    assert control.funding()["perpetuals"]["BTCUSDT"]["nextFundingRate"] == "0.001"
    settled = control.settle_funding("BTCUSDT")
    row = settled["settled"][0]
    assert (row["symbol"], row["fundingRate"]) == ("BTCUSDT", "0.001") and row["payers"] >= 1
    funding = [r for r in control.sim.futures.income_of(demo) if r.income_type == "FUNDING_FEE"]
    assert len(funding) == 1 and funding[0].income < 0
    assert control.funding()["perpetuals"]["BTCUSDT"]["rateSet"] is False
    assert [s["symbol"] for s in control.settle_funding()["settled"]] == ["BTCUSDT", "ETHUSDT"]
    assert control.audit()["ok"]


def test_funding_rate_input_is_bounded(control):
    assert refused(control.set_funding_rate, "BTCUSDT", "0.5").status == 400
    assert refused(control.set_funding_rate, "BTCUSDT", "0.000000001").status == 400
    assert refused(control.set_funding_rate, "BTCUSDT", "abc").status == 400
    assert refused(control.set_funding_rate, "NOPE", "0.001").status == 404
    control.set_funding_rate("BTCUSDT", "-0.0025")
    control.set_funding_rate("BTCUSDT", None)
    assert control.funding()["perpetuals"]["BTCUSDT"]["rateSet"] is False


def test_set_mark_by_price_or_premium(control):
    index = control.funding()["perpetuals"]["BTCUSDT"]["indexPrice"]
    shown = control.set_mark("BTCUSDT", premium="-25.5")["perpetuals"]["BTCUSDT"]
    assert shown["premium"] == "-25.50000000" and shown["indexPrice"] == index
    shown = control.set_mark("BTCUSDT", price="64000")["perpetuals"]["BTCUSDT"]
    assert shown["markPrice"] == "64000.00000000"
    assert refused(control.set_mark, "BTCUSDT").status == 400
    assert refused(control.set_mark, "BTCUSDT", price="1", premium="1").status == 400
    assert refused(control.set_mark, "BTCUSDT", premium="-1000000").status == 400


def test_one_index_drives_both_markets_and_liquidates(control):
    victim = control.create_account(name="victim")["id"]
    control.futures_deposit(victim, "USDT", "3500")
    control.futures_order(victim, "BTCUSDT", "BUY", "MARKET", quantity="1")
    answer = control.set_index("BTCUSDT", "60000")
    assert control.funding()["perpetuals"]["BTCUSDT"]["indexPrice"] == "60000.00000000"
    assert answer["liquidated"] and answer["liquidated"][0]["type"] == "LIQUIDATION"
    assert control.futures_account(victim)["positions"] == []
    spot_bid = control.sim.engine.books["BTCUSDT"].bids.best_price()
    perp_bid = control.sim.futures.books["BTCUSDT"].bids.best_price()
    assert abs(spot_bid - perp_bid) < 100 * 10**8  # both ladders around the same index
    kinds = {e["kind"] for e in control.futures_events(limit=10_000)["events"]}
    assert {"force_order", "account_update", "order", "trade"} <= kinds
    assert control.audit()["ok"]


def test_settings_and_refusals(control):
    demo = _demo(control)
    shown = control.futures_settings(demo, "BTCUSDT", leverage=10, margin_type="ISOLATED")
    assert shown["dualSidePosition"] is False
    control.futures_order(demo, "BTCUSDT", "BUY", "MARKET", quantity="0.1")
    error = refused(control.futures_settings, demo, dual_side=True)
    assert error.status == 409 and error.extra["reason"] == "POSITION_MODE_POSITION"
    assert control.futures_account(demo)["positions"][0]["marginType"] == "isolated"
    assert refused(control.futures_settings, demo, "BTCUSDT", leverage=126).status == 400
    assert refused(control.futures_settings, demo, leverage=5).status == 400


def test_futures_order_refusal_names_the_reason(control):
    poor = control.create_account(name="poor")["id"]
    error = refused(control.futures_order, poor, "BTCUSDT", "BUY", "MARKET", quantity="1")
    assert error.status == 400 and error.extra["reason"] == "MARGIN_INSUFFICIENT"


def test_stats_count_what_the_futures_engine_holds(control):
    demo = _demo(control)
    control.futures_order(demo, "BTCUSDT", "BUY", "MARKET", quantity="0.1")
    stats = control.stats()["futures"]
    assert stats["openPositions"] >= 2 and stats["incomeRows"] >= 2 and stats["openOrders"] > 0
    assert stats["seq"] == control.sim.futures.seq


def test_pausing_the_market_maker_empties_the_perpetual_books_too(control):
    control.set_market_maker(False)
    assert control.sim.futures.depth("BTCUSDT", 5)[1:] == ([], [])
    assert control.sim.engine.depth("BTCUSDT", 5)[1:] == ([], [])
    control.set_market_maker(True)
    assert control.sim.futures.depth("BTCUSDT", 5)[1] and control.sim.engine.depth("BTCUSDT", 5)[1]
    assert control.audit()["ok"]


def test_an_index_gap_liquidates_against_the_book_of_the_new_index(control):
    victim = control.create_account(name="gapped")["id"]
    control.futures_deposit(victim, "USDT", "3500")
    control.futures_order(victim, "BTCUSDT", "BUY", "MARKET", quantity="1")
    forced = control.set_index("BTCUSDT", "60000")["liquidated"][0]
    order = control.sim.futures.force_orders_of(victim)[0]
    assert forced["status"] == "FILLED" and order.cum_quote // order.executed * 10**8 < 6_010_000_000_000
    # sold near 60,000 (the requoted ladder), not near the 65,000 the book showed before the gap


def test_cancel_a_futures_order_and_read_income(control):
    demo = _demo(control)
    order = control.futures_order(demo, "BTCUSDT", "BUY", "LIMIT", quantity="0.01", price="60000",
                                  time_in_force="GTC")["order"]
    assert control.cancel_futures_order(order["orderId"])["order"]["status"] == "CANCELED"
    assert refused(control.cancel_futures_order, order["orderId"]).code == "order_not_open"
    assert refused(control.cancel_futures_order, 10**9).status == 404
    control.futures_order(demo, "BTCUSDT", "BUY", "MARKET", quantity="0.01")
    rows = control.futures_income(demo, income_type="commission", symbol="BTCUSDT")["income"]
    assert rows and all(r["incomeType"] == "COMMISSION" and r["income"].startswith("-") for r in rows)
    assert control.futures_income(demo, limit=1)["income"][-1]["incomeType"] == "COMMISSION"
    assert refused(control.futures_income, demo, income_type="BONUS").status == 400


def test_futures_test_order_checks_and_changes_nothing(control):
    from simulator.engine.rejection import Rejected
    demo = _demo(control)
    futures = control.sim.futures
    seq = futures.seq
    futures.test_order(demo, "BTCUSDT", "BUY", "LIMIT", qty=10**6, price=60_000 * 10**8, tif="GTC")
    with pytest.raises(Rejected):
        futures.test_order(demo, "BTCUSDT", "BUY", "LIMIT", qty=10**6, price=60_000 * 10**8)  # no timeInForce
    assert futures.seq == seq and not futures.open_orders(demo)


def test_futures_listeners_follow_a_reset_and_a_restore(control):
    heard = []
    control.sim.futures.subscribe(heard.append)
    document = control.snapshot()
    control.reset()
    demo = _demo(control)
    control.futures_deposit(demo, "USDT", "1")
    assert heard and heard[-1].kind == "account_update"
    control.restore(document)
    heard.clear()
    control.futures_deposit(demo, "USDT", "1")
    assert heard and heard[-1].kind == "account_update"


def test_take_exactly_part_of_a_resting_futures_order(control):
    demo = _demo(control)
    order = control.futures_order(demo, "BTCUSDT", "SELL", "LIMIT", quantity="0.5", price="70000",
                                  time_in_force="GTC")["order"]
    taken = control.take_futures(order["orderId"], "0.2")
    assert taken["order"]["executedQty"] == "0.20000000" and taken["order"]["status"] == "PARTIALLY_FILLED"
    assert taken["taker"]["status"] == "FILLED" and taken["trades"][0]["price"] == "70000.00000000"
    assert control.futures_account(demo)["positions"][0]["positionAmt"] == "-0.20000000"
    assert refused(control.take_futures, order["orderId"], "0.31").status == 400
    assert refused(control.take_futures, 10**9, "0.1").status == 404
    assert control.audit()["ok"]
