"""What every resolver receives: the graph model to ask, and for writes, the store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import strawberry

from graph_data import ShowGraph
from graph_data.changes import Change
from graph_data.history import History, PastGraphs
from graph_data.store import MemoryStore, Store


@dataclass(slots=True)
class Context:
    """Per-request context; the graph model and store are shared by a process's requests.

    ``writer`` is the name of the token that authenticated the request (None
    for anonymous requests, which may only read). ``published`` is called with
    every change applied, for subscribers; ``listen`` streams those changes.
    ``past`` makes graphs as of past versions, and ``as_of`` holds those this
    request reads, by the response key of their ``asOf`` field (``graph_of``).
    ``writers_public``: readers without a token see who made each change.
    """

    graph: ShowGraph
    store: Store | None = None
    writer: str | None = None
    published: Callable[[list[Change]], None] | None = None
    listen: Callable[[], AsyncIterator[Change]] | None = None
    past: PastGraphs | None = None
    as_of: dict[str, ShowGraph] | None = None
    writers_public: bool = False

    def history(self) -> History:
        """The history of the store behind this request."""
        return self.store_or_memory().history

    def past_graphs(self) -> PastGraphs:
        if self.past is None:  # a context made without one (tests): keep this one
            self.past = PastGraphs(self.history())
        return self.past

    def store_or_memory(self) -> Store:
        if self.store is None:  # a context made without one (tests): keep this one
            self.store = MemoryStore(self.graph)
        return self.store


Info = strawberry.Info[Context, None]


def graph_of(info: Info) -> ShowGraph:
    """The graph model behind this request.

    Read off graphql-core's info, which Strawberry's ``Info.context`` property
    would return: every resolver that reads the graph calls this, so the
    property call is worth sparing. Under an ``asOf`` field, the graph as of
    that version: found by the response key its path starts with.
    """
    raw = info._raw_info
    context: Context = raw.context
    if context.as_of is None:
        return context.graph
    path = raw.path
    while path.prev is not None:
        path = path.prev
    return context.as_of.get(str(path.key), context.graph)
