"""Finding things: fuzzy search and shortest paths between nodes."""

from __future__ import annotations

import strawberry

from graph_data.kinds import NodeKind, Relation
from graph_data.search import search_index
from graph_data.traversal import MAX_PATH_LENGTH, shortest_path
from schema.connections import check_first
from schema.context import Info, graph_of
from schema.errors import UserError
from schema.relay import Node, decode_id, wrap

DEFAULT_SEARCH_SIZE = 10
DEFAULT_PATH_LENGTH = 6

RelationEnum = strawberry.enum(
    Relation, name="Relation", description="Edge labels: how two nodes are linked."
)


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
    for argument, key in zip(("from", "to"), ends, strict=True):
        if graph.node(key) is None:
            raise UserError(
                f"`{argument}`: no node has the id '{from_ if argument == 'from' else to}'"
            )
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
