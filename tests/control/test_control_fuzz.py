"""Huge and odd numbers (and other odd values) thrown at every control route over HTTP: never a 5xx, always the
JSON error form, and a refused request leaves the simulator exactly as it was."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.app_keys import BACKGROUND_JOBS
from simulator.control.routes import PATH_PARAMS, ROUTES, Route
from simulator.control.faults import KINDS
from simulator.server import create_app
from tests.control.conftest import frozen_sim
from tests.control.raw_http import raw
from tests.live_server import LiveServer

# JSON number texts that break unbounded parsing: huge and tiny exponents, 64-bit edges, floats, non-numbers.
ODD_NUMBERS = ["1e999999999", "-1e999999999", "1e-999999999", "1e100000", "-1e5000", "1E+30", "0.1e-40", "-0",
               "0", "1.5", "1.0", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
               "1" + "0" * 60, "0.000000001", "123456789012345678901234567890.5", "NaN", "Infinity", "-Infinity"]
odd_json = st.one_of(
    st.sampled_from(ODD_NUMBERS),  # as a JSON number
    st.sampled_from(ODD_NUMBERS).map(json.dumps),  # as a string
    st.integers(min_value=-10**45, max_value=10**45).map(str),
    st.sampled_from(["null", "true", "[]", "{}", '"abc"', '""', '" 1 "', '"1_000"', '"0x10"', "[[[[[[1]]]]]]"]),
)
# What a field normally holds, so that some requests get far enough to be applied.
SENSIBLE = {"accountId": "1", "asset": '"USDT"', "amount": '"1"', "tier": "0", "feeTier": "0", "ms": "1000",
            "symbol": '"BTCUSDT"', "side": '"SELL"', "type": '"LIMIT"', "quantity": '"0.01"', "price": '"70000"',
            "timeInForce": '"GTC"', "qty": '"0.001"', "enabled": "false", "status": '"TRADING"', "name": '"fuzz"',
            "balances": '{"USDT": "10"}', "quoteOrderQty": '"10"', "stopPrice": '"60000"'}
PATHS = {"account_id": "1", "order_id": "1", "fault_id": "1", "symbol": "BTCUSDT"}
ODD_PATH_TEXT = ["1e999999999", "9" * 5000, "-1", "0", "9223372036854775808", "1.5", "NaN", "%20", "abc"]
# fill_during_cancel changes state on purpose when a cancel then fails (its whole point); not a refusal's doing.
FUZZ_KINDS = sorted(kind for kind in KINDS if kind != "fill_during_cancel")
SCENARIO_STEPS = ["advance: {n}", "skew: {n}", "deposit: {{account: demo, asset: USDT, amount: {n}}}",
                  "withdraw: {{account: demo, asset: USDT, amount: {n}}}", "feeTier: {{account: demo, tier: {n}}}",
                  "fault: {{kind: http_error, count: {n}}}", "wait: {{event: {{kind: trade}}, timeoutMs: {n}}}",
                  "expect: {{openOrders: demo, count: {n}}}", "index: {{symbol: BTCUSDT, price: {n}}}"]


def requests_only(sim, **options):
    """The whole app without its background jobs (market ticks, the stream hub's listenKey sweeps), on a frozen
    clock: nothing changes between requests on its own, even after an example moved the clock past an expiry, so
    a change seen is the request's."""
    app = create_app(sim, **options)
    app[BACKGROUND_JOBS].clear()
    return app


@pytest.fixture(scope="module")
def server():
    live = LiveServer(frozen_sim(), app_factory=requests_only).start()
    yield live
    live.stop()


def state_of(server: LiveServer) -> str:
    return server.call(lambda: json.dumps(server.sim.snapshot(), sort_keys=True))


def without_rejections(state: str) -> str:
    """The state with the engine's record of refused placements taken out: an order the engine refuses changes
    nothing, but leaves an OrderRejected event (simulator.engine.engine and its perpetual twin, the one documented exception)."""
    document = json.loads(state)
    for part in (document, document.get("futures") or {}):  # the spot engine and the perpetual one alike
        if "engine" in part:
            part["engine"]["seq"] = None
        if "recent_events" in part:
            part["recent_events"] = [e for e in part["recent_events"] if e["kind"] != "rejected"]
    return json.dumps(document, sort_keys=True)


@st.composite
def requests(draw, route: Route) -> tuple[str, str, bytes | None]:
    path = route.path
    for name in PATH_PARAMS:
        if "{" + name + "}" in path:
            text = draw(st.one_of(st.just(PATHS[name]), st.sampled_from(ODD_PATH_TEXT)))
            path = path.replace("{" + name + "}", text)
    query = [f"{key}={draw(st.sampled_from(ODD_PATH_TEXT + ['1', 'true']))}" for key, _, _ in route.query
             if draw(st.booleans())]
    if query:
        path += "?" + "&".join(query)
    body = None
    if route.body_is == "spec":
        kind = draw(st.sampled_from(FUZZ_KINDS))
        keys = [*KINDS[kind].params, "count", "probability", "durationMs", "afterMs", "accountId"]
        fields = [f'"{key}": {draw(odd_json)}' for key in keys if draw(st.booleans())]
        body = "{" + ", ".join([f'"kind": "{kind}"', *fields]) + "}"
    elif route.body_is == "document":
        body = None  # filled in by the test: the current snapshot with one number made odd
    elif route.op in ("load_scenario", "run_scenario"):
        step = draw(st.sampled_from(SCENARIO_STEPS)).format(n=draw(st.sampled_from(ODD_NUMBERS)))
        body = json.dumps({"yaml": f"name: fuzz\ndescription: odd numbers\nsetup: {{reset: false}}\n"
                                   f"steps:\n  - {step}\n"})
    elif route.body:
        fields = []
        for key, _ in route.body:
            choice = draw(st.sampled_from(["omit", "sensible", "odd"]))
            if choice == "sensible" and key in SENSIBLE:
                fields.append(f'"{key}": {SENSIBLE[key]}')
            elif choice == "odd":
                fields.append(f'"{key}": {draw(odd_json)}')
        body = "{" + ", ".join(fields) + "}"
    return route.method, path, body.encode() if body is not None else None


def _odd_snapshot(server: LiveServer, data) -> bytes:
    document = server.call(server.sim.snapshot)
    numbers = []

    def walk(node):
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            if type(value) is int:
                numbers.append((node, key))
            walk(value)

    walk(document)
    # The same draws whatever the document holds (it grows as examples apply changes): an index, wrapped.
    node, key = numbers[data.draw(st.integers(min_value=0, max_value=10**6)) % len(numbers)]
    marker = "__odd_number__"
    node[key] = marker
    return json.dumps(document).replace(f'"{marker}"', data.draw(st.sampled_from(ODD_NUMBERS))).encode()


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method} {r.path}" for r in ROUTES])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_odd_numbers_never_break_a_route_and_refusals_change_nothing(server, route, data):
    method, path, body = data.draw(requests(route))
    if route.body_is == "document":
        body = _odd_snapshot(server, data)
    before = state_of(server)
    status, answer = raw(server.base_url + "/_sim/v1" + path, method, body, timeout=10)
    assert status < 500, (method, path, body and body[:300], answer)
    if status >= 400:
        assert answer["error"]["code"] and answer["error"]["message"], answer
        after = state_of(server)
        if answer["error"]["code"] == "order_rejected":  # the engine refused it: it only wrote that down
            before, after = without_rejections(before), without_rejections(after)
        assert after == before, (method, path, body and body[:300], answer)
