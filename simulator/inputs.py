"""Untrusted structured input, read one way everywhere: config files, scenario YAML, control-plane JSON bodies
and query strings, snapshot documents.

A reader takes a value and the path that names it ("spot[0].tick_size", "steps[3].take.qty", "amount") and
returns the value checked and converted, or raises `InputError(path, reason)`; each caller turns that into its
own error (ConfigError, ScenarioError, a 400 ControlError, FaultSpecError) with the path leading the message.
`Fields` reads a mapping key by key and refuses the keys nobody asked for. A mapping or list from a YAML loader
that records lines (an object with `line` and `lines`, as scenario files are read) also gives the line of each
value, so errors name it.

Numbers are the dangerous part. Python's int and Decimal have no size limit: `int(Decimal("1e999999999"))`
builds a billion-digit integer (minutes, with the event loop frozen), `Decimal("1e999999999").scaleb(8)` raises
decimal.Overflow, and `Decimal("1e-999999999")` quietly becomes 0 atoms. So a number is bounded before any
arithmetic touches it: first its form (length of its text, significant digits, exponent), then its value,
against the range that makes sense for its field. Nothing here converts a number it has not bounded.

Documents are bounded too: JSON and YAML nested more than MAX_DEPTH levels deep are refused (both parsers recurse
once per level), and a JSON number that is not a plain integer stays its text (`NumberText`): a float never
becomes money, and nothing is converted before its field's reader has bounded it.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from simulator.engine.instrument import DEFAULT_PRECISION


T = TypeVar("T")
Parser = Callable[..., T]  # (value, path, ...) -> T, or InputError

# --- bounds ---------------------------------------------------------------------------------------------
MAX_INT64 = 2**63 - 1
MIN_INT64 = -(2**63)
# An amount, a price or a quantity in atoms of its asset: what every 64-bit client can hold.
MAX_ATOMS = MAX_INT64
# The same as a decimal amount of an asset of the usual 8 decimals: the bound for amounts read before their
# asset's precision is known (scenario files, fault parameters); the control plane checks them again at theirs.
MAX_AMOUNT = Decimal(MAX_ATOMS).scaleb(-DEFAULT_PRECISION)
# The form of any number: characters of its text, significant digits, and digits before / after the point.
# Wider than any field's range (the 64-bit atoms of an 18-decimal asset need 37 digits), so that only the
# field's own range decides, yet small enough that no conversion or arithmetic on it can be slow or overflow.
MAX_NUMBER_CHARS = 64
MAX_DIGITS = 40
# Containers inside containers: JSON bodies and snapshots, config and scenario YAML (real ones nest under 10).
MAX_DEPTH = 32

MS_PER_DAY = 86_400_000
# A clock move or skew, a fault's duration or delay, a scenario's wait: up to five years of milliseconds.
MAX_CLOCK_MS = 5 * 366 * MS_PER_DAY
# How many times something may happen (a fault's count, an expected number of hits or events).
MAX_COUNT = 10**9


class InputError(ValueError):
    """A value refused: `path` names it, `reason` says why; `line` is its line in a YAML file, when known."""

    def __init__(self, path: str, reason: str, line: int | None = None):
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason
        self.line = line


class NumberText:
    """A JSON number kept as its text: a float (`1.5`, `1e999999999`), or an integer of more than MAX_DIGITS
    digits. Only the readers here look inside it; nothing does arithmetic on it."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NumberText) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    @property
    def is_integer(self) -> bool:
        return _INTEGER_TEXT.fullmatch(self.text) is not None


_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def shown(value: Any) -> str:
    """A value as an error message shows it: short, and safe for integers too long to print."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- scalars --------------------------------------------------------------------------------------------
def text(value: Any, path: str) -> str:
    """A non-empty string, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(path, "expected a non-empty string")
    return value.strip()


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(path, f"expected true or false, got {shown(value)}")
    return value


