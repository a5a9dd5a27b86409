"""The futures error codes of reference §7.7 not covered by the endpoint tests (test_fapi_orders, _account,
_market, _listen_key, _ratelimit, _faults): each one provoked once over /fapi, with Binance's status, code and
message, and nothing changed by the refused request; plus countdownCancelAll and forceOrders."""
from __future__ import annotations

import asyncio
from decimal import Decimal

from simulator.dialects.binance.usdm.countdown import cancel_due
from simulator.rate_limits import Pool
from tests.server import fapi_helpers
from tests.server.fapi_helpers import SYMBOL, fapi_client, make_futures_sim, place, trader
from tests.server.rest_helpers import NOW

fapi = fapi_helpers.fapi
fapi_sim = fapi_helpers.fapi_sim
LIMIT = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.010", "price": "40000"}


def qty(sim, text: str, symbol: str = SYMBOL) -> int:
    return sim.futures.instruments[symbol].parse_qty(text)


async def test_1015_too_many_orders_on_the_futures_pool():
    sim = make_futures_sim(futures_limits=[Pool("REQUEST_WEIGHT", "MINUTE", 1, 2400), Pool("ORDERS", "SECOND", 10, 1)])
    async with fapi_client(sim) as client:
        assert (await client.order(**LIMIT)).headers["X-MBX-ORDER-COUNT-10S"] == "1"
        refused = await client.order(**LIMIT)
        assert refused.error == (429, -1015, "Too many new orders; current limit is 1 orders per 10 SECOND.")
        assert len(sim.futures.open_orders(client.account_id())) == 1


async def test_1106_time_in_force_is_not_for_close_position(fapi):
    reply = await fapi.order(side="SELL", type="MARKET", quantity="0.010", closePosition="true")
    assert reply.error == (400, -1106, "Parameter 'closePosition' sent when not required.")


async def test_1128_combinations_refused(fapi):
    both = await fapi.signed("DELETE", "/fapi/v1/batchOrders", where="body", symbol=SYMBOL, orderIdList="[1]",
                             origClientOrderIdList='["a"]')
    assert both.error == (400, -1128, "Combination of optional parameters invalid.")
    trades = await fapi.signed("GET", "/fapi/v1/userTrades", symbol=SYMBOL, fromId=1, startTime=NOW - 1000)
    assert trades.error == (400, -1128, "Combination of optional parameters invalid.")


async def test_2024_close_position_without_a_position(fapi):
    reply = await fapi.order(side="SELL", type="STOP_MARKET", stopPrice="40000", closePosition="true")
    assert reply.error == (400, -2024, "Position is not sufficient.")


async def test_2025_too_many_open_orders(fapi):
    sim, account_id = fapi.sim, fapi.account_id()
    inst = sim.futures.instruments[SYMBOL]
    for _ in range(inst.max_num_orders):
        sim.futures.place_order(account_id, SYMBOL, "BUY", "LIMIT", qty=qty(sim, "0.003"),
                                price=inst.parse_price("40000"), tif="GTC")
    reply = await fapi.order(**LIMIT)
    assert reply.error == (400, -2025, "Reach max open order limit.")


async def test_2028_leverage_too_small_for_the_margin(fapi):
    sim = fapi.sim
    small = sim.create_account("small", futures={"USDT": Decimal(1000)})
    keys = {"key": small.key, "secret": small.secret}
    await fapi.signed("POST", "/fapi/v1/leverage", symbol=SYMBOL, leverage=100, **keys)
    place(sim, trader(sim), "SELL", "0.900", "50000.0")
    assert (await fapi.order(side="BUY", type="MARKET", quantity="0.900", **keys)).status == 200  # 450 margin
    refused = await fapi.signed("POST", "/fapi/v1/leverage", symbol=SYMBOL, leverage=1, **keys)  # 45,000 needed
    assert refused.error == (400, -2028, "Leverage is smaller than permitted: insufficient margin balance")
    assert sim.futures.leverage_of(small.account_id, SYMBOL) == 100


async def test_2018_isolated_margin_removed_beyond_what_is_there(fapi):
    sim = fapi.sim
    await fapi.signed("POST", "/fapi/v1/marginType", symbol=SYMBOL, marginType="ISOLATED")
    maker = trader(sim)
    place(sim, maker, "SELL", "0.010", "50000.0")
    await fapi.order(side="BUY", type="MARKET", quantity="0.010")
    refused = await fapi.signed("POST", "/fapi/v1/positionMargin", symbol=SYMBOL, amount="1000", type=2)
    assert refused.error == (400, -2018, "Balance is insufficient")


async def test_4004_quantity_below_the_minimum():
    async with fapi_client(make_futures_sim(min_qty=Decimal("0.010"))) as client:  # ten steps
        reply = await client.order(**{**LIMIT, "quantity": "0.005"})
        assert reply.error == (400, -4004, "Quantity less than min quantity.")


async def test_countdown_cancel_all(fapi):
    placed = (await fapi.order(**LIMIT)).body
    set_ = await fapi.signed("POST", "/fapi/v1/countdownCancelAll", symbol=SYMBOL, countdownTime=5000)
    assert set_.body == {"symbol": SYMBOL, "countdownTime": "5000"}
    fapi.sim.clock.advance(4000)
    await fapi.signed("POST", "/fapi/v1/countdownCancelAll", symbol=SYMBOL, countdownTime=5000)  # renewed
    fapi.sim.clock.advance(4000)
    cancel_due(fapi.sim)
    assert [o.order_id for o in fapi.sim.futures.open_orders(fapi.account_id())] == [placed["orderId"]]
    fapi.sim.clock.advance(1000)
    cancel_due(fapi.sim)
    assert fapi.sim.futures.open_orders(fapi.account_id()) == []
    off = await fapi.signed("POST", "/fapi/v1/countdownCancelAll", symbol=SYMBOL, countdownTime=0)
    assert off.body == {"symbol": SYMBOL, "countdownTime": "0"} and fapi.sim.wire.countdowns == {}


async def test_force_orders_lists_liquidations(fapi):
    sim = fapi.sim
    inst = sim.futures.instruments[SYMBOL]
    sim.futures.set_index(SYMBOL, inst.parse_price("50000"))
    victim = sim.create_account("victim", futures={"USDT": Decimal(1000)})
    sim.futures.set_leverage(victim.account_id, SYMBOL, 100)
    maker = trader(sim)
    place(sim, maker, "SELL", "0.200", "50000.0")
    place(sim, victim.account_id, "BUY", "0.200", "50000.0")
    place(sim, maker, "BUY", "1.000", "44000.0")
    sim.futures.set_index(SYMBOL, inst.parse_price("45000"))
    reply = await fapi.signed("GET", "/fapi/v1/forceOrders", key=victim.key, secret=victim.secret)
    [order] = reply.body
    assert order["clientOrderId"].startswith("autoclose-") and order["type"] == "LIQUIDATION"
    assert (await fapi.signed("GET", "/fapi/v1/forceOrders")).body == []  # the demo account's: none


async def test_countdown_runs_out_on_the_servers_own_timer(fapi):
    await fapi.order(**LIMIT)
    await fapi.signed("POST", "/fapi/v1/countdownCancelAll", symbol=SYMBOL, countdownTime=1000)
    fapi.sim.clock.advance(1000)
    for _ in range(100):  # the check runs every 50 ms
        if not fapi.sim.futures.open_orders(fapi.account_id()):
            break
        await asyncio.sleep(0.02)
    assert fapi.sim.futures.open_orders(fapi.account_id()) == []
