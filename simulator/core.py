"""The Simulator: one fake venue's whole state, built from a config, and the operations tests run on it.

Everything a server, a test or the control plane touches hangs off this object: the engine, the clock, API
keys, listenKeys, rate limits and the background market. It knows nothing of HTTP: the server wraps it, and
tests can drive it directly in-process.
"""
from __future__ import annotations

import random
from collections import deque
from decimal import Decimal

from simulator.clock import SimClock
from simulator.config import Config, load_config
from simulator.credentials import ApiKey, KeyRing
from simulator.dialects.binance.listen_keys import ListenKeys
from simulator.dialects.binance.ratelimit import RateLimiter
from simulator.engine.engine import Engine
from simulator.engine.events import Event
from simulator.engine.fees import FeeSchedule, FeeTier
from simulator.engine.instrument import format_atoms, to_atoms
from simulator.market.maker import MarketMaker

RECENT_EVENTS = 10_000


class Simulator:
    def __init__(self, config: Config | None = None, *, seed: int | None = None, clock: SimClock | None = None):
        self.config = config or load_config()
        self.seed = self.config.seed if seed is None else seed
        self.clock = clock or SimClock()
        # Separate streams so that, e.g., generating an API key never shifts the engine's client ids.
        self.rng = random.Random(self.seed)
        self.keys = KeyRing(random.Random(f"{self.seed}:keys"))
        self.listen_keys = ListenKeys(random.Random(f"{self.seed}:listen-keys"),
                                      self.config.user_stream.listen_key_ttl_s * 1000)
        tiers = [FeeTier.of(t.maker, t.taker) for t in self.config.fees.tiers]
        self.engine = Engine(self.clock, self.rng, FeeSchedule(tiers), instruments=self.config.spot)
        self.recent_events: deque[Event] = deque(maxlen=RECENT_EVENTS)
        self.engine.subscribe(self.recent_events.append)
        self.limiter = RateLimiter(self.config.rate_limits.spot, clock=self.clock.now_ms,
                                   enabled=self.config.rate_limits.enabled)
        self.demo_keys: list[ApiKey] = []
        for account in self.config.accounts:
            self.demo_keys.append(self.create_account(account.name, account.api_key, account.secret,
                                                      account.fee_tier, account.spot))
        self.market_maker = MarketMaker(self.engine, self.config.market_maker, self.seed) \
            if self.config.market_maker.enabled else None

    def create_account(self, name: str = "", api_key: str | None = None, secret: str | None = None,
                       fee_tier: int = 0, balances: dict[str, Decimal] | None = None) -> ApiKey:
        """Open an account with an API key and initial spot balances (decimal amounts per asset)."""
        atoms = {asset: self.to_atoms(asset, amount) for asset, amount in (balances or {}).items()}
        account = self.engine.open_account(name, fee_tier)
        key = self.keys.add(account.account_id, api_key, secret)
        for asset, amount in atoms.items():
            if amount:
                self.engine.deposit(account.account_id, asset, amount)
        return key

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
