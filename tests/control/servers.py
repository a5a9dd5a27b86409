"""Live servers with control-plane options (admin token, journal) for the control tests."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from aiohttp import web

from simulator.server import create_app
from tests.live_server import LiveServer


class ControlServer(LiveServer):
    def __init__(self, sim, **options):
        super().__init__(sim)
        self.options = options

    async def _start(self) -> None:
        self._runner = web.AppRunner(create_app(self.sim, **self.options), handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]


def raw(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    """(status, parsed JSON) of one request, whatever the status."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
