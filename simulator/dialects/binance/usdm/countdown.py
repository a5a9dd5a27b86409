"""POST /fapi/v1/countdownCancelAll: Binance's dead man's switch. The client sets a countdown for a symbol and keeps
renewing it; if it runs out (the client is gone), every open order of the account on that symbol is canceled.
`countdownTime=0` turns it off.

The deadline lives in the wire state (`sim.wire.countdowns`); a background job of the futures REST checks the due
ones against the simulator's clock and asks the futures engine to cancel (its cancels reach the user stream as
ORDER_TRADE_UPDATE CANCELED, as any cancel does).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from simulator.app_keys import SIMULATOR
from simulator.dialects.binance.usdm import params as usdm_params
from simulator.dialects.binance.wire.rest import FUTURES, TRADE, Call, Endpoint
from simulator.engine.rejection import Rejected

log = logging.getLogger(__name__)

CHECK_S = 0.05
MAX_COUNTDOWN_MS = 2**31 - 1


def countdown_cancel_all(call: Call) -> dict[str, Any]:
    inst = usdm_params.perpetual(call.sim, call.params)
    countdown = call.params.integer("countdownTime", required=True, max=MAX_COUNTDOWN_MS)
    key = (call.account_id, inst.symbol)
    if countdown:
        call.sim.wire.countdowns[key] = call.sim.clock.now_ms() + countdown
    else:
        call.sim.wire.countdowns.pop(key, None)
    return {"symbol": inst.symbol, "countdownTime": str(countdown)}


def cancel_due(sim) -> None:
    """Cancel the open orders of every countdown that has run out."""
    countdowns = sim.wire.countdowns
    if not countdowns:
        return
    now = sim.clock.now_ms()
    for key in [key for key, deadline in countdowns.items() if deadline <= now]:
        del countdowns[key]
        account_id, symbol = key
        try:
            sim.futures.cancel_all(account_id, symbol)
        except Rejected:  # nothing open (or the account is gone since): nothing to cancel
            pass


async def run(app: web.Application) -> None:
    sim = app[SIMULATOR]
    while True:
        try:
            cancel_due(sim)
        except Exception:  # a bug here must not stop the switch for good
            log.exception("countdownCancelAll check failed")
        await asyncio.sleep(CHECK_S)


ENDPOINTS = [Endpoint("POST", "/fapi/v1/countdownCancelAll", TRADE, 10, countdown_cancel_all, venue=FUTURES)]
