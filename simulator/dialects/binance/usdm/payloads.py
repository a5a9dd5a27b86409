"""USD-M JSON payloads: perpetuals and futures engine objects rendered the way /fapi spells them (reference §7).

Amounts print as wire.futures_amounts says (grid values at the symbol's precision, computed ones at 8 decimals);
ids and times are integers. Nothing here decides anything: it only reads what the engine returned.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulator.dialects.binance.wire import futures_amounts as amounts
from simulator.dialects.binance.wire.futures_amounts import Formats
from simulator.engine.fees import RATE_SCALE
from simulator.engine.market_data import AggTrade
from simulator.engine.perp.instrument import PerpInstrument

PERPETUAL_DELIVERY_DATE = 4133404800000  # what Binance sends for a perpetual (ccxt reads it as "no expiry")
ONBOARD_DATE = 1569398400000
ORDER_TYPES = ("LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
               "TRAILING_STOP_MARKET")
TIMES_IN_FORCE = ("GTC", "IOC", "FOK", "GTX")
SYSTEM_PRECISION = 8
MAX_NUM_ALGO_ORDERS = 10


def money(inst_or_precision: PerpInstrument | int, atoms: int) -> str:
    """An amount of the margin asset (balance, PnL, margin, commission, mark price) at 8 decimals."""
    precision = inst_or_precision if isinstance(inst_or_precision, int) else inst_or_precision.quote_precision
    return amounts.money(precision, atoms)


computed = rate = amounts.computed


# --- exchangeInfo ------------------------------------------------------------------------------------------
def symbol_info(inst: PerpInstrument) -> dict[str, Any]:
    fmt = Formats(inst)
    spec = inst.perp_spec
    price, qty = fmt.format_price, fmt.format_qty
    up_num, up_den = inst.up
    down_num, down_den = inst.down
    return {
        "symbol": inst.symbol,
        "pair": inst.symbol,
        "contractType": "PERPETUAL",
        "deliveryDate": PERPETUAL_DELIVERY_DATE,
        "onboardDate": ONBOARD_DATE,
        "status": inst.status,
        "maintMarginPercent": f"{spec.maint_margin_rate * 100:.4f}",
        "requiredMarginPercent": f"{Decimal(100) / inst.max_leverage:.4f}",
        "baseAsset": inst.base,
        "quoteAsset": inst.quote,
        "marginAsset": inst.margin_asset,
        "pricePrecision": fmt.price_places,
        "quantityPrecision": fmt.qty_places,
        "baseAssetPrecision": SYSTEM_PRECISION,
        "quotePrecision": SYSTEM_PRECISION,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "settlePlan": 0,
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": price(inst.min_price), "maxPrice": price(inst.max_price),
             "tickSize": price(inst.tick)},
            {"filterType": "LOT_SIZE", "minQty": qty(inst.min_qty), "maxQty": qty(inst.max_qty),
             "stepSize": qty(inst.step)},
            {"filterType": "MARKET_LOT_SIZE", "minQty": qty(max(inst.min_qty, inst.market_min_qty)),
             "maxQty": qty(min((m for m in (inst.max_qty, inst.market_max_qty) if m), default=0)),
             "stepSize": qty(inst.step)},
            {"filterType": "MAX_NUM_ORDERS", "limit": inst.max_num_orders},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": MAX_NUM_ALGO_ORDERS},
            {"filterType": "MIN_NOTIONAL", "notional": whole(inst, inst.min_notional)},
            {"filterType": "PERCENT_PRICE", "multiplierUp": f"{Decimal(up_num) / up_den:.4f}",
             "multiplierDown": f"{Decimal(down_num) / down_den:.4f}", "multiplierDecimal": "4"},
        ],
        "orderTypes": list(ORDER_TYPES),
        "timeInForce": list(TIMES_IN_FORCE),
    }


# --- market data ---------------------------------------------------------------------------------------------
def public_trade(fmt: Formats, trade) -> dict[str, Any]:
    return {"id": trade.trade_id, "price": fmt.format_price(trade.price), "qty": fmt.format_qty(trade.qty),
            "quoteQty": fmt.format_quote(trade.quote_qty), "time": trade.time, "isBuyerMaker": trade.buyer_is_maker,
            "isRPITrade": False}


def agg_trade(fmt: Formats, agg: AggTrade) -> dict[str, Any]:
    return {"a": agg.agg_id, "p": fmt.format_price(agg.price), "q": fmt.format_qty(agg.qty),
            "nq": fmt.format_qty(agg.qty), "f": agg.first_id, "l": agg.last_id, "T": agg.time,
            "m": agg.buyer_is_maker}


# --- orders --------------------------------------------------------------------------------------------------
def order_object(inst: PerpInstrument, order, *, cum_qty: bool = False, time: bool = False) -> dict[str, Any]:
    """The futures order object (new, cancel and query share it): `cumQty` on new and cancel answers, `time` on
    queries and lists."""
    fmt = Formats(inst)
    out: dict[str, Any] = {
        "orderId": order.order_id,
        "symbol": order.symbol,
        "status": order.status,
        "clientOrderId": order.client_id,
        "price": fmt.format_price(order.price),
        "avgPrice": computed(order.avg_price(inst.quote_precision, inst.base_unit)),
        "origQty": fmt.format_qty(order.qty),
        "executedQty": fmt.format_qty(order.executed),
    }
    if cum_qty:
        out["cumQty"] = fmt.format_qty(order.executed)
    out.update({
        "cumQuote": fmt.format_quote(order.cum_quote),
        "timeInForce": order.tif or "GTC",
        "type": order.type,
        "reduceOnly": order.reduce_only,
        "closePosition": order.close_position,
        "side": order.side,
        "positionSide": order.position_side,
        "stopPrice": fmt.format_price(order.stop_price),
        "workingType": order.working_type,
        "priceProtect": order.price_protect,
        "origType": order.orig_type,
        "priceMatch": "NONE",
        "selfTradePreventionMode": order.stp or "NONE",
        "goodTillDate": 0,
    })
    if time:
        out["time"] = order.time
    out["updateTime"] = order.update_time
    if order.orig_type == "TRAILING_STOP_MARKET":
        out["activatePrice"] = fmt.format_price(order.activation_price)
        out["priceRate"] = callback_rate(order)
    return out


def callback_rate(order) -> str:
    """A trailing stop's callback rate as Binance writes it: a percentage ("0.3")."""
    return f"{Decimal(order.callback_rate) / 10:f}"


