"""Fuzzing the USD-M REST API: random requests over every /fapi route (and the /sapi transfers), never a 5xx,
never -1000 (an unexpected exception), and never a half-applied rejection.

Hypothesis (derandomized, no example database) draws a route from the usdm route table and its plausible
parameters (well-formed new orders most of the time, with at most one defect), plus junk values and strangers,
signed by the demo account or by another one, in the query or a form body. After every refused request the futures
wallets, open orders, positions and settings of every account are exactly as before; at the end the futures
engine's audit finds nothing wrong.
"""
from __future__ import annotations

import dataclasses
import http.client
import json
import random
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.clock import SimClock
from simulator.dialects.binance.usdm import routes as usdm_rest
from simulator.dialects.binance.wire import auth
from simulator.engine.perp.audit import audit_perp
from simulator.rate_limits import Pool
from simulator.server import build_simulator
from tests.conftest import quiet_config
from tests.interop.usdm_helpers import arrange_perp_market
from tests.live_server import LiveServer

EXAMPLES = 1500
NOW = 1_700_000_020_000
DEMO_KEY, DEMO_SECRET = "demo-api-key", "demo-api-secret"
ROUTES = sorted({(e.method, e.path) for e in usdm_rest.ENDPOINTS})
ORDER_ROUTES = [("POST", "/fapi/v1/order"), ("POST", "/fapi/v1/algoOrder"), ("POST", "/fapi/v1/batchOrders")]
WEIGHTED_ROUTES = ROUTES + ORDER_ROUTES * 8 + [("DELETE", "/fapi/v1/order"), ("PUT", "/fapi/v1/order")] * 3

junk = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def mostly(valid: list[str], other: st.SearchStrategy[str] = junk) -> st.SearchStrategy[str]:
    return st.one_of(*[st.sampled_from(valid)] * 4, other)


integers = mostly([str(n) for n in range(1, 20)], st.sampled_from(["0", "-1", "x", "", "99999999999999999999",
                                                                    str(NOW), str(NOW - 10**9)]))
