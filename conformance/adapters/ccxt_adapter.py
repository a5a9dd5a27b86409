"""The ccxt adapter's factory (`exsim conformance --adapter ccxt`): ccxt's `binance` for spot, `binanceusdm` for
USD-M perpetuals, each unmodified but for its URLs. It shows the suite is not tied to one code base, and tells
ccxt users what ccxt's Binance classes get right out of the box."""
from __future__ import annotations

from conformance.adapter import AdapterConfig
from conformance.adapters.ccxt_perpetual import CcxtPerpetualAdapter
from conformance.adapters.ccxt_spot import CcxtAdapter


def make_adapter(config: AdapterConfig) -> CcxtAdapter:
    return CcxtPerpetualAdapter(config) if config.market == "perpetual" else CcxtAdapter(config)
