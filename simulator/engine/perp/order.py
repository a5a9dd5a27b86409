"""A futures order: the spot Order plus what a position-aware order carries (position side, reduce-only,
close-position, trigger source), and the vocabulary of futures order types and position sides."""
from __future__ import annotations

from decimal import Decimal

from simulator.engine.order import FOK, GTC, IOC, LIMIT, MARKET, Order
from simulator.engine.perp.numbers import ratio

STOP, TAKE_PROFIT = "STOP", "TAKE_PROFIT"  # limit orders that wait for a trigger
STOP_MARKET, TAKE_PROFIT_MARKET = "STOP_MARKET", "TAKE_PROFIT_MARKET"
TRAILING_STOP_MARKET = "TRAILING_STOP_MARKET"  # a market order once the price retraces by its callback rate
LIQUIDATION = "LIQUIDATION"  # the engine's own closing order (never placed by a client)
PERP_ORDER_TYPES = (LIMIT, MARKET, STOP, TAKE_PROFIT, STOP_MARKET, TAKE_PROFIT_MARKET, TRAILING_STOP_MARKET)
STOP_TRIGGERED = frozenset((STOP, TAKE_PROFIT, STOP_MARKET, TAKE_PROFIT_MARKET))  # fire at their stop price
CONDITIONAL = STOP_TRIGGERED | {TRAILING_STOP_MARKET}  # wait in the book's stops until they fire
MARKET_WHEN_FIRED = frozenset((STOP_MARKET, TAKE_PROFIT_MARKET, TRAILING_STOP_MARKET))
CALLBACK_RATES = range(1, 101)  # a trailing stop's callbackRate in tenths of a percent: 0.1 % .. 10 %
PRICED = frozenset((LIMIT, STOP, TAKE_PROFIT))
GTX = "GTX"  # post-only
PERP_TIMES_IN_FORCE = (GTC, IOC, FOK, GTX)

BOTH, LONG, SHORT = "BOTH", "LONG", "SHORT"
POSITION_SIDES = (BOTH, LONG, SHORT)
MARK_PRICE, CONTRACT_PRICE = "MARK_PRICE", "CONTRACT_PRICE"
WORKING_TYPES = (MARK_PRICE, CONTRACT_PRICE)

# (type, is_buy) pairs that fire when the trigger price rises to the stop: a stop buys on the way up and a
# take-profit sells on the way up; the others fire when the price falls to the stop.
_FIRES_ON_RISE = frozenset(((STOP, True), (STOP_MARKET, True), (TAKE_PROFIT, False), (TAKE_PROFIT_MARKET, False)))


def trigger_reached(type_: str, is_buy: bool, stop_price: int, price: int) -> bool:
    return price >= stop_price if (type_, is_buy) in _FIRES_ON_RISE else price <= stop_price


def closes(position_side: str, is_buy: bool) -> bool:
    """Whether an order on a hedge-mode side closes it (a SELL on LONG, a BUY on SHORT)."""
    return (position_side == LONG and not is_buy) or (position_side == SHORT and is_buy)


class PerpOrder(Order):
    __slots__ = ("position_side", "reduce_only", "close_position", "working_type", "price_protect", "orig_type",
                 "realized_pnl", "commission", "bankruptcy_price", "activation_price", "callback_rate", "extreme")

    def __init__(self, order_id: int, client_id: str, account_id: int, symbol: str, side: str, type_: str,
                 tif: str, price: int, qty: int, stop_price: int, stp: str, time: int, position_side: str = BOTH,
                 reduce_only: bool = False, close_position: bool = False, working_type: str = CONTRACT_PRICE,
                 price_protect: bool = False, activation_price: int = 0, callback_rate: int = 0):
        super().__init__(order_id, client_id, account_id, symbol, side, type_, tif, price, qty, stop_price, 0,
                         stp, time)
        self.position_side = position_side
        self.reduce_only = reduce_only
        self.close_position = close_position
        self.working_type = working_type
        self.price_protect = price_protect
        self.orig_type = type_
        self.realized_pnl = 0  # atoms of the margin asset, over its fills
        self.commission = 0
        self.bankruptcy_price = 0  # a LIQUIDATION order's: the price its margin runs out at
        self.activation_price = activation_price  # a trailing stop's (0: active at once)
        self.callback_rate = callback_rate  # a trailing stop's, in tenths of a percent
        self.extreme = 0  # a trailing stop's best price since it activated (0: not active yet)

    def avg_price(self, quote_precision: int, base_unit: int) -> Decimal:
        """cum quote / executed, as a price (0 before any fill)."""
        return ratio(self.cum_quote * base_unit, self.executed, quote_precision)

    def state(self) -> dict:
        names = Order.__slots__ + PerpOrder.__slots__
        return {name: getattr(self, name) for name in names if name != "is_buy"}


def is_market_type(type_: str) -> bool:
    """Whether orders of this type trade at market (no limit price) once they work."""
    return type_ == MARKET or type_ == LIQUIDATION or type_ in MARKET_WHEN_FIRED
