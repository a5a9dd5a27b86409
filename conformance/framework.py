"""Checks: what one is (id, level, statement, what it needs), the registry, and the context a check runs in.

A check is an async function of a `Ctx`, registered with `@check(...)`. It arranges its scene through the
control plane (`ctx.venue`), drives the adapter (`ctx.adapter`), and asserts with `ctx.expect` / `ctx.fail`,
comparing what the adapter reports with what the simulator knows, never with numbers typed into the check. A
failure's evidence says what was expected and what was seen.
"""
from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Optional

from conformance.adapter import AdapterConfig, OrderRequest
from conformance.events import EventLog, describe, kind
from conformance.options import LEVELS
from conformance.venue import ConfigChange, Venue



class CheckFailed(AssertionError):
    def __init__(self, what: str, expected: Any = None, seen: Any = None):
        self.evidence = what if expected is None and seen is None else \
            f"{what}: expected {_render(expected)}; seen {_render(seen)}"
        super().__init__(self.evidence)


class CheckSkipped(Exception):
    """`capability`: the adapter declared it lacks what the check needs (the only skip a gate accepts as
    success); otherwise the simulator lacks it."""

    def __init__(self, reason: str, capability: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.capability = capability


def _render(value: Any) -> str:
    if isinstance(value, list) and value and not isinstance(value[0], (str, int, Decimal, tuple, dict)):
        return "[" + ", ".join(describe(v) for v in value) + "]"
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        return describe(value)
    return str(value)


@dataclass(frozen=True)
class Check:
    id: str
    level: str
    statement: str
    run: Callable[["Ctx"], Awaitable[None]]
    needs: frozenset[str] = frozenset()
    market: str = "spot"
    config: Optional[ConfigChange] = None        # a change to the quiet default config this check needs
    arrange: Optional[Callable[[Venue], None]] = None  # the scene set before the adapter starts
    timeout: float = 20.0
    pairs: tuple[str, ...] = ("BTC-USDT", "ETH-USDT")
    exclusive: bool = False  # timing-sensitive: runs alone, so other checks' work on the loop cannot delay it


REGISTRY: dict[str, Check] = {}


def check(id: str, level: str, statement: str, *, needs: tuple[str, ...] = (), config: Optional[ConfigChange] = None,
          arrange: Optional[Callable[[Venue], None]] = None, timeout: float = 20.0,
          pairs: tuple[str, ...] = ("BTC-USDT", "ETH-USDT"), exclusive: bool = False) -> Callable:
    """Register a check. Its market is perpetual at the perpetual level, spot otherwise; the adapter must
    declare that market as a capability, plus every name in `needs`."""
    if level not in LEVELS:
        raise ValueError(f"{id}: level {level!r} is not one of {LEVELS}")
    market = "perpetual" if level == "perpetual" else "spot"

    def register(fn: Callable[["Ctx"], Awaitable[None]]) -> Callable:
        if id in REGISTRY:
            raise ValueError(f"check id {id} registered twice")
        REGISTRY[id] = Check(id, level, statement, fn, frozenset((market, *needs)), market, config, arrange,
                             timeout, pairs, exclusive)
        return fn

    return register


@dataclass
class Ctx:
    """What a running check holds: the venue, the adapter under test, its events and its factory."""

    check: Check
    venue: Venue
    factory: Callable[[AdapterConfig], Any]
    config: AdapterConfig
    events: EventLog
    adapter: Any = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    # --- waits: how long a connector gets to notice something -------------------------------------------
    @property
    def patience(self) -> float:
        """Seconds the connector gets to reflect a change: a few polls or a WS round trip."""
        t = self.config.timing
        return 3 * t.poll_interval + t.request_timeout + 1.0

    @property
    def recovery(self) -> float:
        """Seconds the connector gets to notice a broken connection and recover from it."""
        t = self.config.timing
        return t.ws_silence_timeout + t.request_timeout + 3 * t.poll_interval + 3.0

    @property
    def pair(self) -> str:
        return self.check.pairs[0]

    # --- assertions --------------------------------------------------------------------------------------
    def fail(self, what: str, expected: Any = None, seen: Any = None) -> None:
        raise CheckFailed(what, expected, seen)

    def expect(self, ok: bool, what: str, expected: Any = None, seen: Any = None) -> None:
        if not ok:
            raise CheckFailed(what, expected, seen)

    def skip(self, reason: str) -> None:
        raise CheckSkipped(reason)

    async def eventually(self, probe: Callable[[], Awaitable[tuple[bool, Any, Any]]], what: str,
                         timeout: Optional[float] = None) -> None:
        """Poll `probe() -> (ok, expected, seen)` until ok, or fail with the last expected and seen."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout if timeout is not None else self.patience)
        while True:
            ok, expected, seen = await probe()
            if ok:
                return
            if loop.time() >= deadline:
                raise CheckFailed(what, expected, seen)
            await asyncio.sleep(0.05)

    async def event(self, name: str, timeout: Optional[float] = None, after: int = 0, **fields: Any) -> Any:
        """The first `name` event with those fields (waiting up to `patience`), or the check fails."""
        found = await self.events.wait_for(name, self.patience if timeout is None else timeout, after, **fields)
        if found is None:
            shown = ", ".join(f"{k}={v}" for k, v in fields.items())
            raise CheckFailed(f"no {name} event ({shown})", f"{name}({shown})",
                              self.events.items[after:][-8:] or "no event at all")
        return found

    async def wait_count(self, name: str, count: int, timeout: Optional[float] = None) -> None:
        """Until `count` events of that class name were recorded (or the check fails saying how many came)."""
        found = await self.events.wait(lambda e: len(self.events.of(name)) >= count,
                                       self.patience if timeout is None else timeout)
        if found is None and len(self.events.of(name)) < count:
            raise CheckFailed(f"{name} events", count, self.events.of(name) or "none")

    async def terminal(self, client_order_id: str, timeout: Optional[float] = None) -> Any:
        """The first terminal event (completed, canceled, failed) of an order."""
        names = ("OrderCompleted", "OrderCanceled", "OrderFailed")
        found = await self.events.wait(lambda e: kind(e) in names and e.client_order_id == client_order_id,
                                       self.patience if timeout is None else timeout)
        if found is None:
            raise CheckFailed(f"no terminal event for order {client_order_id}", "OrderCompleted, OrderCanceled "
                              "or OrderFailed", self.for_order(client_order_id) or "no event for it")
        return found

    async def outcome(self, client_order_id: str, timeout: Optional[float] = None) -> Any:
        """The first created or failed event of an order: the connector settled what became of the request."""
        found = await self.events.wait(lambda e: kind(e) in ("OrderCreated", "OrderFailed")
                                       and e.client_order_id == client_order_id,
                                       self.patience if timeout is None else timeout)
        if found is None:
            raise CheckFailed(f"no outcome reported for order {client_order_id}", "OrderCreated or OrderFailed",
                              self.for_order(client_order_id) or "no event for it")
        return found

    def for_order(self, client_order_id: str, name: Optional[str] = None) -> list[Any]:
        return [e for e in self.events.items if getattr(e, "client_order_id", None) == client_order_id
                and (name is None or kind(e) == name)]

    # --- acting ------------------------------------------------------------------------------------------
    def new_client_id(self) -> str:
        """Deterministic, unique within the check, well inside Binance's 36-character limit."""
        return f"cf{self.check.id.replace('-', '').lower()}x{next(self._ids)}"

    async def place(self, side: str, amount: Any, price: Any = None, order_type: str = "LIMIT",
                    time_in_force: str = "GTC", pair: Optional[str] = None, client_order_id: Optional[str] = None,
                    position_side: str = "BOTH", reduce_only: bool = False, generate_id: bool = False) -> str:
        cid = None if generate_id else (client_order_id or self.new_client_id())
        request = OrderRequest(trading_pair=pair or self.pair, side=side, order_type=order_type,
                               amount=Decimal(str(amount)), price=None if price is None else Decimal(str(price)),
                               time_in_force=time_in_force, client_order_id=cid, position_side=position_side,
                               reduce_only=reduce_only)
        return await self.adapter.place(request)

    async def place_resting(self, side: str, amount: Any, price: Any, pair: Optional[str] = None) -> tuple[str, dict]:
        """A LIMIT GTC order that rests: (client id, the exchange's order) once the adapter reported it created."""
        cid = await self.place(side, amount, price, pair=pair)
        await self.event("OrderCreated", client_order_id=cid)
        found = self.venue.order(cid)
        if found is None:
            self.fail(f"order {cid} reported created but unknown to the exchange", "an order on the exchange",
                      "none")
        return cid, found["order"]

    async def stop_adapter(self) -> None:
        await asyncio.wait_for(self.adapter.stop(), 10)

    async def start_new_adapter(self) -> None:
        """A new adapter from the same config (same state_dir), started: a connector process restarted."""
        self.adapter = self.factory(self.config)
        self.events.attach(self.adapter)
        await asyncio.wait_for(self.adapter.start(), 30)

    def now(self) -> float:
        return asyncio.get_running_loop().time()
