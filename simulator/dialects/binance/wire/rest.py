"""Binance REST plumbing: endpoint declarations, the request pipeline and the JSON error middleware.

Every REST endpoint is declared once as an `Endpoint` (method, path, security type, weight, handler) and served by
the same pipeline, in Binance's order:

1. read the body (a body over the server's `client_max_size` becomes -1101, never aiohttp's text 413) and the
   parameters from query and body, whatever the Content-Type and method (`Params.parse`);
2. the control plane's `maintenance` fault: every endpoint but spot's exchangeInfo, ping and time answers 503 and
   nothing else runs (no weight is charged; the response still carries the IP's current
   `X-MBX-USED-WEIGHT-1M`); before it, a fault window that starts on first hit starts (`faults.seen`);
3. charge the request's weight to its IP (the weight may depend on the parameters) - every response, errors
   included, carries `X-MBX-USED-WEIGHT-1M`; a refusal here is 429/418;
4. authenticate by security type: NONE ignores any API key header, USER_STREAM needs a valid key, TRADE and
   USER_DATA need key + timestamp + signature (auth.verify);
5. the faults that refuse or delay an authenticated request (http_error: the handler does not run;
   http_latency);
6. run the handler, which returns a JSON-ready value or raises `BinanceError`; then the faults that delay
   (http_latency with phase after: the change and its stream events are out first) or hide an applied
   request's outcome (http_unknown_status, http_blackhole).

`X-MBX-TIME-UNIT: MICROSECOND` (any case) answers every time field in microseconds: the handler's value is
rewritten once, here, by `time_unit.rest_to_microseconds` (known time keys, and the open/close times of kline rows); MILLISECOND
or no header changes nothing and costs one header lookup. Any other value is -1100 before authentication.

Fault hooks cost one truth test per request while no fault is registered (`sim.faults.kinds`).

A handler that raises anything else is a bug: it is logged and answered with a JSON -1000, never a traceback.
Unknown paths and methods get a JSON 404 from `json_errors`, the middleware.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.web_urldispatcher import MatchInfoError

from simulator import fault_kinds as fk
from simulator.app_keys import SIMULATOR
from simulator.core import Simulator
from simulator.dialects.binance.wire import auth, errors
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.dialects.binance.wire.params import Params
from simulator.dialects.binance.wire.time_unit import rest_to_microseconds

log = logging.getLogger(__name__)

# Security types (reference §1.3).
NONE, TRADE, USER_DATA, USER_STREAM = "NONE", "TRADE", "USER_DATA", "USER_STREAM"
# Venues (wire.venue_state.BinanceWireState.limiter_for): which rate-limit pools a request counts against.
SPOT, FUTURES = "spot", "futures"
FUTURES_PREFIXES = ("/fapi/",)
SIGNED = frozenset((TRADE, USER_DATA))
API_KEY_HEADER = "X-MBX-APIKEY"
TIME_UNIT_HEADER = "X-MBX-TIME-UNIT"
# the time fields of spot REST answers (in objects at any depth); positive ints only: -1 (no working time yet)
# and 0 (never) stay as they are
KLINE_PATHS = frozenset(("/api/v3/klines", "/api/v3/uiKlines"))
UNKNOWN_PATH_WEIGHT = 1
HOLD_POLL_S = 0.05  # how often a request held by http_blackhole looks whether its client is gone
# What still answers during a maintenance fault: spot's exchangeInfo shows the symbols' BREAK status (futures
# contracts have no BREAK status, so /fapi answers 503 throughout).
MAINTENANCE_OPEN = frozenset(("/api/v3/exchangeInfo", "/api/v3/ping", "/api/v3/time"))
_AFTER = {"phase": "after"}  # the http_latency faults that delay an applied request's answer
_STOPPING = web.AppKey("binance_rest_stopping", asyncio.Event)

Weight = int | Callable[[Params], int]
Handler = Callable[["Call"], Any]


class BinanceErrorWithData(BinanceError):
    """An error body with a `data` member (cancelReplace: -2021 / -2022 carry both halves' outcomes)."""

    def __init__(self, status: int, code: int, msg: str, data: dict[str, Any]):
        super().__init__(status, code, msg)
        self.data = data

    def to_body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg, "data": self.data}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    security: str
    weight: Weight
    handler: Handler
    # whose rate-limit pools the request counts against: Binance's spot and USD-M futures hosts count apart
    venue: str = SPOT

    def weight_for(self, params: Params | None) -> int:
        """The request weight; the default of a parameter-dependent weight when the parameters are unusable."""
        if isinstance(self.weight, int):
            return self.weight
        try:
            return self.weight(params if params is not None else Params({}))
        except BinanceError:
            return self.weight(Params({}))


