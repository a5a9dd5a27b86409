"""Binance USD-M futures (`/fapi`): the REST handlers and the payloads they render, beside spot/ on the same wire/.

`routes` mounts them; `market` serves public market data, `trading` orders, batches and histories, `algo` the
conditional-order API, `countdown` countdownCancelAll, `account` settings, positions, balances and income,
`user_stream` listenKeys, `wallet` the spot <-> futures transfers (/sapi); `orders` reads new-order parameters,
`params` and `errors` read parameters and spell the futures error codes, `rejects` maps the engine's refusals,
`payloads` renders engine objects as /fapi spells them."""
