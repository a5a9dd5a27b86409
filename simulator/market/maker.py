"""Background liquidity: a seeded market maker and a few counterparties that trade now and then.

The maker keeps a ladder of `levels` bids and asks around each symbol's index price, `level_step_bps` apart,
and re-quotes after the index moves or its orders are taken. Counterparties, named by Faker from the same
seed, send small market orders so that a fresh server has public trades, tickers and klines.

Everything happens through the engine's public API, on the Simulator's clock, driven by `tick(now)`: the same
seed and the same tick times give the same orders.
"""
from __future__ import annotations

import random

from faker import Faker

from simulator.config import MarketMakerConfig
from simulator.engine.engine import Engine
from simulator.engine.instrument import Instrument
from simulator.engine.order import BUY, GTC, LIMIT, MARKET, SELL
from simulator.engine.rejection import Rejected
from simulator.market.index_price import BPS, IndexPrices

# How many ladders' worth of each asset the maker and counterparties start with, and top up to.
INVENTORY_LADDERS = 1000
COUNTERPARTY_TRADES = 200


class MarketMaker:
    def __init__(self, engine: Engine, config: MarketMakerConfig, seed: int):
        self.engine = engine
        self.config = config
        self.rng = random.Random(f"{seed}:{config.seed_offset}:market-maker")
        self.index = IndexPrices(random.Random(f"{seed}:{config.seed_offset}:index"), config.volatility_bps)
        self.account_id = engine.open_account("market-maker").account_id
        faker = Faker()
        faker.seed_instance(seed + config.seed_offset)
        self.counterparties = [engine.open_account(faker.name()).account_id for _ in range(config.counterparties)]
        self.symbols = [s for s in sorted(config.index) if s in engine.instruments]
        self.quotes: dict[str, dict[tuple[str, int], int]] = {s: {} for s in self.symbols}  # (side, price) -> id
        self._next_requote = 0
        self._next_trade = 0
        for symbol in self.symbols:
            inst = engine.instruments[symbol]
            self.index.track(inst, inst.parse_price(config.index[symbol]))
            self._top_up(inst)

    # --- inventory ---------------------------------------------------------------------------------------
    def _level_qty(self, inst: Instrument) -> int:
        qty = inst.parse_qty(self.config.level_qty.get(inst.symbol, inst.spec.min_qty * 100))
        return max(inst.min_qty, qty - qty % inst.step)

    def _top_up(self, inst: Instrument) -> None:
        """Keep every participant able to trade: refill base and quote when below a ladder's worth."""
        base_target = self._level_qty(inst) * self.config.levels * INVENTORY_LADDERS
        quote_target = inst.notional(self.index.prices[inst.symbol], base_target)
        for account_id in [self.account_id, *self.counterparties]:
            account = self.engine.accounts[account_id]
            for asset, target in ((inst.base, base_target), (inst.quote, quote_target)):
                if account.free(asset) < target // 2:
                    self.engine.deposit(account_id, asset, target - account.free(asset))

    # --- quoting -----------------------------------------------------------------------------------------
    def ladder(self, symbol: str) -> list[tuple[str, int]]:
        """The (side, price) quotes wanted now: levels on each side, stepping away from the index."""
        inst = self.engine.instruments[symbol]
        index = self.index.prices[symbol]
        wanted = []
        for level in range(1, self.config.levels + 1):
            offset = index * self.config.level_step_bps * level // BPS
            offset = max(offset - offset % inst.tick, inst.tick * level)
            wanted.append((BUY, index - offset))
            wanted.append((SELL, index + offset))
        return [(side, price) for side, price in wanted if price > 0]

    def requote(self, symbol: str) -> None:
        inst = self.engine.instruments[symbol]
        if inst.status != "TRADING":
            return
        self._top_up(inst)
        quotes = self.quotes[symbol]
        wanted = set(self.ladder(symbol))
        for key, order_id in sorted(quotes.items()):
            order = self.engine.orders[order_id]
            if key not in wanted or not order.is_open:
                if order.is_open:
                    self.engine.cancel_order(self.account_id, symbol, order_id)
                del quotes[key]
        qty = self._level_qty(inst)
        for side, price in sorted(wanted - set(quotes)):
            try:
                result = self.engine.place_order(self.account_id, symbol, side, LIMIT, qty=qty, price=price,
                                                 tif=GTC)
            except Rejected:
                continue  # e.g. outside the percent-price band after a jump: try again next requote
            if result.order.is_open:
                quotes[(side, price)] = result.order.order_id

    def trade_once(self, symbol: str) -> None:
        """A counterparty takes a little liquidity on a random side."""
        inst = self.engine.instruments[symbol]
        if inst.status != "TRADING" or not self.counterparties:
            return
        account_id = self.rng.choice(self.counterparties)
        side = self.rng.choice((BUY, SELL))
        steps = max(1, self._level_qty(inst) // inst.step // COUNTERPARTY_TRADES * self.rng.randint(1, 20))
        qty = max(inst.min_qty, steps * inst.step)
        try:
            self.engine.place_order(account_id, symbol, side, MARKET, qty=qty)
        except Rejected:
            pass  # an empty side or a filter: the next tick tries again

    def tick(self, now: int) -> None:
        """Advance the market to `now`: walk and re-quote every refill_ms, trade every trade_every_ms."""
        if now >= self._next_requote:
            self.index.step()
            for symbol in self.symbols:
                self.requote(symbol)
            self._next_requote = now + self.config.refill_ms
        if self.config.trade_every_ms and now >= self._next_trade:
            for symbol in self.symbols:
                self.trade_once(symbol)
            self._next_trade = now + self.config.trade_every_ms
