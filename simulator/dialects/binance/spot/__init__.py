"""Binance spot (`/api/v3`): the REST handlers and the payloads they render. `routes` mounts them; `market` serves
public market data, `trading` the signed order and account endpoints, `orders` turns order parameters into an
engine call, `params` and `klines` parse and shape what is spot-specific, `payloads` renders engine objects."""
