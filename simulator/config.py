"""The simulator's configuration: a YAML file read into frozen dataclasses, or a ConfigError saying what is wrong.

The schema is documented at the top of `fixtures/default.yaml`, the embedded default that `load_config()`
reads when given no path. Every error names the key path and the reason, e.g.
`spot[1].tick_size: not a decimal number: 'abc'`; unknown keys and duplicate keys are errors too.

Values are read with `simulator.inputs`, every number within bounds. Decimals may be written as YAML strings or
numbers; either way they are read through their text into `Decimal`, so no float arithmetic touches them. Spot
instruments become the engine's own `InstrumentSpec` (same field names) and are proved by building an
`Instrument`, which refuses grids that would need rounding; their limits and the accounts' balances must fit in
64-bit atoms.
"""
from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml

from simulator.credentials import valid_api_key
from simulator.engine.instrument import DEFAULT_PRECISION, STP_MODES, Instrument, InstrumentSpec
from simulator.engine.retention import Retention
from simulator.inputs import (MAX_ATOMS, MAX_INT64, BoundedYaml, Fields, InputError, atoms, boolean, decimal,
                              integer, list_of, mapping_of, one_of, text)
from simulator.rate_limits import INTERVAL_MS, RATE_LIMIT_TYPES, REQUEST_WEIGHT, Pool

# Package data: pyproject.toml ships the top-level fixtures/ folder as the package simulator.fixtures, found the
# same way from a checkout's editable install and from an installed wheel, whatever the working directory.
DEFAULT_CONFIG_PATH = resources.files("simulator.fixtures") / "default.yaml"

T = TypeVar("T")
Parser = Callable[[Any, str], T]  # (value, key path) -> value, or InputError


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
class RetentionConfig:
    """How much history is kept (simulator.engine.retention says what each engine count means)."""

    closed_orders: int = Retention.closed_orders
    account_trades: int = Retention.account_trades
    market_trades: int = Retention.market_trades
    kline_minutes: int = Retention.kline_minutes
    recent_events: int = 10_000  # the Simulator's log of recent engine events (/_sim/v1/events, snapshots)

    def engine(self) -> Retention:
        return Retention(self.closed_orders, self.account_trades, self.market_trades, self.kline_minutes)


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
    retention: RetentionConfig = RetentionConfig()


# --- entry points ---------------------------------------------------------------------------------------
def load_config(path: str | Path | None = None) -> Config:
    """Read and validate a YAML file; the embedded default when `path` is None."""
    source = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: not UTF-8 text: {exc}") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    except InputError as exc:
        raise ConfigError(f"{source}: not valid YAML: line {exc.line}: {exc.reason}") from None
    try:
        return parse_config(data)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def parse_config(data: object) -> Config:
    """Validate an already-parsed YAML document (a dict) into a Config."""
    try:
        return _config(data)
    except InputError as exc:
        raise ConfigError(str(exc)) from None


def _config(data: object) -> Config:
    root = Fields(data, "")
    spot = root.required("spot", list_of(_instrument))
    perpetuals = root.required("perpetuals", list_of(_perpetual))
    _check_unique([spec.symbol for spec in spot], "spot", "symbol")
    _check_unique([spec.symbol for spec in perpetuals], "perpetuals", "symbol")
    precisions = _asset_precisions(spot)
    fees = root.required("fees", _fees)
    accounts = root.required("accounts", list_of(_account))
    _check_accounts(accounts, len(fees.tiers), precisions)
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
        retention=root.optional("retention", _retention, RetentionConfig()),
    )
    root.finish()
    return config


