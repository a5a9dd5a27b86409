"""binance-futures-connector in a venv of its own: it ships the same top-level `binance` package as
binance-connector (installed in the project's venv), so installed side by side one breaks the other.

`futures_python()` creates `.venv-futures/` at the checkout's root (git-ignored) once, installs the
`interop-futures` extra's requirements there (read from pyproject.toml, so the version lives in one place), and
returns that venv's python; a file lock keeps parallel test workers from building it twice. If the package cannot
be installed (no index reachable), it raises `Unavailable` with pip's reason, for the tests to skip on.
"""
from __future__ import annotations

import fcntl
import hashlib
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-futures"
INSTALL_TIMEOUT_S = 300


class Unavailable(Exception):
    """binance-futures-connector could not be installed into its venv."""


def requirements() -> list[str]:
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]["optional-dependencies"]["interop-futures"]


def futures_python() -> Path:
    wanted = requirements()
    stamp = VENV / f".installed-{hashlib.sha256(repr(wanted).encode()).hexdigest()[:16]}"
    python = VENV / "bin" / "python"
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(ROOT / ".venv-futures.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and python.exists():
            return python
        _run([sys.executable, "-m", "venv", "--clear", str(VENV)], "create the venv")
        _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *wanted],
             "install " + " ".join(wanted))
        stamp.touch()
    return python


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"could not {what}: {exc}") from None
    if done.returncode != 0:
        raise Unavailable(f"could not {what}: {(done.stderr or done.stdout).strip()[-500:]}")
