"""Binance's wire dialect: what an unmodified Binance client sees when pointed at exsim.

    wire/     what every Binance market shares: signing and API keys, parameters, error codes and bodies, rate
              limits, the REST pipeline, times in microseconds, listenKeys, and the dialect's own per-venue
              state (venue_state: the Simulator is built with it)
    spot/     spot REST (/api/v3): handlers, spot parameters, payloads
    streams/  WebSockets: connections, subscriptions, fan-out of engine events, interval streams, policing,
              market and user data payloads, the WebSocket API, stream faults; spot's and USD-M futures'
    usdm/     USD-M futures REST (/fapi, and the /sapi wallet transfers): handlers, futures parameters and
              error codes, payloads, algo orders, countdownCancelAll

The dialect only translates: it reads parameters, calls the engine, and renders what the engine returns and
emits. It never decides a business outcome and never imports the control plane; faults reach it through the
Simulator's fault registry (`sim.faults`), and their wire effect is rendered here.
"""
