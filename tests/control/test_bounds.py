"""Numbers and nesting the control plane, scenarios and config cannot be broken by: each is refused with a 4xx
naming the field, quickly, and a refused request changes nothing."""
from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from simulator.config import ConfigError, load_config
from simulator.control.api import Control
from simulator.control.errors import ControlError
from simulator.control.scenario_schema import ScenarioError, load_scenario_text
from simulator.inputs import MAX_CLOCK_MS
from tests.control.raw_http import raw


def state_of(server) -> str:
    return server.call(lambda: json.dumps(server.sim.snapshot(), sort_keys=True))


def post(server, path: str, body: str | bytes, timeout: float = 10):
    return raw(server.base_url + "/_sim/v1" + path, "POST", body if isinstance(body, bytes) else body.encode(),
               timeout=timeout)


def test_a_clock_advance_of_1e999999999_is_refused_at_once(live_server):
    before = state_of(live_server)
    started = time.monotonic()
    status, error = post(live_server, "/clock/advance", '{"ms": 1e999999999}', timeout=5)
    assert status == 400 and error["error"]["message"].startswith("ms: ")
    assert time.monotonic() - started < 2
    assert state_of(live_server) == before
    assert raw(live_server.base_url + "/_sim/v1/clock")[0] == 200


@pytest.mark.parametrize("path, body, field", [
    ("/clock/advance", '{"ms": 1e100000}', "ms"),
    ("/clock/advance", '{"ms": 1000000000000000000000000000000}', "ms"),  # 10**30 ms: never undone
    ("/clock/advance", '{"ms": 1000000000000000000000000000000000000000000000000000000000000}', "ms"),
    ("/clock/advance", '{"ms": 1.5}', "ms"),
    ("/clock/advance", '{"ms": NaN}', "ms"),
    ("/clock/skew", '{"ms": 1e5000}', "ms"),
    ("/clock/skew", '{"ms": -1000000000000000000000}', "ms"),
    ("/faults", '{"kind": "http_error", "count": 1e5000}', "count"),
    ("/faults", '{"kind": "http_error", "count": "1e5000"}', "count"),
    ("/faults", '{"kind": "http_latency", "ms": 99999999999999999999999}', "ms"),
    ("/faults", '{"kind": "http_error", "count": 1000000000000}', "count"),  # 64-bit, yet past a billion
    ("/faults", '{"kind": "clock_skew", "ms": -1000000000000000}', "ms"),  # 64-bit, yet 31,000 years
    ("/faults", '{"kind": "http_error", "durationMs": 1e999999999}', "durationMs"),
    ("/faults", '{"kind": "partial_fill", "orderId": 1, "qty": "1e999999999"}', "qty"),
    ("/faults", '{"kind": "http_error", "probability": 1e-999999999}', "probability"),
    ("/accounts/1/deposit", '{"asset": "USDT", "amount": "1e5000"}', "amount"),
    ("/accounts/1/deposit", '{"asset": "USDT", "amount": "1e999999999"}', "amount"),
    ("/accounts/1/deposit", '{"asset": "USDT", "amount": "1e-999999999"}', "amount"),
    ("/accounts/1/deposit", '{"asset": "USDT", "amount": "92233720368.54775808"}', "amount"),
    ("/accounts/1/deposit", '{"asset": "USDT", "amount": 0.1}', "amount"),
    ("/accounts/1/deposit", '{"asset": "USDT", "amount": 100000000000000000000000000000000000000000000}', "amount"),
    ("/accounts/1/deposit", '{"asset": "DOGE", "amount": "1"}', "asset"),
    ("/accounts/1/withdraw", '{"asset": "USDT", "amount": "1e999999999"}', "amount"),
    ("/accounts", '{"name": "x", "balances": {"USDT": "1e999999999"}}', "balances.USDT"),
    ("/accounts", '{"name": "x", "balances": {"DOGE": "1"}}', "balances.DOGE"),
    ("/accounts", '{"name": "x", "feeTier": 1e999999999}', "feeTier"),
    ("/accounts/1/fee-tier", '{"tier": 100000000000000000000000000}', "tier"),
    ("/orders", '{"accountId": 1, "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", '
                '"quantity": "1e999999999", "price": "1"}', "quantity"),
    ("/orders", '{"accountId": 1, "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", '
                '"quantity": "1", "price": "1e999999999"}', "price"),
    ("/orders", '{"accountId": 1, "symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", '
                '"quoteOrderQty": "-1e999999999"}', "quoteOrderQty"),
    ("/orders", '{"accountId": 1e999999999, "symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", '
                '"quantity": "1"}', "accountId"),
])
def test_out_of_range_numbers_are_refused_naming_the_field_and_change_nothing(live_server, path, body, field):
    before = state_of(live_server)
    status, error = post(live_server, path, body)
    assert status == 400, error
    assert error["error"]["message"].startswith(f"{field}: "), error
    assert state_of(live_server) == before


