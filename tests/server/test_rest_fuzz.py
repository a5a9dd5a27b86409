"""Fuzzing the REST API: thousands of random requests, never a 5xx, never a half-applied rejection.

Hypothesis (derandomized, no example database) draws requests from the route table and beyond: random paths and
methods, known and unknown parameter names, plausible and junk values (unicode included), in the query, a form
body or a JSON body, under random content types, unsigned or signed with a valid, unknown or malformed key.

After every request: the status is below 500; every error is a JSON object with an int `code` and a str `msg`,
and never -1000 (an unexpected exception); and after every rejection every account's balances and open orders
are exactly as before. At the end the engine's invariants still hold.
"""
from __future__ import annotations

import dataclasses
import http.client
import json
import random
from decimal import Decimal
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.clock import SimClock
from simulator.core import Simulator
from simulator.server import build_simulator
from simulator.dialects.binance.wire import auth
from simulator.dialects.binance.spot import routes as spot_rest
from simulator.dialects.binance.wire.ratelimit import Pool
from simulator.engine.audit import audit
from tests.conftest import quiet_config
from tests.interop.helpers import arrange_market
from tests.live_server import LiveServer

EXAMPLES = 4000
NOW = 1_700_000_020_000
DEMO_KEY, DEMO_SECRET = "demo-api-key", "demo-api-secret"
ROUTES = sorted({(e.method, e.path) for e in spot_rest.ENDPOINTS})
# the trading routes, where state can change, several times as often as the others
WEIGHTED_ROUTES = ROUTES + [route for route in ROUTES if route[1].startswith("/api/v3/order")] * 6 + \
    [("POST", "/api/v3/order")] * 15 + [("DELETE", "/api/v3/openOrders")] * 2
PATHS = sorted({path for _, path in ROUTES})

junk = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def mostly(valid: list[str], other: st.SearchStrategy[str] = junk) -> st.SearchStrategy[str]:
    """Plausible values four times out of five, anything else the fifth."""
    return st.one_of(*[st.sampled_from(valid)] * 4, other)


quantities = mostly(["0.01", "0.001", "0.1", "1", "0.00001", "0.5"], st.one_of(
    st.sampled_from(["0", "100", "0.000000001", "1e5", "-1", "", " 1", "1.", ".5", "99999999999999999999",
                     "0.000015"]),
    st.decimals(min_value=0, max_value=10**4, places=8, allow_nan=False).map(str)))
prices = mostly(["50000", "59000", "59500", "60000", "61000", "30000", "58000.5"], st.one_of(
    st.sampled_from(["0", "0.01", "50000.001", "9999999", "-5", "1e4", ""]),
    st.decimals(min_value=0, max_value=10**7, places=8, allow_nan=False).map(str)))
integers = mostly([str(n) for n in range(1, 30)], st.one_of(
    st.sampled_from(["0", "-1", "abc", "", "99999999999999999999", str(NOW), str(NOW - 10**7)]),
    st.integers(min_value=0, max_value=10**14).map(str)))
