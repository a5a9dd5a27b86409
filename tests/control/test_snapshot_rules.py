"""Trading rules changed mid-session survive a snapshot and a restore; a malformed rules section is refused whole; a
delisted symbol stays delisted whatever status the control plane is asked to set."""
from __future__ import annotations

import pytest

from simulator.control.api import Control
from simulator.control.snapshot import SnapshotError
from tests.control.conftest import frozen_sim


def _rules(control: Control, symbol: str) -> tuple[str, str, str]:
    row = control.symbols()["symbols"][symbol]
    return row["tickSize"], row["stepSize"], row["minNotional"]


def test_changed_rules_and_a_delisting_come_back_from_a_snapshot():
    sim = frozen_sim()
    control = Control(sim)
    control.change_symbol_rules(symbol="BTCUSDT", tick_size="1", min_notional="20")
    control.delist_symbol(symbol="ETHUSDT")
    document = sim.snapshot()
    assert set(document["symbol_rules"]) == {"BTCUSDT"}  # only what differs from the config, listed symbols only
    restored = frozen_sim()
    restored.restore(document)
    again = Control(restored)
    assert _rules(again, "BTCUSDT") == _rules(control, "BTCUSDT") == ("1.00000000", "0.00001000", "20.00000000")
    assert again.symbols()["symbols"]["ETHUSDT"]["status"] == "DELISTED"
    # and the restored engine validates against them: off the new tick is refused
    demo = restored.demo_keys[0].account_id
    with pytest.raises(Exception, match="PRICE_FILTER|tick"):
        again.place_order(account_id=demo, symbol="BTCUSDT", side="BUY", type="LIMIT", quantity="0.01",
                          price="30000.5", time_in_force="GTC")


def test_a_document_without_changed_rules_restores_the_configs():
    sim = frozen_sim()
    Control(sim).change_symbol_rules(symbol="BTCUSDT", tick_size="1")
    document = frozen_sim().snapshot()
    assert document["symbol_rules"] == {}
    del document["symbol_rules"]  # written before rules could change
    sim.restore(document)
    assert _rules(Control(sim), "BTCUSDT")[0] == "0.01000000"


@pytest.mark.parametrize("section, message", [
    ([], "symbol_rules: expected a mapping"),
    ({"DOGEUSDT": {}}, "symbol_rules.DOGEUSDT: not a configured spot symbol"),
    ({"BTCUSDT": {"tick_size": "1", "step_size": "0.001"}}, "min_notional"),
    ({"BTCUSDT": {"tick_size": "1e999999", "step_size": "0.001", "min_notional": "1"}}, "tick_size"),
    ({"BTCUSDT": {"tick_size": "0", "step_size": "0.001", "min_notional": "1"}}, "tick_size"),
])
def test_a_malformed_rules_section_is_refused_and_changes_nothing(section, message):
    sim = frozen_sim()
    document = sim.snapshot()
    Control(sim).change_symbol_rules(symbol="BTCUSDT", tick_size="0.1")
    document["symbol_rules"] = section
    with pytest.raises(SnapshotError, match=message):
        sim.restore(document)
    assert _rules(Control(sim), "BTCUSDT")[0] == "0.10000000"


def test_a_status_neither_delists_nor_brings_back_a_delisted_symbol():
    control = Control(frozen_sim())
    with pytest.raises(Exception, match="DELISTED"):
        control.set_symbol_status(symbol="ETHUSDT", status="DELISTED")  # the delist route cancels its orders
    control.delist_symbol(symbol="ETHUSDT")
    with pytest.raises(Exception, match="delisted"):
        control.set_symbol_status(symbol="ETHUSDT", status="TRADING")
    assert control.symbols()["symbols"]["ETHUSDT"]["status"] == "DELISTED"
