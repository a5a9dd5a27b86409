"""A synchronous client of a running simulator's control plane, with the same methods as `api.Control`.

    client = ControlClient("http://127.0.0.1:8900", admin_token=None)
    account = client.create_account(name="alice", balances={"USDT": "1000"})
    client.deposit(account_id=account["id"], asset="BTC", amount="0.5")

Each method is generated from `api.ROUTES`, answers the same JSON-ready dict as its in-process twin and raises
the same `ControlError` (rebuilt from the server's error body). Standard library only (urllib), so the CLI and
scenario runner need no event loop.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from functools import partial
from typing import Any

from simulator.control.routes import ROUTES, Route
from simulator.control.errors import ControlError
from simulator.control.http import PREFIX, TOKEN_HEADER

DEFAULT_URL = "http://127.0.0.1:8900"
_BY_OP = {route.op: route for route in ROUTES}


class Unreachable(Exception):
    """The server did not answer at all (not running, wrong --url, network)."""


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class ControlClient:
    def __init__(self, url: str = DEFAULT_URL, admin_token: str | None = None, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.admin_token = admin_token
        self.timeout = timeout

    def __getattr__(self, name: str):
        if name in _BY_OP:
            return partial(self.call, name)
        raise AttributeError(name)

    def request(self, route: Route, kwargs: dict[str, Any]) -> tuple[str, str, bytes | None]:
        """(method, url, body) for one call."""
        kwargs = dict(kwargs)
        path = route.path
        for name in list(kwargs):
            placeholder = "{" + name + "}"
            if placeholder in path:
                path = path.replace(placeholder, urllib.parse.quote(str(kwargs.pop(name)), safe=""))
        if "{" in path:
            raise TypeError(f"{route.op}: missing path parameter in {route.path}")
        query = {}
        for key, kwarg, _ in route.query:
            value = kwargs.pop(kwarg, None)
            if value is not None:
                query[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        body: Any = None
        if route.body_is is not None:
            body = kwargs.pop(route.body_is)
        elif route.body:
            fields = {kwarg: key for key, kwarg in route.body}
            body = {}
            for kwarg in list(kwargs):
                if kwarg in fields:
                    value = kwargs.pop(kwarg)
                    if value is not None:
                        body[fields[kwarg]] = value
        if kwargs:
            raise TypeError(f"{route.op}: unexpected argument(s) {', '.join(kwargs)}")
        url = f"{self.url}{PREFIX}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = json.dumps(body, default=_default).encode() if body is not None else None
        return route.method, url, data

    def call(self, op: str, **kwargs: Any) -> dict[str, Any]:
        method, url, data = self.request(_BY_OP[op], kwargs)
        headers = {"Accept": "application/json"}
        if method != "GET":  # every write declares JSON, even without a body: the server refuses it otherwise
            headers["Content-Type"] = "application/json"
        if self.admin_token:
            headers[TOKEN_HEADER] = self.admin_token
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return self._decode(response.read(), response.status)
        except urllib.error.HTTPError as exc:
            body = exc.read()
            try:
                error = json.loads(body)["error"]
                raise ControlError(error.pop("code"), error.pop("message"), exc.code, **error) from None
            except (ValueError, KeyError, TypeError, AttributeError):
                text = body.decode("utf-8", "replace")[:200]
                raise ControlError("http_error", f"HTTP {exc.code} from {url}: {text}", exc.code) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise Unreachable(f"cannot reach the simulator at {self.url}: {reason}") from None

    @staticmethod
    def _decode(raw: bytes, status: int) -> dict[str, Any]:
        try:
            return json.loads(raw, parse_float=Decimal)
        except ValueError:
            raise ControlError("bad_response", f"HTTP {status} with a body that is not JSON", 502) from None
