"""Matching for perpetuals: the spot Matcher's books, plans, self-trade prevention and expiry, with the money of a
fill moved the futures way. A fill does not swap assets: it moves each side's position, realizes PnL on the part
that closes, charges the commission in the margin asset and releases the order's share of its initial margin.

What an operation changed is reported when it ends as one AccountUpdate per account whose wallet or positions
moved (Binance pushes none for an order that changed neither, so locking margin for a new order reports
nothing), then the books' DepthUpdates as on spot.
"""
from __future__ import annotations

from simulator.engine.book import OrderBook
from simulator.engine.engine import Engine
from simulator.engine.fees import commission
from simulator.engine.order import Order
from simulator.engine.perp.events import AccountUpdate, BalanceRow, PerpTrade, PositionRow
from simulator.engine.perp.income import COMMISSION, REALIZED_PNL
from simulator.engine.perp.instrument import PerpInstrument
from simulator.engine.perp.liquidation import insurance_clear
from simulator.engine.perp.numbers import break_even, ceil_div
from simulator.engine.perp.order import BOTH, PerpOrder
from simulator.engine.perp.position import ISOLATED, Position

_MARGIN_TYPE_WIRE = {"CROSSED": "cross", "ISOLATED": "isolated"}


def _may_only_close(order: Order) -> bool:
    return order.reduce_only or order.position_side != BOTH


