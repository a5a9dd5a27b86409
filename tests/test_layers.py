"""The dependency rule, walked from the code's own imports: every import points down the layers and none closes a
cycle. Imports inside functions and under `if TYPE_CHECKING:` count too: a cycle hidden there is still a tangle
a reader has to hold in their head.

Layers, top first (a module may import its own room and any room below it):

    cli -> server (with http_connections) -> dialects, control's doors (http, journal, client, cli_verbs)
        -> core -> control -> market -> config
        -> clock, credentials, jsonstate, rate_limits, inputs, fault_kinds, app_keys -> engine

inside the Binance dialect: spot/ and usdm/ -> streams/ -> wire/, the markets never importing each other nor the
streams; and on top of the ranks: the dialects never import the control plane (fault kinds reach them through the
Simulator's fault registry, their wire effect is the dialect's own), the control plane never imports a dialect,
the connector imports nothing of the simulator or the conformance suite (its adapters included), and the suite
nothing of the connector: only the suite's adapters (conformance/adapters/, where the suite meets a connector)
import one, and the suite reaches them by name at run time, never by an import; like the connector, an adapter
imports nothing of the simulator (it reaches the exchange over the wire only).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("simulator", "connector", "conformance")

# (module prefix, room, rank); the longest matching prefix decides.
ROOMS = [
    ("simulator.cli", "cli", 90),
    ("simulator.server", "server", 80),
    ("simulator.dialects", "dialects", 70),
    ("simulator.dialects.binance.spot", "spot", 72),
    ("simulator.dialects.binance.usdm", "usdm", 72),
    ("simulator.dialects.binance.streams", "dialect streams", 71),
    ("simulator.dialects.binance.wire", "dialect wire", 70),
    ("simulator.control.http", "control doors", 70),
    ("simulator.control.journal", "control doors", 70),
    ("simulator.control.client", "control doors", 70),
    ("simulator.control.cli_verbs", "control doors", 70),
    ("simulator.app_keys", "base", 10),
    ("simulator.http_connections", "server", 80),
    ("simulator.core", "core", 50),
    ("simulator.control", "control", 40),
    ("simulator.market", "market", 30),
    ("simulator.config", "config", 20),
    ("simulator.clock", "base", 10),
    ("simulator.credentials", "base", 10),
    ("simulator.jsonstate", "base", 10),
    ("simulator.rate_limits", "base", 10),
    ("simulator.inputs", "base", 10),
    ("simulator.fault_kinds", "base", 10),
    ("simulator.engine", "engine", 0),
    ("simulator", "package", 0),
    ("connector", "connector", 100),
    ("conformance.adapters", "conformance adapters", 100),
    ("conformance", "conformance", 100),
]
DIALECT_ROOMS = ("dialects", "spot", "usdm", "dialect streams", "dialect wire")
FORBIDDEN = {
    *((dialect, control) for dialect in DIALECT_ROOMS for control in ("control", "control doors")),
    *((control, dialect) for dialect in DIALECT_ROOMS for control in ("control", "control doors")),
    ("spot", "usdm"), ("usdm", "spot"), ("spot", "dialect streams"), ("usdm", "dialect streams"),
    ("connector", "simulator"), ("connector", "conformance"), ("conformance", "connector"),
    ("conformance", "conformance adapters"), ("conformance adapters", "simulator"),
}


def room_of(module: str) -> tuple[str, int]:
    """The room of a module: the longest prefix that matches (the bare "simulator" entry matches only the package
    itself, so that a new top-level module has no room until someone gives it one)."""
    best = max((prefix for prefix, _, _ in ROOMS
                if module == prefix or (module.startswith(prefix + ".") and prefix != "simulator")),
               key=len, default=None)
    if best is None:
        raise LookupError(f"{module} has no room in tests/test_layers.py ROOMS")
    _, room, rank = next(entry for entry in ROOMS if entry[0] == best)
    return room, rank


def package_of(module: str) -> str:
    return module.split(".")[0]


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(path: Path, module: str, known: dict[str, Path]) -> set[str]:
    """Project modules `module` imports, wherever the import statement stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import a.b.c` of a package: the deepest module we have
                target = target.rpartition(".")[0]
            if target and package_of(target) in PACKAGES and target != module:
                out.add(target)
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {module: imports_of(path, module, known) for module, path in known.items()}


def violations(edges: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in sorted(edges.items()):
        room, rank = room_of(module)
        for target in sorted(targets):
            target_room, target_rank = room_of(target)
            if (room, target_room) in FORBIDDEN or (room, package_of(target)) in FORBIDDEN:
                found.append(f"{module} ({room}) must not import {target} ({target_room})")
            elif package_of(module) == package_of(target) == "simulator" and target_rank > rank:
                found.append(f"{module} ({room}) imports upward: {target} ({target_room})")
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_every_import_points_down_the_layers():
    assert violations(graph()) == []


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_every_module_has_a_room():
    """A new top-level module must be placed in ROOMS deliberately."""
    homeless = []
    for module in modules():
        try:
            room_of(module)
        except LookupError:
            homeless.append(module)
    assert homeless == []


def test_a_module_without_a_room_is_reported():
    with pytest.raises(LookupError):
        room_of("simulator.new_thing")


def test_a_market_room_may_not_import_another_and_the_wire_may_not_import_a_market():
    assert violations({"simulator.dialects.binance.wire.rest": {"simulator.dialects.binance.spot.market"},
                       "simulator.dialects.binance.spot.market": set()})
    assert violations({"simulator.dialects.binance.spot.market": {"simulator.dialects.binance.usdm.market"},
                       "simulator.dialects.binance.usdm.market": set()})


# --- the checker itself bites ----------------------------------------------------------------------------
def test_an_upward_import_is_reported():
    edges = {"simulator.engine.engine": {"simulator.dialects.binance.wire.errors"},
             "simulator.dialects.binance.wire.errors": set()}
    assert violations(edges) == ["simulator.engine.engine (engine) imports upward: "
                                 "simulator.dialects.binance.wire.errors (dialect wire)"]


@pytest.mark.parametrize("module, target", [
    ("simulator.dialects.binance.wire.rest", "simulator.control.faults"),
    ("simulator.control.api", "simulator.dialects.binance.wire.auth"),
    ("connector.exchange", "simulator.engine.order"),
    ("connector.exchange", "conformance.adapter"),
    ("connector.exchange", "conformance.adapters.reference"),
    ("conformance.runner", "connector.exchange"),
    ("conformance.runner", "conformance.adapters.reference"),
    ("conformance.adapters.reference", "simulator.core"),
])
def test_a_forbidden_import_is_reported(module, target):
    assert violations({module: {target}, target: set()})


def test_an_adapter_may_import_the_connector_it_wraps_and_the_protocol():
    assert violations({"conformance.adapters.reference": {"connector.exchange", "conformance.adapter"},
                       "connector.exchange": set(), "conformance.adapter": set()}) == []


def test_a_cycle_is_reported():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]


def test_relative_and_function_level_imports_are_seen(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text("def f():\n    from . import other\n    from simulator.core import Simulator\n")
    known = {"simulator.control.mod": source, "simulator.control.other": source, "simulator.core": source}
    assert imports_of(source, "simulator.control.mod", known) == {"simulator.control.other", "simulator.core"}
