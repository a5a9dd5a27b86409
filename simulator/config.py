"""The simulator's configuration: a YAML file read into frozen dataclasses, or a ConfigError saying what is wrong.

The schema is documented at the top of `fixtures/default.yaml`, the embedded default that `load_config()`
reads when given no path. Every error names the key path and the reason, e.g.
`spot[1].tick_size: not a decimal number: 'abc'`; unknown keys and duplicate keys are errors too.

Decimals may be written as YAML strings or numbers; either way they are read through `str()` into `Decimal`,
so no float arithmetic touches them. Spot instruments become the engine's own `InstrumentSpec` (same field
names) and are proved by building an `Instrument`, which refuses grids that would need rounding.
"""
from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import yaml

from simulator.dialects.binance.wire.auth import API_KEY_PATTERN
from simulator.dialects.binance.wire.ratelimit import INTERVAL_MS, RATE_LIMIT_TYPES, REQUEST_WEIGHT, Pool
from simulator.engine.instrument import STP_MODES, Instrument, InstrumentSpec

# fixtures/ sits next to the simulator package both in a source checkout and in an editable install.
DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "default.yaml"

T = TypeVar("T")
Parser = Callable[[Any, str], T]


class ConfigError(ValueError):
    """An invalid configuration; the message starts with the key path of the offending value."""


# --- the configuration --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int


@dataclass(frozen=True)
class PerpetualSpec:
    symbol: str
    base: str
    quote: str
    margin_asset: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    max_leverage: int
    maint_margin_rate: Decimal
    funding_interval_hours: int


@dataclass(frozen=True)
class FeeTier:
    maker: Decimal
    taker: Decimal


@dataclass(frozen=True)
class FeesConfig:
    tiers: tuple[FeeTier, ...]  # an account's fee_tier indexes this


@dataclass(frozen=True)
class AccountConfig:
    name: str
    api_key: str
    secret: str
    fee_tier: int
    spot: Mapping[str, Decimal]
    futures: Mapping[str, Decimal]


@dataclass(frozen=True)
class RateLimitsConfig:
    enabled: bool
    spot: tuple[Pool, ...]
    futures: tuple[Pool, ...]


@dataclass(frozen=True)
class MarketMakerConfig:
    enabled: bool
    seed_offset: int
    index: Mapping[str, Decimal]
    levels: int
    level_step_bps: int
    level_qty: Mapping[str, Decimal]
    refill_ms: int
    trade_every_ms: int
    volatility_bps: int
    counterparties: int


@dataclass(frozen=True)
class WebSocketConfig:
    max_lifetime_s: int
    ping_interval_s: int
    max_incoming_per_s: int


@dataclass(frozen=True)
class UserStreamConfig:
    listen_key_ttl_s: int


@dataclass(frozen=True)
class Config:
    seed: int
    server: ServerConfig
    spot: tuple[InstrumentSpec, ...]
    perpetuals: tuple[PerpetualSpec, ...]
    fees: FeesConfig
    accounts: tuple[AccountConfig, ...]
    rate_limits: RateLimitsConfig
    market_maker: MarketMakerConfig
    websocket: WebSocketConfig
    user_stream: UserStreamConfig


# --- entry points ---------------------------------------------------------------------------------------
def load_config(path: str | Path | None = None) -> Config:
    """Read and validate a YAML file; the embedded default when `path` is None."""
    source = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror or exc}") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    try:
        return parse_config(data)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def parse_config(data: object) -> Config:
    """Validate an already-parsed YAML document (a dict) into a Config."""
    root = _Section(data, "")
    spot = root.required("spot", _list_of(_instrument))
    perpetuals = root.required("perpetuals", _list_of(_perpetual))
    _check_unique([spec.symbol for spec in spot], "spot", "symbol")
    _check_unique([spec.symbol for spec in perpetuals], "perpetuals", "symbol")
    fees = root.required("fees", _fees)
    accounts = root.required("accounts", _list_of(_account))
    _check_accounts(accounts, len(fees.tiers))
    market_maker = root.required("market_maker", _market_maker)
    _check_market_maker_symbols(market_maker, {spec.symbol for spec in (*spot, *perpetuals)})
    config = Config(
        seed=root.required("seed", _non_negative_int),
        server=root.required("server", _server),
        spot=spot,
        perpetuals=perpetuals,
        fees=fees,
        accounts=accounts,
        rate_limits=root.required("rate_limits", _rate_limits),
        market_maker=market_maker,
        websocket=root.required("websocket", _websocket),
        user_stream=root.required("user_stream", _user_stream),
    )
    root.finish()
    return config