VALUES = {
    "symbol": mostly(["BTCUSDT", "BTCUSDT", "ETHUSDT"], st.sampled_from(["NOPE", "", "btcusdt"])),
    "pair": mostly(["BTCUSDT"], st.just("NOPE")),
    "contractType": st.sampled_from(["PERPETUAL", "CURRENT_QUARTER", ""]),
    "side": mostly(["BUY", "SELL"]),
    "positionSide": mostly(["BOTH", "LONG", "SHORT"]),
    "type": mostly(["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"]),
    "timeInForce": mostly(["GTC", "IOC", "FOK", "GTX", "GTD"]),
    "quantity": mostly(["0.010", "0.001", "0.1", "1", "0", "100", "0.0001"]),
    "price": mostly(["49900", "50000", "50100", "45000", "50000.05", "0"]),
    "stopPrice": mostly(["45000", "55000"]), "triggerPrice": mostly(["45000", "55000"]),
    "reduceOnly": mostly(["true", "false", "True"]), "closePosition": mostly(["true", "false"]),
    "workingType": mostly(["MARK_PRICE", "CONTRACT_PRICE"]), "priceProtect": mostly(["true", "false"]),
    "newClientOrderId": mostly(["a", "b", "dup"], st.sampled_from(["", "bad id", "a" * 40])),
    "clientAlgoId": mostly(["s1", "s2"]), "algoType": mostly(["CONDITIONAL"]),
    "origClientOrderId": mostly(["a", "b", "dup"]), "orderId": integers, "algoId": integers,
    "newOrderRespType": mostly(["ACK", "RESULT"]), "selfTradePreventionMode": mostly(["EXPIRE_MAKER", "NONE"]),
    "priceMatch": mostly(["NONE", "OPPONENT"]),
    "limit": integers, "startTime": integers, "endTime": integers, "fromId": integers, "page": integers,
    "interval": mostly(["1m", "1h", "1d"], st.just("7m")), "leverage": integers,
    "marginType": mostly(["ISOLATED", "CROSSED"]), "dualSidePosition": mostly(["true", "false"]),
    "amount": mostly(["1", "10", "0.5", "1000000"]), "asset": mostly(["USDT", "BTC"]),
    "incomeType": mostly(["FUNDING_FEE", "COMMISSION", "TRANSFER"]),
    "countdownTime": integers, "autoCloseType": mostly(["LIQUIDATION", "ADL"]),
    "batchOrders": st.sampled_from(['[{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","timeInForce":"GTC",'
                                    '"quantity":"0.010","price":"49000"}]', "[]", "[1]", "{", '[{"x":[1]}]']),
    "orderIdList": st.sampled_from(["[1,2]", "[]", '["a"]', "[", "[1]"]),
    "origClientOrderIdList": st.sampled_from(['["a"]', "[1]"]),
    "listenKey": st.sampled_from(["", "nope"]),
    "recvWindow": st.sampled_from(["5000", "60001", "x"]),
}
ORDER_LOOKUP = ["symbol", "orderId", "origClientOrderId"]
HISTORY = ["symbol", "startTime", "endTime", "limit"]
TEMPLATES = {  # each route's own parameters (the rest of VALUES shows up now and then as strangers)
    "/fapi/v1/exchangeInfo": [], "/fapi/v1/ping": [], "/fapi/v1/time": [],
    "/fapi/v1/depth": ["symbol", "limit"], "/fapi/v1/trades": ["symbol", "limit"],
    "/fapi/v1/historicalTrades": ["symbol", "limit", "fromId"], "/fapi/v1/aggTrades": HISTORY + ["fromId"],
    "/fapi/v1/klines": HISTORY + ["interval"], "/fapi/v1/continuousKlines": ["pair", "contractType", "interval",
                                                                              "startTime", "endTime", "limit"],
    "/fapi/v1/markPriceKlines": HISTORY + ["interval"], "/fapi/v1/indexPriceKlines": ["pair", "interval", "limit"],
    "/fapi/v1/ticker/price": ["symbol"], "/fapi/v2/ticker/price": ["symbol"], "/fapi/v1/ticker/bookTicker": ["symbol"],
    "/fapi/v1/ticker/24hr": ["symbol"], "/fapi/v1/premiumIndex": ["symbol"], "/fapi/v1/fundingRate": HISTORY,
    "/fapi/v1/fundingInfo": [], "/fapi/v1/openInterest": ["symbol"],
    "/fapi/v1/order": ORDER_LOOKUP + ["side", "quantity", "price"], "/fapi/v1/openOrder": ORDER_LOOKUP,
    "/fapi/v1/batchOrders": ["symbol", "batchOrders", "orderIdList", "origClientOrderIdList"],
    "/fapi/v1/allOpenOrders": ["symbol"], "/fapi/v1/openOrders": ["symbol"],
    "/fapi/v1/allOrders": HISTORY + ["orderId"], "/fapi/v1/userTrades": HISTORY + ["orderId", "fromId"],
    "/fapi/v1/forceOrders": HISTORY + ["autoCloseType"], "/fapi/v1/countdownCancelAll": ["symbol", "countdownTime"],
    "/fapi/v1/algoOrder": ["algoId", "clientAlgoId"], "/fapi/v1/openAlgoOrders": ["symbol"],
    "/fapi/v1/allAlgoOrders": ["symbol", "limit"], "/fapi/v1/algoOpenOrders": ["symbol"],
    "/fapi/v1/leverage": ["symbol", "leverage"], "/fapi/v1/marginType": ["symbol", "marginType"],
    "/fapi/v1/positionMargin": ["symbol", "amount", "positionSide"],
    "/fapi/v1/positionSide/dual": ["dualSidePosition"], "/fapi/v1/income": HISTORY + ["incomeType", "page"],
    "/fapi/v1/commissionRate": ["symbol"], "/fapi/v1/leverageBracket": ["symbol"],
    "/fapi/v1/symbolConfig": ["symbol"], "/fapi/v2/positionRisk": ["symbol"], "/fapi/v3/positionRisk": ["symbol"],
    "/fapi/v1/listenKey": ["listenKey"], "/sapi/v1/asset/transfer": ["asset", "amount"],
    "/sapi/v1/futures/transfer": ["asset", "amount"],
}
TRANSFER_TYPES = {"/sapi/v1/asset/transfer": ["MAIN_UMFUTURE", "UMFUTURE_MAIN", "MAIN_MARGIN"],
                  "/sapi/v1/futures/transfer": ["1", "2", "3"]}
POSITION_MARGIN_TYPES = ["1", "2", "3"]


def valid_order(rng: random.Random) -> list[tuple[str, str]]:
    type_ = rng.choice(["LIMIT", "LIMIT", "MARKET", "STOP_MARKET", "TAKE_PROFIT", "STOP"])
    pairs = [("symbol", "BTCUSDT"), ("side", rng.choice(["BUY", "SELL"])), ("type", type_),
             ("quantity", rng.choice(["0.010", "0.020", "0.1", "0.002"]))]
    if type_ in ("LIMIT", "STOP", "TAKE_PROFIT"):
        pairs += [("price", rng.choice(["49900", "50000", "50100", "49000"])), ("timeInForce",
                                                                              rng.choice(["GTC", "IOC", "GTX"]))]
    if type_ != "LIMIT" and type_ != "MARKET":
        pairs.append(("stopPrice", rng.choice(["45000", "55000", "50050"])))
    if rng.random() < 0.3:
        pairs.append(("reduceOnly", "true"))
    if rng.random() < 0.2:
        pairs.append(("newClientOrderId", rng.choice(["a", "b", "dup"])))
    return pairs


