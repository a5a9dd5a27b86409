"""USD-M perpetual futures: a second market beside spot, with its own books, positions, margin and funding.

The futures engine (engine.py) subclasses the spot Engine and reuses its books, matching, self-trade prevention,
market data and event plumbing; what differs lives in one module per concept: instruments and leverage brackets
(instrument.py), orders (order.py), positions (position.py), margin arithmetic (margin.py), index / mark prices
(pricing.py), funding (funding.py), income history (income.py), liquidation (liquidation.py), placement rules
(validation.py), conditional orders (conditional.py), events (events.py) and results (results.py).
"""
