"""A scenario's perpetual steps and checks: bad values refused with their line, and played in-process on a frozen
clock with the default market maker: funding set and settled, the mark moved, an own account's leveraged long
liquidated by an index gap, and everything put back when the scenario ends."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.config import load_config
from simulator.control.api import Control
from simulator.control.client import ControlClient
from simulator.control.scenario_schema import ScenarioError, load_scenario_text
from simulator.control.scenarios import play_in_process, play_remote
from simulator.server import build_simulator
from tests.live_server import LiveServer

HEAD = "name: t\ndescription: d\n"


def bad(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(HEAD + text, "bad.yaml")
    return str(caught.value)


@pytest.mark.parametrize("body, message", [
    ("steps:\n  - fundingRate: {symbol: BTCUSDT, rate: '0.5'}\n",
     "bad.yaml:4: steps[0].fundingRate.rate: must be at most 0.03"),
    ("steps:\n  - pause: 1\n  - fundingRate:\n      symbol: BTCUSDT\n      rate: '0.000000001'\n",
     "bad.yaml:7: steps[1].fundingRate.rate: at most 8 decimals"),
    ("steps:\n  - markPrice: {symbol: BTCUSDT, price: '1', premium: '2'}\n",
     "bad.yaml:4: steps[0].markPrice: give exactly one of price and premium"),
    ("steps:\n  - markPrice: {symbol: BTCUSDT, premium: 'x'}\n",
     "bad.yaml:4: steps[0].markPrice.premium: not a decimal number"),
    ("steps:\n  - settle: ''\n", "bad.yaml:4: steps[0].settle: expected a non-empty string"),
    ("steps:\n  - futuresSettings: {account: a, symbol: BTCUSDT, leverage: 200}\n",
     "bad.yaml:4: steps[0].futuresSettings.leverage: must be at most 125"),
    ("steps:\n  - futuresSettings: {account: a, leverage: 5}\n",
     "bad.yaml:4: steps[0].futuresSettings.symbol: required with leverage or marginType"),
    ("steps:\n  - futuresSettings: {account: a, symbol: BTCUSDT, marginType: MIXED}\n",
     "bad.yaml:4: steps[0].futuresSettings.marginType: 'MIXED' is not one of CROSSED, ISOLATED"),
    ("steps:\n  - futuresPlace: {account: a, symbol: BTCUSDT, side: BUY, positionSide: UP}\n",
     "bad.yaml:4: steps[0].futuresPlace.positionSide: 'UP' is not one of BOTH, LONG, SHORT"),
    ("steps:\n  - futuresPlace: {account: a, symbol: BTCUSDT, side: BUY, quantity: '-1'}\n",
     "bad.yaml:4: steps[0].futuresPlace.quantity: must be greater than zero"),
    ("steps:\n  - futuresDeposit: {account: a, asset: USDT, amount: '0'}\n",
     "bad.yaml:4: steps[0].futuresDeposit.amount: must be greater than zero"),
    ("steps:\n  - pause: 1\nverdict:\n  - {position: subject, symbol: BTCUSDT, amount: lots}\n",
     "bad.yaml:6: verdict[0].amount: not a decimal number"),
    ("steps:\n  - pause: 1\nverdict:\n  - {income: subject, sign: owed}\n",
     "bad.yaml:6: verdict[0].sign: 'owed' is not one of positive, negative"),
    ("steps:\n  - pause: 1\nverdict:\n  - {income: subject, incomeType: BONUS}\n",
     "bad.yaml:6: verdict[0].incomeType: 'BONUS' is not one of TRANSFER"),
    ("steps:\n  - pause: 1\nverdict:\n  - {futuresOpenOrders: subject, type: ICEBERG}\n",
     "bad.yaml:6: verdict[0].type: 'ICEBERG' is not one of LIMIT"),
    ("steps:\n  - pause: 1\nverdict:\n  - {futuresAccount: subject, asset: USDT}\n",
     "bad.yaml:6: verdict[0]: asset and walletBalance go together"),
])
def test_bad_perpetual_steps_and_checks_point_at_their_line(body, message):
    assert bad(body).startswith(message)


def _play(sim, body: str):
    control = Control(sim)
    control.tick()
    control.advance_clock(600)  # the market maker has quoted the perpetual books
    return control, play_in_process(load_scenario_text(HEAD + body, "perp.yaml"), control)


SCENE = """setup:
  reset: false
  instruments:
    - {symbol: BTCUSDT, index: "65000"}
  accounts:
    - {name: whale}
steps:
  - walk: {symbol: BTCUSDT, enabled: false}
  - futuresDeposit: {account: whale, asset: USDT, amount: "300"}
  - futuresSettings: {account: whale, symbol: BTCUSDT, leverage: 50, marginType: ISOLATED}
  - futuresPlace: {account: whale, symbol: BTCUSDT, side: BUY, type: MARKET, quantity: "0.1"}
  - expect: {position: whale, symbol: BTCUSDT, amount: "0.1", leverage: 50, marginType: ISOLATED}
  - fundingRate: {symbol: BTCUSDT, rate: "-0.0005"}
  - settle: BTCUSDT
  - expect: {income: whale, incomeType: FUNDING_FEE, sign: positive, count: 1}
  - markPrice: {symbol: BTCUSDT, premium: "-100"}
  - index: {symbol: BTCUSDT, price: "62000"}
  - expect: {position: whale, symbol: BTCUSDT, amount: "0"}