def parameters(draw, rng: random.Random, method: str, path: str) -> list[tuple[str, str]]:
    if (method, path) in ORDER_ROUTES[:2] and rng.random() < 0.7:
        pairs = valid_order(rng)
        if path.endswith("algoOrder"):
            pairs = [("triggerPrice" if n == "stopPrice" else n, v) for n, v in pairs] + [("algoType", "CONDITIONAL")]
        if rng.random() < 0.3:
            index = rng.randrange(len(pairs))
            pairs[index] = (pairs[index][0], draw(junk))
        return pairs
    pairs = [(name, draw(VALUES[name])) for name in TEMPLATES.get(path, [])
             if rng.random() < (0.9 if name == "symbol" else 0.5)]
    for name in rng.sample(sorted(VALUES), rng.choice([0, 0, 1, 2])):  # strangers
        pairs.append((name, draw(VALUES[name])))
    if path in TRANSFER_TYPES:
        pairs.append(("type", rng.choice(TRANSFER_TYPES[path])))
    elif path == "/fapi/v1/positionMargin":
        pairs.append(("type", rng.choice(POSITION_MARGIN_TYPES)))
    rng.shuffle(pairs)
    return list(dict(pairs).items())  # one value per name


@st.composite
def requests_(draw):
    rng = random.Random(draw(st.integers(0, 2**64 - 1)))
    method, path = rng.choice(WEIGHTED_ROUTES)
    return method, path, parameters(draw, rng, method, path), rng.choice(["query", "body"]), \
        rng.choice(["demo", "demo", "other"])


@pytest.fixture(scope="module")
def server():
    config = quiet_config()
    huge = (Pool("REQUEST_WEIGHT", "MINUTE", 1, 10**9), Pool("ORDERS", "SECOND", 10, 10**9))
    config = dataclasses.replace(config, rate_limits=dataclasses.replace(config.rate_limits, spot=huge, futures=huge))
    sim = build_simulator(config, clock=SimClock(frozen_at_ms=NOW))
    live = LiveServer(sim).start()
    live.call(arrange_perp_market, sim)
    live.other = live.call(lambda: sim.create_account("other", balances={"USDT": Decimal(1000)},
                                                      futures={"USDT": Decimal(5000)}))
    live.connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    yield live
    live.connection.close()
    live.stop()


def state(sim) -> dict:
    futures = sim.futures
    out = {}
    for account_id, account in futures.accounts.items():
        settings_ = futures.settings_of(account_id)
        out[account_id] = (
            {asset: tuple(v) for asset, v in account.balances.items()},
            {oid: (o.status, o.executed, o.qty, o.price) for oid, o in account.open_orders.items()},
            {key: (p.amt, getattr(p, "isolated_wallet", 0)) for key, p in futures.positions.items()
             if key[0] == account_id},
            (settings_.dual_side, dict(settings_.leverage), dict(settings_.margin_type)),
            sim.engine.account(account_id).balances.get("USDT", [0, 0])[0] if account_id in sim.engine.accounts
            else 0)
    return out


def send(server, request) -> tuple[int, bytes]:
    method, path, pairs, where, who = request
    key, secret = (DEMO_KEY, DEMO_SECRET) if who == "demo" else (server.other.key, server.other.secret)
    payload = urlencode(pairs + [("timestamp", str(NOW))])
    signature = auth.sign(secret, payload)
    headers = {"X-MBX-APIKEY": key}
    if where == "body":
        url, body = path, f"{payload}&signature={signature}".encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:
        url, body = f"{path}?{payload}&signature={signature}", b""
    for attempt in (1, 2):
        try:
            server.connection.request(method, url, body=body, headers=headers)
            response = server.connection.getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, ConnectionError):
            server.connection.close()
            server.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(request=requests_())
def test_random_futures_requests(server, request):
    before = server.call(state, server.sim)
    status, raw = send(server, request)
    assert status < 500, raw
    body = json.loads(raw)
    if status == 200:
        return
    assert isinstance(body, dict) and type(body.get("code")) is int and isinstance(body.get("msg"), str), body
    assert body["code"] != -1000, (request, body)
    assert server.call(state, server.sim) == before, (request, body)


def test_futures_invariants_hold_after_the_fuzzing(server):
    assert server.call(audit_perp, server.sim.futures) == []
