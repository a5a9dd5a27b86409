"""Instruments: the trading rules of one symbol, and the exact integer grid its orders live on.

Inside the engine every amount is an integer count of *atoms* of its asset (10**-precision of the asset,
8 decimals by default, as Binance spot reports them). A price is the number of quote atoms one whole base
unit costs, a quantity a number of base atoms. Decimal strings exist only at the edges: `parse_*` turns them
into atoms and `format_*` turns atoms back into strings at the asset's precision.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from simulator.engine.rejection import Reject, Rejected

DEFAULT_PRECISION = 8
# DELISTED is the simulator's own (rule_changes.delist): Binance's dialect hides such a symbol altogether.
DELISTED = "DELISTED"
SYMBOL_STATUSES = ("TRADING", "HALT", "BREAK", "END_OF_DAY", "CANCEL_ONLY", DELISTED)
STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH")


def to_atoms(value: Decimal | str | int, precision: int) -> int:
    """Exact conversion of a decimal amount into atoms; ValueError if it does not sit on the atom grid."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    scaled = amount.scaleb(precision)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value!r} has more than {precision} decimals")
    return int(scaled)


def format_atoms(atoms: int, precision: int) -> str:
    """Atoms as a fixed-point string with exactly `precision` decimals ("0.01000000")."""
    sign = "-" if atoms < 0 else ""
    whole, frac = divmod(abs(atoms), 10**precision)
    if precision == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:0{precision}d}"


@dataclass(slots=True)
class InstrumentSpec:
    """An instrument as configured: decimal strings, exactly as a person writes them in YAML."""

    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_price: Decimal = Decimal(0)
    max_price: Decimal = Decimal(0)
    min_notional: Decimal = Decimal(0)
    max_notional: Decimal = Decimal(0)
    market_min_qty: Decimal = Decimal(0)
    market_max_qty: Decimal = Decimal(0)
    bid_multiplier_up: Decimal = Decimal(0)
    bid_multiplier_down: Decimal = Decimal(0)
    ask_multiplier_up: Decimal = Decimal(0)
    ask_multiplier_down: Decimal = Decimal(0)
    avg_price_mins: int = 5
    max_num_orders: int = 200
    status: str = "TRADING"
    base_precision: int = DEFAULT_PRECISION
    quote_precision: int = DEFAULT_PRECISION
    default_stp: str = "EXPIRE_MAKER"
    allowed_stp: tuple[str, ...] = field(default=STP_MODES)


