"""Request signing, API keys and the timestamp window."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.dialects.binance.wire import auth
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.dialects.binance.wire.params import Params

NOW = 1_700_000_000_000
KEY, SECRET = "demo-api-key", "demo-api-secret"


def lookup(key: str) -> str | None:
    return {KEY: SECRET}.get(key)


def signed(query: str, body: str = "", secret: str = SECRET, where: str = "query") -> Params:
    """A request signed the REST way, with the signature appended to the query or to the body."""
    signature = auth.sign(secret, query + body)
    if where == "query":
        query = f"{query}&signature={signature}" if query else f"signature={signature}"
    else:
        body = f"{body}&signature={signature}" if body else f"signature={signature}"
    return Params.parse(query, body.encode())


def fails(call, status: int, code: int, msg: str | None = None) -> None:
    with pytest.raises(BinanceError) as caught:
        call()
    assert (caught.value.status, caught.value.code) == (status, code)
    if msg is not None:
        assert caught.value.msg == msg


# --- signatures -----------------------------------------------------------------------------------------
def test_spot_docs_test_vector():
    payload = (
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&recvWindow=5000&timestamp=1499827319559"
    )
    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    assert auth.sign(secret, payload) == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def test_futures_docs_test_vector():
    payload = (
        "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC"
        "&recvWindow=5000&timestamp=1591702613943"
    )
    secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
    assert auth.sign(secret, payload) == "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"


@pytest.mark.parametrize(
    ("query", "body", "payload"),
    [
        ("a=1&b=2&signature=ff", b"", "a=1&b=2"),
        ("signature=ff&a=1", b"b=2", "a=1b=2"),  # no separator between query and body
        ("a=1", b"b=2&signature=ff", "a=1b=2"),
        ("a=1&signature=ff&b=%5B%22X%22%5D", b"", "a=1&b=%5B%22X%22%5D"),  # bytes as received, still encoded
        ("", b"b=2&c=3&signature=ff", "b=2&c=3"),
        ("", b"", ""),
    ],
)
def test_signed_payload_drops_only_the_signature_pair(query, body, payload):
    assert auth.signed_payload(query, body) == payload


def test_ws_payload_is_sorted_unencoded_and_without_signature():
    params = {"timestamp": 5, "apiKey": KEY, "signature": "x", "symbol": "BTC USDT", "test": True}
    assert auth.ws_signed_payload(params) == f"apiKey={KEY}&symbol=BTC USDT&test=true&timestamp=5"


# --- verify ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "body", "where"),
    [
        (f"symbol=BTCUSDT&timestamp={NOW}", "", "query"),  # binance-connector: everything in the query
        ("", f"symbol=BTCUSDT&timestamp={NOW}", "body"),  # python-binance DELETE: everything in the body
        (f"timestamp={NOW}", "symbol=BTCUSDT&recvWindow=10000", "body"),  # mixed
        (f"recvWindow=10000&symbol=BTC%2FUSDT&timestamp={NOW}", "", "query"),
    ],
)
def test_a_correct_signature_authenticates(query, body, where):
    assert auth.verify(signed(query, body, where=where), KEY, lookup, NOW) == KEY


def test_the_hex_signature_is_case_insensitive():
    query = f"symbol=BTCUSDT&timestamp={NOW}"
    params = Params.parse(f"{query}&signature={auth.sign(SECRET, query).upper()}", b"")
    assert auth.verify(params, KEY, lookup, NOW) == KEY


def test_a_wrong_secret_or_tampered_request_is_an_invalid_signature():
    msg = "Signature for this request is not valid."
    fails(lambda: auth.verify(signed(f"timestamp={NOW}", secret="other"), KEY, lookup, NOW), 400, -1022, msg)
    good = signed(f"quantity=1&timestamp={NOW}")
    tampered = Params.parse(good.raw_query.replace("quantity=1", "quantity=9"), b"")
    fails(lambda: auth.verify(tampered, KEY, lookup, NOW), 400, -1022, msg)
    garbage = Params.parse(f"timestamp={NOW}&signature=%C3%A9", b"")
    fails(lambda: auth.verify(garbage, KEY, lookup, NOW), 400, -1022, msg)


@pytest.mark.parametrize("header", [None, "", "has space", "x" * 129, "kéy"])
def test_a_missing_or_malformed_key_is_a_format_error(header):
    params = signed(f"timestamp={NOW}")
    fails(lambda: auth.verify(params, header, lookup, NOW), 401, -2014, "API-key format invalid.")


def test_an_unknown_key_is_refused_before_the_signature_is_looked_at():
    params = Params.parse(f"timestamp={NOW}&signature=bad", b"")
    fails(
        lambda: auth.verify(params, "unknown-key", lookup, NOW),
        401,
        -2015,
        "Invalid API-key, IP, or permissions for action.",
    )


def test_missing_timestamp_or_signature_is_a_mandatory_parameter():
    fails(
        lambda: auth.verify(signed("symbol=BTCUSDT"), KEY, lookup, NOW),
        400,
        -1102,
        "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
    )
    fails(
        lambda: auth.verify(Params.parse(f"timestamp={NOW}", b""), KEY, lookup, NOW),
        400,
        -1102,
        "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
    )


# --- timestamp window -----------------------------------------------------------------------------------
OUTSIDE = "Timestamp for this request is outside of the recvWindow."
AHEAD = "Timestamp for this request was 1000ms ahead of the server's time."


@pytest.mark.parametrize(
    ("timestamp", "window", "error"),
    [
        (NOW + 999, "5000", None),
        (NOW + 1000, "5000", AHEAD),
        (NOW - 5000, "5000", None),
        (NOW - 5001, "5000", OUTSIDE),
        ((NOW + 999) * 1000 + 999, "5000", None),  # microseconds
        ((NOW + 1000) * 1000, "5000", AHEAD),
        ((NOW - 5000) * 1000, "5000", None),
        ((NOW - 5000) * 1000 - 1, "5000", OUTSIDE),
        ((NOW - 5000) * 1000 - 500, "5000.5", None),  # a fractional window, compared in microseconds
        ((NOW - 5000) * 1000 - 501, "5000.5", OUTSIDE),
    ],
)
def test_timestamp_window_boundaries(timestamp, window, error):
    if error is None:
        auth.check_timestamp(timestamp, Decimal(window), NOW)
    else:
        fails(lambda: auth.check_timestamp(timestamp, Decimal(window), NOW), 400, -1021, error)


def test_stale_timestamp_is_refused_even_with_a_good_signature():
    fails(lambda: auth.verify(signed(f"timestamp={NOW - 5001}"), KEY, lookup, NOW), 400, -1021, OUTSIDE)
    assert auth.verify(signed(f"timestamp={NOW - 9000}&recvWindow=10000"), KEY, lookup, NOW) == KEY


def test_recv_window_defaults_to_5000_and_allows_three_decimals():
    assert auth.recv_window(Params.parse("", b"")) == 5000
    assert auth.recv_window(Params.parse("recvWindow=6000.125", b"")) == Decimal("6000.125")
    assert auth.recv_window(Params.parse("recvWindow=60000", b"")) == 60000


def test_recv_window_limits():
    fails(
        lambda: auth.recv_window(Params.parse("recvWindow=60000.001", b"")),
        400,
        -1131,
        "recvWindow must be less than 60000",
    )
    fails(
        lambda: auth.recv_window(Params.parse("recvWindow=5000.0001", b"")),
        400,
        -1111,
        "Parameter 'recvWindow' has too much precision.",
    )
    fails(lambda: auth.recv_window(Params.parse("recvWindow=-1", b"")), 400, -1100)


# --- WebSocket API ----------------------------------------------------------------------------------------
def ws_params(**extra) -> dict[str, object]:
    params: dict[str, object] = {"apiKey": KEY, "timestamp": NOW, **extra}
    params["signature"] = auth.sign(SECRET, auth.ws_signed_payload(params))
    return params


def test_ws_api_request_authenticates_with_its_own_payload():
    assert auth.verify_ws(ws_params(symbol="BTCUSDT", recvWindow=100), lookup, NOW) == KEY


def test_ws_api_request_errors():
    tampered = {**ws_params(), "symbol": "ETHUSDT"}
    fails(lambda: auth.verify_ws(tampered, lookup, NOW), 400, -1022)
    fails(lambda: auth.verify_ws({**ws_params(), "apiKey": "nobody"}, lookup, NOW), 401, -2015)
    fails(lambda: auth.verify_ws(ws_params(), lookup, NOW + 5001), 400, -1021, OUTSIDE)
    no_key = {"timestamp": NOW, "signature": "x"}
    fails(lambda: auth.verify_ws(no_key, lookup, NOW), 401, -2014)


def test_api_key_secret_serves_key_only_endpoints():
    assert auth.api_key_secret(KEY, lookup) == SECRET
    fails(lambda: auth.api_key_secret("nobody", lookup), 401, -2015)
