"""How long each list of the schema can be on the graph being served.

The query cost (``server.cost``) multiplies a field's cost by the length of
the lists above it. The length used is this module's answer: the most items
that list holds for any object in the current graph, from the graph's
fan-out (``graph_data.fanout``, exact after every write) and its counts of
nodes. Each bound is a true upper bound, written as close to the resolver's
real answer as the fan-out allows: a list read off one relation is that
relation's largest degree; a list derived through several relations is the
product of theirs, never more than the nodes of its kind that exist.

A list of nodes this table does not name is bounded by the number of nodes
of its kind; any other list by ``UNLISTED``. Lists of changes (the feed, a
node's history) are as long as the history, so only the page a query asks
for bounds them; a change's own lists (its facts and links) count as
``UNLISTED``, as most changes are one edit (an import is the exception).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from graph_data import ShowGraph
from graph_data.kinds import NodeKind, Relation

UNLISTED = 10  # a list of something other than nodes that the table below does not bound

Bound = Callable[[ShowGraph], int]

SHOW, SEASON, EPISODE, SCENE = NodeKind.SHOW, NodeKind.SEASON, NodeKind.EPISODE, NodeKind.SCENE
CHARACTER, ACTOR, SOURCE = NodeKind.CHARACTER, NodeKind.ACTOR, NodeKind.SOURCE
CREATOR, WORK, EVENT = NodeKind.CREATOR, NodeKind.WORK, NodeKind.EVENT
R = Relation


def out(kind: NodeKind, relation: Relation) -> Bound:
    """Edges of ``relation`` leaving a ``kind`` node, at most."""
    return lambda graph: graph.fanout.most(kind, relation, True)


def into(kind: NodeKind, relation: Relation) -> Bound:
    """Edges of ``relation`` reaching a ``kind`` node, at most."""
    return lambda graph: graph.fanout.most(kind, relation, False)


def times(*bounds: Bound) -> Bound:
    """A list made by following several relations, one after the other."""

    def bound(graph: ShowGraph) -> int:
        product = 1
        for each in bounds:
            product *= each(graph)
        return product

    return bound


def plus(*bounds: Bound) -> Bound:
    """A list made of several lists."""
    return lambda graph: sum(each(graph) for each in bounds)


def nodes(kind: NodeKind, minus: int = 0) -> Bound:
    """Distinct nodes of ``kind``: never more than exist."""
    return lambda graph: max(graph.count(kind) - minus, 0)


def at_most(limit: Bound, bound: Bound) -> Bound:
    return lambda graph: min(limit(graph), bound(graph))


_ACTORS_OF_SHOW = times(out(SHOW, R.HAS_CHARACTER), into(CHARACTER, R.PORTRAYS))
_EPISODES_OF_SHOW = at_most(
    nodes(EPISODE), times(out(SHOW, R.HAS_SEASON), out(SEASON, R.HAS_EPISODE))
)
_CHARACTERS_OF_EPISODE = at_most(
    nodes(CHARACTER),
    plus(into(EPISODE, R.APPEARS_IN), times(out(EPISODE, R.HAS_SCENE), into(SCENE, R.APPEARS_IN))),
)

# "Type.field" -> the most items that list can hold. Lists of scalars are not
# here: a leaf costs 1 whatever its length.
BOUNDS: dict[str, Bound] = {
    "Show.seasons": out(SHOW, R.HAS_SEASON),
    "Show.creators": into(SHOW, R.CREATED),
    "Show.episodes": _EPISODES_OF_SHOW,
    "Show.characters": out(SHOW, R.HAS_CHARACTER),
    "Show.cast": _ACTORS_OF_SHOW,
    "Season.episodes": out(SEASON, R.HAS_EPISODE),
    "Season.stills": out(SEASON, R.HAS_SCENE),
    "Season.characters": at_most(
        nodes(CHARACTER),
        plus(
            times(out(SEASON, R.HAS_EPISODE), _CHARACTERS_OF_EPISODE),
            times(out(SEASON, R.HAS_SCENE), into(SCENE, R.APPEARS_IN)),
        ),
    ),
    "Episode.scenes": out(EPISODE, R.HAS_SCENE),
    "Episode.characters": _CHARACTERS_OF_EPISODE,
    "Scene.characters": into(SCENE, R.APPEARS_IN),
    "Scene.revealedAt": into(SCENE, R.REVEALED),
    "Event.revealed": out(EVENT, R.REVEALED),
    "Character.portrayals": into(CHARACTER, R.PORTRAYS),
    "Character.actors": into(CHARACTER, R.PORTRAYS),
    "Character.episodes": at_most(nodes(EPISODE), out(CHARACTER, R.APPEARS_IN)),
    "Character.scenes": out(CHARACTER, R.APPEARS_IN),
    "Character.relationships": plus(out(CHARACTER, R.RELATED_TO), into(CHARACTER, R.RELATED_TO)),
    "Actor.portrayals": out(ACTOR, R.PORTRAYS),
    "Actor.characters": out(ACTOR, R.PORTRAYS),
    "Actor.shows": at_most(nodes(SHOW), out(ACTOR, R.PORTRAYS)),
    # A portrayal's episodes lie in one show.
    "Actor.episodes": at_most(nodes(EPISODE), times(out(ACTOR, R.PORTRAYS), _EPISODES_OF_SHOW)),
    "Actor.coStars": at_most(nodes(ACTOR, minus=1), times(out(ACTOR, R.PORTRAYS), _ACTORS_OF_SHOW)),
    # Listed on the portrayal, or else the character's episodes in its show.
    "Portrayal.episodes": at_most(
        _EPISODES_OF_SHOW,
        lambda graph: max(
            graph.fanout.longest(R.PORTRAYS, "episodes"),
            min(graph.count(EPISODE), graph.fanout.most(CHARACTER, R.APPEARS_IN, True)),
        ),
    ),
    "Portrayal.scenes": at_most(nodes(SCENE), out(CHARACTER, R.APPEARS_IN)),
    "Creator.works": out(CREATOR, R.WROTE),
    "Creator.shows": out(CREATOR, R.CREATED),
    "Work.authors": into(WORK, R.WROTE),
    "Work.adaptations": into(WORK, R.BASED_ON),
    # Every source cited, at most once each.
    "sources": nodes(SOURCE),
    "sourcesOf": nodes(SOURCE),
}

_KINDS = {kind.value.capitalize(): kind for kind in NodeKind}


def list_bound(graph: ShowGraph, parent: str, field: str, item: str) -> int:
    """The most items the list ``parent.field`` (of ``item`` objects) holds in ``graph``."""
    if item == "ChangeEvent":
        return sys.maxsize  # the page asked for decides (see the module docstring)
    bound = BOUNDS.get(f"{parent}.{field}") or BOUNDS.get(
        field if field.startswith("sources") else ""
    )
    if bound is not None:
        return bound(graph)
    kind = _KINDS.get(item)
    return graph.count(kind) if kind is not None else UNLISTED


def root_bound(graph: ShowGraph, item: str) -> int | None:
    """How many ``item`` nodes a root listing can page through, or None if not nodes."""
    kind = _KINDS.get(item)
    return graph.count(kind) if kind is not None else None