# --- reading mappings -----------------------------------------------------------------------------------
class _Section:
    """A YAML mapping being read: remembers its key path and which keys were read, to refuse unknown ones."""

    def __init__(self, data: object, path: str):
        if not isinstance(data, dict):
            raise ConfigError(f"{path or 'the document'}: expected a mapping")
        self._data = data
        self._path = path
        self._read: set[str] = set()

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def child(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def required(self, key: str, parse: Parser[T]) -> T:
        if key not in self._data:
            raise ConfigError(f"{self.child(key)}: required")
        return self._take(key, parse)

    def optional(self, key: str, parse: Parser[T], default: T) -> T:
        return self._take(key, parse) if key in self._data else default

    def _take(self, key: str, parse: Parser[T]) -> T:
        self._read.add(key)
        return parse(self._data[key], self.child(key))

    def finish(self) -> None:
        """Refuse the keys nobody asked for."""
        unknown = sorted(str(key) for key in self._data if key not in self._read)
        if unknown:
            raise ConfigError(f"{self.child(unknown[0])}: unknown key")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key repeated in one mapping (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                line = key_node.start_mark.line + 1
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r} on line {line}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# --- scalar parsers: (value, path) -> value, or ConfigError -----------------------------------------------
def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{path}: expected a non-empty string")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: expected true or false")
    return value