def one_of(allowed: tuple[Any, ...]) -> Parser[Any]:
    def parse(value: Any, path: str) -> Any:
        if value not in allowed:
            raise InputError(path, f"{shown(value)} is not one of {', '.join(map(str, allowed))}")
        return value

    return parse


def integer(value: Any, path: str, minimum: int = MIN_INT64, maximum: int = MAX_INT64, *,
            allowed: tuple[int, ...] | None = None, digits: bool = False) -> int:
    """An integer in [minimum, maximum] (64-bit unless the field says less), from an int or an integral Decimal,
    or with `digits` from a string of digits too (query strings, CLI and fault parameters)."""
    if isinstance(value, NumberText) and value.is_integer:  # longer than MAX_DIGITS digits
        raise _out_of_range(path, value, minimum, maximum)
    kinds = (int, Decimal, str) if digits else (int, Decimal)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise InputError(path, f"expected an integer, got {shown(value)}")
    if isinstance(value, int):
        number = value  # only compared below, which is cheap whatever its size: never converted
    else:
        if isinstance(value, str) and not _INTEGER_TEXT.fullmatch(value.strip()):
            raise InputError(path, f"expected an integer, got {shown(value)}")
        exact = _bounded_decimal(value, path, minimum, maximum)
        if exact != exact.to_integral_value():
            raise InputError(path, f"expected an integer, got {shown(value)}")
        number = int(exact)
    if allowed is not None and number not in allowed:
        raise InputError(path, f"{number} is not one of {', '.join(map(str, allowed))}")
    if number < minimum:
        raise InputError(path, f"must be at least {minimum}")
    if number > maximum:
        raise InputError(path, f"must be at most {maximum}")
    return number


def decimal(value: Any, path: str, *, minimum: Decimal | int | None = None, maximum: Decimal | int | None = None,
            positive: bool = False, floats: bool = False) -> Decimal:
    """A finite Decimal in range, from a string, an int or a Decimal. A float (a Python float, or a JSON float
    kept as NumberText) only with `floats`, read through its shortest text: money is never a float."""
    number = _bounded_decimal(value, path, minimum, maximum, floats=floats)
    if positive and number <= 0:
        raise InputError(path, "must be greater than zero")
    if minimum is not None and number < minimum:
        raise InputError(path, "must not be negative" if minimum == 0 else f"must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise InputError(path, f"must be at most {maximum}")
    return number


def atoms(value: Any, path: str, precision: int, *, positive: bool = True, maximum: int = MAX_ATOMS,
          of: str = "") -> int:
    """A decimal amount as a whole number of atoms (10**-precision each), at most `maximum` atoms; `of` names
    what the atoms are of (" for BTC") in the message for an amount finer than one atom."""
    top = Decimal(maximum).scaleb(-precision)
    number = decimal(value, path, minimum=0, maximum=top, positive=positive)
    scaled = number.scaleb(precision)  # exact and cheap: the number's digits and exponent are bounded
    if scaled != scaled.to_integral_value():
        raise InputError(path, f"{_plain(value)} has more than {precision} decimals{of}")
    return int(scaled)


def _plain(value: Any) -> str:
    return value.strip() if isinstance(value, str) else str(value)


def _bounded_decimal(value: Any, path: str, minimum: Any = None, maximum: Any = None, *,
                     floats: bool = False) -> Decimal:
    """The exact Decimal of a number whose form is bounded (digits, exponent), or InputError. Integers,
    floats (with `floats`), decimal strings and Decimals; never a bool."""
    if isinstance(value, NumberText) and value.is_integer:  # longer than MAX_DIGITS digits
        raise _out_of_range(path, value, minimum, maximum)
    if isinstance(value, (float, NumberText)) and not floats:
        raise InputError(path, f"pass decimal amounts as strings (\"0.1\"), not floats (got {shown(value)})")
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal, float, NumberText)):
        raise InputError(path, f"expected a decimal number such as \"0.1\", got {shown(value)}")
    if isinstance(value, int):
        if value.bit_length() > 3 * MAX_DIGITS:
            raise _out_of_range(path, value, minimum, maximum)
        return Decimal(value)
    if isinstance(value, Decimal):
        number = value
    else:
        written = value.text if isinstance(value, NumberText) else repr(value) if isinstance(value, float) \
            else value.strip()
        if len(written) > MAX_NUMBER_CHARS:
            raise InputError(path, f"{shown(value)} is too long for a number")
        try:
            number = Decimal(written)
        except InvalidOperation:
            raise InputError(path, f"not a decimal number: {shown(value)}") from None
        if number.is_finite() and not _DECIMAL_TEXT.fullmatch(written):  # "1_000", " 1 ": Decimal's extras
            raise InputError(path, f"not a decimal number: {shown(value)}")
    if not number.is_finite():
        raise InputError(path, f"not a finite number: {shown(value)}")
    if not number:
        return Decimal(0)  # also 0E+999999999, whose exponent would overflow any scaling
    if number.adjusted() >= MAX_DIGITS:
        raise _out_of_range(path, value, minimum, maximum)
    if number.as_tuple().exponent < -MAX_DIGITS:
        raise InputError(path, f"{shown(value)} has more than {MAX_DIGITS} decimals")
    if len(number.as_tuple().digits) > MAX_DIGITS:
        raise InputError(path, f"{shown(value)} has more than {MAX_DIGITS} significant digits")
    return number