def acknowledged(inst: PerpInstrument, order) -> dict[str, Any]:
    """newOrderRespType=ACK (Binance's default): the order as the engine accepted it, before any fill."""
    fmt = Formats(inst)
    out = order_object(inst, order, cum_qty=True)
    zero_qty = fmt.format_qty(0)
    out.update({"status": "NEW", "avgPrice": computed(Decimal(0)), "executedQty": zero_qty, "cumQty": zero_qty,
                "cumQuote": fmt.format_quote(0), "updateTime": order.time})
    return out


def user_trade(inst: PerpInstrument, trade, order) -> dict[str, Any]:
    fmt = Formats(inst)
    fee, fee_asset = trade.fee_for(order)
    return {
        "buyer": order is trade.buyer,
        "commission": money(inst, fee),
        "commissionAsset": fee_asset,
        "id": trade.trade_id,
        "maker": trade.is_maker(order),
        "orderId": order.order_id,
        "price": fmt.format_price(trade.price),
        "qty": fmt.format_qty(trade.qty),
        "quoteQty": fmt.format_quote(trade.quote_qty),
        "realizedPnl": money(inst, trade.pnl_for(order)),
        "side": order.side,
        "positionSide": order.position_side,
        "symbol": trade.symbol,
        "time": trade.time,
    }



# --- mark price and funding ------------------------------------------------------------------------------------
def premium_index(inst: PerpInstrument, view) -> dict[str, Any]:
    """A perpetual without an index price yet shows zeros."""
    return {
        "symbol": view.symbol,
        "markPrice": money(inst, view.mark or 0),
        "indexPrice": money(inst, view.index or 0),
        "estimatedSettlePrice": money(inst, view.estimated_settle or 0),
        "lastFundingRate": rate(view.last_funding_rate),
        "interestRate": rate(view.interest_rate),
        "nextFundingTime": view.next_funding_time,
        "time": view.time,
    }


