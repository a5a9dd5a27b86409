"""The built wheel is a working exsim: installed into a fresh venv and started from a directory that holds no
checkout, `exsim serve` runs on the embedded default config and plays a shipped scenario by name.

The venv is a plain one (no system site-packages, no checkout on its path): pip installs the wheel and its
dependencies into it from the package index, so a file the wheel forgot cannot be found anywhere else."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.test_serve import get, read_port

ROOT = Path(__file__).resolve().parents[1]
# Tool and build output a checkout may hold; the build runs on a copy so that it neither writes build/ into the
# checkout nor packs a module left in a stale build/lib.
NOT_SOURCE = (".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "mutants")
# Only the installed package may be importable in the venv, and the checkout's config must not steer it.
ENV = {**{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")},
       "PYTHONUNBUFFERED": "1"}

pytestmark = pytest.mark.wheel


def run(*command: str | Path, cwd: Path, timeout: float) -> str:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=ENV, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", dist, source,
        cwd=tmp_path, timeout=120)
    (wheel,) = dist.glob("exsim-*.whl")
    return wheel


def install(wheel: Path, tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path, timeout=60)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", wheel, cwd=tmp_path, timeout=300)
    return venv


@contextlib.contextmanager
def serving(venv: Path, cwd: Path, *args: str) -> Iterator[tuple[subprocess.Popen, int]]:
    """`exsim serve` on a free port, stopped by SIGINT when the block ends; killed if it outlives a minute, so a
    blocking read of its output ends."""
    process = subprocess.Popen([str(venv / "bin" / "exsim"), "serve", "--port", "0", *args], cwd=cwd, env=ENV,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    try:
        port, _ = read_port(process)
        yield process, port
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=15)
        assert process.returncode == 0, out
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_wheel_installed_in_a_fresh_venv_serves_the_default_config_and_the_shipped_scenarios(tmp_path):
    wheel = build_wheel(tmp_path)
    shipped = sorted(path.name for path in (ROOT / "fixtures" / "scenarios").iterdir()
                     if path.suffix in (".yaml", ".md"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "simulator/fixtures/default.yaml" in names
    assert sorted(name.rsplit("/", 1)[1] for name in names
                  if name.startswith("simulator/fixtures/scenarios/")) == shipped
    assert not [name for name in names if name.split("/")[0] in ("tests", "benchmarks", "fixtures")]

    venv = install(wheel, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = run(venv / "bin" / "python", "-c", "import simulator.fixtures; print(simulator.fixtures.__file__)",
                cwd=elsewhere, timeout=30)
    assert Path(where.strip()).is_relative_to(venv), where

    with serving(venv, elsewhere, "--no-market-maker") as (_, port):
        assert get(port, "/api/v3/ping") == {}
        default = yaml.safe_load((ROOT / "fixtures" / "default.yaml").read_text())
        symbols = [symbol["symbol"] for symbol in get(port, "/api/v3/exchangeInfo")["symbols"]]
        assert symbols and symbols == [spec["symbol"] for spec in default["spot"]]
        listed = sorted(f"{scenario['name']}.yaml" for scenario in get(port, "/_sim/v1/scenarios")["scenarios"])
        assert listed == [name for name in shipped if name.endswith(".yaml")]

    with serving(venv, elsewhere, "--scenario", "depth-gap") as (process, _):
        timeline = ""
        for line in process.stdout:  # the scenario found by name, its setup done: it waits for a client
            timeline += line
            if "waiting up to" in line:
                break
        assert "exsim: playing scenario depth-gap" in timeline, timeline
        assert "for the subject subscribing to btcusdt@depth*" in timeline, timeline
