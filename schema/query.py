"""The root Query type: entry points into the graph."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph_data.kinds import NodeKind, Relation
from schema import search as finding
from schema.actors import Actor, ActorConnection, ActorEdge, actor_connection
from schema.characters import Character
from schema.connections import Connection, connection
from schema.context import Info, graph_of
from schema.errors import UserError
from schema.filters import ActorWhere, CharacterWhere, ShowWhere, filter_by_name
from schema.relay import Node, resolve_id
from schema.search import PathStep, SearchHit
from schema.shows import Show
from schema.sources import Source

MAX_IDS = 100


@strawberry.type(description="Entry points into the TV knowledge graph.")
class Query:
    @strawberry.field(description="Any node by its global id, or null when there is none.")
    def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return resolve_id(graph_of(info), id)

    @strawberry.field(
        description=f"Several nodes by global id (at most {MAX_IDS}), null where missing."
    )
    def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_IDS:
            raise UserError(f"`ids` is limited to {MAX_IDS} ids per request (got {len(ids)})")
        graph = graph_of(info)
        return [resolve_id(graph, global_id) for global_id in ids]

    @strawberry.field(description="Shows, by name.")
    def shows(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        where: ShowWhere | None = None,
    ) -> Connection[Show]:
        nodes = filter_by_name(graph_of(info).nodes_of(NodeKind.SHOW), where)
        return connection(nodes, lambda n: n.key, lambda n: Show(graph_node=n), first, after)

    @strawberry.field(description="Actors, by name.")
    def actors(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        where: ActorWhere | None = None,
    ) -> ActorConnection:
        nodes = filter_by_name(graph_of(info).nodes_of(NodeKind.ACTOR), where)
        return actor_connection(
            nodes,
            lambda n: n.key,
            lambda c, n: ActorEdge(cursor=c, node=Actor(graph_node=n)),
            first,
            after,
        )

    @strawberry.field(description="Characters of every show, by name.")
    def characters(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        where: CharacterWhere | None = None,
    ) -> Connection[Character]:
        nodes = filter_by_name(graph_of(info).nodes_of(NodeKind.CHARACTER), where)
        return connection(nodes, lambda n: n.key, lambda n: Character(graph_node=n), first, after)

    @strawberry.field(description="Every source cited by the graph, by title.")
    def sources(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Source]:
        nodes = graph_of(info).nodes_of(NodeKind.SOURCE)
        return connection(nodes, lambda n: n.key, lambda n: Source(graph_node=n), first, after)

    @strawberry.field(description="Typo-tolerant search over names, titles and aliases.")
    def search(
        self,
        info: Info,
        text: str,
        kinds: list[NodeKind] | None = None,
        first: Annotated[
            int | None, strawberry.argument(description="Hits to return (default 10, at most 100).")
        ] = None,
    ) -> list[SearchHit]:
        return finding.search(info, text, kinds, first)

    @strawberry.field(
        description="A shortest path between two nodes, or null when none is within maxLength "
        "edges. Edges count in either direction; `relations` restricts the edge labels used."
    )
    def path(
        self,
        info: Info,
        from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
        to: strawberry.ID,
        max_length: Annotated[
            int | None,
            strawberry.argument(description="Longest path to consider (default 6, at most 10)."),
        ] = None,
        relations: list[Relation] | None = None,
    ) -> list[PathStep] | None:
        return finding.path(info, from_, to, max_length, relations)