VALUES = {
    "symbol": mostly(["BTCUSDT", "BTCUSDT", "ETHUSDT"], st.sampled_from(["btcusdt", "NOPE", "", "BTC/USDT"])),
    "symbols": st.sampled_from(['["BTCUSDT"]', '["BTCUSDT","ETHUSDT"]', '["NOPE"]', "[]", "BTCUSDT", '["BTCUSDT"',
                                '["BTCUSDT","BTCUSDT"]']),
    "side": mostly(["BUY", "SELL"], st.sampled_from(["buy", "HOLD"])),
    "type": mostly(["LIMIT", "LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
                    "TAKE_PROFIT_LIMIT", "FULL", "MINI"], st.sampled_from(["limit", "OCO"])),
    "timeInForce": mostly(["GTC", "GTC", "IOC", "FOK"], st.sampled_from(["GTX", ""])),
    "quantity": quantities, "price": prices, "quoteOrderQty": mostly(["100", "1000", "10"], quantities),
    "stopPrice": prices, "icebergQty": quantities, "newQty": quantities,
    "newClientOrderId": mostly(["a", "b", "dup", "x-1"], st.sampled_from(["", "bad id", "a" * 40])),
    "origClientOrderId": mostly(["a", "b", "dup"], st.sampled_from(["", "nope"])),
    "cancelOrigClientOrderId": mostly(["a", "b", "dup"], st.just("nope")),
    "cancelNewClientOrderId": mostly(["c"], st.sampled_from(["", "bad id"])),
    "orderId": integers, "cancelOrderId": integers, "fromId": integers, "startTime": integers,
    "endTime": integers, "limit": integers, "strategyType": integers, "trailingDelta": integers,
    "interval": mostly(["1m", "1h", "1M", "1s", "1d"], st.sampled_from(["7m", ""])),
    "timeZone": st.sampled_from(["0", "8", "-1:00", "15", "x"]),
    "newOrderRespType": mostly(["ACK", "RESULT", "FULL"], st.just("NONE")),
    "selfTradePreventionMode": st.sampled_from(["NONE", "EXPIRE_TAKER", "EXPIRE_BOTH", "DECREMENT", "junk"]),
    "cancelReplaceMode": mostly(["STOP_ON_FAILURE", "ALLOW_FAILURE"], st.just("x")),
    "orderRateLimitExceededMode": st.sampled_from(["DO_NOTHING", "CANCEL_ONLY", "x"]),
    "cancelRestrictions": st.sampled_from(["ONLY_NEW", "ONLY_PARTIALLY_FILLED", "x"]),
    "omitZeroBalances": st.sampled_from(["true", "false", "True", "maybe"]),
    "computeCommissionRates": st.sampled_from(["true", "false", "1"]),
    "showPermissionSets": st.sampled_from(["true", "false"]),
    "permissions": st.sampled_from(["SPOT", '["MARGIN"]', "[", "JUNK"]),
    "symbolStatus": st.sampled_from(["TRADING", "HALT", "x"]),
    "type24": st.sampled_from(["FULL", "MINI", "x"]),
    "windowSize": mostly(["1m", "59m", "4h", "1d", "7d"], st.sampled_from(["8d", "0m", "1w", "", "9" * 30 + "m"])),
    "recvWindow": st.sampled_from(["5000", "60001", "1.5", "5000.1234", "x"]),
    "listenKey": st.sampled_from(["", "nope", "a" * 60]),
}
NEW_ORDER = ["symbol", "side", "type", "timeInForce", "quantity", "price", "quoteOrderQty", "stopPrice",
             "newClientOrderId", "newOrderRespType", "selfTradePreventionMode", "icebergQty", "strategyType",
             "recvWindow"]
TEMPLATES = {
    "/api/v3/exchangeInfo": ["symbol", "symbols", "permissions", "showPermissionSets", "symbolStatus"],
    "/api/v3/depth": ["symbol", "limit", "symbolStatus"],
    "/api/v3/trades": ["symbol", "limit"],
    "/api/v3/historicalTrades": ["symbol", "limit", "fromId"],
    "/api/v3/aggTrades": ["symbol", "fromId", "startTime", "endTime", "limit"],
    "/api/v3/klines": ["symbol", "interval", "startTime", "endTime", "limit", "timeZone"],
    "/api/v3/uiKlines": ["symbol", "interval", "startTime", "endTime", "limit", "timeZone"],
    "/api/v3/avgPrice": ["symbol"],
    "/api/v3/ticker/price": ["symbol", "symbols"],
    "/api/v3/ticker/bookTicker": ["symbol", "symbols"],
    "/api/v3/ticker/24hr": ["symbol", "symbols", "type24"],
    "/api/v3/ticker": ["symbol", "symbols", "type24", "windowSize"],
    "/api/v3/ticker/tradingDay": ["symbol", "symbols", "type24", "timeZone"],
    "/api/v3/order": NEW_ORDER + ["orderId", "origClientOrderId", "cancelRestrictions"],
    "/api/v3/order/test": NEW_ORDER + ["computeCommissionRates"],
    "/api/v3/order/cancelReplace": NEW_ORDER + ["cancelReplaceMode", "cancelOrderId", "cancelOrigClientOrderId",
                                                "cancelNewClientOrderId", "cancelRestrictions",
                                                "orderRateLimitExceededMode"],
    "/api/v3/order/amend/keepPriority": ["symbol", "orderId", "origClientOrderId", "newClientOrderId", "newQty",
                                         "recvWindow"],
    "/api/v3/openOrders": ["symbol"],
    "/api/v3/allOrders": ["symbol", "orderId", "startTime", "endTime", "limit"],
    "/api/v3/myTrades": ["symbol", "orderId", "fromId", "startTime", "endTime", "limit"],
    "/api/v3/account": ["omitZeroBalances"],
    "/api/v3/userDataStream": ["listenKey"],
}
ALWAYS = {"symbol": 0.95, "side": 0.85, "type": 0.85, "cancelReplaceMode": 0.85, "interval": 0.85}


