"""Scenarios: the file format (invalid files are refused with the line and the key path of the problem), and the
subject model played in-process: steps wait for the subject's traffic, the verdict judges it, and the exchange is
left clean whatever happens. (tests/scenarios runs every shipped scenario as a user does, with real clients.)"""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.control.scenario_schema import SCENARIO_DIR, ScenarioError, load_scenario_text
from simulator.control.api import Control
from simulator.control.scenarios import Player, Result, drive, load_scenario_file, play_in_process, shipped_files
from tests.control.conftest import frozen_sim

SHIPPED = shipped_files()


def test_at_least_twelve_scenarios_are_shipped_and_the_readme_names_each():
    assert len(SHIPPED) >= 12
    readme = (SCENARIO_DIR / "README.md").read_text()
    for path in SHIPPED:
        assert f"`{path.name}`" in readme, path.name


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenarios_say_what_a_correct_client_does_and_judge_it(path):
    scenario = load_scenario_file(path)
    assert scenario.name == path.stem and scenario.reproduces and scenario.correct
    assert scenario.verdict, "a shipped scenario ends with a verdict on the subject"
    assert not any(step.action == "advance" for step in scenario.steps), "no scenario moves the clock for good"
    assert not any(step.action == "cancel" and step.args["asClient"] for step in scenario.steps), \
        "a scenario never uses a fault meant for the subject's own requests"


def bad(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, "bad.yaml")
    return str(caught.value)


HEAD = "name: t\ndescription: d\n"


@pytest.mark.parametrize("body, message", [
    ("steps:\n  - advance: 1\n  - fault: {kind: xx}\n",
     "bad.yaml:5: steps[1].fault.kind: unknown fault 'xx'"),
    ("steps:\n  - fault:\n      kind: http_error\n      status: 404\n",
     "bad.yaml:6: steps[0].fault.status: 404 is not one of 500, 502, 503"),
    ("steps:\n  - jump: 3\n", "bad.yaml:4: steps[0].jump: unknown action"),
    ("steps:\n  - advance: 1\n    take: {order: a, qty: '1'}\n", "bad.yaml:4: steps[0]: one action per step, got advance, take"),
    ("steps:\n  - take: {order: nope, qty: '1'}\n",
     "bad.yaml:4: steps[0].take.order: no order named 'nope' defined before this step"),
    ("steps:\n  - place: {account: a, symbol: BTCUSDT, side: UP}\n",
     "bad.yaml:4: steps[0].place.side: 'UP' is not one of BUY, SELL"),
    ("steps:\n  - place: {account: a, symbol: BTCUSDT, side: BUY, price: abc}\n",
     "bad.yaml:4: steps[0].place.price: not a decimal number: 'abc'"),
    ("steps:\n  - expect: {order: o1}\n", "bad.yaml:4: steps[0].expect.order: no order named 'o1'"),
    ("steps:\n  - expect: {colour: red}\n", "bad.yaml:4: steps[0].expect: no subject"),
    ("steps:\n  - expect: {rateLimited: 500}\n", "bad.yaml:4: steps[0].expect.rateLimited: expected 429, 418"),
    ("steps:\n  - advance: 1\n    expectError: X\n",
     "bad.yaml:5: steps[0].expectError: advance steps cannot fail on purpose"),
    ("steps:\n  - clearFault: f9\n", "bad.yaml:4: steps[0].clearFault: expected 'all' or the name of a fault"),
    ("steps: []\n", "bad.yaml:3: steps: expected a non-empty list"),
    ("setup:\n  accounts:\n    - {name: a}\n    - {name: a}\nsteps:\n  - advance: 1\n",
     "bad.yaml:6: setup.accounts[1].name: duplicate account name 'a'"),
    ("setup:\n  colour: red\nsteps:\n  - advance: 1\n", "bad.yaml:4: setup.colour: unknown key"),
    ("steps:\n  - advance: 1\n  - advance: 1\n    advance: 2\n", "bad.yaml:6: not valid YAML: duplicate key 'advance'"),
    ("steps:\n  - advance: [1\n", "bad.yaml:5: not valid YAML"),
])
def test_invalid_scenarios_point_at_the_line(body, message):
    assert bad(HEAD + body).startswith(message)


def test_missing_top_level_keys():
    assert bad("name: t\nsteps:\n  - advance: 1\n").startswith("bad.yaml:1: description: required")


def test_yaml_floats_become_exact_decimals():
    scenario = load_scenario_text(HEAD + "setup:\n  accounts:\n    - {name: a, balances: {USDT: 0.1}}\n"
                                         "steps:\n  - advance: 1\n", "ok.yaml")
    assert scenario.accounts[0]["balances"] == {"USDT": "0.1"}
    assert isinstance(Decimal(scenario.accounts[0]["balances"]["USDT"]), Decimal)


