"""Telling subscribers about changes, as they are applied in this process.

Changes are applied in worker threads (a mutation, or the follower catching
up with other processes); subscribers wait in the event loop. ``publish`` may
be called from any thread and hands each change to every subscriber's queue
through the loop. A subscriber that falls more than ``QUEUE_SIZE`` changes
behind is dropped rather than letting memory grow, and at most ``limit``
subscriptions listen at once (``SHOWGRAPH_MAX_SUBSCRIPTIONS``; a few more if
many start in the same instant): each holds a
queue of up to ``QUEUE_SIZE`` changes, and a stream, however it is carried,
costs nothing to open.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

from graph_data.changes import Change
from server.limits import LimitExceededError

QUEUE_SIZE = 1000
DEFAULT_LIMIT = 1000


class ChangeHub:
    """Fan-out of applied changes to the subscriptions of this process."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queues: set[asyncio.Queue[Change | None]] = set()
        self._joined = threading.Condition()  # notified as a subscriber starts listening

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Remember the event loop subscribers live in (called at start-up)."""
        self._loop = loop

    def publish(self, changes: list[Change]) -> None:
        """Hand changes to every subscriber; safe from any thread."""
        if not changes or self._loop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._deliver, list(changes))

    def _deliver(self, changes: list[Change]) -> None:
        for queue in list(self._queues):
            for change in changes:
                try:
                    queue.put_nowait(change)
                except asyncio.QueueFull:  # too far behind: end its stream
                    self._queues.discard(queue)
                    while not queue.empty():
                        queue.get_nowait()
                    queue.put_nowait(None)
                    break

    def listen(self) -> AsyncIterator[Change]:
        """Every change applied from now on, until the subscriber goes away or lags.

        Over the limit, ``LimitExceededError`` at once, so that the subscription
        fails with an error of its own (an error raised inside a stream that
        has started only ends it).
        """
        if len(self._queues) >= self.limit:
            raise LimitExceededError(
                f"this server has {self.limit} subscriptions open, the most it keeps at once; "
                "try again later, or close a subscription you no longer need",
                setting="max_subscriptions",
                limit=self.limit,
            )
        return self._changes()

    async def _changes(self) -> AsyncIterator[Change]:
        # The queue is registered once the stream starts, so one never started
        # (its client went away first) leaves nothing behind.
        queue: asyncio.Queue[Change | None] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._queues.add(queue)
        with self._joined:
            self._joined.notify_all()
        try:
            while (change := await queue.get()) is not None:
                yield change
        finally:
            self._queues.discard(queue)

    def wait_for_listeners(self, count: int, timeout: float) -> bool:
        """Until ``count`` subscribers listen (False after ``timeout`` s); safe from any thread.

        So that a test (or a client) can make a change once a subscription is
        sure to see it, instead of sleeping and hoping.
        """
        with self._joined:
            return self._joined.wait_for(lambda: len(self._queues) >= count, timeout)
