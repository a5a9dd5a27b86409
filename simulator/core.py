"""The Simulator: one fake venue's whole state, built from a config, and the operations tests run on it.

Everything a server, a test or the control plane touches hangs off this object: the engine, the clock, API
keys, listenKeys, rate limits, the background market, the fault registry and the control plane's counterparty.
It knows nothing of HTTP: the server wraps it, and tests can drive it directly in-process
(`simulator.control.api.Control(sim)` offers the control plane's operations on it).

`reset()` and `restore(document)` build a complete new Simulator first and only then swap its state into this
object, so everything holding a reference to the Simulator (the server, the stream hub, tests) keeps a valid
one, and a failure leaves the old state untouched. No part of a Simulator may hold a reference to the
Simulator itself (the swap would leave it pointing at the discarded builder); parts reference each other.
"""
from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from simulator.clock import SimClock
from simulator.config import Config, load_config
from simulator.control.counterparty import Counterparty
from simulator.control import snapshot as snapshots
from simulator.control.fault_effects import FaultEffects
from simulator.control.faults import FaultInjector
from simulator.control.traffic import Traffic
from simulator.credentials import ApiKey, KeyRing
from simulator.engine.engine import Engine
from simulator.engine.events import Event
from simulator.engine.fees import FeeSchedule, FeeTier
from simulator.engine.instrument import format_atoms, to_atoms
from simulator.engine.perp.engine import FuturesEngine
from simulator.engine.perp.instrument import PerpSpec
from simulator.engine.perp.results import FuturesTransferResult
from simulator.engine.rejection import Reject, Rejected
from simulator.engine.results import TransferResult
from simulator.market.maker import MarketMaker
from simulator.market.perp_maker import PerpMarketMaker


class WireState(Protocol):
    """What a wire dialect keeps per venue beside the engine (Binance's: its rate limiter and listenKeys).

    The dialect owns it; the Simulator only builds it with its factory, rebuilds it on reset, and passes it the
    snapshot sections it owns. The control plane reads and drives it through the methods below, never through
    the dialect's own types."""

    def state(self) -> dict[str, Any]: ...

    def restore(self, document: Mapping[str, Any]) -> None: ...

    def owners(self) -> list[tuple[int, str]]: ...

    def create_listen_key(self, account_id: int, now: int) -> str: ...

    def listen_key_entries(self) -> list[dict[str, Any]]: ...

    def rate_limit_status(self, now: int) -> dict[str, Any]: ...

    def force_rate_limit(self, status: int, until_ms: int) -> None: ...

    def expire_listen_keys(self, now: int, account_id: int | None = None, key: str | None = None) -> list[str]: ...


WireFactory = Callable[[Config, int, SimClock], WireState]


class FaultRegistry(Protocol):
    """What the wire dialects may ask of the simulator's faults (simulator.control.faults.FaultInjector is the
    one there is). Kind names come from simulator.fault_kinds; a matched fault carries its kind's `params` and
    its `fault_id`."""

    kinds: Any  # the kinds of the registered faults: empty means no fault, and nothing else need be looked at
    waiting: bool  # some fault's window waits for its first hit: only then need `seen` be called
    clock: SimClock

    def match(self, kind: str, *, endpoint: str | None = None, stream: str | None = None, symbol: str | None = None,
              account_id: int | None = None, scope: str | None = None, details: Any = None) -> Any: ...

    def find(self, kind: str, *, endpoint: str | None = None, stream: str | None = None, symbol: str | None = None,
             account_id: int | None = None) -> Any: ...

    def match_each(self, kind: str, calls: Any) -> dict: ...

    def seen(self, *, endpoint: str | None = None, stream: str | None = None, symbol: str | None = None,
             account_id: int | None = None) -> None: ...

    def ended(self, fault_id: int, now: int) -> bool: ...

    def before_cancel(self, account_id: int, symbol: str, order_id: int | None = None,
                      client_id: str | None = None, venue: str = "spot") -> Any: ...


class TrafficFeed(Protocol):
    """Where a wire dialect reports what its clients do (simulator.control.traffic.Traffic is the one there is):
    scenarios wait on it and judge the subject by it. Each call is cheap (one append to a bounded log)."""

    def request(self, endpoint: str, account_id: int | None) -> dict[str, Any]: ...

    def connected(self, connection: int, path: str) -> None: ...

    def subscribed(self, connection: int, stream: str) -> None: ...

    def user_stream(self, connection: int, account_id: int) -> None: ...

    def disconnected(self, connection: int) -> None: ...


class WalletTransfer(NamedTuple):
    """A move between an account's spot and futures wallets: each engine's own result (and event range)."""

    tran_id: int
    account_id: int
    asset: str
    amount: int
    spot: TransferResult
    futures: FuturesTransferResult


