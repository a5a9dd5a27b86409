"""USD-M positions, account, balances, mark price and funding over /fapi (reference §7.4, §7.5, §9): the engine's
views rendered as Binance spells them (v2 and v3 shapes), premiumIndex and funding history, mark and index price
klines, isolated margin, and modifying a resting order."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.server import fapi_helpers
from tests.server.fapi_helpers import SYMBOL, place, trader
from tests.server.rest_helpers import NOW

fapi = fapi_helpers.fapi
fapi_sim = fapi_helpers.fapi_sim
MINUTE = 60_000


def set_index(sim, price: str, symbol: str = SYMBOL) -> None:
    sim.futures.set_index(symbol, sim.futures.instruments[symbol].parse_price(price))


@pytest.fixture
def long(fapi):
    """The demo account is long 0.010 BTCUSDT from 50000.0 (market buy, taker fee 0.25); the index then 50100."""
    set_index(fapi.sim, "50000")
    maker = trader(fapi.sim)
    place(fapi.sim, maker, "SELL", "0.010", "50000.0")
    fapi.sim.futures.place_order(fapi.account_id(), SYMBOL, "BUY", "MARKET",
                                 qty=fapi.sim.futures.instruments[SYMBOL].parse_qty("0.010"))
    set_index(fapi.sim, "50100")
    return fapi


async def test_position_risk_v2_lists_every_symbol_with_leverage(long):
    rows = (await long.signed("GET", "/fapi/v2/positionRisk")).body
    assert [row["symbol"] for row in rows] == ["BTCUSDT", "ETHUSDT"]
    btc = rows[0]
    assert {k: btc[k] for k in ("positionSide", "positionAmt", "entryPrice", "markPrice", "unRealizedProfit",
                                "leverage", "marginType", "isAutoAddMargin", "notional", "updateTime")} == {
        "positionSide": "BOTH", "positionAmt": "0.010", "entryPrice": "50000.00000000",
        "markPrice": "50100.00000000", "unRealizedProfit": "1.00000000", "leverage": "20", "marginType": "cross",
        "isAutoAddMargin": "false", "notional": "501.00000000", "updateTime": NOW}
    one = (await long.signed("GET", "/fapi/v2/positionRisk", symbol=SYMBOL)).body
    assert one == [btc]


async def test_position_risk_v3_only_active_symbols_and_no_leverage(long):
    rows = (await long.signed("GET", "/fapi/v3/positionRisk")).body
    assert [row["symbol"] for row in rows] == ["BTCUSDT"]
    row = rows[0]
    assert "leverage" not in row and row["marginAsset"] == "USDT" and row["adl"] == 0
    # initial margin at 20x: 501 / 20; maintenance at the first bracket's 0.4 %
    assert (row["initialMargin"], row["maintMargin"], row["openOrderInitialMargin"]) == (
        "25.05000000", "2.00400000", "0.00000000")
    assert Decimal(row["entryPrice"]) > 0  # ccxt keeps only rows with entryPrice > 0


async def test_account_v2_and_v3(long):
    v2 = (await long.signed("GET", "/fapi/v2/account")).body
    assert (v2["feeTier"], v2["canTrade"], v2["multiAssetsMargin"]) == (0, True, False)
    assert (v2["totalWalletBalance"], v2["totalUnrealizedProfit"], v2["totalMarginBalance"]) == (
        "999999.75000000", "1.00000000", "1000000.75000000")
    assert v2["assets"][0]["marginAvailable"] is True and len(v2["positions"]) == 2
    v3 = (await long.signed("GET", "/fapi/v3/account")).body
    assert "feeTier" not in v3 and "marginAvailable" not in v3["assets"][0]
    assert [p["symbol"] for p in v3["positions"]] == ["BTCUSDT"]
    usdt = v3["assets"][0]
    # ccxt: free = availableBalance, used = initialMargin, total = marginBalance; an asset with updateTime 0 is
    # skipped, so a funded one carries the time of its last change
    assert (usdt["asset"], usdt["availableBalance"], usdt["initialMargin"], usdt["updateTime"]) == (
        "USDT", "999975.70000000", "25.05000000", NOW)


@pytest.mark.parametrize("path", ["/fapi/v2/balance", "/fapi/v3/balance"])
async def test_balance_v2_and_v3(long, path):
    [usdt] = (await long.signed("GET", path)).body
    assert {k: usdt[k] for k in ("asset", "balance", "crossWalletBalance", "crossUnPnl", "availableBalance",
                                 "marginAvailable", "updateTime")} == {
        "asset": "USDT", "balance": "999999.75000000", "crossWalletBalance": "999999.75000000",
        "crossUnPnl": "1.00000000", "availableBalance": "999975.70000000", "marginAvailable": True,
        "updateTime": NOW}


async def test_premium_index_and_funding_after_a_settlement(long):
    index = (await long.public("GET", "/fapi/v1/premiumIndex", symbol=SYMBOL)).body
    assert {k: index[k] for k in ("symbol", "markPrice", "indexPrice", "interestRate", "time")} == {
        "symbol": SYMBOL, "markPrice": "50100.00000000", "indexPrice": "50100.00000000",
        "interestRate": "0.00010000", "time": NOW}
    assert index["nextFundingTime"] > NOW
    every = (await long.public("GET", "/fapi/v1/premiumIndex")).body
    assert [item["symbol"] for item in every] == ["BTCUSDT", "ETHUSDT"]
    long.sim.futures.set_funding_rate(SYMBOL, Decimal("0.0001"))
    long.sim.futures.settle_funding(SYMBOL)
    history = (await long.public("GET", "/fapi/v1/fundingRate", symbol=SYMBOL)).body
    assert history == [{"symbol": SYMBOL, "fundingRate": "0.00010000", "fundingTime": NOW,
                        "markPrice": "50100.00000000"}]
    funding = (await long.signed("GET", "/fapi/v1/income", incomeType="FUNDING_FEE")).body
    # 0.010 x 50100 x 0.0001, paid by the long
    assert [(row["symbol"], row["income"], row["asset"]) for row in funding] == [(SYMBOL, "-0.05010000", "USDT")]
    assert (await long.public("GET", "/fapi/v1/fundingRate", limit=1001)).error[:2] == (400, -1130)


async def test_funding_info_lists_only_adjusted_symbols(fapi):
    assert (await fapi.public("GET", "/fapi/v1/fundingInfo")).body == []


async def test_mark_and_index_price_klines(long):
    long.sim.clock.advance(2 * MINUTE)
    set_index(long.sim, "50200")
    minute = NOW - NOW % MINUTE
    mark = (await long.public("GET", "/fapi/v1/markPriceKlines", symbol=SYMBOL, interval="1m")).body
    assert [(row[0], row[1], row[4], row[5]) for row in mark] == [
        (minute, "50000.00", "50100.00", "0"), (minute + MINUTE, "50100.00", "50100.00", "0"),
        (minute + 2 * MINUTE, "50200.00", "50200.00", "0")]
    index = (await long.public("GET", "/fapi/v1/indexPriceKlines", pair=SYMBOL, interval="1h")).body
    assert [row[1:5] for row in index] == [["50000.00", "50200.00", "50000.00", "50200.00"]]


async def test_modify_a_resting_order(fapi):
    placed = (await fapi.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.010",
                               price="40000")).body
    modified = await fapi.signed("PUT", "/fapi/v1/order", symbol=SYMBOL, orderId=placed["orderId"], side="BUY",
                                 quantity="0.020", price="40100")
    assert modified.status == 200
    assert (modified.body["orderId"], modified.body["price"], modified.body["origQty"]) == (
        placed["orderId"], "40100.00", "0.020")
    wrong_side = await fapi.signed("PUT", "/fapi/v1/order", symbol=SYMBOL, orderId=placed["orderId"],
                                   side="SELL", quantity="0.020", price="40100")
    assert wrong_side.status == 400
    unknown = await fapi.signed("PUT", "/fapi/v1/order", symbol=SYMBOL, orderId=999, side="BUY",
                                quantity="0.020", price="40100")
    assert unknown.error == (400, -2013, "Order does not exist.")


async def test_isolated_margin_added_and_removed(long):
    sim = long.sim
    # switch needs a flat position: close, switch, reopen
    sim.futures.place_order(long.account_id(), SYMBOL, "SELL", "LIMIT", qty=sim.futures.instruments[SYMBOL]
                            .parse_qty("0.010"), price=sim.futures.instruments[SYMBOL].parse_price("60000"),
                            tif="GTC")
    assert (await long.signed("POST", "/fapi/v1/marginType", symbol="ETHUSDT", marginType="ISOLATED")).status == 200
    eth = sim.futures.instruments["ETHUSDT"]
    set_index(sim, "3000", "ETHUSDT")
    maker = trader(sim)
    sim.futures.place_order(maker, "ETHUSDT", "SELL", "LIMIT", qty=eth.parse_qty("1"), price=eth.parse_price("3000"),
                            tif="GTC")
    sim.futures.place_order(long.account_id(), "ETHUSDT", "BUY", "MARKET", qty=eth.parse_qty("1"))
    added = await long.signed("POST", "/fapi/v1/positionMargin", symbol="ETHUSDT", amount="100", type=1)
    assert added.body == {"amount": "100", "code": 200, "msg": "Successfully modify position margin.", "type": 1}
    [row] = (await long.signed("GET", "/fapi/v2/positionRisk", symbol="ETHUSDT")).body
    # 150 of initial margin at 20x, less the 1.5 taker fee, plus the 100 added
    assert (row["marginType"], row["isolatedWallet"]) == ("isolated", "248.50000000")
    removed = await long.signed("POST", "/fapi/v1/positionMargin", symbol="ETHUSDT", amount="10000000", type=2)
    assert removed.status == 400
    assert (await long.signed("POST", "/fapi/v1/positionMargin", symbol="ETHUSDT", amount="1", type=3)).error[:2] \
        == (400, -1130)
