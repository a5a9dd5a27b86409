"""Signing vectors, the signed query's layout, WebSocket API signing, and the time synchronizer."""
from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest

from connector.auth import BinanceAuth, encode_params, hmac_sha256_hex
from connector.time_synchronizer import TimeSynchronizer


def test_spot_docs_vector():
    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    payload = ("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000"
               "&timestamp=1499827319559")
    assert hmac_sha256_hex(secret, payload) == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def test_futures_docs_vector():
    secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
    payload = ("symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000"
               "&timestamp=1591702613943")
    assert hmac_sha256_hex(secret, payload) == "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"


def _auth(offset_ms=0):
    sync = TimeSynchronizer(clock=lambda: 1_700_000_000.0)
    if offset_ms:
        sync.add_sample(1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_000 + offset_ms)
    return BinanceAuth("key", "secret", sync)


def test_signed_query_covers_params_then_body_with_no_separator():
    auth = _auth()
    body = encode_params({"symbol": "BTCUSDT", "quantity": Decimal("0.01000")})
    query = auth.sign_query({}, body)
    unsigned, signature = query.rsplit("&signature=", 1)
    assert unsigned == "recvWindow=5000&timestamp=1700000000000"
    assert signature == hmac.new(b"secret", (unsigned + body).encode(), hashlib.sha256).hexdigest()


def test_signed_query_keeps_order_and_puts_signature_last():
    query = _auth(offset_ms=2500).sign_query({"symbol": "BTCUSDT", "side": "BUY", "reduceOnly": True})
    keys = [k for k, _ in parse_qsl(query)]
    assert keys == ["symbol", "side", "reduceOnly", "recvWindow", "timestamp", "signature"]
    assert dict(parse_qsl(query))["timestamp"] == "1700000002500"
    assert dict(parse_qsl(query))["reduceOnly"] == "true"


def test_floats_never_reach_the_wire():
    with pytest.raises(TypeError):
        encode_params({"price": 0.1})


def test_ws_api_params_are_signed_sorted_and_unencoded():
    signed = _auth().sign_ws_params({"symbol": "BTC/USDT"})
    payload = "apiKey=key&symbol=BTC/USDT&timestamp=1700000000000"
    assert signed["signature"] == hmac_sha256_hex("secret", payload)


def test_time_synchronizer_takes_the_midpoint_and_the_median():
    sync = TimeSynchronizer(clock=lambda: 100.0)
    assert not sync.synced and sync.now_ms() == 100_000
    sync.add_sample(sent_ms=1000, received_ms=1200, server_ms=6100)  # read at 1100: offset 5000
    assert sync.offset_ms == 5000 and sync.last_round_trip_ms == 200
    sync.add_sample(1000, 1000, 6000)
    sync.add_sample(1000, 1000, 99_999)  # one wild sample does not move the median
    assert sync.offset_ms == 5000
    assert sync.now_ms() == 105_000
    sync.clear()
    assert not sync.synced


async def test_time_synchronizer_measures_through_the_fetcher():
    ticks = iter([10.0, 10.4])
    sync = TimeSynchronizer(clock=lambda: next(ticks))

    async def fetch():
        return 20_000

    await sync.update_server_time_offset(fetch)
    assert sync.offset_ms == 20_000 - 10_200 and sync.last_round_trip_ms == 400
