"""binance-connector's `Spot`, unmodified but for its base_url, against a live simulator.

The connector puts every parameter in the query string, POST and DELETE included, with an empty JSON-typed body.
"""
from __future__ import annotations

import pytest
from binance.error import ClientError
from binance.spot import Spot

from tests.interop.helpers import ASK, BID, DEMO_KEY, DEMO_SECRET, LAST, SYMBOL, arrange_market

pytestmark = pytest.mark.interop


@pytest.fixture
def client(live_server) -> Spot:
    live_server.call(arrange_market, live_server.sim)
    return Spot(DEMO_KEY, DEMO_SECRET, base_url=live_server.base_url)


def balances(client: Spot) -> dict[str, tuple[str, str]]:
    return {b["asset"]: (b["free"], b["locked"]) for b in client.account()["balances"]}


def test_public_data(client):
    assert client.ping() == {}
    assert isinstance(client.time()["serverTime"], int)
    info = client.exchange_info(symbol=SYMBOL)
    assert [s["symbol"] for s in info["symbols"]] == [SYMBOL]
    book = client.depth(SYMBOL, limit=5)
    assert book["asks"] == [[f"{ASK}.00000000", "1.00000000"]] and book["bids"][0][0] == f"{BID}.00000000"
    assert [t["price"] for t in client.trades(SYMBOL)] == [f"{LAST}.00000000"]
    assert client.ticker_price(SYMBOL) == {"symbol": SYMBOL, "price": f"{LAST}.00000000"}
    assert client.book_ticker(symbols=[SYMBOL])[0]["askQty"] == "1.00000000"
    ticker = client.ticker_24hr(SYMBOL)
    assert ticker["lastPrice"] == f"{LAST}.00000000" and ticker["count"] == 1 and "time" not in ticker
    kline = client.klines(SYMBOL, "1m")[0]  # the trade's minute (later ones, if any, are flat)
    assert kline[1:5] == [f"{LAST}.00000000"] * 4 and kline[8] == 1
    assert client.avg_price(SYMBOL)["price"] == f"{LAST}.00000000"


def test_trading_round_trip(client):
    order = client.new_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
                             price="50000", newClientOrderId="connector-1")
    assert (order["status"], order["clientOrderId"], order["fills"]) == ("NEW", "connector-1", [])
    assert balances(client)["USDT"] == ("999500.00000000", "500.00000000")
    assert [o["orderId"] for o in client.get_open_orders(SYMBOL)] == [order["orderId"]]
    assert client.get_order(SYMBOL, origClientOrderId="connector-1")["status"] == "NEW"
    canceled = client.cancel_order(SYMBOL, orderId=order["orderId"], newClientOrderId="connector-cancel")
    assert (canceled["status"], canceled["origClientOrderId"], canceled["clientOrderId"]) == (
        "CANCELED", "connector-1", "connector-cancel")
    assert client.get_open_orders(SYMBOL) == []

    taken = client.new_order(symbol=SYMBOL, side="BUY", type="MARKET", quantity="0.5")
    assert (taken["status"], taken["executedQty"], taken["cummulativeQuoteQty"]) == (
        "FILLED", "0.50000000", "30000.00000000")
    assert taken["fills"] == [{"price": f"{ASK}.00000000", "qty": "0.50000000", "commission": "0.00050000",
                               "commissionAsset": "BTC", "tradeId": 2}]
    assert balances(client)["BTC"] == ("10.49950000", "0.00000000")
    assert balances(client)["USDT"] == ("970000.00000000", "0.00000000")
    mine = client.my_trades(SYMBOL)
    assert [(t["id"], t["orderId"], t["isBuyer"], t["isMaker"], t["commission"]) for t in mine] == [
        (2, taken["orderId"], True, False, "0.00050000")]
    assert [o["status"] for o in client.get_orders(SYMBOL)] == ["CANCELED", "FILLED"]


def test_cancel_open_orders_and_listen_key(client):
    for price in ("50000", "51000"):
        client.new_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price=price)
    canceled = client.cancel_open_orders(SYMBOL)
    assert [c["status"] for c in canceled] == ["CANCELED", "CANCELED"]
    key = client.new_listen_key()["listenKey"]
    assert client.renew_listen_key(key) == {}
    assert client.close_listen_key(key) == {}
    with pytest.raises(ClientError) as caught:
        client.renew_listen_key(key)
    assert (caught.value.status_code, caught.value.error_code) == (400, -1125)


@pytest.mark.parametrize(("call", "status", "code", "message"), [
    (lambda c: c.new_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="100",
                           price="50000"),
     400, -2010, "Account has insufficient balance for requested action."),
    (lambda c: c.new_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.000001",
                           price="50000"),
     400, -1013, "Filter failure: LOT_SIZE"),
    (lambda c: c.new_order(symbol=SYMBOL, side="BUY", type="MARKET", timeInForce="GTC", quantity="0.01"),
     400, -1106, "Parameter 'timeInForce' sent when not required."),
    (lambda c: c.get_order(SYMBOL, orderId=424242), 400, -2013, "Order does not exist."),
    (lambda c: c.cancel_order(SYMBOL, orderId=424242), 400, -2011, "Unknown order sent."),
    (lambda c: c.depth("NOPEUSDT"), 400, -1121, "Invalid symbol."),
    (lambda c: c.klines(SYMBOL, "7m"), 400, -1120, "Invalid interval."),
    (lambda c: Spot("unknown-key", "x", base_url=c.base_url).account(), 401, -2015,
     "Invalid API-key, IP, or permissions for action."),
    (lambda c: Spot(DEMO_KEY, "wrong-secret", base_url=c.base_url).account(), 400, -1022,
     "Signature for this request is not valid."),
])
def test_errors_reach_the_connector(client, call, status, code, message):
    with pytest.raises(ClientError) as caught:
        call(client)
    assert (caught.value.status_code, caught.value.error_code, caught.value.error_message) == (
        status, code, message)
    assert "X-MBX-USED-WEIGHT-1M" in caught.value.header