def test_a_take_of_1e999999999_is_refused(live_server):
    control = Control(live_server.sim)
    order = live_server.call(lambda: control.place_order(1, "BTCUSDT", "SELL", "LIMIT", quantity="0.1",
                                                         price="70000", time_in_force="GTC"))["order"]
    before = state_of(live_server)
    for qty in ('"1e999999999"', "1e999999999", '"0.1e-999999999"', '"Infinity"'):
        status, error = post(live_server, f"/orders/{order['orderId']}/take", f'{{"qty": {qty}}}')
        assert status == 400 and error["error"]["message"].startswith("qty: "), error
    assert state_of(live_server) == before


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_json_nested_too_deep_is_refused(live_server, depth):
    body = '{"name": ' + "[" * depth + "]" * depth + "}"
    status, error = post(live_server, "/accounts", body)
    assert status == 400 and "nested" in error["error"]["message"]


def test_integer_query_and_path_parameters_are_bounded(live_server):
    base = live_server.base_url + "/_sim/v1"
    for url in ("/events?after=" + "9" * 5000, "/events?limit=99999999999999999999", "/accounts/" + "9" * 5000,
                "/orders/-1", "/faults/1e999999999"):
        status, error = raw(base + url)
        assert status in (400, 404) and error["error"]["message"], url


def test_a_scenario_that_would_overflow_is_refused_before_its_reset(live_server):
    created = live_server.call(lambda: Control(live_server.sim).create_account(name="keep-me"))
    before = state_of(live_server)
    for step in ("take: {order: o, qty: '1e999999999'}", "advance: 1000000000000000000000000000000",
                 "deposit: {account: a, asset: USDT, amount: '1e999999999'}", "skew: -99999999999999999999",
                 "fault: {kind: http_error, count: 100000000000000000000000}"):
        scenario = ("name: x\ndescription: y\nsetup:\n  accounts: [{name: a, balances: {USDT: '1000'}}]\n"
                    "  book: [{as: o, account: a, symbol: BTCUSDT, side: BUY, price: '1', quantity: '1'}]\n"
                    f"steps:\n  - {step}\n")
        status, error = post(live_server, "/scenarios/run", json.dumps({"yaml": scenario}))
        assert status == 400 and error["error"]["code"] == "invalid_scenario", (step, error)
        assert "<request>:7: steps[0]" in error["error"]["message"], error
    assert state_of(live_server) == before
    assert created["id"] in [a["id"] for a in live_server.call(lambda: Control(live_server.sim).list_accounts())
                             ["accounts"]]


# --- in-process: the same bounds, whatever the caller passes ------------------------------------------------
@pytest.mark.parametrize("op, kwargs, field", [
    ("advance_clock", {"ms": Decimal("1e100000")}, "ms"),
    ("advance_clock", {"ms": MAX_CLOCK_MS + 1}, "ms"),
    ("advance_clock", {"ms": 10**5000}, "ms"),
    ("set_skew", {"ms": Decimal("-1e5000")}, "ms"),
    ("set_skew", {"ms": -MAX_CLOCK_MS - 1}, "ms"),
    ("deposit", {"account_id": 1, "asset": "USDT", "amount": Decimal("1e999999999")}, "amount"),
    ("deposit", {"account_id": 1, "asset": "USDT", "amount": 10**30}, "amount"),
    ("deposit", {"account_id": 1, "asset": "USDT", "amount": 1.5}, "amount"),
    ("add_fault", {"spec": {"kind": "http_error", "count": Decimal("1e5000")}}, "count"),
    ("events", {"after": 10**5000}, "after"),
])
def test_in_process_calls_get_the_same_bounds(control, op, kwargs, field):
    before = json.dumps(control.sim.snapshot(), sort_keys=True)
    with pytest.raises(ControlError) as caught:
        getattr(control, op)(**kwargs)
    assert caught.value.status == 400 and caught.value.message.startswith(f"{field}: "), caught.value.message
    assert json.dumps(control.sim.snapshot(), sort_keys=True) == before


