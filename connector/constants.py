"""Everything the connector knows about Binance's wire that is not read from the exchange itself: domains, paths,
per-endpoint request weights, the client order id rule, order statuses and event names.

The pool limits (how much weight a minute, how many orders per 10 s) are NOT here: the throttler reads them from
exchangeInfo's `rateLimits` at start, and `DEFAULT_*_POOLS` below only bound the very first requests (time and
exchangeInfo themselves) before that answer arrives.
"""
from __future__ import annotations

from dataclasses import dataclass

# --- domains ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """Where one venue lives: REST base and WebSocket bases (market streams, ws-api, futures private)."""
    name: str
    spot_rest: str
    spot_ws: str
    spot_ws_api: str
    usdm_rest: str
    usdm_ws: str


EXSIM = Domain("exsim", "http://127.0.0.1:8900", "ws://127.0.0.1:8900", "ws://127.0.0.1:8900",
               "http://127.0.0.1:8900", "ws://127.0.0.1:8900")
BINANCE = Domain("binance", "https://api.binance.com", "wss://stream.binance.com:9443", "wss://ws-api.binance.com:443",
                 "https://fapi.binance.com", "wss://fstream.binance.com")
BINANCE_TESTNET = Domain("binance_testnet", "https://testnet.binance.vision", "wss://stream.testnet.binance.vision",
                         "wss://ws-api.testnet.binance.vision", "https://demo-fapi.binance.com",
                         "wss://fstream.binancefuture.com")
DOMAINS = {d.name: d for d in (EXSIM, BINANCE, BINANCE_TESTNET)}
DEFAULT_DOMAIN = EXSIM


def domain_for_url(base_url: str) -> Domain:
    """A Domain that serves every venue from one host:port, as exsim does (http -> ws)."""
    base_url = base_url.rstrip("/")
    ws = "ws" + base_url[4:] if base_url.startswith("http") else base_url
    return Domain("custom", base_url, ws, ws, base_url, ws)


# --- spot REST paths (Binance /api/v3) and their request weights ------------------------------------------------
SPOT = "spot"
USDM = "usdm"

PING = "/api/v3/ping"
TIME = "/api/v3/time"
EXCHANGE_INFO = "/api/v3/exchangeInfo"
DEPTH = "/api/v3/depth"
ORDER = "/api/v3/order"
OPEN_ORDERS = "/api/v3/openOrders"
ACCOUNT = "/api/v3/account"
MY_TRADES = "/api/v3/myTrades"
USER_DATA_STREAM = "/api/v3/userDataStream"

# --- USD-M REST paths -------------------------------------------------------------------------------------------
F_PING = "/fapi/v1/ping"
F_TIME = "/fapi/v1/time"
F_EXCHANGE_INFO = "/fapi/v1/exchangeInfo"
F_DEPTH = "/fapi/v1/depth"
F_ORDER = "/fapi/v1/order"
F_OPEN_ORDERS = "/fapi/v1/openOrders"
F_ALL_OPEN_ORDERS = "/fapi/v1/allOpenOrders"
F_ACCOUNT = "/fapi/v2/account"
F_POSITION_RISK = "/fapi/v2/positionRisk"
F_USER_TRADES = "/fapi/v1/userTrades"
F_LEVERAGE = "/fapi/v1/leverage"
F_MARGIN_TYPE = "/fapi/v1/marginType"
F_POSITION_SIDE_DUAL = "/fapi/v1/positionSide/dual"
F_PREMIUM_INDEX = "/fapi/v1/premiumIndex"
F_INCOME = "/fapi/v1/income"
F_LISTEN_KEY = "/fapi/v1/listenKey"
# Conditional orders (STOP_MARKET, TAKE_PROFIT_MARKET): Binance takes them only here now, not on F_ORDER.
F_ALGO_ORDER = "/fapi/v1/algoOrder"
CONDITIONAL_TYPES = ("STOP_MARKET", "TAKE_PROFIT_MARKET")

# Pool names, as exchangeInfo's rateLimitType spells them.
REQUEST_WEIGHT = "REQUEST_WEIGHT"
ORDERS = "ORDERS"
RAW_REQUESTS = "RAW_REQUESTS"

