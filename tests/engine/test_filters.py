"""Symbol filters: each rule rejects what breaks it (with its reason) and accepts its exact boundary."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.engine.instrument import Instrument, format_atoms, to_atoms
from simulator.engine.rejection import Reject

from tests.engine.helpers import Recorder, a, fingerprint, funded, limit, make_spec, new_engine, rejects

SPEC = dict(tick_size="0.01", step_size="0.001", min_qty="0.002", max_qty="1000", min_price="1.00",
            max_price="1000000", min_notional="10", max_notional="10000000", market_min_qty="0.01",
            market_max_qty="100")


@pytest.fixture
def setup():
    engine, clock = new_engine(make_spec(**SPEC))
    account = funded(engine, USDT="100000000", BTC="10000")
    return engine, account


def _limit(price: str, qty: str, side: str = "BUY") -> dict:
    return dict(side=side, type_="LIMIT", qty=a(qty), price=a(price), tif="GTC")


REJECTED_CASES = [
    # PRICE_FILTER: off the tick grid, below minPrice, above maxPrice
    ("off tick", _limit("100.005", "1"), Reject.PRICE_FILTER),
    ("below min price", _limit("0.99", "20"), Reject.PRICE_FILTER),
    ("above max price", _limit("1000000.01", "0.002", side="SELL"), Reject.PRICE_FILTER),
    ("stop price off tick", dict(side="SELL", type_="STOP_LOSS", qty=a("1"), stop_price=a("90.001")),
     Reject.PRICE_FILTER),
    # price or quantity zero
    ("zero price", _limit("0", "1"), Reject.PRICE_QTY_ZERO),
    ("zero qty", _limit("100", "0"), Reject.PRICE_QTY_ZERO),
    ("negative qty", dict(side="BUY", type_="LIMIT", qty=-a("1"), price=a("100"), tif="GTC"), Reject.PRICE_QTY_ZERO),
    # LOT_SIZE: off the step grid, below minQty, above maxQty
    ("off step", _limit("100", "1.0005"), Reject.LOT_SIZE),
    ("below min qty", _limit("100", "0.001"), Reject.LOT_SIZE),
    ("above max qty", _limit("100", "1000.001", side="SELL"), Reject.LOT_SIZE),
    # NOTIONAL: price x qty outside [minNotional, maxNotional]
    ("below min notional", _limit("4.99", "2"), Reject.NOTIONAL),
    ("above max notional", _limit("100000", "100.001", side="SELL"), Reject.NOTIONAL),
    ("stop-market notional at the stop price", dict(side="SELL", type_="STOP_LOSS", qty=a("0.05"),
                                                    stop_price=a("100")), Reject.NOTIONAL),
    # MARKET_LOT_SIZE: on top of LOT_SIZE for base-sized market orders (and stop-market orders)
    ("market above market max", dict(side="SELL", type_="MARKET", qty=a("100.001")), Reject.MARKET_LOT_SIZE),
    ("market below market min", dict(side="SELL", type_="MARKET", qty=a("0.009")), Reject.MARKET_LOT_SIZE),
    ("stop-market above market max", dict(side="SELL", type_="STOP_LOSS", qty=a("101"), stop_price=a("90")),
     Reject.MARKET_LOT_SIZE),
    ("market quote below min notional", dict(side="BUY", type_="MARKET", quote_qty=a("9.99")), Reject.NOTIONAL),
]


@pytest.mark.parametrize("name, order, reason", REJECTED_CASES, ids=[c[0] for c in REJECTED_CASES])
def test_filter_rejects_with_reason_and_changes_nothing(setup, name, order, reason):
    engine, account = setup
    # liquidity on both sides so market orders get as far as their filters
    maker = funded(engine, USDT="100000", BTC="100")
    limit(engine, maker, "BUY", "99", "1")
    limit(engine, maker, "SELL", "101", "1")
    recorder = Recorder(engine)
    before = fingerprint(engine)
    rejects(reason, engine.place_order, account, "BTCUSDT", **order)
    assert fingerprint(engine) == before
    assert recorder.kinds() == ["rejected"]
    assert recorder.events[0].reason == reason.value


ACCEPTED_BOUNDARIES = [
    ("min price", _limit("1.00", "10")),  # notional exactly minNotional too
    ("max price", _limit("1000000", "0.002", side="SELL")),
    ("min qty", _limit("5000", "0.002")),
    ("max qty", _limit("100", "1000", side="SELL")),
    ("max notional", _limit("10000", "1000", side="SELL")),
    ("market max qty", dict(side="SELL", type_="MARKET", qty=a("100"))),
    ("market min qty", dict(side="SELL", type_="MARKET", qty=a("0.01"))),
]


@pytest.mark.parametrize("name, order", ACCEPTED_BOUNDARIES, ids=[c[0] for c in ACCEPTED_BOUNDARIES])
def test_filter_boundaries_are_inclusive(setup, name, order):
    engine, account = setup
    maker = funded(engine, USDT="100000")
    limit(engine, maker, "BUY", "99", "1")
    engine.test_order(account, "BTCUSDT", **order)  # raises if any check fails
    result = engine.place_order(account, "BTCUSDT", **order)
    assert result.order.order_id > 0


def test_percent_price_by_side_uses_the_average_price_and_each_sides_multipliers():
    spec = make_spec(bid_multiplier_up=Decimal("1.05"), bid_multiplier_down=Decimal("0.8"),
                     ask_multiplier_up=Decimal("1.2"), ask_multiplier_down=Decimal("0.95"), avg_price_mins=5)
    engine, clock = new_engine(spec)
    buyer = funded(engine, USDT="100000")
    seller = funded(engine, BTC="100")
    # before the first trade there is no reference price: anything on the grid goes
    engine.test_order(buyer, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("500"), tif="GTC")
    limit(engine, seller, "SELL", "100", "1")
    limit(engine, buyer, "BUY", "100", "1")  # the reference is now 100
    ok = engine.test_order
    ok(buyer, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("105"), tif="GTC")
    ok(buyer, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("80"), tif="GTC")
    rejects(Reject.PERCENT_PRICE_BY_SIDE, limit, engine, buyer, "BUY", "105.01", "1")
    rejects(Reject.PERCENT_PRICE_BY_SIDE, limit, engine, buyer, "BUY", "79.99", "1")
    # asks have their own band: 105.01 is fine for a sell, 94.99 is not
    ok(seller, "BTCUSDT", "SELL", "LIMIT", qty=a("1"), price=a("120"), tif="GTC")
    ok(seller, "BTCUSDT", "SELL", "LIMIT", qty=a("1"), price=a("95"), tif="GTC")
    rejects(Reject.PERCENT_PRICE_BY_SIDE, limit, engine, seller, "SELL", "120.01", "1")
    rejects(Reject.PERCENT_PRICE_BY_SIDE, limit, engine, seller, "SELL", "94.99", "1")
    # the reference is a volume-weighted average over the last avg_price_mins minutes
    clock.advance(60_000)
    limit(engine, seller, "SELL", "104", "3")
    limit(engine, buyer, "BUY", "104", "3")  # VWAP (100 x 1 + 104 x 3) / 4 = 103
    assert engine.market["BTCUSDT"].average_price(clock.now_ms(), 5) == a("103")
    ok(buyer, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("108.15"), tif="GTC")  # 103 x 1.05
    rejects(Reject.PERCENT_PRICE_BY_SIDE, limit, engine, buyer, "BUY", "108.16", "1")
    # once the trades are older than the window, the last price is the reference
    clock.advance(6 * 60_000)
    ok(buyer, "BTCUSDT", "BUY", "LIMIT", qty=a("1"), price=a("109.20"), tif="GTC")  # 104 x 1.05
    rejects(Reject.PERCENT_PRICE_BY_SIDE, limit, engine, buyer, "BUY", "109.21", "1")


def test_max_num_orders_counts_open_orders_per_account_and_symbol():
    engine, _ = new_engine(make_spec(max_num_orders=3), make_spec(symbol="ETHUSDT", base="ETH"))
    account = funded(engine, USDT="100000")
    other = funded(engine, USDT="100000")
    orders = [limit(engine, account, "BUY", price, "1").order for price in ("90", "91", "92")]
    before = fingerprint(engine)
    rejects(Reject.MAX_NUM_ORDERS, limit, engine, account, "BUY", "93", "1")
    assert fingerprint(engine) == before
    # a pending stop order counts too
    rejects(Reject.MAX_NUM_ORDERS, engine.place_order, account, "BTCUSDT", "BUY", "STOP_LOSS", qty=a("1"),
            stop_price=a("150"))
    limit(engine, other, "BUY", "93", "1")  # another account has its own count
    limit(engine, account, "BUY", "93", "1", symbol="ETHUSDT")  # and another symbol
    engine.cancel_order(account, "BTCUSDT", orders[0].order_id)
    limit(engine, account, "BUY", "93", "1")  # a closed order frees its slot


def test_decimal_edges_are_exact():
    inst = Instrument(make_spec())
    # strings -> atoms, exactly; 0.1 + 0.2 is 0.3 here
    assert inst.parse_price("0.1") + inst.parse_price("0.2") == inst.parse_price("0.3")
    assert inst.parse_qty("1.5") == 150_000_000
    assert inst.parse_quote("0.00000001") == 1
    # atoms -> strings at the asset's precision, including negatives and zero
    assert inst.format_price(a("100.5")) == "100.50000000"
    assert inst.format_qty(1) == "0.00000001"
    assert format_atoms(-a("2.25"), 8) == "-2.25000000"
    assert format_atoms(0, 2) == "0.00"
    assert format_atoms(1234, 0) == "1234"
    assert to_atoms("1e-8", 8) == 1
    # finer than an atom, or not a number at all: BAD_PRECISION at the edge, never a rounded value
    rejects(Reject.BAD_PRECISION, inst.parse_price, "100.000000001")
    rejects(Reject.BAD_PRECISION, inst.parse_qty, "0.000000005")
    rejects(Reject.BAD_PRECISION, inst.parse_quote, "abc")
    rejects(Reject.BAD_PRECISION, inst.parse_qty, "Infinity")
    # the notional of any grid price and grid quantity is a whole number of quote atoms
    assert inst.notional(a("123.45"), a("0.007")) * 10**8 == a("123.45") * a("0.007")


def test_an_impossible_grid_is_refused_at_construction():
    # tick 0.01 x step 0.01 = 0.0001, finer than a 2-decimal quote asset can hold
    with pytest.raises(ValueError):
        Instrument(make_spec(tick_size="0.01", step_size="0.01", quote_precision=2))
    with pytest.raises(ValueError):
        Instrument(make_spec(tick_size="0"))
    with pytest.raises(ValueError):
        Instrument(make_spec(default_stp="SOMETIMES"))


def test_amounts_must_be_integer_atoms():
    engine, _ = new_engine()
    account = funded(engine, USDT="1000")
    before = fingerprint(engine)
    rejects(Reject.INVALID_ORDER, engine.place_order, account, "BTCUSDT", "BUY", "LIMIT", qty=100_000_000.0,
            price=a("100"), tif="GTC")
    rejects(Reject.INVALID_ORDER, engine.place_order, account, "BTCUSDT", "BUY", "LIMIT", qty=a("1"),
            price=Decimal(a("100")), tif="GTC")
    assert fingerprint(engine) == before


def test_the_combined_limit_check_matches_the_three_separate_filters():
    """check_limit (the hot path's one call) must decide exactly as check_price, check_qty, check_notional."""
    inst = Instrument(make_spec(**SPEC))

    def separately(price, qty):
        try:
            inst.check_price(price)
            inst.check_qty(qty)
            inst.check_notional(inst.notional(price, qty))
        except Exception as exc:  # noqa: BLE001 - compared below
            return exc.reason
        return None

    def combined(price, qty):
        try:
            inst.check_limit(price, qty)
        except Exception as exc:  # noqa: BLE001
            return exc.reason
        return None

    prices = [-a("1"), 0, a("0.99"), a("1"), a("4.99"), a("5.005"), a("100"), a("10000"), a("1000000"),
              a("1000000.01")]
    qtys = [-a("1"), 0, a("0.001"), a("0.002"), a("0.0025"), a("1"), a("100.001"), a("1000"), a("1000.001")]
    outcomes = {(p, q): separately(p, q) for p in prices for q in qtys}
    assert {combined(p, q) for p, q in outcomes} >= {Reject.PRICE_FILTER, Reject.LOT_SIZE, Reject.NOTIONAL,
                                                     Reject.PRICE_QTY_ZERO, None}
    assert {key: combined(*key) for key in outcomes} == outcomes


def test_percent_price_decides_exactly_as_decimal_arithmetic_would():
    """The band is checked with integer ratios; it must agree with price vs reference x multiplier in Decimal."""
    import random

    multipliers = ["5", "0.2", "1.05", "0.95", "1.3333333", "0.00000001", "0"]
    rng = random.Random(3)
    for _ in range(2000):
        up, down = Decimal(rng.choice(multipliers)), Decimal(rng.choice(multipliers))
        inst = Instrument(make_spec(bid_multiplier_up=up, bid_multiplier_down=down, ask_multiplier_up=up,
                                    ask_multiplier_down=down))
        reference = rng.randint(1, 10**13)
        price = reference * rng.randint(0, 600) // 100 + rng.randint(-3, 3)
        expected_ok = not ((up and price > reference * up) or (down and price < reference * down))
        for is_buy in (True, False):
            try:
                inst.check_percent_price(is_buy, price, reference)
                ok = True
            except Exception:  # noqa: BLE001
                ok = False
            assert ok == expected_ok, (up, down, reference, price)
