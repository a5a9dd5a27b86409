"""USD-M account settings and histories over /fapi (reference §7.5, §7.6, §9.2): leverage, margin type,
position mode, commission rates, leverage brackets, income, and the wallet transfers ccxt calls."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.server import fapi_helpers
from tests.server.fapi_helpers import SYMBOL, place, trader
from tests.server.rest_helpers import NOW

fapi = fapi_helpers.fapi
fapi_sim = fapi_helpers.fapi_sim
SUCCESS = {"code": 200, "msg": "success"}
LIMIT = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.010", "price": "50000"}


async def open_long(fapi, qty: str = "0.010") -> None:
    """The demo account buys `qty` at 50000.0 from another account."""
    maker = trader(fapi.sim)
    place(fapi.sim, maker, "SELL", qty, "50000.0")
    assert (await fapi.order(side="BUY", type="MARKET", quantity=qty)).status == 200


async def test_leverage(fapi):
    reply = await fapi.signed("POST", "/fapi/v1/leverage", symbol=SYMBOL, leverage=10)
    # the cap of the last bracket allowing 10x (the engine's table: 12x up to 50,000,000)
    assert reply.body == {"leverage": 10, "maxNotionalValue": "50000000", "symbol": SYMBOL}
    assert fapi.sim.futures.leverage_of(fapi.account_id(), SYMBOL) == 10


@pytest.mark.parametrize("value,error", [
    (0, (400, -4028, "Leverage is not valid.")),
    (126, (400, -4028, "Leverage is not valid.")),
    ("ten", (400, -1100, "Illegal characters found in parameter 'leverage'; legal range is '^[0-9]{1,20}$'.")),
])
async def test_leverage_out_of_range(fapi, value, error):
    assert (await fapi.signed("POST", "/fapi/v1/leverage", symbol=SYMBOL, leverage=value)).error == error


async def test_leverage_above_the_symbols_maximum_is_the_engines_refusal(fapi):
    reply = await fapi.signed("POST", "/fapi/v1/leverage", symbol="ETHUSDT", leverage=125)  # ETH allows 100
    assert reply.error == (400, -4028, "Leverage is not valid.")


async def test_margin_type_changes_and_refusals(fapi):
    assert (await fapi.signed("POST", "/fapi/v1/marginType", symbol=SYMBOL, marginType="ISOLATED")).body == SUCCESS
    again = await fapi.signed("POST", "/fapi/v1/marginType", symbol=SYMBOL, marginType="ISOLATED")
    assert again.error == (400, -4046, "No need to change margin type.")
    await fapi.order(**LIMIT)
    with_orders = await fapi.signed("POST", "/fapi/v1/marginType", symbol=SYMBOL, marginType="CROSSED")
    assert with_orders.error == (400, -4047, "Margin type cannot be changed if there exists open orders.")
    await fapi.signed("DELETE", "/fapi/v1/allOpenOrders", symbol=SYMBOL)
    await open_long(fapi)
    with_position = await fapi.signed("POST", "/fapi/v1/marginType", symbol=SYMBOL, marginType="CROSSED")
    assert with_position.error == (400, -4048, "Margin type cannot be changed if there exists position.")
    bad = await fapi.signed("POST", "/fapi/v1/marginType", symbol=SYMBOL, marginType="cross")
    assert bad.error[:2] == (400, -1130)


async def test_position_mode_and_refusals(fapi):
    assert (await fapi.signed("GET", "/fapi/v1/positionSide/dual")).body == {"dualSidePosition": False}
    assert (await fapi.signed("POST", "/fapi/v1/positionSide/dual", dualSidePosition="true")).body == SUCCESS
    assert (await fapi.signed("GET", "/fapi/v1/positionSide/dual")).body == {"dualSidePosition": True}
    same = await fapi.signed("POST", "/fapi/v1/positionSide/dual", dualSidePosition="True")  # python-binance
    assert same.error == (400, -4059, "No need to change position side.")
    await fapi.order(positionSide="LONG", **LIMIT)
    with_orders = await fapi.signed("POST", "/fapi/v1/positionSide/dual", dualSidePosition="false")
    assert with_orders.error == (400, -4067, "Position side cannot be changed if there exists open orders.")
    await fapi.signed("DELETE", "/fapi/v1/allOpenOrders", symbol=SYMBOL)
    maker = trader(fapi.sim)
    place(fapi.sim, maker, "SELL", "0.010", "50000.0")
    await fapi.order(side="BUY", type="MARKET", quantity="0.010", positionSide="LONG")
    with_position = await fapi.signed("POST", "/fapi/v1/positionSide/dual", dualSidePosition="false")
    assert with_position.error == (400, -4068, "Position side cannot be changed if there exists position.")


async def test_hedge_mode_refuses_reduce_only_and_needs_a_side(fapi):
    await fapi.signed("POST", "/fapi/v1/positionSide/dual", dualSidePosition="true")
    assert (await fapi.order(**LIMIT)).error == (400, -4061, "Order's position side does not match user's setting.")
    reduce = await fapi.order(positionSide="LONG", reduceOnly="true", **LIMIT)
    assert reduce.error == (400, -1106, "Parameter 'reduceonly' sent when not required.")


async def test_multi_assets_mode_is_single_asset(fapi):
    assert (await fapi.signed("GET", "/fapi/v1/multiAssetsMargin")).body == {"multiAssetsMargin": False}


async def test_commission_rate_is_usd_m_vip_0(fapi):
    reply = await fapi.signed("GET", "/fapi/v1/commissionRate", symbol=SYMBOL)
    assert reply.body == {"symbol": SYMBOL, "makerCommissionRate": "0.000200", "takerCommissionRate": "0.000500"}


async def test_leverage_brackets_are_json_numbers(fapi):
    one = (await fapi.signed("GET", "/fapi/v1/leverageBracket", symbol=SYMBOL)).body
    assert one["symbol"] == SYMBOL
    first = one["brackets"][0]
    assert first == {"bracket": 1, "initialLeverage": 125, "notionalCap": 50000, "notionalFloor": 0,
                     "maintMarginRatio": 0.004, "cum": 0}
    every = (await fapi.signed("GET", "/fapi/v1/leverageBracket")).body
    assert [item["symbol"] for item in every] == ["BTCUSDT", "ETHUSDT"]


async def test_income_lists_transfers_fees_and_filters(fapi):
    await open_long(fapi)
    rows = (await fapi.signed("GET", "/fapi/v1/income")).body
    kinds = [row["incomeType"] for row in rows]
    assert kinds[0] == "TRANSFER" and "COMMISSION" in kinds
    commission = next(row for row in rows if row["incomeType"] == "COMMISSION")
    assert (commission["symbol"], commission["income"], commission["asset"]) == (SYMBOL, "-0.25000000", "USDT")
    assert isinstance(commission["tranId"], int) and commission["time"] == NOW
    only = (await fapi.signed("GET", "/fapi/v1/income", incomeType="COMMISSION")).body
    assert [row["incomeType"] for row in only] == ["COMMISSION"]
    paged = (await fapi.signed("GET", "/fapi/v1/income", limit=1, page=2)).body
    assert paged == rows[1:2]
    assert (await fapi.signed("GET", "/fapi/v1/income", limit=1001)).error[:2] == (400, -1130)
    assert (await fapi.signed("GET", "/fapi/v1/income", incomeType="BONUS")).error[:2] == (400, -1130)


async def test_income_defaults_to_the_last_seven_days(fapi):
    fapi.sim.clock.advance(8 * 86_400_000)
    assert (await fapi.signed("GET", "/fapi/v1/income")).body == []
    everything = await fapi.signed("GET", "/fapi/v1/income", startTime=0)
    assert [row["incomeType"] for row in everything.body] == ["TRANSFER"]


async def test_wallet_transfers_both_ways(fapi):
    sim, account_id = fapi.sim, fapi.account_id()
    usdt = sim.futures.instruments[SYMBOL].margin_asset
    spot_before = sim.engine.account(account_id).free(usdt)
    reply = await fapi.signed("POST", "/sapi/v1/asset/transfer", type="MAIN_UMFUTURE", asset="USDT", amount="100")
    assert reply.status == 200 and isinstance(reply.body["tranId"], int)
    assert sim.engine.account(account_id).free(usdt) == spot_before - sim.to_atoms(usdt, Decimal(100))
    back = await fapi.signed("POST", "/sapi/v1/futures/transfer", type=2, asset="USDT", amount="100.5")
    assert back.status == 200
    assert sim.engine.account(account_id).free(usdt) == spot_before + sim.to_atoms(usdt, Decimal("0.5"))
    too_much = await fapi.signed("POST", "/sapi/v1/asset/transfer", type="MAIN_UMFUTURE", asset="USDT",
                                 amount="999999999")
    assert too_much.error == (400, -5013, "Asset transfer failed: insufficient balance")
    assert (await fapi.signed("POST", "/sapi/v1/asset/transfer", type="MAIN_MARGIN", asset="USDT",
                              amount="1")).error[:2] == (400, -1130)
    nothing = await fapi.signed("POST", "/sapi/v1/asset/transfer", type="MAIN_UMFUTURE", asset="DOGE", amount="1")
    assert nothing.error == (400, -5013, "Asset transfer failed: insufficient balance")  # none in the spot wallet
    assert (await fapi.signed("POST", "/sapi/v1/asset/transfer", type="MAIN_UMFUTURE", asset="usd t",
                              amount="1")).error[:2] == (400, -1100)


async def test_symbol_and_account_config(fapi):
    await fapi.signed("POST", "/fapi/v1/leverage", symbol=SYMBOL, leverage=10)
    await fapi.signed("POST", "/fapi/v1/marginType", symbol="ETHUSDT", marginType="ISOLATED")
    configs = (await fapi.signed("GET", "/fapi/v1/symbolConfig")).body
    assert configs == [
        {"symbol": SYMBOL, "marginType": "CROSSED", "isAutoAddMargin": "false", "leverage": 10,
         "maxNotionalValue": "50000000"},
        {"symbol": "ETHUSDT", "marginType": "ISOLATED", "isAutoAddMargin": "false", "leverage": 20,
         "maxNotionalValue": configs[1]["maxNotionalValue"]}]
    assert (await fapi.signed("GET", "/fapi/v1/symbolConfig", symbol=SYMBOL)).body == configs[:1]
    account = (await fapi.signed("GET", "/fapi/v1/accountConfig")).body
    assert (account["feeTier"], account["dualSidePosition"], account["multiAssetsMargin"]) == (0, False, False)


async def test_batch_cancel_takes_the_lower_case_names_ccxt_sends(fapi):
    first = (await fapi.order(**LIMIT)).body["orderId"]
    second = (await fapi.order(**LIMIT)).body["orderId"]
    reply = await fapi.signed("DELETE", "/fapi/v1/batchOrders", where="body", symbol=SYMBOL,
                              orderidlist=f"[{first},{second}]")
    assert [o["status"] for o in reply.body] == ["CANCELED", "CANCELED"]
