"""The adapter protocol: the one small async class a connector author writes to run the conformance suite.

The suite never imports a connector. It resolves a factory (a dotted "pkg.module:function" string or a callable
given to the pytest plugin), calls `factory(config)` with an `AdapterConfig`, and drives the returned object only
through the methods below. The connector behind it talks to the simulator only over the wire (REST and
WebSocket at `config.rest_url` / `config.ws_url`). The suite then compares what the adapter reports with what
the simulator knows.

An adapter is where the suite meets a connector, so it imports the connector it wraps (never the other way
round). The two shipped ones live in conformance/adapters/: `reference.py` for the reference connector and
`ccxt_adapter.py` for ccxt; the suite names them only by the strings at the end of this module.

Conventions (every adapter follows them; the suite relies on them):
- Trading pairs are written "BASE-QUOTE" ("BTC-USDT"); the adapter converts to and from exchange symbols.
- Every price, amount, balance and fee is a `Decimal`, never a float.
- Enumerations are plain upper-case strings: sides "BUY" / "SELL"; order types "LIMIT", "MARKET",
  "LIMIT_MAKER", and on perpetuals the conditional "STOP_MARKET" / "TAKE_PROFIT_MARKET"; working types
  "MARK_PRICE" / "CONTRACT_PRICE"; time in force "GTC", "IOC", "FOK"; position sides "BOTH", "LONG", "SHORT";
  position modes "ONEWAY", "HEDGE".
- An exchange's refusal of an order is not an exception: `place` returns the client order id and the adapter
  emits `OrderFailed` carrying the exchange's reason. Methods raise only when the adapter cannot do what is
  asked at all (a capability it lacks: `NotImplementedError`).
- Events flow from construction on: the adapter queues every event it emits, and `events()` yields them in the
  order emitted to the suite's one consumer (nothing may be dropped while nobody is iterating).
- Duck typing: the suite reads results and events by attribute name only, and tells events apart by their
  class NAME (`type(event).__name__`), so a connector may define its own classes with the names and fields
  below instead of importing this module.
- Restart: the suite calls `stop()`, then builds a NEW adapter with the same `AdapterConfig` (same `state_dir`)
  and `start()`s it. The new one must re-track the open orders the old one persisted in `state_dir`, and report
  (once) fills and terminal states that happened while it was down.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Optional, Protocol, Union, runtime_checkable


class Capability:
    """Names an adapter may declare in `capabilities`. A check that needs an undeclared one is skipped."""

    SPOT = "spot"                          # trades the spot market (/api/v3)
    PERPETUAL = "perpetual"                # trades USD-M perpetuals (/fapi)
    MARKET_ORDERS = "market_orders"        # order_type "MARKET"
    LIMIT_MAKER = "limit_maker"            # order_type "LIMIT_MAKER"
    IOC = "ioc"                            # time_in_force "IOC"
    FOK = "fok"                            # time_in_force "FOK"
    CANCEL_ALL = "cancel_all"              # cancel_all()
    ORDER_BOOK = "order_book"              # order_book() from a locally maintained book (snapshot + diffs)
    PUBLIC_TRADES = "public_trades"        # emits PublicTrade events for the pairs it tracks
    BALANCE_EVENTS = "balance_events"      # emits BalanceUpdate events when balances change
    RESTART = "restart"                    # persists tracking state in config.state_dir (see module docstring)
    POSITIONS = "positions"                # positions() and PositionUpdate events (perpetual)
    LEVERAGE = "leverage"                  # set_leverage()
    POSITION_MODE = "position_mode"        # set_position_mode(), "HEDGE" included
    MARGIN_TYPE = "margin_type"            # set_margin_type()
    FUNDING = "funding"                    # funding_info() and FundingPayment events (perpetual)
    CONDITIONAL_ORDERS = "conditional_orders"  # order_type "STOP_MARKET" / "TAKE_PROFIT_MARKET" (perpetual)

    ALL = frozenset({SPOT, PERPETUAL, MARKET_ORDERS, LIMIT_MAKER, IOC, FOK, CANCEL_ALL, ORDER_BOOK,
                     PUBLIC_TRADES, BALANCE_EVENTS, RESTART, POSITIONS, LEVERAGE, POSITION_MODE, MARGIN_TYPE,
                     FUNDING, CONDITIONAL_ORDERS})


@dataclass(frozen=True)
class Timing:
    """How quickly the suite expects the connector to notice things. Adapters pass these to their connector
    (they are the connector's own knobs, shortened so that a check lasts seconds, not minutes)."""

    request_timeout: float = 3.0       # seconds before a REST request with no answer is given up
    ws_silence_timeout: float = 3.0    # seconds of silence on a WebSocket before it is closed and reopened
    poll_interval: float = 1.0         # seconds between REST polls of order status, balances and positions
    lost_order_after: int = 3          # failed status queries before an order is declared lost (OrderFailed)


@dataclass(frozen=True)
class AdapterConfig:
    """What the suite hands the factory. URLs have no trailing slash and no path: the connector appends
    Binance's paths (/api/v3/..., /fapi/v1/..., /ws, /stream, /ws-api/v3, /public, /market, /private)."""

    rest_url: str                      # "http://127.0.0.1:<port>"
    ws_url: str                        # "ws://127.0.0.1:<port>"
    api_key: str
    api_secret: str
    trading_pairs: tuple[str, ...]     # ("BTC-USDT", ...)
    market: str = "spot"               # "spot" or "perpetual": which market this adapter trades
    state_dir: Optional[Path] = None   # where the connector persists tracking state (restart checks)
    timing: Timing = field(default_factory=Timing)


# ----------------------------------------------------------------------------------------------- requests


#: The conditional order types of the CONDITIONAL_ORDERS capability (perpetuals).
CONDITIONAL_ORDER_TYPES = ("STOP_MARKET", "TAKE_PROFIT_MARKET")


@dataclass(frozen=True)
class OrderRequest:
    """One order to place. A conditional order (CONDITIONAL_ORDERS) waits on the exchange until the price named
    by `working_type` reaches `trigger_price`, then works as a MARKET order: it is OrderCreated when the exchange
    accepts it and stays open (listed by open_orders) until it fills or ends, like any other order. With
    `close_position` it closes whatever position the pair holds at that moment: `amount` is then 0 (none is
    sent) and the fills say how much it closed."""

    trading_pair: str
    side: str                          # "BUY" | "SELL"
    order_type: str                    # "LIMIT" | "MARKET" | "LIMIT_MAKER" | "STOP_MARKET" | "TAKE_PROFIT_MARKET"
    amount: Decimal                    # base amount (the connector quantizes it to the step size)
    price: Optional[Decimal] = None    # None for MARKET and conditional (quantized to the tick size)
    time_in_force: str = "GTC"         # LIMIT only: "GTC" | "IOC" | "FOK"
    client_order_id: Optional[str] = None  # None: the connector generates one
    position_side: str = "BOTH"        # perpetual: "BOTH" (one-way) | "LONG" | "SHORT" (hedge)
    reduce_only: bool = False          # perpetual
    trigger_price: Optional[Decimal] = None  # conditional: the stop price (quantized to the tick size)
    close_position: bool = False       # conditional: close the whole position when triggered (amount 0)
    working_type: str = "MARK_PRICE"   # conditional: the price that triggers it, "MARK_PRICE" | "CONTRACT_PRICE"


# ------------------------------------------------------------------------------------------ snapshots


@dataclass(frozen=True)
class Balance:
    total: Decimal
    available: Decimal


@dataclass(frozen=True)
class OpenOrder:
    client_order_id: str
    exchange_order_id: Optional[str]
    trading_pair: str
    side: str
    order_type: str
    price: Optional[Decimal]
    amount: Decimal
    executed_amount: Decimal
    state: str                          # "OPEN" | "PARTIALLY_FILLED" (open orders only)


@dataclass(frozen=True)
class BookTop:
    """Best levels first: bids descending, asks ascending; each level (price, amount)."""

    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]


