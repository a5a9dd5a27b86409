"""Scenes: each check's arrangement of the exchange, in one place, named after the shipped scenario it mirrors.

A scene is a function of the `Venue` (and what it acts on) that arranges state or injects a fault through the
control plane. Checks call scenes and never spell control-plane operations or fault specs themselves, so when a
shipped scenario (fixtures/scenarios/*.yaml) covers a scene, the scene can be pointed at it in one place.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from simulator.dialects.binance.wire.errors import from_reject
from simulator.engine.rejection import Reject

from conformance.venue import Venue

# The standard market: maker ladders around these mids (5 levels a side).
MID = {"BTC-USDT": Decimal("60000"), "ETH-USDT": Decimal("3000")}
STEP = {"BTC-USDT": Decimal("10"), "ETH-USDT": Decimal("1")}
LEVEL_QTY = {"BTC-USDT": Decimal("0.1"), "ETH-USDT": Decimal("1")}


def market(venue: Venue) -> None:
    """Every check's starting point: a maker ladder on each spot pair (the default `arrange`)."""
    for pair in MID:
        venue.ladder(pair, MID[pair], STEP[pair], LEVEL_QTY[pair])


def best(venue: Venue, pair: str) -> tuple[Decimal, Decimal]:
    """(best bid, best ask) on the exchange now."""
    bids, asks = venue.depth(pair, 1)
    return bids[0][0], asks[0][0]


def wire_answer(reason: str) -> tuple[int, str]:
    """(code, message) Binance's dialect sends for an engine rejection reason (the exchange's own words)."""
    error = from_reject(Reject(reason), param="quantity")
    return error.code, error.msg


# --- counterparty actions (the exchange acts on the subject's orders) -----------------------------------
def fill_by_counterparty(venue: Venue, order: dict[str, Any], qty: Optional[Decimal] = None) -> dict[str, Any]:
    """The counterparty trades `qty` (default: all that is left) of the subject's resting order."""
    left = Decimal(order["origQty"]) - Decimal(order["executedQty"])
    return venue.take(order["orderId"], qty if qty is not None else left)


def partial_fills(venue: Venue, order: dict[str, Any], pieces: int) -> None:
    """partial-fills.yaml: the order fills in `pieces` trades (the last takes the remainder)."""
    inst = venue.sim.engine.instruments[order["symbol"]]
    step = Decimal(inst.format_qty(inst.step))
    total = Decimal(order["origQty"])
    piece = (total / pieces).quantize(step)
    for _ in range(pieces - 1):
        venue.take(order["orderId"], piece)
    current = venue.control.get_order(order["orderId"])["order"]
    venue.take(order["orderId"], total - Decimal(current["executedQty"]))


def cancel_by_exchange(venue: Venue, order: dict[str, Any]) -> None:
    """The order is canceled on the exchange by someone else (an operator, a risk engine)."""
    venue.control.cancel_order(order["orderId"])


# --- faults (each scene mirrors a shipped scenario) ----------------------------------------------------
def fault(venue: Venue, kind: str, **spec: Any) -> dict[str, Any]:
    return venue.add_fault({"kind": kind, "accountId": venue.subject_id, **spec}
                           if spec.pop("own", True) else {"kind": kind, **spec})


def fill_during_cancel(venue: Venue, symbol: str) -> dict[str, Any]:
    """fill-during-cancel.yaml: the order fills completely just before the subject's cancel runs."""
    return fault(venue, "fill_during_cancel", symbol=symbol, count=1)


def order_unknown_status(venue: Venue) -> dict[str, Any]:
    """order-unknown-status.yaml: the order is applied but answered 503 -1007."""
    return fault(venue, "http_unknown_status", endpoint="POST /api/v3/order", count=1)


def order_response_lost(venue: Venue, hold_ms: Optional[int] = None) -> dict[str, Any]:
    """order-response-lost.yaml: the order is applied but its response never arrives."""
    spec: dict[str, Any] = {"endpoint": "POST /api/v3/order", "count": 1}
    if hold_ms is not None:
        spec["holdMs"] = hold_ms
    return fault(venue, "http_blackhole", **spec)


def order_not_applied(venue: Venue) -> dict[str, Any]:
    """The order is refused with a 503 before it reaches the engine (nothing applied)."""
    return fault(venue, "http_error", status=503, endpoint="POST /api/v3/order", count=1)


def status_queries_fail(venue: Venue) -> dict[str, Any]:
    """Every order-status query of the subject fails (the order looks lost)."""
    return fault(venue, "http_error", status=503, endpoint="GET /api/v3/order")


def depth_gap(venue: Venue, symbol: str, count: int = 1) -> dict[str, Any]:
    """depth-gap.yaml: depth diffs are never sent, so update ids jump."""
    return fault(venue, "depth_gap", own=False, symbol=symbol, stream=f"{symbol.lower()}@depth*", count=count)


def ws_duplicate_reorder(venue: Venue, symbol: str) -> list[dict[str, Any]]:
    """ws-duplicate-reorder.yaml: depth diffs duplicated and reordered."""
    stream = f"{symbol.lower()}@depth*"
    return [fault(venue, "ws_duplicate", own=False, stream=stream, count=3),
            fault(venue, "ws_reorder", own=False, stream=stream, count=2)]


def ws_close_market(venue: Venue) -> dict[str, Any]:
    """ws-close.yaml: the server closes the market stream connections."""
    return fault(venue, "ws_close", own=False, stream="*@*", count=1)


def ws_close_user(venue: Venue) -> dict[str, Any]:
    """ws-close.yaml (user data): the server closes the subject's user data connection."""
    return fault(venue, "ws_close", count=1)


def ws_silence(venue: Venue, ms: int, market_only: bool) -> dict[str, Any]:
    """ws-silent-disconnect.yaml: the connection stays open and says nothing (no close frame)."""
    if market_only:
        return fault(venue, "ws_silence", own=False, stream="*@*", durationMs=ms)
    return fault(venue, "ws_silence", durationMs=ms)


def listen_key_expiry(venue: Venue) -> dict[str, Any]:
    """listen-key-expiry.yaml: the subject's listenKeys expire now."""
    return fault(venue, "listen_key_expire")


def rate_limited(venue: Venue, status: int, ms: int) -> dict[str, Any]:
    """rate-limit-429-storm.yaml (429) / ip-ban-418.yaml (418): every request refused for `ms`."""
    return fault(venue, "rate_limit", own=False, status=status, ms=ms)


def clock_skew(venue: Venue, ms: int) -> None:
    """clock-skew.yaml: the server's clock moves ahead for good (a client must resync)."""
    venue.control.advance_clock(ms)


def maintenance(venue: Venue, ms: int) -> dict[str, Any]:
    """maintenance-window.yaml: every symbol shows BREAK and REST answers 503 for `ms`."""
    return fault(venue, "maintenance", own=False, durationMs=ms)


def halted(venue: Venue, symbol: str) -> None:
    """halted-symbol.yaml: the symbol stops trading."""
    venue.control.set_symbol_status(symbol, "HALT")


def rest_5xx_burst(venue: Venue, count: int) -> dict[str, Any]:
    """rest-5xx-burst.yaml: the subject's next `count` REST reads answer 500."""
    return fault(venue, "http_error", status=500, endpoint="GET /api/v3/*", count=count)