@dataclass
class Call:
    """One request on its way through an endpoint: the simulator, the parameters, who sent it."""

    sim: Simulator
    params: Params
    request: web.Request
    api_key: str | None = None
    account_id: int | None = None
    # headers to add to a successful response only (X-MBX-ORDER-COUNT-*: rejected orders may omit them)
    success_headers: dict[str, str] = field(default_factory=dict)
    venue: str = SPOT

    def charge_order(self) -> None:
        """Count one new order for this account: 429 -1015 when over an ORDERS pool of the endpoint's venue."""
        self.success_headers.update(self.sim.wire.limiter_for(self.venue).charge_order(self.account_id))


# One encoder for every response: `json.dumps(data, separators=...)` builds a new JSONEncoder on each call.
_dumps = json.JSONEncoder(separators=(",", ":")).encode


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=_dumps(data).encode(),
        status=status,
        headers=headers,
        content_type="application/json",
        charset="utf-8",
    )


def error_response(error: BinanceError, headers: dict[str, str]) -> web.Response:
    return json_response(error.to_body(), error.status, {**headers, **error.headers})


def client_ip(request: web.Request) -> str:
    return request.remote or "unknown"


def raw_query(request: web.Request) -> str:
    """The query string exactly as sent (still percent-encoded): what the client signed."""
    return request.raw_path.partition("?")[2].partition("#")[0]


async def serve(request: web.Request, endpoint: Endpoint) -> web.Response:
    sim = request.app[SIMULATOR]
    # The traffic log (scenarios' subject): the request as it arrives, its status once answered. A request
    # whose connection http_blackhole dropped keeps status None: its client never saw an answer.
    key = sim.keys.get(request.headers.get(API_KEY_HEADER) or "")
    key_owner = key.account_id if key else None  # before authentication: whose key the header names, if any
    seen = sim.traffic.request(f"{request.method} {request.path}", key_owner)
    response = await _answer(sim, request, endpoint, key_owner)
    if not isinstance(response, _DroppedAnswer):
        seen["status"] = response.status
    return response


