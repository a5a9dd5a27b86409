"""USD-M account endpoints (USER_DATA / TRADE, reference §7.5, §7.6): leverage, margin type, isolated margin,
position mode, positions, account and balances, income, commission rates and leverage brackets.

Each reads the futures engine's views (`position_rows`, `account_view`, `income`, ...) or calls its setting
operations and renders the answer; refusals are the engine's (usdm.rejects).
"""
from __future__ import annotations

from typing import Any

from simulator.dialects.binance.usdm import params as usdm_params, payloads, rejects
from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.readers import time_window
from simulator.dialects.binance.wire.rest import FUTURES, TRADE, USER_DATA, Call, Endpoint
from simulator.engine.perp.order import BOTH, POSITION_SIDES
from simulator.engine.rejection import Rejected

SUCCESS = {"code": 200, "msg": "success"}
MARGIN_TYPES = ("ISOLATED", "CROSSED")
INCOME_TYPES = ("TRANSFER", "WELCOME_BONUS", "REALIZED_PNL", "FUNDING_FEE", "COMMISSION", "INSURANCE_CLEAR",
                "REFERRAL_KICKBACK", "COMMISSION_REBATE", "API_REBATE", "CONTEST_REWARD",
                "CROSS_COLLATERAL_TRANSFER", "OPTIONS_PREMIUM_FEE", "OPTIONS_SETTLE_PROFIT", "INTERNAL_TRANSFER",
                "AUTO_EXCHANGE", "DELIVERED_SETTELMENT", "COIN_SWAP_DEPOSIT", "COIN_SWAP_WITHDRAW")
INCOME_DEFAULT_WINDOW_MS = 7 * 86_400_000  # without a time range, the last 7 days
ADD, REDUCE = 1, 2  # positionMargin `type`


def _engine_call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Rejected as rejected:
        raise rejects.answer(rejected) from None


# --- settings --------------------------------------------------------------------------------------------------
def leverage(call: Call) -> dict[str, Any]:
    inst = usdm_params.perpetual(call.sim, call.params)
    value = call.params.integer("leverage", required=True)  # its range is the symbol's brackets: the engine's
    result = _engine_call(call.sim.futures.set_leverage, call.account_id, inst.symbol, value)
    return {"leverage": result.leverage, "maxNotionalValue": payloads.whole(inst, result.max_notional),
            "symbol": result.symbol}


def margin_type(call: Call) -> dict[str, Any]:
    inst = usdm_params.perpetual(call.sim, call.params)
    kind = call.params.enum("marginType", MARGIN_TYPES, required=True)
    _engine_call(call.sim.futures.set_margin_type, call.account_id, inst.symbol, kind)
    return dict(SUCCESS)


def position_margin(call: Call) -> dict[str, Any]:
    """Add (type 1) or reduce (type 2) an isolated position's margin."""
    params = call.params
    inst = usdm_params.perpetual(call.sim, params)
    kind = params.integer("type", required=True)
    if kind not in (ADD, REDUCE):
        raise errors.invalid_parameter("type")
    side = params.enum("positionSide", POSITION_SIDES) or BOTH
    amount = usdm_params.amount(params, "amount", inst.quote_precision, inst.parse_quote, required=True)
    if amount <= 0:
        raise errors.invalid_parameter("amount")
    _engine_call(call.sim.futures.adjust_margin, call.account_id, inst.symbol, amount, kind == ADD, side)
    # Binance sends the amount as a JSON number; a string keeps it exact (clients read either)
    return {"amount": payloads.whole(inst, amount), "code": 200, "msg": "Successfully modify position margin.",
            "type": kind}


def get_position_mode(call: Call) -> dict[str, bool]:
    return {"dualSidePosition": call.sim.futures.settings_of(call.account_id).dual_side}


def set_position_mode(call: Call) -> dict[str, Any]:
    dual = call.params.boolean("dualSidePosition", required=True)
    _engine_call(call.sim.futures.set_position_mode, call.account_id, dual)
    return dict(SUCCESS)


def symbol_config(call: Call) -> list[dict[str, Any]]:
    """Each perpetual's margin type and leverage for the account (ccxt's fetch_leverage, fetch_margin_mode)."""
    futures = call.sim.futures
    inst = usdm_params.optional_perpetual(call.sim, call.params)
    settings = futures.settings_of(call.account_id)
    out = []
    for one in [inst] if inst is not None else futures.instruments.values():
        leverage = futures.leverage_of(call.account_id, one.symbol)
        out.append({"symbol": one.symbol, "marginType": settings.margin_type_of(one.symbol), "isAutoAddMargin": "false",
                    "leverage": leverage, "maxNotionalValue": payloads.whole(one, one.max_notional_at(leverage))})
    return out


def account_config(call: Call) -> dict[str, Any]:
    view = call.sim.futures.account_view(call.account_id)
    return {"feeTier": view.fee_tier, "canTrade": True, "canDeposit": True, "canWithdraw": True,
            "dualSidePosition": call.sim.futures.settings_of(call.account_id).dual_side,
            "updateTime": view.update_time, "multiAssetsMargin": False, "tradeGroupId": -1}


def multi_assets_margin(call: Call) -> dict[str, bool]:
    """Single-asset margin only: every account is in single-asset mode."""
    return {"multiAssetsMargin": False}


# --- positions, account, balances -------------------------------------------------------------------------------
def _rows(call: Call, symbol: str | None):
    return call.sim.futures.position_rows(call.account_id, symbol)


