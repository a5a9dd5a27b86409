"""Raw HTTP for the control tests: status and JSON body of any request, whatever the status."""
from __future__ import annotations

import json
import urllib.error
import urllib.request


def raw(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None,
        timeout: float = 30):
    """(status, parsed JSON) of one request, whatever the status. Writes are declared JSON, as the control plane
    requires, unless `headers` names another Content-Type."""
    headers = dict(headers or {})
    if method != "GET" and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