# Structure (which route, which parameters, how it is sent) comes from a random.Random seeded by a drawn integer:
# hypothesis's own draws favour the simplest choice, which would starve the deeper paths. Values come from the
# strategies above, junk included.
def valid_order(draw, rng: random.Random) -> list[tuple[str, str]]:
    """A new order that passes every parameter check (the engine may still refuse it)."""
    type_ = rng.choice(["LIMIT", "LIMIT", "LIMIT", "MARKET", "MARKET", "LIMIT_MAKER", "STOP_LOSS",
                        "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"])
    pairs = [("symbol", rng.choice(["BTCUSDT", "BTCUSDT", "ETHUSDT"])), ("side", rng.choice(["BUY", "SELL"])),
             ("type", type_)]
    prices = ["58000", "59000", "59500", "60000", "61000", "50000"] if pairs[0][1] == "BTCUSDT" else \
        ["3000", "3400", "2900"]
    if type_ == "MARKET" and rng.random() < 0.4:
        pairs.append(("quoteOrderQty", rng.choice(["10", "100", "1000", "600.5"])))
    else:
        pairs.append(("quantity", rng.choice(["0.01", "0.001", "0.1", "0.5", "1"])))
    if type_ in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"):
        pairs.append(("timeInForce", rng.choice(["GTC", "GTC", "IOC", "FOK"])))
    if type_ not in ("MARKET", "STOP_LOSS", "TAKE_PROFIT"):
        pairs.append(("price", rng.choice(prices)))
    if type_.startswith(("STOP", "TAKE")):
        pairs.append(("stopPrice", rng.choice(prices)))
    for name in ("newClientOrderId", "newOrderRespType", "selfTradePreventionMode"):
        if rng.random() < 0.3:
            pairs.append((name, draw(VALUES[name])))
    return pairs


def order_lookup(rng: random.Random, cancel: bool = False) -> list[tuple[str, str]]:
    if rng.random() < 0.6:
        return [("cancelOrderId" if cancel else "orderId", str(rng.randint(1, 40)))]
    return [("cancelOrigClientOrderId" if cancel else "origClientOrderId", rng.choice(["a", "b", "dup", "x-1"]))]


def parameters(draw, rng: random.Random, method: str, path: str) -> list[tuple[str, str]]:
    """For the order endpoints, most of the time a well-formed request with at most one defect; otherwise the
    path's own parameters (mandatory ones usually, others sometimes), a few strangers, rarely a repeated name."""
    if path.startswith("/api/v3/order") and rng.random() < 0.7:
        if path == "/api/v3/order" and method in ("GET", "DELETE"):
            pairs = [("symbol", "BTCUSDT"), *order_lookup(rng)]
        elif path.endswith("keepPriority"):  # an amend: an order to find, a smaller quantity, maybe a new id
            pairs = [("symbol", rng.choice(["BTCUSDT", "BTCUSDT", "ETHUSDT"])), *order_lookup(rng),
                     ("newQty", rng.choice(["0.0005", "0.001", "0.005", "0.01", "0.1"]))]
            if rng.random() < 0.3:
                pairs.append(("newClientOrderId", draw(VALUES["newClientOrderId"])))
        else:
            pairs = valid_order(draw, rng)
            if path.endswith("cancelReplace"):
                pairs += [("cancelReplaceMode", rng.choice(["STOP_ON_FAILURE", "ALLOW_FAILURE"])),
                          *order_lookup(rng, cancel=True)]
        defect = rng.random()
        if defect < 0.15:
            pairs.pop(rng.randrange(len(pairs)))
        elif defect < 0.3:
            index = rng.randrange(len(pairs))
            pairs[index] = (pairs[index][0], draw(junk))
        return pairs
    pairs = []
    for name in TEMPLATES.get(path, []):
        if rng.random() < ALWAYS.get(name, 0.4):
            pairs.append(("type" if name == "type24" else name, draw(VALUES[name])))
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        name = rng.choice(sorted(VALUES)) if rng.random() < 0.5 else draw(junk)
        if name not in {n for n, _ in pairs}:
            pairs.append((name, draw(VALUES.get(name, junk))))
    if pairs and rng.random() < 0.05:
        pairs.append(rng.choice(pairs))
    rng.shuffle(pairs)
    return pairs