class Simulator:
    def __init__(self, config: Config | None = None, *, seed: int | None = None, clock: SimClock | None = None,
                 wire: WireFactory | None = None):
        self.config = config or load_config()
        self.seed = self.config.seed if seed is None else seed
        self.clock = clock or SimClock()
        # Separate streams so that, e.g., injecting a fault never shifts the engine's client ids. API keys and
        # listenKeys are secrets: they come from the OS, not from the seed.
        self.rng = random.Random(self.seed)
        self.keys = KeyRing()
        # The dialect's own state (rate limits, listenKeys); None for an engine-only simulator.
        self.wire_factory = wire
        self.wire: WireState | None = wire(self.config, self.seed, self.clock) if wire is not None else None
        tiers = [FeeTier.of(t.maker, t.taker) for t in self.config.fees.tiers]
        retention = self.config.retention
        self.engine = Engine(self.clock, self.rng, FeeSchedule(tiers), instruments=self.config.spot,
                             retention=retention.engine())
        self.recent_events: deque[Event] = deque(maxlen=retention.recent_events)
        self.engine.subscribe(self.recent_events.append)
        # USD-M perpetuals: a second engine with its own books, events and sequence, over the same account ids.
        # Its own RNG stream, so adding perpetuals never shifts the spot engine's generated ids.
        self.recent_futures_events: deque[Event] = deque(maxlen=retention.recent_events)
        self.futures = self.new_futures_engine()
        self.demo_keys: list[ApiKey] = []
        for account in self.config.accounts:
            self.demo_keys.append(self.create_account(account.name, account.api_key, account.secret,
                                                      account.fee_tier, account.spot, account.futures))
        self.market_maker = MarketMaker(self.engine, self.config.market_maker, self.seed) \
            if self.config.market_maker.enabled else None
        if self.market_maker is not None and self.futures.instruments:
            PerpMarketMaker(self.futures, self.market_maker, self.seed)  # quotes the perpetuals too
        self.market_paused = False  # control plane: background liquidity off (its quotes canceled)
        self.counterparty = Counterparty(self.engine)
        self.faults: FaultRegistry = FaultInjector(
            self.clock, random.Random(f"{self.seed}:faults"),
            FaultEffects(self.engine, self.wire, self.clock, self.counterparty, futures=lambda: self.futures))
        # What the wire's clients did (requests, connections, subscriptions): scenarios watch their subject here.
        self.traffic: TrafficFeed = Traffic(self.clock.now_ms)
        # Called with the Simulator after reset/restore swapped new state in (e.g. to close stale streams).
        self.on_swap: list[Callable[["Simulator"], None]] = []

    # --- time -----------------------------------------------------------------------------------------
    def tick(self, now: int | None = None) -> None:
        """Let the background market and the faults catch up with the clock (the server calls this often)."""
        now = self.clock.now_ms() if now is None else now
        if self.market_maker is not None and not self.market_paused:
            self.market_maker.tick(now)
        self.futures.tick(now)
        self.faults.tick(now)

    # --- whole-state operations -----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The full state as a versioned JSON-ready document (simulator.control.snapshot)."""
        return snapshots.dump(self)

    def capture(self) -> snapshots.Capture:
        """The same document in two steps (simulator.control.snapshot.Capture): what may change is copied now;
        the rest is rendered later, possibly in another thread while this simulator goes on."""
        return snapshots.capture(self)

    @classmethod
    def from_snapshot(cls, document: Any, *, wire: WireFactory | None = None) -> "Simulator":
        """A new Simulator holding exactly the state of `document`; SnapshotError if it is not a valid one."""
        return snapshots.load(document, lambda config, seed, clock: cls(config, seed=seed, clock=clock, wire=wire))

    def restore(self, document: Any) -> None:
        """Replace this simulator's state by the snapshot's; on any error nothing changes."""
        self._swap_in(type(self).from_snapshot(document, wire=self.wire_factory))

    def reset(self) -> None:
        """Back to the state the config and seed give at start, clock included: its advance and skew go back to
        zero (wall time, or the frozen start); faults, accounts, orders and market data are all gone."""
        self.clock.rewind()
        self._swap_in(type(self)(self.config, seed=self.seed, clock=self.clock, wire=self.wire_factory))

    def _swap_in(self, other: "Simulator") -> None:
        """Take over `other`'s state. Engine listeners others attached to the old engine (the stream hub)
        follow to the new one."""
        own = self.recent_events.append
        carried = [listener for listener in self.engine.listeners if listener != own]
        carried_ends = list(self.engine.operation_listeners)
        own_futures = self.recent_futures_events.append
        carried_futures = [listener for listener in self.futures.listeners if listener != own_futures]
        carried_futures_ends = list(self.futures.operation_listeners)
        callbacks = self.on_swap
        self.__dict__.clear()
        self.__dict__.update(other.__dict__)
        self.on_swap = callbacks
        for listener in carried:
            self.engine.subscribe(listener)
        for callback in carried_ends:
            self.engine.subscribe_operation_end(callback)
        for listener in carried_futures:
            self.futures.subscribe(listener)
        for callback in carried_futures_ends:
            self.futures.subscribe_operation_end(callback)
        for callback in list(callbacks):
            callback(self)

    def create_account(self, name: str = "", api_key: str | None = None, secret: str | None = None,
                       fee_tier: int = 0, balances: dict[str, Decimal] | None = None,
                       futures: dict[str, Decimal] | None = None) -> ApiKey:
        """Open an account with an API key and initial spot and futures balances (decimal amounts per asset)."""
        atoms = {asset: self.to_atoms(asset, amount) for asset, amount in (balances or {}).items()}
        futures_atoms = {asset: self.to_atoms(asset, amount) for asset, amount in (futures or {}).items()}
        account = self.engine.open_account(name, fee_tier)
        self.futures.ensure_account(account.account_id, account.name, fee_tier)
        key = self.keys.add(account.account_id, api_key, secret)
        for asset, amount in atoms.items():
            if amount:
                self.engine.deposit(account.account_id, asset, amount)
        for asset, amount in futures_atoms.items():
            if amount:
                self.futures.deposit(account.account_id, asset, amount)
        return key

    def transfer(self, account_id: int, asset: str, amount: int, to_futures: bool) -> WalletTransfer:
        """Move `amount` atoms between an account's spot and futures wallets (Binance's /sapi/v1/asset/transfer
        MAIN_UMFUTURE / UMFUTURE_MAIN and /sapi/v1/futures/transfer). Both sides are checked before either moves;
        Rejected (INSUFFICIENT_BALANCE, INVALID_AMOUNT, UNKNOWN_ACCOUNT) otherwise, with nothing changed."""
        if type(amount) is not int or amount <= 0:
            raise Rejected(Reject.INVALID_AMOUNT, "a transfer must be a positive number of atoms")
        self.engine.account(account_id)
        self.futures.ensure_account(account_id, self.engine.accounts[account_id].name,
                                    self.engine.accounts[account_id].fee_tier)
        if to_futures:
            if self.engine.accounts[account_id].free(asset) < amount:
                raise Rejected(Reject.INSUFFICIENT_BALANCE)
            spot = self.engine.withdraw(account_id, asset, amount, reason="TRANSFER")
            futures = self.futures.deposit(account_id, asset, amount, reason="DEPOSIT", info="MAIN_UMFUTURE")
        else:
            if self.futures.max_withdraw(account_id, asset) < amount:
                raise Rejected(Reject.INSUFFICIENT_BALANCE)
            futures = self.futures.withdraw(account_id, asset, amount, reason="WITHDRAW", info="UMFUTURE_MAIN")
            spot = self.engine.deposit(account_id, asset, amount, reason="TRANSFER")
        return WalletTransfer(futures.tran_id, account_id, asset, amount, spot, futures)

    def new_futures_engine(self) -> FuturesEngine:
        """An empty futures engine for this config (no accounts yet), its events kept in recent_futures_events."""
        engine = FuturesEngine(self.clock, random.Random(f"{self.seed}:futures"),
                               instruments=[self._perp_spec(spec) for spec in self.config.perpetuals],
                               retention=self.config.retention.engine())
        engine.subscribe(self.recent_futures_events.append)
        return engine

    def _perp_spec(self, spec) -> PerpSpec:
        """The engine's perpetual from the config's: asset precisions as the spot instruments give them."""
        return PerpSpec(symbol=spec.symbol, base=spec.base, quote=spec.quote, margin_asset=spec.margin_asset,
                        tick_size=spec.tick_size, step_size=spec.step_size, min_qty=spec.min_qty,
                        max_qty=spec.max_qty, min_notional=spec.min_notional, max_leverage=spec.max_leverage,
                        maint_margin_rate=spec.maint_margin_rate,
                        funding_interval_hours=spec.funding_interval_hours,
                        base_precision=self.asset_precision(spec.base),
                        quote_precision=self.asset_precision(spec.quote))

    def asset_precision(self, asset: str) -> int:
        for inst in self.engine.instruments.values():
            if inst.base == asset:
                return inst.base_precision
            if inst.quote == asset:
                return inst.quote_precision
        return 8

    def to_atoms(self, asset: str, amount: Decimal | str) -> int:
        return to_atoms(amount, self.asset_precision(asset))

    def format_amount(self, asset: str, atoms: int) -> str:
        return format_atoms(atoms, self.asset_precision(asset))
