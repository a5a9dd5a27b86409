"""Trading rules from exchangeInfo (spot and USD-M shapes), quantization, local checks, pair conversion."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from connector.trading_rules import PairMap, parse_spot_rules, parse_usdm_rules

SPOT_INFO = {"symbols": [
    {"symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT",
     "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"], "permissionSets": [["SPOT"]],
     "filters": [{"filterType": "PRICE_FILTER", "minPrice": "0.01000000", "maxPrice": "1000000.00000000",
                  "tickSize": "0.01000000"},
                 {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000",
                  "stepSize": "0.00001000"},
                 {"filterType": "NOTIONAL", "minNotional": "5.00000000"}]},
    {"symbol": "ETHBTC", "status": "HALT", "baseAsset": "ETH", "quoteAsset": "BTC", "orderTypes": ["LIMIT"],
     "filters": [{"filterType": "MIN_NOTIONAL", "minNotional": "0.0001"}]},
    {"symbol": "MARGINONLY", "status": "TRADING", "baseAsset": "MARGIN", "quoteAsset": "ONLY",
     "permissionSets": [["MARGIN"]], "filters": []},
]}
USDM_INFO = {"symbols": [
    {"symbol": "BTCUSDT", "contractType": "PERPETUAL", "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT",
     "filters": [{"filterType": "PRICE_FILTER", "minPrice": "0.10", "maxPrice": "1000000", "tickSize": "0.10"},
                 {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "1000", "stepSize": "0.001"},
                 {"filterType": "MIN_NOTIONAL", "notional": "100"}]},
    {"symbol": "BTCUSDT_260327", "contractType": "CURRENT_QUARTER", "status": "TRADING", "baseAsset": "BTC",
     "quoteAsset": "USDT", "filters": []},
]}


def test_spot_rules_read_filters_and_skip_non_spot_symbols():
    rules = parse_spot_rules(SPOT_INFO)
    assert set(rules) == {"BTC-USDT", "ETH-BTC"}
    btc = rules["BTC-USDT"]
    assert (btc.min_order_size, btc.min_price_increment, btc.min_base_amount_increment, btc.min_notional) == (
        D("0.00001"), D("0.01"), D("0.00001"), D("5"))
    assert btc.supports_market_orders and btc.is_trading
    assert rules["ETH-BTC"].min_notional == D("0.0001") and not rules["ETH-BTC"].is_trading
    assert not rules["ETH-BTC"].supports_market_orders


def test_usdm_rules_keep_perpetuals_and_read_notional():
    rules = parse_usdm_rules(USDM_INFO)
    assert list(rules) == ["BTC-USDT"]
    assert rules["BTC-USDT"].min_notional == D("100") and rules["BTC-USDT"].min_price_increment == D("0.10")


def test_quantization_floors_to_the_grid():
    btc = parse_spot_rules(SPOT_INFO)["BTC-USDT"]
    assert btc.quantize_price(D("64123.456789")) == D("64123.45")
    assert btc.quantize_amount(D("0.123456789")) == D("0.12345")
    assert btc.quantize_amount(D("0.000009")) == 0  # below the minimum size


@pytest.mark.parametrize("price,amount,problem", [
    (D("60000"), D("0.001"), None),
    (D("60000"), D("0.00005"), "notional"),
    (D("60000"), D("0.000001"), "minimum"),
    (D("60000"), D("10000"), "maximum"),
    (D("0"), D("0.01"), "price"),
    (None, D("0.00005"), None),  # market: the notional needs a reference price
])
def test_checks(price, amount, problem):
    reason = parse_spot_rules(SPOT_INFO)["BTC-USDT"].check(price, amount)
    assert (reason is None) if problem is None else (problem in reason)


def test_halted_symbol_is_refused():
    assert "HALT" in parse_spot_rules(SPOT_INFO)["ETH-BTC"].check(D("0.05"), D("1"))


def test_pair_conversion_both_ways():
    pairs = PairMap(parse_spot_rules(SPOT_INFO).values())
    assert pairs.to_symbol("BTC-USDT") == "BTCUSDT" and pairs.to_pair("BTCUSDT") == "BTC-USDT"
    assert pairs.to_pair("ethbtc") == "ETH-BTC"
    assert PairMap().to_pair("SOLUSDT") == "SOL-USDT"  # before the rules load: known quotes
    with pytest.raises(KeyError):
        PairMap().to_pair("USDT")
