"""`orderBy` enums: how each connection can be sorted.

Every order is stable: items that compare equal keep the graph's natural
order (seasons and episodes by number, everything else by name, then id), so
paging through a sorted connection never repeats or skips an item. Missing
values (an episode without a release date) always sort last.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, TypeVar

import strawberry

from graph_data import ShowGraph
from graph_data.kinds import NodeKind
from graph_data.model import Portrayal
from schema.filters import keep

T = TypeVar("T")
Metric = Callable[[ShowGraph, Any], Any]


@strawberry.enum(description="Orders for shows; the default is NAME.")
class ShowOrder(Enum):
    NAME = "NAME"
    NAME_DESC = "NAME_DESC"
    EPISODE_COUNT = "EPISODE_COUNT"
    EPISODE_COUNT_DESC = "EPISODE_COUNT_DESC"


@strawberry.enum(description="Orders for seasons; the default is NUMBER (by show, then number).")
class SeasonOrder(Enum):
    NUMBER = "NUMBER"
    NUMBER_DESC = "NUMBER_DESC"
    PREMIERE_DATE = "PREMIERE_DATE"
    PREMIERE_DATE_DESC = "PREMIERE_DATE_DESC"


@strawberry.enum(description="Orders for episodes; the default is NUMBER (broadcast order).")
class EpisodeOrder(Enum):
    NUMBER = "NUMBER"
    NUMBER_DESC = "NUMBER_DESC"
    RELEASE_DATE = "RELEASE_DATE"
    RELEASE_DATE_DESC = "RELEASE_DATE_DESC"
    TITLE = "TITLE"
    TITLE_DESC = "TITLE_DESC"


@strawberry.enum(description="Orders for characters; the default is NAME.")
class CharacterOrder(Enum):
    NAME = "NAME"
    NAME_DESC = "NAME_DESC"
    EPISODE_COUNT = "EPISODE_COUNT"
    EPISODE_COUNT_DESC = "EPISODE_COUNT_DESC"
    SCENE_COUNT = "SCENE_COUNT"
    SCENE_COUNT_DESC = "SCENE_COUNT_DESC"


@strawberry.enum(description="Orders for actors; the default is NAME.")
class ActorOrder(Enum):
    NAME = "NAME"
    NAME_DESC = "NAME_DESC"
    EPISODE_COUNT = "EPISODE_COUNT"
    EPISODE_COUNT_DESC = "EPISODE_COUNT_DESC"


@strawberry.enum(description="Orders for cast lists; the default is CHARACTER (by name).")
class PortrayalOrder(Enum):
    CHARACTER = "CHARACTER"
    ACTOR = "ACTOR"
    EPISODE_COUNT = "EPISODE_COUNT"
    EPISODE_COUNT_DESC = "EPISODE_COUNT_DESC"


def _natural(graph: ShowGraph, node: Any) -> Any:
    return graph.sort_key(node)


def _name(graph: ShowGraph, node: Any) -> Any:
    """The name alone: equal names keep their natural order (the sort is stable)."""
    return node.label.casefold()


def _episodes_of(graph: ShowGraph, node: Any) -> Sequence[Any]:
    """The episodes a show has, or an actor or character appears in."""
    if node.kind is NodeKind.SHOW:
        return graph.show_episodes(node.key)
    if node.kind is NodeKind.ACTOR:
        return graph.actor_episodes(node.key)
    return graph.character_episodes(node.key)


# What each order sorts by; the "_DESC" twin sorts by the same metric, reversed.
METRICS: dict[str, Metric] = {
    "NAME": _name,
    "TITLE": _name,
    "NUMBER": _natural,
    "EPISODE_COUNT": lambda g, n: len(_episodes_of(g, n)),
    "SCENE_COUNT": lambda g, n: len(g.character_scenes(n.key)),
    "PREMIERE_DATE": lambda g, n: n.data.premiere_date,
    "RELEASE_DATE": lambda g, n: n.data.release_date,
}
PORTRAYAL_METRICS: dict[str, Callable[[ShowGraph, Portrayal], Any]] = {
    "CHARACTER": lambda g, p: g.sort_key(g.require(p.character)),
    "ACTOR": lambda g, p: g.sort_key(g.require(p.actor)),
    "EPISODE_COUNT": lambda g, p: len(p.episodes),
}


def select(
    graph: ShowGraph,
    items: Sequence[T],
    where: Any | None,
    order: Enum | None,
    metrics: dict[str, Any] = METRICS,
) -> Sequence[T]:
    """What every listing does: keep the items ``where`` accepts, then sort them by ``order``."""
    return sort(graph, keep(items, where, graph), order, metrics)


def sort(
    graph: ShowGraph, items: Sequence[T], order: Enum | None, metrics: dict[str, Any] = METRICS
) -> Sequence[T]:
    """``items`` (already in natural order) sorted by ``order``, stably, missing values last."""
    if order is None:
        return items
    name = order.value.removesuffix("_DESC")
    descending = order.value.endswith("_DESC")
    metric = metrics[name]
    keyed = [(metric(graph, item), item) for item in items]
    present = [pair for pair in keyed if pair[0] is not None]
    missing = [item for value, item in keyed if value is None]
    present.sort(key=lambda pair: pair[0], reverse=descending)  # stable, even reversed
    return [item for _, item in present] + missing
