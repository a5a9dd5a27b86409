"""Whether an order may be placed now, decided before anything changes (and what it must lock if so).

`validate_placement` runs every check of a placement in the order a refusal is reported: the symbol, the
account and the market's status; the parameters' shape; time in force and self-trade prevention; the client
order id and the open-order count; the symbol's filters; what the order would do against the book now; and
the balance it needs. It raises `Rejected` for the first failure and changes nothing either way.
"""
from __future__ import annotations

from typing import Protocol

from simulator.engine.account import Account
from simulator.engine.book import OrderBook
from simulator.engine.clock import Clock
from simulator.engine.instrument import STP_MODES, Instrument
from simulator.engine.market_data import MarketData
from simulator.engine.order import (BUY, GTC, LIMIT, LIMIT_MAKER, LIMIT_PRICED, MARKET, ORDER_TYPES, SIDES,
                                    STOP_LOSS, STOP_LOSS_LIMIT, STOP_TYPES, TAKE_PROFIT, TAKE_PROFIT_LIMIT,
                                    TIMES_IN_FORCE, stop_reached)
from simulator.engine.rejection import Reject, Rejected
from simulator.engine.taker_plan import NOTHING_TO_TAKE, TakerPlan, plan_taker

# The symbol's filters (check_filters): what a cancel-replace checks of its new order before it cancels
# anything, as Binance does.
FILTER_REJECTS = frozenset((Reject.PRICE_FILTER, Reject.LOT_SIZE, Reject.MARKET_LOT_SIZE, Reject.NOTIONAL,
                            Reject.PERCENT_PRICE_BY_SIDE, Reject.PRICE_QTY_ZERO, Reject.BAD_PRECISION))
# What validate_placement checks before the filters that a cancel may change: the cancelled order frees its
# client order id and its place in the open-order count.
_BEFORE_FILTERS_AND_LIFTED_BY_A_CANCEL = frozenset((Reject.DUPLICATE_CLIENT_ORDER_ID, Reject.MAX_NUM_ORDERS))


class Venue(Protocol):
    """What validation reads of the engine."""

    clock: Clock
    instruments: dict[str, Instrument]
    accounts: dict[int, Account]
    books: dict[str, OrderBook]
    market: dict[str, MarketData]

    def account(self, account_id: int) -> Account: ...


