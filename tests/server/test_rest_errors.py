"""Every spot error the REST API produces: HTTP status, code and exact message, and nothing changed after it.

Table-driven: each case arranges (optionally), sends one request and expects one error. Codes of the reference's
tables that no spot REST request can produce here (-1007 and -1008 come from fault injection; -1103/-1104/-1105/
-1112/-1114 are never sent because unknown or empty parameters are ignored, as most endpoints do; -2026 needs
90-day archives) are not listed.
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from simulator.server import create_app
from tests.server import rest_helpers
from tests.server.rest_helpers import NOW, SYMBOL, Rest, make_sim

rest = rest_helpers.rest  # shared fixture
rest_sim = rest_helpers.rest_sim  # shared fixture

LIMIT = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "50000"}
ORDER = "/api/v3/order"


def mandatory(name: str) -> str:
    return f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."


def illegal(name: str, legal: str) -> str:
    return f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."


DECIMAL = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
INTEGER = "^[0-9]{1,20}$"


@dataclass
class Case:
    id: str
    send: Callable[[Rest], Awaitable[Any]]
    expected: tuple[int, int, str]
    arrange: Callable[[Rest], None] | None = None


def resting_order(r: Rest) -> None:
    r.place(r.account_id(), "BUY", "0.01", "50000")  # orderId 1


def ask_at_60000(r: Rest) -> None:
    r.place(r.counterparty(), "SELL", "1", "60000")


def last_trade_60000(r: Rest) -> None:
    r.trade("60000")


def raw(method: str, path: str, query: str = "", body: str = "", **headers: str):
    return lambda r: r.request(method, path, query=query, body=body, headers=headers)


INSUFFICIENT = "Account has insufficient balance for requested action."
CASES = [
    # --- authentication and the timestamp window ----------------------------------------------------------
    Case("unknown-api-key", lambda r: r.signed("GET", "/api/v3/account", key="no-such-key"),
         (401, -2015, "Invalid API-key, IP, or permissions for action.")),
    Case("malformed-api-key", lambda r: r.signed("GET", "/api/v3/account", key="bad key!"),
         (401, -2014, "API-key format invalid.")),
    Case("no-api-key", raw("GET", "/api/v3/account", f"timestamp={NOW}&signature=00"),
         (401, -2014, "API-key format invalid.")),
    Case("bad-signature", lambda r: r.signed("GET", "/api/v3/account", secret="not-the-secret"),
         (400, -1022, "Signature for this request is not valid.")),
    Case("stale-timestamp", lambda r: r.signed("GET", "/api/v3/account", timestamp=NOW - 5001),
         (400, -1021, "Timestamp for this request is outside of the recvWindow.")),
    Case("future-timestamp", lambda r: r.signed("GET", "/api/v3/account", timestamp=NOW + 1000),
         (400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")),
    Case("recv-window-too-big", lambda r: r.signed("GET", "/api/v3/account", recvWindow=60001),
         (400, -1131, "recvWindow must be less than 60000")),
    Case("recv-window-precision", lambda r: r.signed("GET", "/api/v3/account", recvWindow="5000.0001"),
         (400, -1111, "Parameter 'recvWindow' has too much precision.")),
    Case("no-timestamp", raw("GET", "/api/v3/account", "signature=00", **{"X-MBX-APIKEY": "demo-api-key"}),
         (400, -1102, mandatory("timestamp"))),
    Case("no-signature", raw("GET", "/api/v3/account", f"timestamp={NOW}", **{"X-MBX-APIKEY": "demo-api-key"}),
         (400, -1102, mandatory("signature"))),
    # --- reading parameters -------------------------------------------------------------------------------
    Case("duplicate-parameter", raw("GET", "/api/v3/depth", "symbol=BTCUSDT&symbol=ETHUSDT"),
         (400, -1101, "Duplicate values for a parameter detected.")),
    Case("too-many-parameters", raw("GET", "/api/v3/ping", "&".join(f"p{i}=1" for i in range(101))),
         (400, -1101, "Too many parameters sent for this endpoint.")),
    Case("not-utf8", raw("GET", "/api/v3/depth", "symbol=%FF"),
         (400, -1100, "Illegal characters found in a parameter.")),
    Case("no-symbol", lambda r: r.signed("POST", ORDER, **LIMIT), (400, -1102, mandatory("symbol"))),
    Case("no-side", lambda r: r.order(type="MARKET", quantity="1"), (400, -1102, mandatory("side"))),
    Case("no-type", lambda r: r.order(side="BUY", quantity="1"), (400, -1102, mandatory("type"))),
    Case("limit-without-price", lambda r: r.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity="1"),
         (400, -1102, mandatory("price"))),
    Case("limit-without-tif", lambda r: r.order(side="BUY", type="LIMIT", quantity="1", price="1"),
         (400, -1102, mandatory("timeInForce"))),
    Case("market-without-size", lambda r: r.order(side="BUY", type="MARKET"),
         (400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!")),
    Case("query-without-ids", lambda r: r.signed("GET", ORDER, symbol=SYMBOL),
         (400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")),
    Case("lowercase-symbol", lambda r: r.public("GET", "/api/v3/depth", symbol="btcusdt"),
         (400, -1100, illegal("symbol", "^[A-Z0-9-_.]{1,20}$"))),
    Case("malformed-quantity", lambda r: r.order(**{**LIMIT, "quantity": "1e-2"}),
         (400, -1100, illegal("quantity", DECIMAL))),
    Case("negative-price", lambda r: r.order(**{**LIMIT, "price": "-5"}), (400, -1100, illegal("price", DECIMAL))),
    Case("malformed-order-id", lambda r: r.signed("GET", ORDER, symbol=SYMBOL, orderId="12a"),
         (400, -1100, illegal("orderId", INTEGER))),
    Case("bad-client-order-id", lambda r: r.order(newClientOrderId="no spaces", **LIMIT),
         (400, -1100, illegal("newClientOrderId", "^[a-zA-Z0-9-_]{1,36}$"))),
    Case("empty-client-order-id", lambda r: r.order(newClientOrderId="", **LIMIT),
         (400, -1118, "New client order ID was empty.")),
    Case("empty-orig-client-order-id", lambda r: r.signed("GET", ORDER, symbol=SYMBOL, origClientOrderId=""),
         (400, -1119, "Original client order ID was empty.")),
    Case("unknown-symbol", lambda r: r.order(**{**LIMIT, "symbol": "DOGEUSDT"}), (400, -1121, "Invalid symbol.")),
    Case("unknown-symbol-public", lambda r: r.public("GET", "/api/v3/exchangeInfo", symbol="NOPE"),
         (400, -1121, "Invalid symbol.")),
    Case("bad-side", lambda r: r.order(**{**LIMIT, "side": "HOLD"}), (400, -1117, "Invalid side.")),
    Case("bad-type", lambda r: r.order(**{**LIMIT, "type": "LIMIT_TAKER"}), (400, -1116, "Invalid orderType.")),
    Case("bad-tif", lambda r: r.order(**{**LIMIT, "timeInForce": "GTD"}), (400, -1115, "Invalid timeInForce.")),
    Case("tif-on-market", lambda r: r.order(side="BUY", type="MARKET", quantity="0.01", timeInForce="GTC"),
         (400, -1106, "Parameter 'timeInForce' sent when not required.")),
    Case("price-on-market", lambda r: r.order(side="BUY", type="MARKET", quantity="0.01", price="1"),
         (400, -1106, "Parameter 'price' sent when not required.")),
    Case("stop-price-on-limit", lambda r: r.order(stopPrice="1", **LIMIT),
         (400, -1106, "Parameter 'stopPrice' sent when not required.")),
    Case("quantity-and-quote", lambda r: r.order(side="BUY", type="MARKET", quantity="1", quoteOrderQty="5"),
         (400, -1106, "Parameter 'quoteOrderQty' sent when not required.")),
    Case("quantity-precision", lambda r: r.order(**{**LIMIT, "quantity": "0.000000001"}),
         (400, -1111, "Parameter 'quantity' has too much precision.")),
    Case("price-precision", lambda r: r.order(**{**LIMIT, "price": "50000.000000010"}),
         (400, -1111, "Parameter 'price' has too much precision.")),
    Case("bad-response-type", lambda r: r.order(newOrderRespType="ALL", **LIMIT),
         (400, -1130, "Data sent for parameter 'newOrderRespType' is not valid.")),
    Case("limit-out-of-range", lambda r: r.public("GET", "/api/v3/trades", symbol=SYMBOL, limit=0),
         (400, -1130, "Data sent for parameter 'limit' is not valid.")),
    Case("strategy-type", lambda r: r.order(strategyType=999, **LIMIT),
         (400, -1134, "strategyType was less than 1000000.")),
    Case("bad-interval", lambda r: r.public("GET", "/api/v3/klines", symbol=SYMBOL, interval="2s"),
         (400, -1120, "Invalid interval.")),
    Case("bad-symbol-status", lambda r: r.public("GET", "/api/v3/depth", symbol=SYMBOL, symbolStatus="OPEN"),
         (400, -1122, "Invalid symbolStatus.")),
    Case("symbol-status-mismatch", lambda r: r.public("GET", "/api/v3/depth", symbol=SYMBOL, symbolStatus="HALT"),
         (400, -1220, "The symbol's status does not match the requested symbolStatus.")),
    Case("bad-ticker-type", lambda r: r.public("GET", "/api/v3/ticker/24hr", symbol=SYMBOL, type="HUGE"),
         (400, -1139, "Invalid ticker type.")),
    Case("bad-window-size", lambda r: r.public("GET", "/api/v3/ticker", symbol=SYMBOL, windowSize="8d"),
         (400, -1100, "Illegal characters found in parameter 'windowSize'; legal range is "
                      "'1m..59m, 1h..23h, 1d..7d'.")),
    Case("window-ticker-no-symbol", lambda r: r.public("GET", "/api/v3/ticker"),
         (400, -1102, "Param 'symbol' or 'symbols' must be sent, but both were empty/null!")),
    Case("trading-day-too-many-symbols",
         lambda r: r.public("GET", "/api/v3/ticker/tradingDay", symbols=json.dumps([f"S{i}" for i in range(101)])),
         (400, -1101, "Too many parameters; expected '100' and received '101'.")),
    Case("trading-day-bad-time-zone",
         lambda r: r.public("GET", "/api/v3/ticker/tradingDay", symbol=SYMBOL, timeZone="15"),
         (400, -1130, "Data sent for parameter 'timeZone' is not valid.")),
    Case("duplicate-symbols", lambda r: r.public("GET", "/api/v3/ticker/price", symbols='["BTCUSDT","BTCUSDT"]'),
         (400, -1151, "Symbol is present multiple times in the list.")),
    Case("symbol-and-symbols", lambda r: r.public("GET", "/api/v3/ticker/price", symbol=SYMBOL,
                                                  symbols='["BTCUSDT"]'),
         (400, -1128, "Combination of optional parameters invalid.")),
    Case("trades-window", lambda r: r.signed("GET", "/api/v3/myTrades", symbol=SYMBOL, startTime=0, endTime=NOW),
         (400, -1127, "More than 24 hours between startTime and endTime.")),
    Case("trades-combination", lambda r: r.signed("GET", "/api/v3/myTrades", symbol=SYMBOL, orderId=1,
                                                  startTime=NOW),
         (400, -1128, "Combination of optional parameters invalid.")),
    Case("cancel-restrictions", lambda r: r.signed("DELETE", ORDER, symbol=SYMBOL, orderId=1,
                                                   cancelRestrictions="NEVER"),
         (400, -1145, "cancelRestrictions has to be either ONLY_NEW or ONLY_PARTIALLY_FILLED.")),
    Case("unknown-listen-key", lambda r: r.request("PUT", "/api/v3/userDataStream", query="listenKey=abc",
                                                   headers={"X-MBX-APIKEY": "demo-api-key"}),
         (400, -1125, "This listenKey does not exist.")),
    # --- filters ------------------------------------------------------------------------------------------
    Case("price-filter", lambda r: r.order(**{**LIMIT, "price": "50000.001"}),
         (400, -1013, "Filter failure: PRICE_FILTER")),
    Case("price-above-max", lambda r: r.order(**{**LIMIT, "price": "1000000.01"}),
         (400, -1013, "Filter failure: PRICE_FILTER")),
    Case("lot-size", lambda r: r.order(**{**LIMIT, "quantity": "0.000015"}), (400, -1013, "Filter failure: LOT_SIZE")),
    Case("notional", lambda r: r.order(**{**LIMIT, "quantity": "0.00001", "price": "100"}),
         (400, -1013, "Filter failure: NOTIONAL")),
    Case("percent-price", lambda r: r.order(**{**LIMIT, "price": "300001"}),
         (400, -1013, "Filter failure: PERCENT_PRICE_BY_SIDE"), last_trade_60000),
    # --- engine rejections --------------------------------------------------------------------------------
    Case("insufficient-balance", lambda r: r.order(**{**LIMIT, "quantity": "100"}), (400, -2010, INSUFFICIENT)),
    Case("would-take", lambda r: r.order(side="BUY", type="LIMIT_MAKER", quantity="0.01", price="60000"),
         (400, -2010, "Order would immediately match and take."), ask_at_60000),
    Case("would-trigger", lambda r: r.order(side="SELL", type="STOP_LOSS", quantity="0.01", stopPrice="61000"),
         (400, -2010, "Order would trigger immediately."), last_trade_60000),
    Case("price-times-qty-zero", lambda r: r.order(**{**LIMIT, "price": "0"}),
         (400, -2010, "Price * QTY is zero or less.")),
    Case("duplicate-client-id", lambda r: r.order(newClientOrderId="twice", **LIMIT),
         (400, -2010, "Duplicate order sent."),
         lambda r: r.place(r.account_id(), "BUY", "0.01", "40000", client_id="twice")),
    Case("market-closed", lambda r: r.order(**LIMIT), (400, -2010, "Market is closed."),
         lambda r: r.sim.engine.set_symbol_status(SYMBOL, "HALT")),
    Case("no-liquidity", lambda r: r.order(side="BUY", type="MARKET", quoteOrderQty="100"),
         (400, -2010, "Order book liquidity is less than symbol minimum quantity.")),
    Case("iceberg", lambda r: r.order(icebergQty="0.001", **LIMIT),
         (400, -2010, "Iceberg orders are not supported for this symbol.")),
    Case("trailing", lambda r: r.order(side="SELL", type="STOP_LOSS", quantity="0.01", trailingDelta="100"),
         (400, -2010, "Trailing stop orders are not supported for this symbol.")),
    Case("unsupported-combination", lambda r: r.order(side="BUY", type="MARKET", quantity="0"),
         (400, -2010, "Unsupported order combination")),
    Case("unknown-order", lambda r: r.signed("GET", ORDER, symbol=SYMBOL, orderId=5),
         (400, -2013, "Order does not exist.")),
    Case("unknown-order-cancel", lambda r: r.signed("DELETE", ORDER, symbol=SYMBOL, orderId=5),
         (400, -2011, "Unknown order sent.")),
    Case("cancel-restricted", lambda r: r.signed("DELETE", ORDER, symbol=SYMBOL, orderId=1,
                                                 cancelRestrictions="ONLY_PARTIALLY_FILLED"),
         (400, -2011, "Order was not canceled due to cancel restrictions."), resting_order),
    Case("ids-disagree", lambda r: r.signed("DELETE", ORDER, symbol=SYMBOL, orderId=1, origClientOrderId="other"),
         (400, -2039, "Client order ID is not correct for this order ID."), resting_order),
    Case("nothing-to-cancel", lambda r: r.signed("DELETE", "/api/v3/openOrders", symbol=SYMBOL),
         (400, -2011, "Unknown order sent.")),
    # --- paths --------------------------------------------------------------------------------------------
    Case("unknown-path", raw("GET", "/api/v3/nothing"), (404, -1, "Unknown path.")),
    Case("wrong-method", raw("PATCH", "/api/v3/order"), (404, -1, "Unknown path.")),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_error(rest, case):
    if case.arrange is not None:
        case.arrange(rest)
    before = rest.state()
    reply = await case.send(rest)
    assert reply.error == case.expected
    assert set(reply.body) == {"code", "msg"}
    assert "X-MBX-USED-WEIGHT-1M" in reply.headers
    assert "X-MBX-ORDER-COUNT-10S" not in reply.headers
    assert rest.state() == before


def test_every_case_has_a_unique_id():
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize(("changes", "order", "expected"), [
    ({"max_num_orders": 1}, LIMIT, "Filter failure: MAX_NUM_ORDERS"),
    ({"market_max_qty": "0.005"}, {"side": "SELL", "type": "MARKET", "quantity": "0.01"},
     "Filter failure: MARKET_LOT_SIZE"),
])
async def test_filters_that_need_their_own_config(changes, order, expected):
    sim = make_sim(**changes)
    client = TestClient(TestServer(create_app(sim)))
    await client.start_server()
    try:
        r = Rest(client, sim)
        r.place(r.account_id(), "BUY", "0.01", "40000")
        r.place(r.counterparty(), "BUY", "1", "45000")
        before = r.state()
        reply = await r.order(**order)
        assert reply.error == (400, -1013, expected)
        assert r.state() == before
    finally:
        await client.close()
