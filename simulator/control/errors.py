"""Control-plane errors: a machine-readable code, a message naming the problem, and the HTTP status to send.

Every refusal of a control operation is a `ControlError` raised *before* anything changed. Over HTTP it becomes
`{"error": {"code": ..., "message": ...}}` with its 4xx status; in-process it is simply raised.
"""
from __future__ import annotations


class ControlError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, **extra: object):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra

    def to_body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


def bad_request(message: str, **extra: object) -> ControlError:
    return ControlError("bad_request", message, 400, **extra)


def not_found(what: str, ident: object) -> ControlError:
    return ControlError(f"unknown_{what}", f"no {what.replace('_', ' ')} {ident}", 404)


def conflict(code: str, message: str) -> ControlError:
    return ControlError(code, message, 409)
