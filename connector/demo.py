"""python -m connector.demo [--base-url http://127.0.0.1:8900] [--market spot|usdm]

Runs the reference connector against a running exsim with the demo keys and prints the timeline of the events
it receives. A counterparty is played through exsim's control plane (`take`: trade exactly this much of my
order), so the partial fills are certain. Exit status 0 only when every event the demo waited for arrived.

spot: a buy partly filled then filled, a buy partly filled then canceled, a market buy.
usdm: leverage set, a position opened with a limit order filled in two pieces, a funding payment after the
      control plane settles funding, the position closed with a reduce-only market order.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from decimal import Decimal
from typing import Callable

from connector import events as ev
from connector.exchange import BinanceExchange
from connector.exsim_control import ExsimControl
from connector.perpetual_derivative import BinancePerpetualDerivative

PAIR, SYMBOL = "BTC-USDT", "BTCUSDT"
WAIT = 15.0


class Timeline:
    def __init__(self, out=sys.stdout):
        self.start = time.monotonic()
        self.out = out

    def say(self, text: str) -> None:
        self.out.write(f"{time.monotonic() - self.start:7.3f}s  {text}\n")
        self.out.flush()

    def event(self, e: ev.ConnectorEvent) -> None:
        if isinstance(e, ev.PublicTradeEvent):
            return  # the market's own trades: too many to show
        fields = {k: v for k, v in vars(e).items() if k != "timestamp"}
        cid = fields.pop("client_order_id", None)
        text = " ".join(f"{k}={v}" for k, v in fields.items() if v not in (None, ""))
        self.say(f"  <- {e.kind:<16} {cid or ''} {text}")


class Demo:
    def __init__(self, exchange: BinanceExchange, control: ExsimControl, timeline: Timeline):
        self.exchange = exchange
        self.control = control
        self.t = timeline
        self.missing: list[str] = []

    async def expect(self, what: str, predicate: Callable[[ev.ConnectorEvent], bool]) -> ev.ConnectorEvent | None:
        try:
            return await self.exchange.events.wait_for(predicate, WAIT)
        except TimeoutError:
            self.t.say(f"  !! missing: {what}")
            self.missing.append(what)
            return None

    def of(self, kind: str, cid: str) -> Callable[[ev.ConnectorEvent], bool]:
        return lambda e: e.kind == kind and getattr(e, "client_order_id", None) == cid

    async def resting_buy(self, amount: str, **kwargs) -> tuple[str, str | None]:
        book = self.exchange.get_order_book(PAIR)
        reference = book.best_bid or book.last_trade_price or Decimal("60000")
        price = self.exchange.quantize_order_price(PAIR, reference * Decimal("0.97"))
        cid = await self.exchange.place_order("BUY", PAIR, Decimal(amount), "LIMIT", price, **kwargs)
        self.t.say(f"-> placed LIMIT BUY {amount} {PAIR} @ {price}  ({cid})")
        created = await self.expect(f"order_created {cid}", self.of("order_created", cid))
        return cid, created.exchange_order_id if created else None

    async def take(self, order_id: str | None, qty: str) -> None:
        if order_id:
            self.t.say(f"-> counterparty takes {qty} of order {order_id}")
            await self.control.take(order_id, qty)

    async def run_spot(self) -> None:
        cid, oid = await self.resting_buy("0.010")
        await self.take(oid, "0.004")
        await self.expect(f"partial fill {cid}", self.of("order_filled", cid))
        await self.take(oid, "0.006")
        await self.expect(f"order_completed {cid}", self.of("order_completed", cid))

        cid, oid = await self.resting_buy("0.010")
        await self.take(oid, "0.003")
        await self.expect(f"partial fill {cid}", self.of("order_filled", cid))
        self.t.say(f"-> cancel {cid}")
        self.exchange.cancel(PAIR, cid)
        await self.expect(f"order_canceled {cid}", self.of("order_canceled", cid))

        cid = await self.exchange.place_order("BUY", PAIR, Decimal("0.002"), "MARKET")
        self.t.say(f"-> placed MARKET BUY 0.002 {PAIR}  ({cid})")
        await self.expect(f"order_completed {cid}", self.of("order_completed", cid))
        await self.expect("balance_update", lambda e: e.kind == "balance_update")

    async def run_usdm(self) -> None:
        """exsim's `take` is spot-only: on USD-M a counterparty account trades against the demo's orders. The
        market maker and its index walk are paused meanwhile (as they were at the end) and the orders go inside
        the spread, so the counterparty meets the demo's orders first."""
        perp = self.exchange
        assert isinstance(perp, BinancePerpetualDerivative)
        account = await self.control.create_account(f"demo-counterparty-{int(time.time() * 1000)}")
        counterparty = account["id"]
        await self.control.futures_deposit(counterparty, "USDT", "1000000")
        before = await self.control.set_market_maker(False)
        walking = before.get("prices", {}).get(SYMBOL, {}).get("walking", False)
        await self.control.set_walk(False, SYMBOL)  # a still mark: the market maker's quotes stay where they are
        try:
            self.t.say("-> set leverage 5")
            await perp.set_leverage(PAIR, 5)
            price = await self.inside("BUY")
            cid = await perp.place_order("BUY", PAIR, Decimal("0.010"), "LIMIT", price, position_action="OPEN")
            self.t.say(f"-> placed LIMIT BUY 0.010 {PAIR} @ {price}  ({cid})")
            await self.expect(f"order_created {cid}", self.of("order_created", cid))
            for qty in ("0.004", "0.006"):
                self.t.say(f"-> counterparty sells {qty} at market")
                await self.control.futures_order(counterparty, SYMBOL, "SELL", "MARKET", qty)
                await self.expect(f"fill of {qty} {cid}",
                                  lambda e: self.of("order_filled", cid)(e) and e.amount == Decimal(qty))
            await self.expect(f"order_completed {cid}", self.of("order_completed", cid))
            await self.expect("position opened",
                              lambda e: e.kind == "position_update" and e.amount == Decimal("0.010"))
            self.t.say("-> settle funding through the control plane")
            await self.control.settle_funding(SYMBOL)
            await self.expect("funding_payment", lambda e: e.kind == "funding_payment")
            bid = str(await self.inside("BUY"))
            self.t.say(f"-> counterparty rests BUY 0.010 @ {bid}")
            await self.control.futures_order(counterparty, SYMBOL, "BUY", "LIMIT", "0.010", bid, "GTC")
            cid = await perp.place_order("SELL", PAIR, Decimal("0.010"), "MARKET", position_action="CLOSE",
                                         reduce_only=True)
            self.t.say(f"-> placed MARKET SELL 0.010 reduce-only  ({cid})")
            await self.expect(f"order_completed {cid}", self.of("order_completed", cid))
            await self.expect("position closed", lambda e: e.kind == "position_update" and e.amount == 0)
        finally:
            await self.control.set_walk(walking, SYMBOL)
            await self.control.set_market_maker(not before.get("marketMaker", {}).get("paused", False))

    async def inside(self, side: str) -> Decimal:
        """A price that makes the demo's order the best of its side without crossing: one tick inside the
        spread, from a fresh REST snapshot (the local book may be a diff behind); ten ticks off the other side,
        or off the mark, where a side is empty."""
        return await price_inside(self.exchange, side)


