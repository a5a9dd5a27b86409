"""USD-M JSON payloads: perpetuals and engine objects rendered the way /fapi spells them (reference §7).

Prices and quantities are strings at the symbol's precision ("50000.00", "0.010"); ids and times integers.
Nothing here decides anything: it only reads what it is given.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulator.config import PerpetualSpec
from simulator.dialects.binance.wire.readers import decimal_digits

PERPETUAL_DELIVERY_DATE = 4133404800000  # what Binance sends for a perpetual (ccxt reads it as "no expiry")
ONBOARD_DATE = 1569398400000
ORDER_TYPES = ("LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
               "TRAILING_STOP_MARKET")
TIMES_IN_FORCE = ("GTC", "IOC", "FOK", "GTX", "GTD")
SYSTEM_PRECISION = 8
MAX_NUM_ORDERS = 200
MAX_NUM_ALGO_ORDERS = 10


def fixed(value: Decimal, places: int) -> str:
    """A decimal at exactly `places` decimals (the value is already on that grid)."""
    return f"{value:.{places}f}"


def symbol_info(spec: PerpetualSpec) -> dict[str, Any]:
    price_places, qty_places = decimal_digits(spec.tick_size), decimal_digits(spec.step_size)
    price = lambda value: fixed(value, price_places)  # noqa: E731
    qty = lambda value: fixed(value, qty_places)  # noqa: E731
    return {
        "symbol": spec.symbol,
        "pair": spec.symbol,
        "contractType": "PERPETUAL",
        "deliveryDate": PERPETUAL_DELIVERY_DATE,
        "onboardDate": ONBOARD_DATE,
        "status": "TRADING",
        "maintMarginPercent": fixed(spec.maint_margin_rate * 100, 4),
        "requiredMarginPercent": fixed(Decimal(100) / spec.max_leverage, 4),
        "baseAsset": spec.base,
        "quoteAsset": spec.quote,
        "marginAsset": spec.margin_asset,
        "pricePrecision": price_places,
        "quantityPrecision": qty_places,
        "baseAssetPrecision": SYSTEM_PRECISION,
        "quotePrecision": SYSTEM_PRECISION,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "settlePlan": 0,
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": price(spec.tick_size), "maxPrice": "0",
             "tickSize": price(spec.tick_size)},
            {"filterType": "LOT_SIZE", "minQty": qty(spec.min_qty), "maxQty": qty(spec.max_qty),
             "stepSize": qty(spec.step_size)},
            {"filterType": "MARKET_LOT_SIZE", "minQty": qty(spec.min_qty), "maxQty": qty(spec.max_qty),
             "stepSize": qty(spec.step_size)},
            {"filterType": "MAX_NUM_ORDERS", "limit": MAX_NUM_ORDERS},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": MAX_NUM_ALGO_ORDERS},
            {"filterType": "MIN_NOTIONAL", "notional": str(spec.min_notional)},
        ],
        "orderTypes": list(ORDER_TYPES),
        "timeInForce": list(TIMES_IN_FORCE),
    }
