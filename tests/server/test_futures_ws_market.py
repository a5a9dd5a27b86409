"""USD-M market streams (reference §8.1, §8.2) on the futures paths: diff depth with U/u/pu, contiguous on `pu`
(and a local book kept by Binance's futures procedure ends equal to the engine's), partial depth, aggTrade,
bookTicker with e/E/T, klines, tickers, forceOrder; control frames as on spot; faults on futures streams."""
from __future__ import annotations

import asyncio
import json

import pytest

from simulator.dialects.binance.streams.futures_hub import FUTURES_HUB
from tests.server.futures_ws_helpers import SYMBOL, FuturesStreamServer
from tests.server.ws_helpers import connect, recv_json, request, wait_for

FROZEN = 1_700_000_030_000


@pytest.fixture
def fserver(sim):
    server = FuturesStreamServer(sim).start()
    yield server
    server.stop()


def data(message):
    return message["data"] if isinstance(message, dict) and "stream" in message else message


async def test_diff_depth_is_contiguous_on_pu_and_rebuilds_the_book(fserver, session):
    ws = await connect(session, f"{fserver.ws_url}/public/ws/btcusdt@depth@100ms")
    maker = fserver.trader()
    prices = ["50010.0", "50020.0", "49990.0", "49980.0", "50030.0"]
    for price in prices[:2]:
        fserver.place(maker, "SELL", "0.100", price)
    # the snapshot a client takes after subscribing (REST depth gives the same ids: test_fapi_market)
    snapshot = fserver.call(lambda: fserver.sim.futures.depth(SYMBOL, 1000))
    for price in prices[2:4]:
        fserver.place(maker, "BUY", "0.100", price)
    fserver.place(maker, "SELL", "0.100", prices[4])
    taker = fserver.trader()
    fserver.place(taker, "BUY", "0.150", "50010.0")  # takes the 0.1 offered at 50010.0, rests 0.05 there
    final_id = fserver.call(lambda: fserver.sim.futures.books[SYMBOL].update_id)
    last_id, bids, asks = snapshot
    book = {"b": {p: q for p, q in bids}, "a": {p: q for p, q in asks}}
    inst = fserver.sim.futures.instruments[SYMBOL]
    previous_u = None
    while True:
        event = await recv_json(ws)
        assert event["e"] == "depthUpdate" and event["s"] == SYMBOL and event["T"] == FROZEN
        if previous_u is not None:
            assert event["pu"] == previous_u  # Binance's futures rule: each pu is the last u
        previous_u = event["u"]
        if event["u"] < last_id:
            continue
        for side in ("b", "a"):
            for price, qty in event[side]:
                p, q = inst.parse_price(price), inst.parse_qty(qty)
                if q:
                    book[side][p] = q
                else:
                    book[side].pop(p, None)
        if event["u"] >= final_id:
            break
    _, engine_bids, engine_asks = fserver.call(lambda: fserver.sim.futures.depth(SYMBOL, 1000))
    assert sorted(book["b"].items(), reverse=True) == list(engine_bids)
    assert sorted(book["a"].items()) == list(engine_asks)


async def test_a_depth_gap_fault_shows_as_a_pu_that_is_not_the_last_u(fserver, session):
    ws = await connect(session, f"{fserver.ws_url}/public/ws/btcusdt@depth@100ms")
    maker = fserver.trader()
    fserver.place(maker, "SELL", "0.100", "50010.0")
    first = await recv_json(ws)
    fserver.call(lambda: fserver.sim.faults.add({"kind": "depth_gap", "symbol": SYMBOL, "count": 1}))
    fserver.place(maker, "SELL", "0.100", "50020.0")
    await asyncio.sleep(0.3)  # the dropped batch's interval passes
    fserver.place(maker, "SELL", "0.100", "50030.0")
    after = await recv_json(ws)
    assert after["pu"] != first["u"] and after["pu"] == after["U"] - 1


async def test_agg_trade_and_book_ticker(fserver, session):
    market = await connect(session, f"{fserver.ws_url}/market/ws/btcusdt@aggTrade")
    public = await connect(session, f"{fserver.ws_url}/public/stream?streams=btcusdt@bookTicker")
    maker, taker = fserver.trader(), fserver.trader()
    fserver.place(maker, "SELL", "0.100", "50010.0")
    fserver.place(maker, "SELL", "0.100", "50010.0")
    fserver.place(taker, "BUY", "0.150", "50010.0")
    agg = await recv_json(market)
    assert agg == {"e": "aggTrade", "E": FROZEN, "s": SYMBOL, "a": 1, "p": "50010.00", "q": "0.150",
                   "nq": "0.150", "f": 1, "l": 2, "T": FROZEN, "m": False}
    top = data(await wait_for(public, lambda m: data(m)["a"] == "50010.00" and data(m)["A"] == "0.050"))
    assert set(top) == {"e", "u", "E", "T", "s", "b", "B", "a", "A"} and top["e"] == "bookTicker"


