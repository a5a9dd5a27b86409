"""USD-M listenKeys (reference §7.1): POST returns the account's live key again (and extends it), PUT extends,
DELETE closes; an API key is needed, no signature. Futures keys are the futures venue's own, apart from spot's."""
from __future__ import annotations

from tests.server import fapi_helpers
from tests.server.rest_helpers import DEMO_KEY, NOW

fapi = fapi_helpers.fapi
fapi_sim = fapi_helpers.fapi_sim
KEY = {"X-MBX-APIKEY": DEMO_KEY}
HOUR_MS = 3_600_000


def expiry(sim, key: str) -> int:
    return next(e["expires_at"] for e in sim.wire.futures_listen_keys.entries() if e["key"] == key)


async def test_post_returns_the_live_key_again(fapi):
    first = await fapi.request("POST", "/fapi/v1/listenKey", headers=KEY)
    assert first.status == 200 and set(first.body) == {"listenKey"}
    key = first.body["listenKey"]
    assert expiry(fapi.sim, key) == NOW + HOUR_MS
    fapi.sim.clock.advance(60_000)
    again = await fapi.request("POST", "/fapi/v1/listenKey", headers=KEY)
    assert again.body == {"listenKey": key}
    assert expiry(fapi.sim, key) == NOW + 60_000 + HOUR_MS


async def test_futures_keys_are_not_spot_keys(fapi):
    futures_key = (await fapi.request("POST", "/fapi/v1/listenKey", headers=KEY)).body["listenKey"]
    spot_key = (await fapi.request("POST", "/api/v3/userDataStream", headers=KEY)).body["listenKey"]
    assert futures_key != spot_key
    closed = await fapi.request("DELETE", "/fapi/v1/listenKey", query=f"listenKey={spot_key}", headers=KEY)
    assert closed.error == (400, -1125, "This listenKey does not exist.")


async def test_put_extends_with_or_without_the_key(fapi):
    key = (await fapi.request("POST", "/fapi/v1/listenKey", headers=KEY)).body["listenKey"]
    fapi.sim.clock.advance(1000)
    plain = await fapi.request("PUT", "/fapi/v1/listenKey", headers=KEY)
    assert (plain.status, plain.body) == (200, {})
    assert expiry(fapi.sim, key) == NOW + 1000 + HOUR_MS
    fapi.sim.clock.advance(1000)
    named = await fapi.request("PUT", "/fapi/v1/listenKey", query=f"listenKey={key}", headers=KEY)
    assert (named.status, named.body) == (200, {})
    assert expiry(fapi.sim, key) == NOW + 2000 + HOUR_MS


async def test_delete_closes_and_then_there_is_nothing_to_extend(fapi):
    key = (await fapi.request("POST", "/fapi/v1/listenKey", headers=KEY)).body["listenKey"]
    closed = await fapi.request("DELETE", "/fapi/v1/listenKey", query=f"listenKey={key}", headers=KEY)
    assert (closed.status, closed.body) == (200, {})
    assert fapi.sim.wire.futures_listen_keys.entries() == []
    gone = await fapi.request("PUT", "/fapi/v1/listenKey", headers=KEY)
    assert gone.error == (400, -1125, "This listenKey does not exist.")


async def test_expired_key_cannot_be_extended_and_post_makes_a_new_one(fapi):
    key = (await fapi.request("POST", "/fapi/v1/listenKey", headers=KEY)).body["listenKey"]
    fapi.sim.clock.advance(HOUR_MS)
    assert (await fapi.request("PUT", "/fapi/v1/listenKey", headers=KEY)).body["code"] == -1125
    fresh = (await fapi.request("POST", "/fapi/v1/listenKey", headers=KEY)).body["listenKey"]
    assert fresh != key


async def test_another_accounts_key_is_not_found(fapi):
    other = fapi.sim.create_account("other")
    key = (await fapi.request("POST", "/fapi/v1/listenKey", headers=KEY)).body["listenKey"]
    foreign = await fapi.request("PUT", "/fapi/v1/listenKey", query=f"listenKey={key}",
                                 headers={"X-MBX-APIKEY": other.key})
    assert foreign.error == (400, -1125, "This listenKey does not exist.")


async def test_api_key_is_required(fapi):
    missing = await fapi.request("POST", "/fapi/v1/listenKey")
    assert missing.error == (401, -2014, "API-key format invalid.")
    unknown = await fapi.request("POST", "/fapi/v1/listenKey", headers={"X-MBX-APIKEY": "unknown-key"})
    assert unknown.error == (401, -2015, "Invalid API-key, IP, or permissions for action.")


async def test_futures_keys_and_counters_survive_a_snapshot(fapi):
    key = (await fapi.request("POST", "/fapi/v1/listenKey", headers=KEY)).body["listenKey"]
    await fapi.public("GET", "/fapi/v1/ping")
    document = fapi.sim.snapshot()
    fapi.sim.restore(document)
    assert [entry["key"] for entry in fapi.sim.wire.futures_listen_keys.entries()] == [key]
    again = await fapi.request("POST", "/fapi/v1/listenKey", headers=KEY)
    assert again.body == {"listenKey": key}
    assert again.headers["X-MBX-USED-WEIGHT-1M"] == "3"  # the futures pool's count came back too


async def test_a_snapshot_without_futures_sections_restores_fresh_ones(fapi):
    await fapi.request("POST", "/fapi/v1/listenKey", headers=KEY)
    document = fapi.sim.snapshot()
    del document["futures_listen_keys"], document["futures_limiter"]  # written before futures were served
    fapi.sim.restore(document)
    assert fapi.sim.wire.futures_listen_keys.entries() == []
