"""What the subject does in each shipped scenario: the task its description gives a client, played by `Subject`.

Each scene runs until the scenario's verdict is in (the harness cancels it then); the careful and the naive
client run the same scene, and only their discipline differs.
"""
from __future__ import annotations

import asyncio
from decimal import Decimal

import aiohttp

from tests.scenarios.futures_subject import POLL_S, TRANSIENT, FuturesSubject
from tests.scenarios.subject import FINAL, Refused, Subject

FAR_BELOW = Decimal("0.9")  # a resting BUY sits 10 % under the best bid: nothing trades it but the scenario


async def _resting_buy(s: Subject, qty: str) -> str:
    await s.sync_time()
    await s.load_rules()
    return await s.place("BUY", qty, s.price(await s.best_bid() * FAR_BELOW))


async def _quiet_buy(s: Subject, qty: str) -> str:
    """A resting BUY on a book the scenario emptied (its market maker paused)."""
    await s.sync_time()
    await s.load_rules()
    return await s.place("BUY", qty, "30000")


async def _idle() -> None:
    await asyncio.Event().wait()


async def _until(predicate, every_s: float = 0.05) -> None:
    while not predicate():
        await asyncio.sleep(every_s)


async def one_order(s: Subject) -> None:
    """order-response-lost, order-unknown-status, report-before-answer: place one order and track it."""
    s.spawn(s.user_stream_forever())
    await asyncio.sleep(0.3)  # the stream opens before the order goes (report-before-answer waits for it)
    await _resting_buy(s, "0.001")
    await _idle()


async def fill_during_cancel(s: Subject) -> None:
    s.spawn(s.user_stream_forever())
    if s.careful:
        s.spawn(s.poll_orders_forever())
    client_id = await _quiet_buy(s, "0.002")
    await _until(lambda: s.orders[client_id]["executed"] > 0)
    await s.cancel(client_id)
    await _idle()


async def partial_fills(s: Subject) -> None:
    """Buy, then sell back exactly what was bought once the order is FILLED."""
    s.spawn(s.user_stream_forever())
    client_id = await _quiet_buy(s, "0.003")
    order = s.orders[client_id]
    await _until(lambda: order["status"] == "FILLED")
    await s.place("SELL", str(order["executed"] if s.careful else order["sum_l"]), type_="MARKET")
    await _idle()


async def partial_fill_then_cancel(s: Subject) -> None:
    """Cancel the rest as soon as the order is partly filled (naive: waits for the order to be done)."""
    s.spawn(s.user_stream_forever())
    if s.careful:
        s.spawn(s.poll_orders_forever())
    client_id = await _quiet_buy(s, "0.002")
    order = s.orders[client_id]
    if s.careful:
        await _until(lambda: order["executed"] > 0)
        await s.cancel(client_id)
    await _idle()


async def trade_before_new(s: Subject) -> None:
    """A marketable BUY answered with ACK only: the user stream alone says how it went, in the wrong order."""
    s.spawn(s.user_stream_forever())
    await asyncio.sleep(0.3)
    await s.sync_time()
    await s.load_rules()
    client_id = await s.place("BUY", "0.002", "30000", ack=True)
    order = s.orders[client_id]
    await _until(lambda: order["status"] == "FILLED")
    await s.place("SELL", str(order["executed"]), type_="MARKET")
    await _idle()


async def stp_expiry(s: Subject) -> None:
    """A resting BUY, then a SELL that would trade with it; cancel the BUY 2 s later unless it has ended."""
    if s.careful:
        s.spawn(s.user_stream_forever())
        await asyncio.sleep(0.3)
    buy = await _quiet_buy(s, "0.001")
    await s.place("SELL", "0.001", "30000", ack=True)
    await asyncio.sleep(2)
    if s.orders[buy]["status"] not in FINAL:
        await s.cancel(buy)
    await _idle()


async def account_update_out_of_step(s: Subject) -> None:
    s.spawn(s.user_stream_forever())
    await _quiet_buy(s, "0.001")
    await _idle()


async def reconnect_storm(s: Subject) -> None:
    """careful: the book's reconnect loop backs off; naive: straight back in, again and again."""
    if s.careful:
        await s.book_forever()
        return
    while True:
        try:
            async with s.session.ws_connect(f"{s.ws_base}/ws/btcusdt@depth@100ms") as ws:
                async for _ in ws:
                    pass
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.01)


async def missing_trade_report(s: Subject) -> None:
    s.spawn(s.user_stream_forever())
    if s.careful:
        s.spawn(s.poll_orders_forever())
    await _quiet_buy(s, "0.001")
    await _idle()


