"""Trading rules from exchangeInfo, price/amount quantization, and trading pair conversion.

Pairs are written BASE-QUOTE inside the connector (Hummingbot's notation) and BASEQUOTE on the wire; the map
between them is built from exchangeInfo's baseAsset/quoteAsset, so no guessing where the base ends.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any, Iterable, Mapping

ZERO = Decimal(0)


@dataclass(frozen=True)
class TradingRule:
    trading_pair: str           # BASE-QUOTE
    symbol: str                 # BASEQUOTE
    base: str
    quote: str
    status: str
    min_order_size: Decimal
    max_order_size: Decimal
    min_price_increment: Decimal   # tick
    min_base_amount_increment: Decimal  # step
    min_notional: Decimal
    min_price: Decimal = ZERO
    max_price: Decimal = ZERO
    supports_market_orders: bool = True

    @property
    def is_trading(self) -> bool:
        return self.status == "TRADING"

    def quantize_price(self, price: Decimal) -> Decimal:
        """Down to the tick grid."""
        return _floor_to(price, self.min_price_increment)

    def quantize_amount(self, amount: Decimal) -> Decimal:
        """Down to the step grid, and zero if below the minimum size (the order would be refused anyway)."""
        amount = _floor_to(amount, self.min_base_amount_increment)
        return amount if amount >= self.min_order_size else ZERO

    def check(self, price: Decimal | None, amount: Decimal) -> str | None:
        """Why an order of `amount` at `price` (None: market) breaks a rule, or None."""
        if not self.is_trading:
            return f"{self.symbol} is {self.status}, not TRADING"
        if amount <= 0 or amount < self.min_order_size:
            return f"amount {amount} below the minimum {self.min_order_size}"
        if self.max_order_size and amount > self.max_order_size:
            return f"amount {amount} above the maximum {self.max_order_size}"
        if price is not None:
            if price <= 0:
                return f"price {price} is not positive"
            if self.min_notional and price * amount < self.min_notional:
                return f"notional {price * amount} below the minimum {self.min_notional}"
        return None


def _floor_to(value: Decimal, step: Decimal) -> Decimal:
    if not step:
        return value
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


def _filters(symbol: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {f["filterType"]: f for f in symbol.get("filters", [])}


def _dec(value: Any, default: str = "0") -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(default)


def is_spot_tradable(symbol: Mapping[str, Any]) -> bool:
    """Hummingbot's rule: a SPOT permission set (an empty list of sets counts, exsim sends it filled)."""
    sets = symbol.get("permissionSets") or [["SPOT"]]
    return any("SPOT" in s for s in sets)


def parse_spot_rules(exchange_info: Mapping[str, Any]) -> dict[str, TradingRule]:
    rules = {}
    for s in exchange_info.get("symbols", []):
        if not is_spot_tradable(s):
            continue
        f = _filters(s)
        lot, price = f.get("LOT_SIZE", {}), f.get("PRICE_FILTER", {})
        notional = f.get("NOTIONAL") or f.get("MIN_NOTIONAL") or {}
        pair = f"{s['baseAsset']}-{s['quoteAsset']}"
        rules[pair] = TradingRule(
            trading_pair=pair, symbol=s["symbol"], base=s["baseAsset"], quote=s["quoteAsset"], status=s["status"],
            min_order_size=_dec(lot.get("minQty")), max_order_size=_dec(lot.get("maxQty")),
            min_price_increment=_dec(price.get("tickSize")), min_base_amount_increment=_dec(lot.get("stepSize")),
            min_notional=_dec(notional.get("minNotional")), min_price=_dec(price.get("minPrice")),
            max_price=_dec(price.get("maxPrice")), supports_market_orders="MARKET" in s.get("orderTypes", ()))
    return rules


def parse_usdm_rules(exchange_info: Mapping[str, Any]) -> dict[str, TradingRule]:
    """Perpetuals only (contractType PERPETUAL or TRADIFI_PERPETUAL); MIN_NOTIONAL's key is `notional` here."""
    rules = {}
    for s in exchange_info.get("symbols", []):
        if s.get("contractType") not in ("PERPETUAL", "TRADIFI_PERPETUAL"):
            continue
        f = _filters(s)
        lot, price = f.get("LOT_SIZE", {}), f.get("PRICE_FILTER", {})
        notional = f.get("MIN_NOTIONAL", {})
        pair = f"{s['baseAsset']}-{s['quoteAsset']}"
        rules[pair] = TradingRule(
            trading_pair=pair, symbol=s["symbol"], base=s["baseAsset"], quote=s["quoteAsset"], status=s["status"],
            min_order_size=_dec(lot.get("minQty")), max_order_size=_dec(lot.get("maxQty")),
            min_price_increment=_dec(price.get("tickSize")), min_base_amount_increment=_dec(lot.get("stepSize")),
            min_notional=_dec(notional.get("notional", notional.get("minNotional"))),
            min_price=_dec(price.get("minPrice")), max_price=_dec(price.get("maxPrice")),
            supports_market_orders="MARKET" in s.get("orderTypes", ("MARKET",)))
    return rules


class PairMap:
    """BTC-USDT <-> BTCUSDT, both ways, from the rules (and a fallback split on known quotes before they load)."""
    KNOWN_QUOTES = ("USDT", "USDC", "FDUSD", "BUSD", "BTC", "ETH", "BNB", "EUR", "TRY")

    def __init__(self, rules: Iterable[TradingRule] = ()):
        self._to_symbol: dict[str, str] = {}
        self._to_pair: dict[str, str] = {}
        self.update(rules)

    def update(self, rules: Iterable[TradingRule]) -> None:
        for rule in rules:
            self._to_symbol[rule.trading_pair] = rule.symbol
            self._to_pair[rule.symbol] = rule.trading_pair

    def to_symbol(self, trading_pair: str) -> str:
        return self._to_symbol.get(trading_pair) or trading_pair.replace("-", "").upper()

    def to_pair(self, symbol: str) -> str:
        symbol = symbol.upper()
        if symbol in self._to_pair:
            return self._to_pair[symbol]
        for quote in self.KNOWN_QUOTES:
            if symbol.endswith(quote) and len(symbol) > len(quote):
                return f"{symbol[:-len(quote)]}-{quote}"
        raise KeyError(f"unknown symbol {symbol}")