class PerpMatcher(Engine):
    """State and mechanics shared by the futures engine's operations (engine.py)."""

    def _init_perp_state(self, income) -> None:
        self.positions: dict[tuple[int, str, str], Position] = {}
        self.account_positions: dict[int, dict[tuple[int, str, str], Position]] = {}
        self.open_positions: dict[str, dict[tuple[int, str, str], Position]] = {}  # symbol -> size != 0
        self.settings: dict = {}
        self.income = income
        # the margin asset's ledger: what realized PnL, funding and insurance clearances put into wallets
        self.realized_total: dict[str, int] = {}
        self.funding_total: dict[str, int] = {}
        self.insurance_cleared: dict[str, int] = {}  # paid by the fund into wallets (shortfalls)
        self.insurance_taken: dict[str, int] = {}  # kept by the fund from wallets (liquidation clearance fees)
        self.insurance: dict[str, int] = {}  # the insurance fund per margin asset (may go below 0: no ADL)
        # what the current operation changed: account -> {position key: None}, account -> {asset: change}
        self._changed_positions: dict[int, dict[tuple[int, str, str], None]] = {}
        self._changed_assets: dict[int, dict[str, int]] = {}
        # account -> its open orders that may only close (reduce-only, or any hedge-mode order): fills check
        # those against the positions, and most accounts have none (derived: recounted on restore)
        self.closing_orders: dict[int, int] = {}
        # accounts last found far from liquidation, with the marks and the slack they were judged at
        # (liquidation._safe; derived, never saved: forgotten whenever the account's wallet or positions change)
        self.safe_accounts: dict[int, tuple] = {}

    def count_closing_orders(self) -> dict[int, int]:
        """The closing orders per account, counted from the open orders (not the kept counts)."""
        counts = {}
        for account_id, account in self.accounts.items():
            count = sum(1 for order in account.open_orders.values() if _may_only_close(order))
            if count:
                counts[account_id] = count
        return counts

    # --- money of one order ----------------------------------------------------------------------------
    def _accept(self, account, order: Order, inst: PerpInstrument, need: int) -> None:
        if need:
            account.lock(inst.margin_asset, need)
        order.locked = need
        self._register(account, order)
        if _may_only_close(order):
            self.closing_orders[order.account_id] = self.closing_orders.get(order.account_id, 0) + 1

    def _close(self, order: Order, inst: PerpInstrument) -> None:
        super()._close(order, inst)
        if _may_only_close(order):
            self.closing_orders[order.account_id] -= 1

    def _unlock(self, order: Order, inst: PerpInstrument) -> None:
        if order.locked:
            self.accounts[order.account_id].unlock(inst.margin_asset, order.locked)
            order.locked = 0

    def _release(self, order: Order, inst: PerpInstrument, qty: int) -> None:
        """The order's initial margin for `qty` of what it has left goes back to free."""
        if order.locked:
            share = order.locked * qty // order.remaining
            order.locked -= share
            self.accounts[order.account_id].unlock(inst.margin_asset, share)

    # --- positions -------------------------------------------------------------------------------------
    def position(self, account_id: int, symbol: str, side: str) -> Position:
        """The account's position on symbol and side, created flat (with the symbol's margin type) if new."""
        key = (account_id, symbol, side)
        position = self.positions.get(key)
        if position is None:
            position = Position(account_id, symbol, side, self.settings_of(account_id).margin_type_of(symbol))
            self.positions[key] = position
            self.account_positions.setdefault(account_id, {})[key] = position
        return position

    def _move_position(self, order: PerpOrder, inst: PerpInstrument, delta: int, price: int, quote: int,
                       fee: int, now: int, trade_id: int) -> int:
        """One side of a fill: position, realized PnL, commission and (isolated) margin; returns the PnL."""
        account_id, symbol = order.account_id, inst.symbol
        position = self.position(account_id, symbol, order.position_side)
        before = position.amt
        pnl, closed = position.fill(delta, price, inst.base_unit)
        position.update_time = now
        asset = inst.margin_asset
        account = self.accounts[account_id]
        if position.margin_type == ISOLATED:
            position.isolated_wallet += pnl - fee
            opened = abs(delta) - closed
            if closed:
                if position.amt == 0 or (before > 0) != (position.amt > 0):
                    back = position.isolated_wallet  # closed whole (a flip opens afresh below)
                else:
                    back = position.isolated_wallet * closed // abs(before)
                position.isolated_wallet -= back
                if back < 0:  # closed below its margin: the insurance fund pays the shortfall
                    insurance_clear(self, account_id, symbol, asset, -back, now)
                else:
                    account.credit(asset, back)
            if opened:
                margin = ceil_div(price * opened // inst.base_unit, self.leverage_of(account_id, symbol))
                account.debit(asset, margin)
                position.isolated_wallet += margin
        else:
            account.credit(asset, pnl - fee)
        key = position.key
        open_positions = self.open_positions[symbol]
        if position.amt:
            open_positions[key] = position
        else:
            open_positions.pop(key, None)
        order.realized_pnl += pnl
        order.commission += fee
        if pnl:
            self.realized_total[asset] = self.realized_total.get(asset, 0) + pnl
            self.income.add(account_id, symbol, REALIZED_PNL, pnl, asset, "", now, str(trade_id))
        if fee:
            self.income.add(account_id, symbol, COMMISSION, -fee, asset, "", now, str(trade_id))
        self._note(account_id, asset, key)
        return pnl

    def _note(self, account_id: int, asset: str, key: tuple | None = None, change: int = 0) -> None:
        """Remember that the account's wallet (and a position) changed in this operation."""
        self.safe_accounts.pop(account_id, None)
        assets = self._changed_assets.get(account_id)
        if assets is None:
            assets = self._changed_assets[account_id] = {}
        assets[asset] = assets.get(asset, 0) + change
        positions = self._changed_positions.get(account_id)
        if positions is None:
            positions = self._changed_positions[account_id] = {}
        if key is not None:
            positions[key] = None

    # --- a fill ----------------------------------------------------------------------------------------
    def _fill(self, inst: PerpInstrument, book: OrderBook, maker: Order, taker: Order, qty: int, now: int):
        price = maker.price
        quote = price * qty // inst.base_unit
        buyer, seller = (taker, maker) if taker.is_buy else (maker, taker)
        accounts, tiers = self.accounts, self.fees.tiers
        buyer_tier = tiers[min(accounts[buyer.account_id].fee_tier, len(tiers) - 1)]
        seller_tier = tiers[min(accounts[seller.account_id].fee_tier, len(tiers) - 1)]
        buyer_fee = commission(quote, buyer_tier.taker if buyer is taker else buyer_tier.maker)
        seller_fee = commission(quote, seller_tier.taker if seller is taker else seller_tier.maker)
        self._release(buyer, inst, qty)
        self._release(seller, inst, qty)
        trade_id = self.next_trade_id[inst.symbol]
        self.next_trade_id[inst.symbol] = trade_id + 1
        buyer_pnl = self._move_position(buyer, inst, qty, price, quote, buyer_fee, now, trade_id)
        seller_pnl = self._move_position(seller, inst, -qty, price, quote, seller_fee, now, trade_id)
        asset = inst.margin_asset
        self.fees_collected[asset] = self.fees_collected.get(asset, 0) + buyer_fee + seller_fee
        trade = PerpTrade(trade_id, inst.symbol, price, qty, quote, now, buyer, seller, buyer is maker, buyer_fee,
                          seller_fee, asset, buyer_pnl, seller_pnl)
        self._trade_done(inst, book, maker, taker, trade, accounts[buyer.account_id], accounts[seller.account_id],
                         now)
        return trade

    # --- the end of an operation -------------------------------------------------------------------------
    def _flush(self, now: int) -> None:
        if self._changed_assets:
            self._flush_accounts(now, "ORDER")
        self._flush_depth(now)

    def _flush_accounts(self, now: int, reason: str, with_positions: bool = True) -> None:
        """One AccountUpdate per account whose wallet or positions changed, in order of first change."""
        changed_assets, changed_positions = self._changed_assets, self._changed_positions
        self._changed_assets, self._changed_positions = {}, {}
        for account_id, assets in changed_assets.items():
            account = self.accounts[account_id]
            account.update_time = now
            balances = tuple(self.balance_row(account_id, asset, change) for asset, change in assets.items())
            keys = changed_positions.get(account_id, ()) if with_positions else ()
            positions = tuple(self.position_row(self.positions[key]) for key in keys)
            self.seq = seq = self.seq + 1
            self._dispatch(AccountUpdate(seq, now, account_id, reason, balances, positions))

    def balance_row(self, account_id: int, asset: str, change: int = 0) -> BalanceRow:
        free, locked = self.accounts[account_id].balances.get(asset, (0, 0))
        isolated = sum(p.isolated_wallet for p in self.account_positions.get(account_id, {}).values()
                       if p.margin_type == ISOLATED and self.instruments[p.symbol].margin_asset == asset)
        return BalanceRow(asset, free + locked + isolated, free + locked, change)

    def position_row(self, position: Position) -> PositionRow:
        inst = self.instruments[position.symbol]
        mark = self.prices[position.symbol].mark
        unrealized = position.unrealized(mark, inst.base_unit) if mark is not None else 0
        return PositionRow(position.symbol, position.side, position.amt, position.cost, position.realized,
                           unrealized, _MARGIN_TYPE_WIRE[position.margin_type], position.isolated_wallet,
                           inst.base_unit, inst.quote_precision, self.fees.tiers[0].taker)

    def break_even(self, position: Position, inst: PerpInstrument):
        """The price at which closing now (paying the taker fee of tier 0 both ways) breaks even."""
        return break_even(position.cost, position.amt, inst.base_unit, inst.quote_precision,
                          self.fees.tiers[0].taker)
