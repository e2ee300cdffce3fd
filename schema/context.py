"""What every resolver receives: the graph model to ask, and for writes, the store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import strawberry

from graph_data import ShowGraph
from graph_data.changes import Change
from graph_data.store import MemoryStore, Store


@dataclass(slots=True)
class Context:
    """Per-request context; the graph model and store are shared by a process's requests.

    ``writer`` is the name of the token that authenticated the request (None
    for anonymous requests, which may only read). ``published`` is called with
    every change applied, for subscribers; ``listen`` streams those changes.
    """

    graph: ShowGraph
    store: Store | None = None
    writer: str | None = None
    published: Callable[[list[Change]], None] | None = None
    listen: Callable[[], AsyncIterator[Change]] | None = None

    def store_or_memory(self) -> Store:
        return self.store if self.store is not None else MemoryStore(self.graph)


Info = strawberry.Info[Context, None]


def graph_of(info: Info) -> ShowGraph:
    """The graph model behind this request.

    Read off graphql-core's info, which Strawberry's ``Info.context`` property
    would return: every resolver that reads the graph calls this, so the
    property call is worth sparing.
    """
    return info._raw_info.context.graph  # type: ignore[no-any-return]
