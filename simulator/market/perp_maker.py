"""Background liquidity on the perpetual books: the spot market maker's ladder and counterparties, quoting each
perpetual around the same index as its spot namesake (one index drives both markets), and the index handed to
the futures engine so that mark prices, conditional orders on the mark and liquidations follow it.

The maker and its counterparties trade perpetuals from their futures wallets under the same account ids as on
spot (they keep no history there either), topped up with margin the way the spot maker tops up inventory. Their
orders go through the futures engine's public API like anyone's.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from simulator.engine.order import BUY, SELL
from simulator.jsonstate import expect_int, expect_str, rng_from_state, rng_state
from simulator.market.index_price import IndexPrices
from simulator.market.maker import MarketMaker

MARGIN_LADDERS = 1000  # ladders' worth of notional each participant keeps as margin


class PerpMarketMaker(MarketMaker):
    """Quotes and trades the perpetuals with the spot maker's rules (requote, quote, cancel, trade_once are
    inherited); the spot MarketMaker owns it, shares its index and accounts, and drives it from its own tick."""

    def __init__(self, futures, owner: MarketMaker, seed: int):  # noqa: super().__init__ would open accounts
        self.engine = futures
        self.owner = owner
        self.rng = random.Random(f"{seed}:{self.config.seed_offset}:perp-maker")
        self.account_id = owner.account_id
        self.counterparties = list(owner.counterparties)
        for account_id in [self.account_id, *self.counterparties]:
            futures.ensure_account(account_id, owner.engine.accounts[account_id].name, keeps_history=False)
        self.symbols = [s for s in sorted(self.config.index) if s in futures.instruments and s in self.index.prices]
        self.quotes: dict[str, dict[tuple[str, int], int]] = {s: {} for s in self.symbols}
        for symbol in self.symbols:
            self._top_up(futures.instruments[symbol])
            futures.set_index(symbol, self.index.prices[symbol])
        owner.perp = self

    # its config and index are always its owner's (one index drives both markets)
    @property
    def config(self):
        return self.owner.config

    @property
    def index(self) -> IndexPrices:
        return self.owner.index

    def follow(self, owner: MarketMaker) -> None:
        """Quote for another spot maker (one restored in its place), sharing its index from now on."""
        self.owner = owner
        owner.perp = self

    def _top_up(self, inst) -> None:
        """Keep every participant's futures wallet at a ladder's worth of margin many times over."""
        notional = inst.notional(self.index.prices[inst.symbol], self._level_qty(inst) * self.config.levels)
        target = notional * MARGIN_LADDERS // 10
        for account_id in [self.account_id, *self.counterparties]:
            free = self.engine.accounts[account_id].free(inst.margin_asset)
            if free < target // 2:
                self.engine.deposit(account_id, inst.margin_asset, target - free)

    def step(self, requote: bool, trade: bool) -> None:
        """After the owner's step: hand the index to the futures engine and re-quote; trade when it trades."""
        if requote:
            for symbol in self.symbols:  # the book follows the index before margins are judged at it
                self.engine.set_index(symbol, self.index.prices[symbol], check=False)
                self.requote(symbol)
                self.engine.check_marks(symbol)
        if trade:
            for symbol in self.symbols:
                self.trade_once(symbol)

    # --- snapshots -------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"rng": rng_state(self.rng), "symbols": list(self.symbols),
                "quotes": {symbol: [[side, price, order_id] for (side, price), order_id in quotes.items()]
                           for symbol, quotes in self.quotes.items()}}

    @classmethod
    def from_state(cls, futures, owner: MarketMaker, state: Mapping[str, Any]) -> "PerpMarketMaker":
        """The perpetual maker in the state `state()` gave, on a futures engine already restored (its accounts
        and orders): like the constructor, but it opens, deposits and quotes nothing."""
        maker = cls.__new__(cls)
        maker.engine, maker.owner = futures, owner
        maker.account_id, maker.counterparties = owner.account_id, list(owner.counterparties)
        maker.restore(state)
        owner.perp = maker
        return maker

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take the quoting state `state()` gave (the engine's accounts and orders are restored already)."""
        self.rng = rng_from_state(state["rng"])
        symbols = [expect_str(s, "perpetual market maker symbol") for s in state["symbols"]]
        unknown = set(symbols) - set(self.engine.instruments)
        if unknown or set(state["quotes"]) != set(symbols):
            raise ValueError("perpetual market maker: symbols and quotes do not match the perpetuals")
        self.symbols = symbols
        self.quotes = {symbol: {} for symbol in symbols}
        for symbol, quotes in state["quotes"].items():
            for side, price, order_id in quotes:
                if side not in (BUY, SELL):
                    raise ValueError(f"perpetual market maker quote: side {side!r}")
                self.quotes[symbol][(side, expect_int(price, "quote price"))] = expect_int(order_id, "quote order")