class _StrictLoader(BoundedYaml, yaml.SafeLoader):
    """SafeLoader that refuses a key repeated in one mapping (PyYAML silently keeps the last one), and documents
    nested too deep or with absurdly long integers (BoundedYaml)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                line = key_node.start_mark.line + 1
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r} on line {line}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# --- scalar parsers: (value, path) -> value, or InputError -------------------------------------------------
def _int_at_least(minimum: int, maximum: int = MAX_INT64) -> Parser[int]:
    return functools.partial(integer, minimum=minimum, maximum=maximum)


_non_negative_int = _int_at_least(0)
_positive_int = _int_at_least(1)
# The market maker opens an account per counterparty and an order per level at start-up: bound both, so a
# config (or a snapshot carrying one) cannot stall the server building millions of them.
MAX_MARKET_LEVELS = 100
MAX_COUNTERPARTIES = 100
# Decimals of an asset's atoms: 10**-18 is the finest any exchange quotes, and keeps 64-bit atoms meaningful.
MAX_PRECISION = 18
_port = _int_at_least(0, 65535)


def _decimal(value: Any, path: str) -> Decimal:
    """A non-negative finite decimal from a YAML string or number, read through its text (never float math)."""
    return decimal(value, path, minimum=0, floats=True)


def _positive_decimal(value: Any, path: str) -> Decimal:
    return decimal(value, path, minimum=0, positive=True, floats=True)


# --- sections -------------------------------------------------------------------------------------------
def _server(value: Any, path: str) -> ServerConfig:
    section = Fields(value, path)
    server = ServerConfig(host=section.required("host", text), port=section.required("port", _port))
    section.finish()
    return server


# InstrumentSpec's fields are read by their type; the only tuple field is allowed_stp.
_SPEC_TYPES = typing.get_type_hints(InstrumentSpec)
_SPEC_PARSERS: dict[object, Parser[Any]] = {
    str: text,
    Decimal: _decimal,
    int: _non_negative_int,
    tuple[str, ...]: list_of(one_of(STP_MODES)),
}
_PRECISION_FIELDS = ("base_precision", "quote_precision")


def _instrument(value: Any, path: str) -> InstrumentSpec:
    """An InstrumentSpec: the fields without a default are required, the others keep the engine's default."""
    section = Fields(value, path)
    fields = {}
    for field in dataclasses.fields(InstrumentSpec):
        has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        if field.name in section or not has_default:
            parse = _int_at_least(0, MAX_PRECISION) if field.name in _PRECISION_FIELDS else \
                _SPEC_PARSERS[_SPEC_TYPES[field.name]]
            fields[field.name] = section.required(field.name, parse)
    section.finish()
    spec = InstrumentSpec(**fields)
    instrument = _prove_grid(spec, path)
    if spec.default_stp not in spec.allowed_stp:
        raise InputError(f"{path}.default_stp", f"{spec.default_stp!r} is not in allowed_stp")
    for name in _ATOM_FIELDS:
        if getattr(instrument, name) > MAX_ATOMS:
            field = name.replace("tick", "tick_size").replace("step", "step_size")
            raise InputError(f"{path}.{field}", f"too large: more than {MAX_ATOMS} atoms")
    return spec


# The instrument's limits in atoms; each must fit 64 bits, as every amount on the wire does.
_ATOM_FIELDS = ("tick", "step", "min_qty", "max_qty", "min_price", "max_price", "min_notional", "max_notional",
                "market_min_qty", "market_max_qty")


def _prove_grid(spec: InstrumentSpec, path: str) -> Instrument:
    """Build the engine's Instrument, which refuses impossible grids, statuses and STP modes."""
    try:
        return Instrument(spec)
    except ValueError as exc:
        reason = str(exc).removeprefix(f"{spec.symbol}: ")  # some engine messages start with the symbol
        raise InputError(f"{path} ({spec.symbol})", reason) from None


