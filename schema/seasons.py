"""Seasons, their episodes and scenes, and published viewing figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated

import strawberry

from graph_data import node_key
from graph_data.dates import PartialDate
from graph_data.kinds import NodeKind, Relation, SceneKind, SeasonStatus
from graph_data.records import EpisodeFields, SceneFields, SeasonFields
from graph_data.records import Viewership as ViewershipRecord
from schema.context import Info, graph_of
from schema.filters import EpisodeWhere
from schema.ordering import EpisodeOrder, select
from schema.relay import Node, node_type, wrap, wrap_all
from schema.sources import NodeSources, Sourced

if TYPE_CHECKING:
    from schema.characters import Character
    from schema.events import Event
    from schema.shows import Show

ShowRef = Annotated["Show", strawberry.lazy("schema.shows")]
CharacterRef = Annotated["Character", strawberry.lazy("schema.characters")]
EventRef = Annotated["Event", strawberry.lazy("schema.events")]
_CHARACTERS_OF_EPISODE = "Episode.characters"


@node_type(NodeKind.SEASON)
@strawberry.type(description="A season of a show.")
class Season(NodeSources, Node, Sourced):
    @strawberry.field(description="Season number within the show, from 1.")
    def number(self) -> int:
        return self._data.number

    @strawberry.field(description="The show this season belongs to.")
    def show(self, info: Info) -> ShowRef:
        return wrap(graph_of(info).season_show(self.graph_node.key))  # type: ignore[no-any-return]

    @strawberry.field(description="Where the season stands (released, in development, ...).")
    def status(self) -> SeasonStatus:
        return self._data.status

    @strawberry.field(description="Date of the first release.")
    def premiere_date(self) -> PartialDate | None:
        return self._data.premiere_date

    @strawberry.field(description="When filming began, at the precision published.")
    def filming_started(self) -> PartialDate | None:
        return self._data.filming_started

    @strawberry.field(description="When filming wrapped, at the precision published.")
    def filming_ended(self) -> PartialDate | None:
        return self._data.filming_ended

    @strawberry.field(
        description="Number of episodes, as published (known before the titles may be)."
    )
    def episode_count(self) -> int | None:
        return self._data.episode_count

    @strawberry.field(description="True when every episode was released on the same day.")
    def released_all_at_once(self) -> bool | None:
        return self._data.released_all_at_once

    @strawberry.field(description="Episodes in order of their number.")
    def episodes(
        self, info: Info, where: EpisodeWhere | None = None, order_by: EpisodeOrder | None = None
    ) -> list[Episode]:
        graph = graph_of(info)
        found = select(graph, graph.episodes(self.graph_node.key), where, order_by)
        return [Episode(graph_node=e) for e in found]

    @strawberry.field(description="Characters seen in the season's episodes, scenes or stills.")
    def characters(self, info: Info) -> list[CharacterRef]:
        return wrap_all(graph_of(info).season_characters(self.graph_node.key))

    @strawberry.field(description="How much the graph records about the season.")
    def counts(self, info: Info) -> SeasonCounts:
        graph = graph_of(info)
        key = self.graph_node.key
        return SeasonCounts(
            episodes=graph.count_out(key, Relation.HAS_EPISODE),
            characters=len(graph.season_characters(key)),
            stills=graph.count_out(key, Relation.HAS_SCENE),
        )

    @strawberry.field(description="One episode by its number, or null.")
    def episode(self, info: Info, number: int) -> Episode | None:
        for episode in graph_of(info).episodes(self.graph_node.key):
            if episode.data.number == number:
                return Episode(graph_node=episode)
        return None

    @strawberry.field(description="Published stills and scenes not placed in an episode.")
    def stills(self, info: Info) -> list[Scene]:
        return [Scene(graph_node=s) for s in graph_of(info).scenes(self.graph_node.key)]

    @strawberry.field(description="Published viewing figures, in the order published.")
    def viewership(self) -> list[Viewership]:
        return [Viewership(record=v) for v in self._data.viewership]

    @property
    def _data(self) -> SeasonFields:
        return self.graph_node.data  # type: ignore[no-any-return]


@strawberry.type(description="Counts of what the graph records about a season.")
class SeasonCounts:
    episodes: int = strawberry.field(
        description="Episodes recorded (`Season.episodeCount` is the published number)."
    )
    characters: int = strawberry.field(description="Characters seen in the season.")
    stills: int = strawberry.field(description="Stills and scenes not placed in an episode.")


@strawberry.type(description="Hours viewed over a reporting window, as published.")
class Viewership(Sourced):
    record: strawberry.Private[ViewershipRecord]

    @strawberry.field(description='Hours viewed; `label` keeps qualifiers such as "more than".')
    def hours_viewed(self) -> float:
        return self.record.hours_viewed

    @strawberry.field(description="First day of the reporting window, when published.")
    def period_start(self) -> PartialDate | None:
        return self.record.period_start

    @strawberry.field(description="Last day of the reporting window, when published.")
    def period_end(self) -> PartialDate | None:
        return self.record.period_end

    @strawberry.field(description="The figure in the source's own words.")
    def label(self) -> str | None:
        return self.record.label

    def source_map(self) -> tuple[tuple[str, ...], Mapping[str, tuple[str, ...]]]:
        return tuple(node_key(NodeKind.SOURCE, s) for s in self.record.sources), {}


@node_type(NodeKind.EPISODE)
@strawberry.type(description="An episode of a season.")
class Episode(NodeSources, Node, Sourced):
    @strawberry.field(description="Episode number within its season, from 1.")
    def number(self) -> int:
        return self._data.number

    @strawberry.field(
        description="Title of the episode. When no source gives one, a label made from its "
        'number ("Episode 3"), since the public contract makes this field non-null; '
        "`knownTitle` is null then."
    )
    def title(self) -> str:
        title: str | None = self._data.title
        return title if title is not None else f"Episode {self._data.number}"

    @strawberry.field(description="Title of the episode as its sources give it; null if unknown.")
    def known_title(self) -> str | None:
        title: str | None = self._data.title
        return title

    @strawberry.field(description="The season it belongs to.")
    def season(self, info: Info) -> Season:
        return Season(graph_node=graph_of(info).episode_season(self.graph_node.key))

    @strawberry.field(description="The show it belongs to.")
    def show(self, info: Info) -> ShowRef:
        graph = graph_of(info)
        season = graph.episode_season(self.graph_node.key)
        return wrap(graph.season_show(season.key))  # type: ignore[no-any-return]

    @strawberry.field(description="Date of first release.")
    def release_date(self) -> PartialDate | None:
        return self._data.release_date

    @strawberry.field(description="Recorded scenes, in order.")
    def scenes(self, info: Info) -> list[Scene]:
        return [Scene(graph_node=s) for s in graph_of(info).scenes(self.graph_node.key)]

    @strawberry.field(description="Characters seen in the episode, directly or in a scene.")
    def characters(self, info: Info) -> Sequence[CharacterRef]:
        """Made once per episode and state of the graph (``ShowGraph.memo``): the
        Character objects hold nothing but their nodes, so requests can share them."""
        graph = graph_of(info)
        key = self.graph_node.key
        table = graph.memo(_CHARACTERS_OF_EPISODE)
        found = table.get(key)
        if found is None:
            found = table[key] = tuple(wrap_all(graph.episode_characters(key)))
        return found

    @property
    def _data(self) -> EpisodeFields:
        return self.graph_node.data  # type: ignore[no-any-return]


@node_type(NodeKind.SCENE)
@strawberry.type(description="A scene of an episode, or a published still.")
class Scene(NodeSources, Node, Sourced):
    @strawberry.field(description="Scene of an episode, or a published still.")
    def kind(self) -> SceneKind:
        return self._data.kind

    @strawberry.field(description="The episode, or null for a still not placed in one.")
    def episode(self, info: Info) -> Episode | None:
        episode = graph_of(info).scene_episode(self.graph_node.key)
        return Episode(graph_node=episode) if episode else None

    @strawberry.field(description="The season the scene or still belongs to.")
    def season(self, info: Info) -> Season:
        return Season(graph_node=graph_of(info).scene_season(self.graph_node.key))

    @strawberry.field(description="Position within the episode, from 1, when known.")
    def order(self) -> int | None:
        return self._data.order

    @strawberry.field(description="What happens, as reported.")
    def summary(self) -> str:
        return self._data.summary

    @strawberry.field(description="Where it takes place, when reported.")
    def location(self) -> str | None:
        return self._data.location

    @strawberry.field(description="Characters in the scene.")
    def characters(self, info: Info) -> list[CharacterRef]:
        return wrap_all(graph_of(info).scene_characters(self.graph_node.key))

    @strawberry.field(description="Events at which the scene or still was first shown.")
    def revealed_at(self, info: Info) -> list[EventRef]:
        return wrap_all(graph_of(info).revealed_by(self.graph_node.key))

    @property
    def _data(self) -> SceneFields:
        return self.graph_node.data  # type: ignore[no-any-return]