def funding_record(inst: PerpInstrument, record) -> dict[str, Any]:
    return {"symbol": record.symbol, "fundingRate": rate(record.rate), "fundingTime": record.funding_time,
            "markPrice": money(inst, record.mark)}


def whole(inst: PerpInstrument, atoms: int) -> str:
    """An amount of the margin asset without trailing zeros ("1000000", "12.5")."""
    text = f"{Decimal(atoms).scaleb(-inst.quote_precision).normalize():f}"
    return text


def fee_rate(scaled: int) -> str:
    """A commission rate (the engine's integer, scaled by RATE_SCALE) as Binance prints it ("0.000200")."""
    return f"{Decimal(scaled) / RATE_SCALE:.6f}"


# --- positions and the account -----------------------------------------------------------------------------------
def position_risk_v2(inst: PerpInstrument, row) -> dict[str, Any]:
    fmt = Formats(inst)
    return {
        "symbol": row.symbol,
        "positionSide": row.position_side,
        "positionAmt": fmt.format_qty(row.amt),
        "entryPrice": computed(row.entry_price),
        "breakEvenPrice": computed(row.break_even_price),
        "markPrice": money(inst, row.mark_price),
        "unRealizedProfit": money(inst, row.unrealized),
        "liquidationPrice": computed(row.liquidation_price),
        "leverage": str(row.leverage),
        "maxNotionalValue": whole(inst, row.max_notional),
        "marginType": row.margin_type,
        "isolatedMargin": money(inst, row.isolated_margin),
        "isAutoAddMargin": "false",
        "notional": money(inst, row.notional),
        "isolatedWallet": money(inst, row.isolated_wallet),
        "updateTime": row.update_time,
    }


def position_risk_v3(inst: PerpInstrument, row) -> dict[str, Any]:
    fmt = Formats(inst)
    return {
        "symbol": row.symbol,
        "positionSide": row.position_side,
        "positionAmt": fmt.format_qty(row.amt),
        "entryPrice": computed(row.entry_price),
        "breakEvenPrice": computed(row.break_even_price),
        "markPrice": money(inst, row.mark_price),
        "unRealizedProfit": money(inst, row.unrealized),
        "liquidationPrice": computed(row.liquidation_price),
        "isolatedMargin": money(inst, row.isolated_margin),
        "notional": money(inst, row.notional),
        "marginAsset": inst.margin_asset,
        "isolatedWallet": money(inst, row.isolated_wallet),
        "initialMargin": money(inst, row.initial_margin),
        "maintMargin": money(inst, row.maint_margin),
        "positionInitialMargin": money(inst, row.initial_margin - row.open_order_initial_margin),
        "openOrderInitialMargin": money(inst, row.open_order_initial_margin),
        "adl": 0,
        "bidNotional": money(inst, row.bid_notional),
        "askNotional": money(inst, row.ask_notional),
        "updateTime": row.update_time,
    }


_TOTALS = (("totalInitialMargin", "initial_margin"), ("totalMaintMargin", "maint_margin"),
           ("totalWalletBalance", "wallet_balance"), ("totalUnrealizedProfit", "unrealized"),
           ("totalMarginBalance", "margin_balance"), ("totalPositionInitialMargin", "position_initial_margin"),
           ("totalOpenOrderInitialMargin", "open_order_initial_margin"),
           ("totalCrossWalletBalance", "cross_wallet_balance"), ("totalCrossUnPnl", "cross_unpnl"),
           ("availableBalance", "available_balance"), ("maxWithdrawAmount", "max_withdraw_amount"))
_ASSET_FIELDS = (("walletBalance", "wallet_balance"), ("unrealizedProfit", "unrealized"),
                 ("marginBalance", "margin_balance"), ("maintMargin", "maint_margin"),
                 ("initialMargin", "initial_margin"), ("positionInitialMargin", "position_initial_margin"),
                 ("openOrderInitialMargin", "open_order_initial_margin"),
                 ("crossWalletBalance", "cross_wallet_balance"), ("crossUnPnl", "cross_unpnl"),
                 ("availableBalance", "available_balance"), ("maxWithdrawAmount", "max_withdraw_amount"))
MONEY_PRECISION = 8  # the margin asset's atoms (the engine's default precision)


