"""timeUnit=MICROSECOND on /ws and /stream URLs: every time field of market and user data events in µs."""
from __future__ import annotations

from simulator.dialects.binance.wire.time_unit import event_to_microseconds
from tests.server.conftest import FROZEN_AT
from tests.server.ws_helpers import connect, recv_json, wait_for


def _is_event(kind):
    return lambda m: isinstance(m, dict) and m.get("e") == kind


async def test_only_the_connection_that_asked_gets_microseconds(server, session, traders):
    maker, taker = traders
    micro = await connect(session, f"{server.ws_url}/ws/btcusdt@trade?timeUnit=microsecond")
    plain = await connect(session, f"{server.ws_url}/ws/btcusdt@trade")
    combined = await connect(session, f"{server.ws_url}/stream?streams=btcusdt@trade&timeUnit=MICROSECOND")
    server.place(maker, "SELL", "60000", "0.1")
    server.place(taker, "BUY", "60000", "0.1")
    fast = await wait_for(micro, _is_event("trade"))
    slow = await wait_for(plain, _is_event("trade"))
    wrapped = await wait_for(combined, lambda m: "stream" in m)
    assert (slow["E"], slow["T"], slow["t"]) == (FROZEN_AT, FROZEN_AT, 1)
    assert fast == {**slow, "E": FROZEN_AT * 1000, "T": FROZEN_AT * 1000}
    assert wrapped == {"stream": "btcusdt@trade", "data": fast}
    for ws in (micro, plain, combined):
        await ws.close()


async def test_kline_and_ticker_times_in_microseconds(server, session, traders):
    maker, taker = traders
    server.place(maker, "SELL", "60000", "0.1")
    server.place(taker, "BUY", "60000", "0.1")
    ws = await connect(session, f"{server.ws_url}/stream?streams=btcusdt@kline_1m/btcusdt@ticker"
                                f"&timeUnit=MICROSECOND")
    seen = {}
    while len(seen) < 2:
        frame = await recv_json(ws, timeout=5)
        seen[frame["stream"]] = frame["data"]
    minute = FROZEN_AT - FROZEN_AT % 60_000
    k = seen["btcusdt@kline_1m"]["k"]
    assert (k["t"], k["T"], k["f"], k["L"]) == (minute * 1000, (minute + 59_999) * 1000, 1, 1)
    ticker = seen["btcusdt@ticker"]
    assert (ticker["E"], ticker["O"], ticker["C"], ticker["F"]) == \
        (FROZEN_AT * 1000, (FROZEN_AT - 86_400_000) * 1000, FROZEN_AT * 1000, 1)
    await ws.close()


async def test_user_data_times_in_microseconds(server, session, traders):
    maker, taker = traders
    ws = await connect(session, f"{server.ws_url}/ws/{server.listen_key(maker)}?timeUnit=MICROSECOND")
    server.place(maker, "SELL", "60000", "0.1")
    report = await wait_for(ws, _is_event("executionReport"))
    assert (report["E"], report["T"], report["O"], report["W"]) == (FROZEN_AT * 1000,) * 4
    position = await wait_for(ws, _is_event("outboundAccountPosition"))
    assert (position["E"], position["u"]) == (FROZEN_AT * 1000,) * 2
    await ws.close()


def test_ids_that_look_like_times_are_kept():
    depth = {"e": "depthUpdate", "E": 5, "s": "X", "U": 7, "u": 9, "b": [], "a": []}
    assert event_to_microseconds(depth) == {**depth, "E": 5000}
    trade = {"e": "trade", "E": 5, "t": 3, "T": 5}
    assert event_to_microseconds(trade) == {"e": "trade", "E": 5000, "t": 3, "T": 5000}
    report = {"e": "executionReport", "E": 5, "C": "", "O": 4, "W": -1, "T": 5, "t": -1}
    assert event_to_microseconds(report) == {**report, "E": 5000, "O": 4000, "T": 5000}
    book = {"u": 1, "s": "X", "b": "1"}
    assert event_to_microseconds(book) is book
