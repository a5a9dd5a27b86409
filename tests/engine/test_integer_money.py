"""Money stays integer atoms: no true division in the engine, and every amount it holds is an int.

A float that slipped in (`/` instead of `//`) compares equal to the int it approximates, so the other tests pass;
it only shows when formatted, or when the amounts grow past 2**53.
"""
from __future__ import annotations

import ast
from pathlib import Path

import simulator.engine

from tests.engine.helpers import a, funded, limit, new_engine

ENGINE_DIR = Path(simulator.engine.__file__).parent


def test_the_engine_never_divides_with_a_true_division():
    found = []
    for path in sorted(ENGINE_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Div):
                found.append(f"{path.name}:{node.lineno}")
    assert found == []


def test_every_amount_the_engine_holds_after_a_busy_session_is_an_int():
    engine, clock = new_engine()
    maker = funded(engine, USDT="100000", BTC="100")
    taker = funded(engine, USDT="3333.33333333", BTC="7.77777777")
    for price, qty in (("100.01", "0.333"), ("100.37", "0.777"), ("101.11", "1.5")):
        limit(engine, maker, "SELL", price, qty)
    limit(engine, maker, "BUY", "99.99", "2")
    engine.place_order(taker, "BTCUSDT", "BUY", "MARKET", quote_qty=a("123.45678901"))
    engine.place_order(taker, "BTCUSDT", "SELL", "MARKET", qty=a("0.101"))
    stop = engine.place_order(taker, "BTCUSDT", "BUY", "STOP_LOSS", qty=a("0.5"), stop_price=a("101.11")).order
    partial = limit(engine, taker, "BUY", "99.5", "3").order
    engine.fill_order(partial.order_id, a("0.7"), maker)
    engine.amend_order(taker, "BTCUSDT", a("2.1"), order_id=partial.order_id)
    clock.advance(60_000)
    bidder = funded(engine, USDT="100")
    limit(engine, bidder, "BUY", "101.11", "0.2")
    limit(engine, taker, "SELL", "101.11", "0.2")  # trades at 101.11: the stop fires and buys the asks
    assert stop.executed
    engine.withdraw(taker, "USDT", a("0.00000001"))

    amounts = []
    for account in engine.accounts.values():
        for free, locked in account.balances.values():
            amounts += [free, locked]
    for ledger in (engine.deposits, engine.withdrawals, engine.fees_collected):
        amounts += ledger.values()
    for order in engine.orders.values():
        amounts += [order.qty, order.price, order.executed, order.cum_quote, order.locked, order.stop_price,
                    order.quote_qty]
    market = engine.market["BTCUSDT"]
    for trade in market.trades:
        amounts += [trade.price, trade.qty, trade.quote_qty, trade.buyer_fee, trade.seller_fee]
    for kline in market.klines:
        amounts += [kline.open, kline.high, kline.low, kline.close, kline.volume, kline.quote_volume]
    amounts.append(market.average_price(clock.now_ms(), 5))
    assert len(amounts) > 100 and [x for x in amounts if type(x) is not int] == []
