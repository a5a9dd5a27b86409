"""Raw HTTP for the control tests: status and JSON body of any request, whatever the status."""
from __future__ import annotations

import json
import urllib.error
import urllib.request


def raw(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    """(status, parsed JSON) of one request, whatever the status."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
