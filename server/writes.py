"""The write side of a server process: store, tokens, live updates, other workers.

One ``WriteSide`` per process holds the store of record, the configured
tokens and the change hub. It tells the endpoint who is writing, follows the
journal so that changes made through other worker processes are applied here
within a fraction of a second (and reach this process's subscribers), and
snapshots on a clean shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from graph_data.changes import Change
from graph_data.history import PastGraphs
from graph_data.model import ShowGraph
from graph_data.store import Store, StoreUnavailableError
from server.auth import Tokens
from server.hub import DEFAULT_LIMIT, ChangeHub

logger = logging.getLogger("showgraph.writes")

# Seconds between looks at the store: how soon a journal store sees another worker's
# write; for PostgreSQL only a safety net, since its notification wakes the follower.
FOLLOW_INTERVAL = 0.2


class WriteSide:
    """Store, tokens and hub of one process; see the module docstring."""

    def __init__(
        self,
        store: Store,
        graph: ShowGraph,
        tokens: Tokens,
        *,
        writers_public: bool = False,
        max_subscriptions: int = DEFAULT_LIMIT,
    ) -> None:
        self.store = store
        self.graph = graph
        self.tokens = tokens
        self.hub = ChangeHub(max_subscriptions)
        self.available = True  # whether the store answered the last time we asked
        self.past = PastGraphs(store.history)  # reads as of a version, shared by requests
        self.writers_public = writers_public

    def writer(self, request: Request) -> str | None:
        """The name of the token the request carries, or None."""
        return self.tokens.writer(request.headers.get("authorization"))

    def context_fields(self, writer: str | None) -> dict[str, Any]:
        """What a resolver Context needs to write and to listen."""
        return {
            "store": self.store,
            "writer": writer,
            "published": self.hub.publish,
            "listen": self.hub.listen,
            "past": self.past,
            "writers_public": self.writers_public,
        }

    async def follow(self) -> None:
        """Apply what other processes write, until cancelled (runs for the app's lifetime)."""
        loop = asyncio.get_running_loop()
        self.hub.bind(loop)
        woken = asyncio.Event()
        wake_on_change = getattr(self.store, "wake_on_change", None)
        if wake_on_change is not None:
            wake_on_change(lambda: loop.call_soon_threadsafe(woken.set))
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), FOLLOW_INTERVAL)
            woken.clear()
            # A store that knows whether its database answers (PostgreSQL) says so
            # here: while it is away nothing is "behind", so no catch-up would fail.
            reachable = getattr(self.store, "reachable", None)
            if reachable is not None and not reachable():
                if self.available:
                    logger.warning("store unreachable, serving reads from memory")
                self.available = False
                continue
            if not self.store.behind():
                continue
            try:
                changes = await run_in_threadpool(self._catch_up)
            except StoreUnavailableError as error:  # keep serving reads; it comes back
                self.hub.publish(error.applied)
                if self.available:
                    logger.warning("store unavailable, serving reads from memory: %s", error)
                self.available = False
                continue
            except Exception:  # keep serving what we have; the log says why
                logger.exception("could not apply changes from the store")
                continue
            if not self.available:
                logger.warning("store available again")
            self.available = True
            self.hub.publish(changes)

    def _catch_up(self) -> list[Change]:
        return self.store.catch_up(self.graph)

    def close(self) -> None:
        """Clean shutdown: the store snapshots, so the next start-up is quick."""
        self.store.close(self.graph)
