"""Characters and the relationships between them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated

import strawberry

from graph_data.kinds import NodeKind, Relation
from graph_data.model import GraphNode
from graph_data.model import Relationship as RelationshipLink
from graph_data.records import CharacterFields
from schema.context import Info, graph_of
from schema.filters import EpisodeWhere
from schema.ordering import EpisodeOrder, select
from schema.relay import Node, node_type, wrap, wrap_all
from schema.seasons import Episode, Scene
from schema.sources import NodeSources, Sourced

if TYPE_CHECKING:
    from schema.actors import Actor, Portrayal
    from schema.shows import Show

ShowRef = Annotated["Show", strawberry.lazy("schema.shows")]
ActorRef = Annotated["Actor", strawberry.lazy("schema.actors")]
PortrayalRef = Annotated["Portrayal", strawberry.lazy("schema.actors")]
_PORTRAYALS_OF_CHARACTER = "Character.portrayals"


@node_type(NodeKind.CHARACTER)
@strawberry.type(description="A character of a show, played by one or more actors.")
class Character(NodeSources, Node, Sourced):
    # Typed by kind, so fields read the facts straight off the node (no property call
    # on the hottest resolvers).
    graph_node: strawberry.Private[GraphNode[CharacterFields]]

    @strawberry.field(description="The name the character goes by.")
    def name(self) -> str:
        return self.graph_node.data.name

    @strawberry.field(description="Full name, when known.")
    def full_name(self) -> str | None:
        return self.graph_node.data.full_name

    @strawberry.field(description="Other names the character is known by.")
    def aliases(self) -> list[str]:
        return list(self.graph_node.data.aliases)

    @strawberry.field(description="The show the character belongs to.")
    def show(self, info: Info) -> ShowRef:
        return wrap(graph_of(info).character_show(self.graph_node.key))  # type: ignore[no-any-return]

    @strawberry.field(description="Who plays the character, with role and episodes.")
    def portrayals(self, info: Info) -> Sequence[PortrayalRef]:
        """Made once per character and state of the graph (``ShowGraph.memo``): a
        Portrayal holds nothing but its immutable link, so requests can share them."""
        graph = graph_of(info)
        key = self.graph_node.key
        table = graph.memo(_PORTRAYALS_OF_CHARACTER)
        found = table.get(key)
        if found is None:
            from schema.actors import Portrayal  # here: actors import characters

            links = graph.portrayals_of_character(key)
            found = table[key] = tuple(Portrayal(link=link) for link in links)
        return found

    @strawberry.field(description="Actors who play the character.")
    def actors(self, info: Info) -> list[ActorRef]:
        # The PORTRAYS neighbours are the portrayals' actors, in the same order.
        return wrap_all(graph_of(info).into(self.graph_node.key, Relation.PORTRAYS))

    @strawberry.field(description="Episodes the character appears in, in broadcast order.")
    def episodes(
        self, info: Info, where: EpisodeWhere | None = None, order_by: EpisodeOrder | None = None
    ) -> list[Episode]:
        graph = graph_of(info)
        found = select(graph, graph.character_episodes(self.graph_node.key), where, order_by)
        return [Episode(graph_node=e) for e in found]

    @strawberry.field(description="How much the graph records about the character.")
    def counts(self, info: Info) -> CharacterCounts:
        graph = graph_of(info)
        key = self.graph_node.key
        return CharacterCounts(
            episodes=len(graph.character_episodes(key)),
            scenes=len(graph.character_scenes(key)),
            actors=len(graph.portrayals_of_character(key)),
        )

    @strawberry.field(description="Scenes and stills the character appears in.")
    def scenes(self, info: Info) -> list[Scene]:
        return [Scene(graph_node=s) for s in graph_of(info).character_scenes(self.graph_node.key)]

    @strawberry.field(description="Relationships with other characters, in both directions.")
    def relationships(self, info: Info) -> list[Relationship]:
        return [Relationship(link=r) for r in graph_of(info).relationships(self.graph_node.key)]


@strawberry.type(description="Counts of what the graph records about a character.")
class CharacterCounts:
    episodes: int = strawberry.field(description="Episodes the character appears in.")
    scenes: int = strawberry.field(description="Scenes and stills the character appears in.")
    actors: int = strawberry.field(description="Actors who play the character.")


@strawberry.type(description="A typed link between two characters, e.g. DATING or FRIENDS.")
class Relationship(Sourced):
    link: strawberry.Private[RelationshipLink]

    @strawberry.field(description="The kind of relationship, e.g. DATING.")
    def kind(self) -> str:
        return self.link.kind

    @strawberry.field(description="The other character.")
    def character(self, info: Info) -> Character:
        return Character(graph_node=graph_of(info).require(self.link.other))

    def source_map(self) -> tuple[tuple[str, ...], Mapping[str, tuple[str, ...]]]:
        return self.link.sources, {}