async def venue_cancel(s: Subject) -> None:
    """Cancel the order 3 s after placing it, unless it has ended."""
    if s.careful:
        s.spawn(s.user_stream_forever())
        s.spawn(s.poll_orders_forever())
    client_id = await _quiet_buy(s, "0.001")
    await asyncio.sleep(3)
    if s.orders[client_id]["status"] in ("NEW", "PARTIALLY_FILLED", "PENDING"):
        await s.cancel(client_id)
    await _idle()


async def keep_book(s: Subject) -> None:
    """depth-gap, ws-duplicate-reorder, ws-close, ws-silent-disconnect, ws-max-lifetime."""
    s.spawn(s.book_forever())
    await _idle()


async def user_stream(s: Subject) -> None:
    """listen-key-expiry, listen-key-lapse."""
    s.spawn(s.user_stream_forever())
    await _idle()


async def poll_account(s: Subject, every_s: float = 0.2) -> None:
    """rate-limit-429-storm, ip-ban-418, clock-skew, rest-5xx-burst: a signed poll, again and again."""
    await s.sync_time()
    while True:
        try:
            await s.request("GET", "/api/v3/account", signed=True)
        except (Refused, asyncio.TimeoutError):
            pass
        await asyncio.sleep(every_s)


async def keep_trading(s: Subject, every_s: float = 0.5) -> None:
    """maintenance-window, halted-symbol, rule-change: a small resting order every half second while the
    symbol trades; careful: rules refreshed all along, and nothing sent while the venue is down."""
    await s.sync_time()
    await s.load_rules()
    if s.careful:
        s.spawn(s.refresh_rules_forever())
    while True:  # the window may open on this very request: a careful client waits it out
        try:
            bid = await s.best_bid()
            break
        except Refused as exc:
            if not (s.careful and exc.status == 503):
                raise
            await _wait_for_trading(s)
    while True:
        try:
            if not s.careful or s.trading():
                await s.place("BUY", "0.001", s.price(bid * FAR_BELOW))
        except Refused as exc:
            if s.careful and exc.code in (-1013, -2010, -1121):
                await s.load_rules()  # the rules changed under us: learn them before the next order
            if s.careful and exc.status == 503:
                await _wait_for_trading(s)
        except (asyncio.TimeoutError, OSError):
            pass
        await asyncio.sleep(every_s)


async def _wait_for_trading(s: Subject) -> None:
    """careful, after a 503 from the order endpoint: watch exchangeInfo until the symbol trades again."""
    while True:
        try:
            await s.load_rules()
            if s.trading():
                return
        except (Refused, asyncio.TimeoutError, OSError):
            pass
        await asyncio.sleep(0.5)


async def unaffordable(s: Subject) -> None:
    """insufficient-balance: ask for far more than the account holds."""
    await s.sync_time()
    await s.load_rules()
    for _ in range(1 if s.careful else 3):
        try:
            await s.place("BUY", "1000", s.price(await s.best_bid()))
        except Refused:
            pass
    await _idle()


# --- perpetuals (FuturesSubject) ------------------------------------------------------------------------
LOT = Decimal("0.01")  # BTCUSDT perpetual: 650 USDT of notional, above its 100 minimum


async def funding_harvest(s: FuturesSubject) -> None:
    """funding-flip: hold a long while funding pays longs; close it once the announced rate says longs pay."""
    await s.start()
    rate = Decimal((await s.premium_index())["lastFundingRate"])
    if rate < 0:
        await s.order("BUY", LOT)
    while True:
        await asyncio.sleep(POLL_S)
        try:
            if s.careful:  # naive: the rate read at the start is the rate
                rate = Decimal((await s.premium_index())["lastFundingRate"])
            if rate > 0 and await s.held() > 0:
                await s.close()
        except TRANSIENT:
            pass


async def hold_then_close(s: FuturesSubject) -> None:
    """liquidation-cascade: a 50x isolated long, closed 3 s later."""
    await s.start(isolated_leverage=50)
    await s.order("BUY", LOT)
    await asyncio.sleep(3)
    await s.close()
    await _idle()


async def cut_loss(s: FuturesSubject) -> None:
    """mark-index-divergence: close the long when it has lost 1 % (at the price this client values it at)."""
    await s.start()
    await s.order("BUY", LOT)
    entry = await s.entry_price()
    while True:
        await asyncio.sleep(POLL_S)
        try:
            if await s.valuation_price() <= entry * Decimal("0.99") and await s.held() > 0:
                await s.close()
        except TRANSIENT:
            pass


