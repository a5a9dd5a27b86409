"""The spot connector against a live exsim on a loopback port, arranged and broken through the control plane.
Every wait is on an event, with a deadline."""
from __future__ import annotations

import asyncio
from decimal import Decimal as D

from tests.connector.conftest import DEMO_ACCOUNT

PAIR, SYMBOL = "BTC-USDT", "BTCUSDT"
WAIT = 10.0


def of(kind, cid):
    return lambda e: e.kind == kind and getattr(e, "client_order_id", None) == cid


async def resting_buy(exchange, price="50000", amount="0.01"):
    cid = await exchange.place_order("BUY", PAIR, D(amount), "LIMIT", D(price))
    created = await exchange.events.wait_for(of("order_created", cid), WAIT)
    return cid, created.exchange_order_id


async def exchange_orders(control, cid):
    return [o for o in await control.orders(DEMO_ACCOUNT) if o["clientOrderId"] == cid]


async def test_round_trip_with_a_partial_fill_over_several_ws_messages(make_exchange, control):
    exchange = await make_exchange()
    cid, order_id = await resting_buy(exchange)
    for qty in ("0.003", "0.003", "0.004"):
        await control.take(order_id, qty)
    completed = await exchange.events.wait_for(of("order_completed", cid), WAIT)
    fills = [e for e in exchange.events.history if e.kind == "order_filled" and e.client_order_id == cid]
    assert [f.amount for f in fills] == [D("0.003"), D("0.003"), D("0.004")]
    assert len({f.trade_id for f in fills}) == 3 and {f.source for f in fills} == {"ws"}
    assert completed.base_amount == D("0.01") and completed.quote_amount == D("500")
    assert dict(completed.fees) == {"BTC": sum(f.fee_amount for f in fills)} and all(f.is_maker for f in fills)
    await exchange.events.wait_for(lambda e: e.kind == "balance_update" and e.asset == "BTC" and e.source == "ws",
                                   WAIT)
    assert not exchange.in_flight_orders and exchange.throttler.bans == 0


async def test_cancel_of_a_resting_order(make_exchange, control):
    exchange = await make_exchange()
    cid, _ = await resting_buy(exchange)
    exchange.cancel(PAIR, cid)
    await exchange.events.wait_for(of("order_canceled", cid), WAIT)
    assert [o["status"] for o in await exchange_orders(control, cid)] == ["CANCELED"]


async def test_cancel_all_with_the_bulk_endpoint_cancels_every_order_of_the_pair(make_exchange, control):
    exchange = await make_exchange()
    orders = [await resting_buy(exchange, price) for price in ("50000", "50001", "50002")]
    await control.take(orders[1][1], "0.004")
    await exchange.events.wait_for(of("order_filled", orders[1][0]), WAIT)
    results = await exchange.cancel_all()
    assert sorted(r.client_order_id for r in results if r.success) == sorted(cid for cid, _ in orders)
    assert not exchange.in_flight_orders and await exchange.get_open_orders(PAIR) == []
    canceled = [e for e in exchange.events.history if e.kind == "order_canceled"]
    assert sorted(e.client_order_id for e in canceled) == sorted(cid for cid, _ in orders)
    assert {e.client_order_id: e.executed_amount for e in canceled}[orders[1][0]] == D("0.004")


async def test_a_cancel_that_races_a_fill_ends_filled_not_canceled(make_exchange, control):
    exchange = await make_exchange()
    cid, _ = await resting_buy(exchange)
    await control.add_fault("fill_during_cancel", count=1)
    assert not await exchange._execute_cancel(PAIR, cid)
    await exchange.events.wait_for(of("order_completed", cid), WAIT)
    assert not any(e.kind == "order_canceled" for e in exchange.events.history)
    fills = [e for e in exchange.events.history if e.kind == "order_filled" and e.client_order_id == cid]
    assert sum(f.amount for f in fills) == D("0.01")


async def test_market_order_fills_against_the_book(make_exchange, control):
    maker = await control.create_account("maker", USDT="100000", BTC="10")
    await control.place_order(maker["id"], SYMBOL, "SELL", "LIMIT", "0.5", "60000", "GTC")
    exchange = await make_exchange()
    await asyncio.wait_for(_until(lambda: exchange.get_order_book(PAIR).best_ask == D("60000")), WAIT)
    cid = await exchange.place_order("BUY", PAIR, D("0.02"), "MARKET")
    completed = await exchange.events.wait_for(of("order_completed", cid), WAIT)
    assert completed.base_amount == D("0.02") and completed.quote_amount == D("1200")


async def _until(predicate):
    while not predicate():
        await asyncio.sleep(0.02)