def position_risk_v2(call: Call) -> list[dict[str, Any]]:
    inst = usdm_params.optional_perpetual(call.sim, call.params)
    instruments = call.sim.futures.instruments
    return [payloads.position_risk_v2(instruments[row.symbol], row)
            for row in _rows(call, inst.symbol if inst else None)]


def position_risk_v3(call: Call) -> list[dict[str, Any]]:
    """Only symbols with a position or open orders (reference §7.5)."""
    inst = usdm_params.optional_perpetual(call.sim, call.params)
    instruments = call.sim.futures.instruments
    return [payloads.position_risk_v3(instruments[row.symbol], row)
            for row in _rows(call, inst.symbol if inst else None) if _active(row)]


def _active(row) -> bool:
    return bool(row.amt or row.open_order_initial_margin or row.bid_notional or row.ask_notional)


def account_v2(call: Call) -> dict[str, Any]:
    view = call.sim.futures.account_view(call.account_id)
    instruments = call.sim.futures.instruments
    out = payloads.account_head(view, v2=True)
    out["assets"] = [payloads.account_asset(asset, v2=True) for asset in view.assets]
    out["positions"] = [payloads.account_position_v2(instruments[row.symbol], row) for row in _rows(call, None)]
    return out


def account_v3(call: Call) -> dict[str, Any]:
    view = call.sim.futures.account_view(call.account_id)
    instruments = call.sim.futures.instruments
    out = payloads.account_head(view, v2=False)
    out["assets"] = [payloads.account_asset(asset, v2=False) for asset in view.assets]
    out["positions"] = [payloads.account_position_v3(instruments[row.symbol], row) for row in _rows(call, None)
                        if _active(row)]
    return out


def balance(call: Call) -> list[dict[str, Any]]:
    view = call.sim.futures.account_view(call.account_id)
    alias = f"exsim{call.account_id}"
    return [payloads.balance(asset, alias) for asset in view.assets]


# --- income, commission, brackets -------------------------------------------------------------------------------
def income(call: Call) -> list[dict[str, Any]]:
    params = call.params
    inst = usdm_params.optional_perpetual(call.sim, params)
    kind = params.enum("incomeType", INCOME_TYPES)
    start, end = time_window(params)
    page = params.integer("page", min=1) or 1
    limit = usdm_params.INCOME_LIMIT.read(params)
    now = call.sim.clock.now_ms()
    if start is None and end is None:
        start = now - INCOME_DEFAULT_WINDOW_MS
    picked = [record for record in call.sim.futures.income_of(call.account_id)
              if (inst is None or record.symbol == inst.symbol) and (kind is None or record.income_type == kind)
              and (start is None or record.time >= start) and (end is None or record.time <= end)]
    picked = picked[(page - 1) * limit:page * limit]
    return [payloads.income_record(record) for record in picked]


def commission_rate(call: Call) -> dict[str, Any]:
    inst = usdm_params.perpetual(call.sim, call.params)
    tier = call.sim.futures.commission_rates(call.account_id)
    return {"symbol": inst.symbol, "makerCommissionRate": payloads.fee_rate(tier.maker),
            "takerCommissionRate": payloads.fee_rate(tier.taker)}


def leverage_bracket(call: Call):
    """With `symbol`, one object; without, one per perpetual (reference §7.5)."""
    inst = usdm_params.optional_perpetual(call.sim, call.params)
    if inst is not None:
        return payloads.brackets(inst)
    return [payloads.brackets(one) for one in call.sim.futures.instruments.values()]


def _endpoint(method: str, path: str, security: str, weight, handler) -> Endpoint:
    return Endpoint(method, path, security, weight, handler, venue=FUTURES)


ENDPOINTS = [
    _endpoint("POST", "/fapi/v1/leverage", TRADE, 1, leverage),
    _endpoint("POST", "/fapi/v1/marginType", TRADE, 1, margin_type),
    _endpoint("POST", "/fapi/v1/positionMargin", TRADE, 1, position_margin),
    _endpoint("GET", "/fapi/v1/positionSide/dual", USER_DATA, 30, get_position_mode),
    _endpoint("POST", "/fapi/v1/positionSide/dual", TRADE, 1, set_position_mode),
    _endpoint("GET", "/fapi/v1/multiAssetsMargin", USER_DATA, 30, multi_assets_margin),
    _endpoint("GET", "/fapi/v1/symbolConfig", USER_DATA, 5, symbol_config),
    _endpoint("GET", "/fapi/v1/accountConfig", USER_DATA, 5, account_config),
    _endpoint("GET", "/fapi/v2/positionRisk", USER_DATA, 5, position_risk_v2),
    _endpoint("GET", "/fapi/v3/positionRisk", USER_DATA, 5, position_risk_v3),
    _endpoint("GET", "/fapi/v2/account", USER_DATA, 5, account_v2),
    _endpoint("GET", "/fapi/v3/account", USER_DATA, 5, account_v3),
    _endpoint("GET", "/fapi/v2/balance", USER_DATA, 5, balance),
    _endpoint("GET", "/fapi/v3/balance", USER_DATA, 5, balance),
    _endpoint("GET", "/fapi/v1/income", USER_DATA, 30, income),
    _endpoint("GET", "/fapi/v1/commissionRate", USER_DATA, 20, commission_rate),
    _endpoint("GET", "/fapi/v1/leverageBracket", USER_DATA, 1, leverage_bracket),
]