def validate_placement(venue: Venue, account_id: int, symbol: str, side: str, type_: str, qty: int, price: int,
                       tif: str | None, quote_qty: int, stop_price: int, client_id: str | None,
                       stp: str | None) -> tuple[Instrument, Account, str, str, TakerPlan | None, int, int]:
    """(instrument, account, tif, stp, plan, need, now) for an order that may be placed; Rejected otherwise.

    `tif` and `stp` come back resolved (the type's implied time in force, the symbol's default STP mode);
    `plan` is what the order takes now (None for an order that does not take: LIMIT_MAKER, stop orders);
    `need` is what it must lock.
    """
    inst, account = trading_parties(venue, symbol, account_id)
    if side not in SIDES or type_ not in ORDER_TYPES:
        raise Rejected(Reject.INVALID_ORDER, f"side {side!r} / type {type_!r}")
    if type(qty) is not int or type(price) is not int or type(quote_qty) is not int or \
            type(stop_price) is not int:
        # Amounts are integer atoms (Instrument.parse_* at the edge); a float here would make money inexact.
        raise Rejected(Reject.INVALID_ORDER, "amounts must be integer atoms")
    if quote_qty and type_ != MARKET:
        raise Rejected(Reject.INVALID_ORDER, "quote_qty is only used by MARKET orders")
    if price and type_ not in LIMIT_PRICED:
        raise Rejected(Reject.INVALID_ORDER, "price is not used by this order type")
    if stop_price and type_ not in STOP_TYPES:
        raise Rejected(Reject.INVALID_ORDER, "stopPrice is not used by this order type")
    if type_ == MARKET and (qty < 0 or quote_qty < 0 or (qty > 0) == (quote_qty > 0)):
        raise Rejected(Reject.INVALID_ORDER, "a market order takes exactly one of qty and quote_qty")
    is_buy = side == BUY
    if type_ != LIMIT or tif not in TIMES_IN_FORCE:  # a LIMIT with a known tif passes: skip the call
        tif = check_tif(type_, tif)
    stp = check_order_identity(inst, account, symbol, stp, client_id)
    book = venue.books[symbol]
    market = venue.market[symbol]
    now = venue.clock.now_ms()
    check_filters(inst, market, now, type_, is_buy, qty, price, stop_price, quote_qty)
    if type_ in STOP_TYPES:
        check_not_triggered(type_, is_buy, stop_price, market.last_price)
    plan = None
    if type_ == MARKET:
        plan = plan_taker(book, inst, account_id, is_buy, stp, 0, qty, quote_qty)
        if not plan.steps:
            # A market order that can reach no resting order (an empty side, or a quote budget short of one
            # step at the best price) is refused instead of being accepted with nothing to do.
            raise Rejected(Reject.NO_LIQUIDITY)
    elif type_ == LIMIT_MAKER:
        best = book.opposite(is_buy).best_price()
        if best is not None and (best <= price if is_buy else best >= price):
            raise Rejected(Reject.WOULD_TAKE)
    elif type_ == LIMIT:
        best = (book.asks if is_buy else book.bids).best_price()
        if best is None or (best > price if is_buy else best < price):
            plan = NOTHING_TO_TAKE  # plan_taker's first check, without its call: most limit orders do not cross
        else:
            plan = plan_taker(book, inst, account_id, is_buy, stp, price, qty, 0)
    if type_ == LIMIT:  # need_at_placement for the commonest type, without the call
        need = price * qty // inst.base_unit if is_buy else qty
    else:
        need = need_at_placement(inst, type_, is_buy, qty, price, stop_price, plan)
    if account.free(inst.quote if is_buy else inst.base) < need:
        raise Rejected(Reject.INSUFFICIENT_BALANCE)
    return inst, account, tif, stp, plan, need, now


def check_order_identity(inst: Instrument, account: Account, symbol: str, stp: str | None,
                         client_id: str | None) -> str:
    """The self-trade prevention mode the order runs with (the symbol's default when none is asked), once its
    mode is allowed, its client order id unused and the account below the symbol's open-order cap: any market."""
    if stp is None:
        stp = inst.default_stp
    elif stp not in STP_MODES or stp not in inst.allowed_stp:
        raise Rejected(Reject.STP_MODE_NOT_ALLOWED, stp)
    if client_id is not None and client_id in account.client_ids:
        raise Rejected(Reject.DUPLICATE_CLIENT_ORDER_ID)
    if account.open_count.get(symbol, 0) >= inst.max_num_orders:
        raise Rejected(Reject.MAX_NUM_ORDERS)
    return stp


def fill_parties(venue: Venue, maker, qty: int, taker_account_id: int) -> tuple[Instrument, Account]:
    """The instrument and taker account of an exact fill of one resting order (Engine.fill_order, either market),
    once the order rests, its symbol trades, the taker is someone else and `qty` is whole steps it has left."""
    if maker is None or not maker.is_open or not maker.is_working:
        raise Rejected(Reject.UNKNOWN_ORDER, "only a resting order can be filled")
    inst = venue.instruments[maker.symbol]
    account = venue.account(taker_account_id)
    if inst.status != "TRADING":
        raise Rejected(Reject.MARKET_CLOSED)
    if taker_account_id == maker.account_id:
        raise Rejected(Reject.INVALID_ORDER, "an order cannot be filled by its own account")
    if type(qty) is not int or qty <= 0 or qty % inst.step or qty > maker.remaining:
        raise Rejected(Reject.LOT_SIZE, "the quantity must be whole steps, at most what the order has left")
    return inst, account


