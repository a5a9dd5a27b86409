"""Wire dialects: how the simulator speaks to clients. Each translates between one exchange's wire format and the
engine; today there is one, Binance's (spot, and USD-M to come)."""
