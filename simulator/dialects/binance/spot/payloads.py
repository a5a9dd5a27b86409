"""Spot JSON payloads: engine objects rendered the way Binance spells them (reference §2, §3).

Decimals are strings at the asset's precision (8 places by default), ids and times integers, and keys in Binance's
order and spelling (`cummulativeQuoteQty`, sic). Nothing here decides anything: it only reads engine objects.
"""
from __future__ import annotations

from typing import Any

from simulator.dialects.binance.wire.percent import percent
from simulator.engine.account import Account
from simulator.engine.events import Trade
from simulator.engine.fees import FeeTier
from simulator.engine.instrument import Instrument, format_atoms
from simulator.engine.market_data import AggTrade, Stats24h
from simulator.engine.order import ORDER_TYPES, STOP_TYPES, Order

RATE_PRECISION = 8  # fee rates are integers scaled by 1e8 (engine.fees.RATE_SCALE)
ORDER_LIST_ID = -1  # no order lists: every order is a plain order
# NOTIONAL's maxNotional when the instrument sets none (0 = off in the engine): Binance always sends a number.
UNBOUNDED_NOTIONAL = 9_000_000_000


# --- exchangeInfo ------------------------------------------------------------------------------------------
def symbol_info(inst: Instrument, show_permission_sets: bool = True) -> dict[str, Any]:
    spec = inst.spec
    return {
        "symbol": inst.symbol,
        "status": inst.status,
        "baseAsset": inst.base,
        "baseAssetPrecision": inst.base_precision,
        "quoteAsset": inst.quote,
        "quotePrecision": inst.quote_precision,
        "quoteAssetPrecision": inst.quote_precision,
        "baseCommissionPrecision": inst.base_precision,
        "quoteCommissionPrecision": inst.quote_precision,
        "orderTypes": sorted(ORDER_TYPES),
        "icebergAllowed": False,
        "ocoAllowed": False,
        "otoAllowed": False,
        "opoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": True,
        "amendAllowed": True,
        "pegInstructionsAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": symbol_filters(inst, spec.avg_price_mins),
        "permissions": [],
        "permissionSets": [["SPOT"]] if show_permission_sets else [],
        "defaultSelfTradePreventionMode": inst.default_stp,
        "allowedSelfTradePreventionModes": list(inst.allowed_stp),
    }


def symbol_filters(inst: Instrument, avg_price_mins: int) -> list[dict[str, Any]]:
    price, qty, quote = inst.format_price, inst.format_qty, inst.format_quote
    market_min = max(inst.min_qty, inst.market_min_qty)
    market_max = min((m for m in (inst.max_qty, inst.market_max_qty) if m), default=0)
    filters: list[dict[str, Any]] = [
        {"filterType": "PRICE_FILTER", "minPrice": price(inst.min_price), "maxPrice": price(inst.max_price),
         "tickSize": price(inst.tick)},
        {"filterType": "LOT_SIZE", "minQty": qty(inst.min_qty), "maxQty": qty(inst.max_qty),
         "stepSize": qty(inst.step)},
        {"filterType": "MARKET_LOT_SIZE", "minQty": qty(market_min), "maxQty": qty(market_max),
         "stepSize": qty(0)},
    ]
    multipliers = (inst.bid_up, inst.bid_down, inst.ask_up, inst.ask_down)
    if any(multipliers):
        filters.append({
            "filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": str(inst.bid_up),
            "bidMultiplierDown": str(inst.bid_down), "askMultiplierUp": str(inst.ask_up),
            "askMultiplierDown": str(inst.ask_down), "avgPriceMins": avg_price_mins,
        })
    max_notional = inst.max_notional or UNBOUNDED_NOTIONAL * 10**inst.quote_precision
    filters.append({
        "filterType": "NOTIONAL", "minNotional": quote(inst.min_notional), "applyMinToMarket": True,
        "maxNotional": quote(max_notional), "applyMaxToMarket": True, "avgPriceMins": avg_price_mins,
    })
    filters.append({"filterType": "MAX_NUM_ORDERS", "maxNumOrders": inst.max_num_orders})
    return filters


