"""The root Query type: entry points into the graph."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph_data.kinds import NodeKind, Relation
from schema import history
from schema import search as finding
from schema.actors import Actor, ActorConnection, ActorEdge, actor_connection
from schema.characters import Character
from schema.connections import Connection, node_connection
from schema.context import Info, graph_of
from schema.errors import UserError
from schema.filters import (
    ActorWhere,
    CharacterWhere,
    EpisodeWhere,
    SeasonWhere,
    ShowWhere,
    SourceWhere,
    matching,
)
from schema.history import ChangeConnection
from schema.ordering import (
    ActorOrder,
    CharacterOrder,
    EpisodeOrder,
    SeasonOrder,
    ShowOrder,
    select,
    sort,
)
from schema.relay import Node, resolve_id, shared_objects
from schema.search import Neighborhood, PathStep, SearchHit
from schema.seasons import Episode, Season
from schema.shows import Show
from schema.sources import Source

MAX_IDS = 100


def _key(node: object) -> str:
    return node.key  # type: ignore[attr-defined, no-any-return]


@strawberry.type(description="Entry points into the TV knowledge graph.")
class Query:
    @strawberry.field(
        description="The graph's version: it increases with every accepted change, so a "
        "client can tell whether what it holds is current."
    )
    def graph_version(self, info: Info) -> int:
        return graph_of(info).version

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

    @strawberry.field(description="Shows, by name unless `orderBy` says otherwise.")
    def shows(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        where: ShowWhere | None = None,
        order_by: ShowOrder | None = None,
    ) -> Connection[Show]:
        graph = graph_of(info)
        nodes = sort(graph, matching(graph, NodeKind.SHOW, where), order_by)
        return node_connection(nodes, first, after)

    @strawberry.field(description="Seasons of every show, by show and number.")
    def seasons(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        where: SeasonWhere | None = None,
        order_by: SeasonOrder | None = None,
    ) -> Connection[Season]:
        graph = graph_of(info)
        nodes = sort(graph, matching(graph, NodeKind.SEASON, where), order_by)
        return node_connection(nodes, first, after)

    @strawberry.field(description="Episodes of every show, in broadcast order.")
    def episodes(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        where: EpisodeWhere | None = None,
        order_by: EpisodeOrder | None = None,
    ) -> Connection[Episode]:
        graph = graph_of(info)
        nodes = sort(graph, matching(graph, NodeKind.EPISODE, where), order_by)
        return node_connection(nodes, first, after)

    @strawberry.field(description="Actors, by name unless `orderBy` says otherwise.")
    def actors(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        where: ActorWhere | None = None,
        order_by: ActorOrder | None = None,
    ) -> ActorConnection:
        graph = graph_of(info)
        nodes = sort(graph, matching(graph, NodeKind.ACTOR, where), order_by)
        actor = shared_objects(graph, Actor)
        return actor_connection(
            nodes, _key, lambda c, n: ActorEdge(cursor=c, node=actor(n)), actor, first, after
        )

    @strawberry.field(
        description="Characters of every show, by name unless `orderBy` says otherwise."
    )
    def characters(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        where: CharacterWhere | None = None,
        order_by: CharacterOrder | None = None,
    ) -> Connection[Character]:
        graph = graph_of(info)
        nodes = sort(graph, matching(graph, NodeKind.CHARACTER, where), order_by)
        return node_connection(nodes, first, after)

    @strawberry.field(description="Every source cited by the graph, by title.")
    def sources(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        where: SourceWhere | None = None,
    ) -> Connection[Source]:
        graph = graph_of(info)
        nodes = select(graph, graph.nodes_of(NodeKind.SOURCE), where, None)
        return node_connection(nodes, first, after)

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

    @strawberry.field(
        description="The nodes within `depth` edges of a node (either direction) and the edges "
        "among them, nearest first, a page at a time: for drawing the graph around a node."
    )
    def neighborhood(
        self,
        info: Info,
        id: strawberry.ID,
        depth: Annotated[
            int, strawberry.argument(description="Edges away to look: 1 to 3 (default 1).")
        ] = 1,
        relations: Annotated[
            list[Relation] | None,
            strawberry.argument(description="Only follow and return edges with these labels."),
        ] = None,
        kinds: Annotated[
            list[NodeKind] | None,
            strawberry.argument(description="Only step onto nodes of these kinds."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Neighborhood:
        return finding.neighborhood(info, id, depth, relations, kinds, first, after)

    @strawberry.field(
        description="The change feed: every change after version `since`, oldest first, with "
        "what it did. Resume from the last cursor (`after`) to get each change exactly once; "
        "with `kinds` or `ids`, only changes touching a node of those kinds or those nodes. "
        "The same records as the `graphChanged` subscription."
    )
    def changes(
        self,
        info: Info,
        since: Annotated[
            int, strawberry.argument(description="A graph version: changes after it (0: all).")
        ],
        first: int | None = None,
        after: str | None = None,
        kinds: list[NodeKind] | None = None,
        ids: list[strawberry.ID] | None = None,
    ) -> ChangeConnection:
        return history.change_feed(info, since, first, after, kinds, ids)

    @strawberry.field(
        description="The whole graph as it was at `version`: any query, read as of then "
        "(within the history the server keeps; the error says how far back it goes)."
    )
    def as_of(
        self,
        info: Info,
        version: Annotated[int, strawberry.argument(description="A past graph version.")],
    ) -> Query | None:
        return history.as_of(info, version)
