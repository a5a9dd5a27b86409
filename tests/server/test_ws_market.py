"""Market streams on /ws, /ws/<names> and /stream: control frames and every payload (reference §5)."""
from __future__ import annotations

import asyncio
import random
from decimal import Decimal

import pytest

from tests.server.ws_helpers import StreamServer, assert_closed, connect, recv_json, request, wait_for


def _is_event(kind):
    return lambda m: isinstance(m, dict) and m.get("e") == kind


# --- control frames --------------------------------------------------------------------------------------
async def test_meaningless_path_name_is_accepted_and_subscribe_works(server, session):
    ws = await connect(session, f"{server.ws_url}/ws/0")
    assert await request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == {"result": [], "id": 1}
    reply = await request(ws, {"method": "SUBSCRIBE", "params": ["btcusdt@trade", "btcusdt@depth"], "id": 2})
    assert reply == {"result": None, "id": 2}
    reply = await request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 3})
    assert reply == {"result": ["btcusdt@trade", "btcusdt@depth"], "id": 3}
    assert await request(ws, {"method": "UNSUBSCRIBE", "params": ["btcusdt@trade"], "id": "abc"}) == \
        {"result": None, "id": "abc"}
    assert (await request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 4}))["result"] == ["btcusdt@depth"]
    await ws.close()


async def test_path_streams_are_listed(server, session):
    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@trade/ethusdt@bookTicker")
    reply = await request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 7})
    assert reply == {"result": ["btcusdt@trade", "ethusdt@bookTicker"], "id": 7}
    assert await request(ws, {"method": "GET_PROPERTY", "params": ["combined"], "id": 8}) == \
        {"result": False, "id": 8}
    await ws.close()


async def test_combined_property(server, session, traders):
    maker, taker = traders
    ws = await connect(session, f"{server.ws_url}/stream?streams=btcusdt@trade")
    assert await request(ws, {"method": "GET_PROPERTY", "params": ["combined"], "id": 1}) == \
        {"result": True, "id": 1}
    server.place(maker, "SELL", "60000", "0.01")
    server.place(taker, "BUY", "60000", "0.01")
    frame = await wait_for(ws, lambda m: "stream" in m)
    assert frame["stream"] == "btcusdt@trade" and frame["data"]["e"] == "trade"
    assert await request(ws, {"method": "SET_PROPERTY", "params": ["combined", False], "id": 2}) == \
        {"result": None, "id": 2}
    server.place(maker, "SELL", "60000", "0.01")
    server.place(taker, "BUY", "60000", "0.01")
    assert (await wait_for(ws, _is_event("trade")))["t"] == 2
    await ws.close()


