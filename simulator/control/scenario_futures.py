"""A scenario's perpetual (USD-M) steps: how the file's step is read (`FuturesStepReader`, a mixin of the
scenario validator) and how the Player runs it and undoes it (`FuturesStepPlayer`, a mixin of the Player).

    - settle: BTCUSDT                                   # funding settles now: every open position pays or receives
    - fundingRate: {symbol: BTCUSDT, rate: "-0.0005"}   # the rate the next settlement applies (|rate| <= 3 %)
    - markPrice: {symbol: BTCUSDT, premium: "-1500"}    # the mark moves off the index (or price: "63500"),
                                                        # the book stays: positions it leaves without margin are
                                                        # liquidated
    - futuresDeposit: {account: whale, asset: USDT, amount: "500"}
    - futuresSettings: {account: whale, symbol: BTCUSDT, leverage: 50, marginType: ISOLATED,
                        dualSidePosition: false}        # each optional (symbol with leverage / marginType)
    - futuresPlace: {account: whale, symbol: BTCUSDT, side: BUY, type: MARKET, quantity: "0.5",
                     positionSide: BOTH, reduceOnly: false}   # also price, timeInForce, stopPrice,
                                                              # closePosition, workingType, clientOrderId

As everywhere in a scenario, the accounts are the scenario's own (never the subject's). What the steps change is
undone when the scenario ends: the funding rates set go back to what they were (computed again, or the rate set
before), the mark's premium to what it was, the own accounts' futures orders are canceled and their positions
closed through the book with reduce-only market orders. A position that cannot be closed so has no undo: then the
simulator is reset to its config, as after a delisting.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulator.control.errors import ControlError
from simulator.control.futures import MAX_FUNDING_RATE
from simulator.engine.order import SIDES
from simulator.engine.perp.order import PERP_ORDER_TYPES, PERP_TIMES_IN_FORCE, POSITION_SIDES, WORKING_TYPES
from simulator.engine.perp.position import MARGIN_TYPES
from simulator.inputs import MAX_AMOUNT, InputError, boolean, decimal, integer, located, one_of, text

FUTURES_ACTIONS = ("settle", "fundingRate", "markPrice", "futuresDeposit", "futuresSettings", "futuresPlace")
MAX_LEVERAGE = 125  # Binance's largest bracket


def signed_amount(value: Any, path: str) -> str:
    """A signed decimal up to MAX_AMOUNT either way (a premium), kept as its text for the control plane."""
    number = decimal(value, path, minimum=-MAX_AMOUNT, maximum=MAX_AMOUNT)
    return value.strip() if isinstance(value, str) else str(number)


def funding_rate(value: Any, path: str) -> str:
    """A funding rate: at most 8 decimals, within Binance's largest cap either way."""
    rate = decimal(value, path, minimum=-MAX_FUNDING_RATE, maximum=MAX_FUNDING_RATE)
    if rate != rate.quantize(Decimal("0.00000001")):
        raise InputError(path, "at most 8 decimals")
    return str(rate)


