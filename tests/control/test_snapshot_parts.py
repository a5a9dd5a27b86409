"""The parts a snapshot is made of, one by one: each part's public `state()` survives JSON, and the part rebuilt
from it (`restore` or `from_state`) holds the same state and behaves the same from there (the same next key,
the same next walk step, the same refusals). A bad state is refused with TypeError or ValueError, and an
in-place `restore` then leaves the part as it was. Also: the snapshot document's format 1 layout is pinned, and
a corrupt document never fails with anything but SnapshotError."""
from __future__ import annotations

import copy
import json
import random

import pytest

from simulator.clock import SimClock
from simulator.control.snapshot import SnapshotError, load
from simulator.core import Simulator
from simulator.server import build_simulator
from simulator.dialects.binance.wire.venue_state import binance_wire
from simulator.credentials import KeyRing
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.dialects.binance.wire.listen_keys import ListenKeys
from simulator.dialects.binance.wire.ratelimit import Pool, RateLimiter
from simulator.jsonstate import expect_bool, expect_int, expect_optional_int, rng_from_state, rng_state
from simulator.market.index_price import IndexPrices
from simulator.market.maker import MarketMaker
from tests.control.conftest import T0, frozen_sim
from tests.control.test_snapshot import ops_a


def through_json(state):
    return json.loads(json.dumps(state))


# --- RNG state ------------------------------------------------------------------------------------------
def test_an_rng_state_survives_json_and_continues_the_same_sequence():
    rng = random.Random("seed")
    rng.gauss(0, 1)  # leaves a cached gauss_next, stored as float.hex
    state = through_json(rng_state(rng))
    assert state[2] is not None
    copy_ = rng_from_state(state)
    assert copy_.getstate() == rng.getstate()
    assert [copy_.gauss(0, 1), copy_.getrandbits(64)] == [rng.gauss(0, 1), rng.getrandbits(64)]


@pytest.mark.parametrize("bad", [
    None, [], [3, [1, 2], None], "rng",
    lambda s: [s[0], s[1][:-1], s[2]],  # wrong length
    lambda s: [s[0], [-1] * len(s[1]), s[2]],  # out of range: OverflowError inside `random`
    lambda s: [s[0], [str(w) for w in s[1]], s[2]],
    lambda s: [s[0], s[1], "0x1p99999"],  # gauss_next too large: OverflowError inside float.fromhex
    lambda s: [s[0], s[1], 0.5],
    lambda s: [True, s[1], s[2]],
])
def test_a_bad_rng_state_is_refused_with_type_or_value_error(bad):
    state = bad(rng_state(random.Random(1))) if callable(bad) else bad
    with pytest.raises((TypeError, ValueError)):
        rng_from_state(state)


def test_the_value_checks():
    assert expect_int(5) == 5 and expect_optional_int(None) is None and expect_bool(False) is False
    for check, value in ((expect_int, True), (expect_int, 1.0), (expect_int, "1"), (expect_bool, 1),
                         (expect_optional_int, "x")):
        with pytest.raises(TypeError, match="what"):
            check(value, "what")


# --- clock ----------------------------------------------------------------------------------------------
def test_a_frozen_clock_round_trips():
    clock = SimClock(frozen_at_ms=T0)
    clock.advance(1500)
    clock.set_skew(-300)
    restored = SimClock.from_state(through_json(clock.state()))
    assert restored.state() == clock.state() == {"frozen_at": T0, "advanced_ms": 1500, "skew_ms": -300}
    assert (restored.now_ms(), restored.server_time_ms()) == (clock.now_ms(), clock.server_time_ms())
    restored.advance(10)
    clock.advance(10)
    assert restored.now_ms() == clock.now_ms()


def test_a_running_clock_keeps_its_offsets():
    clock = SimClock()
    clock.advance(60_000)
    clock.set_skew(250)
    restored = SimClock.from_state(through_json(clock.state()))
    assert not restored.frozen and restored.state() == clock.state()
    assert 0 <= restored.now_ms() - clock.now_ms() < 5_000  # both on the wall clock, plus the same advance


@pytest.mark.parametrize("change", [{"frozen_at": "now"}, {"advanced_ms": -1}, {"skew_ms": True}, {"skew_ms": 1.5}])
def test_a_bad_clock_state_is_refused(change):
    with pytest.raises((TypeError, ValueError)):
        SimClock.from_state({"frozen_at": T0, "advanced_ms": 0, "skew_ms": 0, **change})


