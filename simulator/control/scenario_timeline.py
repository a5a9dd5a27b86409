"""What a scenario run reports: its timeline entries and its result (PASS, FAIL or ERROR, the verdict's checks),
and how a trigger, an observation of the subject's traffic and a fault's window read in that timeline."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PASS, FAIL, ERROR = "PASS", "FAIL", "ERROR"


@dataclass
class Entry:
    index: int
    line: int
    action: str
    ok: bool
    summary: str
    pending: bool = False  # "waiting for ...": printed, not kept in the timeline

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "line": self.line, "action": self.action, "ok": self.ok,
                "summary": self.summary}

    def render(self) -> str:
        where = f"step {self.index:>2}" if self.index >= 0 else {-1: "setup  ", -2: "verdict", -3: "cleanup"}.get(
            self.index, "       ")
        mark = "... " if self.pending else "ok  " if self.ok else "FAIL"
        return f"{mark} {where} (line {self.line:>3}) {self.action:<10} {self.summary}"


@dataclass
class Result:
    name: str
    verdict: str = PASS
    timeline: list[Entry] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.verdict == PASS

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "verdict": self.verdict, "ok": self.ok, "failure": self.failure,
                "checks": self.checks, "timeline": [e.to_dict() for e in self.timeline]}

    def render_verdict(self) -> str:
        lines = [f"VERDICT {self.verdict}: scenario {self.name}" + (f" - {self.failure}" if self.failure else "")]
        for check in self.checks:
            lines.append(f"  {'ok  ' if check['ok'] else 'FAIL'} {check['check']}: {check['summary']}"
                         + (f" ({'; '.join(check['problems'])})" if check["problems"] else ""))
        return "\n".join(lines)


def fault_window(fault: dict[str, Any], now: int) -> tuple[int | None, int | None]:
    start = fault.get("firstHitAt") or fault.get("startsAt")
    end = fault.get("endsAt")
    return start, end if end is not None and end <= now else now


def trigger_text(a: dict[str, Any]) -> str:
    trigger = a["trigger"]
    if trigger == "request":
        return f"the subject's next {a['endpoint']}" + (f" answered {a['status']}" if a["status"] else "")
    if trigger == "subscribe":
        return f"the subject subscribing to {a['stream']}"
    if trigger == "afterMs":
        return f"{a['ms'] / 1000:g} s after the subject's arrival"
    return {"connect": "the subject opening a WebSocket connection", "userStream": "the subject's user data stream",
            "disconnect": "the subject closing a WebSocket connection",
            "arrival": "the subject's first request or connection"}[trigger]


def observation_text(o: dict[str, Any]) -> str:
    if o["kind"] == "request":
        return f"{o['endpoint']}" + (f" -> {o['status']}" if o.get("status") else "")
    if o["kind"] == "subscribe":
        return f"connection {o['connection']} subscribed to {o['stream']}"
    return f"connection {o['connection']}" + (f" {o['path']}" if o.get("path") else "")
