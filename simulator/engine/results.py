"""What each engine operation returns: everything its caller needs to answer, without listening to events.

Every result ends with `first_seq` and `last_seq`: the operation emitted the events numbered
`range(first_seq, last_seq + 1)` (empty, last_seq == first_seq - 1, when it emitted none). Orders in a result
are the live objects, as they stand when the operation returned.
"""
from __future__ import annotations

from typing import NamedTuple

from simulator.engine.events import Trade
from simulator.engine.order import Order
from simulator.engine.rejection import Rejected


class PlaceResult(NamedTuple):
    """A placed order (or fill_order's taker) and the trades it made, triggered stops' trades included."""

    order: Order
    trades: list[Trade]
    first_seq: int
    last_seq: int


class CancelResult(NamedTuple):
    order: Order
    cancel_client_id: str  # the cancel's own client order id: the one asked for, or a generated one
    first_seq: int
    last_seq: int


class CancelAllResult(NamedTuple):
    orders: list[Order]  # in order id order
    cancel_client_ids: list[str]  # the generated client order id of each cancel, parallel to orders
    first_seq: int
    last_seq: int


class AmendResult(NamedTuple):
    order: Order
    previous_client_id: str  # the client order id the order had before the amend (it may have been renamed)
    update_seq: int  # the REPLACED order update's sequence number
    first_seq: int
    last_seq: int


class CancelReplaceResult(NamedTuple):
    """What happened to each half: exactly one of `cancel` / `cancel_reject` is set; `placed` or
    `place_reject` is set when the new order was attempted, neither when it was not."""

    cancel: CancelResult | None
    cancel_reject: Rejected | None
    placed: PlaceResult | None
    place_reject: Rejected | None
    first_seq: int
    last_seq: int


class TransferResult(NamedTuple):
    """A deposit or a withdrawal: the balance of the asset after it."""

    account_id: int
    asset: str
    amount: int  # atoms moved (always positive)
    free: int
    locked: int
    first_seq: int
    last_seq: int


class StatusResult(NamedTuple):
    symbol: str
    status: str
    first_seq: int
    last_seq: int
