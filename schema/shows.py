"""Shows, the works they are based on, and their creators."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from graph_data.kinds import NodeKind, Relation
from graph_data.records import CreatorFields, ShowFields, WorkFields
from schema.connections import Connection, node_connection
from schema.context import Info, graph_of
from schema.filters import CharacterWhere, EpisodeWhere, PortrayalWhere
from schema.ordering import (
    PORTRAYAL_METRICS,
    CharacterOrder,
    EpisodeOrder,
    PortrayalOrder,
    select,
)
from schema.relay import Node, node_type, wrap, wrap_all
from schema.sources import NodeSources, Sourced

if TYPE_CHECKING:
    from schema.actors import Portrayal
    from schema.characters import Character
    from schema.seasons import Episode, Season

SeasonRef = Annotated["Season", strawberry.lazy("schema.seasons")]
EpisodeRef = Annotated["Episode", strawberry.lazy("schema.seasons")]
CharacterRef = Annotated["Character", strawberry.lazy("schema.characters")]
PortrayalRef = Annotated["Portrayal", strawberry.lazy("schema.actors")]


@node_type(NodeKind.SHOW)
@strawberry.type(description="A TV series.")
class Show(NodeSources, Node, Sourced):
    @strawberry.field(description="Title of the series.")
    def name(self) -> str:
        return self._data.name

    @strawberry.field(description="The published synopsis, quoted exactly.")
    def synopsis(self) -> str | None:
        return self._data.synopsis

    @strawberry.field(description="Genres, as published.")
    def genres(self) -> list[str]:
        return list(self._data.genres)

    @strawberry.field(description="The network or streaming service that airs it.")
    def network(self) -> str | None:
        return self._data.network

    @strawberry.field(description="The work the series is adapted from, if any.")
    def based_on(self, info: Info) -> Work | None:
        work = graph_of(info).based_on(self.graph_node.key)
        return Work(graph_node=work) if work else None

    @strawberry.field(description="People who created the series.")
    def creators(self, info: Info) -> list[Creator]:
        return [Creator(graph_node=c) for c in graph_of(info).show_creators(self.graph_node.key)]

    @strawberry.field(description="Seasons in order of their number.")
    def seasons(self, info: Info) -> list[SeasonRef]:
        return wrap_all(graph_of(info).seasons(self.graph_node.key))

    @strawberry.field(description="One season by its number, or null.")
    def season(self, info: Info, number: int) -> SeasonRef | None:
        for season in graph_of(info).seasons(self.graph_node.key):
            if season.data.number == number:
                return wrap(season)  # type: ignore[no-any-return]
        return None

    @strawberry.field(description="Episodes of every season, in broadcast order.")
    def episodes(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        where: EpisodeWhere | None = None,
        order_by: EpisodeOrder | None = None,
    ) -> Connection[EpisodeRef]:
        graph = graph_of(info)
        nodes = select(graph, graph.show_episodes(self.graph_node.key), where, order_by)
        return node_connection(nodes, first, after)

    @strawberry.field(description="Characters of the series, by name.")
    def characters(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        where: CharacterWhere | None = None,
        order_by: CharacterOrder | None = None,
    ) -> Connection[CharacterRef]:
        graph = graph_of(info)
        nodes = select(graph, graph.show_characters(self.graph_node.key), where, order_by)
        return node_connection(nodes, first, after)

    @strawberry.field(description="Who plays whom: the portrayals of the series' characters.")
    def cast(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        where: PortrayalWhere | None = None,
        order_by: PortrayalOrder | None = None,
    ) -> Connection[PortrayalRef]:
        from schema.actors import portrayal_connection  # here: actors import shows

        graph = graph_of(info)
        links = graph.portrayals_in_show(self.graph_node.key)
        return portrayal_connection(
            select(graph, links, where, order_by, PORTRAYAL_METRICS), first, after
        )

    @strawberry.field(description="How much the graph records about the series.")
    def counts(self, info: Info) -> ShowCounts:
        graph = graph_of(info)
        key = self.graph_node.key
        return ShowCounts(
            seasons=graph.count_out(key, Relation.HAS_SEASON),
            episodes=len(graph.show_episodes(key)),
            characters=graph.count_out(key, Relation.HAS_CHARACTER),
            actors=len(graph.show_actors(key)),
        )

    @property
    def _data(self) -> ShowFields:
        return self.graph_node.data  # type: ignore[no-any-return]


@strawberry.type(description="Counts of what the graph records about a show.")
class ShowCounts:
    seasons: int = strawberry.field(description="Seasons recorded.")
    episodes: int = strawberry.field(description="Episodes recorded, over all seasons.")
    characters: int = strawberry.field(description="Characters of the show.")
    actors: int = strawberry.field(description="Actors playing them.")


@node_type(NodeKind.WORK)
@strawberry.type(description="A work that a show is adapted from.")
class Work(NodeSources, Node, Sourced):
    @strawberry.field(description="Title of the work.")
    def title(self) -> str:
        return self._data.title

    @strawberry.field(description='What sort of work it is, e.g. "graphic novel series".')
    def kind(self) -> str:
        return self._data.kind

    @strawberry.field(description="Who wrote it.")
    def authors(self, info: Info) -> list[Creator]:
        return [Creator(graph_node=c) for c in graph_of(info).authors(self.graph_node.key)]

    @strawberry.field(description="Shows adapted from this work.")
    def adaptations(self, info: Info) -> list[Show]:
        return [Show(graph_node=s) for s in graph_of(info).adaptations(self.graph_node.key)]

    @property
    def _data(self) -> WorkFields:
        return self.graph_node.data  # type: ignore[no-any-return]


@node_type(NodeKind.CREATOR)
@strawberry.type(description="A person who wrote a work or created a show.")
class Creator(NodeSources, Node, Sourced):
    @strawberry.field(description="The person's name.")
    def name(self) -> str:
        return self._data.name

    @strawberry.field(description="Works they wrote.")
    def works(self, info: Info) -> list[Work]:
        return [Work(graph_node=w) for w in graph_of(info).works(self.graph_node.key)]

    @strawberry.field(description="Shows they created.")
    def shows(self, info: Info) -> list[Show]:
        return [Show(graph_node=s) for s in graph_of(info).creator_shows(self.graph_node.key)]

    @property
    def _data(self) -> CreatorFields:
        return self.graph_node.data  # type: ignore[no-any-return]
