"""The USD-M perpetual half against the reference's wire contract, with aioresponses: order parameters in
one-way and hedge mode, settings, positions from REST and WS, funding info from the markPrice stream, funding
payments from the user stream with income polling, remembered across a restart."""
from __future__ import annotations

import asyncio
import re
from decimal import Decimal as D
from urllib.parse import parse_qsl

import pytest
from aioresponses import aioresponses

from connector import constants as c
from connector.perpetual_derivative import BinancePerpetualDerivative
from connector.perpetual_trading import HEDGE, ONEWAY
from connector.trading_rules import parse_usdm_rules
from connector.web_assistant import ExchangeError
from tests.connector.test_trading_rules import USDM_INFO

BASE = "http://exchange.test"
PAIR = "BTC-USDT"


def url(path):
    return re.compile(re.escape(BASE + path) + r"(\?.*)?$")


def bodies(m, method, path):
    return [dict(parse_qsl(call.kwargs["data"] or "")) for (verb, u), calls in m.requests.items()
            if verb == method and u.path == path for call in calls]


@pytest.fixture
async def perp(tmp_path):
    ex = BinancePerpetualDerivative("k", "s", [PAIR], base_url=BASE, tracking_db=str(tmp_path / "p.sqlite"))
    with aioresponses() as m:
        m.get(url(c.F_EXCHANGE_INFO), payload=USDM_INFO)
        await ex._update_trading_rules()
    yield ex
    await ex.stop_network()


def result(cid, status="NEW", executed="0"):
    return {"orderId": 9, "symbol": "BTCUSDT", "status": status, "clientOrderId": cid, "price": "60000.00",
            "avgPrice": "0", "origQty": "0.010", "executedQty": executed, "updateTime": 3}


async def test_one_way_orders_close_with_reduce_only_and_post_only_is_gtx(perp):
    with aioresponses() as m:
        m.post(url(c.F_ORDER), payload=result("open"), repeat=True)
        await perp.place_order("BUY", PAIR, D("0.01"), "LIMIT_MAKER", D("60000"), client_order_id="open",
                               position_action="OPEN")
        await perp.place_order("SELL", PAIR, D("0.01"), "LIMIT", D("61000"), client_order_id="close",
                               position_action="CLOSE")
        sent = bodies(m, "POST", c.F_ORDER)
    assert sent[0]["type"] == "LIMIT" and sent[0]["timeInForce"] == "GTX" and "reduceOnly" not in sent[0]
    assert sent[0]["newOrderRespType"] == "RESULT" and "positionSide" not in sent[0]
    assert sent[1]["reduceOnly"] == "true"


async def test_hedge_mode_names_the_position_side_and_never_sends_reduce_only(perp):
    perp.position_mode = HEDGE
    with aioresponses() as m:
        m.post(url(c.F_ORDER), payload=result("x"), repeat=True)
        await perp.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("60000"), client_order_id="long-open",
                               position_action="OPEN")
        await perp.place_order("BUY", PAIR, D("0.01"), "MARKET", client_order_id="short-close",
                               position_action="CLOSE", reduce_only=True)
        sent = bodies(m, "POST", c.F_ORDER)
    assert [s["positionSide"] for s in sent] == ["LONG", "SHORT"]
    assert all("reduceOnly" not in s for s in sent)
    assert perp.in_flight_orders["short-close"].position_side == "SHORT"


async def test_a_result_answer_without_fills_waits_for_them(perp):
    with aioresponses() as m:
        m.post(url(c.F_ORDER), payload=result("mkt", "FILLED", "0.010"))
        await perp.place_order("BUY", PAIR, D("0.01"), "MARKET", client_order_id="mkt")
    assert perp._poll_notifier.is_set() and "mkt" in perp.in_flight_orders
    perp._process_user_event({"e": "ORDER_TRADE_UPDATE", "E": 5, "T": 5, "o": {
        "s": "BTCUSDT", "c": "mkt", "S": "BUY", "o": "MARKET", "x": "TRADE", "X": "FILLED", "i": 9, "l": "0.010",
        "z": "0.010", "L": "60000.00", "N": "USDT", "n": "0.30", "T": 5, "t": 77, "m": False, "ps": "BOTH"}})
    assert [e.kind for e in perp.events.history] == ["order_created", "order_filled", "order_completed"]
    assert perp.events.history[1].fee_asset == "USDT" and perp.events.history[1].fee_amount == D("0.30")


