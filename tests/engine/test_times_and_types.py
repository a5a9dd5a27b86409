"""Every event, order and account carries the injected clock's time of the operation that changed it, and every
amount the engine holds or reports stays an int.

A float slipped into a balance (a true division where a floor division belongs) compares equal to the int it
replaces, so only a type check catches it before a formatter does.
"""
from __future__ import annotations

from simulator.engine.audit import audit
from simulator.engine.rejection import Rejected

from tests.engine.helpers import START_MS, Recorder, a, funded, limit, make_spec, new_engine


class Timed:
    """Runs each operation at a new time and checks that everything it emitted says so."""

    def __init__(self):
        self.engine, self.clock = new_engine(make_spec(), make_spec("ETHUSDT", "ETH", "USDT"))
        self.recorder = Recorder(self.engine)

    def at(self, ms: int, operation, *args, **kwargs):
        self.clock.set(START_MS + ms)
        emitted = len(self.recorder.events)
        try:
            result = operation(*args, **kwargs)
        except Rejected:
            result = None
        new = self.recorder.events[emitted:]
        assert new, f"{operation.__name__} emitted nothing"
        assert [e.time for e in new] == [self.clock.now_ms()] * len(new), operation.__name__
        # ... and numbers them on from the last event, without a gap
        assert [e.seq for e in new] == list(range(emitted + 1, emitted + len(new) + 1)), operation.__name__
        assert self.engine.seq == emitted + len(new)
        return result


def test_every_event_and_update_time_is_the_time_of_its_operation():
    t = Timed()
    engine = t.engine
    mm = t.at(1, funded, engine, USDT="100000", BTC="100")
    me = t.at(2, funded, engine, USDT="10000", BTC="10")
    t.at(3, engine.withdraw, me, "USDT", a("1"))
    assert engine.accounts[me].update_time == START_MS + 3 and engine.accounts[mm].update_time == START_MS + 1

    resting = t.at(10, limit, engine, mm, "SELL", "100", "2").order
    assert (resting.time, resting.update_time, resting.working_time) == (START_MS + 10,) * 3
    assert engine.accounts[mm].update_time == START_MS + 10

    taker = t.at(20, limit, engine, me, "BUY", "100", "0.5").order  # a trade
    assert (taker.time, taker.update_time) == (START_MS + 20, START_MS + 20)
    assert resting.update_time == START_MS + 20 and resting.time == START_MS + 10
    assert t.recorder.of("trade")[-1].trade.time == START_MS + 20
    assert engine.accounts[me].update_time == engine.accounts[mm].update_time == START_MS + 20

    t.at(25, engine.amend_order, mm, "BTCUSDT", a("1"), order_id=resting.order_id)
    assert resting.update_time == START_MS + 25 and resting.time == START_MS + 10

    ioc = t.at(30, limit, engine, me, "BUY", "90", "1", tif="IOC").order  # expires
    assert ioc.status == "EXPIRED" and ioc.update_time == START_MS + 30
    fok = t.at(31, limit, engine, me, "BUY", "100", "5", tif="FOK").order  # cannot fill whole
    assert fok.expiry_reason == "UNFILLED_FOK_ORDER_EXPIRED" and fok.update_time == START_MS + 31
    t.at(32, limit, engine, me, "BUY", "95", "0.2")
    sweep = t.at(33, engine.place_order, mm, "BTCUSDT", "SELL", "MARKET", qty=a("0.5")).order  # 0.2 of it
    assert sweep.expiry_reason == "INSUFFICIENT_LIQUIDITY" and sweep.update_time == START_MS + 33

    own = t.at(40, limit, engine, me, "SELL", "101", "1").order
    t.at(50, limit, engine, me, "BUY", "101", "2", tif="IOC", stp="EXPIRE_MAKER")  # takes mm's 0.5, prevents `own`
    assert own.status == "EXPIRED_IN_MATCH" and own.update_time == START_MS + 50 and own.time == START_MS + 40

    stop = t.at(60, engine.place_order, me, "BTCUSDT", "SELL", "STOP_LOSS", qty=a("1"), stop_price=a("99")).order
    assert (stop.time, stop.update_time, stop.working_time) == (START_MS + 60, START_MS + 60, -1)
    t.at(65, limit, engine, mm, "BUY", "98", "1")
    t.at(70, limit, engine, mm, "SELL", "99", "0.02")
    t.at(80, limit, engine, mm, "BUY", "99", "0.02", stp="NONE")  # prints 99: the stop fires and sells at 98
    assert stop.status == "FILLED" and (stop.working_time, stop.update_time) == (START_MS + 80, START_MS + 80)
    assert stop.time == START_MS + 60

    bid = t.at(90, limit, engine, mm, "BUY", "95", "1").order
    t.at(100, engine.fill_order, bid.order_id, a("0.1"), me)
    assert bid.update_time == START_MS + 100
    # a fill_order that prints at a stop's price triggers it, at the fill's time
    sell_stop = t.at(101, engine.place_order, me, "BTCUSDT", "SELL", "STOP_LOSS", qty=a("0.3"),
                     stop_price=a("94")).order
    low_bid = t.at(101, limit, engine, mm, "BUY", "94", "1").order
    t.at(102, engine.fill_order, low_bid.order_id, a("0.1"), me)  # prints 94: the stop sells into the 95 bid
    assert sell_stop.status == "FILLED" and sell_stop.working_time == sell_stop.update_time == START_MS + 102

    t.at(110, engine.cancel_order, mm, "BTCUSDT", order_id=bid.order_id)
    assert bid.status == "CANCELED" and bid.update_time == START_MS + 110
    rest = t.at(115, limit, engine, mm, "BUY", "94", "1").order
    t.at(120, engine.cancel_all, mm, "BTCUSDT")
    assert rest.update_time == START_MS + 120
    t.at(130, limit, engine, me, "BUY", "0.001", "1")  # rejected: PRICE_FILTER
    t.at(140, engine.set_symbol_status, "ETHUSDT", "HALT")
    assert engine.accounts[mm].update_time == START_MS + 120 and engine.accounts[me].update_time == START_MS + 102
    assert audit(engine) == []


