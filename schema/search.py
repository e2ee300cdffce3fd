"""Finding things: fuzzy search and shortest paths between nodes."""

from __future__ import annotations

from typing import Any

import strawberry

from graph_data import ShowGraph, traversal
from graph_data.kinds import NodeKind, Relation
from graph_data.search import search_index
from graph_data.traversal import MAX_DEPTH, MAX_PATH_LENGTH, shortest_path
from schema.connections import Page, PageInfo, check_first, paginate
from schema.context import Info, graph_of
from schema.errors import UserError
from schema.relay import Node, decode_id, wrap
from schema.sources import Source

DEFAULT_SEARCH_SIZE = 10
DEFAULT_PATH_LENGTH = 6


@strawberry.type(description="A fuzzy search hit; score is in (0, 1], best first.")
class SearchHit:
    score: float = strawberry.field(description="How well the text matched: 1 is exact.")
    matched: str = strawberry.field(description="The name, title or alias that matched.")
    node: Node = strawberry.field(description="The node found.")


@strawberry.type(
    description="One step of a path: the edge label leading to `node` (null for the first)."
)
class PathStep:
    via: str | None = strawberry.field(description="Relation of the edge taken to reach `node`.")
    forward: bool | None = strawberry.field(
        description="True when that edge points towards `node`, false when it points back."
    )
    node: Node = strawberry.field(description="The node reached.")


def search(
    info: Info, text: str, kinds: list[NodeKind] | None, first: int | None
) -> list[SearchHit]:
    """Typo-tolerant search over names, titles, full names and aliases."""
    limit = check_first(first if first is not None else DEFAULT_SEARCH_SIZE)
    graph = graph_of(info)
    try:
        hits = search_index(graph).search(text, kinds=kinds, limit=limit) if limit else []
    except ValueError as error:  # e.g. text with no letter or digit in it
        raise UserError(f"`text`: {error}") from None
    return [
        SearchHit(score=hit.score, matched=hit.matched, node=wrap(node))
        for hit in hits
        if (node := graph.node(hit.key)) is not None
    ]


def path(
    info: Info,
    from_: strawberry.ID,
    to: strawberry.ID,
    max_length: int | None,
    relations: list[Relation] | None,
) -> list[PathStep] | None:
    """A shortest path, or None when there is none within ``max_length`` edges."""
    length = DEFAULT_PATH_LENGTH if max_length is None else max_length
    if not 1 <= length <= MAX_PATH_LENGTH:
        raise UserError(f"`maxLength` must be between 1 and {MAX_PATH_LENGTH} (got {length})")
    graph = graph_of(info)
    ends = [decode_id(from_), decode_id(to)]
    for argument, global_id, key in zip(("from", "to"), (from_, to), ends, strict=True):
        if graph.node(key) is None:
            raise UserError(f"`{argument}`: no node has the id '{global_id}'")
    steps = shortest_path(graph, ends[0], ends[1], max_length=length, relations=relations)
    if steps is None:
        return None
    return [
        PathStep(
            via=step.via.value if step.via else None,
            forward=step.forward if step.via else None,
            node=wrap(graph.require(step.key)),
        )
        for step in steps
    ]


MAX_NEIGHBORHOOD = 2000  # nodes within reach considered, nearest first; more is `truncated`


@strawberry.type(description="A node near the centre of a neighbourhood.")
class NeighborhoodNode:
    distance: int = strawberry.field(description="Edges between it and the centre.")
    node: Node = strawberry.field(description="The node.")


@strawberry.type(description="An edge of the graph with its label and the sources citing it.")
class GraphEdge:
    source_node: strawberry.Private[Any]
    target_node: strawberry.Private[Any]
    relation: Relation = strawberry.field(
        description="The edge label, read `source RELATION target`."
    )
    source_keys: strawberry.Private[tuple[str, ...]]

    @strawberry.field(description="Where the edge starts.")
    def source(self) -> Node:
        return self.source_node  # type: ignore[no-any-return]

    @strawberry.field(description="Where the edge points.")
    def target(self) -> Node:
        return self.target_node  # type: ignore[no-any-return]

    @strawberry.field(description="Sources that state this link.")
    def sources(self, info: Info) -> list[Source]:
        return [Source(graph_node=n) for n in graph_of(info).sources(self.source_keys)]


@strawberry.type(
    description="The graph around a node: nodes nearest first, a page at a time, and each "
    "edge once, on the page where its second end first appears."
)
class Neighborhood:
    """Each field is made when asked for: a client drawing nodes need not pay for edges."""

    graph: strawberry.Private[ShowGraph]
    key: strawberry.Private[str]
    around: strawberry.Private[traversal.Neighborhood]
    page: strawberry.Private[Page[tuple[str, int]]]

    @strawberry.field(description="The node at the centre.")
    def center(self) -> Node:
        return wrap(self.graph.require(self.key))  # type: ignore[no-any-return]

    @strawberry.field(description="Nodes within reach (at most 2000).")
    def total_count(self) -> int:
        return self.page.total

    @strawberry.field(description="More nodes were within reach than counted.")
    def truncated(self) -> bool:
        return self.around.truncated

    @strawberry.field(description="Cursors to page on.")
    def page_info(self) -> PageInfo:
        return self.page.page_info()

    @strawberry.field(description="This page's nodes.")
    def nodes(self) -> list[NeighborhoodNode]:
        require = self.graph.require
        return [NeighborhoodNode(distance=d, node=wrap(require(k))) for k, d in self.page.items]

    @strawberry.field(
        description="Edges between this page's nodes and nodes on this or earlier pages."
    )
    def edges(self) -> list[GraphEdge]:
        around, items, require = self.around, self.page.items, self.graph.require
        shown = (
            {k for k, _ in around.nodes[: around.nodes.index(items[-1]) + 1]} if items else set()
        )
        on_page = {k for k, _ in items}
        return [
            GraphEdge(
                source_node=wrap(require(e.source)),
                target_node=wrap(require(e.target)),
                relation=e.relation,
                source_keys=e.sources,
            )
            for e in around.edges
            if (e.source in on_page or e.target in on_page)
            and e.source in shown
            and e.target in shown
        ]


def neighborhood(
    info: Info,
    global_id: strawberry.ID,
    depth: int,
    relations: list[Relation] | None,
    kinds: list[NodeKind] | None,
    first: int | None,
    after: str | None,
) -> Neighborhood:
    """One page of the neighbourhood of a node (see ``graph_data.traversal.neighborhood``)."""
    graph = graph_of(info)
    key = decode_id(global_id)
    if graph.node(key) is None:
        raise UserError(f"`id`: no node has the id '{global_id}'")
    if not 1 <= depth <= MAX_DEPTH:
        raise UserError(f"`depth` must be between 1 and {MAX_DEPTH} (got {depth})")
    around = traversal.neighborhood(graph, key, depth, relations, MAX_NEIGHBORHOOD, kinds)
    page = paginate(around.nodes, lambda pair: pair[0], first, after)
    return Neighborhood(graph=graph, key=key, around=around, page=page)
