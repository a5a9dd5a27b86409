"""The names of the fault kinds: declared by the control plane's registry (simulator.control.faults, which gives
each its parameters and budget), looked up by name wherever a fault takes effect. The wire dialects render the
effect of the kinds that act on the wire; both import the names from here, so neither imports the other and a
renamed kind fails at import, not silently."""
from __future__ import annotations

# REST
HTTP_LATENCY = "http_latency"
HTTP_ERROR = "http_error"
HTTP_UNKNOWN_STATUS = "http_unknown_status"
HTTP_BLACKHOLE = "http_blackhole"
MAINTENANCE = "maintenance"
# WebSocket
WS_CLOSE = "ws_close"
WS_SILENCE = "ws_silence"
WS_DELAY = "ws_delay"
WS_DUPLICATE = "ws_duplicate"
WS_REORDER = "ws_reorder"
DEPTH_GAP = "depth_gap"
WS_DROP = "ws_drop"
WS_LIFETIME = "ws_lifetime"
WS_CONNECT_LIMIT = "ws_connect_limit"
# the simulator's state (simulator.control.fault_effects)
HALT = "halt"
RATE_LIMIT = "rate_limit"
LISTEN_KEY_EXPIRE = "listen_key_expire"
CLOCK_SKEW = "clock_skew"
FILL_DURING_CANCEL = "fill_during_cancel"
PARTIAL_FILL = "partial_fill"
LISTEN_KEY_TTL = "listen_key_ttl"

ALL = frozenset((HTTP_LATENCY, HTTP_ERROR, HTTP_UNKNOWN_STATUS, HTTP_BLACKHOLE, MAINTENANCE, WS_CLOSE, WS_SILENCE,
                 WS_DELAY, WS_DUPLICATE, WS_REORDER, DEPTH_GAP, HALT, RATE_LIMIT, LISTEN_KEY_EXPIRE, CLOCK_SKEW,
                 FILL_DURING_CANCEL, PARTIAL_FILL, WS_DROP, WS_LIFETIME, WS_CONNECT_LIMIT, LISTEN_KEY_TTL))
