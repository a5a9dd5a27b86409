"""Every shipped scenario, run as a user runs it: `exsim serve --scenario NAME`, and a client that attaches once
the server prints its port. A careful client must get the PASS verdict, a naive one FAIL, for the reason the
scenario is about (the verdict check or the step that names it).

Both clients play at once, each against its own server, so a scenario costs its own length once.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from simulator.control.scenarios import shipped_files
from tests.scenarios.futures_subject import FuturesSubject
from tests.scenarios.scenes import FUTURES_SCENES, SCENES
from tests.scenarios.subject import Subject

EXSIM = [sys.executable, "-m", "simulator.cli"]
ATTACH_AFTER_S = 0.5  # a person starts their client a moment after the banner
SCENE_TIMEOUT_S = 60
SHIPPED = {path.stem: path for path in shipped_files()}

# What the naive client must be caught at: a piece of the failure the verdict names.
NAIVE_FAILS_ON = {
    "order-response-lost": "orders subject",
    "order-unknown-status": "orders subject",
    "report-before-answer": "orders subject",
    "fill-during-cancel": "DELETE /api/v3/order",
    "partial-fills": "sameQtyAs",
    "partial-fill-then-cancel": "no sign of the subject's next DELETE /api/v3/order",
    "missing-trade-report": "rder*",
    "venue-cancel": "DELETE /api/v3/order",
    "depth-gap": "GET /api/v3/depth",
    "ws-duplicate-reorder": "GET /api/v3/depth",
    "ws-close": "traffic connect",
    "ws-silent-disconnect": "traffic connect",
    "ws-max-lifetime": "traffic subscribe",
    "listen-key-expiry": "POST /api/v3/userDataStream",
    "listen-key-lapse": "POST /api/v3/userDataStream",
    "rate-limit-429-storm": "status=418",
    "ip-ban-418": "status=418",
    "clock-skew": "GET /api/v3/time",
    "rest-5xx-burst": "status=503",
    "maintenance-window": "POST /api/v3/order",
    "halted-symbol": "POST /api/v3/order",
    "rule-change": "POST /api/v3/order",
    "symbol-delisted": "POST /api/v3/order",
    "stp-expiry": "DELETE /api/v3/order",
    "account-update-out-of-step": "GET /api/v3/account",
    "reconnect-storm": "status=429",
    "trade-before-new": "sameQtyAs",
    "insufficient-balance": "POST /api/v3/order",
    "funding-flip": "income subject incomeType=FUNDING_FEE sign=negative",
    "liquidation-cascade": "position subject symbol=BTCUSDT positionSide=BOTH amount=0: amount is '-0.01",
    "mark-index-divergence": "position subject symbol=BTCUSDT positionSide=BOTH amount=0: amount is '0.01",
    "position-mode-refused": "POST /fapi/v1/order",
    "reduce-only-after-close": "position subject symbol=BTCUSDT positionSide=BOTH amount=0: amount is '-0.01",
    "insurance-fund-drain": "walletBalance is",
    "funding-update-lost": "POST /sapi/v1/asset/transfer",
}


def test_every_shipped_scenario_has_a_scene_and_a_naive_failure():
    assert set(SHIPPED) == set(SCENES) == set(NAIVE_FAILS_ON)


async def _run(name: str, careful: bool, tmp: Path) -> dict:
    """Serve the scenario in a process of its own, attach the client, and return the result it reports."""
    report = tmp / f"{name}-{'careful' if careful else 'naive'}.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = await asyncio.create_subprocess_exec(
        *EXSIM, "serve", "--port", "0", "--scenario", name, "--scenario-exit", "--scenario-report", str(report),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env)
    output: list[str] = []
    try:
        port = None
        while port is None:
            line = (await asyncio.wait_for(server.stdout.readline(), 20)).decode()
            if not line:
                raise AssertionError("the server ended before printing its port:\n" + "".join(output))
            output.append(line)
            if line.startswith("PORT="):
                port = int(line.strip().partition("=")[2])
        await asyncio.sleep(ATTACH_AFTER_S)
        client = FuturesSubject if name in FUTURES_SCENES else Subject
        async with client(f"http://127.0.0.1:{port}", careful=careful) as subject:
            scene = asyncio.ensure_future(SCENES[name](subject))
            reading = asyncio.ensure_future(_read_all(server, output))
            try:
                await asyncio.wait_for(asyncio.shield(reading), SCENE_TIMEOUT_S)
            finally:
                scene.cancel()
                await asyncio.gather(scene, return_exceptions=True)
                if scene.done() and not scene.cancelled() and scene.exception() is not None:
                    output.append(f"scene error: {scene.exception()!r}\n")
        await asyncio.wait_for(server.wait(), 20)
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
    assert report.exists(), "no report written:\n" + "".join(output)
    result = json.loads(report.read_text())
    result["output"] = "".join(output)
    result["exit"] = server.returncode
    return result


async def _read_all(server, output: list[str]) -> None:
    while line := await server.stdout.readline():
        output.append(line.decode())


@pytest.mark.parametrize("name", sorted(SHIPPED))
async def test_a_careful_client_passes_and_a_naive_one_fails(name, tmp_path):
    careful, naive = await asyncio.gather(_run(name, True, tmp_path), _run(name, False, tmp_path))
    assert careful["verdict"] == "PASS" and careful["exit"] == 0, careful["output"]
    assert naive["verdict"] == "FAIL" and naive["exit"] == 1, naive["output"]
    assert NAIVE_FAILS_ON[name] in naive["failure"], naive["output"]
    for result in (careful, naive):  # the exchange was left clean
        assert "cleanup" not in result["output"] or "clean-up failed" not in result["output"], result["output"]