# --- orders ------------------------------------------------------------------------------------------------
def _conditional(order: Order, inst: Instrument, out: dict[str, Any]) -> dict[str, Any]:
    """Keys Binance sends only when relevant (reference §2.4): stop price, STP prevention, expiry reason."""
    if order.type in STOP_TYPES:
        out["stopPrice"] = inst.format_price(order.stop_price)
    _prevented(order, inst, out)
    if order.expiry_reason:
        out["expiryReason"] = order.expiry_reason
    return out


def _prevented(order: Order, inst: Instrument, out: dict[str, Any]) -> None:
    """preventedMatchId and preventedQuantity: only on an order self-trade prevention expired (Binance's
    "Conditional fields in Order Responses"; the match id is per symbol, from 0)."""
    if order.prevented_match_id >= 0:
        out["preventedMatchId"] = order.prevented_match_id
    if order.prevented_qty:
        out["preventedQuantity"] = inst.format_qty(order.prevented_qty)


def order_ack(order: Order) -> dict[str, Any]:
    return {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": ORDER_LIST_ID,
        "clientOrderId": order.client_id,
        "transactTime": order.time,
    }


def _order_terms(order: Order, inst: Instrument) -> dict[str, Any]:
    """The fields the RESULT and cancel responses share, in Binance's order."""
    return {
        "price": inst.format_price(order.price),
        "origQty": inst.format_qty(order.qty),
        "executedQty": inst.format_qty(order.executed),
        "origQuoteOrderQty": inst.format_quote(order.quote_qty),
        "cummulativeQuoteQty": inst.format_quote(order.cum_quote),
        "status": order.status,
        "timeInForce": order.tif,
        "type": order.type,
        "side": order.side,
    }


def order_result(order: Order, inst: Instrument) -> dict[str, Any]:
    out = order_ack(order)
    out.update({
        **_order_terms(order, inst),
        "workingTime": order.working_time,
        "selfTradePreventionMode": order.stp,
    })
    return _conditional(order, inst, out)


def order_full(order: Order, inst: Instrument, trades: list[Trade]) -> dict[str, Any]:
    out = order_result(order, inst)
    out["fills"] = [fill(trade, order, inst) for trade in trades if trade.buyer is order or trade.seller is order]
    return out


def fill(trade: Trade, order: Order, inst: Instrument) -> dict[str, Any]:
    commission, asset = trade.fee_for(order)
    return {
        "price": inst.format_price(trade.price),
        "qty": inst.format_qty(trade.qty),
        "commission": inst.format_asset(asset, commission),
        "commissionAsset": asset,
        "tradeId": trade.trade_id,
    }


def query_order(order: Order, inst: Instrument) -> dict[str, Any]:
    """GET /order, openOrders and allOrders elements."""
    out = {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": ORDER_LIST_ID,
        "clientOrderId": order.client_id,
        "price": inst.format_price(order.price),
        "origQty": inst.format_qty(order.qty),
        "executedQty": inst.format_qty(order.executed),
        "cummulativeQuoteQty": inst.format_quote(order.cum_quote),
        "status": order.status,
        "timeInForce": order.tif,
        "type": order.type,
        "side": order.side,
        "stopPrice": inst.format_price(order.stop_price),
        "icebergQty": inst.format_qty(0),
        "time": order.time,
        "updateTime": order.update_time,
        "isWorking": order.is_working,
        "workingTime": order.working_time,
        "origQuoteOrderQty": inst.format_quote(order.quote_qty),
        "selfTradePreventionMode": order.stp,
    }
    _prevented(order, inst, out)
    if order.expiry_reason:
        out["expiryReason"] = order.expiry_reason
    return out