async def test_partial_depth_has_the_diff_shape(fserver, session):
    maker = fserver.trader()
    fserver.place(maker, "SELL", "0.100", "50010.0")
    fserver.place(maker, "BUY", "0.200", "49990.0")
    ws = await connect(session, f"{fserver.ws_url}/public/ws/btcusdt@depth5@100ms")
    event = await recv_json(ws)
    update_id = fserver.call(lambda: fserver.sim.futures.books[SYMBOL].update_id)
    assert event == {"e": "depthUpdate", "E": FROZEN, "T": FROZEN, "s": SYMBOL, "U": update_id, "u": update_id,
                     "pu": update_id, "b": [["49990.00", "0.200"]], "a": [["50010.00", "0.100"]]}


async def test_kline_ticker_and_mini_ticker(fserver, session):
    maker, taker = fserver.trader(), fserver.trader()
    fserver.place(maker, "SELL", "0.100", "50010.0")
    fserver.place(taker, "BUY", "0.100", "50010.0")
    ws = await connect(session, f"{fserver.ws_url}/market/stream?streams=btcusdt@kline_1m/btcusdt@ticker/"
                                f"btcusdt@miniTicker")
    seen = {}
    while len(seen) < 3:
        message = await recv_json(ws)
        seen[message["stream"]] = message["data"]
    kline = seen["btcusdt@kline_1m"]["k"]
    assert (kline["o"], kline["v"], kline["q"], kline["x"], kline["i"]) == ("50010.00", "0.100", "5001.00000",
                                                                              False, "1m")
    ticker = seen["btcusdt@ticker"]
    assert ticker["e"] == "24hrTicker" and ticker["c"] == "50010.00" and not {"b", "a", "x"} & set(ticker)
    assert seen["btcusdt@miniTicker"]["e"] == "24hrMiniTicker"