def account_head(view, *, v2: bool) -> dict[str, Any]:
    """account v2 / v3 top level: v2 carries the fee tier and the can* flags, v3 only the totals."""
    out: dict[str, Any] = {}
    if v2:
        out.update({"feeTier": view.fee_tier, "feeBurn": False, "canTrade": True, "canDeposit": True,
                    "canWithdraw": True, "updateTime": view.update_time, "multiAssetsMargin": False,
                    "tradeGroupId": -1})
    totals = view.totals
    out.update({key: money(MONEY_PRECISION, getattr(totals, name)) for key, name in _TOTALS})
    return out


def account_asset(asset, *, v2: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"asset": asset.asset}
    out.update({key: money(MONEY_PRECISION, getattr(asset, name)) for key, name in _ASSET_FIELDS})
    if v2:
        out["marginAvailable"] = True
    # ccxt skips an asset whose updateTime is 0: a funded asset carries the time of its last change
    out["updateTime"] = asset.update_time
    return out


def account_position_v2(inst: PerpInstrument, row) -> dict[str, Any]:
    fmt = Formats(inst)
    return {
        "symbol": row.symbol,
        "initialMargin": money(inst, row.initial_margin),
        "maintMargin": money(inst, row.maint_margin),
        "unrealizedProfit": money(inst, row.unrealized),
        "positionInitialMargin": money(inst, row.initial_margin - row.open_order_initial_margin),
        "openOrderInitialMargin": money(inst, row.open_order_initial_margin),
        "leverage": str(row.leverage),
        "isolated": row.margin_type == "isolated",
        "entryPrice": computed(row.entry_price),
        "maxNotional": whole(inst, row.max_notional),
        "bidNotional": money(inst, row.bid_notional),
        "askNotional": money(inst, row.ask_notional),
        "positionSide": row.position_side,
        "positionAmt": fmt.format_qty(row.amt),
        "updateTime": row.update_time,
    }


def account_position_v3(inst: PerpInstrument, row) -> dict[str, Any]:
    return {
        "symbol": row.symbol,
        "positionSide": row.position_side,
        "positionAmt": Formats(inst).format_qty(row.amt),
        "unrealizedProfit": money(inst, row.unrealized),
        "isolatedMargin": money(inst, row.isolated_margin),
        "notional": money(inst, row.notional),
        "isolatedWallet": money(inst, row.isolated_wallet),
        "initialMargin": money(inst, row.initial_margin),
        "maintMargin": money(inst, row.maint_margin),
        "updateTime": row.update_time,
    }


def balance(asset, alias: str) -> dict[str, Any]:
    return {
        "accountAlias": alias,
        "asset": asset.asset,
        "balance": money(MONEY_PRECISION, asset.wallet_balance),
        "crossWalletBalance": money(MONEY_PRECISION, asset.cross_wallet_balance),
        "crossUnPnl": money(MONEY_PRECISION, asset.cross_unpnl),
        "availableBalance": money(MONEY_PRECISION, asset.available_balance),
        "maxWithdrawAmount": money(MONEY_PRECISION, asset.max_withdraw_amount),
        "marginAvailable": True,
        "updateTime": asset.update_time,
    }


def income_record(record) -> dict[str, Any]:
    return {"symbol": record.symbol, "incomeType": record.income_type,
            "income": money(MONEY_PRECISION, record.income), "asset": record.asset, "info": record.info,
            "time": record.time, "tranId": record.tran_id, "tradeId": record.trade_id}


def brackets(inst: PerpInstrument) -> dict[str, Any]:
    """leverageBracket: the bracket numbers are JSON numbers, not strings (reference §7.5)."""
    unit = 10**inst.quote_precision
    return {"symbol": inst.symbol, "notionalCoef": 1.0, "brackets": [
        {"bracket": b.bracket, "initialLeverage": b.initial_leverage, "notionalCap": _number(b.notional_cap, unit),
         "notionalFloor": _number(b.notional_floor, unit), "maintMarginRatio": float(b.maint_margin_ratio),
         "cum": _number(b.cum, unit)} for b in inst.brackets]}


def _number(atoms: int, unit: int) -> int | float:
    """A JSON number for a bracket amount: an int when whole (they are, for the engine's table)."""
    whole_part, rest = divmod(atoms, unit)
    return whole_part if not rest else atoms / unit
