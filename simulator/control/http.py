"""The control plane over HTTP: `/_sim/v1/...`, JSON in and out, generated from `api.ROUTES`.

Mounted by the server as a sub-application, so every path under the prefix is answered here: unknown paths get a
JSON 404, wrong methods a JSON 405, and every refusal is `{"error": {"code": ..., "message": ...}}` with a 4xx
status. The `guard` middleware runs before anything else:

* without an admin token, only loopback peers are served (others get 403 `loopback_only`);
* with one (`exsim serve --admin-token`), every request must carry it, as `X-Exsim-Admin-Token: T` or
  `Authorization: Bearer T` (missing: 401 `admin_token_required`, wrong: 403 `bad_admin_token`), whoever the
  peer. Trading API keys (`X-MBX-APIKEY`) are never looked at here: they grant nothing.

A web page in the user's browser can reach loopback too, so the guard also refuses what only a browser sends:

* a `Host` that is not one of the server's names (403 `foreign_host`): a loopback address, `localhost`, or a
  name given with `allowed_hosts` (`exsim serve` adds the address it binds and each `--allow-host`). A page
  whose own name was re-pointed at 127.0.0.1 (DNS rebinding) sends its name, and could otherwise read every API
  secret from the snapshot. The port is not compared: a browser reaches a port only through a name that
  resolves to us, and SSH tunnels or port maps legitimately change it. With an admin token the Host is not
  checked (remote clients use names the server cannot know; a rebinding page cannot present the token);
* an `Origin` (which browsers attach to cross-site writes) that is not the server's own origin, i.e. an allowed
  name with the request's own Host and port (403 `foreign_origin`); clients that are not browsers send none;
* a write (POST, PUT, DELETE, PATCH) not declared `Content-Type: application/json` (415 `unsupported_media_type`):
  a form or a `text/plain` fetch needs no CORS preflight, JSON does, and the control plane answers none.

The trading API (`/api`, `/sapi`, `/fapi`, streams) is not behind any of this: Binance clients are not browsers
of this origin, and they send whatever Host they were pointed at.
"""
from __future__ import annotations

import hmac
import inspect
import ipaddress
import json
import logging
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from aiohttp import web

from simulator.app_keys import SIMULATOR
from simulator.control.api import Control, signature_of
from simulator.control.routes import PATH_PARAMS, ROUTES, Route
from simulator.control.errors import ControlError, bad_request
from simulator.control.persist import STATE_SAVER
from simulator.inputs import InputError, integer, parse_json
from simulator.control.scenarios import Player, drive_async, resolve

log = logging.getLogger(__name__)

PREFIX = "/_sim/v1"
TOKEN_HEADER = "X-Exsim-Admin-Token"
ADMIN_TOKEN = web.AppKey("exsim_admin_token", str)
ALLOWED_HOSTS = web.AppKey("exsim_allowed_hosts", frozenset)
WRITE_METHODS = frozenset(("POST", "PUT", "DELETE", "PATCH"))
_AUTHORITY = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?")
_DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_BODY = 4 * 1024 * 1024
MAX_SNAPSHOT_BODY = 512 * 1024 * 1024
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


# --- responses ------------------------------------------------------------------------------------------
def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data, separators=(",", ":"), default=_default).encode(), status=status,
                        content_type="application/json", charset="utf-8")


def error_response(error: ControlError) -> web.Response:
    return json_response(error.to_body(), error.status)


# --- who may call ---------------------------------------------------------------------------------------
def is_loopback(remote: str | None) -> bool:
    if not remote:
        return False
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def presented_token(headers: Mapping[str, str]) -> str | None:
    token = headers.get(TOKEN_HEADER)
    if token:
        return token.strip()
    scheme, _, value = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def admin_refusal(remote: str | None, headers: Mapping[str, str], token: str | None) -> ControlError | None:
    """Why this request may not use the control plane, or None if it may."""
    if token is None:
        if not is_loopback(remote):
            return ControlError("loopback_only", "the control plane answers loopback clients only; start exsim "
                                                 "with --admin-token to allow other hosts", 403)
        return None
    presented = presented_token(headers)
    if presented is None:
        return ControlError("admin_token_required", f"send the admin token as {TOKEN_HEADER} or "
                                                    "'Authorization: Bearer <token>'", 401)
    if not hmac.compare_digest(presented.encode(), token.encode()):
        return ControlError("bad_admin_token", "the admin token is not valid (trading API keys grant no control "
                                               "access)", 403)
    return None