async def test_control_frames_on_the_old_root_and_unknown_streams(fserver, session):
    ws = await connect(session, f"{fserver.ws_url}/fstream/ws")
    reply = await request(ws, {"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade", "ethusdt@markPrice@1s"],
                               "id": 1})
    assert reply == {"result": None, "id": 1}
    listed = await request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 2})
    assert listed == {"result": ["btcusdt@aggTrade", "ethusdt@markPrice@1s"], "id": 2}
    bad = await request(ws, {"method": "SUBSCRIBE", "params": ["btcusdt@nothing"], "id": 3})
    assert bad == {"error": {"code": 2, "msg": "Invalid request: invalid stream"}, "id": 3}
    await ws.send_str(json.dumps({"method": "UNSUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 4}))
    assert (await request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 5}))["result"] == ["ethusdt@markPrice@1s"]


async def test_spot_names_that_futures_lacks_are_refused(fserver, session):
    ws = await connect(session, f"{fserver.ws_url}/market/ws")
    reply = await request(ws, {"method": "SUBSCRIBE", "params": ["btcusdt@avgPrice"], "id": 1})
    assert reply["error"]["code"] == 2


async def test_ws_close_fault_reaches_futures_connections(fserver, session):
    ws = await connect(session, f"{fserver.ws_url}/public/ws/btcusdt@depth")
    fserver.call(lambda: fserver.sim.faults.add({"kind": "ws_close", "stream": "btcusdt@depth"}))
    message = await asyncio.wait_for(ws.receive(), 5)
    assert message.type.name in ("CLOSE", "CLOSED", "CLOSING")


async def test_mark_price_every_second_with_funding(fserver, session):
    fserver.set_index("50000")
    ws = await connect(session, f"{fserver.ws_url}/market/ws/btcusdt@markPrice@1s")
    event = await recv_json(ws)
    view = fserver.call(lambda: fserver.sim.futures.mark_view(SYMBOL))
    assert event == {"e": "markPriceUpdate", "E": FROZEN, "s": SYMBOL, "p": "50000.00000000",
                     "ap": "50000.00000000", "i": "50000.00000000", "P": "50000.00000000",
                     "r": f"{view.last_funding_rate:.8f}", "T": view.next_funding_time}
    every = await connect(session, f"{fserver.ws_url}/market/ws/!markPrice@arr@1s")
    assert [item["s"] for item in await recv_json(every)] == ["BTCUSDT", "ETHUSDT"]


async def test_liquidation_is_a_force_order_and_an_order_update(fserver, session):
    market = await connect(session, f"{fserver.ws_url}/market/stream?streams=btcusdt@forceOrder/!forceOrder@arr")
    fserver.set_index("50000")
    alice, maker = fserver.trader("1000"), fserver.trader()
    fserver.call(lambda: fserver.sim.futures.set_leverage(alice, SYMBOL, 100))
    private = await connect(session, f"{fserver.ws_url}/private/ws?listenKey={fserver.listen_key(alice)}")
    fserver.place(maker, "SELL", "0.200", "50000.0")
    fserver.place(alice, "BUY", "0.200", "50000.0")
    fserver.place(maker, "BUY", "1.000", "49000.0")  # what the liquidation sells into
    fserver.set_index("45000")  # cross margin: the whole 1000 USDT wallet is gone below about 45205
    names = set()
    while len(names) < 2:
        message = await recv_json(market)
        names.add(message["stream"])
        order = message["data"]["o"]
        assert (message["data"]["e"], order["s"], order["S"], order["q"], order["X"]) == (
            "forceOrder", SYMBOL, "SELL", "0.200", "FILLED")
    update = await wait_for(private, lambda m: m.get("e") == "ORDER_TRADE_UPDATE" and m["o"]["o"] == "LIQUIDATION")
    assert update["o"]["c"].startswith("autoclose-")


async def test_local_book_holds_over_a_run_of_the_market_maker(session):
    """Binance's futures procedure (buffer, REST snapshot, drop u < lastUpdateId, then pu == previous u) against
    the seeded market maker quoting and trading the perpetual for a couple of seconds."""
    from simulator.config import load_config
    from simulator.server import build_simulator
    from tests.live_server import LiveServer

    server = LiveServer(build_simulator(load_config())).start()
    try:
        ws = await connect(session, f"{server.ws_url}/public/ws/btcusdt@depth@100ms")
        first = await recv_json(ws)  # the maker is quoting: diffs flow
        async with session.get(f"{server.base_url}/fapi/v1/depth", params={"symbol": SYMBOL, "limit": 1000}) as r:
            snapshot = await r.json()
        inst = server.sim.futures.instruments[SYMBOL]
        book = {side: {inst.parse_price(p): inst.parse_qty(q) for p, q in snapshot[key]}
                for side, key in (("b", "bids"), ("a", "asks"))}
        last_id = snapshot["lastUpdateId"]
        state = {"previous_u": None, "started": False}

        def apply(event: dict) -> None:
            if state["previous_u"] is not None:
                assert event["pu"] == state["previous_u"]  # contiguous: each pu is the last u
            state["previous_u"] = event["u"]
            if event["u"] < last_id:
                return  # older than the snapshot
            if not state["started"]:
                assert event["U"] <= last_id <= event["u"]  # the first event to apply overlaps the snapshot
                state["started"] = True
            for side in ("b", "a"):
                for price, qty in event[side]:
                    p, q = inst.parse_price(price), inst.parse_qty(qty)
                    book[side][p] = q
                    if not q:
                        del book[side][p]

        apply(first)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 2.0
        while loop.time() < deadline:
            apply(await recv_json(ws))

        def settle():
            """On the server's loop: publish what is gathered, so the last diff's u is the book's update id."""
            server.app[FUTURES_HUB].flush_interval(100)
            return server.sim.futures.depth(SYMBOL, 1000)

        final_id, bids, asks = server.call(settle)
        while state["previous_u"] < final_id:
            apply(await recv_json(ws))
        assert state["started"] and state["previous_u"] == final_id
        assert sorted(book["b"].items(), reverse=True) == list(bids)
        assert sorted(book["a"].items()) == list(asks)
    finally:
        server.stop()


async def test_futures_connections_may_send_ten_messages_a_second(fserver, session):
    assert fserver.hub.settings.max_incoming_per_s == 10  # spot's is 5
    ws = await connect(session, f"{fserver.ws_url}/market/ws")
    for i in range(11):
        await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}))
    replies = []
    while True:
        message = await asyncio.wait_for(ws.receive(), 5)
        if message.type.name != "TEXT":
            break
        replies.append(json.loads(message.data)["id"])
    assert replies == list(range(10)) and message.type.name == "CLOSE"


async def test_a_reset_closes_futures_streams_and_the_new_engine_feeds_them(fserver, session):
    ws = await connect(session, f"{fserver.ws_url}/market/ws/btcusdt@aggTrade")
    fserver.call(fserver.sim.reset)
    closed = await asyncio.wait_for(ws.receive(), 5)
    assert closed.type.name == "CLOSE"
    again = await connect(session, f"{fserver.ws_url}/market/ws/btcusdt@aggTrade")
    maker, taker = fserver.trader(), fserver.trader()
    fserver.place(maker, "SELL", "0.010", "50000.0")
    fserver.place(taker, "BUY", "0.010", "50000.0")
    assert (await recv_json(again))["a"] == 1  # the new engine's first aggregate trade


async def test_all_market_streams(fserver, session):
    ws = await connect(session, f"{fserver.ws_url}/market/stream?streams=!ticker@arr/!miniTicker@arr")
    public = await connect(session, f"{fserver.ws_url}/public/ws/!bookTicker")
    maker = fserver.trader()
    fserver.place(maker, "SELL", "0.100", "50010.0")
    top = await recv_json(public)
    assert (top["e"], top["s"], top["a"]) == ("bookTicker", SYMBOL, "50010.00")
    seen = {}
    while len(seen) < 2:
        message = await recv_json(ws)
        seen[message["stream"]] = message["data"]
    assert [item["s"] for item in seen["!ticker@arr"]] == ["BTCUSDT", "ETHUSDT"]
    assert {item["e"] for item in seen["!miniTicker@arr"]} == {"24hrMiniTicker"}