async def price_inside(perp: BinanceExchange, side: str) -> Decimal:
    snapshot = await perp.order_book_tracker.data_source.get_snapshot(PAIR)
    bids, asks = snapshot.content["bids"], snapshot.content["asks"]
    tick = perp.trading_rules[PAIR].min_price_increment
    mark = perp.quantize_order_price(PAIR, perp.funding_info[PAIR].mark_price)
    if side == "BUY":
        return bids[0][0] + tick if bids else (asks[0][0] if asks else mark) - 10 * tick
    return asks[0][0] - tick if asks else (bids[0][0] if bids else mark) + 10 * tick


async def main_async(base_url: str, market: str, api_key: str, secret: str) -> int:
    timeline = Timeline()
    cls = BinancePerpetualDerivative if market == "usdm" else BinanceExchange
    exchange = cls(api_key, secret, [PAIR], base_url=base_url, request_timeout=5.0, poll_interval=1.0)
    exchange.events.add_listener(timeline.event)
    control = ExsimControl(base_url)
    demo = Demo(exchange, control, timeline)
    timeline.say(f"connecting to {base_url} ({market})")
    try:
        await asyncio.wait_for(exchange.start_network(), WAIT)
        try:
            await exchange.wait_until_ready(WAIT)
        except TimeoutError:
            timeline.say(f"not ready: {', '.join(exchange.not_ready())}")
            return 1
        timeline.say("ready: " + ", ".join(exchange.status_dict))
        await (demo.run_usdm() if market == "usdm" else demo.run_spot())
    except Exception as exc:  # a demo reports what went wrong and exits non-zero
        timeline.say(f"failed: {exc!r}")
        return 1
    finally:
        await exchange.stop_network()
        await control.close()
    if demo.missing:
        timeline.say(f"FAILED: {len(demo.missing)} expected event(s) missing: {', '.join(demo.missing)}")
        return 1
    timeline.say("OK: every expected event arrived")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connector.demo", description=__doc__.split("\n\n")[1])
    parser.add_argument("--base-url", default="http://127.0.0.1:8900")
    parser.add_argument("--market", choices=("spot", "usdm"), default="spot")
    parser.add_argument("--api-key", default="demo-api-key")
    parser.add_argument("--secret", default="demo-api-secret")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(main_async(args.base_url, args.market, args.api_key, args.secret))


if __name__ == "__main__":
    sys.exit(main())
