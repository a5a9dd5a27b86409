"""priceChangePercent is formatted by one rule on REST and on the streams: three decimals, half away from zero."""
import pytest

from simulator.dialects.binance.wire.percent import percent


@pytest.mark.parametrize("change, base, text", [
    (0, 0, "0.000"), (5, 0, "0.000"), (0, 100, "0.000"),
    (1, 8, "12.500"), (1, 1600, "0.063"), (-1, 1600, "-0.063"),  # 0.0625: half away from zero, not to even
    (1, 3, "33.333"), (2, 3, "66.667"), (-2, 3, "-66.667"), (150, 100, "150.000"),
])
def test_percent(change, base, text):
    assert percent(change, base) == text