class FuturesStepReader:
    """The perpetual steps of `scenario_schema._Validator` (which provides mapping, account and amount)."""

    @staticmethod
    def step_settle(value: Any, path: str, line: int) -> str:
        return located(text, value, path, line).upper()

    def step_fundingRate(self, value: Any, path: str, line: int) -> dict[str, Any]:  # noqa: N802 - the YAML key
        m = self.mapping(value, path, line, ("symbol", "rate"))
        return {"symbol": m.required("symbol", text).upper(), "rate": m.required("rate", funding_rate)}

    def step_markPrice(self, value: Any, path: str, line: int) -> dict[str, Any]:  # noqa: N802 - the YAML key
        m = self.mapping(value, path, line, ("symbol",), ("price", "premium"))
        out = {"symbol": m.required("symbol", text).upper(),
               "price": m.optional("price", self.amount, positive=True), "premium": m.optional("premium",
                                                                                               signed_amount)}
        if (out["price"] is None) == (out["premium"] is None):
            raise InputError(path, "give exactly one of price and premium", line)
        return out

    def step_futuresDeposit(self, value: Any, path: str, line: int) -> dict[str, Any]:  # noqa: N802 - the YAML key
        m = self.mapping(value, path, line, ("account", "asset", "amount"))
        return {"account": self.account(m, "account"), "asset": m.required("asset", text).upper(),
                "amount": m.required("amount", self.amount, positive=True)}

    def step_futuresSettings(self, value: Any, path: str, line: int) -> dict[str, Any]:  # noqa: N802 - the YAML key
        m = self.mapping(value, path, line, ("account",), ("symbol", "leverage", "marginType", "dualSidePosition"))
        out = {"account": self.account(m, "account"), "symbol": m.optional("symbol", text),
               "leverage": m.optional("leverage", integer, None, 1, MAX_LEVERAGE),
               "marginType": m.optional("marginType", one_of(MARGIN_TYPES)),
               "dualSidePosition": m.optional("dualSidePosition", boolean)}
        out["symbol"] = out["symbol"].upper() if out["symbol"] else None
        if out["symbol"] is None and (out["leverage"] is not None or out["marginType"] is not None):
            raise InputError(m.child("symbol"), "required with leverage or marginType", line)
        if all(out[key] is None for key in ("leverage", "marginType", "dualSidePosition")):
            raise InputError(path, "give at least one of leverage, marginType, dualSidePosition", line)
        return out

    def step_futuresPlace(self, value: Any, path: str, line: int) -> dict[str, Any]:  # noqa: N802 - the YAML key
        m = self.mapping(value, path, line, ("account", "symbol", "side"),
                         ("type", "quantity", "price", "timeInForce", "stopPrice", "positionSide", "reduceOnly",
                          "closePosition", "workingType", "clientOrderId"))
        order_type = m.optional("type", one_of(PERP_ORDER_TYPES), "LIMIT")
        return {
            "account": self.account(m, "account"), "symbol": m.required("symbol", text).upper(),
            "side": m.required("side", one_of(SIDES)), "type": order_type,
            "quantity": m.optional("quantity", self.amount, positive=True),
            "price": m.optional("price", self.amount, positive=True),
            "timeInForce": m.optional("timeInForce", one_of(PERP_TIMES_IN_FORCE),
                                      "GTC" if order_type == "LIMIT" else None),
            "stopPrice": m.optional("stopPrice", self.amount, positive=True),
            "positionSide": m.optional("positionSide", one_of(POSITION_SIDES), "BOTH"),
            "reduceOnly": m.optional("reduceOnly", boolean, False),
            "closePosition": m.optional("closePosition", boolean, False),
            "workingType": m.optional("workingType", one_of(WORKING_TYPES), "CONTRACT_PRICE"),
            "clientOrderId": m.optional("clientOrderId", text)}


