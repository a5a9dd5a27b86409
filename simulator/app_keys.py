"""aiohttp application keys shared by the server and the dialects that register routes on it.

A leaf: it imports nothing of the simulator, so both the dialects and the control plane's HTTP door can use it
without pointing up at the Simulator; the values' types are documented instead.
"""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from aiohttp import web

SIMULATOR = web.AppKey("simulator", object)  # the simulator.core.Simulator the app serves
BackgroundJob = Callable[[web.Application], Awaitable[None]]
BACKGROUND_JOBS = web.AppKey("background_jobs", list)
BACKGROUND_TASKS = web.AppKey("background_tasks", list)
# The server's Journal (simulator.control.journal) when started with --journal: the REST middleware and every
# WebSocket connection record what they send and receive through it.
JOURNAL = web.AppKey("exsim_journal", object)


def add_background_job(app: web.Application, job: BackgroundJob) -> None:
    """Register a coroutine run for the app's whole life (started on startup, cancelled on shutdown)."""
    app[BACKGROUND_JOBS].append(job)


async def start_background(app: web.Application) -> None:
    app[BACKGROUND_TASKS] = [asyncio.create_task(job(app)) for job in app[BACKGROUND_JOBS]]


async def stop_background(app: web.Application) -> None:
    tasks = app.get(BACKGROUND_TASKS, [])
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