async def test_an_order_update_without_a_trade_id_is_not_a_fill(perp):
    with aioresponses() as m:
        m.post(url(c.F_ORDER), payload=result("nf"))
        await perp.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("60000"), client_order_id="nf")
    perp._process_user_event({"e": "ORDER_TRADE_UPDATE", "E": 6, "o": {
        "s": "BTCUSDT", "c": "nf", "x": "EXPIRED", "X": "EXPIRED", "i": 9, "l": "0", "z": "0", "L": "0", "t": 0}})
    assert [e.kind for e in perp.events.history] == ["order_created", "order_canceled"]


async def test_settings_go_to_their_endpoints_and_no_need_to_change_is_fine(perp):
    with aioresponses() as m:
        m.post(url(c.F_LEVERAGE), payload={"leverage": 7, "maxNotionalValue": "1000000", "symbol": "BTCUSDT"})
        m.post(url(c.F_POSITION_SIDE_DUAL), status=400,
               payload={"code": -4059, "msg": "No need to change position side."})
        m.post(url(c.F_MARGIN_TYPE), status=400, payload={"code": -4046, "msg": "No need to change margin type."})
        m.post(url(c.F_MARGIN_TYPE), status=400, payload={"code": -4048, "msg": "Margin type cannot be changed if "
                                                                                "there exists position."})
        assert await perp.set_leverage(PAIR, 7) == 7
        await perp.set_position_mode(HEDGE)
        await perp.set_margin_type(PAIR, "ISOLATED")
        with pytest.raises(ExchangeError) as info:
            await perp.set_margin_type(PAIR, "CROSSED")
        assert bodies(m, "POST", c.F_POSITION_SIDE_DUAL)[0] == {"dualSidePosition": "true"}
    assert perp.leverage[PAIR] == 7 and perp.position_mode == HEDGE and perp.margin_type[PAIR] == "ISOLATED"
    assert info.value.code == -4048 and "position" in info.value.reason


def risk(amount, side="BOTH", entry="60000.0", leverage="5"):
    return {"symbol": "BTCUSDT", "positionSide": side, "positionAmt": amount, "entryPrice": entry,
            "unRealizedProfit": "1.5", "leverage": leverage, "marginType": "cross"}


async def test_positions_from_rest_signed_and_dropped_at_zero(perp):
    with aioresponses() as m:
        m.get(url(c.F_POSITION_RISK), payload=[risk("-0.020")])
        m.get(url(c.F_POSITION_RISK), payload=[risk("-0.020")])  # the same: no news
        m.get(url(c.F_POSITION_RISK), payload=[risk("0.000")])
        await perp._update_extra()
        assert perp.positions[0].amount == D("-0.020") and perp.positions[0].leverage == 5
        await perp._update_extra()
        await perp._update_extra()
    assert perp.positions == []
    updates = [e for e in perp.events.history if e.kind == "position_update"]
    assert [u.amount for u in updates] == [D("-0.020"), D("0")] and perp.status_dict["positions"]


async def test_account_update_moves_balances_and_positions(perp):
    perp._process_user_event({"e": "ACCOUNT_UPDATE", "E": 1, "T": 1, "a": {"m": "ORDER", "B": [
        {"a": "USDT", "wb": "1000.5", "cw": "1000.5", "bc": "0"}], "P": [
        {"s": "BTCUSDT", "pa": "0.010", "ep": "60000.0", "cr": "0", "up": "0", "mt": "cross", "iw": "0",
         "ps": "BOTH"}]}})
    assert perp.get_balance("USDT") == D("1000.5")
    assert perp.account_positions[(PAIR, "BOTH")].amount == D("0.010")
    perp._process_user_event({"e": "ACCOUNT_CONFIG_UPDATE", "E": 2, "T": 2, "ac": {"s": "BTCUSDT", "l": 20}})
    assert perp.leverage[PAIR] == 20


async def test_funding_info_comes_from_the_mark_price_stream(perp):
    source = perp.order_book_tracker.data_source
    assert "btcusdt@markPrice@1s" in source.stream_names()
    await source._handle({"stream": "btcusdt@markPrice@1s", "data": {
        "e": "markPriceUpdate", "E": 1, "s": "BTCUSDT", "p": "60010.5", "ap": "60000", "i": "60000.1",
        "P": "60005", "r": "0.00010000", "T": 1_800_000_000_000}})
    listener = asyncio.get_running_loop().create_task(perp._funding_info_listener())
    try:
        async with asyncio.timeout(2):
            while PAIR not in perp.funding_info:
                await asyncio.sleep(0.01)
    finally:
        listener.cancel()
    info = perp.funding_info[PAIR]
    assert (info.mark_price, info.index_price, info.rate, info.next_funding_time_ms) == (
        D("60010.5"), D("60000.1"), D("0.0001"), 1_800_000_000_000)