# (method, path) -> REQUEST_WEIGHT units, from the reference's tables (§2.1, §7.1); depth at the limit the
# connector asks for (SPOT_DEPTH_LIMIT, USDM_DEPTH_LIMIT).
WEIGHTS: dict[tuple[str, str], int] = {
    ("GET", PING): 1, ("GET", TIME): 1, ("GET", EXCHANGE_INFO): 20, ("GET", DEPTH): 50,
    ("POST", ORDER): 1, ("GET", ORDER): 4, ("DELETE", ORDER): 1,
    ("GET", OPEN_ORDERS): 6, ("DELETE", OPEN_ORDERS): 1, ("GET", ACCOUNT): 20, ("GET", MY_TRADES): 5,
    ("POST", USER_DATA_STREAM): 2, ("PUT", USER_DATA_STREAM): 2, ("DELETE", USER_DATA_STREAM): 2,
    ("GET", F_PING): 1, ("GET", F_TIME): 1, ("GET", F_EXCHANGE_INFO): 40, ("GET", F_DEPTH): 20,
    ("POST", F_ORDER): 0, ("GET", F_ORDER): 1, ("DELETE", F_ORDER): 1, ("GET", F_OPEN_ORDERS): 1,
    ("DELETE", F_ALL_OPEN_ORDERS): 1, ("GET", F_ACCOUNT): 5, ("GET", F_POSITION_RISK): 5,
    ("GET", F_USER_TRADES): 5, ("POST", F_LEVERAGE): 1, ("POST", F_MARGIN_TYPE): 1,
    ("GET", F_POSITION_SIDE_DUAL): 30, ("POST", F_POSITION_SIDE_DUAL): 1, ("GET", F_PREMIUM_INDEX): 1,
    ("GET", F_INCOME): 30, ("POST", F_LISTEN_KEY): 1, ("PUT", F_LISTEN_KEY): 1, ("DELETE", F_LISTEN_KEY): 1,
    ("POST", F_ALGO_ORDER): 0, ("GET", F_ALGO_ORDER): 1, ("DELETE", F_ALGO_ORDER): 1,
}
# Requests that also count against the ORDERS pools (new orders only; cancels do not count on Binance).
ORDER_PLACING = {("POST", ORDER), ("POST", F_ORDER), ("POST", F_ALGO_ORDER)}
SPOT_DEPTH_LIMIT = 1000  # weight 50 (5000 would cost 250, for levels far from the touch that diffs keep anyway)
USDM_DEPTH_LIMIT = 1000  # weight 20

# Until exchangeInfo has been read: the public spot and USD-M values (reference §1.7).
DEFAULT_SPOT_POOLS = ({"rateLimitType": REQUEST_WEIGHT, "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
                      {"rateLimitType": ORDERS, "interval": "SECOND", "intervalNum": 10, "limit": 100},
                      {"rateLimitType": ORDERS, "interval": "DAY", "intervalNum": 1, "limit": 200000},
                      {"rateLimitType": RAW_REQUESTS, "interval": "MINUTE", "intervalNum": 5, "limit": 61000})
DEFAULT_USDM_POOLS = ({"rateLimitType": REQUEST_WEIGHT, "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
                      {"rateLimitType": ORDERS, "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
                      {"rateLimitType": ORDERS, "interval": "SECOND", "intervalNum": 10, "limit": 300})
INTERVAL_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}
# The share of each pool the throttler allows itself: the rest is headroom for other clients on the same IP and
# for the server counting a window slightly differently.
SAFETY_MARGIN_PCT = 90

# --- client order ids -------------------------------------------------------------------------------------------
# Binance spot: ^[a-zA-Z0-9-_]{1,36}$; USD-M: ^[\.A-Z\:/a-z0-9_-]{1,36}$. The connector's ids fit both.
MAX_CLIENT_ORDER_ID_LEN = 36
CLIENT_ORDER_ID_PREFIX = "x-EXREF"

# --- error codes the connector reacts to ------------------------------------------------------------------------
INVALID_TIMESTAMP = -1021
UNKNOWN_EXECUTION = -1007
SYSTEM_THROTTLED = -1008
ORDER_DOES_NOT_EXIST = -2013
UNKNOWN_ORDER_SENT = -2011
# Refusals that mean the connector's trading rules are stale: filter failures (spot -1013; USD-M price, quantity
# and notional errors), an unknown symbol; and the messages of a symbol that stopped trading.
RULES_REFUSAL_CODES = {-1013, -1121, -4004, -4005, -4013, -4014, -4164}
RULES_REFUSAL_MESSAGES = {"Market is closed.", "This symbol is not permitted for this account."}
NO_NEED_TO_CHANGE_MARGIN_TYPE = -4046
NO_NEED_TO_CHANGE_POSITION_SIDE = -4059

# --- order statuses on the wire and what they become ------------------------------------------------------------
WIRE_OPEN = {"NEW", "PENDING_NEW"}
WIRE_PARTIAL = {"PARTIALLY_FILLED"}
WIRE_FILLED = {"FILLED"}
WIRE_CANCELED = {"CANCELED", "EXPIRED", "EXPIRED_IN_MATCH", "PENDING_CANCEL"}

# --- intervals (seconds) ----------------------------------------------------------------------------------------
SHORT_POLL_INTERVAL = 5.0   # status polling while the user stream is silent
LONG_POLL_INTERVAL = 120.0  # status polling while the user stream is lively
TRADING_RULES_INTERVAL = 1800.0
FUNDING_POLL_INTERVAL = 600.0
TIME_SYNC_INTERVAL = 300.0     # the clock offset is measured again this often, besides on -1021
TIME_SYNC_RETRY = 10.0         # after a failed measurement
LISTEN_KEY_KEEPALIVE = 1800.0  # 30 min; keys live 60 min from the last keep-alive
WS_HEARTBEAT_TIMEOUT = 20.0    # our ping interval; a pong missing for half of it means a dead socket
RECONNECT_BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0)

# --- WebSocket messages we send (reference §1.7: more than this many a second and the connection is dropped) ----
WS_MESSAGES_PER_S = {SPOT: 5, USDM: 10}
WS_MESSAGE_HEADROOM = 1  # a second's room for the ping and pong frames the socket sends by itself