def _int_at_least(minimum: int, maximum: int | None = None) -> Parser[int]:
    def parse(value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected an integer")
        if value < minimum:
            raise ConfigError(f"{path}: must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{path}: must be at most {maximum}")
        return value

    return parse


_non_negative_int = _int_at_least(0)
_positive_int = _int_at_least(1)
# The market maker opens an account per counterparty and an order per level at start-up: bound both, so a
# config (or a snapshot carrying one) cannot stall the server building millions of them.
MAX_MARKET_LEVELS = 100
MAX_COUNTERPARTIES = 100


def _port(value: Any, path: str) -> int:
    port = _non_negative_int(value, path)
    if port > 65535:
        raise ConfigError(f"{path}: must be at most 65535")
    return port


def _decimal(value: Any, path: str) -> Decimal:
    """A non-negative finite decimal from a YAML string or number, read through str() (never float math)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(f"{path}: not a decimal number: {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ConfigError(f"{path}: not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise ConfigError(f"{path}: not a finite number: {value!r}")
    if number < 0:
        raise ConfigError(f"{path}: must not be negative")
    return number


def _positive_decimal(value: Any, path: str) -> Decimal:
    number = _decimal(value, path)
    if number == 0:
        raise ConfigError(f"{path}: must be greater than zero")
    return number


def _one_of(allowed: tuple[str, ...]) -> Parser[str]:
    def parse(value: Any, path: str) -> str:
        if value not in allowed:
            raise ConfigError(f"{path}: {value!r} is not one of {', '.join(allowed)}")
        return value

    return parse


# --- collection parsers ---------------------------------------------------------------------------------
def _list_of(item: Parser[T]) -> Parser[tuple[T, ...]]:
    def parse(value: Any, path: str) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise ConfigError(f"{path}: expected a list")
        return tuple(item(element, f"{path}[{index}]") for index, element in enumerate(value))

    return parse


def _mapping_of(item: Parser[T]) -> Parser[Mapping[str, T]]:
    """A mapping with non-empty string keys (asset or symbol names).

    A plain dict, typed as a read-only Mapping: a mappingproxy would make the config impossible to deepcopy or
    pickle (snapshots).
    """

    def parse(value: Any, path: str) -> Mapping[str, T]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a mapping")
        parsed = {}
        for key, element in value.items():
            child = f"{path}.{key}"
            if not isinstance(key, str) or not key:
                raise ConfigError(f"{child}: keys must be non-empty strings")
            parsed[key] = item(element, child)
        return parsed

    return parse


# --- sections -------------------------------------------------------------------------------------------
def _server(value: Any, path: str) -> ServerConfig:
    section = _Section(value, path)
    server = ServerConfig(host=section.required("host", _text), port=section.required("port", _port))
    section.finish()
    return server


# InstrumentSpec's fields are read by their type; the only tuple field is allowed_stp.
_SPEC_TYPES = typing.get_type_hints(InstrumentSpec)
_SPEC_PARSERS: dict[object, Parser[Any]] = {
    str: _text,
    Decimal: _decimal,
    int: _non_negative_int,
    tuple[str, ...]: _list_of(_one_of(STP_MODES)),
}


def _instrument(value: Any, path: str) -> InstrumentSpec:
    """An InstrumentSpec: the fields without a default are required, the others keep the engine's default."""
    section = _Section(value, path)
    fields = {}
    for field in dataclasses.fields(InstrumentSpec):
        has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        if field.name in section or not has_default:
            fields[field.name] = section.required(field.name, _SPEC_PARSERS[_SPEC_TYPES[field.name]])
    section.finish()
    spec = InstrumentSpec(**fields)
    _prove_grid(spec, path)
    if spec.default_stp not in spec.allowed_stp:
        raise ConfigError(f"{path}.default_stp: {spec.default_stp!r} is not in allowed_stp")
    return spec


def _prove_grid(spec: InstrumentSpec, path: str) -> None:
    """Build the engine's Instrument, which refuses impossible grids, statuses and STP modes."""
    try:
        Instrument(spec)
    except ValueError as exc:
        reason = str(exc).removeprefix(f"{spec.symbol}: ")  # some engine messages start with the symbol
        raise ConfigError(f"{path} ({spec.symbol}): {reason}") from None


def _perpetual(value: Any, path: str) -> PerpetualSpec:
    section = _Section(value, path)
    spec = PerpetualSpec(
        symbol=section.required("symbol", _text),
        base=section.required("base", _text),
        quote=section.required("quote", _text),
        margin_asset=section.required("margin_asset", _text),
        tick_size=section.required("tick_size", _positive_decimal),
        step_size=section.required("step_size", _positive_decimal),
        min_qty=section.required("min_qty", _decimal),
        max_qty=section.required("max_qty", _decimal),
        min_notional=section.required("min_notional", _decimal),
        max_leverage=section.required("max_leverage", _positive_int),
        maint_margin_rate=section.required("maint_margin_rate", _decimal),
        funding_interval_hours=section.required("funding_interval_hours", _positive_int),
    )
    section.finish()
    if spec.maint_margin_rate >= 1:
        raise ConfigError(f"{path}.maint_margin_rate: must be less than 1")
    # The same integer grid as spot: price x quantity must never need rounding.
    grid = InstrumentSpec(
        symbol=spec.symbol,
        base=spec.base,
        quote=spec.quote,
        tick_size=spec.tick_size,
        step_size=spec.step_size,
        min_qty=spec.min_qty,
        max_qty=spec.max_qty,
    )
    _prove_grid(grid, path)
    return spec


def _fee_tier(value: Any, path: str) -> FeeTier:
    section = _Section(value, path)
    tier = FeeTier(maker=section.required("maker", _decimal), taker=section.required("taker", _decimal))
    section.finish()
    return tier


def _fees(value: Any, path: str) -> FeesConfig:
    section = _Section(value, path)
    fees = FeesConfig(tiers=section.required("tiers", _list_of(_fee_tier)))
    section.finish()
    if not fees.tiers:
        raise ConfigError(f"{path}.tiers: at least one fee tier is required")
    return fees


def _api_key(value: Any, path: str) -> str:
    key = _text(value, path)
    if not API_KEY_PATTERN.fullmatch(key):
        raise ConfigError(f"{path}: must be 1-128 characters of A-Z, a-z, 0-9, '-' and '_'")
    return key


def _account(value: Any, path: str) -> AccountConfig:
    section = _Section(value, path)
    account = AccountConfig(
        name=section.required("name", _text),
        api_key=section.required("api_key", _api_key),
        secret=section.required("secret", _text),
        fee_tier=section.optional("fee_tier", _non_negative_int, 0),
        spot=section.optional("spot", _mapping_of(_decimal), {}),
        futures=section.optional("futures", _mapping_of(_decimal), {}),
    )
    section.finish()
    return account


def _check_accounts(accounts: tuple[AccountConfig, ...], tier_count: int) -> None:
    _check_unique([account.name for account in accounts], "accounts", "name")
    _check_unique([account.api_key for account in accounts], "accounts", "api_key")
    for index, account in enumerate(accounts):
        if account.fee_tier >= tier_count:
            raise ConfigError(
                f"accounts[{index}].fee_tier: no fee tier {account.fee_tier} (fees.tiers has {tier_count})"
            )


def _pool(value: Any, path: str) -> Pool:
    section = _Section(value, path)
    pool = Pool(
        type=section.required("type", _one_of(RATE_LIMIT_TYPES)),
        interval=section.required("interval", _one_of(tuple(INTERVAL_MS))),
        interval_num=section.required("interval_num", _positive_int),
        limit=section.required("limit", _positive_int),
    )
    section.finish()
    return pool


def _pools(value: Any, path: str) -> tuple[Pool, ...]:
    pools = _list_of(_pool)(value, path)
    if not any(pool.type == REQUEST_WEIGHT for pool in pools):
        raise ConfigError(f"{path}: a REQUEST_WEIGHT pool is required")
    return pools


def _rate_limits(value: Any, path: str) -> RateLimitsConfig:
    section = _Section(value, path)
    limits = RateLimitsConfig(
        enabled=section.required("enabled", _bool),
        spot=section.required("spot", _pools),
        futures=section.required("futures", _pools),
    )
    section.finish()
    return limits


def _market_maker(value: Any, path: str) -> MarketMakerConfig:
    section = _Section(value, path)
    market_maker = MarketMakerConfig(
        enabled=section.required("enabled", _bool),
        seed_offset=section.optional("seed_offset", _non_negative_int, 0),
        index=section.required("index", _mapping_of(_positive_decimal)),
        levels=section.required("levels", _int_at_least(1, MAX_MARKET_LEVELS)),
        level_step_bps=section.required("level_step_bps", _positive_int),
        level_qty=section.required("level_qty", _mapping_of(_positive_decimal)),
        refill_ms=section.required("refill_ms", _positive_int),
        trade_every_ms=section.required("trade_every_ms", _positive_int),
        volatility_bps=section.required("volatility_bps", _non_negative_int),
        counterparties=section.required("counterparties", _int_at_least(1, MAX_COUNTERPARTIES)),
    )
    section.finish()
    return market_maker


def _check_market_maker_symbols(market_maker: MarketMakerConfig, symbols: set[str]) -> None:
    """Index prices only for configured symbols, and a quote size only where there is an index to quote around."""
    for symbol in market_maker.index:
        if symbol not in symbols:
            raise ConfigError(f"market_maker.index.{symbol}: not a configured spot or perpetual symbol")
    for symbol in market_maker.level_qty:
        if symbol not in market_maker.index:
            raise ConfigError(f"market_maker.level_qty.{symbol}: no market_maker.index price for this symbol")


def _websocket(value: Any, path: str) -> WebSocketConfig:
    section = _Section(value, path)
    websocket = WebSocketConfig(
        max_lifetime_s=section.required("max_lifetime_s", _positive_int),
        ping_interval_s=section.required("ping_interval_s", _positive_int),
        max_incoming_per_s=section.required("max_incoming_per_s", _positive_int),
    )
    section.finish()
    return websocket


def _user_stream(value: Any, path: str) -> UserStreamConfig:
    section = _Section(value, path)
    user_stream = UserStreamConfig(listen_key_ttl_s=section.required("listen_key_ttl_s", _positive_int))
    section.finish()
    return user_stream


def _check_unique(values: list[str], path: str, key: str) -> None:
    seen = set()
    for index, value in enumerate(values):
        if value in seen:
            raise ConfigError(f"{path}[{index}].{key}: duplicate {key} {value!r}")
        seen.add(value)
