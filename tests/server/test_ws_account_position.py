"""One outboundAccountPosition per account for a whole engine operation, after its executionReports: a
cancel-replace (cancel, then place: two steps, each moving the same locked balance) reports the balances once,
as the operation left them."""
from __future__ import annotations

from tests.server.ws_helpers import connect, recv_json


async def test_cancel_replace_reports_one_position_after_both_execution_reports(server, session):
    alice = server.account("alice", USDT="10000")
    order = server.place(alice, "BUY", "50000", "0.1").order
    ws = await connect(session, f"{server.ws_url}/ws/{server.listen_key(alice)}")
    engine = server.sim.engine

    def replace():
        inst = engine.instruments["BTCUSDT"]
        return engine.cancel_replace(alice, "BTCUSDT", cancel_order_id=order.order_id, side="BUY", type_="LIMIT",
                                     qty=inst.parse_qty("0.2"), price=inst.parse_price("49000"), tif="GTC")

    server.call(replace)
    events = [await recv_json(ws) for _ in range(3)]
    assert [(e["e"], e.get("x")) for e in events] == [
        ("executionReport", "CANCELED"), ("executionReport", "NEW"), ("outboundAccountPosition", None)]
    assert events[2]["B"] == [{"a": "USDT", "f": "200.00000000", "l": "9800.00000000"}]  # 0.2 x 49000 locked
    await ws.close()
