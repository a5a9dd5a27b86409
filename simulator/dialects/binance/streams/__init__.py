"""Binance WebSocket streams: `routes` mounts `/ws`, `/stream` and `/ws-api/v3`; `hub` holds connections and their
subscriptions and fans engine events out; `market` renders market stream payloads, `user` user data events;
`ws_api` answers WebSocket API requests; `faults` applies the ws_* faults to outgoing messages. USD-M futures
streams sit beside them on the same connection machinery: `futures_routes` mounts `/public`, `/market`, `/private`
and `/fstream`, `futures_hub` feeds them from the futures engine through `futures_fanout`, `futures_market` and
`futures_user` render their payloads. What both venues share sits in `endpoints` (mounting a hub, a market
connection's life, control frames) and `operation_fanout` (what waits for the end of an engine operation)."""