# --- API keys -------------------------------------------------------------------------------------------
def key_ring() -> KeyRing:
    ring = KeyRing()
    ring.add(1)
    ring.add(2, "given-key", "given-secret")
    ring.add(1)
    return ring


def test_a_key_ring_round_trips():
    ring = key_ring()
    restored = KeyRing()
    restored.restore(through_json(ring.state()))
    assert restored.state() == ring.state()
    assert restored.all() == ring.all() and restored.get("given-key") == ring.get("given-key")
    with pytest.raises(ValueError, match="already in use"):
        restored.add(8, "given-key")


@pytest.mark.parametrize("corrupt", [
    lambda s: s["keys"].append(list(s["keys"][0])),  # the same key twice
    lambda s: s["keys"][0].__setitem__(2, "1"),
    lambda s: s["keys"][0].__setitem__(1, None),
    lambda s: s["keys"].append(["k", "s"]),
    lambda s: s.pop("keys"),
])
def test_a_bad_key_ring_state_changes_nothing(corrupt):
    ring = key_ring()
    before = ring.state()
    state = copy.deepcopy(before)
    corrupt(state)
    with pytest.raises((KeyError, TypeError, ValueError)):
        ring.restore(state)
    assert ring.state() == before


# --- listenKeys -----------------------------------------------------------------------------------------
def listen_keys() -> ListenKeys:
    keys = ListenKeys(ttl_ms=60_000)
    keys.create(1, T0)
    keys.create(2, T0 + 10)
    keys.close(keys.create(3, T0), 3, T0)
    return keys


def test_listen_keys_round_trip():
    keys = listen_keys()
    restored = ListenKeys(ttl_ms=60_000)
    restored.restore(through_json(keys.state()))
    assert restored.state() == keys.state() and len(restored.entries()) == 2
    assert restored.create(1, T0 + 30) == keys.create(1, T0 + 30)  # the live key, extended
    assert restored.state() == keys.state()
    assert [k.key for k in restored.sweep(T0 + 60_015)] == [k.key for k in keys.sweep(T0 + 60_015)]


def test_entries_lists_what_the_state_holds():
    keys = listen_keys()
    assert keys.entries() == keys.state()["keys"]
    assert [(e["account_id"], e["expires_at"]) for e in keys.entries()] == [(1, T0 + 60_000), (2, T0 + 60_010)]


@pytest.mark.parametrize("corrupt", [
    lambda s: s["keys"].append(dict(s["keys"][0])),  # the same key twice
    lambda s: s["keys"][0].update(account_id=None),
    lambda s: s["keys"][1].pop("expires_at"),
    lambda s: s["keys"][1].update(key=7),
    lambda s: s.update(keys=None),
])
def test_a_bad_listen_keys_state_changes_nothing(corrupt):
    keys = listen_keys()
    before = keys.state()
    state = copy.deepcopy(before)
    corrupt(state)
    with pytest.raises((KeyError, TypeError, ValueError)):
        keys.restore(state)
    assert keys.state() == before


# --- rate limiter ---------------------------------------------------------------------------------------
class FakeClock:
    def __init__(self, now: int = T0):
        self.now = now

    def __call__(self) -> int:
        return self.now


POOLS = [Pool("REQUEST_WEIGHT", "MINUTE", 1, 10), Pool("ORDERS", "SECOND", 10, 3),
         Pool("RAW_REQUESTS", "MINUTE", 5, 1000)]


def outcome(call):
    try:
        return call()
    except BinanceError as error:
        return error.status, error.code, error.msg, error.headers


def busy_limiter(clock: FakeClock) -> RateLimiter:
    """One IP limited, then banned; another limited with 429s ignored; orders counted; a forced 429."""
    limits = RateLimiter(POOLS, clock)
    for _ in range(15):
        outcome(lambda: limits.charge_request("1.1.1.1", 1))
    for _ in range(12):
        outcome(lambda: limits.charge_request("2.2.2.2", 1))
    for _ in range(4):
        outcome(lambda: limits.charge_order(42))
    limits.force(429, T0 + 1_000)
    return limits


def test_a_rate_limiter_round_trips_and_refuses_the_same_way():
    clock = FakeClock()
    limits = busy_limiter(clock)
    state = limits.state()
    assert state["ips"] and state["forced"] == [429, T0 + 1_000] and limits.forced == (429, T0 + 1_000)
    restored = RateLimiter(POOLS, clock, enabled=False)
    restored.restore(through_json(state))
    assert restored.state() == state and restored.enabled and restored.forced == limits.forced
    calls = [("1.1.1.1", 1), ("2.2.2.2", 1), ("2.2.2.2", 1), ("3.3.3.3", 9), ("3.3.3.3", 2)]
    for now in (T0, T0 + 1_000, T0 + 60_000, T0 + 200_000):  # forced, limited/banned, new window, ban over
        clock.now = now
        for ip, weight in calls:
            assert outcome(lambda: restored.charge_request(ip, weight)) == \
                outcome(lambda: limits.charge_request(ip, weight))
        assert outcome(lambda: restored.charge_order(42)) == outcome(lambda: limits.charge_order(42))
    assert restored.state() == limits.state()