def host_name(name: str) -> str:
    """A host name as compared here: lower case, without IPv6 brackets or a final dot."""
    name = name.lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    return name[:-1] if name.endswith(".") else name


def parse_authority(authority: str, default_port: int = 80) -> tuple[str, int] | None:
    """(host name, port) of a `Host` header or an Origin's `host[:port]`; None when it is not one."""
    match = _AUTHORITY.fullmatch(authority)
    if match is None:
        return None
    port = int(match.group(2)) if match.group(2) else default_port
    return (host_name(match.group(1)), port) if port <= 65535 else None


def is_allowed_host(name: str, allowed: frozenset[str]) -> bool:
    """A loopback address, `localhost`, or a configured name."""
    if name == "localhost" or name in allowed:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def browser_refusal(method: str, headers: Mapping[str, str], content_type: str, allowed: frozenset[str],
                    check_host: bool) -> ControlError | None:
    """Why this request looks like a web page's, or None if it does not (see the module docstring)."""
    host_header = headers.get("Host")
    host = parse_authority(host_header) if host_header is not None else None
    if check_host and host_header is not None and (host is None or not is_allowed_host(host[0], allowed)):
        return ControlError("foreign_host", f"Host {host_header!r} is not a name of this server (loopback "
                                            "addresses, localhost or a name given with --allow-host); refused "
                                            "so that no web page can reach the control plane", 403)
    origin = headers.get("Origin")
    if origin is not None and not _same_origin(origin, host, allowed):
        return ControlError("foreign_origin", f"requests from web pages (Origin {origin!r}) are refused: the "
                                              "control plane serves this server's own origin only", 403)
    if method in WRITE_METHODS and content_type != "application/json":
        return ControlError("unsupported_media_type", f"{method} on the control plane must be sent with "
                                                      "'Content-Type: application/json', even without a body", 415)
    return None


def _same_origin(origin: str, host: tuple[str, int] | None, allowed: frozenset[str]) -> bool:
    scheme, sep, authority = origin.partition("://")
    if not sep or scheme.lower() not in _DEFAULT_PORTS or host is None:
        return False  # includes "null" (sandboxed frames, file: pages)
    parsed = parse_authority(authority, _DEFAULT_PORTS[scheme.lower()])
    return parsed is not None and is_allowed_host(parsed[0], allowed) and parsed == host


@web.middleware
async def guard(request: web.Request, handler) -> web.StreamResponse:
    token = request.app.get(ADMIN_TOKEN)
    refusal = admin_refusal(request.remote, request.headers, token) or browser_refusal(
        request.method, request.headers, request.content_type, request.app[ALLOWED_HOSTS], check_host=token is None)
    if refusal is not None:
        return error_response(refusal)
    try:
        return await handler(request)
    except ControlError as exc:
        return error_response(exc)
    except (web.HTTPException, ConnectionError):  # (ConnectionError: the client went mid-request)
        raise
    except Exception:  # a bug: logged, answered as JSON rather than a traceback
        log.exception("control plane error in %s %s", request.method, request.path)
        return error_response(ControlError("internal", "the simulator failed to handle this request; see its log",
                                           500))


# --- requests -------------------------------------------------------------------------------------------
async def read_json(request: web.Request, limit: int) -> Any:
    """The JSON body (None when empty), read by `inputs.parse_json`: nesting bounded, every number that is not a
    short plain integer kept as its text for its field's reader to bound (and a float never becomes money)."""
    length = request.content_length
    if length is not None and length > limit:
        raise ControlError("body_too_large", f"the request body is over {limit} bytes", 413)
    if length is not None and length <= request.client_max_size:
        raw = await request.read()  # (possibly already read, and cached, by the journal)
    else:  # over the server's general body limit (a snapshot upload) or chunked: stream it, up to `limit`
        chunks, size = [], 0
        async for chunk in request.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > limit:
                raise ControlError("body_too_large", f"the request body is over {limit} bytes", 413)
            chunks.append(chunk)
        raw = b"".join(chunks)
    if not raw.strip():
        return None
    try:
        return parse_json(raw)
    except InputError as exc:
        raise bad_request(f"the body is {exc.reason}") from None


def _convert(value: str, kind: type, name: str) -> Any:
    if kind is int:
        try:
            return integer(value, name, digits=True)
        except InputError as exc:
            raise bad_request(str(exc)) from None
    if kind is bool:
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise bad_request(f"{name}: expected true or false, got {value!r}")
    return value


