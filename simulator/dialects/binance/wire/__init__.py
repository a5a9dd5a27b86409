"""The Binance wire shared by every market: request signing and API keys on the wire (auth), parameter parsing
(params), error codes and bodies (errors), weighted rate limits and order counts (ratelimit), the REST pipeline
every endpoint runs through (rest), and listenKeys for user data streams (listen_keys)."""
