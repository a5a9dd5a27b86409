"""The state saver (`exsim serve --state`): a save that cannot be made is logged, shown by GET /_sim/v1/health and
tried again, never silent, and shutdown never crashes on it."""
from __future__ import annotations

import asyncio
import json
import logging
import signal
import time

import pytest

from simulator.control.api import Control
from simulator.control.client import ControlClient
from simulator.control.persist import STATE_SAVER, SaveError, StateSaver
from simulator.server import create_app
from tests.control.conftest import frozen_sim
from tests.control.raw_http import raw
from tests.control.test_cli import run, start_server, wait_for
from tests.live_server import LiveServer


def ticking() -> callable:
    """A wall clock that says 1000, 2000, 3000... ms, one step per reading."""
    now = [0]

    def read() -> int:
        now[0] += 1000
        return now[0]

    return read


async def until(condition, timeout: float = 10.0) -> None:
    """Wait on the running loop until `condition()` holds, or fail after `timeout` seconds."""
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


def save_errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "cannot save state" in r.getMessage()]


def test_a_save_that_fails_is_logged_shown_and_raised_and_the_next_one_recovers(tmp_path, caplog):
    sim = frozen_sim()
    path = tmp_path / "state.json"
    path.mkdir()  # the target is a directory: the rename over it fails (as root too, unlike a read-only dir)
    saver = StateSaver(sim, path, wall_ms=ticking())
    assert Control(sim, saver).health() == {"ok": True, "state": saver.status()}
    with caplog.at_level(logging.ERROR, logger="simulator.control.persist"):
        with pytest.raises(SaveError, match="cannot save state to"):
            saver.save()
    assert len(save_errors(caplog)) == 1
    status = saver.status()
    assert (status["ok"], status["failures"], status["lastSavedAt"], status["lastErrorAt"]) == (False, 1, None, 1000)
    assert status["lastError"] and status["path"] == str(path)
    assert Control(sim, saver).health() == {"ok": False, "state": status}
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind

    path.rmdir()
    saver.save()
    status = saver.status()
    assert (status["ok"], status["failures"], status["lastSavedAt"], status["lastErrorAt"]) == (True, 0, 2000, 1000)
    assert json.loads(path.read_text())["format"] == "exsim-snapshot"


def test_a_state_that_cannot_be_captured_is_a_failure_like_any_other(tmp_path, caplog, monkeypatch):
    sim = frozen_sim()
    saver = StateSaver(sim, tmp_path / "state.json", wall_ms=ticking())

    def broken() -> dict:
        raise RuntimeError("no snapshot today")

    monkeypatch.setattr(sim, "capture", broken)
    with caplog.at_level(logging.ERROR, logger="simulator.control.persist"):
        with pytest.raises(SaveError, match="RuntimeError: no snapshot today"):
            saver.save()
    assert save_errors(caplog) and saver.status()["lastError"] == "RuntimeError: no snapshot today"
    assert not (tmp_path / "state.json").exists()


async def test_the_periodic_saver_logs_every_failure_and_keeps_trying(tmp_path, caplog):
    sim = frozen_sim()
    path = tmp_path / "state.json"
    path.mkdir()
    saver = StateSaver(sim, path)
    with caplog.at_level(logging.ERROR, logger="simulator.control.persist"):
        task = asyncio.create_task(saver.run(0.01))
        try:
            await until(lambda: saver.failures >= 3)
            assert len(save_errors(caplog)) >= 3 and not task.done()
            path.rmdir()
            await until(lambda: saver.failures == 0)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert saver.status()["ok"] and saver.status()["lastError"]
    assert json.loads(path.read_text())["format"] == "exsim-snapshot"


def test_health_without_a_state_file(live_server):
    assert raw(live_server.base_url + "/_sim/v1/health") == (200, {"ok": True, "state": None})


def test_health_over_http(tmp_path, sim):
    path = tmp_path / "state.json"
    path.mkdir()
    saver = StateSaver(sim, path)

    def with_saver(sim, **options):
        app = create_app(sim, **options)
        app[STATE_SAVER] = saver
        return app

    server = LiveServer(sim, app_factory=with_saver).start()
    try:
        url = server.base_url + "/_sim/v1/health"
        status, health = raw(url)
        assert status == 200 and health["ok"] and health["state"]["lastSavedAt"] is None
        with pytest.raises(SaveError):
            server.call(saver.save)
        status, health = raw(url)
        assert status == 200 and health["ok"] is False
        state = health["state"]
        assert state["failures"] == 1 and state["lastError"] and state["lastErrorAt"] <= time.time() * 1000
        assert ControlClient(server.base_url).health() == health
    finally:
        server.stop()


def test_serve_keeps_running_when_saves_fail_and_shuts_down_cleanly(tmp_path):
    state = tmp_path / "state.json"
    process, url = start_server("--state", str(state), "--state-interval", "0.1")
    try:
        assert ControlClient(url).health()["state"]["lastSavedAt"] is not None  # the save at start
        state.unlink()
        state.mkdir()  # every later save fails
        health = wait_for(lambda: (h := ControlClient(url).health())["state"]["failures"] >= 2 and h,
                          what="failed saves")
        assert health["ok"] is False and health["state"]["lastError"]
        assert ControlClient(url).clock()["now"] > 0  # the server goes on serving
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(20)
        output = process.stdout.read()
        process.stdout.close()
    assert code == 0, output
    assert "cannot save state to" in output and "Traceback" not in output


def test_serve_refuses_a_state_file_it_cannot_write_at_start(tmp_path, capsys):
    state = tmp_path / "missing" / "state.json"
    code, _, err = run(capsys, "serve", "--port", "0", "--state", str(state), "--no-market-maker")
    assert code == 1 and f"cannot save state to {state}" in err
