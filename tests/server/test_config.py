"""Configuration: the embedded default, and broken files that must name the offending key path."""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest
import yaml

from simulator.config import DEFAULT_CONFIG_PATH, ConfigError, load_config, parse_config
from simulator.dialects.binance.wire.ratelimit import Pool
from simulator.engine.instrument import Instrument


@pytest.fixture(scope="module")
def default_data() -> dict:
    return yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())


# --- the embedded default -----------------------------------------------------------------------------
def test_default_loads_with_the_documented_contents():
    config = load_config()
    assert (config.seed, config.server.host, config.server.port) == (42, "127.0.0.1", 8900)
    assert [spec.symbol for spec in config.spot] == ["BTCUSDT", "ETHUSDT"]
    assert [spec.symbol for spec in config.perpetuals] == ["BTCUSDT", "ETHUSDT"]
    (demo,) = config.accounts
    assert (demo.api_key, demo.secret) == ("demo-api-key", "demo-api-secret")
    assert demo.spot == {"USDT": Decimal("1000000"), "BTC": Decimal("10"), "ETH": Decimal("100")}
    assert demo.futures == {"USDT": Decimal("1000000")}
    assert config.rate_limits.enabled
    assert Pool("REQUEST_WEIGHT", "MINUTE", 1, 6000) in config.rate_limits.spot
    assert Pool("REQUEST_WEIGHT", "MINUTE", 1, 2400) in config.rate_limits.futures
    assert config.user_stream.listen_key_ttl_s == 3600


def test_default_btcusdt_rules():
    btc = Instrument(load_config().spot[0])
    spec = btc.spec
    assert (spec.tick_size, spec.step_size, spec.min_qty, spec.max_qty) == (
        Decimal("0.01"), Decimal("0.00001"), Decimal("0.00001"), Decimal("9000")
    )
    assert (spec.min_notional, spec.max_notional) == (Decimal("5"), Decimal("9000000"))
    assert (spec.bid_multiplier_up, spec.bid_multiplier_down) == (Decimal("5"), Decimal("0.2"))
    assert (spec.ask_multiplier_up, spec.ask_multiplier_down) == (Decimal("5"), Decimal("0.2"))
    assert (spec.avg_price_mins, spec.max_num_orders) == (5, 200)
    assert (btc.tick, btc.step) == (1_000_000, 1_000)


def test_no_path_means_the_packaged_default_file():
    assert load_config() == load_config(DEFAULT_CONFIG_PATH)
    assert DEFAULT_CONFIG_PATH.is_file()


def test_yaml_numbers_are_read_through_their_text_not_float_math(default_data):
    data = copy.deepcopy(default_data)
    data["spot"][0]["tick_size"] = 0.1  # float 0.1 is not exactly 0.1
    data["accounts"][0]["spot"]["BTC"] = 10
    config = parse_config(data)
    assert config.spot[0].tick_size == Decimal("0.1")
    assert config.accounts[0].spot["BTC"] == Decimal("10")


def test_optional_keys_take_their_defaults(default_data):
    data = copy.deepcopy(default_data)
    del data["spot"][1]["max_num_orders"]
    del data["accounts"][0]["fee_tier"]
    del data["accounts"][0]["futures"]
    config = parse_config(data)
    assert config.spot[1].max_num_orders == 200  # the engine's default
    assert (config.accounts[0].fee_tier, config.accounts[0].futures) == (0, {})
    assert config.market_maker.seed_offset == 0


# --- broken configurations ------------------------------------------------------------------------------
def change(path: str, value: object):
    """A mutation setting (or, for value DELETE, removing) the value at a dotted path like spot.1.tick_size."""

    def mutate(data: dict) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        key = int(last) if isinstance(node, list) else last
        if value is DELETE:
            del node[key]
        else:
            node[key] = value

    return mutate


DELETE = object()

