"""Scenarios: every shipped one validates and plays in-process to the end with its expectations met; invalid
files are refused with the line and the key path of the problem."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.control.scenario_schema import SCENARIO_DIR, ScenarioError, load_scenario_text
from simulator.control.api import Control
from simulator.control.scenarios import load_scenario_file, play_in_process, shipped_files
from tests.control.conftest import frozen_sim

SHIPPED = shipped_files()


def test_at_least_twelve_scenarios_are_shipped_and_the_readme_names_each():
    assert len(SHIPPED) >= 12
    readme = (SCENARIO_DIR / "README.md").read_text()
    for path in SHIPPED:
        assert f"`{path.name}`" in readme, path.name


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_plays_in_process(path):
    scenario = load_scenario_file(path)
    assert scenario.name == path.stem and scenario.reproduces
    sim = frozen_sim(with_market_maker=True)  # the setup pauses the market maker and resets
    result = play_in_process(scenario, Control(sim))
    assert result.ok, "\n".join([result.failure or ""] + [e.render() for e in result.timeline])
    assert [e.index for e in result.timeline if e.index >= 0] == list(range(len(scenario.steps)))
    # and again on the same simulator: a scenario starts from its own reset
    assert play_in_process(scenario, Control(sim)).ok


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