verdict:
  - {income: whale, incomeType: FUNDING_FEE, count: 1}
  - {income: whale, incomeType: FUNDING_FEE, sign: negative, count: 0}
  - {futuresOpenOrders: whale, count: 0}
  - {futuresAccount: subject, dualSidePosition: false}
"""


def test_a_perpetual_scene_plays_and_the_exchange_is_put_back(msim):
    control, before = Control(msim), None
    control.tick()
    control.advance_clock(600)
    before = control.funding()["perpetuals"]["BTCUSDT"]
    index_before = control.prices()["prices"]["BTCUSDT"]["index"]
    result = play_in_process(load_scenario_text(HEAD + SCENE, "perp.yaml"), control)
    assert result.verdict == "PASS", result.render_verdict() + "\n" + "\n".join(e.render() for e in result.timeline)
    after = control.funding()["perpetuals"]["BTCUSDT"]
    assert after["rateSet"] is before["rateSet"] is False
    assert after["premium"] == before["premium"]
    assert control.prices()["prices"]["BTCUSDT"]["index"] == index_before
    cleanup = [e.summary for e in result.timeline if e.index == -3]
    assert any("index back" in s for s in cleanup) and any("computed again" in s for s in cleanup), cleanup


def test_the_same_scene_plays_over_http_against_a_running_server():
    server = LiveServer(build_simulator(load_config())).start()  # running clock, market maker quoting
    try:
        client = ControlClient(server.base_url)
        result = play_remote(load_scenario_text(HEAD + SCENE, "perp.yaml"), client)
        assert result.verdict == "PASS", result.render_verdict() + "\n".join(e.render() for e in result.timeline)
        assert client.funding()["perpetuals"]["BTCUSDT"]["rateSet"] is False
        assert any("BTCUSDT index back to" in e.summary for e in result.timeline if e.index == -3)
    finally:
        server.stop()


def test_an_own_position_left_open_is_closed_and_its_resting_futures_order_canceled(msim):
    control = Control(msim)
    control.tick()
    control.advance_clock(600)
    body = """setup:
  reset: false
  accounts:
    - {name: long}
steps:
  - futuresDeposit: {account: long, asset: USDT, amount: "10000"}
  - futuresPlace: {account: long, symbol: BTCUSDT, side: BUY, type: MARKET, quantity: "0.01"}
"""
    result = play_in_process(load_scenario_text(HEAD + body, "p.yaml"), control)
    assert result.ok
    own = control.list_accounts()["accounts"][-1]
    assert own["name"] == "long"
    assert control.futures_account(own["id"])["positions"] == []  # closed through the book
    assert any("(closed through the book)" in e.summary for e in result.timeline if e.index == -3)
    resting = body + "  - futuresPlace: {account: long, symbol: BTCUSDT, side: BUY, price: '50000', " \
                     "quantity: '0.01'}\n"
    result = play_in_process(load_scenario_text(HEAD + resting.replace("long", "rest"), "p.yaml"), control)
    assert result.ok
    assert any("(canceled)" in e.summary for e in result.timeline if e.index == -3), \
        [e.render() for e in result.timeline]
    rest = next(a["id"] for a in control.list_accounts()["accounts"] if a["name"] == "rest")
    assert control.futures_account(rest)["openOrders"] == [] and control.futures_account(rest)["positions"] == []


def test_a_position_check_fails_with_what_it_saw(msim):
    control = Control(msim)
    control.tick()
    control.advance_clock(600)
    body = "steps:\n  - pause: 1\nverdict:\n  - {position: subject, symbol: BTCUSDT, amount: '0.5'}\n"
    result = play_in_process(load_scenario_text(HEAD + body, "p.yaml"), control)
    assert result.verdict == "FAIL" and "amount is '0', expected '0.5'" in result.failure
    assert Decimal(result.checks[0]["summary"].split()[-1]) == 0


def test_a_refused_perpetual_step_is_an_error_naming_its_line_unless_expected(msim):
    control = Control(msim)
    body = ("setup:\n  reset: false\n  accounts:\n    - {name: broke}\nsteps:\n"
            "  - futuresPlace: {account: broke, symbol: BTCUSDT, side: BUY, price: '60000', quantity: '0.01'}\n"
            "    expectError: MARGIN_INSUFFICIENT\n"
            "  - settle: DOGEUSDT\n")
    result = play_in_process(load_scenario_text(HEAD + body, "r.yaml"), control)
    assert result.verdict == "ERROR"
    assert result.failure.startswith("r.yaml:10: steps[1]: unknown_perpetual: symbol: no perpetual DOGEUSDT"), \
        result.failure
    assert any(e.action == "futuresPlace" and "failed as expected: order_rejected (MARGIN_INSUFFICIENT)" in e.summary
               for e in result.timeline)
