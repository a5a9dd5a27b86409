"""Request parameters as Binance reads them, with typed getters that fail with Binance's own errors.

Binance takes parameters from the query string and from a form-encoded body, whatever the Content-Type says and
whatever the method (reference §1.2). A name sent in both places takes the query's value; a name repeated in the
same place is -1101 "Duplicate values for a parameter detected.". An empty value counts as "not sent" for
every getter except `client_order_id`, where Binance has dedicated "was empty" errors.

`Params.parse` works on what came over the wire, so it needs no aiohttp: pass the query *still percent-encoded*
(aiohttp: `request.rel_url.raw_query_string`, not `request.query_string`, which is decoded) and the body bytes.
Both are kept as `raw_query` / `raw_body` because the signature is computed over them exactly as received.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, ItemsView, Mapping
from decimal import Decimal
from functools import partial
from urllib.parse import parse_qsl

from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.errors import BinanceError

# Caps on what one request may carry; beyond them the request is refused before anything else is read.
MAX_REQUEST_SIZE = 64 * 1024  # characters of query + bytes of body
MAX_PARAMETERS = 100

# The "legal range" texts Binance quotes in its -1100 messages, and the patterns that enforce them.
DECIMAL_RANGE = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
INTEGER_RANGE = "^[0-9]{1,20}$"
CLIENT_ORDER_ID_RANGE = "^[a-zA-Z0-9-_]{1,36}$"
JSON_LIST_RANGE = r'^\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\]$'

_DECIMAL = re.compile(r"[0-9]{1,20}(\.[0-9]{1,20})?")
_INTEGER = re.compile(r"[0-9]{1,20}")
_CLIENT_ORDER_ID = re.compile(r"[A-Za-z0-9_-]{1,36}")
_LIST_ITEM = re.compile(r"[A-Z0-9_.-]{1,20}")


class Params:
    """The parameters of one request: a name -> value map, plus the raw bytes the values came from."""

    def __init__(self, values: Mapping[str, str], raw_query: str = "", raw_body: bytes = b""):
        self._values = dict(values)
        self.raw_query = raw_query
        self.raw_body = raw_body

    @classmethod
    def parse(cls, raw_query: str, raw_body: bytes) -> Params:
        """Read a percent-encoded query string and a form body; BinanceError if they cannot be read."""
        if len(raw_query) + len(raw_body) > MAX_REQUEST_SIZE:
            raise errors.too_many_parameters()
        query = _parse_part(raw_query)
        body = _parse_part(_decode_body(raw_body))
        if len(query) + len(body) > MAX_PARAMETERS:
            raise errors.too_many_parameters()
        return cls({**body, **query}, raw_query, raw_body)

    def __contains__(self, name: object) -> bool:
        """True if the parameter was sent at all, even with an empty value."""
        return name in self._values

    def items(self) -> ItemsView[str, str]:
        """Every parameter sent, name and value (USD-M algo orders read them under other names)."""
        return self._values.items()

    # --- strings ----------------------------------------------------------------------------------------
    def optional(self, name: str) -> str | None:
        """The value, or None when the parameter is absent or empty."""
        return self._values.get(name) or None

    def required(self, name: str) -> str:
        """The value; -1102 naming the parameter when it is absent or empty."""
        value = self.optional(name)
        if value is None:
            raise errors.mandatory_param(name)
        return value

    def _text(self, name: str, required: bool) -> str | None:
        return self.required(name) if required else self.optional(name)

    # --- typed getters ----------------------------------------------------------------------------------
    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        """A plain decimal number ("0.01", "5"); no sign, exponent or spaces (-1100 otherwise)."""
        text = self._text(name, required)
        if text is None:
            return None
        if not _DECIMAL.fullmatch(text):
            raise errors.illegal_chars(name, DECIMAL_RANGE)
        return Decimal(text)

    def integer(
        self, name: str, *, required: bool = False, min: int | None = None, max: int | None = None
    ) -> int | None:
        """A non-negative integer: -1100 if it is not digits, -1130 if outside [min, max]."""
        text = self._text(name, required)
        if text is None:
            return None
        if not _INTEGER.fullmatch(text):
            raise errors.illegal_chars(name, INTEGER_RANGE)
        value = int(text)
        if (min is not None and value < min) or (max is not None and value > max):
            raise errors.invalid_parameter(name)
        return value

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        """"true"/"false" in any case (python-binance sends "True"); -1130 for anything else."""
        text = self._text(name, required)
        if text is None:
            return None
        lowered = text.lower()
        if lowered not in ("true", "false"):
            raise errors.invalid_parameter(name)
        return lowered == "true"

    def enum(
        self,
        name: str,
        allowed: Collection[str],
        error_factory: Callable[[], BinanceError] | None = None,
        *,
        required: bool = False,
    ) -> str | None:
        """One of `allowed` (case-sensitive, as Binance). A bad value raises `error_factory()`, by default
        -1130 for `name`; e.g. `params.enum("side", SIDES, errors.invalid_side, required=True)`."""
        text = self._text(name, required)
        if text is None:
            return None
        if text not in allowed:
            raise (error_factory or partial(errors.invalid_parameter, name))()
        return text

    def client_order_id(self, name: str) -> str | None:
        """A client order id (newClientOrderId, origClientOrderId, ...), or None when not sent.

        Sent but empty is -1119 for the `orig...` names and -1118 for the others; a value outside
        ^[a-zA-Z0-9-_]{1,36}$ is -1100.
        """
        if name not in self._values:
            return None
        value = self._values[name]
        if not value:
            if name.startswith("orig"):
                raise errors.empty_orig_client_order_id()
            raise errors.empty_new_client_order_id()
        if not _CLIENT_ORDER_ID.fullmatch(value):
            raise errors.illegal_chars(name, CLIENT_ORDER_ID_RANGE)
        return value

    def json_list(self, name: str, *, required: bool = False) -> list[str] | None:
        """A JSON array of symbol-like strings, e.g. symbols=["BTCUSDT","ETHUSDT"] (-1100 otherwise)."""
        text = self._text(name, required)
        if text is None:
            return None
        try:
            items = json.loads(text)
        except ValueError:
            raise errors.illegal_chars(name, JSON_LIST_RANGE) from None
        if not isinstance(items, list) or not all(
            isinstance(item, str) and _LIST_ITEM.fullmatch(item) for item in items
        ):
            raise errors.illegal_chars(name, JSON_LIST_RANGE)
        return items


def _decode_body(raw_body: bytes) -> str:
    try:
        return raw_body.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.illegal_chars_in_request() from None


def _parse_part(text: str) -> dict[str, str]:
    """One form-encoded part (the query or the body) -> name: value; -1101 if a name repeats within it."""
    if "%" in text or "+" in text:
        try:
            pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise errors.illegal_chars_in_request() from None
    else:  # nothing to decode (most signed requests): parse_qsl's result, a few times faster
        pairs = [field.partition("=")[::2] for field in text.split("&") if field]
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in values:
            raise errors.duplicate_parameter()
        values[name] = value
    return values
