"""What every resolver receives: the graph model to ask, nothing else to reach for."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from graph_data import ShowGraph


@dataclass(slots=True)
class Context:
    """Per-request context; the graph model is shared by all requests of a process."""

    graph: ShowGraph


Info = strawberry.Info[Context, None]


def graph_of(info: Info) -> ShowGraph:
    """The graph model behind this request."""
    return info.context.graph
