"""USD-M perpetual futures: a second market beside spot, with its own books, positions, margin and funding.

The futures engine (engine.py) subclasses the spot Engine and reuses its books, matching, self-trade prevention,
market data and event plumbing; what differs lives in one module per concept: instruments and leverage brackets
(instrument.py), orders (order.py), positions (position.py), margin arithmetic (margin.py), index / mark prices
(pricing.py), funding (funding.py, settlement.py), income history (income.py), liquidation (liquidation.py),
placement rules (validation.py), conditional orders (conditional.py), modifying an order (amend.py), what the
endpoints read (views.py), events (events.py), results (results.py) and the audit (audit.py).

Choices where Binance leaves room or where the simulator simplifies, each tested:
- A reduce-only order larger than its position is refused (-2022), not trimmed; a resting one that a shrinking
  position no longer covers expires (expiry reason REDUCE_ONLY).
- Conditional orders hold no margin while they wait; their margin is checked when they fire (expired if short).
- Liquidation closes at market through the book (the order's `bankruptcy_price` is recorded for display);
  what is left above bankruptcy goes to the insurance fund, what is missing below it comes from the fund. There
  is no auto-deleveraging: the fund may go below zero, and says so.
- Funding payers pay their amount rounded up to the atom, receivers get theirs rounded down: the accounts never
  receive more than was paid, and the rest goes to the insurance fund.
- A new account trades one-way, CROSSED, at leverage 20 (or the symbol's maximum when lower). The leverage
  brackets follow one template from the config's maximum leverage and first maintenance rate.
"""