def canceled_order(order: Order, inst: Instrument, cancel_client_id: str) -> dict[str, Any]:
    """DELETE /order and DELETE /openOrders elements: `clientOrderId` names the cancel, the order keeps its own."""
    out = {
        "symbol": order.symbol,
        "origClientOrderId": order.client_id,
        "orderId": order.order_id,
        "orderListId": ORDER_LIST_ID,
        "clientOrderId": cancel_client_id,
        "transactTime": order.update_time,
        **_order_terms(order, inst),
        "selfTradePreventionMode": order.stp,
    }
    if order.type in STOP_TYPES:
        out["stopPrice"] = inst.format_price(order.stop_price)
    return out


def amended_order(order: Order, inst: Instrument, orig_client_id: str, transact_time: int,
                  execution_id: int) -> dict[str, Any]:
    """PUT /order/amend/keepPriority: `qty`, `quoteOrderQty` and `cumulativeQuoteQty` (spelt right, unlike the
    other order responses) and `preventedQty` always; no `listStatus` (no order lists here)."""
    amended = {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": ORDER_LIST_ID,
        "origClientOrderId": orig_client_id,
        "clientOrderId": order.client_id,
        "price": inst.format_price(order.price),
        "qty": inst.format_qty(order.qty),
        "executedQty": inst.format_qty(order.executed),
        "preventedQty": inst.format_qty(order.prevented_qty),
        "quoteOrderQty": inst.format_quote(order.quote_qty),
        "cumulativeQuoteQty": inst.format_quote(order.cum_quote),
        "status": order.status,
        "timeInForce": order.tif,
        "type": order.type,
        "side": order.side,
        "workingTime": order.working_time,
        "selfTradePreventionMode": order.stp,
    }
    return {"transactTime": transact_time, "executionId": execution_id,
            "amendedOrder": _conditional(order, inst, amended)}


# --- trades ------------------------------------------------------------------------------------------------
def public_trade(trade: Trade, inst: Instrument) -> dict[str, Any]:
    return {
        "id": trade.trade_id,
        "price": inst.format_price(trade.price),
        "qty": inst.format_qty(trade.qty),
        "quoteQty": inst.format_quote(trade.quote_qty),
        "time": trade.time,
        "isBuyerMaker": trade.buyer_is_maker,
        "isBestMatch": True,
    }


def agg_trade(agg: AggTrade, inst: Instrument) -> dict[str, Any]:
    """One aggregate trade (market_data.AggTrade): its own id `a`, first and last trade ids `f`/`l`, summed `q`."""
    return {
        "a": agg.agg_id,
        "p": inst.format_price(agg.price),
        "q": inst.format_qty(agg.qty),
        "f": agg.first_id,
        "l": agg.last_id,
        "T": agg.time,
        "m": agg.buyer_is_maker,
        "M": True,
    }


def my_trade(trade: Trade, order: Order, inst: Instrument) -> dict[str, Any]:
    commission, asset = trade.fee_for(order)
    return {
        "symbol": trade.symbol,
        "id": trade.trade_id,
        "orderId": order.order_id,
        "orderListId": ORDER_LIST_ID,
        "price": inst.format_price(trade.price),
        "qty": inst.format_qty(trade.qty),
        "quoteQty": inst.format_quote(trade.quote_qty),
        "commission": inst.format_asset(asset, commission),
        "commissionAsset": asset,
        "time": trade.time,
        "isBuyer": trade.buyer is order,
        "isMaker": trade.is_maker(order),
        "isBestMatch": True,
    }


# --- account -----------------------------------------------------------------------------------------------
def rate(value: int) -> str:
    return format_atoms(value, RATE_PRECISION)


def commission_rates(tier: FeeTier | None, *, buyer_seller: bool) -> dict[str, str]:
    """A tier's maker and taker rates (None: all zero); `buyer_seller` adds the buyer and seller rates, which
    are zero here (exsim has no side-dependent commission)."""
    rates = {"maker": rate(tier.maker if tier else 0), "taker": rate(tier.taker if tier else 0)}
    if buyer_seller:
        rates.update(buyer=rate(0), seller=rate(0))
    return rates