BROKEN = [
    ("spot.1.tick_size", "abc", "spot[1].tick_size: not a decimal number"),
    ("spot.0.tick_size", "NaN", "spot[0].tick_size: not a finite number"),
    ("spot.0.min_qty", "-1", "spot[0].min_qty: must not be negative"),
    ("spot.0.step_size", "0.00000001", "spot[0] (BTCUSDT): tick_size x step_size"),
    ("spot.0.status", "OPEN", "spot[0] (BTCUSDT): unknown status"),
    ("spot.0.allowed_stp", ["NONE", "MAGIC"], "spot[0].allowed_stp[1]: 'MAGIC' is not one of"),
    ("spot.0.allowed_stp", ["NONE"], "spot[0].default_stp: 'EXPIRE_MAKER' is not in allowed_stp"),
    ("spot.0.avg_price_mins", "5", "spot[0].avg_price_mins: expected an integer"),
    ("spot.0.avg_price_mins", True, "spot[0].avg_price_mins: expected an integer"),
    ("spot.0.symbol", "", "spot[0].symbol: expected a non-empty string"),
    ("spot.1.symbol", "BTCUSDT", "spot[1].symbol: duplicate symbol 'BTCUSDT'"),
    ("spot.0.tick_sise", "0.01", "spot[0].tick_sise: unknown key"),
    ("spot.0.base", DELETE, "spot[0].base: required"),
    ("spot", {"symbol": "X"}, "spot: expected a list"),
    ("spot.0", "BTCUSDT", "spot[0]: expected a mapping"),
    ("perpetuals.0.max_leverage", 0, "perpetuals[0].max_leverage: must be at least 1"),
    ("perpetuals.1.maint_margin_rate", "1", "perpetuals[1].maint_margin_rate: must be less than 1"),
    ("perpetuals.0.tick_size", "0", "perpetuals[0].tick_size: must be greater than zero"),
    ("perpetuals.0.funding_interval_hours", DELETE, "perpetuals[0].funding_interval_hours: required"),
    ("fees.tiers", [], "fees.tiers: at least one fee tier is required"),
    ("fees.tiers.0.maker", "x", "fees.tiers[0].maker: not a decimal number"),
    ("fees.tiers.0.rebate", "0", "fees.tiers[0].rebate: unknown key"),
    ("accounts.0.api_key", "bad key", "accounts[0].api_key: must be 1-128 characters"),
    ("accounts.0.secret", "", "accounts[0].secret: expected a non-empty string"),
    ("accounts.0.fee_tier", 3, "accounts[0].fee_tier: no fee tier 3"),
    ("accounts.0.spot.BTC", "-0.1", "accounts[0].spot.BTC: must not be negative"),
    ("accounts.0.futures", ["USDT"], "accounts[0].futures: expected a mapping"),
    ("rate_limits.enabled", "yes", "rate_limits.enabled: expected true or false"),
    ("rate_limits.spot.1.type", "WEIGHT", "rate_limits.spot[1].type: 'WEIGHT' is not one of"),
    ("rate_limits.spot.0.interval", "WEEK", "rate_limits.spot[0].interval: 'WEEK' is not one of"),
    ("rate_limits.futures.2.interval_num", 0, "rate_limits.futures[2].interval_num: must be at least 1"),
    ("rate_limits.spot.0.limit", -5, "rate_limits.spot[0].limit: must be at least 1"),
    ("rate_limits.futures", [], "rate_limits.futures: a REQUEST_WEIGHT pool is required"),
    ("market_maker.index.XRPUSDT", "0.5", "market_maker.index.XRPUSDT: not a configured spot or perpetual"),
    ("market_maker.index.BTCUSDT", "0", "market_maker.index.BTCUSDT: must be greater than zero"),
    ("market_maker.levels", 0, "market_maker.levels: must be at least 1"),
    ("market_maker.levels", 101, "market_maker.levels: must be at most 100"),
    ("market_maker.counterparties", 10**6, "market_maker.counterparties: must be at most 100"),
    ("market_maker.seed_offset", -1, "market_maker.seed_offset: must be at least 0"),
    ("server.port", 70000, "server.port: must be at most 65535"),
    ("server.hostname", "x", "server.hostname: unknown key"),
    ("websocket.ping_interval_s", 0, "websocket.ping_interval_s: must be at least 1"),
    ("user_stream.listen_key_ttl_s", "1h", "user_stream.listen_key_ttl_s: expected an integer"),
    ("user_stream", DELETE, "user_stream: required"),
    ("seed", 1.5, "seed: expected an integer"),
    ("extra", 1, "extra: unknown key"),
]


@pytest.mark.parametrize(("path", "value", "message"), BROKEN, ids=[row[0] for row in BROKEN])
def test_a_broken_config_names_the_key_path(default_data, path, value, message):
    data = copy.deepcopy(default_data)
    change(path, value)(data)
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("path", "prefix"),
    [("spot.0.tick_size", "spot[0] (BTCUSDT): "), ("perpetuals.1.step_size", "perpetuals[1] (ETHUSDT): ")],
)
def test_sizes_finer_than_the_asset_precision_are_refused_naming_the_symbol(default_data, path, prefix):
    data = copy.deepcopy(default_data)
    change(path, "0.000000001")(data)
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert str(caught.value).startswith(prefix)
    assert "more than 8 decimals" in str(caught.value)


def test_duplicate_accounts_are_refused(default_data):
    for key, message in [("api_key", "accounts[1].api_key: duplicate api_key"), ("name", "accounts[1].name")]:
        data = copy.deepcopy(default_data)
        other = {**data["accounts"][0], "name": "other", "api_key": "other-key"}
        other[key] = data["accounts"][0][key]
        data["accounts"].append(other)
        with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
            parse_config(data)


def test_level_qty_needs_an_index_price(default_data):
    data = copy.deepcopy(default_data)
    del data["market_maker"]["index"]["ETHUSDT"]
    with pytest.raises(ConfigError, match=r"^market_maker\.level_qty\.ETHUSDT: no market_maker\.index price"):
        parse_config(data)


# --- files ----------------------------------------------------------------------------------------------
def test_file_errors_name_the_file_and_the_key(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(DEFAULT_CONFIG_PATH.read_text().replace('tick_size: "0.01"', 'tick_size: "x"', 1))
    with pytest.raises(ConfigError, match=r"broken\.yaml: spot\[0\]\.tick_size: not a decimal number"):
        load_config(path)


def test_a_repeated_key_in_the_file_is_an_error(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(DEFAULT_CONFIG_PATH.read_text().replace("seed: 42", "seed: 42\nseed: 43"))
    with pytest.raises(ConfigError, match="duplicate key 'seed'"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "message"), [("", "the document: expected a mapping"), ("a: [", "not valid YAML")]
)
def test_empty_or_malformed_files(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.yaml")