def trading_parties(venue: Venue, symbol: str, account_id: int) -> tuple[Instrument, Account]:
    """The symbol's instrument and the account, if both exist and the symbol trades (any market's first checks)."""
    inst = venue.instruments.get(symbol)
    if inst is None:
        raise Rejected(Reject.UNKNOWN_SYMBOL, symbol)
    account = venue.accounts.get(account_id)
    if account is None:
        raise Rejected(Reject.UNKNOWN_ACCOUNT, str(account_id))
    if inst.status != "TRADING":
        raise Rejected(Reject.MARKET_CLOSED)
    return inst, account


def check_replacement_filters(venue: Venue, account_id: int, symbol: str, side: str, type_: str, qty: int,
                              price: int, tif: str | None, quote_qty: int, stop_price: int, client_id: str | None,
                              stp: str | None) -> None:
    """Raise Rejected if the new order of a cancel-replace fails the symbol's filters; anything else (balance,
    client id, open-order count: what the cancel may change; or any other refusal) is the placement's to
    report once the cancel has run."""
    try:
        validate_placement(venue, account_id, symbol, side, type_, qty, price, tif, quote_qty, stop_price,
                           client_id, stp)
    except Rejected as rejected:
        if rejected.reason in FILTER_REJECTS:
            raise
        if rejected.reason in _BEFORE_FILTERS_AND_LIFTED_BY_A_CANCEL:  # so the filters were not reached
            check_filters(venue.instruments[symbol], venue.market[symbol], venue.clock.now_ms(), type_,
                          side == BUY, qty, price, stop_price, quote_qty)


def check_filters(inst: Instrument, market: MarketData, now: int, type_: str, is_buy: bool, qty: int, price: int,
                  stop_price: int, quote_qty: int) -> None:
    """The symbol's filters for one order, whoever places it and whatever the book holds: PRICE_FILTER,
    LOT_SIZE and NOTIONAL at the limit price; PERCENT_PRICE_BY_SIDE around the average price; the stop
    price's PRICE_FILTER, and MARKET_LOT_SIZE and NOTIONAL at the stop for a stop that trades at market; a
    market order's MARKET_LOT_SIZE and NOTIONAL (at the average price, or its quote budget)."""
    if type_ in LIMIT_PRICED:
        inst.check_limit(price, qty)
        if inst.has_percent_price:  # the average price costs a walk over the recent klines: only if used
            inst.check_percent_price(is_buy, price, market.average_price(now, inst.avg_price_mins))
    if type_ in STOP_TYPES:
        inst.check_price(stop_price)
        if type_ in (STOP_LOSS, TAKE_PROFIT):
            inst.check_market_qty(qty)
            inst.check_notional(inst.notional(stop_price, qty))
    elif type_ == MARKET:
        if qty:
            inst.check_market_qty(qty)
            reference = market.average_price(now, inst.avg_price_mins)
            if reference is not None:
                inst.check_notional(inst.notional(reference, qty))
        else:
            inst.check_notional(quote_qty)


def check_tif(type_: str, tif: str | None) -> str:
    """The order's time in force: required (and one of GTC, IOC, FOK) for limit-priced types that take, GTC
    implied for the others (which may say GTC only on a LIMIT_MAKER)."""
    if type_ in (LIMIT, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT):
        if tif not in TIMES_IN_FORCE:
            raise Rejected(Reject.INVALID_ORDER, "timeInForce is required for this order type")
        return tif
    if tif not in (None, GTC) or (tif == GTC and type_ != LIMIT_MAKER):
        raise Rejected(Reject.INVALID_ORDER, "timeInForce is not used by this order type")
    return GTC


def check_not_triggered(type_: str, is_buy: bool, stop: int, last: int | None) -> None:
    """A stop order whose stop the last price has already reached would fire on arrival: refused."""
    if last is not None and stop_reached(type_, is_buy, stop, last):
        raise Rejected(Reject.WOULD_TRIGGER_IMMEDIATELY)


def need_at_placement(inst: Instrument, type_: str, is_buy: bool, qty: int, price: int, stop: int,
                      plan: TakerPlan | None) -> int:
    """What the order must lock: quote for a buy (at its limit, stop or planned cost), base for a sell."""
    if type_ == MARKET:
        return plan.cost if is_buy else plan.filled
    if not is_buy:
        return qty
    return inst.notional(price or stop, qty)
