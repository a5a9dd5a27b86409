"""The control plane's routes table: each operation of `Control` (simulator.control.api) with its HTTP method,
path and JSON field names. The server (`control.http`) and the client (`control.client`) are both generated from
it, so the in-process object, the HTTP routes and the `exsim` verbs can never disagree."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    op: str  # the Control method
    method: str
    path: str  # relative to /_sim/v1, with {placeholders} for path parameters
    body: tuple[tuple[str, str], ...] = ()  # (JSON key, keyword argument)
    query: tuple[tuple[str, str, type], ...] = ()  # (query key, keyword argument, type)
    body_is: str | None = None  # the whole JSON body is this keyword argument


ROUTES: tuple[Route, ...] = (
    Route("list_accounts", "GET", "/accounts"),
    Route("create_account", "POST", "/accounts", body=(("name", "name"), ("apiKey", "api_key"),
                                                      ("secret", "secret"), ("feeTier", "fee_tier"),
                                                      ("balances", "balances"))),
    Route("get_account", "GET", "/accounts/{account_id}"),
    Route("deposit", "POST", "/accounts/{account_id}/deposit", body=(("asset", "asset"), ("amount", "amount"))),
    Route("withdraw", "POST", "/accounts/{account_id}/withdraw", body=(("asset", "asset"), ("amount", "amount"))),
    Route("set_fee_tier", "POST", "/accounts/{account_id}/fee-tier", body=(("tier", "tier"),)),
    Route("create_listen_key", "POST", "/accounts/{account_id}/listen-keys"),
    Route("list_listen_keys", "GET", "/listen-keys", query=(("accountId", "account_id", int),)),
    Route("clock", "GET", "/clock"),
    Route("advance_clock", "POST", "/clock/advance", body=(("ms", "ms"),)),
    Route("set_skew", "POST", "/clock/skew", body=(("ms", "ms"),)),
    Route("rewind_clock", "POST", "/clock/rewind", body=(("ms", "ms"),)),
    Route("traffic", "GET", "/traffic", query=(("after", "after", int), ("limit", "limit", int))),
    Route("symbols", "GET", "/symbols"),
    Route("set_symbol_status", "POST", "/symbols/{symbol}/status", body=(("status", "status"),)),
    Route("change_symbol_rules", "POST", "/symbols/{symbol}/rules", body=(
        ("tickSize", "tick_size"), ("stepSize", "step_size"), ("minNotional", "min_notional"))),
    Route("delist_symbol", "POST", "/symbols/{symbol}/delist"),
    Route("prices", "GET", "/prices"),
    Route("set_index", "POST", "/prices/index", body=(("symbol", "symbol"), ("price", "price"))),
    Route("set_walk", "POST", "/prices/walk", body=(("enabled", "enabled"), ("symbol", "symbol"))),
    Route("set_market_maker", "POST", "/market-maker", body=(("enabled", "enabled"),)),
    Route("list_orders", "GET", "/orders", query=(("accountId", "account_id", int), ("symbol", "symbol", str),
                                                  ("open", "open_only", bool))),
    Route("place_order", "POST", "/orders", body=(
        ("accountId", "account_id"), ("symbol", "symbol"), ("side", "side"), ("type", "type"),
        ("quantity", "quantity"), ("price", "price"), ("timeInForce", "time_in_force"),
        ("quoteOrderQty", "quote_order_qty"), ("stopPrice", "stop_price"), ("newClientOrderId", "client_order_id"),
        ("selfTradePreventionMode", "stp"))),
    Route("get_order", "GET", "/orders/{order_id}"),
    Route("cancel_order", "DELETE", "/orders/{order_id}", query=(("asClient", "as_client", bool),)),
    Route("take", "POST", "/orders/{order_id}/take", body=(("qty", "qty"),)),
    Route("settle_funding", "POST", "/funding/settle", body=(("symbol", "symbol"),)),
    Route("funding", "GET", "/funding"),
    Route("set_funding_rate", "POST", "/funding/rate", body=(("symbol", "symbol"), ("rate", "rate"))),
    Route("set_mark", "POST", "/funding/mark", body=(("symbol", "symbol"), ("markPrice", "price"),
                                                     ("premium", "premium"), ("indexPrice", "index"))),
    Route("futures_account", "GET", "/accounts/{account_id}/futures"),
    Route("futures_deposit", "POST", "/accounts/{account_id}/futures/deposit",
          body=(("asset", "asset"), ("amount", "amount"))),
    Route("futures_withdraw", "POST", "/accounts/{account_id}/futures/withdraw",
          body=(("asset", "asset"), ("amount", "amount"))),
    Route("transfer", "POST", "/accounts/{account_id}/transfer",
          body=(("asset", "asset"), ("amount", "amount"), ("type", "type"))),
    Route("futures_settings", "POST", "/accounts/{account_id}/futures/settings",
          body=(("symbol", "symbol"), ("leverage", "leverage"), ("marginType", "margin_type"),
                ("dualSidePosition", "dual_side"))),
    Route("futures_order", "POST", "/futures/orders", body=(
        ("accountId", "account_id"), ("symbol", "symbol"), ("side", "side"), ("type", "type"),
        ("quantity", "quantity"), ("price", "price"), ("timeInForce", "time_in_force"),
        ("stopPrice", "stop_price"), ("positionSide", "position_side"), ("reduceOnly", "reduce_only"),
        ("closePosition", "close_position"), ("workingType", "working_type"),
        ("newClientOrderId", "client_order_id"))),
    Route("cancel_futures_order", "DELETE", "/futures/orders/{order_id}"),
    Route("take_futures", "POST", "/futures/orders/{order_id}/take", body=(("qty", "qty"),)),
    Route("futures_income", "GET", "/accounts/{account_id}/futures/income",
          query=(("incomeType", "income_type", str), ("symbol", "symbol", str), ("limit", "limit", int))),
    Route("futures_events", "GET", "/futures/events", query=(("after", "after", int), ("limit", "limit", int),
                                                             ("kind", "kind", str))),
    Route("list_faults", "GET", "/faults"),
    Route("add_fault", "POST", "/faults", body_is="spec"),
    Route("clear_faults", "DELETE", "/faults"),
    Route("get_fault", "GET", "/faults/{fault_id}"),
    Route("clear_fault", "DELETE", "/faults/{fault_id}"),
    Route("fault_kinds", "GET", "/fault-kinds"),
    Route("limits", "GET", "/limits"),
    Route("list_scenarios", "GET", "/scenarios"),
    Route("load_scenario", "POST", "/scenarios/load", body=(("yaml", "yaml_text"), ("name", "name"))),
    Route("run_scenario", "POST", "/scenarios/run", body=(("yaml", "yaml_text"), ("name", "name"))),
    Route("snapshot", "GET", "/snapshot"),
    Route("restore", "PUT", "/snapshot", body_is="document"),
    Route("reset", "POST", "/reset"),
    Route("events", "GET", "/events", query=(("after", "after", int), ("limit", "limit", int),
                                             ("kind", "kind", str))),
    Route("audit", "GET", "/audit"),
    Route("tick", "POST", "/tick"),
    Route("health", "GET", "/health"),
    Route("stats", "GET", "/stats"),
)
PATH_PARAMS = {"account_id": int, "order_id": int, "fault_id": int, "symbol": str}