@st.composite
def requests_(draw):
    rng = random.Random(draw(st.integers(0, 2**64 - 1)))
    if rng.random() < 0.9:
        method, path = rng.choice(WEIGHTED_ROUTES)
        if rng.random() < 0.05:
            method = rng.choice(["GET", "POST", "PUT", "DELETE", "PATCH"])
    else:
        method = rng.choice(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
        path = rng.choice(PATHS) + "/x" if rng.random() < 0.5 else "/api/v3/" + quote(draw(junk), safe="")
    pairs = parameters(draw, rng, method, path)
    content_type = rng.choice([None, "application/x-www-form-urlencoded", "application/json", "text/plain",
                               "application/json;charset=utf-8", "multipart/form-data"])
    if rng.random() < 0.7:  # sent the way real clients send, signed by a real account
        where = rng.choice(["query", "body", "split"])
        signing = rng.choice(["demo", "demo", "demo", "other"])
    else:
        where = rng.choice(["query", "body", "split", "json", "raw"])
        signing = rng.choice(["none", "demo", "other", "unknown", "malformed", "bad-signature", "key-only"])
    raw_body = draw(st.binary(max_size=64)) if where == "raw" else b""
    return method, path, pairs, where, content_type, signing, raw_body


@pytest.fixture(scope="module")
def server():
    config = quiet_config()
    huge = (Pool("REQUEST_WEIGHT", "MINUTE", 1, 10**9), Pool("ORDERS", "SECOND", 10, 10**9),
            Pool("RAW_REQUESTS", "MINUTE", 5, 10**9))
    config = dataclasses.replace(config, rate_limits=dataclasses.replace(config.rate_limits, spot=huge))
    sim = build_simulator(config, clock=SimClock(frozen_at_ms=NOW))
    live = LiveServer(sim).start()
    live.call(arrange_market, sim)
    other = live.call(lambda: sim.create_account("other", balances={"BTC": Decimal(2), "USDT": Decimal(100_000)}))
    live.other = other
    live.client = Client(live.port)
    yield live
    live.client.close()
    live.stop()


class Client:
    """A keep-alive HTTP/1.1 connection that reconnects when the server closed it."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def request(self, method: str, url: str, body: bytes, headers: dict[str, str]):
        for attempt in (1, 2):
            try:
                self.connection.request(method, url, body=body, headers=headers)
                response = self.connection.getresponse()
                return response.status, dict(response.getheaders()), response.read()
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                if attempt == 2:
                    raise

    def close(self) -> None:
        self.connection.close()


def snapshot(sim: Simulator) -> dict:
    return {account.account_id: ({asset: tuple(v) for asset, v in account.balances.items()},
                                 {oid: (o.status, o.executed, o.locked) for oid, o in account.open_orders.items()})
            for account in sim.engine.accounts.values()}


def send(server: LiveServer, request) -> tuple[int, dict[str, str], bytes]:
    method, path, pairs, where, content_type, signing, raw_body = request
    key, secret = {"demo": (DEMO_KEY, DEMO_SECRET), "other": (server.other.key, server.other.secret),
                   "unknown": ("unknown-key", "x"), "malformed": ("bad key!", "x"),
                   "bad-signature": (DEMO_KEY, "wrong"), "key-only": (DEMO_KEY, None),
                   "none": (None, None)}[signing]
    if secret is not None:
        pairs = pairs + [("timestamp", str(NOW))]
    split = len(pairs) // 2
    query_pairs, body_pairs = {"query": (pairs, []), "body": ([], pairs), "split": (pairs[:split], pairs[split:]),
                               "json": ([], pairs), "raw": (pairs, [])}[where]
    query = urlencode(query_pairs)
    if where == "json":
        body = json.dumps(dict(body_pairs)).encode()
    elif where == "raw":
        body = raw_body
    else:
        body = urlencode(body_pairs).encode()
    if secret is not None:  # signed over the raw query + the raw body, whatever the body is
        try:
            signature = auth.sign(secret, query + body.decode())
        except UnicodeDecodeError:
            signature = "00"
        if where in ("body", "split") and body:
            body += f"&signature={signature}".encode()
        else:
            query += ("&" if query else "") + f"signature={signature}"
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if key is not None:
        headers["X-MBX-APIKEY"] = key
    return server.client.request(method, path + (f"?{query}" if query else ""), body, headers)


@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(request=requests_())
def test_random_requests(server, request):
    before = server.call(snapshot, server.sim)
    status, headers, raw = send(server, request)
    assert status < 500, raw
    assert "X-MBX-USED-WEIGHT-1M" in headers
    body = json.loads(raw)
    if status == 200:
        return
    assert isinstance(body, dict) and type(body.get("code")) is int and isinstance(body.get("msg"), str), body
    assert body["code"] != -1000, body
    if body["code"] != -2021:  # cancelReplace's partial success: the cancel stands, by design
        assert server.call(snapshot, server.sim) == before, (request, body)


def test_engine_invariants_hold_after_the_fuzzing(server):
    assert server.call(audit, server.sim.engine) == []
