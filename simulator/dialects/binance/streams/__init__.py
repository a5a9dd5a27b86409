"""Binance WebSocket streams: `routes` mounts `/ws`, `/stream` and `/ws-api/v3`; `hub` holds connections and their
subscriptions and fans engine events out; `market` renders market stream payloads, `user` user data events;
`ws_api` answers WebSocket API requests; `faults` applies the ws_* faults to outgoing messages."""