def no_discount() -> dict[str, Any]:
    """The BNB commission discount block: never enabled here."""
    return {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "BNB", "discount": rate(0)}


def commission_bps(value: int) -> int:
    """Binance's integer commissions are rates in basis points: 0.001 (0.1 %) -> 10."""
    return value // 10**(RATE_PRECISION - 4)


def account(account: Account, tier: FeeTier, balances: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "makerCommission": commission_bps(tier.maker),
        "takerCommission": commission_bps(tier.taker),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": commission_rates(tier, buyer_seller=True),
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": account.update_time,
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": account.account_id,
    }


# --- tickers -----------------------------------------------------------------------------------------------
def book_ticker(inst: Instrument, bid: tuple[int, int] | None, ask: tuple[int, int] | None) -> dict[str, Any]:
    bid_price, bid_qty = bid or (0, 0)
    ask_price, ask_qty = ask or (0, 0)
    return {
        "symbol": inst.symbol,
        "bidPrice": inst.format_price(bid_price),
        "bidQty": inst.format_qty(bid_qty),
        "askPrice": inst.format_price(ask_price),
        "askQty": inst.format_qty(ask_qty),
    }


def _price_change(inst: Instrument, stats: Stats24h) -> dict[str, str]:
    """priceChange, priceChangePercent (3 decimals) and weightedAvgPrice: the FULL tickers' shared head."""
    change = stats.last - stats.open
    weighted = stats.quote_volume * inst.base_unit // stats.volume if stats.volume else 0
    return {"priceChange": inst.format_price(change),
            "priceChangePercent": percent(change, stats.open),
            "weightedAvgPrice": inst.format_price(weighted)}


def ticker_24h(inst: Instrument, stats: Stats24h, bid: tuple[int, int] | None, ask: tuple[int, int] | None,
               full: bool) -> dict[str, Any]:
    """FULL or MINI. A spot ticker has `bidQty` and no `time`: ccxt takes a ticker with `time` for a contract."""
    price, qty, quote = inst.format_price, inst.format_qty, inst.format_quote
    out: dict[str, Any] = {"symbol": inst.symbol}
    if full:
        out.update(_price_change(inst, stats))
        out.update({
            "prevClosePrice": price(stats.prev_close),
            "lastPrice": price(stats.last),
            "lastQty": qty(stats.last_qty),
        })
        out.update({key: value for key, value in book_ticker(inst, bid, ask).items() if key != "symbol"})
        out["openPrice"] = price(stats.open)
    else:
        out["openPrice"] = price(stats.open)
    out.update({
        "highPrice": price(stats.high),
        "lowPrice": price(stats.low),
    })
    if not full:
        out["lastPrice"] = price(stats.last)
    out.update({
        "volume": qty(stats.volume),
        "quoteVolume": quote(stats.quote_volume),
        "openTime": stats.open_time,
        "closeTime": stats.close_time,
        "firstId": stats.first_id,
        "lastId": stats.last_id,
        "count": stats.count,
    })
    return out


def window_ticker(inst: Instrument, stats: Stats24h, full: bool) -> dict[str, Any]:
    """GET /api/v3/ticker and /api/v3/ticker/tradingDay, FULL or MINI: no prevClosePrice, lastQty nor book."""
    price, qty, quote = inst.format_price, inst.format_qty, inst.format_quote
    out: dict[str, Any] = {"symbol": inst.symbol}
    if full:
        out.update(_price_change(inst, stats))
    out.update({
        "openPrice": price(stats.open), "highPrice": price(stats.high), "lowPrice": price(stats.low),
        "lastPrice": price(stats.last), "volume": qty(stats.volume), "quoteVolume": quote(stats.quote_volume),
        "openTime": stats.open_time, "closeTime": stats.close_time, "firstId": stats.first_id,
        "lastId": stats.last_id, "count": stats.count,
    })
    return out
