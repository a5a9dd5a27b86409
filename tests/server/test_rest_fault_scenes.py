"""The REST faults the scenario scenes need, on the wire: windows that start on the subject's first request
(window: firstHit), a forced 429 storm escalating to a 418 ban for a client that ignores Retry-After, and the
answer delayed after its change is applied and streamed (http_latency phase after)."""
from __future__ import annotations

import asyncio

import pytest

from simulator.control.faults import FaultSpecError, validate_spec
from simulator.dialects.binance.wire.ratelimit import FIRST_BAN_MS
from tests.server import rest_helpers
from tests.server.rest_helpers import SYMBOL

rest = rest_helpers.rest  # shared fixture
rest_sim = rest_helpers.rest_sim  # shared fixture

LIMIT = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "50000"}
TIMEOUT_S = 5.0


# --- windows that start on first hit -------------------------------------------------------------------------
async def test_a_first_hit_window_counts_from_the_subjects_first_request_not_from_arming(rest):
    """A maintenance of 5 s armed long before the client arrives still lasts 5 s from its first request."""
    faults, clock = rest.sim.faults, rest.sim.clock
    fault = faults.add({"kind": "maintenance", "durationMs": 5000, "window": "firstHit",
                        "accountId": rest.account_id()})
    armed = rest.sim.engine.instruments[SYMBOL].status
    assert armed == "BREAK"  # the state effect is there from arming
    clock.advance(60_000)  # nobody comes for a minute: a start-counted window would be long over
    faults.tick()
    assert fault.to_dict(clock.now_ms())["firstHitAt"] is None and fault.ends_at is None
    first = clock.now_ms()
    assert (await rest.signed("GET", "/api/v3/account")).error[:2] == (503, -1008)
    shown = fault.to_dict(clock.now_ms())
    assert (shown["firstHitAt"], shown["endsAt"], shown["window"]) == (first, first + 5000, "firstHit")
    clock.advance(4999)
    assert (await rest.order(**LIMIT)).error[:2] == (503, -1008)
    clock.advance(1)
    faults.tick()
    assert rest.sim.engine.instruments[SYMBOL].status == "TRADING"
    assert (await rest.order(**LIMIT)).status == 200


async def test_a_first_hit_window_waits_for_its_targets_traffic_only(rest):
    faults, clock = rest.sim.faults, rest.sim.clock
    other = rest.counterparty()
    fault = faults.add({"kind": "http_error", "durationMs": 1000, "window": "firstHit",
                        "endpoint": "POST /api/v3/order"})
    assert (await rest.public("GET", "/api/v3/ping")).status == 200  # not its endpoint: the clock has not started
    assert fault.first_hit_at is None and other  # (a control-plane account changes nothing either)
    clock.advance(10_000)
    assert (await rest.order(**LIMIT)).error[:2] == (503, -1008)
    assert fault.first_hit_at == clock.now_ms()
    clock.advance(999)
    assert (await rest.order(**LIMIT)).status == 503
    clock.advance(1)
    assert (await rest.order(**LIMIT)).status == 200


async def test_a_first_hit_rate_limit_says_its_whole_window_in_retry_after(rest):
    faults, clock = rest.sim.faults, rest.sim.clock
    faults.add({"kind": "rate_limit", "status": 429, "ms": 20_000, "window": "firstHit"})
    clock.advance(600_000)
    faults.tick()
    refused = await rest.public("GET", "/api/v3/ping")
    assert refused.status == 429 and refused.headers["Retry-After"] == "20"
    clock.advance(20_000)
    assert (await rest.public("GET", "/api/v3/ping")).status == 200


async def test_first_hit_needs_a_duration():
    with pytest.raises(FaultSpecError, match="window: firstHit times a window"):
        validate_spec({"kind": "http_error", "window": "firstHit"})
    with pytest.raises(FaultSpecError, match="window"):
        validate_spec({"kind": "http_error", "window": "later", "durationMs": 5})


# --- 429 escalating to 418 ---------------------------------------------------------------------------------
async def test_hammering_through_a_forced_429_storm_is_banned_with_418(rest):
    rest.sim.faults.add({"kind": "rate_limit", "status": 429, "ms": 30_000})
    first = await rest.public("GET", "/api/v3/ping")
    assert first.status == 429 and first.headers["Retry-After"] == "30"
    assert (await rest.public("GET", "/api/v3/ping")).status == 429
    assert (await rest.public("GET", "/api/v3/ping")).status == 429
    banned = await rest.public("GET", "/api/v3/ping")  # the third request ignoring Retry-After
    assert banned.error[:2] == (418, -1003) and "IP banned until" in banned.body["msg"]
    assert banned.headers["Retry-After"] == str(FIRST_BAN_MS // 1000)
    rest.sim.faults.clear()
    # the ban outlives the storm, as a real one would
    assert (await rest.public("GET", "/api/v3/ping")).status == 418
    rest.sim.clock.advance(FIRST_BAN_MS)
    assert (await rest.public("GET", "/api/v3/ping")).status == 200


async def test_a_client_that_waits_out_a_forced_429_is_not_banned(rest):
    clock = rest.sim.clock
    rest.sim.faults.add({"kind": "rate_limit", "status": 429, "ms": 30_000})
    for _ in range(5):  # each time it is refused, it waits the Retry-After it was given
        refused = await rest.public("GET", "/api/v3/ping")
        if refused.status == 200:
            break
        assert refused.status == 429
        clock.advance(int(refused.headers["Retry-After"]) * 1000)
    assert (await rest.public("GET", "/api/v3/ping")).status == 200


# --- http_latency after the change ------------------------------------------------------------------------
async def test_latency_after_applies_the_order_before_its_answer_arrives(rest):
    seen: list[str] = []
    rest.sim.engine.subscribe(lambda event: seen.append(type(event).__name__))
    assert rest.sim.faults.add({"kind": "http_latency", "ms": 1}).params["phase"] == "before"  # the default
    rest.sim.faults.clear()
    rest.sim.faults.add({"kind": "http_latency", "ms": 400, "phase": "after", "endpoint": "POST /api/v3/order",
                         "count": 1})
    pending = asyncio.ensure_future(rest.order(newClientOrderId="late-answer", **LIMIT))
    account = rest.sim.engine.account(rest.account_id())

    async def placed() -> None:
        while not any(o.client_id == "late-answer" for o in account.open_orders.values()):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(placed(), TIMEOUT_S)  # in the book (and its events out) while the answer waits
    assert "OrderUpdate" in seen and not pending.done()
    reply = await asyncio.wait_for(pending, TIMEOUT_S)
    assert reply.status == 200 and reply.body["clientOrderId"] == "late-answer"