def _perpetual(value: Any, path: str) -> PerpetualSpec:
    section = Fields(value, path)
    spec = PerpetualSpec(
        symbol=section.required("symbol", text),
        base=section.required("base", text),
        quote=section.required("quote", text),
        margin_asset=section.required("margin_asset", text),
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
        raise InputError(f"{path}.maint_margin_rate", "must be less than 1")
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
    section = Fields(value, path)
    tier = FeeTier(maker=section.required("maker", _decimal), taker=section.required("taker", _decimal))
    section.finish()
    return tier


def _fees(value: Any, path: str) -> FeesConfig:
    section = Fields(value, path)
    fees = FeesConfig(tiers=section.required("tiers", list_of(_fee_tier)))
    section.finish()
    if not fees.tiers:
        raise InputError(f"{path}.tiers", "at least one fee tier is required")
    return fees


def _api_key(value: Any, path: str) -> str:
    key = text(value, path)
    if not valid_api_key(key):
        raise InputError(path, "must be 1-128 characters of A-Z, a-z, 0-9, '-' and '_'")
    return key


def _account(value: Any, path: str) -> AccountConfig:
    section = Fields(value, path)
    account = AccountConfig(
        name=section.required("name", text),
        api_key=section.required("api_key", _api_key),
        secret=section.required("secret", text),
        fee_tier=section.optional("fee_tier", _non_negative_int, 0),
        spot=section.optional("spot", mapping_of(_decimal), {}),
        futures=section.optional("futures", mapping_of(_decimal), {}),
    )
    section.finish()
    return account


def _asset_precisions(spot: tuple[InstrumentSpec, ...]) -> dict[str, int]:
    """Each asset's decimals as the spot instruments give them (the simulator's rule; 8 for the others)."""
    precisions = {}
    for spec in spot:
        precisions.setdefault(spec.base, spec.base_precision)
        precisions.setdefault(spec.quote, spec.quote_precision)
    return precisions


def _check_accounts(accounts: tuple[AccountConfig, ...], tier_count: int, precisions: dict[str, int]) -> None:
    _check_unique([account.name for account in accounts], "accounts", "name")
    _check_unique([account.api_key for account in accounts], "accounts", "api_key")
    for index, account in enumerate(accounts):
        if account.fee_tier >= tier_count:
            raise InputError(f"accounts[{index}].fee_tier",
                             f"no fee tier {account.fee_tier} (fees.tiers has {tier_count})")
        for wallet in ("spot", "futures"):
            for asset, amount in getattr(account, wallet).items():
                atoms(amount, f"accounts[{index}].{wallet}.{asset}", precisions.get(asset, DEFAULT_PRECISION),
                      positive=False, of=f" for {asset}")


def _pool(value: Any, path: str) -> Pool:
    section = Fields(value, path)
    pool = Pool(
        type=section.required("type", one_of(RATE_LIMIT_TYPES)),
        interval=section.required("interval", one_of(tuple(INTERVAL_MS))),
        interval_num=section.required("interval_num", _positive_int),
        limit=section.required("limit", _positive_int),
    )
    section.finish()
    return pool


def _pools(value: Any, path: str) -> tuple[Pool, ...]:
    pools = list_of(_pool)(value, path)
    if not any(pool.type == REQUEST_WEIGHT for pool in pools):
        raise InputError(path, "a REQUEST_WEIGHT pool is required")
    return pools


def _rate_limits(value: Any, path: str) -> RateLimitsConfig:
    section = Fields(value, path)
    limits = RateLimitsConfig(
        enabled=section.required("enabled", boolean),
        spot=section.required("spot", _pools),
        futures=section.required("futures", _pools),
    )
    section.finish()
    return limits


def _market_maker(value: Any, path: str) -> MarketMakerConfig:
    section = Fields(value, path)
    market_maker = MarketMakerConfig(
        enabled=section.required("enabled", boolean),
        seed_offset=section.optional("seed_offset", _non_negative_int, 0),
        index=section.required("index", mapping_of(_positive_decimal)),
        levels=section.required("levels", _int_at_least(1, MAX_MARKET_LEVELS)),
        level_step_bps=section.required("level_step_bps", _positive_int),
        level_qty=section.required("level_qty", mapping_of(_positive_decimal)),
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
            raise InputError(f"market_maker.index.{symbol}", "not a configured spot or perpetual symbol")
    for symbol in market_maker.level_qty:
        if symbol not in market_maker.index:
            raise InputError(f"market_maker.level_qty.{symbol}", "no market_maker.index price for this symbol")


def _websocket(value: Any, path: str) -> WebSocketConfig:
    section = Fields(value, path)
    websocket = WebSocketConfig(
        max_lifetime_s=section.required("max_lifetime_s", _positive_int),
        ping_interval_s=section.required("ping_interval_s", _positive_int),
        max_incoming_per_s=section.required("max_incoming_per_s", _positive_int),
    )
    section.finish()
    return websocket


def _user_stream(value: Any, path: str) -> UserStreamConfig:
    section = Fields(value, path)
    user_stream = UserStreamConfig(listen_key_ttl_s=section.required("listen_key_ttl_s", _positive_int))
    section.finish()
    return user_stream


# Each history count is bounded so that a config cannot ask a server to keep more than memory holds.
MAX_KEPT = 1_000_000


def _retention(value: Any, path: str) -> RetentionConfig:
    section = Fields(value, path)
    defaults = RetentionConfig()
    kept = _int_at_least(0, MAX_KEPT)
    retention = RetentionConfig(
        closed_orders=section.optional("closed_orders", kept, defaults.closed_orders),
        account_trades=section.optional("account_trades", kept, defaults.account_trades),
        market_trades=section.optional("market_trades", _int_at_least(1, MAX_KEPT), defaults.market_trades),
        kline_minutes=section.optional("kline_minutes", _int_at_least(1, MAX_KEPT), defaults.kline_minutes),
        recent_events=section.optional("recent_events", kept, defaults.recent_events),
    )
    section.finish()
    return retention


def _check_unique(values: list[str], path: str, key: str) -> None:
    seen = set()
    for index, value in enumerate(values):
        if value in seen:
            raise InputError(f"{path}[{index}].{key}", f"duplicate {key} {value!r}")
        seen.add(value)
