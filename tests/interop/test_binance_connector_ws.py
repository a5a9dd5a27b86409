"""binance-connector's SpotWebsocketStreamClient, unmodified but for `stream_url`, on the simulator.

The client runs its own reader thread and calls `on_message` there; messages go through a queue and every wait
has a timeout.
"""
from __future__ import annotations

import json
import queue
from collections.abc import Callable

import pytest
from binance.spot import Spot
from binance.websocket.spot.websocket_stream import SpotWebsocketStreamClient

from tests.interop.helpers import ASK, DEMO_KEY, DEMO_SECRET, SYMBOL, arrange_market

pytestmark = pytest.mark.interop
TIMEOUT = 10.0


class Inbox:
    """What a connector client received, in order."""

    def __init__(self):
        self.messages: queue.Queue = queue.Queue()

    def on_message(self, _manager, text: str) -> None:
        self.messages.put(json.loads(text))

    def next(self, predicate: Callable[[dict], bool] = lambda m: True, timeout: float = TIMEOUT) -> dict:
        """The next message satisfying `predicate` (others are skipped)."""
        while True:
            message = self.messages.get(timeout=timeout)
            if predicate(message):
                return message


def event(kind: str) -> Callable[[dict], bool]:
    return lambda m: isinstance(m, dict) and m.get("e") == kind


def ack(m: dict) -> bool:
    return "result" in m and m["result"] is None and "id" in m


@pytest.fixture
def market(live_server):
    live_server.call(arrange_market, live_server.sim)
    return live_server


@pytest.fixture
def inbox():
    return Inbox()


@pytest.fixture
def client(market, inbox):
    client = SpotWebsocketStreamClient(stream_url=market.ws_url, on_message=inbox.on_message, timeout=TIMEOUT)
    yield client
    client.stop()


@pytest.fixture
def spot(market):
    return Spot(DEMO_KEY, DEMO_SECRET, base_url=market.base_url)


def test_diff_book_depth_and_trades(market, client, inbox, spot):
    client.diff_book_depth(symbol="btcusdt")  # btcusdt@depth@1000ms
    inbox.next(ack)
    client.trade(symbol="btcusdt")
    inbox.next(ack)
    client.list_subscribe()
    assert inbox.next(lambda m: "result" in m)["result"] == ["btcusdt@depth@1000ms", "btcusdt@trade"]

    spot.new_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.2", price=ASK)
    trade = inbox.next(event("trade"))
    assert (trade["s"], trade["p"], trade["q"], trade["m"]) == (SYMBOL, "60000.00000000", "0.20000000", False)

    # (an earlier diff may still carry the arranged market: the 1 s batch began before the subscription)
    first = inbox.next(lambda m: event("depthUpdate")(m) and ["60000.00000000", "0.80000000"] in m["a"])
    spot.new_order(symbol=SYMBOL, side="SELL", type="LIMIT", timeInForce="GTC", quantity="0.1", price="61000")
    second = inbox.next(event("depthUpdate"))
    assert second["U"] == first["u"] + 1
    assert second["a"] == [["61000.00000000", "0.10000000"]]
    assert second["u"] == spot.depth(SYMBOL)["lastUpdateId"]


def test_user_data_by_listen_key(market, client, inbox, spot):
    listen_key = spot.new_listen_key()["listenKey"]
    client.user_data(listen_key=listen_key)
    inbox.next(ack)

    placed = spot.new_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
                            price="50000", newClientOrderId="connector-1")
    report = inbox.next()
    assert (report["e"], report["x"], report["X"], report["i"], report["c"]) == \
        ("executionReport", "NEW", "NEW", placed["orderId"], "connector-1")
    assert (report["N"], report["t"], report["w"]) == (None, -1, True)
    position = inbox.next()
    assert position["e"] == "outboundAccountPosition"
    assert position["B"] == [{"a": "USDT", "f": "999500.00000000", "l": "500.00000000"}]

    spot.renew_listen_key(listen_key)
    spot.cancel_order(symbol=SYMBOL, orderId=placed["orderId"], newClientOrderId="cancel-1")
    report = inbox.next()
    assert (report["x"], report["c"], report["C"]) == ("CANCELED", "cancel-1", "connector-1")
    assert inbox.next()["e"] == "outboundAccountPosition"

    spot.new_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.1", price=ASK)
    kinds = [(m["e"], m.get("x")) for m in (inbox.next(), inbox.next(), inbox.next())]
    assert kinds == [("executionReport", "NEW"), ("executionReport", "TRADE"), ("outboundAccountPosition", None)]

    spot.close_listen_key(listen_key)
    spot.new_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="50000")
    client.list_subscribe()
    assert inbox.next()["result"] == []  # nothing arrived on the closed key before the reply