class Instrument:
    """A symbol's rules on the integer grid. Raises ValueError at construction for an impossible grid."""

    __slots__ = (
        "spec", "symbol", "base", "quote", "base_precision", "quote_precision", "base_unit",
        "tick", "step", "min_qty", "max_qty", "min_price", "max_price", "min_notional", "max_notional",
        "market_min_qty", "market_max_qty", "bid_up", "bid_down", "ask_up", "ask_down",
        "avg_price_mins", "max_num_orders", "status", "default_stp", "allowed_stp", "has_percent_price",
        "bid_band", "ask_band",
    )

    def __init__(self, spec: InstrumentSpec):
        qp, bp = spec.quote_precision, spec.base_precision
        self.spec = spec
        self.symbol = spec.symbol
        self.base = spec.base
        self.quote = spec.quote
        self.base_precision = bp
        self.quote_precision = qp
        self.base_unit = 10**bp
        self.tick = to_atoms(spec.tick_size, qp)
        self.step = to_atoms(spec.step_size, bp)
        if self.tick <= 0 or self.step <= 0:
            raise ValueError(f"{spec.symbol}: tick_size and step_size must be positive")
        if (self.tick * self.step) % self.base_unit:
            # Every price x quantity must be a whole number of quote atoms, or money would need rounding.
            raise ValueError(
                f"{spec.symbol}: tick_size x step_size must be a multiple of 1e-{qp} {spec.quote}"
            )
        self.min_qty = to_atoms(spec.min_qty, bp)
        self.max_qty = to_atoms(spec.max_qty, bp)
        self.min_price = to_atoms(spec.min_price, qp)
        self.max_price = to_atoms(spec.max_price, qp)
        self.min_notional = to_atoms(spec.min_notional, qp)
        self.max_notional = to_atoms(spec.max_notional, qp)
        self.market_min_qty = to_atoms(spec.market_min_qty, bp)
        self.market_max_qty = to_atoms(spec.market_max_qty, bp)
        # Percent-price multipliers are kept as exact Decimals: they are only used in comparisons.
        self.bid_up = spec.bid_multiplier_up
        self.bid_down = spec.bid_multiplier_down
        self.ask_up = spec.ask_multiplier_up
        self.ask_down = spec.ask_multiplier_down
        self.has_percent_price = bool(self.bid_up or self.bid_down or self.ask_up or self.ask_down)
        # ... and as exact integer ratios ((up num, up den), (down num, down den)) for the hot path, where
        # price > reference x n / d is decided as price x d > reference x n without any Decimal arithmetic.
        self.bid_band = (Decimal(self.bid_up).as_integer_ratio(), Decimal(self.bid_down).as_integer_ratio())
        self.ask_band = (Decimal(self.ask_up).as_integer_ratio(), Decimal(self.ask_down).as_integer_ratio())
        self.avg_price_mins = spec.avg_price_mins
        self.max_num_orders = spec.max_num_orders
        if spec.status not in SYMBOL_STATUSES:
            raise ValueError(f"{spec.symbol}: unknown status {spec.status!r}")
        self.status = spec.status
        if spec.default_stp not in STP_MODES:
            raise ValueError(f"{spec.symbol}: unknown self-trade prevention mode {spec.default_stp!r}")
        self.default_stp = spec.default_stp
        self.allowed_stp = tuple(spec.allowed_stp)

    # --- edges: decimal strings <-> atoms -------------------------------------------------------------
    def parse_price(self, text: str | Decimal) -> int:
        """Price string -> quote atoms. Rejects BAD_PRECISION if finer than the quote asset's atoms."""
        try:
            return to_atoms(text, self.quote_precision)
        except ValueError:
            raise Rejected(Reject.BAD_PRECISION) from None

    def parse_qty(self, text: str | Decimal) -> int:
        try:
            return to_atoms(text, self.base_precision)
        except ValueError:
            raise Rejected(Reject.BAD_PRECISION) from None

    def parse_quote(self, text: str | Decimal) -> int:
        try:
            return to_atoms(text, self.quote_precision)
        except ValueError:
            raise Rejected(Reject.BAD_PRECISION) from None

    def format_price(self, atoms: int) -> str:
        return format_atoms(atoms, self.quote_precision)

    def format_qty(self, atoms: int) -> str:
        return format_atoms(atoms, self.base_precision)

    format_quote = format_price

    def format_asset(self, asset: str, atoms: int) -> str:
        """An amount of this instrument's base or quote asset (a fee, a balance) at that asset's precision."""
        return self.format_qty(atoms) if asset == self.base else self.format_quote(atoms)

    def notional(self, price: int, qty: int) -> int:
        """Quote atoms for qty base atoms at price; exact by the grid check in __init__."""
        return price * qty // self.base_unit

    # --- filters ---------------------------------------------------------------------------------------
    def check_price(self, price: int) -> None:
        """PRICE_FILTER: inside [min, max] (each bound off when 0) and on the tick grid."""
        if price <= 0:
            raise Rejected(Reject.PRICE_QTY_ZERO)
        if (self.min_price and price < self.min_price) or (self.max_price and price > self.max_price):
            raise Rejected(Reject.PRICE_FILTER)
        if price % self.tick:
            raise Rejected(Reject.PRICE_FILTER)

    def check_qty(self, qty: int) -> None:
        """LOT_SIZE: inside [min, max] and on the step grid."""
        if qty <= 0:
            raise Rejected(Reject.PRICE_QTY_ZERO)
        if qty < self.min_qty or (self.max_qty and qty > self.max_qty) or qty % self.step:
            raise Rejected(Reject.LOT_SIZE)

    def check_limit(self, price: int, qty: int) -> None:
        """PRICE_FILTER, LOT_SIZE and NOTIONAL for a priced order, in that order, in one call.

        The same rules as check_price, check_qty and check_notional, written out once more because every limit
        order passes through here and three calls cost a tenth of a placement.
        """
        if price <= 0:
            raise Rejected(Reject.PRICE_QTY_ZERO)
        if (self.min_price and price < self.min_price) or (self.max_price and price > self.max_price) or \
                price % self.tick:
            raise Rejected(Reject.PRICE_FILTER)
        if qty <= 0:
            raise Rejected(Reject.PRICE_QTY_ZERO)
        if qty < self.min_qty or (self.max_qty and qty > self.max_qty) or qty % self.step:
            raise Rejected(Reject.LOT_SIZE)
        notional = price * qty // self.base_unit
        if notional < self.min_notional or (self.max_notional and notional > self.max_notional):
            raise Rejected(Reject.NOTIONAL)

    def check_market_qty(self, qty: int) -> None:
        """MARKET_LOT_SIZE on top of LOT_SIZE, for market orders sized in base."""
        self.check_qty(qty)
        if (self.market_min_qty and qty < self.market_min_qty) or (
            self.market_max_qty and qty > self.market_max_qty
        ):
            raise Rejected(Reject.MARKET_LOT_SIZE)

    def check_notional(self, notional: int) -> None:
        """NOTIONAL: price x quantity inside [minNotional, maxNotional]."""
        if notional < self.min_notional or (self.max_notional and notional > self.max_notional):
            raise Rejected(Reject.NOTIONAL)

    def check_percent_price(self, is_buy: bool, price: int, reference: int | None) -> None:
        """PERCENT_PRICE_BY_SIDE around the reference (average) price; skipped before the first trade."""
        if reference is None:
            return
        (up_n, up_d), (down_n, down_d) = self.bid_band if is_buy else self.ask_band
        if up_n and price * up_d > reference * up_n:
            raise Rejected(Reject.PERCENT_PRICE_BY_SIDE)
        if down_n and price * down_d < reference * down_n:
            raise Rejected(Reject.PERCENT_PRICE_BY_SIDE)