def test_the_clock_cannot_be_pushed_past_its_horizon(control):
    control.advance_clock(MAX_CLOCK_MS)
    for _ in range(30):
        try:
            control.advance_clock(MAX_CLOCK_MS)
        except ControlError as exc:
            assert exc.message.startswith("ms: ") and "in total" in exc.message
            break
    else:
        pytest.fail("the clock kept moving forward by five years at a time")


def test_deposits_cannot_push_a_balance_past_64_bits(control):
    control.deposit(1, "USDT", "90000000000")
    with pytest.raises(ControlError) as caught:
        control.deposit(1, "USDT", "90000000000")
    assert caught.value.message.startswith("amount: ") and caught.value.status == 400
    assert control.get_account(1)["balances"]["USDT"]["free"] == "90001000000.00000000"


def test_deposits_of_assets_the_config_lists_are_accepted(control):
    assets = {"BTC", "ETH", "USDT"}
    for asset in assets:
        control.deposit(1, asset, "1")
    with pytest.raises(ControlError) as caught:
        control.deposit(1, "XRP", "1")
    assert caught.value.message.startswith("asset: ") and "BTC, ETH, USDT" in caught.value.message


# --- scenario files and config files ----------------------------------------------------------------------
HEAD = "name: t\ndescription: d\n"


@pytest.mark.parametrize("body, message", [
    ("steps:\n  - advance: 1000000000000000000000000000000\n", "bad.yaml:4: steps[0].advance: must be at most"),
    ("steps:\n  - advance: 1000000000000000\n", "bad.yaml:4: steps[0].advance: must be at most"),  # 31,000 years
    ("steps:\n  - skew: -1000000000000000\n", "bad.yaml:4: steps[0].skew: must be at least"),
    ("steps:\n  - wait: {event: {kind: trade}, pollMs: 100000000}\n", "bad.yaml:4: steps[0].wait.pollMs: must be at most"),
    ("steps:\n  - advance: " + "9" * 5000 + "\n", "bad.yaml:4: not valid YAML: "),
    ("steps:\n  - note: " + "[" * 5000 + "]" * 5000 + "\n", "bad.yaml:4: not valid YAML: nested more than"),
    ("steps:\n  - wait: {event: {kind: trade}, timeoutMs: 100000000000000}\n",
     "bad.yaml:4: steps[0].wait.timeoutMs: must be at most"),
    ("setup:\n  accounts:\n    - {name: a, balances: {USDT: '1e999999999'}}\nsteps:\n  - advance: 1\n",
     "bad.yaml:5: setup.accounts[0].balances.USDT: must be at most"),
    ("setup:\n  accounts:\n    - {name: a, balances: {USDT: 1.0e+999999999}}\nsteps:\n  - advance: 1\n",
     "bad.yaml:5: setup.accounts[0].balances.USDT: must be at most"),
    ("steps:\n  - expect: {openOrders: a, count: 100000000000000000000000}\n",
     "bad.yaml:4: steps[0].expect.count: must be at most"),
])
def test_scenario_numbers_are_bounded_when_the_file_is_read(body, message):
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(HEAD + body, "bad.yaml")
    assert str(caught.value).startswith(message), str(caught.value)


@pytest.mark.parametrize("replace, message", [
    ("seed: 42", "seed: " + "[" * 5000 + "]" * 5000),
    ("seed: 42", "seed: " + "9" * 5000),
    ('tick_size: "0.01"', 'tick_size: "1e999999999"'),
    ("seed: 42", "seed: 100000000000000000000000000000"),
])
def test_config_numbers_and_nesting_are_bounded(tmp_path, replace, message):
    from simulator.config import DEFAULT_CONFIG_PATH
    path = tmp_path / "c.yaml"
    path.write_text(DEFAULT_CONFIG_PATH.read_text().replace(replace, message, 1))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: "), str(caught.value)