async def test_ws_drop_is_recovered_streams_and_book(make_exchange, control):
    exchange = await make_exchange()
    book_stream = exchange.order_book_tracker.data_source.stream
    user_stream = exchange.user_stream_tracker.data_source.stream
    snapshots = exchange.order_book_tracker.snapshots_applied
    await control.add_fault("ws_close", count=1)
    await asyncio.wait_for(_until(lambda: book_stream.connections >= 2 and user_stream.connections >= 2), WAIT)
    await asyncio.wait_for(_until(lambda: exchange.ready), WAIT)
    assert exchange.order_book_tracker.snapshots_applied > snapshots  # the book was rebuilt from a new snapshot
    cid, order_id = await resting_buy(exchange)
    await control.take(order_id, "0.01")
    fill = await exchange.events.wait_for(of("order_filled", cid), WAIT)
    assert fill.source == "ws"


async def test_a_silent_ws_is_detected_and_replaced(make_exchange, control):
    exchange = await make_exchange()
    user_stream = exchange.user_stream_tracker.data_source.stream
    await control.add_fault("ws_silence", durationMs=1500)
    await asyncio.wait_for(_until(lambda: user_stream.connections >= 2), WAIT)
    await asyncio.wait_for(_until(lambda: exchange.ready), WAIT)
    cid, order_id = await resting_buy(exchange)
    await control.take(order_id, "0.004")
    await exchange.events.wait_for(of("order_filled", cid), WAIT)


async def test_unknown_status_on_create_is_resolved_without_a_duplicate(make_exchange, control):
    exchange = await make_exchange()
    await control.add_fault("http_unknown_status", endpoint="POST /api/v3/order", count=1)
    cid = await exchange.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("50000"))
    await exchange.events.wait_for(of("order_created", cid), WAIT)
    assert len(await exchange_orders(control, cid)) == 1
    assert exchange.in_flight_orders[cid].exchange_order_id is not None


async def test_blackholed_create_is_resolved_without_a_duplicate(make_exchange, control):
    exchange = await make_exchange()
    await control.add_fault("http_blackhole", endpoint="POST /api/v3/order", count=1)
    loop = asyncio.get_running_loop()
    start = loop.time()
    cid = await exchange.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("50000"))
    assert loop.time() - start >= 1.5  # it waited for the request timeout
    await exchange.events.wait_for(of("order_created", cid), WAIT)
    assert len(await exchange_orders(control, cid)) == 1


async def test_unknown_status_on_cancel_is_resolved_by_status(make_exchange, control):
    exchange = await make_exchange()
    cid, _ = await resting_buy(exchange)
    await control.add_fault("http_unknown_status", endpoint="DELETE /api/v3/order", count=1)
    exchange.cancel(PAIR, cid)
    await exchange.events.wait_for(of("order_canceled", cid), WAIT)


async def test_429_then_418_hold_every_request_until_retry_after(make_exchange, control):
    exchange = await make_exchange()
    api = exchange.api
    for status in (429, 418):
        await control.add_fault("rate_limit", status=status, ms=1000)
        sent_before = api.requests_sent
        ok = await exchange.check_network()
        assert not ok and exchange.throttler.banned
        banned_until = exchange.throttler.banned_until
        sent_during_ban = api.requests_sent
        loop = asyncio.get_running_loop()
        assert await asyncio.wait_for(exchange.check_network(), WAIT)  # waits out the ban, then succeeds
        assert loop.time() >= banned_until
        assert sent_during_ban == sent_before + 1  # nothing else left while banned
    assert exchange.throttler.bans >= 2


async def test_clock_skew_is_absorbed_by_resync(make_exchange, control):
    exchange = await make_exchange()
    offset = exchange.time_synchronizer.offset_ms
    await control.add_fault("clock_skew", ms=-20000)  # the server's clock is 20 s behind: our stamps are ahead
    cid = await exchange.place_order("BUY", PAIR, D("0.01"), "LIMIT", D("50000"))
    await exchange.events.wait_for(of("order_created", cid), WAIT)
    assert exchange.time_synchronizer.offset_ms < offset - 15000


async def test_the_clock_is_resynced_periodically_without_a_refusal(make_exchange, control):
    exchange = await make_exchange(time_sync_interval=0.5)
    offset = exchange.time_synchronizer.offset_ms
    # The server's clock 3 s ahead: stamps 3 s behind stay inside recvWindow, so nothing is refused (no -1021).
    await control.add_fault("clock_skew", ms=3000)
    async with asyncio.timeout(WAIT):
        while exchange.time_synchronizer.offset_ms < offset + 2500:
            await asyncio.sleep(0.05)


async def test_pairs_added_and_removed_at_run_time_never_exceed_the_message_limit(make_exchange, control):
    exchange = await make_exchange(ws_heartbeat=10.0)  # our pings count as messages too: few of them here
    stream = exchange.order_book_tracker.data_source.stream
    for _ in range(4):  # nine SUBSCRIBE / UNSUBSCRIBE messages at once: exsim drops a connection sending over 5/s
        await exchange.add_trading_pair("ETH-USDT")
        await exchange.remove_trading_pair("ETH-USDT")
    await exchange.add_trading_pair("ETH-USDT")
    await asyncio.wait_for(exchange.order_book_tracker.synced("ETH-USDT").wait(), WAIT)
    # A depth update after the last message: the connection it comes by is the first one, still up.
    maker = await control.create_account("maker", USDT="100000")
    await control.place_order(maker["id"], "ETHUSDT", "BUY", "LIMIT", "1", "2000", "GTC")
    await asyncio.wait_for(_until(lambda: exchange.get_order_book("ETH-USDT").best_bid == D("2000")), WAIT)
    assert stream.connections == 1 and exchange.trading_pairs == [PAIR, "ETH-USDT"]