async def _answer(sim: Simulator, request: web.Request, endpoint: Endpoint, key_owner: int | None) -> web.Response:
    headers: dict[str, str] = {}
    try:
        params: Params | None = None
        problem: BinanceError | None = None
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            problem = errors.too_many_parameters()
        else:
            try:
                params = Params.parse(raw_query(request), body)
            except BinanceError as exc:
                problem = exc
        faults = _Faults(sim.faults, request, params, key_owner) if sim.faults.kinds else None
        if faults is not None:
            faults.arrived()
            refusal = faults.maintenance()
            if refusal is not None:  # before the weight: a venue in maintenance counts nothing
                headers.update(_current_weight(sim, client_ip(request), endpoint.venue))
                raise refusal
        limiter = sim.wire.limiter_for(endpoint.venue)
        headers.update(limiter.charge_request(client_ip(request), endpoint.weight_for(params)))
        if problem is not None:
            raise problem
        micro = _micro_time_unit(request)
        call = Call(sim, params, request, venue=endpoint.venue)
        authenticate(call, endpoint.security)
        if faults is not None:
            refusal = await faults.before(call.account_id)
            if refusal is not None:
                raise refusal
        data = endpoint.handler(call)
        if isinstance(data, Awaitable):
            data = await data
        headers.update(call.success_headers)
        if faults is not None:
            replaced = await faults.after(call.account_id)
            if replaced is not None:
                raise replaced
        if micro:
            data = rest_to_microseconds(data, endpoint.path in KLINE_PATHS)
        return json_response(data, 200, headers)
    except BinanceError as exc:
        return error_response(exc, headers)
    except _Dropped:
        return _DroppedAnswer(status=503)  # never reaches the client: its connection is closed
    except ConnectionError:  # the client went, or was cut off for stalling, mid-request: nobody to answer
        raise
    except Exception:  # a bug: log it, answer like Binance does when it does not know what happened
        log.exception("unexpected error in %s %s", endpoint.method, endpoint.path)
        return error_response(errors.unknown_error(), headers)


def invalid_time_unit() -> BinanceError:
    # the code is Binance's for a bad value; the exact text is not documented
    return BinanceError(400, -1100, "Invalid time unit.")


def _micro_time_unit(request: web.Request) -> bool:
    """Whether the answer's times are to be microseconds (X-MBX-TIME-UNIT, case-insensitive)."""
    unit = request.headers.get(TIME_UNIT_HEADER)
    if unit is None:
        return False
    unit = unit.upper()
    if unit == "MICROSECOND":
        return True
    if unit == "MILLISECOND":
        return False
    raise invalid_time_unit()


def _current_weight(sim: Simulator, ip: str, venue: str) -> dict[str, str]:
    """The IP's X-MBX-USED-WEIGHT-* headers as they stand, charging nothing."""
    return sim.wire.limiter_for(venue).weight_headers(ip, sim.clock.now_ms())


class _Faults:
    """The control plane's REST fault hooks (simulator.control.faults, WIRING): refuse before anything is
    charged (maintenance), refuse or delay an authenticated request before its handler runs (http_error,
    http_latency), or hide the outcome of an applied request (http_unknown_status: 503 -1007; http_blackhole:
    no answer, then the connection drops).

    Targets: endpoint "METHOD /path", the request's `symbol` (upper case), and the account - the authenticated
    one once authenticate() ran, before that (maintenance) the owner of the X-MBX-APIKEY header if any."""

    def __init__(self, injector, request: web.Request, params: Params | None, key_owner: int | None):
        self.injector = injector
        self.request = request
        self.endpoint = f"{request.method} {request.path}"
        symbol = params.optional("symbol") if params is not None else None
        self.symbol = symbol.upper() if isinstance(symbol, str) and symbol else None
        self.key_account_id = key_owner

    def _match(self, kind: str, account_id: int | None, details: dict[str, str] | None = None):
        if kind not in self.injector.kinds:
            return None
        return self.injector.match(kind, endpoint=self.endpoint, symbol=self.symbol,
                                   account_id=account_id if account_id is not None else self.key_account_id,
                                   details=details)

    def arrived(self) -> None:
        """The request is traffic of its account (its API key's owner): a fault window that starts on first hit
        starts now."""
        if self.injector.waiting:
            self.injector.seen(endpoint=self.endpoint, symbol=self.symbol, account_id=self.key_account_id)

    def maintenance(self) -> BinanceError | None:
        """503 -1008, except on the endpoints that keep answering during maintenance (exchangeInfo shows the
        symbols' BREAK status; ping and time stay up so a client can tell the venue from the network)."""
        if self.request.path in MAINTENANCE_OPEN:
            return None
        if self._match(fk.MAINTENANCE, None) is not None:
            return errors.futures_throttled() if self.request.path.startswith(FUTURES_PREFIXES) \
                else errors.server_busy()
        return None

    async def before(self, account_id: int | None) -> BinanceError | None:
        fault = self._match(fk.HTTP_ERROR, account_id)
        if fault is not None:
            params = fault.params
            return errors.injected_http_error(params.get("status", 503), params.get("code"), params.get("msg"))
        fault = self._match(fk.HTTP_LATENCY, account_id)
        if fault is not None:
            await asyncio.sleep(fault.params["ms"] / 1000)
        return None

    async def after(self, account_id: int | None) -> BinanceError | None:
        fault = self._match(fk.HTTP_LATENCY, account_id, _AFTER)
        if fault is not None:  # the change is applied and its events are queued: only the answer is late
            await asyncio.sleep(fault.params["ms"] / 1000)
        if self._match(fk.HTTP_UNKNOWN_STATUS, account_id) is not None:
            return errors.backend_timeout()
        fault = self._match(fk.HTTP_BLACKHOLE, account_id)
        if fault is not None:
            transport = self.request.transport
            await _hold(self.request, fault.params.get("holdMs"))
            if transport is not None:
                transport.close()
            raise _Dropped()
        return None


