"""The reference connector: Binance spot (`exchange.BinanceExchange`) and USD-M perpetuals
(`perpetual_derivative.BinancePerpetualDerivative`), built from the components Hummingbot's connector guide names
(auth, web assistants, order book and user stream trackers, in-flight orders and the client order tracker).

It talks to an exchange only over the wire (aiohttp, the standard library and sqlite), so the same code runs
against exsim and, by domain (`constants.BINANCE`, `constants.BINANCE_TESTNET`), against Binance. `demo` is
`python -m connector.demo`. The connector imports nothing of the simulator or the conformance suite; the suite's
adapter for it is `conformance/adapters/reference.py`.
"""
