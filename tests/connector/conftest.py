"""Fixtures for the connector's tests.

aioresponses 0.7.9 builds ClientResponse without the `stream_writer` argument aiohttp 3.14 requires; until a
release fixes it, its module-level ClientResponse is swapped for a subclass that supplies one (a response built
by aioresponses has already been "sent", so aiohttp only reads `stream_writer.output_size`).
"""
from __future__ import annotations

import inspect
from types import SimpleNamespace

import aioresponses.core as _aioresponses_core
from aiohttp import ClientResponse

if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:
    class _SentClientResponse(ClientResponse):
        def __init__(self, *args, stream_writer=None, **kwargs):
            super().__init__(*args, stream_writer=stream_writer or SimpleNamespace(output_size=0), **kwargs)

    _aioresponses_core.ClientResponse = _SentClientResponse
