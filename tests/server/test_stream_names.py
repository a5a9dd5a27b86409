"""Market stream names on each venue: one grammar (streams.stream_names), each venue's own suffixes and speeds,
and a hub pass that lands on every speed its venue pushes at."""
from __future__ import annotations

import pytest

from simulator.dialects.binance.streams import futures_market as fm, market as ms
from simulator.dialects.binance.streams.futures_hub import FuturesHub
from simulator.dialects.binance.streams.hub import StreamHub
from simulator.dialects.binance.streams.stream_names import DIFF_DEPTH, KLINE, PARTIAL_DEPTH, StreamSpec


@pytest.mark.parametrize("name, spot, futures", [
    # the same name, pushed at each venue's own default speed
    ("btcusdt@depth", StreamSpec(DIFF_DEPTH, "BTCUSDT", 1000), StreamSpec(DIFF_DEPTH, "BTCUSDT", 250)),
    ("BtcUsdt@depth10", StreamSpec(PARTIAL_DEPTH, "BTCUSDT", 1000, levels=10),
     StreamSpec(PARTIAL_DEPTH, "BTCUSDT", 250, levels=10)),
    ("btcusdt@kline_1h", StreamSpec(KLINE, "BTCUSDT", 2000, interval="1h"),
     StreamSpec(KLINE, "BTCUSDT", 250, interval="1h")),
    ("btcusdt@aggTrade", StreamSpec(ms.AGG_TRADE, "BTCUSDT"), StreamSpec(fm.AGG_TRADE, "BTCUSDT")),
    ("!ticker@arr", StreamSpec(ms.ALL_TICKERS, None, 1000), StreamSpec(fm.ALL_TICKERS, None, 500)),
    # speeds and streams only one venue has
    ("btcusdt@depth@1000ms", StreamSpec(DIFF_DEPTH, "BTCUSDT", 1000), None),
    ("btcusdt@depth5@250ms", None, StreamSpec(PARTIAL_DEPTH, "BTCUSDT", 250, levels=5)),
    ("btcusdt@trade", StreamSpec(ms.TRADE, "BTCUSDT"), None),
    ("btcusdt@avgPrice", StreamSpec(ms.AVG_PRICE, "BTCUSDT", 1000), None),
    ("!markPrice@arr@1s", None, StreamSpec(fm.ALL_MARK_PRICES, None, 1000)),
    ("btcusdt@markPrice", None, StreamSpec(fm.MARK_PRICE, "BTCUSDT", 3000)),
    ("!forceOrder@arr", None, StreamSpec(fm.ALL_FORCE_ORDERS, None)),
    # names neither has
    ("btcusdt@kline_2m", None, None),
    ("btcusdt@depth7", None, None),
    ("btcusdt", None, None),
])
def test_each_venue_parses_its_own_names(name, spot, futures):
    assert ms.parse_stream(name) == spot
    assert fm.parse_stream(name) == futures


@pytest.mark.parametrize("hub", [StreamHub, FuturesHub])
def test_the_pass_lands_on_every_speed_the_venue_pushes_at(hub):
    """A speed that is not a whole number of passes would never be flushed."""
    assert all(speed % hub.pass_ms == 0 for speed in hub.interval_speeds_ms)


def test_each_hub_flushes_every_speed_of_its_venue():
    speeds = {*fm.DEPTH_SPEEDS_MS, *fm.MARK_SPEEDS_MS, fm.TICKER_SPEED_MS, fm.KLINE_SPEED_MS}
    assert set(FuturesHub.interval_speeds_ms) == speeds
    assert set(StreamHub.interval_speeds_ms) == {ms.FAST_SPEED_MS, ms.DEFAULT_SPEED_MS, ms.KLINE_SPEED_MS}