@dataclass(frozen=True)
class TradingRule:
    trading_pair: str
    min_order_size: Decimal            # LOT_SIZE minQty
    max_order_size: Decimal            # LOT_SIZE maxQty
    min_price_increment: Decimal       # PRICE_FILTER tickSize
    min_base_amount_increment: Decimal  # LOT_SIZE stepSize
    min_notional: Decimal              # NOTIONAL / MIN_NOTIONAL minNotional (0 when none)
    status: str                        # the exchange's symbol status ("TRADING", "HALT", "BREAK", ...)


@dataclass(frozen=True)
class Position:
    trading_pair: str
    position_side: str                 # "BOTH" | "LONG" | "SHORT"
    amount: Decimal                    # signed: > 0 long, < 0 short
    entry_price: Decimal
    leverage: int
    unrealized_pnl: Decimal


@dataclass(frozen=True)
class FundingInfo:
    trading_pair: str
    index_price: Decimal
    mark_price: Decimal
    rate: Decimal                      # the rate the next settlement will apply (lastFundingRate)
    next_funding_time_ms: int


# ------------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class OrderCreated:
    client_order_id: str
    exchange_order_id: str
    trading_pair: str
    side: str
    order_type: str
    amount: Decimal
    price: Optional[Decimal]


@dataclass(frozen=True)
class OrderFilled:
    """One exchange trade of one of the connector's orders, reported exactly once."""

    client_order_id: str
    exchange_order_id: str
    trading_pair: str
    trade_id: str
    side: str
    price: Decimal
    amount: Decimal                    # base amount of this fill
    fee_asset: str
    fee_amount: Decimal
    position_side: str = "BOTH"