@pytest.mark.parametrize("corrupt", [
    lambda s: s.update(enabled="yes"),
    lambda s: s["windows"].append([3, "1.1.1.1", T0, 1]),  # there are only 3 pools
    lambda s: s["windows"].append([0, ["ip"], T0, 1]),
    lambda s: s["windows"][0].__setitem__(3, "7"),
    lambda s: s["ips"][0][1].pop("bans"),
    lambda s: s["ips"][0][1].update(extra=1),
    lambda s: s["ips"][0][1].update(bans=None),
    lambda s: s.update(forced=[503, T0]),
    lambda s: s.update(forced=[429]),
])
def test_a_bad_rate_limiter_state_changes_nothing(corrupt):
    limits = busy_limiter(FakeClock())
    before = limits.state()
    state = copy.deepcopy(before)
    corrupt(state)
    with pytest.raises((KeyError, TypeError, ValueError)):
        limits.restore(state)
    assert limits.state() == before


# --- index prices ---------------------------------------------------------------------------------------
def index_prices() -> tuple[IndexPrices, dict]:
    instruments = frozen_sim().engine.instruments
    index = IndexPrices(random.Random("index"), volatility_bps=25)
    for symbol in ("BTCUSDT", "ETHUSDT"):
        inst = instruments[symbol]
        index.track(inst, inst.parse_price("1000"), walking=symbol == "BTCUSDT")
    for _ in range(3):
        index.step()
    return index, instruments


def test_index_prices_round_trip_and_take_the_same_next_steps():
    index, instruments = index_prices()
    restored = IndexPrices.from_state(through_json(index.state()), 25, instruments)
    assert restored.state() == index.state()
    for _ in range(5):
        index.step()
        restored.step()
        assert restored.prices == index.prices
    assert restored.walking == {"BTCUSDT": True, "ETHUSDT": False}
    restored.set("ETHUSDT", 123_456_789)  # the instruments are wired back: `set` rounds to the tick
    index.set("ETHUSDT", 123_456_789)
    assert restored.prices == index.prices


@pytest.mark.parametrize("corrupt", [
    lambda s: s["prices"].update(DOGEUSDT=5),
    lambda s: s["walking"].pop("ETHUSDT"),
    lambda s: s["walking"].update(ETHUSDT=1),
    lambda s: s["prices"].update(BTCUSDT=0),
    lambda s: s["prices"].update(BTCUSDT="1000"),
    lambda s: s.update(rng=[3, [], None]),
])
def test_a_bad_index_state_is_refused(corrupt):
    index, instruments = index_prices()
    state = index.state()
    corrupt(state)
    with pytest.raises((KeyError, TypeError, ValueError)):
        IndexPrices.from_state(state, 25, instruments)


# --- market maker ---------------------------------------------------------------------------------------
def busy_market() -> Simulator:
    sim = frozen_sim(with_market_maker=True)
    for _ in range(4):
        sim.clock.advance(700)
        sim.tick()
    return sim


def test_a_market_maker_round_trips_and_quotes_and_trades_the_same_way():
    sim = busy_market()
    copy_ = Simulator.from_snapshot(through_json(sim.snapshot()), wire=binance_wire)  # the engine state it refers to
    accounts = copy_.engine.next_account_id
    restored = MarketMaker.from_state(copy_.engine, copy_.config.market_maker,
                                      through_json(sim.market_maker.state()))
    assert copy_.engine.next_account_id == accounts  # it opened no accounts, deposited nothing
    assert restored.state() == sim.market_maker.state() and restored.quotes
    copy_.market_maker.perp.follow(restored)  # the perpetual books' maker follows its owner (perp_maker.py)
    copy_.market_maker = restored
    for _ in range(5):
        for s in (sim, copy_):
            s.clock.advance(450)
            s.tick()  # walk, requote, counterparty trades
        assert restored.state() == sim.market_maker.state()
        assert copy_.engine.seq == sim.engine.seq
    assert copy_.snapshot() == sim.snapshot()


