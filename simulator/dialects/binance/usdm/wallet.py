"""Moving funds between the spot and the USD-M futures wallets (reference §9.2): Binance's universal transfer,
which ccxt's `transfer(code, amount, "spot", "future")` calls, and the legacy futures transfer.

    POST /sapi/v1/asset/transfer    type MAIN_UMFUTURE (spot -> USD-M) or UMFUTURE_MAIN, asset, amount
    POST /sapi/v1/futures/transfer  type 1 (spot -> USD-M) or 2, asset, amount

Both answer {"tranId": INT}. They live on the spot host (/sapi) and count on the spot pools; the move itself is
the Simulator's one operation across both engines (`sim.transfer`), which refuses what it cannot do.
"""
from __future__ import annotations

from typing import Any

from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.dialects.binance.wire.readers import decimal_digits, symbol_name
from simulator.dialects.binance.wire.rest import USER_DATA, Call, Endpoint
from simulator.engine.rejection import Reject, Rejected

UNIVERSAL_TYPES = {"MAIN_UMFUTURE": True, "UMFUTURE_MAIN": False}
LEGACY_TYPES = {1: True, 2: False}


def insufficient_balance() -> BinanceError:
    # undocumented, as ccxt quotes it (mapped to InsufficientFunds)
    return BinanceError(400, -5013, "Asset transfer failed: insufficient balance")


def _transfer(call: Call, to_futures: bool) -> dict[str, Any]:
    sim, params = call.sim, call.params
    asset = symbol_name(params.required("asset"), "asset")  # an asset's name has a symbol's shape
    amount = params.decimal("amount", required=True)
    if amount <= 0 or decimal_digits(amount) > sim.asset_precision(asset):
        raise errors.invalid_parameter("amount")
    try:
        result = sim.transfer(call.account_id, asset, sim.to_atoms(asset, amount), to_futures)
    except Rejected as rejected:
        if rejected.reason is Reject.INSUFFICIENT_BALANCE:
            raise insufficient_balance() from None
        raise errors.invalid_parameter("amount") from None
    return {"tranId": result.tran_id}


def universal_transfer(call: Call) -> dict[str, Any]:
    kind = call.params.enum("type", tuple(UNIVERSAL_TYPES), required=True)
    return _transfer(call, UNIVERSAL_TYPES[kind])


def futures_transfer(call: Call) -> dict[str, Any]:
    kind = call.params.integer("type", required=True)
    if kind not in LEGACY_TYPES:
        raise errors.invalid_parameter("type")
    return _transfer(call, LEGACY_TYPES[kind])


ENDPOINTS = [
    # Binance charges the universal transfer 900 in a per-account (UID) pool the simulator does not keep
    Endpoint("POST", "/sapi/v1/asset/transfer", USER_DATA, 1, universal_transfer),
    Endpoint("POST", "/sapi/v1/futures/transfer", USER_DATA, 1, futures_transfer),
]
