"""Times in microseconds, for clients that ask for them: `X-MBX-TIME-UNIT: MICROSECOND` on REST and
`timeUnit=MICROSECOND` on `/ws` and `/stream`. exsim keeps milliseconds; a time in microseconds is the same
instant times 1000 (a zero or negative time, meaning "none", stays as it is).

REST answers are rewritten by key name (a key is a time wherever it appears); a stream event by its event type,
since one letter is a time in one event and an id in another (`u`, `t`).
"""
from __future__ import annotations

from typing import Any

# REST: the keys that hold a time, at any depth of an answer
REST_TIME_KEYS = frozenset(("serverTime", "transactTime", "time", "updateTime", "workingTime", "openTime",
                            "closeTime", "T"))
# streams: the time fields of each event type ("E" in all of them); kline times are in its "k"
EVENT_TIME_KEYS: dict[str, tuple[str, ...]] = {
    "trade": ("T",), "aggTrade": ("T",), "avgPrice": ("T",), "24hrTicker": ("O", "C"), "24hrMiniTicker": (),
    "depthUpdate": (), "kline": (), "executionReport": ("T", "O", "W"), "outboundAccountPosition": ("u",),
    "balanceUpdate": ("T",), "listStatus": ("T",), "listenKeyExpired": (), "serverShutdown": (),
    "eventStreamTerminated": (),
}


def micros(value: Any) -> Any:
    """One time field in microseconds: a positive integer of milliseconds times 1000; anything else as it is."""
    return value * 1000 if type(value) is int and value > 0 else value


def rest_to_microseconds(data: Any, kline_rows: bool = False) -> Any:
    """A REST answer with its time fields in microseconds (a new value; `data` is kept). `kline_rows`: the
    answer is a list of kline rows, whose open and close times are the first and seventh columns."""
    if kline_rows and isinstance(data, list):
        return [[micros(row[0]), *row[1:6], micros(row[6]), *row[7:]] for row in data]
    if isinstance(data, dict):
        return {key: micros(value) if key in REST_TIME_KEYS else rest_to_microseconds(value)
                for key, value in data.items()}
    if isinstance(data, list):
        return [rest_to_microseconds(item) for item in data]
    return data


def event_to_microseconds(payload: object) -> object:
    """A rendered event (or `!ticker@arr` list of them) with its times in microseconds; a payload with no event
    type (bookTicker, partial depth) has no time and is returned as it is. A new value: `payload` is kept."""
    if isinstance(payload, list):
        return [event_to_microseconds(item) for item in payload]
    if not isinstance(payload, dict) or "e" not in payload:
        return payload
    out = dict(payload)
    for key in ("E",) + EVENT_TIME_KEYS.get(payload["e"], ()):
        if key in out:
            out[key] = micros(out[key])
    kline = out.get("k")
    if payload["e"] == "kline" and isinstance(kline, dict):
        out["k"] = {**kline, "t": micros(kline["t"]), "T": micros(kline["T"])}
    return out
