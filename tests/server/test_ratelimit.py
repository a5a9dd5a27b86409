"""Rate limits against a fake clock and tiny limits: windows, headers, 429, bans, order counts, forcing."""
from __future__ import annotations

import pytest

from simulator.dialects.binance.wire.errors import BinanceError
from simulator.dialects.binance.wire.ratelimit import Pool, RateLimiter

MINUTE = 60_000
T0 = 1_700_000_080_000  # 40 s into a minute, at the start of a 10-second window


class FakeClock:
    def __init__(self, now: int = T0):
        self.now = now

    def __call__(self) -> int:
        return self.now


def limiter(clock: FakeClock, *, weight: int = 10, raw: int = 1000, enabled: bool = True) -> RateLimiter:
    pools = [
        Pool("REQUEST_WEIGHT", "MINUTE", 1, weight),
        Pool("ORDERS", "SECOND", 10, 3),
        Pool("ORDERS", "DAY", 1, 5),
        Pool("RAW_REQUESTS", "MINUTE", 5, raw),
    ]
    return RateLimiter(pools, clock, enabled=enabled)


def refused(call) -> BinanceError:
    with pytest.raises(BinanceError) as caught:
        call()
    return caught.value


def test_rate_limits_payload_is_exchange_info_shape():
    assert limiter(FakeClock()).rate_limits_payload() == [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 10},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 3},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 5},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 1000},
    ]


def test_a_request_weight_pool_is_required():
    with pytest.raises(ValueError):
        RateLimiter([Pool("ORDERS", "SECOND", 10, 3)], FakeClock())


# --- weight ---------------------------------------------------------------------------------------------
def test_used_weight_header_accumulates_per_ip():
    limits = limiter(FakeClock())
    assert limits.charge_request("1.1.1.1", 2) == {"X-MBX-USED-WEIGHT-1M": "2"}
    assert limits.charge_request("1.1.1.1", 5) == {"X-MBX-USED-WEIGHT-1M": "7"}
    assert limits.charge_request("2.2.2.2", 1) == {"X-MBX-USED-WEIGHT-1M": "1"}


def test_windows_are_aligned_to_the_clock_not_to_the_first_request():
    clock = FakeClock()
    limits = limiter(clock)
    limits.charge_request("ip", 9)
    clock.now = T0 - T0 % MINUTE + MINUTE - 1  # last millisecond of the same minute
    assert limits.charge_request("ip", 1) == {"X-MBX-USED-WEIGHT-1M": "10"}
    clock.now += 1  # 20 s after the first request, but a new minute
    assert limits.charge_request("ip", 1) == {"X-MBX-USED-WEIGHT-1M": "1"}


def test_going_over_the_weight_is_429_with_retry_after_until_the_window_ends():
    limits = limiter(FakeClock())
    limits.charge_request("ip", 10)
    error = refused(lambda: limits.charge_request("ip", 1))
    assert (error.status, error.code) == (429, -1003)
    assert error.msg == (
        "Too much request weight used; current limit is 10 request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API."
    )
    assert error.headers == {"Retry-After": "20", "X-MBX-USED-WEIGHT-1M": "11"}


def test_raw_requests_are_limited_by_count_not_weight():
    limits = limiter(FakeClock(), weight=1000, raw=2)
    limits.charge_request("ip", 1)
    limits.charge_request("ip", 1)
    error = refused(lambda: limits.charge_request("ip", 1))
    assert (error.status, error.code) == (429, -1003)
    assert "current limit is 2 request weight per 5 MINUTE" in error.msg


# --- bans -----------------------------------------------------------------------------------------------
def over_limit(limits: RateLimiter, ip: str = "ip") -> BinanceError:
    return refused(lambda: limits.charge_request(ip, 11))


def test_an_ip_that_ignores_429s_is_banned_for_two_minutes():
    clock = FakeClock()
    limits = limiter(clock)
    assert [over_limit(limits).status for _ in range(3)] == [429, 429, 429]  # the 429, then 2 ignored
    ban = over_limit(limits)  # the 3rd request after the 429
    until = T0 + 2 * MINUTE
    assert (ban.status, ban.code) == (418, -1003)
    assert ban.msg == (
        f"Way too much request weight used; IP banned until {until}. "
        "Please use WebSocket Streams for live updates to avoid bans."
    )
    assert ban.headers["Retry-After"] == "120"
    clock.now = until - 1000  # a new minute: the weight is fine, but the ban holds
    banned = refused(lambda: limits.charge_request("ip", 1))
    assert (banned.status, banned.headers["Retry-After"]) == (418, "1")
    assert limits.charge_request("other", 1)  # other IPs are not affected
    clock.now = until
    assert limits.charge_request("ip", 1)["X-MBX-USED-WEIGHT-1M"] == "1"