async def _hold(request: web.Request, hold_ms: int | None) -> None:
    """Keep a request unanswered for hold_ms (None: for ever), ending early when the client gives up (its side
    of the connection closes) or the server shuts down."""
    loop = asyncio.get_running_loop()
    deadline = None if hold_ms is None else loop.time() + hold_ms / 1000
    stopping = request.app.get(_STOPPING)
    transport = request.transport
    while transport is not None and not transport.is_closing() and not (stopping and stopping.is_set()):
        remaining = HOLD_POLL_S if deadline is None else deadline - loop.time()
        if remaining <= 0:
            return
        await asyncio.sleep(min(remaining, HOLD_POLL_S))


class _Dropped(Exception):
    """The connection was dropped on purpose (http_blackhole): there is nobody left to answer."""


class _DroppedAnswer(web.Response):
    """The answer to a dropped connection, which nobody receives."""


def authenticate(call: Call, security: str) -> None:
    if security == NONE:
        return
    sim = call.sim
    header = call.request.headers.get(API_KEY_HEADER)
    if security in SIGNED:
        api_key = auth.verify(call.params, header, sim.keys.secret_of, sim.clock.server_time_ms())
    else:
        auth.api_key_secret(header, sim.keys.secret_of)
        api_key = header
    call.api_key = api_key
    call.account_id = sim.keys.get(api_key).account_id


def add_endpoints(app: web.Application, endpoints: list[Endpoint]) -> None:
    if _STOPPING not in app:  # set on shutdown: requests held by http_blackhole let go at once
        app[_STOPPING] = asyncio.Event()
        app.on_shutdown.append(_stop_holding)
    for endpoint in endpoints:
        app.router.add_route(endpoint.method, endpoint.path, _bind(endpoint))


async def _stop_holding(app: web.Application) -> None:
    app[_STOPPING].set()


def _bind(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        return await serve(request, endpoint)

    handler.__name__ = f"binance_{endpoint.method.lower()}_{endpoint.path.strip('/').replace('/', '_')}"
    return handler


@web.middleware
async def json_errors(request: web.Request, handler) -> web.StreamResponse:
    """Unknown paths and methods: a JSON 404 with the weight header, instead of aiohttp's text answer.

    Only requests no route matched are touched: a route's own HTTP exceptions (WebSocket, control plane) pass.
    """
    if not isinstance(request.match_info, MatchInfoError):
        return await handler(request)
    sim = request.app[SIMULATOR]
    venue = FUTURES if request.path.startswith(FUTURES_PREFIXES) else SPOT
    try:
        headers = sim.wire.limiter_for(venue).charge_request(client_ip(request), UNKNOWN_PATH_WEIGHT)
    except BinanceError as exc:
        return error_response(exc, {})
    return error_response(errors.not_found(), headers)
