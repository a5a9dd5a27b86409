"""Perpetual instruments: a symbol's trading rules (the spot Instrument's grid and filters), its margin asset,
its leverage brackets and its funding interval, plus the USD-M fee schedule.

Leverage brackets follow Binance's table shape (/fapi/v1/leverageBracket): each bracket covers position
notionals in [floor, cap), allows leverage up to `initial_leverage` and charges maintenance margin
`notional x maint_margin_ratio - cum`, where `cum(n) = cum(n-1) + floor(n) x (rate(n) - rate(n-1))` keeps the
maintenance margin continuous across brackets. The config gives the first bracket's leverage and rate; the
others follow one fixed template, so every symbol's table is derived, documented and the same run to run.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from simulator.engine.fees import FeeTier
from simulator.engine.instrument import Instrument, InstrumentSpec
from simulator.engine.perp.settings import DEFAULT_LEVERAGE

HOUR_MS = 3_600_000
# Binance USD-M VIP 0..9 (maker, taker): VIP 0 is 0.02 % maker, 0.05 % taker.
FUTURES_TIERS = tuple(FeeTier.of(maker, taker) for maker, taker in (
    ("0.0002", "0.0005"), ("0.00016", "0.0004"), ("0.00014", "0.00035"), ("0.00012", "0.00032"),
    ("0.0001", "0.0003"), ("0.00008", "0.00027"), ("0.00006", "0.00025"), ("0.00004", "0.00022"),
    ("0.00002", "0.0002"), ("0", "0.00017")))
# The bracket template: (notional cap in whole margin-asset units, divisor of the maximum leverage). The first
# bracket's maintenance rate is the config's; each later one needs at least half its initial margin rate.
_BRACKET_CAPS = ((50_000, 1), (500_000, 2), (8_000_000, 5), (50_000_000, 10), (80_000_000, 20),
                 (200_000_000, 50), (500_000_000, 125))
MAX_LEVERAGE = 125


@dataclass(frozen=True, slots=True)
class Bracket:
    bracket: int  # 1, 2, ...
    initial_leverage: int
    notional_floor: int  # atoms of the margin asset
    notional_cap: int
    maint_margin_ratio: Decimal
    cum: int  # maintenance amount, atoms
    rate: tuple[int, int] = (0, 1)  # maint_margin_ratio as an exact integer ratio (every margin check reads it)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", self.maint_margin_ratio.as_integer_ratio())

    def maint_margin(self, notional: int) -> int:
        """Maintenance margin of a position of this notional (atoms, rounded up): notional x rate - cum."""
        num, den = self.rate
        margin = -(-(notional * num) // den) - self.cum
        return margin if margin > 0 else 0


@dataclass(frozen=True, slots=True)
class PerpSpec:
    """A perpetual as the engine needs it (built from the config's PerpetualSpec by the Simulator)."""

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
    funding_interval_hours: int = 8
    base_precision: int = 8
    quote_precision: int = 8
    max_num_orders: int = 200
    interest_rate: Decimal = Decimal("0.0001")  # per 8 hours, Binance's 0.01 %
    funding_cap: Decimal = Decimal("0.0075")
    funding_floor: Decimal = Decimal("-0.0075")
    # PERCENT_PRICE around the mark price, as exchangeInfo shows it (multiplierUp / multiplierDown)
    multiplier_up: Decimal = Decimal("1.05")
    multiplier_down: Decimal = Decimal("0.95")
    # triggerProtect: a priceProtect conditional order does not fire while mark and last differ by more than this
    trigger_protect: Decimal = Decimal("0.05")


def build_brackets(max_leverage: int, first_rate: Decimal, unit: int) -> tuple[Bracket, ...]:
    """The symbol's brackets from the template; `unit` is one whole margin-asset unit in atoms."""
    brackets: list[Bracket] = []
    floor = cum = 0
    rate = first_rate
    for number, (cap, divisor) in enumerate(_BRACKET_CAPS, start=1):
        leverage = max(1, max_leverage // divisor)
        if number > 1:
            rate = max(rate, Decimal(1) / (2 * leverage)).quantize(Decimal("0.0001"))
            previous = brackets[-1].maint_margin_ratio
            cum += int(floor * (rate - previous))  # floors are whole units: exact
        brackets.append(Bracket(number, leverage, floor, cap * unit, rate, cum))
        floor = cap * unit
    return tuple(brackets)


class PerpInstrument(Instrument):
    """A perpetual's rules on the integer grid (Instrument's), plus margin, brackets and funding interval."""

    __slots__ = ("margin_asset", "max_leverage", "brackets", "funding_interval_hours", "funding_interval_ms",
                 "interest_rate", "funding_cap", "funding_floor", "up", "down", "perp_spec", "default_leverage",
                 "max_notional_by_leverage", "trigger_protect")

    def __init__(self, spec: PerpSpec):
        super().__init__(InstrumentSpec(
            symbol=spec.symbol, base=spec.base, quote=spec.quote, tick_size=spec.tick_size,
            step_size=spec.step_size, min_qty=spec.min_qty, max_qty=spec.max_qty, min_price=spec.tick_size,
            min_notional=spec.min_notional, max_num_orders=spec.max_num_orders,
            base_precision=spec.base_precision, quote_precision=spec.quote_precision))
        if not 1 <= spec.max_leverage <= MAX_LEVERAGE:
            raise ValueError(f"{spec.symbol}: max_leverage must be 1..{MAX_LEVERAGE}")
        if not 0 <= spec.maint_margin_rate < Decimal(1) / 2:
            raise ValueError(f"{spec.symbol}: maint_margin_rate must be below 0.5")
        self.perp_spec = spec
        self.margin_asset = spec.margin_asset
        self.max_leverage = spec.max_leverage
        self.brackets = build_brackets(spec.max_leverage, spec.maint_margin_rate, 10**spec.quote_precision)
        self.funding_interval_hours = spec.funding_interval_hours
        self.funding_interval_ms = spec.funding_interval_hours * HOUR_MS
        # the interest rate is quoted per 8 hours (Binance's 0.01 %): a symbol settling every 4 h takes half of it
        self.interest_rate = spec.interest_rate * spec.funding_interval_hours / 8
        self.funding_cap = spec.funding_cap
        self.funding_floor = spec.funding_floor
        self.up = spec.multiplier_up.as_integer_ratio()
        self.down = spec.multiplier_down.as_integer_ratio()
        self.trigger_protect = spec.trigger_protect.as_integer_ratio()
        self.default_leverage = min(DEFAULT_LEVERAGE, spec.max_leverage)  # a new account's
        # maxNotionalValue per leverage 1..max (index 0 unused): read on every placement that opens exposure
        self.max_notional_by_leverage = [0] + [self.max_notional_at(lev) for lev in range(1, spec.max_leverage + 1)]

    def bracket(self, notional: int) -> Bracket:
        """The bracket a position of this (absolute) notional falls in; the last one beyond every cap."""
        for bracket in self.brackets:
            if notional < bracket.notional_cap:
                return bracket
        return self.brackets[-1]

    def max_notional_at(self, leverage: int) -> int:
        """maxNotionalValue: the cap of the last bracket that still allows this leverage."""
        allowed = [b for b in self.brackets if b.initial_leverage >= leverage]
        return allowed[-1].notional_cap if allowed else 0

    def maint_margin(self, notional: int) -> int:
        notional = abs(notional)
        first = self.brackets[0]  # most positions sit in the first bracket: no loop
        return (first if notional < first.notional_cap else self.bracket(notional)).maint_margin(notional)

    def check_percent_to_mark(self, is_buy: bool, price: int, mark: int | None) -> bool:
        """PERCENT_PRICE: a buy at most mark x up, a sell at least mark x down (no mark yet: anything)."""
        if mark is None:
            return True
        if is_buy:
            num, den = self.up
            return price * den <= mark * num
        num, den = self.down
        return price * den >= mark * num