async def hedge_after_opening(s: FuturesSubject) -> None:
    """position-mode-refused: open a long, switch to hedge mode, then place its take-profit 5 % above."""
    await s.start()
    await s.order("BUY", LOT)
    hedge = await s.set_hedge_mode()
    take_profit = Decimal((await s.premium_index())["markPrice"]) * Decimal("1.05")
    for _ in range(1 if s.careful else 3):
        try:
            if hedge:
                await s.order("SELL", LOT, type_="LIMIT", price=take_profit, position_side="LONG")
            else:
                await s.order("SELL", LOT, type_="LIMIT", price=take_profit, reduce_only=True)
            break
        except Refused:
            await asyncio.sleep(0.2)
    await _idle()


async def stop_then_close(s: FuturesSubject) -> None:
    """reduce-only-after-close: a long with a stop 1 % under the mark; 3 s later, close what is left."""
    await s.start()
    await s.order("BUY", LOT)
    await s.stop_loss(Decimal((await s.premium_index())["markPrice"]) * Decimal("0.99"))
    await asyncio.sleep(3)
    await s.close()
    await _idle()


async def sweep_after_liquidation(s: FuturesSubject) -> None:
    """insurance-fund-drain: a 50x isolated long; once it is gone, move the whole futures wallet to spot."""
    await s.start(isolated_leverage=50)
    await s.order("BUY", LOT)
    while True:
        await asyncio.sleep(POLL_S)
        try:
            if not await s.exchange_position():
                break
        except TRANSIENT:
            pass
    await s.sweep_to_spot()
    await _idle()


async def bank_funding(s: FuturesSubject) -> None:
    """funding-update-lost: hold a long and move every funding payment it receives to spot, once. careful: the
    payments are the income history's FUNDING_FEE rows (the stream only makes it look sooner); naive: the user
    stream's ACCOUNT_UPDATE FUNDING_FEE messages."""
    await s.start()
    announced: list[Decimal] = []

    def on_event(event: dict) -> None:
        if event.get("e") == "ACCOUNT_UPDATE" and event["a"]["m"] == "FUNDING_FEE":
            announced.extend(Decimal(b["bc"]) for b in event["a"]["B"] if b["a"] == "USDT")

    s.spawn(s.user_stream(on_event))
    await asyncio.sleep(0.3)
    await s.order("BUY", LOT)
    banked: set[int] = set()
    while True:
        await asyncio.sleep(POLL_S)
        try:
            if s.careful:
                for row in await s.funding_income():
                    if row["tranId"] not in banked:
                        banked.add(row["tranId"])
                        if Decimal(row["income"]) > 0:
                            await s.to_spot(Decimal(row["income"]))
            while announced and not s.careful:
                amount = announced.pop()
                if amount > 0:
                    await s.to_spot(amount)
        except TRANSIENT:
            pass


FUTURES_SCENES = {
    "funding-flip": funding_harvest,
    "liquidation-cascade": hold_then_close,
    "mark-index-divergence": cut_loss,
    "position-mode-refused": hedge_after_opening,
    "reduce-only-after-close": stop_then_close,
    "insurance-fund-drain": sweep_after_liquidation,
    "funding-update-lost": bank_funding,
}

SCENES = {
    "order-response-lost": one_order,
    "order-unknown-status": one_order,
    "report-before-answer": one_order,
    "fill-during-cancel": fill_during_cancel,
    "partial-fills": partial_fills,
    "partial-fill-then-cancel": partial_fill_then_cancel,
    "missing-trade-report": missing_trade_report,
    "stp-expiry": stp_expiry,
    "account-update-out-of-step": account_update_out_of_step,
    "reconnect-storm": reconnect_storm,
    "trade-before-new": trade_before_new,
    "venue-cancel": venue_cancel,
    "depth-gap": keep_book,
    "ws-duplicate-reorder": keep_book,
    "ws-close": keep_book,
    "ws-silent-disconnect": keep_book,
    "ws-max-lifetime": keep_book,
    "listen-key-expiry": user_stream,
    "listen-key-lapse": user_stream,
    "rate-limit-429-storm": poll_account,
    "ip-ban-418": poll_account,
    "clock-skew": poll_account,
    "rest-5xx-burst": poll_account,
    "maintenance-window": keep_trading,
    "halted-symbol": keep_trading,
    "rule-change": keep_trading,
    "symbol-delisted": keep_trading,
    "insufficient-balance": unaffordable,
    **FUTURES_SCENES,
}