async def test_restart_picks_up_fills_made_while_down(make_exchange, control):
    first = await make_exchange("restart.sqlite")
    cid, order_id = await resting_buy(first, amount="0.02")
    await control.take(order_id, "0.005")
    await first.events.wait_for(of("order_filled", cid), WAIT)
    await first.stop_network()
    await control.take(order_id, "0.015")  # while no connector is watching
    second = await make_exchange("restart.sqlite")
    completed = await second.events.wait_for(of("order_completed", cid), WAIT)
    fills = [e for e in second.events.history if e.kind == "order_filled" and e.client_order_id == cid]
    assert [f.amount for f in fills] == [D("0.015")] and fills[0].source == "rest"  # the one made while down
    assert completed.base_amount == D("0.02")


async def test_no_429_under_load_on_tight_limits(tmp_path):
    """Pools read from exchangeInfo: 400 weight per 2 s and 5 orders a second. 40 account reads (weight 20 each)
    and 12 orders fired at once all succeed, and the exchange never answers 429."""
    from connector.exchange import BinanceExchange
    from simulator.rate_limits import Pool
    from simulator.server import build_simulator
    from tests.conftest import quiet_config
    from tests.connector.conftest import DEMO_KEY, DEMO_SECRET, FAST
    from tests.live_server import LiveServer

    base = quiet_config()
    limits = type(base.rate_limits)(True, (Pool("REQUEST_WEIGHT", "SECOND", 2, 400), Pool("ORDERS", "SECOND", 1, 5)),
                                    base.rate_limits.futures)
    server = LiveServer(build_simulator(quiet_config(rate_limits=limits))).start()
    exchange = BinanceExchange(DEMO_KEY, DEMO_SECRET, ["BTC-USDT"], base_url=server.base_url,
                               tracking_db=str(tmp_path / "load.sqlite"), **FAST)
    try:
        await asyncio.wait_for(exchange.start_network(), 10)
        pings = asyncio.gather(*(exchange.api.api_request("GET", "/api/v3/account", signed=True)
                                 for _ in range(40)))
        orders = asyncio.gather(*(exchange.place_order("BUY", PAIR, D("0.001"), "LIMIT", D("40000"))
                                  for _ in range(12)))
        results, cids = await asyncio.wait_for(asyncio.gather(pings, orders), 30)
        assert all("balances" in r for r in results)
        for cid in cids:
            await exchange.events.wait_for(of("order_created", cid), WAIT)
        assert exchange.throttler.bans == 0
        assert not any(e.kind == "order_failed" for e in exchange.events.history)
    finally:
        await asyncio.wait_for(exchange.stop_network(), 10)
        server.stop()


async def test_a_depth_gap_is_detected_and_the_book_rebuilt(make_exchange, control):
    maker = await control.create_account("maker", USDT="100000", BTC="10")
    exchange = await make_exchange()
    await control.add_fault("depth_gap", stream="btcusdt@depth@100ms", count=1)
    prices = []
    async with asyncio.timeout(WAIT):  # change the book until a diff after the dropped one shows the gap
        while exchange.order_book_tracker.gaps == 0:
            prices.append(D(61000 + len(prices)))
            await control.place_order(maker["id"], SYMBOL, "SELL", "LIMIT", "0.1", str(prices[-1]), "GTC")
            try:  # the diff of this change arrives, or it was the dropped one: then the next change shows it
                await asyncio.wait_for(_until(lambda: exchange.order_book_tracker.gaps > 0
                                              or prices[-1] in exchange.get_order_book(PAIR).asks), 1.0)
            except TimeoutError:
                pass
    await asyncio.wait_for(_until(lambda: exchange.ready and set(exchange.get_order_book(PAIR).asks) == set(prices)),
                           WAIT)


async def test_listen_key_mode_survives_an_expired_key(make_exchange, control):
    exchange = await make_exchange(user_stream_mode="listen_key")
    source = exchange.user_stream_tracker.data_source
    first_key = source.listen_key
    await control.add_fault("listen_key_expire", accountId=DEMO_ACCOUNT)
    await asyncio.wait_for(_until(lambda: source.listen_key not in (None, first_key) and exchange.ready), WAIT)
    cid, order_id = await resting_buy(exchange)
    await control.take(order_id, "0.01")
    fill = await exchange.events.wait_for(of("order_filled", cid), WAIT)
    assert fill.source == "ws" and source.listen_keys_created == 2