class FuturesStepPlayer:
    """The perpetual steps of the `Player` (which provides target, account() and the clean-up's runner)."""

    target: Any
    own_accounts: list[int]

    def _futures_init(self) -> None:
        self._funding_before: dict[str, dict[str, Any]] = {}  # symbol -> the funding view before the scenario
        self._insurance_before: dict[str, str] = {}  # asset -> the insurance fund before the scenario
        self._rates_set: set[str] = set()
        self._marks_set: set[str] = set()
        self._futures_used = False  # own accounts traded perpetuals: their positions are closed at the end
        self._closed: list[str] = []  # the own positions the clean-up closed, for its timeline
        self.futures_setup_time = 0

    def _futures_setup(self) -> None:
        """Before the first step: what the clean-up puts back, and where the futures events of the scene begin."""
        funding = self.target.funding()
        self._funding_before, self._insurance_before = funding["perpetuals"], funding["insuranceFund"]
        self.futures_setup_time = self.target.clock()["now"]

    def futures_since(self) -> int:
        """When the setup ended, on the simulator's clock: income checks count the rows from then on."""
        return self.futures_setup_time

    def insurance_before(self, asset: str) -> str:
        return self._insurance_before.get(asset, "0")

    # --- steps -------------------------------------------------------------------------------------------
    def _do_settle(self, step, symbol: str) -> str:
        settled = self.target.settle_funding(symbol=symbol)["settled"]
        return "; ".join(f"{s['symbol']} funding settled at rate {s['fundingRate']}, mark {s['markPrice']}: "
                         f"{s['payers']} paid, {s['receivers']} received" for s in settled) or "nothing to settle"

    def _do_fundingRate(self, step, a: dict[str, Any]) -> str:  # noqa: N802 - the YAML key
        self._rates_set.add(a["symbol"])
        view = self.target.set_funding_rate(symbol=a["symbol"], rate=a["rate"])["perpetuals"][a["symbol"]]
        return f"{a['symbol']} next funding rate {view['nextFundingRate']} (put back when the scenario ends)"

    def _do_markPrice(self, step, a: dict[str, Any]) -> str:  # noqa: N802 - the YAML key
        self._marks_set.add(a["symbol"])
        r = self.target.set_mark(symbol=a["symbol"], price=a["price"], premium=a["premium"])
        view = r["perpetuals"][a["symbol"]]
        return (f"{a['symbol']} mark {view['markPrice']} (index {view['indexPrice']}, premium {view['premium']})"
                + (f", {len(r['liquidated'])} liquidation(s)" if r["liquidated"] else ""))

    def _do_futuresDeposit(self, step, a: dict[str, Any]) -> str:  # noqa: N802 - the YAML key
        r = self.target.futures_deposit(account_id=self.account(a["account"]), asset=a["asset"], amount=a["amount"])
        wallet = r["wallet"].get(a["asset"], {})
        return f"{a['account']} futures +{a['amount']} {a['asset']} (wallet {wallet.get('walletBalance')})"

    def _do_futuresSettings(self, step, a: dict[str, Any]) -> str:  # noqa: N802 - the YAML key
        self.target.futures_settings(account_id=self.account(a["account"]), symbol=a["symbol"],
                                     leverage=a["leverage"], margin_type=a["marginType"],
                                     dual_side=a["dualSidePosition"])
        said = [f"{k} {a[k]}" for k in ("leverage", "marginType", "dualSidePosition") if a[k] is not None]
        return f"{a['account']} {a['symbol'] or ''} {', '.join(said)}".replace("  ", " ")

    def _do_futuresPlace(self, step, a: dict[str, Any]) -> str:  # noqa: N802 - the YAML key
        account = self.account(a["account"])
        self._futures_used = True
        r = self.target.futures_order(
            account_id=account, symbol=a["symbol"], side=a["side"], type=a["type"], quantity=a["quantity"],
            price=a["price"], time_in_force=a["timeInForce"], stop_price=a["stopPrice"],
            position_side=a["positionSide"], reduce_only=a["reduceOnly"], close_position=a["closePosition"],
            working_type=a["workingType"], client_order_id=a["clientOrderId"])
        order = r["order"]
        price = f" @ {a['price']}" if a["price"] else ""
        return (f"futures order {order['orderId']}: {a['account']} {a['side']} {a['type']} {a['quantity'] or ''} "
                f"{a['symbol']}{price} -> {order['status']}, {len(r['trades'])} trade(s)")

    # --- the clean-up ------------------------------------------------------------------------------------
    def _futures_cleanup_tasks(self) -> list:
        """Put back the funding rates and mark premiums the steps set (after the index is back)."""
        tasks = [("futures", lambda: "undid " + ", ".join(self._closed))] if self._closed else []
        for symbol in sorted(self._marks_set):
            tasks.append(("futures", lambda symbol=symbol: self._restore_premium(symbol)))
        for symbol in sorted(self._rates_set):
            tasks.append(("futures", lambda symbol=symbol: self._restore_rate(symbol)))
        return tasks

    def _restore_premium(self, symbol: str) -> str:
        premium = self._funding_before[symbol]["premium"]
        view = self.target.set_mark(symbol=symbol, premium=premium)["perpetuals"][symbol]
        return f"{symbol} mark premium back to {view['premium']} (mark {view['markPrice']})"

    def _restore_rate(self, symbol: str) -> str:
        before = self._funding_before[symbol]
        rate = before["nextFundingRate"] if before["rateSet"] else None
        self.target.set_funding_rate(symbol=symbol, rate=rate)
        return f"{symbol} funding rate " + (f"back to {rate}" if rate is not None else "computed again")

    def _futures_leftovers(self) -> str | None:
        """Cancel the own accounts' futures orders and close their positions through the book; the reason to reset
        when a position cannot be closed so."""
        if not self._futures_used:
            return None
        for account_id in self.own_accounts:
            summary = self.target.futures_account(account_id=account_id)
            for order in summary["openOrders"]:
                self.target.cancel_futures_order(order_id=order["orderId"])
                self._closed.append(f"account {account_id}'s futures order {order['orderId']} (canceled)")
            for position in summary["positions"]:
                amount = Decimal(position["positionAmt"])
                if not amount:
                    continue
                try:
                    self.target.futures_order(
                        account_id=account_id, symbol=position["symbol"], side="SELL" if amount > 0 else "BUY",
                        type="MARKET", quantity=str(abs(amount)), position_side=position["positionSide"],
                        reduce_only=position["positionSide"] == "BOTH")
                except ControlError as exc:
                    return f"account {account_id}'s {position['symbol']} position cannot be closed: {exc.message}"
                self._closed.append(f"account {account_id}'s {position['symbol']} position {position['positionAmt']} "
                                    "(closed through the book)")
            left = [p for p in self.target.futures_account(account_id=account_id)["positions"]
                    if Decimal(p["positionAmt"])]
            if left:
                return f"account {account_id}'s {left[0]['symbol']} position is not closed whole by the book"
        return None