def _out_of_range(path: str, value: Any, minimum: Any, maximum: Any) -> InputError:
    negative = value.text.startswith("-") if isinstance(value, NumberText) else \
        str(value).lstrip().startswith("-") if not isinstance(value, int) else value < 0
    if negative and minimum is not None:
        return InputError(path, "must not be negative" if minimum == 0 else f"must be at least {minimum}")
    if not negative and maximum is not None:
        return InputError(path, f"must be at most {maximum}")
    return InputError(path, f"{shown(value)} is out of range")


# --- collections ----------------------------------------------------------------------------------------
def line_in(container: Any, key: Any, default: int | None = None) -> int | None:
    """The line of `container[key]` when the YAML loader recorded lines, else `default`."""
    lines = getattr(container, "lines", None)
    if isinstance(lines, Mapping):
        return lines.get(key, default)
    if isinstance(lines, list) and isinstance(key, int) and 0 <= key < len(lines):
        return lines[key]
    return default


def elements(value: Any, path: str, line: int | None = None, *, non_empty: str = "") -> Iterator[tuple[Any, str, int | None]]:
    """(element, path, line) of each element of a list; `non_empty` is the message for an empty one."""
    if not isinstance(value, list) or (non_empty and not value):
        raise InputError(path, non_empty or "expected a list", line)
    for index, element in enumerate(value):
        yield element, f"{path}[{index}]", line_in(value, index, line)


def list_of(item: Parser[T]) -> Parser[tuple[T, ...]]:
    def parse(value: Any, path: str) -> tuple[T, ...]:
        return tuple(located(item, element, where, at) for element, where, at in elements(value, path))

    return parse


def mapping_of(item: Parser[T]) -> Parser[dict[str, T]]:
    """A mapping with non-empty string keys (asset or symbol names); null is an empty one."""

    def parse(value: Any, path: str) -> dict[str, T]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise InputError(path, "expected a mapping")
        parsed = {}
        for key, element in value.items():
            where = f"{path}.{key}"
            if not isinstance(key, str) or not key:
                raise InputError(where, "keys must be non-empty strings", line_in(value, key))
            parsed[key] = located(item, element, where, line_in(value, key))
        return parsed

    return parse


def located(parse: Parser[T], value: Any, path: str, line: int | None, *args: Any, **kwargs: Any) -> T:
    """parse(value, path, ...), an InputError from it carrying `line` unless a deeper reader knew its own."""
    try:
        return parse(value, path, *args, **kwargs)
    except InputError as exc:
        if exc.line is None:
            exc.line = line
        raise