@pytest.mark.parametrize("frame, expected", [
    ("{not json", {"code": 3, "msg": "Invalid JSON: expecting property name enclosed in double quotes at line 1 "
                                     "column 2"}),
    ('{"method": "SUBSCRIBE", "params": ["btcusdt@nope"], "id": 1}',
     {"code": 2, "msg": "Invalid request: invalid stream"}),
    ('{"method": "SUBSCRIBE", "params": [5], "id": 1}', {"code": 2, "msg": "Invalid request: invalid stream"}),
    ('{"params": [], "id": 1}', {"code": 2, "msg": "Invalid request: missing field `method` at line 1 column 23"}),
    ('{"method": "SUBSCRIBE", "params": [], "id": 1.5}',
     {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"}),
    ('{"method": "SUBSCRIBE", "params": []}',
     {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"}),
    ('{"method": "SET_PROPERTY", "params": ["colour", true], "id": 1}', {"code": 0, "msg": "Unknown property"}),
    ('{"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 1}',
     {"code": 1, "msg": "Invalid value type: expected Boolean"}),
    ('{"method": "GET_PROPERTY", "params": [1], "id": 1}',
     {"code": 2, "msg": "Invalid request: property name must be a string"}),
    ('{"method": "GET_PROPERTY", "params": ["combined", 1], "id": 1}',
     {"code": 2, "msg": "Invalid request: too many parameters"}),
])
async def test_error_replies(server, session, frame, expected):
    ws = await connect(session, f"{server.ws_url}/ws")
    await ws.send_str(frame)
    reply = await recv_json(ws)
    assert reply["error"] == expected
    if '"id": 1}' in frame:
        assert reply["id"] == 1
    else:
        assert "id" not in reply  # Binance leaves out an id it could not read
    # the connection stays usable
    assert await request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 9}) == {"result": [], "id": 9}
    await ws.close()


async def test_null_id_is_echoed(server, session):
    ws = await connect(session, f"{server.ws_url}/ws")
    await ws.send_str('{"method": "GET_PROPERTY", "params": ["nope"], "id": null}')
    assert await recv_json(ws) == {"error": {"code": 0, "msg": "Unknown property"}, "id": None}
    await ws.send_str('{"method": "LIST_SUBSCRIPTIONS", "id": null}')
    assert await recv_json(ws) == {"result": [], "id": None}
    await ws.close()


async def test_at_most_1024_streams(server, session):
    ws = await connect(session, f"{server.ws_url}/ws")
    names = [f"s{i}usdt@trade" for i in range(1024)]
    for i in (0, 512):  # (few frames: 5 per second is the incoming limit)
        assert await request(ws, {"method": "SUBSCRIBE", "params": names[i:i + 512], "id": i}) == \
            {"result": None, "id": i}
    reply = await request(ws, {"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 9})
    assert reply == {"error": {"code": 4, "msg": "Too many subscriptions"}, "id": 9}
    await ws.close()


async def test_unknown_method_names_the_expected_ones(server, session):
    ws = await connect(session, f"{server.ws_url}/ws")
    reply = await request(ws, {"method": "PUBLISH", "params": [], "id": 4})
    assert reply["error"]["code"] == 2
    assert reply["error"]["msg"].startswith("Invalid request: unknown variant `PUBLISH`, expected one of "
                                            "`SUBSCRIBE`, `UNSUBSCRIBE`")
    await ws.close()


# --- real-time payloads ----------------------------------------------------------------------------------
async def test_trade_and_agg_trade(server, session, traders):
    maker, taker = traders
    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@trade/btcusdt@aggTrade")
    server.place(maker, "SELL", "60000.5", "0.25")
    server.place(taker, "BUY", "60001", "0.1")
    trade = await wait_for(ws, _is_event("trade"))
    now = server.call(server.sim.clock.now_ms)
    assert trade == {"e": "trade", "E": trade["T"], "s": "BTCUSDT", "t": 1, "p": "60000.50000000",
                     "q": "0.10000000", "T": trade["T"], "m": False, "M": True}
    assert abs(trade["T"] - now) < 5000
    agg = await wait_for(ws, _is_event("aggTrade"))
    assert agg == {"e": "aggTrade", "E": trade["T"], "s": "BTCUSDT", "a": 1, "p": "60000.50000000",
                   "q": "0.10000000", "f": 1, "l": 1, "T": trade["T"], "m": False, "M": True}
    await ws.close()


async def test_agg_trade_is_one_per_taker_and_price_when_the_operation_ends(server, session, traders):
    maker, taker = traders
    server.place(maker, "SELL", "60000.5", "0.1")
    server.place(maker, "SELL", "60000.5", "0.2")
    server.place(maker, "SELL", "60001", "0.3")
    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@trade/btcusdt@aggTrade")
    server.place(taker, "BUY", "60001", "0.4")  # trades 1 and 2 at 60000.5, trade 3 at 60001
    server.place(taker, "BUY", "60001", "0.1")  # another taker at 60001: another aggregate
    frames = [await recv_json(ws) for _ in range(7)]  # 4 trades and 3 aggregates, nothing else subscribed
    assert [(f["e"], f.get("t", f.get("a"))) for f in frames] == [
        ("trade", 1), ("trade", 2), ("trade", 3), ("aggTrade", 1), ("aggTrade", 2),  # after the operation's trades
        ("trade", 4), ("aggTrade", 3)]
    T = frames[0]["T"]
    assert frames[3] == {"e": "aggTrade", "E": T, "s": "BTCUSDT", "a": 1, "p": "60000.50000000",
                         "q": "0.30000000", "f": 1, "l": 2, "T": T, "m": False, "M": True}
    assert (frames[4]["a"], frames[4]["p"], frames[4]["q"], frames[4]["f"], frames[4]["l"]) == \
        (2, "60001.00000000", "0.10000000", 3, 3)
    assert (frames[6]["a"], frames[6]["q"], frames[6]["f"], frames[6]["l"]) == (3, "0.10000000", 4, 4)
    await ws.close()


async def test_book_ticker_carries_the_depth_update_id(server, session, traders):
    maker, _ = traders
    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@bookTicker")
    server.place(maker, "BUY", "59990", "1")
    first = await recv_json(ws)
    assert first == {"u": server.book_update_id(), "s": "BTCUSDT", "b": "59990.00000000", "B": "1.00000000",
                     "a": "0.00000000", "A": "0.00000000"}
    server.place(maker, "BUY", "59000", "1")  # not the best level: no bookTicker
    server.place(maker, "SELL", "60010", "2")
    second = await recv_json(ws)
    assert second["u"] == server.book_update_id() == first["u"] + 2
    assert (second["a"], second["A"]) == ("60010.00000000", "2.00000000")
    await ws.close()


# --- diff depth ------------------------------------------------------------------------------------------
async def test_diff_depth_aggregates_an_interval(server, session, traders):
    maker, taker = traders
    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@depth")  # 1000 ms
    start = server.book_update_id()

    def burst():
        place = server.sim.engine.place_order
        inst = server.sim.engine.instruments["BTCUSDT"]
        p, q = inst.parse_price, inst.parse_qty
        place(maker, "BTCUSDT", "BUY", "LIMIT", qty=q("1"), price=p("59000"), tif="GTC")
        place(maker, "BTCUSDT", "BUY", "LIMIT", qty=q("2"), price=p("59000"), tif="GTC")
        sell = place(maker, "BTCUSDT", "SELL", "LIMIT", qty=q("1"), price=p("61000"), tif="GTC").order
        server.sim.engine.cancel_order(maker, "BTCUSDT", sell.order_id)
        place(taker, "BTCUSDT", "SELL", "LIMIT", qty=q("0.5"), price=p("59000"), tif="GTC")

    server.call(burst)
    diff = await wait_for(ws, _is_event("depthUpdate"))
    assert diff["s"] == "BTCUSDT"
    assert (diff["U"], diff["u"]) == (start + 1, start + 5)
    assert diff["b"] == [["59000.00000000", "2.50000000"]]
    assert diff["a"] == [["61000.00000000", "0.00000000"]]
    await ws.close()


@pytest.mark.parametrize("name", ["btcusdt@depth@100ms", "btcusdt@depth@1000ms"])
async def test_diff_depth_frames_are_contiguous(server, session, traders, name):
    maker, _ = traders
    ws = await connect(session, f"{server.ws_url}/ws")
    assert await request(ws, {"method": "SUBSCRIBE", "params": [name], "id": 1}) == {"result": None, "id": 1}
    diffs = []
    for i in range(3):
        server.place(maker, "BUY", str(59000 + i), "0.1")
        diffs.append(await wait_for(ws, _is_event("depthUpdate")))
    for previous, current in zip(diffs, diffs[1:]):
        assert current["U"] == previous["u"] + 1
    assert diffs[-1]["u"] == server.book_update_id()
    await ws.close()


async def test_local_book_procedure_matches_a_fresh_snapshot(server, session, traders):
    """Reference §5.3: buffer diffs, take a snapshot, drop u <= lastUpdateId, apply the rest in order."""
    maker, taker = traders
    rng = random.Random(7)
    engine = server.sim.engine
    inst = engine.instruments["BTCUSDT"]

    def activity(steps: int):
        for _ in range(steps):
            account = rng.choice((maker, taker))
            action = rng.random()
            open_orders = engine.open_orders(account, "BTCUSDT")
            if action < 0.25 and open_orders:
                engine.cancel_order(account, "BTCUSDT", rng.choice(open_orders).order_id)
                continue
            side = rng.choice(("BUY", "SELL"))
            price = Decimal(60000) + Decimal(rng.randint(-20, 20)) / 2
            qty = Decimal(rng.randint(1, 40)) / 100
            engine.place_order(account, "BTCUSDT", side, "LIMIT", qty=inst.parse_qty(qty),
                               price=inst.parse_price(price), tif=rng.choice(("GTC", "GTC", "IOC")))

    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@depth@100ms")
    server.call(activity, 40)
    buffered = [await wait_for(ws, _is_event("depthUpdate"))]  # 1. buffer from the first event on
    server.call(activity, 40)
    last_id, bids, asks = server.call(engine.depth, "BTCUSDT", 5000)  # 2. the snapshot
    assert last_id >= buffered[0]["U"]  # 3. (else a new snapshot would be needed)
    server.call(activity, 60)
    final_id = server.book_update_id()
    while buffered[-1]["u"] < final_id:
        buffered.append(await wait_for(ws, _is_event("depthUpdate")))
    book = {"b": {p: q for p, q in bids}, "a": {p: q for p, q in asks}}
    book_id = last_id
    events = [e for e in buffered if e["u"] > last_id]  # 4. drop what the snapshot already has
    assert events[0]["U"] <= last_id + 1 <= events[0]["u"]
    assert all(b["U"] == a["u"] + 1 for a, b in zip(events, events[1:])), "diffs must be contiguous"
    for event in events:  # 5. apply
        assert event["U"] <= book_id + 1, "gap in the diff stream"
        for side in ("b", "a"):
            for price, qty in event[side]:
                p, q = inst.parse_price(price), inst.parse_qty(qty)
                if q:
                    book[side][p] = q
                else:
                    book[side].pop(p, None)
        book_id = event["u"]
    fresh_id, fresh_bids, fresh_asks = server.call(engine.depth, "BTCUSDT", 5000)
    assert book_id == fresh_id
    assert sorted(book["b"].items(), reverse=True) == fresh_bids
    assert sorted(book["a"].items()) == fresh_asks
    await ws.close()


# --- interval payloads -----------------------------------------------------------------------------------
async def test_partial_depth(server, session, traders):
    maker, _ = traders
    for i in range(7):
        server.place(maker, "BUY", str(59000 - i), "0.1")
        server.place(maker, "SELL", str(61000 + i), "0.2")
    ws = await connect(session, f"{server.ws_url}/ws/btcusdt@depth5@100ms")
    snapshot = await recv_json(ws)
    assert snapshot == {
        "lastUpdateId": server.book_update_id(),
        "bids": [[f"{59000 - i}.00000000", "0.10000000"] for i in range(5)],
        "asks": [[f"{61000 + i}.00000000", "0.20000000"] for i in range(5)],
    }
    await ws.close()


async def test_tickers_and_kline(server, session, traders):
    maker, taker = traders
    server.place(maker, "SELL", "60000", "0.5")
    server.place(maker, "SELL", "60100", "0.5")
    server.place(taker, "BUY", "60100", "0.75")  # trades 0.5 @ 60000 and 0.25 @ 60100
    server.place(maker, "BUY", "59900", "1")
    ws = await connect(session, f"{server.ws_url}/stream?streams=btcusdt@ticker/btcusdt@miniTicker/"
                                f"btcusdt@kline_1m/btcusdt@avgPrice")
    seen = {}
    while len(seen) < 4:
        frame = await recv_json(ws, timeout=5)
        seen[frame["stream"]] = frame["data"]
    ticker = seen["btcusdt@ticker"]
    assert ticker["e"] == "24hrTicker" and ticker["s"] == "BTCUSDT"
    assert (ticker["o"], ticker["h"], ticker["l"], ticker["c"]) == \
        ("60000.00000000", "60100.00000000", "60000.00000000", "60100.00000000")
    assert (ticker["v"], ticker["q"], ticker["n"], ticker["F"], ticker["L"]) == \
        ("0.75000000", "45025.00000000", 2, 1, 2)
    assert (ticker["p"], ticker["P"], ticker["Q"]) == ("100.00000000", "0.167", "0.25000000")
    assert (ticker["b"], ticker["B"], ticker["a"], ticker["A"]) == \
        ("59900.00000000", "1.00000000", "60100.00000000", "0.25000000")
    assert ticker["w"] == "60033.33333333"
    mini = seen["btcusdt@miniTicker"]
    assert mini == {"e": "24hrMiniTicker", "E": mini["E"], "s": "BTCUSDT", "c": "60100.00000000",
                    "o": "60000.00000000", "h": "60100.00000000", "l": "60000.00000000", "v": "0.75000000",
                    "q": "45025.00000000"}
    kline = seen["btcusdt@kline_1m"]
    assert kline["e"] == "kline"
    k = kline["k"]
    assert k["T"] - k["t"] == 59_999 and k["i"] == "1m" and k["x"] is False
    assert (k["o"], k["c"], k["h"], k["l"], k["v"], k["n"], k["f"], k["L"]) == \
        ("60000.00000000", "60100.00000000", "60100.00000000", "60000.00000000", "0.75000000", 2, 1, 2)
    assert (k["V"], k["Q"]) == ("0.75000000", "45025.00000000")  # the taker bought
    avg = seen["btcusdt@avgPrice"]
    assert (avg["e"], avg["i"], avg["w"]) == ("avgPrice", "5m", "60033.33333333")
    await ws.close()


async def test_unknown_symbol_streams_are_silent(server, session, traders):
    maker, taker = traders
    ws = await connect(session, f"{server.ws_url}/ws/dogeusdt@trade/btcusdt@trade")
    server.place(maker, "SELL", "60000", "0.01")
    server.place(taker, "BUY", "60000", "0.01")
    assert (await recv_json(ws))["s"] == "BTCUSDT"
    await ws.close()


async def test_server_shutdown_event(sim, session):
    server = StreamServer(sim).start()
    ws = await connect(session, f"{server.ws_url}/stream")
    stopping = asyncio.create_task(asyncio.to_thread(server.stop))
    frame = await recv_json(ws)
    assert frame["stream"] == "!serverShutdown" and frame["data"]["e"] == "serverShutdown"
    await assert_closed(ws)
    await asyncio.wait_for(stopping, 10)
