"""UserStreamTracker: runs the user stream data source and exposes its event queue and liveness to the exchange."""
from __future__ import annotations

import asyncio
from typing import Any

from connector.user_stream_data_source import UserStreamTrackerDataSource


class UserStreamTracker:
    def __init__(self, data_source: UserStreamTrackerDataSource):
        self.data_source = data_source

    @property
    def user_stream(self) -> asyncio.Queue[dict[str, Any]]:
        return self.data_source.queue

    @property
    def last_recv_time(self) -> float:
        return self.data_source.last_recv_time

    @property
    def ready(self) -> bool:
        return self.data_source.subscribed.is_set()

    def start(self) -> None:
        self.data_source.start()

    async def stop(self) -> None:
        await self.data_source.stop()
