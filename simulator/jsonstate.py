"""Helpers for the `state()` / `restore()` (or `from_state()`) pairs that the simulator's parts use for snapshots.

A part's state is JSON-ready: ints, strings, bools, None, lists and dicts with string keys. A `random.Random`
goes in as its `getstate()`, turned into a list: `[version, [internal ints...], gauss_next]`, with the float
`gauss_next` (usually None) written as `float.hex` so that it survives JSON exactly.

Restoring reads untrusted input. The checks here raise TypeError or ValueError naming the bad value; integers
must fit 64 bits (`simulator.inputs` bounds them). A part's `restore` parses its whole state before it assigns
anything, so a bad state leaves the part as it was.
"""
from __future__ import annotations

import random
from typing import Any

from simulator.inputs import integer, shown


def rng_state(rng: random.Random) -> list:
    """`rng.getstate()` as a JSON-ready list."""
    version, internal, gauss = rng.getstate()
    return [version, list(internal), None if gauss is None else float.hex(gauss)]


def rng_from_state(state: Any) -> random.Random:
    """A new Random in the state that `rng_state` gave. TypeError or ValueError if `state` is not one.

    To put an existing Random into that state, use `rng.setstate(rng_from_state(state).getstate())`. A bad
    state then fails before `rng` changes, because `Random.setstate` can change `gauss_next` and then fail."""
    if not isinstance(state, list) or len(state) != 3:
        raise TypeError(f"expected an RNG state [version, internal, gauss], got {shown(state)}")
    version, internal, gauss = state
    if not isinstance(internal, list) or not all(type(word) is int for word in internal):
        raise TypeError(f"RNG internal state must be a list of integers, got {shown(internal)}")
    if gauss is not None and not isinstance(gauss, str):
        raise TypeError(f"RNG gauss_next must be null or a float.hex string, got {shown(gauss)}")
    rng = random.Random()
    try:
        rng.setstate((expect_int(version, "RNG version"), tuple(internal),
                      None if gauss is None else float.fromhex(gauss)))
    except OverflowError as exc:  # a word or gauss_next out of range
        raise ValueError(f"invalid RNG state: {exc}") from None
    return rng


def expect_int(value: Any, what: str = "value") -> int:
    """`value` if it is an int (a bool is not one; TypeError) within 64 bits (ValueError): no id, time, count or
    amount of atoms needs more, and every client can hold it."""
    if type(value) is not int:
        raise TypeError(f"{what}: expected an integer, got {shown(value)}")
    return integer(value, what)


def expect_optional_int(value: Any, what: str = "value") -> int | None:
    return None if value is None else expect_int(value, what)


def expect_bool(value: Any, what: str = "value") -> bool:
    if type(value) is not bool:
        raise TypeError(f"{what}: expected true or false, got {shown(value)}")
    return value


def expect_str(value: Any, what: str = "value") -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what}: expected a string, got {shown(value)}")
    return value