def test_a_failed_expectation_stops_the_run_and_names_its_line(fsim):
    scenario = load_scenario_text(HEAD + "setup:\n  accounts:\n    - {name: a, balances: {USDT: '10'}}\n"
                                         "steps:\n  - expect: {balance: a, asset: USDT, free: '11'}\n"
                                         "  - advance: 1\n", "check.yaml")
    result = play_in_process(scenario, Control(fsim))
    assert not result.ok
    assert result.failure == "check.yaml:7: steps[0]: free is '10.00000000', expected '11'"
    assert [e.action for e in result.timeline if e.index >= 0] == ["expect"]  # the advance never ran


def test_an_expected_error_that_does_not_happen_fails(fsim):
    scenario = load_scenario_text(HEAD + "setup:\n  accounts:\n    - {name: a, balances: {USDT: '10000'}}\n"
                                         "steps:\n  - place: {account: a, symbol: BTCUSDT, side: BUY, price: '100',"
                                         " quantity: '0.1'}\n    expectError: INSUFFICIENT_BALANCE\n", "x.yaml")
    result = play_in_process(scenario, Control(fsim))
    assert not result.ok and "expected error INSUFFICIENT_BALANCE, but it succeeded" in result.failure


def test_a_wait_times_out_in_simulated_time(fsim):
    scenario = load_scenario_text(HEAD + "steps:\n  - wait: {event: {kind: trade}, timeoutMs: 500, pollMs: 100}\n",
                                  "w.yaml")
    start = fsim.clock.now_ms()
    result = play_in_process(scenario, Control(fsim))
    assert not result.ok and "within 500 ms" in result.failure
    assert fsim.clock.now_ms() - start == 500


# --- the subject model, played in-process ----------------------------------------------------------------
def _play(sim, text: str, on_sleep=None) -> "Result":
    """Play `text` on `sim` (frozen clock): each wait advances the clock, then `on_sleep(n)` may act as the
    subject would (n counts the waits so far)."""
    control = Control(sim)
    calls = iter(range(1, 1_000_000))

    def sleep(ms: int) -> None:
        control.advance_clock(ms)
        if on_sleep is not None:
            on_sleep(next(calls))

    return drive(Player(load_scenario_text(HEAD + text, "s.yaml"), control), sleep)


def test_a_subject_that_never_arrives_fails_and_the_console_says_what_was_awaited(fsim):
    seen = []
    scenario = load_scenario_text(HEAD + "steps:\n  - await: {arrival: true, timeoutMs: 300, pollMs: 100}\n"
                                  "verdict:\n  - {traffic: request}\n", "a.yaml")
    result = drive(Player(scenario, Control(fsim), on_entry=seen.append),
                   lambda ms: Control(fsim).advance_clock(ms))
    assert result.verdict == "FAIL" and not result.ok
    assert "no sign of the subject's first request or connection within 0.3 s" in result.failure
    assert any(e.pending and "waiting up to 0.3 s for the subject's first request" in e.render() for e in seen)
    assert result.checks == []  # the verdict checks never ran: the subject did not show up


def test_await_fires_on_the_subjects_request_and_a_mark_orders_what_came_after(fsim):
    demo = fsim.demo_keys[0].account_id

    def subject(n: int) -> None:
        if n == 2:
            fsim.traffic.request("POST /api/v3/order", demo)["status"] = 400
        if n == 3:
            fsim.traffic.request("GET /api/v3/time", None)["status"] = 200

    text = ("steps:\n  - await: {request: 'POST /api/v3/order', status: 400, mark: refused, timeoutMs: 1000}\n"
            "  - pause: 200\n"
            "verdict:\n  - {traffic: request, endpoint: 'GET /api/v3/time', after: refused, count: 1}\n"
            "  - {traffic: request, endpoint: 'POST /api/v3/order', after: refused, count: 0}\n"
            "  - {traffic: request, account: subject, min: 1, max: 1}\n")
    result = _play(fsim, text, subject)
    assert result.verdict == "PASS", [e.render() for e in result.timeline]
    assert [c["ok"] for c in result.checks] == [True, True, True]
    result = _play(fsim, text.replace("count: 1}", "count: 2}"), subject)
    assert result.verdict == "FAIL" and "1 seen, expected exactly 2" in result.failure