class Fields:
    """A mapping being read: its path, the keys asked for (to refuse the others), and, when the YAML loader
    recorded them, the line of each value. `path` "" is the whole document."""

    def __init__(self, data: Any, path: str, line: int | None = None):
        if not isinstance(data, dict):
            raise InputError(path or "the document", "expected a mapping", line)
        self.data = data
        self.path = path
        self.line = getattr(data, "line", None) or line
        self._known: list[str] = []

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def child(self, key: Any) -> str:
        return f"{self.path}.{key}" if self.path else str(key)

    def line_of(self, key: Any) -> int | None:
        return line_in(self.data, key, self.line)

    def only(self, *keys: str, required: tuple[str, ...] = ()) -> "Fields":
        """Refuse now any key but these, then any of `required` missing: before reading any value, so that an
        unknown key is named before a missing one, and both before a bad value."""
        self._known.extend(key for key in keys if key not in self._known)
        self.finish()
        for key in required:
            if key not in self.data:
                raise InputError(self.child(key), "required", self.line)
        return self

    def required(self, key: str, parse: Parser[T], *args: Any, **kwargs: Any) -> T:
        if key not in self._known:
            self._known.append(key)
        if key not in self.data:
            raise InputError(self.child(key), "required", self.line)
        return located(parse, self.data[key], self.child(key), self.line_of(key), *args, **kwargs)

    def optional(self, key: str, parse: Parser[T], default: Any = None, *args: Any, **kwargs: Any) -> T:
        """The key's value read by `parse`, or `default` when the key is absent or null."""
        if key not in self._known:
            self._known.append(key)
        if self.data.get(key) is None:
            return default
        return located(parse, self.data[key], self.child(key), self.line_of(key), *args, **kwargs)

    def finish(self) -> None:
        """Refuse the keys nobody asked for."""
        for key in self.data:
            if key not in self._known:
                allowed = ", ".join(self._known) or "none"
                raise InputError(self.child(key), f"unknown key (allowed: {allowed})", self.line_of(key))


# --- documents ------------------------------------------------------------------------------------------
def parse_json(raw: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """A JSON document with its numbers bounded (plain integers of up to MAX_DIGITS digits become ints, every
    other number stays NumberText) and its nesting at most `max_depth`; InputError saying what is wrong."""
    try:
        data = json.loads(raw, parse_float=NumberText, parse_int=_json_int, parse_constant=NumberText)
    except RecursionError:
        raise InputError("", f"nested more than {max_depth} levels deep") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError("", f"not valid JSON: {exc}") from None
    depth = nesting(data)
    if depth > max_depth:
        raise InputError("", f"nested more than {max_depth} levels deep ({depth})")
    return data


def _json_int(digits: str) -> int | NumberText:
    return int(digits) if len(digits.lstrip("-")) <= MAX_DIGITS else NumberText(digits)


def nesting(data: Any) -> int:
    """How many containers deep `data` goes (a scalar: 0); without recursion, so any depth can be measured."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


class BoundedYaml:
    """Mixed into a PyYAML loader class (listed before it): documents nested more than MAX_DEPTH deep and
    integers longer than MAX_NUMBER_CHARS are refused with an InputError naming the line, before PyYAML's
    composer recursion or its int() can fail on them (RecursionError, ValueError: tracebacks, not messages)."""

    _depth = 0

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        cls.add_constructor("tag:yaml.org,2002:int", BoundedYaml._construct_int)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self._depth > MAX_DEPTH:  # nodes enclosing this one
            raise InputError("", f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark.line + 1)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _construct_int(self, node: Any) -> int:
        if len(node.value) > MAX_NUMBER_CHARS:
            raise InputError("", f"{shown(node.value)} is too long for a number", node.start_mark.line + 1)
        return self.construct_yaml_int(node)
