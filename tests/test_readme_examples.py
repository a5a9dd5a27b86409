"""The READMEs run as written: every ```sh and ```python block, in order, against a live `exsim serve` on an
ephemeral port, so the documentation cannot drift from the product.

Conventions for README authors:
- a block preceded by the line `<!-- no-run -->` (blank lines between are fine) is not run: `make run`,
  `exsim serve`, anything that never ends or needs a second terminal;
- `127.0.0.1:8900` and `localhost:8900` are rewritten to the test server's address, and `$EXSIM_URL` points the
  `exsim` verbs at it; the venv's `exsim` is first on PATH;
- each block runs on its own (`bash -e`, or the venv's python) in a scratch directory that holds a link to
  `fixtures/`: shell variables do not carry from one block to the next, files written by one block do;
- blocks run in order against one server per README, so a block may use what an earlier block created (by
  name: `exsim deposit alice USDT 500`), never a number a fresh server happens to assign.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.test_serve import read_port

ROOT = Path(__file__).resolve().parents[1]
NO_RUN = "<!-- no-run -->"
FENCE = re.compile(r"^```(\w*)\s*$")
LANGUAGES = ("sh", "python")
BLOCK_TIMEOUT_S = 120


@dataclass(frozen=True)
class Block:
    source: str
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    runs: bool


def blocks(path: Path) -> list[Block]:
    """Every fenced ```sh / ```python block of a Markdown file, in order."""
    found, lines = [], path.read_text().splitlines()
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if fence is None:
            i += 1
            continue
        start, language = i, fence.group(1)
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        before = next((lines[j].strip() for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        if language in LANGUAGES:
            found.append(Block(path.name, start + 1, language, "\n".join(lines[start + 1:end]) + "\n",
                               before != NO_RUN))
        i = end + 1
    return found


@pytest.fixture
def server(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "simulator.cli", "serve", "--port", "0"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        port, _ = read_port(process)
        yield f"127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def run_blocks(readme: Path, address: str, workdir: Path) -> list[str]:
    """Run the README's blocks in order; the failures, each with its output."""
    (workdir / "fixtures").symlink_to(ROOT / "fixtures")
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "EXSIM_URL": f"http://{address}", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT)}
    failures = []
    for block in blocks(readme):
        if not block.runs:
            continue
        text = block.text.replace("127.0.0.1:8900", address).replace("localhost:8900", address)
        command = ["bash", "-e", "-c", text] if block.language == "sh" else [sys.executable, "-c", text]
        try:
            proc = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True,
                                  timeout=BLOCK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            failures.append(f"{block.source}:{block.line} ({block.language}): no end in {BLOCK_TIMEOUT_S} s")
            continue
        if proc.returncode != 0:
            failures.append(f"{block.source}:{block.line} ({block.language}) exit {proc.returncode}\n"
                            f"{block.text}--- output ---\n{(proc.stdout + proc.stderr)[-2000:]}")
    return failures


def test_the_scenarios_readme_runs_as_written(server, tmp_path):
    readme = ROOT / "fixtures" / "scenarios" / "README.md"
    assert [b for b in blocks(readme) if b.runs], "no runnable block found"
    failures = run_blocks(readme, server, tmp_path)
    assert not failures, "\n\n".join(failures)


def test_the_readme_runs_as_written(server, tmp_path):
    readme = ROOT / "README.md"
    if NO_RUN not in readme.read_text():
        # Until README.md marks its `make run` / `exsim serve` blocks, running it would hang on them.
        pytest.skip(f"README.md does not use the {NO_RUN} convention yet")
    failures = run_blocks(readme, server, tmp_path)
    assert not failures, "\n\n".join(failures)


def test_blocks_are_found_and_no_run_is_honoured(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# t\n\n```sh\necho one\n```\n\n<!-- no-run -->\n\n```sh\nmake run\n```\n\n```text\nx\n```\n"
                    "```python\nprint(2)\n```\n")
    assert [(b.line, b.language, b.text, b.runs) for b in blocks(page)] == [
        (3, "sh", "echo one\n", True), (9, "sh", "make run\n", False), (16, "python", "print(2)\n", True)]
