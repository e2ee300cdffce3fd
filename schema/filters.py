"""`where` inputs: what each connection can be filtered by, and how they combine.

Every ``XWhere`` input lists conditions on its own fields, conditions through
relations ("actors whose characters match", "characters who appear in these
episodes": *some* related node matches), and ``AND``/``OR``/``NOT`` to compose
whole inputs. Fields given together in one input combine with AND; an empty
input matches everything. Comparisons themselves live in ``graph_data.filters``.

Each input turns into a predicate over graph nodes with ``predicate(graph)``;
resolvers then keep the nodes it accepts, in the connection's order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import strawberry

from graph_data import GraphNode, ShowGraph
from graph_data.dates import PartialDate
from graph_data.filters import name_matcher, node_names, value_matches
from graph_data.kinds import CastRole, NodeKind, Relation, SeasonStatus, SourceKind
from graph_data.text import fold
from schema.errors import UserError
from schema.relay import decode_id

Predicate = Callable[[Any], bool]


# --- filters on single values -------------------------------------------------


@strawberry.input(description="Case- and accent-insensitive name filter; fields combine with AND.")
class NameFilter:
    eq: str | None = strawberry.field(default=None, description="Equal to this name.")
    contains: str | None = strawberry.field(default=None, description="Contains this text.")
    in_: list[str] | None = strawberry.field(
        default=None, name="in", description="Equal to one of these names."
    )

    def matcher(self) -> Callable[[Sequence[str]], bool]:
        """Whether some name satisfies each condition given: one test for every node of a
        request, its values folded once."""
        return name_matcher(eq=self.eq, contains=self.contains, in_=self.in_)


@strawberry.input(description="Conditions on a number; fields combine with AND.")
class IntFilter:
    eq: int | None = strawberry.field(default=None, description="Equal to.")
    gt: int | None = strawberry.field(default=None, description="Greater than.")
    gte: int | None = strawberry.field(default=None, description="Greater than or equal to.")
    lt: int | None = strawberry.field(default=None, description="Less than.")
    lte: int | None = strawberry.field(default=None, description="Less than or equal to.")

    def matches(self, value: int | None) -> bool:
        return value_matches(value, eq=self.eq, gt=self.gt, gte=self.gte, lt=self.lt, lte=self.lte)


@strawberry.input(
    description="Conditions on a date; fields combine with AND. A date of lower precision "
    'compares as its first day: "2022-09" is after "2022-08-31" and before "2022-09-01".'
)
class DateFilter:
    eq: PartialDate | None = strawberry.field(
        default=None, description="Equal to (same precision)."
    )
    gt: PartialDate | None = strawberry.field(default=None, description="After.")
    gte: PartialDate | None = strawberry.field(default=None, description="On or after.")
    lt: PartialDate | None = strawberry.field(default=None, description="Before.")
    lte: PartialDate | None = strawberry.field(default=None, description="On or before.")

    def matches(self, value: PartialDate | None) -> bool:
        return value_matches(value, eq=self.eq, gt=self.gt, gte=self.gte, lt=self.lt, lte=self.lte)


@strawberry.input(description="Conditions on a global id.")
class IDFilter:
    eq: strawberry.ID | None = strawberry.field(default=None, description="This id.")
    in_: list[strawberry.ID] | None = strawberry.field(
        default=None, name="in", description="One of these ids."
    )

    def matches(self, key: str) -> bool:
        eq = decode_id(self.eq) if self.eq is not None else None
        wanted = {decode_id(i) for i in self.in_} if self.in_ is not None else None
        return value_matches(key, eq=eq, in_=wanted)


@strawberry.input(description="Conditions on a season status.")
class SeasonStatusFilter:
    eq: SeasonStatus | None = strawberry.field(default=None, description="Equal to.")
    in_: list[SeasonStatus] | None = strawberry.field(
        default=None, name="in", description="One of these."
    )

    def matches(self, value: SeasonStatus) -> bool:
        return value_matches(value, eq=self.eq, in_=self.in_)


@strawberry.input(description="Conditions on a cast role.")
class CastRoleFilter:
    eq: CastRole | None = strawberry.field(default=None, description="Equal to.")
    in_: list[CastRole] | None = strawberry.field(
        default=None, name="in", description="One of these."
    )

    def matches(self, value: CastRole) -> bool:
        return value_matches(value, eq=self.eq, in_=self.in_)


@strawberry.input(description="Conditions on a source kind.")
class SourceKindFilter:
    eq: SourceKind | None = strawberry.field(default=None, description="Equal to.")
    in_: list[SourceKind] | None = strawberry.field(
        default=None, name="in", description="One of these."
    )

    def matches(self, value: SourceKind) -> bool:
        return value_matches(value, eq=self.eq, in_=self.in_)


# --- composing conditions ------------------------------------------------------


class _Where(Protocol):
    @property
    def and_(self) -> Sequence[Any] | None: ...
    @property
    def or_(self) -> Sequence[Any] | None: ...
    @property
    def not_(self) -> Any | None: ...

    def conditions(self, graph: ShowGraph) -> list[Predicate]: ...


def _compose(where: _Where, graph: ShowGraph) -> Predicate:
    """One predicate for a whole input: its own conditions AND the AND/OR/NOT lists."""
    checks = where.conditions(graph)
    if where.and_:
        checks += [_compose(w, graph) for w in where.and_]
    if where.or_ is not None:
        options = [_compose(w, graph) for w in where.or_]
        checks.append(lambda item: any(option(item) for option in options))
    if where.not_ is not None:
        negated = _compose(where.not_, graph)
        checks.append(lambda item: not negated(item))
    return lambda item: all(check(item) for check in checks)


class Composable:
    """What every ``XWhere`` shares: turning itself, AND/OR/NOT included, into one predicate."""

    def predicate(self, graph: ShowGraph) -> Predicate:
        return _compose(self, graph)  # type: ignore[arg-type]


def _some(related: Callable[[Any], Sequence[Any]], predicate: Predicate) -> Predicate:
    """True when some related item satisfies ``predicate``."""
    return lambda item: any(predicate(other) for other in related(item))


def _field(getter: Callable[[Any], Any], check: Callable[[Any], bool]) -> Predicate:
    return lambda item: check(getter(item))


def _id(where: Any) -> list[Predicate]:
    return [_field(lambda n: n.key, where.id.matches)] if where.id else []


def keep(items: Sequence[Any], where: Any | None, graph: ShowGraph) -> Sequence[Any]:
    """The items that satisfy ``where`` (all of them when it is None), in their order."""
    if where is None:
        return items
    predicate = where.predicate(graph)
    return [item for item in items if predicate(item)]


def matching(graph: ShowGraph, kind: NodeKind, where: Any | None) -> Sequence[GraphNode[Any]]:
    """The nodes of ``kind`` that ``where`` accepts, in natural order: a top-level listing.

    The ``candidates`` tested against the whole ``where``; what testing every
    node gives (property-tested against brute force in
    ``tests/schema/test_filters_properties.py``). A ``where`` that is only a
    name's ``eq`` or ``in`` is the name table's answer as it is: the table
    holds exactly the folded names that ``NameFilter`` compares
    (``node_names``), so testing its nodes again would keep them all (for
    (f) of ``bench/inprocess.py``, about 6 % of a request).
    """
    wanted = _names_only(kind, where)
    if wanted is not None:
        return graph.named(kind, {fold(each) for each in wanted})
    return keep(candidates(graph, kind, where), where, graph)


def _names_only(kind: NodeKind, where: Any | None) -> list[str] | None:
    """The names of a ``where`` that says nothing but ``name: {eq}`` or ``name: {in}``."""
    if where is None:
        return None
    name = getattr(where, "name", None)
    if not isinstance(name, NameFilter) or kind is NodeKind.EPISODE or name.contains is not None:
        return None
    if (name.eq is None) == (name.in_ is None):
        return None  # neither (no bound), or both (both must hold)
    for other in where.__strawberry_definition__.fields:
        if other.python_name != "name" and getattr(where, other.python_name) is not None:
            return None
    return [name.eq] if name.eq is not None else name.in_


def candidates(graph: ShowGraph, kind: NodeKind, where: Any | None) -> Sequence[GraphNode[Any]]:
    """The nodes of ``kind`` a top-level listing tests ``where`` on, in natural order.

    Every node of the kind, unless ``where`` names a starting point that
    bounds its matches (``_start``): then only the nodes reached from it.
    ``matching`` applies the whole ``where`` to them; this only spares
    testing nodes that cannot match. At 1M nodes ``characters(where: {show: {name:
    {eq}}, name: {contains}})`` tested 45,000 characters (273 ms), then
    1,471 shows by name (4 ms); from the show's name in the name table it
    visits one show and its ~30 characters.
    """
    found = _start(graph, kind, where)
    if found is None:
        return graph.nodes_of(kind)
    return sorted(found.values(), key=graph.sort_key)


Found = dict[str, GraphNode[Any]]


def _start(graph: ShowGraph, kind: NodeKind, where: Any | None) -> Found | None:
    """A superset of the ``kind`` nodes ``where`` accepts, by key; None when none is cheap.

    Only conditions every match must meet can bound the matches: the
    input's own fields and its ``AND`` list, never ``OR`` or ``NOT``. The
    starting points: ids (``id: {eq | in}``), names (``name: {eq | in}``,
    the graph's name table), and relations whose own condition has a
    starting point, followed to their neighbours (a show's characters, a
    character's actors, episodes and seasons, a season's episodes, ...).
    Shows are few, so a condition on the show is worth testing every show
    for. Of several starting points the smallest is used.
    """
    if where is None:
        return None
    options: list[Found] = []
    if (ids := _ids(graph, kind, getattr(where, "id", None))) is not None:
        options.append(ids)
    name = getattr(where, "name", None)
    if isinstance(name, NameFilter) and kind is not NodeKind.EPISODE:
        wanted = [name.eq] if name.eq is not None else name.in_
        if wanted is not None:
            options.append({n.key: n for n in graph.named(kind, {fold(w) for w in wanted})})
    for field_name, other, neighbours in _RELATIONS.get(kind, ()):
        condition = getattr(where, field_name, None)
        if condition is None:
            continue
        related = _start(graph, other, condition)
        if related is None:
            if other is not NodeKind.SHOW:
                continue  # no cheaper than testing every node of ``kind``
            related = {n.key: n for n in graph.nodes_of(NodeKind.SHOW)}
        found: Found = {}
        for node in keep(list(related.values()), condition, graph):
            for item in neighbours(graph, node.key):
                found[item.key] = item
        options.append(found)
    for each in getattr(where, "and_", None) or ():
        narrowed = _start(graph, kind, each)
        if narrowed is not None:
            options.append(narrowed)
    return min(options, key=len) if options else None


def _ids(graph: ShowGraph, kind: NodeKind, condition: IDFilter | None) -> Found | None:
    """The nodes an ``id: {eq | in}`` names, of the right kind; None when it names none."""
    if condition is None:
        return None
    wanted = [condition.eq] if condition.eq is not None else condition.in_
    if wanted is None:
        return None
    try:
        keys = [decode_id(each) for each in wanted]
    except UserError:  # refused when a node is tested, as it always was
        return None
    found: Found = {}
    for key in keys:
        node = graph.node(key)
        if node is not None and node.kind is kind:
            found[key] = node
    return found


Neighbours = Callable[[ShowGraph, str], Sequence[GraphNode[Any]]]

# kind -> (where field, kind of its condition, the kind's nodes some such node leads to).
# Each list holds every node for which that related node can be the one that matches:
# ``CharacterWhere.show`` asks ``character_show``, so a show leads to ``show_characters``.
_RELATIONS: dict[NodeKind, tuple[tuple[str, NodeKind, Neighbours], ...]] = {
    NodeKind.CHARACTER: (
        ("show", NodeKind.SHOW, lambda g, key: g.show_characters(key)),
        ("actors", NodeKind.ACTOR, lambda g, key: g.out(key, Relation.PORTRAYS)),
        ("episodes", NodeKind.EPISODE, lambda g, key: g.episode_characters(key)),
        ("seasons", NodeKind.SEASON, lambda g, key: g.season_characters(key)),
    ),
    NodeKind.ACTOR: (
        ("characters", NodeKind.CHARACTER, lambda g, key: g.into(key, Relation.PORTRAYS)),
    ),
    NodeKind.SEASON: (("show", NodeKind.SHOW, lambda g, key: g.seasons(key)),),
    NodeKind.EPISODE: (
        ("season", NodeKind.SEASON, lambda g, key: g.episodes(key)),
        ("characters", NodeKind.CHARACTER, lambda g, key: g.character_episodes(key)),
    ),
    NodeKind.SHOW: (("characters", NodeKind.CHARACTER, lambda g, key: [g.character_show(key)]),),
}


# --- one input per type ------------------------------------------------------------


@strawberry.input(description="Conditions on shows; fields combine with AND.")
class ShowWhere(Composable):
    id: IDFilter | None = strawberry.field(default=None, description="The show's id.")
    name: NameFilter | None = strawberry.field(default=None, description="The show's name.")
    network: NameFilter | None = strawberry.field(default=None, description="Its network.")
    genre: NameFilter | None = strawberry.field(default=None, description="One of its genres.")
    season_count: IntFilter | None = strawberry.field(
        default=None, description="Number of seasons recorded."
    )
    episode_count: IntFilter | None = strawberry.field(
        default=None, description="Number of episodes recorded."
    )
    characters: CharacterWhere | None = strawberry.field(
        default=None, description="Some character of the show matches."
    )
    and_: list[ShowWhere] | None = strawberry.field(
        default=None, name="AND", description="All match."
    )
    or_: list[ShowWhere] | None = strawberry.field(
        default=None, name="OR", description="One matches."
    )
    not_: ShowWhere | None = strawberry.field(
        default=None, name="NOT", description="Does not match."
    )

    def conditions(self, graph: ShowGraph) -> list[Predicate]:
        checks = _id(self)
        if self.name:
            checks.append(_field(node_names, self.name.matcher()))
        if self.network:
            network = self.network.matcher()
            checks.append(lambda n: n.data.network is not None and network([n.data.network]))
        if self.genre:
            checks.append(_field(lambda n: n.data.genres, self.genre.matcher()))
        if self.season_count:
            checks.append(_field(lambda n: len(graph.seasons(n.key)), self.season_count.matches))
        if self.episode_count:
            checks.append(
                _field(lambda n: len(graph.show_episodes(n.key)), self.episode_count.matches)
            )
        if self.characters:
            character = self.characters.predicate(graph)
            checks.append(_some(lambda n: graph.show_characters(n.key), character))
        return checks


@strawberry.input(description="Conditions on seasons; fields combine with AND.")
class SeasonWhere(Composable):
    id: IDFilter | None = strawberry.field(default=None, description="The season's id.")
    number: IntFilter | None = strawberry.field(default=None, description="Season number.")
    status: SeasonStatusFilter | None = strawberry.field(default=None, description="Its status.")
    premiere_date: DateFilter | None = strawberry.field(default=None, description="Premiere date.")
    show: ShowWhere | None = strawberry.field(default=None, description="Its show matches.")
    and_: list[SeasonWhere] | None = strawberry.field(
        default=None, name="AND", description="All match."
    )
    or_: list[SeasonWhere] | None = strawberry.field(
        default=None, name="OR", description="One matches."
    )
    not_: SeasonWhere | None = strawberry.field(
        default=None, name="NOT", description="Does not match."
    )

    def conditions(self, graph: ShowGraph) -> list[Predicate]:
        checks = _id(self)
        if self.number:
            checks.append(_field(lambda n: n.data.number, self.number.matches))
        if self.status:
            checks.append(_field(lambda n: n.data.status, self.status.matches))
        if self.premiere_date:
            checks.append(_field(lambda n: n.data.premiere_date, self.premiere_date.matches))
        if self.show:
            show = self.show.predicate(graph)
            checks.append(lambda n: show(graph.season_show(n.key)))
        return checks


@strawberry.input(description="Conditions on episodes; fields combine with AND.")
class EpisodeWhere(Composable):
    id: IDFilter | None = strawberry.field(default=None, description="The episode's id.")
    title: NameFilter | None = strawberry.field(default=None, description="Its title.")
    number: IntFilter | None = strawberry.field(default=None, description="Number in its season.")
    release_date: DateFilter | None = strawberry.field(default=None, description="Release date.")
    season: SeasonWhere | None = strawberry.field(default=None, description="Its season matches.")
    characters: CharacterWhere | None = strawberry.field(
        default=None, description="Some character appearing in the episode matches."
    )
    and_: list[EpisodeWhere] | None = strawberry.field(
        default=None, name="AND", description="All match."
    )
    or_: list[EpisodeWhere] | None = strawberry.field(
        default=None, name="OR", description="One matches."
    )
    not_: EpisodeWhere | None = strawberry.field(
        default=None, name="NOT", description="Does not match."
    )

    def conditions(self, graph: ShowGraph) -> list[Predicate]:
        checks = _id(self)
        if self.title:
            checks.append(_field(lambda n: [n.data.title or ""], self.title.matcher()))
        if self.number:
            checks.append(_field(lambda n: n.data.number, self.number.matches))
        if self.release_date:
            checks.append(_field(lambda n: n.data.release_date, self.release_date.matches))
        if self.season:
            season = self.season.predicate(graph)
            checks.append(lambda n: season(graph.episode_season(n.key)))
        if self.characters:
            character = self.characters.predicate(graph)
            checks.append(_some(lambda n: graph.episode_characters(n.key), character))
        return checks


@strawberry.input(description="Conditions on characters; fields combine with AND.")
class CharacterWhere(Composable):
    id: IDFilter | None = strawberry.field(default=None, description="The character's id.")
    name: NameFilter | None = strawberry.field(
        default=None, description="Any of the character's names: name, full name or alias."
    )
    show: ShowWhere | None = strawberry.field(default=None, description="Their show matches.")
    actors: ActorWhere | None = strawberry.field(
        default=None, description="Some actor playing the character matches."
    )
    episodes: EpisodeWhere | None = strawberry.field(
        default=None, description="The character appears in some matching episode."
    )
    seasons: SeasonWhere | None = strawberry.field(
        default=None,
        description="The character is seen in some matching season (episodes, scenes or stills).",
    )
    episode_count: IntFilter | None = strawberry.field(
        default=None, description="Number of episodes the character appears in."
    )
    scene_count: IntFilter | None = strawberry.field(
        default=None, description="Number of scenes and stills the character appears in."
    )
    and_: list[CharacterWhere] | None = strawberry.field(
        default=None, name="AND", description="All match."
    )
    or_: list[CharacterWhere] | None = strawberry.field(
        default=None, name="OR", description="One matches."
    )
    not_: CharacterWhere | None = strawberry.field(
        default=None, name="NOT", description="Does not match."
    )

    def conditions(self, graph: ShowGraph) -> list[Predicate]:
        checks = _id(self)
        if self.name:
            checks.append(_field(node_names, self.name.matcher()))
        if self.show:
            show = self.show.predicate(graph)
            checks.append(lambda n: show(graph.character_show(n.key)))
        if self.actors:
            actor = self.actors.predicate(graph)
            checks.append(_some(lambda n: graph.into(n.key, Relation.PORTRAYS), actor))
        if self.episodes:
            episode = self.episodes.predicate(graph)
            checks.append(_some(lambda n: graph.character_episodes(n.key), episode))
        if self.seasons:
            season = self.seasons.predicate(graph)
            checks.append(_some(lambda n: graph.character_seasons(n.key), season))
        if self.episode_count:
            count = self.episode_count
            checks.append(lambda n: count.matches(len(graph.character_episodes(n.key))))
        if self.scene_count:
            scenes = self.scene_count
            checks.append(lambda n: scenes.matches(len(graph.character_scenes(n.key))))
        return checks


@strawberry.input(description="Conditions on actors; fields combine with AND.")
class ActorWhere(Composable):
    id: IDFilter | None = strawberry.field(default=None, description="The actor's id.")
    name: NameFilter | None = strawberry.field(default=None, description="The actor's name.")
    characters: CharacterWhere | None = strawberry.field(
        default=None, description="Some character the actor plays matches."
    )
    shows: ShowWhere | None = strawberry.field(
        default=None, description="Some show the actor appears in matches."
    )
    episode_count: IntFilter | None = strawberry.field(
        default=None, description="Number of episodes the actor appears in."
    )
    and_: list[ActorWhere] | None = strawberry.field(
        default=None, name="AND", description="All match."
    )
    or_: list[ActorWhere] | None = strawberry.field(
        default=None, name="OR", description="One matches."
    )
    not_: ActorWhere | None = strawberry.field(
        default=None, name="NOT", description="Does not match."
    )

    def conditions(self, graph: ShowGraph) -> list[Predicate]:
        checks = _id(self)
        if self.name:
            checks.append(_field(node_names, self.name.matcher()))
        if self.characters:
            character = self.characters.predicate(graph)
            checks.append(_some(lambda n: graph.out(n.key, Relation.PORTRAYS), character))
        if self.shows:
            show = self.shows.predicate(graph)
            checks.append(_some(lambda n: graph.actor_shows(n.key), show))
        if self.episode_count:
            count = self.episode_count
            checks.append(lambda n: count.matches(len(graph.actor_episodes(n.key))))
        return checks


@strawberry.input(description="Conditions on portrayals (cast entries); fields combine with AND.")
class PortrayalWhere(Composable):
    role: CastRoleFilter | None = strawberry.field(default=None, description="The billing.")
    actor: ActorWhere | None = strawberry.field(default=None, description="The actor matches.")
    character: CharacterWhere | None = strawberry.field(
        default=None, description="The character matches."
    )
    episode_count: IntFilter | None = strawberry.field(
        default=None, description="Episodes the actor plays the character in."
    )
    and_: list[PortrayalWhere] | None = strawberry.field(
        default=None, name="AND", description="All match."
    )
    or_: list[PortrayalWhere] | None = strawberry.field(
        default=None, name="OR", description="One matches."
    )
    not_: PortrayalWhere | None = strawberry.field(
        default=None, name="NOT", description="Does not match."
    )

    def conditions(self, graph: ShowGraph) -> list[Predicate]:
        checks: list[Predicate] = []
        if self.role:
            checks.append(_field(lambda p: p.role, self.role.matches))
        if self.actor:
            actor = self.actor.predicate(graph)
            checks.append(lambda p: actor(graph.require(p.actor)))
        if self.character:
            character = self.character.predicate(graph)
            checks.append(lambda p: character(graph.require(p.character)))
        if self.episode_count:
            checks.append(_field(lambda p: len(p.episodes), self.episode_count.matches))
        return checks


@strawberry.input(description="Conditions on sources; fields combine with AND.")
class SourceWhere(Composable):
    kind: SourceKindFilter | None = strawberry.field(default=None, description="Kind of source.")
    title: NameFilter | None = strawberry.field(default=None, description="Its title.")
    and_: list[SourceWhere] | None = strawberry.field(
        default=None, name="AND", description="All match."
    )
    or_: list[SourceWhere] | None = strawberry.field(
        default=None, name="OR", description="One matches."
    )
    not_: SourceWhere | None = strawberry.field(
        default=None, name="NOT", description="Does not match."
    )

    def conditions(self, graph: ShowGraph) -> list[Predicate]:
        checks: list[Predicate] = []
        if self.kind:
            checks.append(_field(lambda n: n.data.kind, self.kind.matches))
        if self.title:
            checks.append(_field(lambda n: [n.data.title], self.title.matcher()))
        return checks
