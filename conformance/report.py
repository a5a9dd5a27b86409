"""Reports of a run: report.json (machines), junit.xml (CI), report.md (a capability matrix a person reads).

The files hold results only, in the checks' order and without timings per check, so the same run twice writes
the same report.json.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Iterable
from xml.etree import ElementTree as ET

from conformance.framework import LEVELS
from conformance.runner import Result, gate_passes

MARK = {"passed": "pass", "failed": "**FAIL**", "skipped": "skip"}


def summary(results: list[Result], adapter: str, capabilities: Iterable[str], seconds: float) -> dict[str, Any]:
    counts = Counter(r.status for r in results)
    by_level = {level: dict(Counter(r.status for r in results if r.level == level))
                for level in LEVELS if any(r.level == level for r in results)}
    return {"adapter": adapter, "capabilities": sorted(capabilities), "total": len(results),
            "passed": counts["passed"], "failed": counts["failed"], "skipped": counts["skipped"],
            "skipped_for_capability": sum(1 for r in results if r.status == "skipped" and r.capability_skip),
            "by_level": by_level, "gate": "pass" if gate_passes(results) else "fail", "seconds": round(seconds, 1)}


def to_json(results: list[Result], meta: dict[str, Any]) -> dict[str, Any]:
    return {"checks": [{"id": r.id, "level": r.level, "statement": r.statement, "status": r.status,
                        "evidence": r.evidence} for r in results], "summary": meta}


def to_junit(results: list[Result], meta: dict[str, Any]) -> ET.ElementTree:
    suite = ET.Element("testsuite", name=f"exsim-conformance[{meta['adapter']}]", tests=str(len(results)),
                       failures=str(meta["failed"]), skipped=str(meta["skipped"]), errors="0",
                       time=str(meta["seconds"]))
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"conformance.{r.level}", name=r.id,
                             time=f"{r.seconds:.2f}")
        if r.status == "failed":
            ET.SubElement(case, "failure", message=r.statement).text = r.evidence
        elif r.status == "skipped":
            ET.SubElement(case, "skipped", message=r.evidence)
    return ET.ElementTree(suite)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(results: list[Result], meta: dict[str, Any]) -> str:
    lines = [f"# Conformance report: {meta['adapter']}", "",
             f"Gate: **{meta['gate']}**. {meta['passed']} passed, {meta['failed']} failed, {meta['skipped']} skipped "
             f"({meta['skipped_for_capability']} for a capability the adapter does not declare) of {meta['total']}.",
             "", f"Declared capabilities: {', '.join(meta['capabilities']) or 'none'}.", "",
             "| level | passed | failed | skipped |", "|---|---|---|---|"]
    for level, counts in meta["by_level"].items():
        row = " | ".join(str(counts.get(status, 0)) for status in ("passed", "failed", "skipped"))
        lines.append(f"| {level} | {row} |")
    lines += ["", "| id | level | statement | status | evidence |", "|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.id} | {r.level} | {_cell(r.statement)} | {MARK[r.status]} | {_cell(r.evidence)} |")
    return "\n".join(lines) + "\n"


def write(directory: Path, results: list[Result], meta: dict[str, Any]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "report.json", directory / "junit.xml", directory / "report.md"]
    paths[0].write_text(json.dumps(to_json(results, meta), indent=2) + "\n", encoding="utf-8")
    to_junit(results, meta).write(paths[1], encoding="utf-8", xml_declaration=True)
    paths[2].write_text(to_markdown(results, meta), encoding="utf-8")
    return paths
