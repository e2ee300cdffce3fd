"""Actors and Portrayal, the actor-to-character link with its role and episodes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import strawberry

from graph_data.kinds import CastRole, NodeKind, Relation
from graph_data.model import CoStar, GraphNode
from graph_data.model import Portrayal as PortrayalLink
from graph_data.records import ActorFields
from schema.characters import Character
from schema.connections import Connection, Paged, connection, paginate
from schema.context import Info, graph_of
from schema.filters import ActorWhere
from schema.relay import Node, node_type, shared_object
from schema.seasons import Episode, Scene
from schema.shows import Show
from schema.sources import NodeSources, Sourced

T = TypeVar("T")
_CHARACTERS_OF_ACTOR = "Actor.characters"


@node_type(NodeKind.ACTOR)
@strawberry.type(description="A performer, linked to the characters they play by portrayals.")
class Actor(NodeSources, Node, Sourced):
    # Typed by kind, so fields read the facts straight off the node (no property call
    # on the hottest resolvers).
    graph_node: strawberry.Private[GraphNode[ActorFields]]

    @strawberry.field(description="The actor's name.")
    def name(self) -> str:
        return self.graph_node.data.name

    @strawberry.field(description="Characters played, with show, role and episodes.")
    def portrayals(self, info: Info) -> list[Portrayal]:
        links = graph_of(info).portrayals_of_actor(self.graph_node.key)
        return [Portrayal(link=link) for link in links]

    @strawberry.field(description="Characters played.")
    def characters(self, info: Info) -> Sequence[Character]:
        """The PORTRAYS neighbours: the portrayals' characters, in the same order.

        Made once per actor and state of the graph (``ShowGraph.memo``): a
        Character holds nothing but its node, so requests can share them.
        """
        graph = graph_of(info)
        key = self.graph_node.key
        table = graph.memo(_CHARACTERS_OF_ACTOR)
        found = table.get(key)
        if found is None:
            nodes = graph.out(key, Relation.PORTRAYS)
            found = table[key] = tuple(Character(graph_node=node) for node in nodes)
        return found

    @strawberry.field(description="Shows the actor appears in.")
    def shows(self, info: Info) -> list[Show]:
        return [Show(graph_node=s) for s in graph_of(info).actor_shows(self.graph_node.key)]

    @strawberry.field(
        description="Actors of the same shows, most shared episodes first, then most shared "
        "scenes, then by name; each edge gives the shared counts."
    )
    def co_stars(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        where: ActorWhere | None = None,
    ) -> ActorConnection:
        graph = graph_of(info)
        matches = where.predicate(graph) if where else None

        def edge(cursor: str, co_star: CoStar) -> ActorEdge:
            return ActorEdge(
                cursor=cursor,
                node=Actor(graph_node=graph.require(co_star.actor)),
                shared_episodes=co_star.shared_episodes,
                shared_scenes=co_star.shared_scenes,
            )

        co_stars = [
            c
            for c in graph.co_stars(self.graph_node.key)
            if matches is None or matches(graph.require(c.actor))
        ]

        def node(co_star: CoStar) -> Actor:
            return Actor(graph_node=graph.require(co_star.actor))

        return actor_connection(co_stars, lambda c: c.actor, edge, node, first, after)

    @strawberry.field(description="Episodes the actor appears in, through any portrayal.")
    def episodes(self, info: Info) -> list[Episode]:
        return [Episode(graph_node=e) for e in graph_of(info).actor_episodes(self.graph_node.key)]

    @strawberry.field(description="How much the graph records about the actor.")
    def counts(self, info: Info) -> ActorCounts:
        graph = graph_of(info)
        key = self.graph_node.key
        return ActorCounts(
            characters=graph.count_out(key, Relation.PORTRAYS),
            shows=len(graph.actor_shows(key)),
            episodes=len(graph.actor_episodes(key)),
        )


@strawberry.type(description="Counts of what the graph records about an actor.")
class ActorCounts:
    characters: int = strawberry.field(description="Characters the actor plays.")
    shows: int = strawberry.field(description="Shows the actor appears in.")
    episodes: int = strawberry.field(description="Episodes the actor appears in.")


@strawberry.type(
    description="The actor-to-character link: one actor playing one character in one show."
)
class Portrayal(Sourced):
    link: strawberry.Private[PortrayalLink]

    @strawberry.field(description="The actor.")
    def actor(self, info: Info) -> Actor:
        graph = graph_of(info)
        return shared_object(graph, Actor, graph.require(self.link.actor))

    @strawberry.field(description="The character played.")
    def character(self, info: Info) -> Character:
        return Character(graph_node=graph_of(info).require(self.link.character))

    @strawberry.field(description="The show in which the actor plays the character.")
    def show(self, info: Info) -> Show:
        return Show(graph_node=graph_of(info).require(self.link.show))

    @strawberry.field(description="Billing: main, recurring or guest.")
    def role(self) -> CastRole:
        return self.link.role

    @strawberry.field(description="The name in the credits, when it differs from the character's.")
    def credited_name(self) -> str | None:
        return self.link.credited_name

    @strawberry.field(description="How many episodes the actor plays the character in (recorded).")
    def episode_count(self) -> int:
        return len(self.link.episodes)

    @strawberry.field(description="Episodes the actor plays the character in, in order.")
    def episodes(self, info: Info) -> list[Episode]:
        graph = graph_of(info)
        return [Episode(graph_node=node) for key in self.link.episodes if (node := graph.node(key))]

    @strawberry.field(description="Scenes and stills of this character in this show.")
    def scenes(self, info: Info) -> list[Scene]:
        return [Scene(graph_node=s) for s in graph_of(info).portrayal_scenes(self.link)]

    def source_map(self) -> tuple[tuple[str, ...], Mapping[str, tuple[str, ...]]]:
        return self.link.sources, self.link.field_sources


@strawberry.type(description="An actor in a list, with what they share with the actor asked about.")
class ActorEdge:
    cursor: str = strawberry.field(description="Opaque position of this item, for `after`.")
    node: Actor = strawberry.field(description="The actor.")
    shared_episodes: int | None = strawberry.field(
        default=None, description="In `coStars`: episodes both actors' characters appear in."
    )
    shared_scenes: int | None = strawberry.field(
        default=None, description="In `coStars`: scenes and stills both actors' characters share."
    )


@strawberry.type(description="A page of actors.")
class ActorConnection(Paged):
    make_edge: strawberry.Private[Callable[[str, Any], ActorEdge]]
    make_node: strawberry.Private[Callable[[Any], Actor]]

    @strawberry.field(description="The page's actors with their cursors.")
    def edges(self) -> list[ActorEdge]:
        page = self.page
        return [self.make_edge(page.cursor(i), item) for i, item in enumerate(page.items)]

    @strawberry.field(description="The page's actors, without cursors.")
    def nodes(self) -> list[Actor]:
        return [self.make_node(item) for item in self.page.items]


def actor_connection(
    items: Sequence[T],
    key_of: Callable[[T], str],
    make_edge: Callable[[str, T], ActorEdge],
    make_node: Callable[[T], Actor],
    first: int | None,
    after: str | None,
) -> ActorConnection:
    """A page of actors; ``make_edge`` builds an edge from its cursor and item."""
    return ActorConnection(
        page=paginate(items, key_of, first, after), make_edge=make_edge, make_node=make_node
    )


def portrayal_connection(
    links: Sequence[PortrayalLink], first: int | None, after: str | None
) -> Connection[Portrayal]:
    """A page of portrayals; a portrayal is identified by its actor and character."""
    return connection(
        links, lambda p: f"{p.actor}|{p.character}", lambda p: Portrayal(link=p), first, after
    )
