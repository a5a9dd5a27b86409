"""Binance USD-M futures (`/fapi`): the REST handlers and the payloads they render, beside spot/ on the same wire/.
`routes` mounts them; `market` serves public market data, `params` and `errors` read parameters and spell the
futures error codes, `payloads` renders engine objects as /fapi spells them."""
