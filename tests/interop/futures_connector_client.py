"""Run by the binance-futures-connector venv's python (futures_venv.py), never imported by the test suite: the
unmodified UMFutures REST client and UMFuturesWebsocketClient against a live simulator, pointed at it by base URL
only. Prints one JSON object with what each call returned, for the test to check.

    python futures_connector_client.py http://127.0.0.1:PORT ws://127.0.0.1:PORT/fstream KEY SECRET
"""
import json
import sys
import threading
import time

from binance.error import ClientError
from binance.um_futures import UMFutures
from binance.websocket.um_futures.websocket_client import UMFuturesWebsocketClient

SYMBOL = "BTCUSDT"


def main(base_url: str, stream_url: str, key: str, secret: str) -> dict:
    client = UMFutures(key, secret, base_url=base_url)
    out = {"ping": client.ping(), "time": client.time()["serverTime"] > 0}
    out["symbols"] = [s["symbol"] for s in client.exchange_info()["symbols"]]
    out["depth"] = client.depth(SYMBOL, limit=5)["asks"][0]
    out["mark"] = client.mark_price(SYMBOL)["markPrice"]
    out["leverage"] = client.change_leverage(symbol=SYMBOL, leverage=5)
    out["hedge"] = client.change_position_mode(dualSidePosition="true")
    out["mode"] = client.get_position_mode()
    try:
        client.change_position_mode(dualSidePosition="true")
    except ClientError as exc:
        out["mode_again"] = [exc.status_code, exc.error_code, exc.error_message]

    messages, seen = [], threading.Event()

    def on_message(_, text):
        message = json.loads(text)
        messages.append(message)
        if any(m.get("e") == "aggTrade" for m in messages) and \
                any(m.get("e") == "ORDER_TRADE_UPDATE" for m in messages):
            seen.set()

    listen_key = client.new_listen_key()["listenKey"]
    ws = UMFuturesWebsocketClient(stream_url=stream_url, on_message=on_message)
    ws.agg_trade(symbol=SYMBOL)
    ws.user_data(listen_key=listen_key)
    time.sleep(0.5)  # let both subscriptions reach the server
    order = client.new_order(symbol=SYMBOL, side="BUY", type="MARKET", quantity="0.010", positionSide="LONG",
                             newOrderRespType="RESULT")
    out["order"] = [order["status"], order["executedQty"], order["positionSide"]]
    out["queried"] = client.query_order(symbol=SYMBOL, orderId=order["orderId"])["status"]
    seen.wait(10)
    ws.stop()
    out["events"] = sorted({m.get("e") for m in messages if isinstance(m, dict) and m.get("e")})
    positions = [p for p in client.get_position_risk(symbol=SYMBOL) if float(p["positionAmt"])]
    out["positions"] = [[p["positionSide"], p["positionAmt"]] for p in positions]
    out["assets"] = [a["asset"] for a in client.account()["assets"]]
    out["balance"] = [b["asset"] for b in client.balance()]
    out["trades"] = len(client.get_account_trades(symbol=SYMBOL))
    out["income"] = sorted({row["incomeType"] for row in client.get_income_history()})
    limit = client.new_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.010",
                             price="40000", positionSide="LONG")
    out["open"] = [o["orderId"] for o in client.get_orders(symbol=SYMBOL)] == [limit["orderId"]]
    out["cancel_all"] = client.cancel_open_orders(symbol=SYMBOL)
    client.renew_listen_key(listen_key)
    client.close_listen_key(listen_key)
    return out


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:5])))