@pytest.mark.parametrize("corrupt, words", [
    (lambda s: s.update(account_id=9999), "account 9999 does not exist"),
    (lambda s: s["counterparties"].append(9999), "account 9999 does not exist"),
    (lambda s: s["quotes"]["BTCUSDT"].append(["BUY", 1, 999_999]), "not one of its BTCUSDT orders"),
    (lambda s: s["quotes"]["BTCUSDT"].append(["UP", 1, 1]), "side"),
    (lambda s: s["quotes"].pop("ETHUSDT"), "different symbols"),
    (lambda s: s["symbols"].append("DOGEUSDT"), "no index price for DOGEUSDT"),
    (lambda s: s.update(next_trade=None), "next_trade"),
])
def test_a_bad_market_maker_state_is_refused(corrupt, words):
    sim = busy_market()
    state = sim.market_maker.state()
    corrupt(state)
    with pytest.raises((KeyError, TypeError, ValueError), match=words):
        MarketMaker.from_state(sim.engine, sim.config.market_maker, state)


def test_another_accounts_order_is_not_a_quote():
    sim = busy_market()
    state = sim.market_maker.state()
    demo = sim.demo_keys[0].account_id  # (the counterparties' finished orders are not kept: place one)
    inst = sim.engine.instruments["BTCUSDT"]
    theirs = sim.engine.place_order(demo, "BTCUSDT", "BUY", "LIMIT", qty=inst.parse_qty("0.001"),
                                    price=inst.parse_price("60000"), tif="GTC").order
    state["quotes"][theirs.symbol].append(["BUY", 1, theirs.order_id])
    with pytest.raises(ValueError, match="not one of its"):
        MarketMaker.from_state(sim.engine, sim.config.market_maker, state)


# --- the document ---------------------------------------------------------------------------------------
def test_the_format_1_layout_is_pinned():
    """The parts now own their state; this catches a part changing the document without a version bump."""
    sim = frozen_sim(with_market_maker=True)
    ops_a(sim)
    doc = sim.snapshot()
    assert set(doc) == {"format", "version", "seed", "config", "clock", "rng", "engine", "keys", "demo_keys",
                        "listen_keys", "limiter", "market_maker", "market_paused", "counterparty", "faults",
                        "recent_events", "futures_listen_keys", "futures_limiter", "futures", "symbol_rules"}
    # "futures" (the perpetuals' engine) and "symbol_rules" (rules changed mid-session) are optional on load: a
    # document written before them loads without them
    assert set(doc["clock"]) == {"frozen_at", "advanced_ms", "skew_ms"}
    assert set(doc["rng"]) == {"engine", "faults"}  # API keys and listenKeys come from the OS: no RNG
    assert all(len(entry) == 3 for entry in doc["keys"])
    assert set(doc["listen_keys"][0]) == {"key", "account_id", "expires_at"}
    assert set(doc["limiter"]) == set(doc["futures_limiter"]) == {"enabled", "windows", "ips", "forced"}
    assert set(doc["market_maker"]) == {"rng", "index_rng", "prices", "walking", "account_id", "counterparties",
                                        "symbols", "quotes", "next_requote", "next_trade"}


@pytest.mark.parametrize("version", [True, 1.0, "1", None, 2])
def test_only_version_1_itself_is_read(msim, version):
    document = msim.snapshot()
    document["version"] = version
    with pytest.raises(SnapshotError, match="unsupported snapshot version"):
        load(document, build_simulator)


def leaves(node, path=()):
    """Every value's path in a document (only the first two items of each list)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        yield path
        for index, value in enumerate(node[:2]):
            yield from leaves(value, (*path, index))
    else:
        yield path


def test_a_corrupt_document_fails_only_with_snapshot_error_and_changes_nothing():
    """Wrong values all over the document (a seeded sample): each is refused with SnapshotError, before
    anything is swapped, or loads; never another exception (a 500 on the control plane)."""
    sim = frozen_sim(with_market_maker=True)
    ops_a(sim)
    document = through_json(sim.snapshot())
    rng = random.Random(7)
    paths = [p for p in leaves(document) if p and p[0] != "config"]  # config values are the config's tests
    refused = 0
    for path in rng.sample(paths, 150):
        corrupt = copy.deepcopy(document)
        node = corrupt
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = rng.choice(["x", None, -1, 2**70, [], {}, True, 1.5, [1, 2]])
        try:
            sim.restore(corrupt)
        except SnapshotError:
            refused += 1
            assert sim.snapshot() == document, path
        else:
            sim.restore(document)
    assert refused > 50