@dataclass(frozen=True)
class OrderCompleted:
    """The order is completely filled (terminal)."""

    client_order_id: str
    exchange_order_id: str
    trading_pair: str


@dataclass(frozen=True)
class OrderCanceled:
    """The order ended without filling completely: canceled, expired (IOC/FOK) or expired in match."""

    client_order_id: str
    exchange_order_id: Optional[str]
    trading_pair: str


@dataclass(frozen=True)
class OrderFailed:
    """The order was refused (by the exchange or locally) or lost. `reason` carries the exchange's message
    (and `code` its numeric code) when the exchange refused it."""

    client_order_id: str
    trading_pair: str
    reason: str
    code: Optional[int] = None


@dataclass(frozen=True)
class BalanceUpdate:
    asset: str
    total: Decimal
    available: Decimal


@dataclass(frozen=True)
class PositionUpdate:
    trading_pair: str
    position_side: str
    amount: Decimal                    # signed
    entry_price: Decimal


@dataclass(frozen=True)
class FundingPayment:
    trading_pair: str
    asset: str
    amount: Decimal                    # signed: < 0 paid, > 0 received
    timestamp_ms: int


@dataclass(frozen=True)
class PublicTrade:
    trading_pair: str
    trade_id: str
    price: Decimal
    amount: Decimal


Event = Union[OrderCreated, OrderFilled, OrderCompleted, OrderCanceled, OrderFailed, BalanceUpdate,
              PositionUpdate, FundingPayment, PublicTrade]


# ------------------------------------------------------------------------------------------------ adapter


@runtime_checkable
class ExchangeAdapter(Protocol):
    """Structural: any object with these members is an adapter (no base class to inherit)."""

    capabilities: frozenset[str]       # names from Capability

    async def start(self) -> None:
        """Connect and return once ready: trading rules and balances loaded, order books (if ORDER_BOOK)
        built, user stream subscribed, persisted state (if RESTART) restored."""

    async def stop(self) -> None:
        """Disconnect, persist tracking state (if RESTART), release every socket and task."""

    async def place(self, order: OrderRequest) -> str:
        """Send the order (after local checks and quantization); return its client order id at once.
        Outcomes arrive as events: OrderCreated, then OrderFilled*/OrderCompleted/OrderCanceled, or
        OrderFailed."""

    async def cancel(self, trading_pair: str, client_order_id: str) -> None:
        """Request cancellation; the outcome arrives as an event (OrderCanceled, or fills if it filled)."""

    async def cancel_all(self, trading_pair: Optional[str] = None) -> list[str]:
        """Cancel every open order the connector tracks (of that pair); return the client ids asked."""

    async def balances(self) -> dict[str, Balance]:
        """The connector's view of balances by asset ("USDT", ...). Perpetual: the futures wallet."""

    async def open_orders(self, trading_pair: Optional[str] = None) -> list[OpenOrder]:
        """Orders the connector tracks as open."""

    async def order_book(self, trading_pair: str, depth: int) -> BookTop:
        """The top `depth` levels of the connector's local book."""

    async def trading_rules(self) -> dict[str, TradingRule]:
        """Rules by trading pair for every symbol the exchange lists in this market (not only the ones traded)."""

    async def positions(self) -> list[Position]:
        """Non-zero positions the connector holds (perpetual)."""

    async def funding_info(self, trading_pair: str) -> FundingInfo:
        """Mark, index, rate and next funding time as the connector knows them (perpetual)."""

    async def set_leverage(self, trading_pair: str, leverage: int) -> None:
        """Set leverage; raise AdapterError with the exchange's reason when refused."""

    async def set_position_mode(self, mode: str) -> None:
        """"ONEWAY" or "HEDGE"; raise AdapterError with the exchange's reason when refused."""

    async def set_margin_type(self, trading_pair: str, margin_type: str) -> None:
        """"CROSSED" or "ISOLATED"; raise AdapterError with the exchange's reason when refused."""

    def events(self) -> AsyncIterator[Event]:
        """The one stream of normalized events (see the module docstring)."""


class AdapterError(Exception):
    """A synchronous refusal (set_leverage, set_position_mode, set_margin_type): the exchange's reason."""

    def __init__(self, reason: str, code: Optional[int] = None):
        super().__init__(reason)
        self.reason = reason
        self.code = code


AdapterFactory = Callable[[AdapterConfig], ExchangeAdapter]

#: `exsim conformance --adapter reference` resolves this string with importlib at run time (never imported here).
REFERENCE_FACTORY = "conformance.adapters.reference:make_adapter"
CCXT_FACTORY = "conformance.adapters.ccxt_adapter:make_adapter"
