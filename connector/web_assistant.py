"""Web assistants: the one place the connector talks HTTP and opens WebSockets.

`WebAssistantsFactory` owns the connector's single aiohttp session (created lazily, inside the running loop, on
the first request), the throttler, the auth and the time synchronizer. `api_request` throttles, signs (query +
body, exactly as sent), sends, reads the rate-limit headers, and turns an error answer into an `ExchangeError`:
  * 429 / 418: the throttler is banned for Retry-After seconds before the error is raised;
  * -1021 (timestamp outside recvWindow): the clock offset is measured again and the request re-sent once
    (with a new timestamp and signature; the exchange did not execute the first one);
  * 5xx, -1007, a timeout or a dropped connection: `unknown_outcome` is True: the request may have been
    executed, and only a status query can say (the order tracker's lost-order recovery does that); a 503
    -1008 or "Service Unavailable." was not executed (Binance says so), and is an ordinary failure.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Mapping

import aiohttp
from yarl import URL  # aiohttp's own URL type (yarl ships with aiohttp)

from connector import constants as c
from connector.auth import BinanceAuth, encode_params
from connector.throttler import AsyncThrottler
from connector.time_synchronizer import TimeSynchronizer


class ExchangeError(Exception):
    def __init__(self, status: int, code: int | None, msg: str, method: str = "", path: str = "",
                 unknown_outcome: bool = False, retry_after: float | None = None):
        super().__init__(f"{method} {path} -> HTTP {status} {code}: {msg}")
        self.status = status
        self.code = code
        self.msg = msg
        self.unknown_outcome = unknown_outcome
        self.retry_after = retry_after

    @property
    def reason(self) -> str:
        """The exchange's own message (what a caller shows a person)."""
        return self.msg

    @property
    def rate_limited(self) -> bool:
        return self.status in (429, 418)


class WebAssistantsFactory:
    def __init__(self, rest_base: str, auth: BinanceAuth | None, throttler: AsyncThrottler,
                 time_synchronizer: TimeSynchronizer, time_path: str = c.TIME, request_timeout: float = 10.0):
        self.rest_base = rest_base.rstrip("/")
        self.auth = auth
        self.throttler = throttler
        self.time_synchronizer = time_synchronizer
        self._time_path = time_path
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._session: aiohttp.ClientSession | None = None
        self.requests_sent = 0

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)  # in the running loop, by construction
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def sync_time(self, rounds: int = 3) -> None:
        async def server_time() -> int:
            answer = await self.api_request("GET", self._time_path)
            return int(answer["serverTime"])
        await self.time_synchronizer.update_server_time_offset(server_time, rounds)

    async def api_request(self, method: str, path: str, params: Mapping[str, Any] | None = None,
                          signed: bool = False, api_key: bool = False, weight: int | None = None) -> Any:
        try:
            return await self._request_once(method, path, params, signed, api_key, weight)
        except ExchangeError as exc:
            if not (signed and exc.code == c.INVALID_TIMESTAMP):
                raise
        # -1021: our idea of the server's clock is stale. Measure again and re-send once.
        self.time_synchronizer.clear()
        await self.sync_time()
        return await self._request_once(method, path, params, signed, api_key, weight)

    async def _request_once(self, method: str, path: str, params: Mapping[str, Any] | None, signed: bool,
                            api_key: bool, weight: int | None) -> Any:
        params = dict(params or {})
        headers: dict[str, str] = {}
        body = ""
        if method in ("POST", "PUT") and signed:
            body = encode_params(params)
            query = self.auth.sign_query({}, body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif signed:
            query = self.auth.sign_query(params)
        else:
            query = encode_params(params)
        if signed or api_key:
            headers.update(self.auth.header())
        url = f"{self.rest_base}{path}" + (f"?{query}" if query else "")
        session = await self.session()
        async with self.throttler.execute_task(method, path, weight):
            self.requests_sent += 1
            try:
                # yarl must not re-encode the query we signed: encoded=True sends it byte for byte.
                async with session.request(method, URL(url, encoded=True), data=body or None,
                                           headers=headers) as response:
                    text = await response.text()
                    status = response.status
                    response_headers = response.headers
            except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
                # The request may have reached the exchange and been executed: the outcome is unknown.
                raise ExchangeError(0, None, f"no answer: {exc!r}", method, path, unknown_outcome=True) from exc
        self.throttler.update_from_headers(response_headers)
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = None
        if 200 <= status < 300 and not (isinstance(data, dict) and isinstance(data.get("code"), int)
                                        and data["code"] < 0):
            return data
        code = data.get("code") if isinstance(data, dict) else None
        msg = data.get("msg", text) if isinstance(data, dict) else text
        retry_after = None
        if status in (429, 418):
            retry_after = float(response_headers.get("Retry-After", "60"))
            self.throttler.ban(retry_after)
        # A 5xx may have been executed, except the ones Binance says were not: -1008 (throttled by system
        # protection, maintenance) and "Service Unavailable." (reference §1.6).
        unknown = code == c.UNKNOWN_EXECUTION or (status >= 500 and code != c.SYSTEM_THROTTLED
                                                   and not str(msg).startswith("Service Unavailable"))
        raise ExchangeError(status, code, str(msg)[:300], method, path, unknown_outcome=unknown,
                            retry_after=retry_after)

    async def ws_connect(self, url: str, heartbeat: float | None = None) -> aiohttp.ClientWebSocketResponse:
        session = await self.session()
        return await session.ws_connect(url, heartbeat=heartbeat, autoping=True, max_msg_size=0)
