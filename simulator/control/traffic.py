"""What the clients of the wire did: a bounded log of their requests and connections, for scenarios.

A scenario happens to a *subject*, the client under test. The scenario's own actions go through the control
plane; everything that arrives on the wire (REST requests, WebSocket connections, subscriptions, user data
streams) is the subject's traffic, and the wire dialect reports each arrival here through the four calls below
(the `simulator.core.TrafficFeed` protocol). A scenario step waits on this log ("the subject's next POST
/api/v3/order", "the subject subscribes to btcusdt@depth"), its window starts at the subject's arrival, and its
verdict counts what the subject asked for and when ("no request during the ban", "a fresh depth snapshot after
the gap").

Each observation is a small dict:

    {"seq": 12, "at": 1717171717171, "kind": "request", "endpoint": "POST /api/v3/order", "accountId": 1,
     "status": 200}
    {"seq": 13, "at": ..., "kind": "connect", "connection": 4, "path": "/ws"}
    {"seq": 14, "at": ..., "kind": "subscribe", "connection": 4, "stream": "btcusdt@depth@100ms"}
    {"seq": 15, "at": ..., "kind": "userStream", "connection": 5, "accountId": 1}
    {"seq": 16, "at": ..., "kind": "disconnect", "connection": 4}

`at` is the simulator's clock. A request is logged when it arrives (so a waiting step sees it before its
answer); its `status` is filled in when it is answered (None until then, and for a request whose connection was
dropped on purpose). The log keeps the newest `retention` observations (a server running for a week stays
flat); `seq` keeps counting, so a reader asking for what came after a seq that aged out is told how many it
missed.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

REQUEST, CONNECT, SUBSCRIBE, USER_STREAM, DISCONNECT = "request", "connect", "subscribe", "userStream", "disconnect"
KINDS = (REQUEST, CONNECT, SUBSCRIBE, USER_STREAM, DISCONNECT)
DEFAULT_RETENTION = 10_000


class Traffic:
    def __init__(self, now: Callable[[], int], retention: int = DEFAULT_RETENTION):
        self._now = now
        self._log: deque[dict[str, Any]] = deque(maxlen=retention)
        self.last_seq = 0

    def _add(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.last_seq += 1
        entry = {"seq": self.last_seq, "at": self._now(), "kind": kind, **fields}
        self._log.append(entry)
        return entry

    # --- what the wire reports (simulator.core.TrafficFeed) ---------------------------------------------
    def request(self, endpoint: str, account_id: int | None) -> dict[str, Any]:
        """A REST request arrived ("METHOD /path", the owner of its API key header if any); the caller sets
        the returned entry's "status" once it is answered."""
        return self._add(REQUEST, endpoint=endpoint, accountId=account_id, status=None)

    def connected(self, connection: int, path: str) -> None:
        self._add(CONNECT, connection=connection, path=path)

    def subscribed(self, connection: int, stream: str) -> None:
        self._add(SUBSCRIBE, connection=connection, stream=stream)

    def user_stream(self, connection: int, account_id: int) -> None:
        self._add(USER_STREAM, connection=connection, accountId=account_id)

    def disconnected(self, connection: int) -> None:
        self._add(DISCONNECT, connection=connection)

    # --- reading -------------------------------------------------------------------------------------------
    def page(self, after: int = 0, limit: int = 1000) -> dict[str, Any]:
        """The observations after seq `after`, oldest first, at most `limit`; `missed` counts those that aged
        out of the log before they could be read."""
        first = self._log[0]["seq"] if self._log else self.last_seq + 1
        missed = max(0, first - after - 1)
        start = max(0, after + 1 - first)
        entries = [dict(self._log[i]) for i in range(start, min(len(self._log), start + limit))]
        return {"observations": entries, "lastSeq": self.last_seq, "missed": missed}


def matches(observation: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether an observation fits a filter: {"kind": ..., "endpoint": pattern, "stream": pattern,
    "accountId": id (None: any), "status": int}. Patterns are shell-style ("GET /api/v3/depth",
    "btcusdt@depth*"); an endpoint pattern without a method matches any method."""
    for key, value in wanted.items():
        if value is None:
            continue
        actual = observation.get(key)
        if key == "endpoint":
            if actual is None:
                return False
            subject = actual if " " in value else actual.partition(" ")[2]
            if not fnmatchcase(subject, value):
                return False
        elif key == "stream":
            if actual is None or not fnmatchcase(actual.lower(), value.lower()):
                return False
        elif actual != value:
            return False
    return True