async def call_kwargs(request: web.Request, route: Route) -> dict[str, Any]:
    """The Control method's keyword arguments from path, query and body; a ControlError for anything amiss."""
    params = [p for p in signature_of(route.op).parameters.values() if p.name != "self"]
    kwargs: dict[str, Any] = {}
    for name, value in request.match_info.items():
        kwargs[name] = _convert(value, PATH_PARAMS[name], name)
    query_keys = {key: (kwarg, kind) for key, kwarg, kind in route.query}
    for key in request.query:
        if key not in query_keys:
            allowed = ", ".join(query_keys) or "none"
            raise bad_request(f"{key}: unknown query parameter (allowed: {allowed})")
        if len(request.query.getall(key)) > 1:
            raise bad_request(f"{key}: given more than once")
        kwarg, kind = query_keys[key]
        kwargs[kwarg] = _convert(request.query[key], kind, key)
    limit = MAX_SNAPSHOT_BODY if route.body_is == "document" else MAX_BODY
    body = await read_json(request, limit) if request.body_exists else None  # (read: may be cached)
    if route.body_is is not None:
        if body is None:
            raise bad_request(f"the request body must be the {route.body_is} (JSON)")
        kwargs[route.body_is] = body
    elif body is not None:
        if not isinstance(body, dict):
            raise bad_request("the body must be a JSON object")
        fields = dict(route.body)
        for key, value in body.items():
            if key not in fields:
                raise bad_request(f"{key}: unknown field (allowed: {', '.join(fields) or 'none'})")
            if value is not None:
                kwargs[fields[key]] = value
    json_names = {kwarg: key for key, kwarg in route.body}
    json_names.update({kwarg: key for key, kwarg, _ in route.query})
    for param in params:
        if param.default is inspect.Parameter.empty and param.name not in kwargs:
            raise bad_request(f"{json_names.get(param.name, param.name)}: required")
    return kwargs


def _handler(route: Route):
    async def handle(request: web.Request) -> web.Response:
        kwargs = await call_kwargs(request, route)
        control = Control(request.config_dict[SIMULATOR], request.config_dict.get(STATE_SAVER))
        return json_response(getattr(control, route.op)(**kwargs))

    handle.__name__ = f"control_{route.op}"
    return handle


async def run_scenario(request: web.Request) -> web.Response:
    """Server-side play: waits are `asyncio.sleep`s, so the server (and its market) keeps running meanwhile."""
    route = next(r for r in ROUTES if r.op == "run_scenario")
    kwargs = await call_kwargs(request, route)
    player = Player(resolve(**kwargs), Control(request.config_dict[SIMULATOR]))
    return json_response((await drive_async(player)).to_dict())


def _pattern(path: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(path)) + "$")


_PATTERNS = [(_pattern(route.path), route.method) for route in ROUTES]


async def not_found(request: web.Request) -> web.Response:
    tail = "/" + request.match_info.get("tail", "")
    allowed = sorted({method for pattern, method in _PATTERNS if pattern.match(tail)})
    if allowed:
        return error_response(ControlError("method_not_allowed", f"{request.method} {PREFIX}{tail}: use "
                                                                 f"{' or '.join(allowed)}", 405))
    return error_response(ControlError("unknown_path", f"no control route {request.method} {PREFIX}{tail}", 404))


def create_control_app(admin_token: str | None = None, allowed_hosts: Iterable[str] = ()) -> web.Application:
    """`allowed_hosts`: names accepted in `Host` and `Origin` besides loopback addresses and localhost."""
    control = web.Application(middlewares=[guard])
    if admin_token is not None:
        if not admin_token.strip():
            raise ValueError("the admin token is empty: give a real one, or none to serve loopback clients only")
        control[ADMIN_TOKEN] = admin_token.strip()
    control[ALLOWED_HOSTS] = frozenset(host_name(name) for name in allowed_hosts)
    for route in ROUTES:
        handler = run_scenario if route.op == "run_scenario" else _handler(route)
        control.router.add_route(route.method, route.path, handler)
    control.router.add_route("*", "/{tail:.*}", not_found)
    return control


def setup(app: web.Application, admin_token: str | None = None, allowed_hosts: Iterable[str] = ()) -> None:
    """Mount the control plane on the server's app (which holds the Simulator under SIMULATOR)."""
    app.add_subapp(PREFIX, create_control_app(admin_token, allowed_hosts))
