"""Background liquidity: a seeded market maker and a few counterparties that trade now and then.

The maker keeps a ladder of `levels` bids and asks around each symbol's index price, `level_step_bps` apart,
and re-quotes after the index moves or its orders are taken. Counterparties, named by Faker from the same
seed, send small market orders so that a fresh server has public trades, tickers and klines.

Everything happens through the engine's public API, on the Simulator's clock, driven by `tick(now)`: the same
seed and the same tick times give the same orders.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from faker import Faker

from simulator.config import MarketMakerConfig
from simulator.engine.engine import Engine
from simulator.engine.instrument import Instrument
from simulator.engine.order import BUY, GTC, LIMIT, MARKET, SELL
from simulator.engine.rejection import Rejected
from simulator.jsonstate import expect_int, expect_str, rng_from_state, rng_state
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
        # Nobody holds an API key of these accounts, so none of their finished orders or trades is kept.
        self.account_id = engine.open_account("market-maker", keeps_history=False).account_id
        faker = Faker()
        faker.seed_instance(seed + config.seed_offset)
        self.counterparties = [engine.open_account(faker.name(), keeps_history=False).account_id
                               for _ in range(config.counterparties)]
        self.symbols = [s for s in sorted(config.index) if s in engine.instruments]
        self.quotes: dict[str, dict[tuple[str, int], int]] = {s: {} for s in self.symbols}  # (side, price) -> id
        self._next_requote = 0
        self._next_trade = 0
        self.perp = None  # the perpetual books' maker (perp_maker.py) when there are perpetuals to quote
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
        index -= index % inst.tick  # on this book's tick (the perpetuals' may be coarser than the index's)
        wanted = []
        for level in range(1, self.config.levels + 1):
            offset = index * self.config.level_step_bps * level // BPS
            offset = max(offset - offset % inst.tick, inst.tick * level)
            wanted.append((BUY, index - offset))
            wanted.append((SELL, index + offset))
        return [(side, price) for side, price in wanted if price > 0]

    def requote(self, symbol: str) -> None:
        """Move the ladder to the index without ever emptying a side of the book: new quotes go in before the
        old ones come out, one engine operation at a time (every operation publishes a book ticker). A new quote
        that would cross one of the maker's own old quotes on the other side waits until that side's old quotes
        are gone, which is safe because that side's new quotes are in by then: the old book did not cross, so
        only one side's new quotes can be waiting."""
        inst = self.engine.instruments[symbol]
        if inst.status != "TRADING":
            return
        self._top_up(inst)
        quotes = self.quotes[symbol]
        for key, order_id in list(quotes.items()):
            if not self._is_open(order_id):
                del quotes[key]
        wanted = set(self.ladder(symbol))
        stale = {key: order_id for key, order_id in quotes.items() if key not in wanted}
        waiting = []
        for side, price in sorted(wanted - set(quotes)):
            if self._crosses_stale(side, price, stale):
                waiting.append((side, price))
            else:
                self._quote(inst, side, price)
        waiting_sides = {side for side, _ in waiting}
        self._cancel(symbol, {k: v for k, v in stale.items() if k[0] not in waiting_sides})
        for side, price in waiting:
            self._quote(inst, side, price)
        self._cancel(symbol, {k: v for k, v in stale.items() if k[0] in waiting_sides})

    @staticmethod
    def _crosses_stale(side: str, price: int, stale: Mapping[tuple[str, int], int]) -> bool:
        if side == BUY:
            return any(s == SELL and p <= price for s, p in stale)
        return any(s == BUY and p >= price for s, p in stale)

    def _quote(self, inst: Instrument, side: str, price: int) -> None:
        try:
            result = self.engine.place_order(self.account_id, inst.symbol, side, LIMIT, qty=self._level_qty(inst),
                                             price=price, tif=GTC)
        except Rejected:
            return  # e.g. outside the percent-price band after a jump: try again next requote
        if result.order.is_open:
            self.quotes[inst.symbol][(side, price)] = result.order.order_id

    def _is_open(self, order_id: int) -> bool:
        order = self.engine.orders.get(order_id)  # None once it finished: the engine keeps none of ours
        return order is not None and order.is_open

    def _cancel(self, symbol: str, stale: Mapping[tuple[str, int], int]) -> None:
        quotes = self.quotes[symbol]
        for key, order_id in sorted(stale.items()):
            if self._is_open(order_id):
                self.engine.cancel_order(self.account_id, symbol, order_id)
            del quotes[key]

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

    def pause(self) -> None:
        """Take every quote off the books (the perpetuals' too); nothing requotes until `resume`."""
        for quoter in (self, self.perp) if self.perp is not None else (self,):
            for symbol in quoter.symbols:
                own = quoter.engine.accounts[quoter.account_id].open_orders.values()
                if any(o.symbol == symbol for o in own):
                    quoter.engine.cancel_all(quoter.account_id, symbol)
                quoter.quotes[symbol] = {}

    def resume(self) -> None:
        """Quote every book again now."""
        for quoter in (self, self.perp) if self.perp is not None else (self,):
            for symbol in quoter.symbols:
                quoter.requote(symbol)

    def tick(self, now: int) -> None:
        """Advance the market to `now`: walk and re-quote every refill_ms, trade every trade_every_ms; the
        perpetual books follow the same index in the same steps."""
        requote = now >= self._next_requote
        if requote:
            self.index.step()
            for symbol in self.symbols:
                self.requote(symbol)
            self._next_requote = now + self.config.refill_ms
        trade = bool(self.config.trade_every_ms) and now >= self._next_trade
        if trade:
            for symbol in self.symbols:
                self.trade_once(symbol)
            self._next_trade = now + self.config.trade_every_ms
        if self.perp is not None:
            self.perp.step(requote, trade)

    # --- snapshots -----------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything but the wiring (engine and config). The index's state is kept flat (`index_rng`,
        `prices`, `walking`) because snapshot format 1 stores it that way."""
        index = self.index.state()
        return {
            "rng": rng_state(self.rng),
            "index_rng": index["rng"],
            "prices": index["prices"],
            "walking": index["walking"],
            "account_id": self.account_id,
            "counterparties": list(self.counterparties),
            "symbols": list(self.symbols),
            "quotes": {symbol: [[side, price, order_id] for (side, price), order_id in quotes.items()]
                       for symbol, quotes in self.quotes.items()},
            "next_requote": self._next_requote,
            "next_trade": self._next_trade,
        }

    @classmethod
    def from_state(cls, engine: Engine, config: MarketMakerConfig, state: Mapping[str, Any]) -> "MarketMaker":
        """A market maker in the state that `state()` gave, on an engine that already holds its accounts and
        orders (restored first). Unlike the constructor it opens no accounts and deposits nothing. KeyError,
        TypeError or ValueError on a bad state, or one that names accounts or orders the engine lacks."""
        mm = cls.__new__(cls)
        mm.engine = engine
        mm.config = config
        mm.rng = rng_from_state(state["rng"])
        mm.index = IndexPrices.from_state({"rng": state["index_rng"], "prices": state["prices"],
                                           "walking": state["walking"]}, config.volatility_bps, engine.instruments)
        mm.account_id = expect_int(state["account_id"], "market maker account")
        mm.counterparties = [expect_int(a, "market maker counterparty") for a in state["counterparties"]]
        for account_id in [mm.account_id, *mm.counterparties]:
            if account_id not in engine.accounts:
                raise ValueError(f"market maker: account {account_id} does not exist")
            engine.keep_history(engine.accounts[account_id], False)  # (a state written when they kept some)
        mm.symbols = [expect_str(s, "market maker symbol") for s in state["symbols"]]
        unknown = set(mm.symbols) - set(mm.index.prices)
        if unknown:
            raise ValueError(f"market maker: no index price for {', '.join(sorted(unknown))}")
        if set(state["quotes"]) != set(mm.symbols):
            raise ValueError("market maker: 'quotes' and 'symbols' name different symbols")
        mm.quotes = {}
        for symbol, quotes in state["quotes"].items():
            mm.quotes[symbol] = {}
            for side, price, order_id in quotes:
                if side not in (BUY, SELL):
                    raise ValueError(f"market maker quote: side {side!r}")
                order = engine.orders.get(expect_int(order_id, "market maker quote order"))
                # a quote whose order finished (and was forgotten) stays until the next requote drops it
                if (order is None and not 1 <= order_id < engine.next_order_id) or order is not None and (
                        order.account_id != mm.account_id or order.symbol != symbol):
                    raise ValueError(f"market maker quote: order {order_id} is not one of its {symbol} orders")
                mm.quotes[symbol][(side, expect_int(price, "market maker quote price"))] = order_id
        mm.perp = None
        mm._next_requote = expect_int(state["next_requote"], "market maker next_requote")
        mm._next_trade = expect_int(state["next_trade"], "market maker next_trade")
        return mm
