"""The `exsim` futures and funding verbs against a live server (quiet: no market maker, so the test sets the
index and makes the book itself)."""
from __future__ import annotations

import json

from simulator.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_futures_and_funding_verbs(live_server, capsys):
    url = ["--url", live_server.base_url]
    code, out, _ = run(capsys, "account", "create", "--name", "fay", "--balance", "USDT=5000", "--json", *url)
    assert code == 0
    fay = str(json.loads(out)["id"])
    code, out, _ = run(capsys, "futures", "transfer", fay, "USDT", "3000", *url)
    assert code == 0 and "3000.00000000 USDT MAIN_UMFUTURE" in out
    code, out, _ = run(capsys, "futures", "show", fay, *url)
    assert code == 0 and "wallet" in out and "3000.00000000" in out and "one-way" in out
    code, out, _ = run(capsys, "futures", "transfer", fay, "USDT", "500", "--to", "spot", *url)
    assert code == 0 and "UMFUTURE_MAIN" in out
    code, out, _ = run(capsys, "funding", "settle", "BTCUSDT", *url)
    assert code == 1 and "no index price" in (out + _)
    code, out, _ = run(capsys, "funding", "mark", "BTCUSDT", "--index", "50000", *url)
    assert code == 0 and "index 50000.00000000" in out
    code, out, _ = run(capsys, "funding", "show", *url)
    assert code == 0 and "BTCUSDT" in out and "insurance fund USDT" in out
    code, out, _ = run(capsys, "funding", "rate", "BTCUSDT", "0.0005", *url)
    assert code == 0 and "next rate 0.0005 (set)" in out
    code, out, _ = run(capsys, "funding", "mark", "BTCUSDT", "--premium", "-10", *url)
    assert code == 0 and "mark 49990" in out
    code, out, _ = run(capsys, "funding", "settle", *url)
    assert code == 0 and "settled at rate 0.0005" in out
    code, out, err = run(capsys, "futures", "withdraw", fay, "USDT", "999999", *url)
    assert code == 1 and "insufficient_balance" in (out + err)