def _ints(label: str, *values) -> None:
    for value in values:
        assert type(value) is int, f"{label}: {value!r} is a {type(value).__name__}"


def test_every_amount_stays_an_int():
    engine, clock = new_engine()
    mm = funded(engine, USDT="100000", BTC="100")
    me = funded(engine, USDT="10000", BTC="10")
    recorder = Recorder(engine)
    for price, qty in (("100.03", "0.333"), ("100.07", "0.777"), ("101.11", "1.5")):
        limit(engine, mm, "SELL", price, qty)
        limit(engine, mm, "BUY", str(int(float(price)) - 3), qty)
    # a buy locked at a higher limit, filled lower (the release path), then partly resting
    limit(engine, me, "BUY", "100.09", "1.3")
    engine.place_order(me, "BTCUSDT", "BUY", "MARKET", quote_qty=a("33.33"))  # quote budget, buying
    engine.place_order(me, "BTCUSDT", "SELL", "MARKET", quote_qty=a("33.33"))  # quote budget, selling
    engine.place_order(me, "BTCUSDT", "SELL", "MARKET", qty=a("0.123"))
    mine = limit(engine, me, "BUY", "99.5", "0.999").order
    engine.amend_order(me, "BTCUSDT", a("0.555"), order_id=mine.order_id)
    stop = engine.place_order(me, "BTCUSDT", "BUY", "STOP_LOSS", qty=a("0.37"), stop_price=a("100.11")).order
    clock.advance(61_000)
    limit(engine, mm, "SELL", "100.11", "0.02")
    limit(engine, mm, "BUY", "100.11", "0.02", stp="NONE")  # fires the stop: it re-locks at its real cost
    assert stop.executed == a("0.37")
    own = limit(engine, me, "SELL", "105.55", "0.7").order
    limit(engine, me, "BUY", "106", "1.1", tif="IOC", stp="EXPIRE_BOTH")
    assert own.status == "EXPIRED_IN_MATCH"
    engine.withdraw(me, "USDT", a("0.5"))
    assert audit(engine) == []

    for account in engine.accounts.values():
        for asset, (free, locked) in account.balances.items():
            _ints(f"account {account.account_id} {asset}", free, locked)
        _ints("account", account.update_time)
    for ledger in (engine.deposits, engine.withdrawals, engine.fees_collected):
        _ints("ledger", *ledger.values())
    for order in engine.orders.values():
        _ints(repr(order), order.price, order.qty, order.stop_price, order.quote_qty, order.executed,
              order.cum_quote, order.locked, order.prevented_qty, order.time, order.update_time)
    for book in engine.books.values():
        for side in (book.bids, book.asks):
            for level in side.levels.values():
                _ints("level", level.price, level.qty)
    trades = [e.trade for e in recorder.of("trade")]
    assert len(trades) >= 8
    for trade in trades:
        _ints("trade", trade.price, trade.qty, trade.quote_qty, trade.buyer_fee, trade.seller_fee, trade.time)
    for event in recorder.events:
        if event.kind == "balance":
            _ints("balance event", event.free, event.locked, event.delta)
        elif event.kind == "order":
            _ints("order event", event.qty, event.executed, event.cum_quote)
            if event.prevention is not None:
                _ints("prevention", *(v for v in event.prevention if not isinstance(v, str)))
        elif event.kind == "depth":
            _ints("depth", *(n for level in event.bids + event.asks for n in level))
    market = engine.market["BTCUSDT"]
    _ints("average price", market.average_price(clock.now_ms(), 5))