def test_a_wait_binds_the_subjects_order_and_the_verdict_reads_its_orders(fsim):
    control = Control(fsim)
    demo = fsim.demo_keys[0].account_id
    placed = []

    def subject(n: int) -> None:
        if n == 1:
            placed.append(control.place_order(account_id=demo, symbol="BTCUSDT", side="BUY", type="LIMIT",
                                              quantity="0.003", price="30000", time_in_force="GTC",
                                              client_order_id="mine-1")["order"])
        if n == 2:  # during the pause, once its buy is filled: it sells it back
            control.place_order(account_id=demo, symbol="BTCUSDT", side="SELL", type="LIMIT", quantity="0.003",
                                price="90000", time_in_force="GTC")

    text = ("setup:\n  marketMaker: false\n"
            "steps:\n  - wait: {event: {kind: order, account: subject, exec_type: NEW}, as: buy, timeoutMs: 500}\n"
            "  - take: {order: buy, qty: '0.001'}\n  - take: {order: buy}\n  - pause: 200\n"
            "verdict:\n  - {order: buy, status: FILLED}\n  - {orders: subject, clientOrderId: mine-1, count: 1}\n"
            "  - {orders: subject, side: SELL, sameQtyAs: buy}\n")
    result = _play(fsim, text, subject)
    assert result.verdict == "PASS", [e.render() for e in result.timeline]
    assert placed and control.get_order(order_id=placed[0]["orderId"])["order"]["status"] == "FILLED"
    result = _play(fsim, text.replace("count: 1}", "count: 2}"), subject)
    assert result.verdict == "FAIL" and "count is 1, expected 2" in result.failure


def test_the_exchange_is_left_clean_whatever_the_outcome(msim):
    control = Control(msim)
    before = control.clock()
    text = ("setup:\n  marketMaker: false\n  accounts:\n    - {name: maker, balances: {USDT: '100000'}}\n"
            "  book:\n    - {account: maker, symbol: BTCUSDT, side: BUY, price: '30000', quantity: '0.1'}\n"
            "steps:\n  - skew: -3000\n  - advance: 5000\n  - status: {symbol: ETHUSDT, status: HALT}\n"
            "  - rules: {symbol: BTCUSDT, tickSize: '1', minNotional: '20'}\n"
            "  - walk: {enabled: false}\n  - fault: {kind: http_error, endpoint: '/api/v3/order'}\n"
            "  - await: {connect: true, timeoutMs: 100}\n")
    result = _play(msim, text)
    assert result.verdict == "FAIL"
    cleanup = [e.render() for e in result.timeline if e.index == -3]
    assert control.list_faults()["faults"] == []
    clock = control.clock()
    assert clock["skewMs"] == before["skewMs"] == 0
    assert clock["advancedMs"] == before["advancedMs"] + 100  # the wait's 100 ms passed; the advance went back
    assert not control.prices()["marketMaker"]["paused"], cleanup
    symbols = control.symbols()["symbols"]
    assert symbols["ETHUSDT"]["status"] == "TRADING"
    assert (symbols["BTCUSDT"]["tickSize"], symbols["BTCUSDT"]["minNotional"]) == ("0.01000000", "5.00000000")
    maker = next(a["id"] for a in control.list_accounts()["accounts"] if a["name"] == "maker")
    assert control.list_orders(account_id=maker)["orders"] == []
    assert any("canceled 1 open order(s)" in line for line in cleanup)


def test_an_interrupted_scenario_still_cleans_up(fsim):
    control = Control(fsim)
    scenario = load_scenario_text(HEAD + "steps:\n  - fault: {kind: ws_silence}\n  - skew: 2000\n"
                                         "  - await: {arrival: true}\n", "i.yaml")
    player = Player(scenario, control)
    game = player.play()
    next(game)  # waiting for the subject
    assert control.list_faults()["faults"] and control.clock()["skewMs"] == 2000
    game.close()  # Ctrl-C, or the server stopping
    assert control.list_faults()["faults"] == [] and control.clock()["skewMs"] == 0
    assert player.result.verdict == "ERROR" and "interrupted" in player.result.failure


def test_a_scene_that_cannot_be_arranged_is_an_error_not_a_verdict_on_the_subject(fsim):
    result = _play(fsim, "steps:\n  - status: {symbol: BTCUSDT, status: HALT}\n"
                         "  - take: {order: nope}\n".replace("take: {order: nope}", "deposit: {account: ghost, "
                                                                                     "asset: USDT, amount: '1'}"))
    assert result.verdict == "ERROR" and "ghost" in result.failure
    assert Control(fsim).symbols()["symbols"]["BTCUSDT"]["status"] == "TRADING"


def test_a_delisting_has_no_undo_so_the_simulator_is_reset_when_the_scenario_ends(fsim):
    result = _play(fsim, "steps:\n  - delist: ETHUSDT\nverdict:\n  - {symbol: ETHUSDT, status: BREAK}\n")
    assert result.verdict == "FAIL"  # a delisted symbol is not in BREAK
    assert any("no undo" in e.summary for e in result.timeline if e.index == -3)
    assert Control(fsim).symbols()["symbols"]["ETHUSDT"]["status"] == "TRADING"