def test_429s_in_an_earlier_window_do_not_count_towards_a_ban():
    clock = FakeClock()
    limits = limiter(clock)
    for _ in range(3):
        over_limit(limits)
    clock.now += MINUTE
    assert [over_limit(limits).status for _ in range(3)] == [429, 429, 429]


def test_bans_grow_four_times_up_to_three_days():
    clock = FakeClock()
    limits = limiter(clock)
    durations = []
    for _ in range(8):
        for _ in range(3):
            over_limit(limits)
        ban = over_limit(limits)
        assert ban.status == 418
        durations.append(int(ban.headers["Retry-After"]))
        clock.now += durations[-1] * 1000
    assert durations == [120, 480, 1920, 7680, 30720, 122880, 259200, 259200]


# --- orders ---------------------------------------------------------------------------------------------
def test_order_count_headers_per_account():
    limits = limiter(FakeClock())
    assert limits.charge_order(1) == {"X-MBX-ORDER-COUNT-10S": "1", "X-MBX-ORDER-COUNT-1D": "1"}
    assert limits.charge_order(1) == {"X-MBX-ORDER-COUNT-10S": "2", "X-MBX-ORDER-COUNT-1D": "2"}
    assert limits.charge_order(2) == {"X-MBX-ORDER-COUNT-10S": "1", "X-MBX-ORDER-COUNT-1D": "1"}


def test_too_many_orders_is_429_1015_and_the_shorter_window_recovers_first():
    clock = FakeClock()
    limits = limiter(clock)
    for _ in range(3):
        limits.charge_order(1)
    error = refused(lambda: limits.charge_order(1))
    assert (error.status, error.code) == (429, -1015)
    assert error.msg == "Too many new orders; current limit is 3 orders per 10 SECOND."
    assert error.headers == {"Retry-After": "10", "X-MBX-ORDER-COUNT-10S": "4", "X-MBX-ORDER-COUNT-1D": "4"}
    clock.now += 10_000
    assert limits.charge_order(1) == {"X-MBX-ORDER-COUNT-10S": "1", "X-MBX-ORDER-COUNT-1D": "5"}
    error = refused(lambda: limits.charge_order(1))  # 5 per DAY is now the limit that bites
    assert error.msg == "Too many new orders; current limit is 5 orders per 1 DAY."
    assert error.status == 429
    assert limits.charge_order(2)["X-MBX-ORDER-COUNT-1D"] == "1"


def test_orders_never_ban():
    limits = limiter(FakeClock())
    for _ in range(3):
        limits.charge_order(1)
    statuses = {refused(lambda: limits.charge_order(1)).status for _ in range(10)}
    assert statuses == {429}


# --- disabled and forced --------------------------------------------------------------------------------
def test_disabled_limits_count_but_never_refuse():
    limits = limiter(FakeClock(), enabled=False)
    for _ in range(10):
        headers = limits.charge_request("ip", 11)
        limits.charge_order(1)
    assert headers == {"X-MBX-USED-WEIGHT-1M": "110"}
    assert limits.charge_order(1) == {"X-MBX-ORDER-COUNT-10S": "11", "X-MBX-ORDER-COUNT-1D": "11"}


@pytest.mark.parametrize("enabled", [True, False])
def test_forced_429_until_a_time(enabled):
    clock = FakeClock()
    limits = limiter(clock, enabled=enabled)
    limits.force(429, T0 + 5_500)
    error = refused(lambda: limits.charge_request("ip", 1))
    assert (error.status, error.code, error.headers["Retry-After"]) == (429, -1003, "6")
    assert "current limit is 10 request weight per 1 MINUTE" in error.msg
    clock.now = T0 + 5_500
    assert limits.charge_request("ip", 1) == {"X-MBX-USED-WEIGHT-1M": "1"}  # refused requests were not counted


def test_forced_418_and_clearing_it_early():
    clock = FakeClock()
    limits = limiter(clock)
    limits.force(418, T0 + 60_000)
    error = refused(lambda: limits.charge_request("ip", 1))
    assert (error.status, error.code, error.headers["Retry-After"]) == (418, -1003, "60")
    assert f"IP banned until {T0 + 60_000}." in error.msg
    limits.force(418, 0)
    assert limits.charge_request("ip", 1)


def test_force_accepts_only_429_or_418():
    with pytest.raises(ValueError):
        limiter(FakeClock()).force(503, T0 + 1)