def test_an_order_placed_at_time_zero_is_working_and_amends_like_any_other():
    """Time 0 is a time like any other: an order accepted then is on the book (its working time is 0, not -1)."""
    engine, clock = new_engine(start_ms=0)
    seller = funded(engine, BTC="5")
    order = limit(engine, seller, "SELL", "100", "2").order
    assert order.working_time == 0 and order.is_working
    engine.amend_order(seller, "BTCUSDT", a("1.5"), order_id=order.order_id)
    assert engine.depth("BTCUSDT", 5)[2] == [(a("100"), a("1.5"))]
    assert audit(engine) == []


def test_a_triggered_stop_that_cannot_pay_expires_at_the_trigger_time():
    t = Timed()
    engine = t.engine
    printer = t.at(1, funded, engine, USDT="1000", BTC="10")
    t.at(2, limit, engine, printer, "SELL", "100", "0.02")
    t.at(3, limit, engine, printer, "BUY", "100", "0.02", stp="NONE")
    seller = t.at(4, funded, engine, BTC="1")
    t.at(5, limit, engine, seller, "SELL", "106", "1")
    trader = t.at(6, funded, engine, USDT="104")
    stop = t.at(7, engine.place_order, trader, "BTCUSDT", "BUY", "STOP_LOSS", qty=a("1"), stop_price=a("104")).order
    t.at(8, limit, engine, printer, "SELL", "104", "0.02")
    t.at(9, limit, engine, printer, "BUY", "104", "0.02", stp="NONE")
    assert stop.expiry_reason == "INSUFFICIENT_BALANCE" and stop.update_time == START_MS + 9


def test_what_the_events_of_a_sell_into_a_bid_carry():
    engine, _ = new_engine()
    bidder = funded(engine, USDT="1000")
    bid = limit(engine, bidder, "BUY", "99", "2").order
    seller = funded(engine, BTC="1")
    recorder = Recorder(engine)
    limit(engine, seller, "SELL", "99", "1")
    (trade,) = [e.trade for e in recorder.of("trade")]
    maker_update, taker_update = recorder.of("order")[1:]
    assert (maker_update.order, maker_update.exec_type, maker_update.trade) == (bid, "TRADE", trade)
    assert (taker_update.exec_type, taker_update.trade) == ("TRADE", trade)
    assert {(e.account_id, e.asset, e.delta, e.reason) for e in recorder.of("balance")} == {
        (bidder, "USDT", 0, "ORDER"), (bidder, "BTC", 0, "ORDER"), (seller, "BTC", 0, "ORDER"),
        (seller, "USDT", 0, "ORDER")}
    (depth,) = recorder.of("depth")
    assert (depth.symbol, depth.bids, depth.asks) == ("BTCUSDT", [(a("99"), a("1"))], [])
