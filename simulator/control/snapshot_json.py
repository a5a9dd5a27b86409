"""A snapshot document as JSON text: `to_json` at once, or `json_chunks` in pieces for a saver that must not hold
up the event loop, with the history a Capture (simulator.control.snapshot) has not rendered yet kept as
`Rendering`s and rendered as the text is written."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any


class Rendering:
    """A list of the document not rendered yet: `render(item)` for each of `items`."""

    __slots__ = ("items", "render")

    def __init__(self, items: list, render: Callable[[Any], Any]):
        self.items = items
        self.render = render

    def rendered(self) -> list:
        return [self.render(item) for item in self.items]


def _rendered(value: Any) -> Any:
    if type(value) is Rendering:
        return value.rendered()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_encode = json.JSONEncoder(separators=(",", ":"), default=_rendered).encode
# Items of a list encoded by one call of the C encoder in json_chunks: a few hundred orders or events, about a
# millisecond of work.
CHUNK_ITEMS = 256


def to_json(document: Mapping[str, Any]) -> str:
    return _encode(document)


def json_chunks(value: Any) -> Iterator[str]:
    """The text of `to_json(value)`, in pieces. The C encoder keeps the interpreter for a whole call, so a
    thread encoding a large document in one call would hold up the event loop for all of it; encoded a mapping
    key or CHUNK_ITEMS list items at a time, it lets the loop run between two pieces."""
    if type(value) is Rendering:  # rendered a chunk at a time: never all of it alive at once
        items, render = value.items, value.render
        if not items:
            yield "[]"
        for start in range(0, len(items), CHUNK_ITEMS):
            yield ("[" if not start else ",") + _encode([render(item) for item in items[start:start + CHUNK_ITEMS]])[1:-1]
        if items:
            yield "]"
    elif isinstance(value, dict) and all(type(key) is str for key in value):
        separator = "{"
        for key, item in value.items():
            yield f"{separator}{_encode(key)}:"
            yield from json_chunks(item)
            separator = ","
        yield "}" if value else "{}"
    elif isinstance(value, list) and len(value) > CHUNK_ITEMS:  # (a Rendering inside is rendered by _encode)
        for start in range(0, len(value), CHUNK_ITEMS):
            yield ("[" if not start else ",") + _encode(value[start:start + CHUNK_ITEMS])[1:-1]
        yield "]"
    elif isinstance(value, list) and value:  # a short list may hold a Rendering: an account's trades
        separator = "["
        for item in value:
            yield separator
            yield from json_chunks(item)
            separator = ","
        yield "]"
    else:
        yield _encode(value)