def income(tran_id, amount, time_ms):
    return {"symbol": "BTCUSDT", "incomeType": "FUNDING_FEE", "income": amount, "asset": "USDT",
            "info": "FUNDING_FEE", "time": time_ms, "tranId": tran_id, "tradeId": ""}


async def test_a_first_start_remembers_where_funding_reports_begin(tmp_path):
    db = str(tmp_path / "first.sqlite")
    ex = BinancePerpetualDerivative("k", "s", [PAIR], base_url=BASE, tracking_db=db)
    try:
        with aioresponses() as m:
            m.get(url(c.F_TIME), payload={"serverTime": 7000}, repeat=True)
            m.get(url(c.F_EXCHANGE_INFO), payload=USDM_INFO)
            m.get(url(c.F_POSITION_SIDE_DUAL), payload={"dualSidePosition": False})
            m.get(url(c.F_PREMIUM_INDEX), payload={"symbol": "BTCUSDT", "markPrice": "1", "indexPrice": "1",
                                                    "lastFundingRate": "0.0001", "nextFundingTime": 10})
            ex.order_book_tracker.start = lambda: None
            ex.user_stream_tracker.start = lambda: None
            await ex.start_network()
        assert 6000 < int(ex._store.get_value("last_funding_time_ms")) <= 8000
        assert ex._funding_notifier.is_set()
    finally:
        await ex.stop_network()


async def test_funding_payments_once_each_and_remembered_across_a_restart(tmp_path):
    db = str(tmp_path / "funding.sqlite")
    first = BinancePerpetualDerivative("k", "s", [PAIR], base_url=BASE, tracking_db=db)
    first._last_funding_ms = 1000
    first.pair_map.update(parse_usdm_rules(USDM_INFO).values())
    first._process_user_event({"e": "ACCOUNT_UPDATE", "E": 1, "a": {"m": "FUNDING_FEE", "B": [
        {"a": "USDT", "wb": "999.4", "cw": "999.4", "bc": "-0.6"}]}})
    assert first._funding_notifier.is_set()
    with aioresponses() as m:
        m.get(url(c.F_INCOME), payload=[income(11, "-0.60000000", 5000)])
        m.get(url(c.F_INCOME), payload=[income(11, "-0.60000000", 5000)])  # seen again: not news
        await first._update_funding_payments()
        await first._update_funding_payments()
    payments = [e for e in first.events.history if e.kind == "funding_payment"]
    assert [(p.trading_pair, p.asset, p.amount, p.funding_time_ms) for p in payments] == [
        (PAIR, "USDT", D("-0.6"), 5000)]
    await first.stop_network()

    second = BinancePerpetualDerivative("k", "s", [PAIR], base_url=BASE, tracking_db=db)
    try:
        with aioresponses() as m:
            m.get(url(c.F_TIME), payload={"serverTime": 9000}, repeat=True)
            m.get(url(c.F_EXCHANGE_INFO), payload=USDM_INFO)
            m.get(url(c.F_POSITION_SIDE_DUAL), payload={"dualSidePosition": False})
            m.get(url(c.F_PREMIUM_INDEX), payload={"symbol": "BTCUSDT", "markPrice": "1", "indexPrice": "1",
                                                    "lastFundingRate": "0.0001", "nextFundingTime": 10})
            second.order_book_tracker.start = lambda: None  # no sockets in a unit test
            second.user_stream_tracker.start = lambda: None
            await second.start_network()
            assert second._last_funding_ms == 5001
            m.get(url(c.F_INCOME), payload=[income(12, "0.25", 8000)])
            await second._update_funding_payments()
            calls = [u for (verb, u) in m.requests if u.path == c.F_INCOME]
        assert dict(parse_qsl(calls[0].raw_query_string))["startTime"] == "5001"
        assert [e.amount for e in second.events.history if e.kind == "funding_payment"] == [D("0.25")]
    finally:
        await second.stop_network()


async def test_balances_from_the_futures_account(perp):
    with aioresponses() as m:
        m.get(url(c.F_ACCOUNT), payload={"assets": [{"asset": "USDT", "walletBalance": "1000.0",
                                                     "availableBalance": "800.0"}]})
        await perp._update_balances()
    assert perp.get_balance("USDT") == D("1000") and perp.get_available_balance("USDT") == D("800")
    assert perp.position_mode == ONEWAY
