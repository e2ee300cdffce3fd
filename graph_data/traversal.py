"""Shortest paths and neighbourhoods, walking edges in either direction.

"How is Kit Connor linked to Tara?" does not care which way an edge points,
so both functions treat the graph as undirected, but they only ever read the
adjacency (``G.succ[n]`` and ``G.pred[n]``) of the nodes they reach: nothing
copies the graph, and the work grows with the part of the graph explored, not
with its size. Both can be limited to some relations, and both are
deterministic (ties go to the smaller key), so a client sees the same answer
for the same graph version.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, pairwise
from typing import Any

from graph_data.kinds import NodeKind, Relation
from graph_data.model import ShowGraph

MAX_PATH_LENGTH = 10
"""The longest path (in edges) ``shortest_path`` looks for."""

MAX_DEPTH = 3
"""The deepest ``neighborhood``; beyond it a neighbourhood is most of the graph."""


@dataclass(frozen=True, slots=True)
class Step:
    """One node of a path and the edge taken to reach it.

    ``via`` is that edge's relation (None for the first step); ``forward`` says
    the edge points from the previous node to this one (True for the first step).
    """

    key: str
    via: Relation | None
    forward: bool


@dataclass(frozen=True, slots=True)
class Edge:
    """One edge of the graph: ``source`` -``relation``-> ``target``, and the sources citing it."""

    source: str
    target: str
    relation: Relation
    sources: tuple[str, ...]


@dataclass(slots=True)
class Neighborhood:
    """The nodes around ``center`` with their distance, the edges among them, and
    whether nodes were left out to respect the limit."""

    center: str
    nodes: list[tuple[str, int]]
    edges: list[Edge]
    truncated: bool


class _Walker:
    """Undirected neighbours of a node, through the allowed relations and kinds only."""

    __slots__ = ("_allowed", "_kinds", "_nodes", "_pred", "_succ")

    def __init__(
        self,
        model: ShowGraph,
        relations: Iterable[Relation] | None,
        kinds: Iterable[NodeKind] | None = None,
    ) -> None:
        self._succ: Any = model.graph.succ
        self._pred: Any = model.graph.pred
        self._nodes: Any = model.graph.nodes
        self._allowed = None if relations is None else frozenset(relations)
        self._kinds = None if kinds is None else frozenset(kinds)

    def neighbours(self, key: str) -> Iterator[str]:
        """Nodes joined to ``key`` by an allowed edge either way (a node may repeat)."""
        if self._allowed is None:  # the common case, without a Python frame per neighbour
            found: Iterator[str] = chain(self._succ[key], self._pred[key])
        else:
            found = self._filtered(key, self._allowed)
        if self._kinds is None:
            return found
        kinds, nodes = self._kinds, self._nodes
        return (other for other in found if nodes[other]["kind"] in kinds)

    def _filtered(self, key: str, allowed: frozenset[Relation]) -> Iterator[str]:
        for adjacency in (self._succ[key], self._pred[key]):
            for other, edges in adjacency.items():
                if not allowed.isdisjoint(edges):
                    yield other

    def relations(self, source: str, target: str) -> list[Relation]:
        """Allowed relations of the edges ``source`` -> ``target``, sorted."""
        edges = self._succ[source].get(target, {})
        return sorted(Relation(r) for r in edges if self._allowed is None or r in self._allowed)


def _check_node(model: ShowGraph, key: str) -> None:
    if key not in model.graph:
        raise ValueError(f"no node has the key '{key}'")


def _check_range(name: str, value: int, maximum: int) -> None:
    if not 1 <= value <= maximum:
        raise ValueError(f"{name} must be between 1 and {maximum}, got {value}")


# --- shortest paths ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Meeting:
    """Where the two searches met: distances from each end, and how far each went.

    Every shortest path has length ``ahead + behind`` and its node at position
    ``ahead`` lies in ``middle``.
    """

    ahead_of: dict[str, int]
    behind_of: dict[str, int]
    ahead: int
    behind: int
    middle: set[str]


def shortest_path(
    model: ShowGraph,
    source: str,
    target: str,
    max_length: int = 6,
    relations: Collection[Relation] | None = None,
) -> list[Step] | None:
    """A shortest path between two nodes, following edges either way.

    A bidirectional breadth-first search: each round grows the smaller of the
    two frontiers by one level, until they touch, so it explores about the
    square root of what a one-sided search would. Among paths of equal length
    the one whose keys come first in sorted order, position by position, wins.

    Parameters
    ----------
    model : ShowGraph
        The graph.
    source, target : str
        Node keys; the path runs from ``source`` to ``target``.
    max_length : int
        The longest path wanted, in edges: 1 to ``MAX_PATH_LENGTH``.
    relations : collection of Relation, optional
        Only follow edges of these relations; all when None.

    Returns
    -------
    list of Step or None
        The nodes from ``source`` to ``target``, each with the edge taken to
        reach it; a single step when ``source == target``; None when no path of
        at most ``max_length`` edges exists.

    Raises
    ------
    ValueError
        If a key is not in the graph or ``max_length`` is out of range.

    Examples
    --------
    >>> from graph_data import load_graph
    >>> model = load_graph()
    >>> path = shortest_path(model, "actor:kit-connor", "character:tara-jones")
    >>> for step in path:
    ...     print(step.key, step.via, step.forward)
    actor:kit-connor None True
    character:nick-nelson PORTRAYS True
    show:heartstopper HAS_CHARACTER False
    character:tara-jones HAS_CHARACTER True
    >>> only = [Relation.PORTRAYS, Relation.APPEARS_IN, Relation.REVEALED]
    >>> path = shortest_path(model, "actor:kit-connor", "character:tara-jones", relations=only)
    >>> [s.key for s in path]  # doctest: +NORMALIZE_WHITESPACE
    ['actor:kit-connor', 'character:nick-nelson', 'scene:heartstopper-s2-still-nick-charlie',
     'event:tudum-brazil', 'scene:heartstopper-s2-still-tara-darcy', 'character:tara-jones']
    >>> shortest_path(model, "actor:kit-connor", "character:tara-jones", max_length=2) is None
    True
    """
    _check_node(model, source)
    _check_node(model, target)
    _check_range("max_length", max_length, MAX_PATH_LENGTH)
    walker = _Walker(model, relations)
    if source == target:
        return [Step(source, None, True)]
    meeting = _meet(walker, source, target, max_length)
    if meeting is None:
        return None
    return _steps(walker, _first_path(walker, source, meeting))


def _meet(walker: _Walker, source: str, target: str, max_length: int) -> _Meeting | None:
    """Grow the smaller frontier a level at a time until the two searches touch."""
    ahead_of, behind_of = {source: 0}, {target: 0}
    front, back = [source], [target]
    ahead = behind = 0
    while front and back and ahead + behind < max_length:
        if len(front) <= len(back):
            ahead += 1
            front = _grow(walker, front, ahead_of, ahead)
            middle = {key for key in front if key in behind_of}
        else:
            behind += 1
            back = _grow(walker, back, behind_of, behind)
            middle = {key for key in back if key in ahead_of}
        if middle:
            return _Meeting(ahead_of, behind_of, ahead, behind, middle)
    return None


def _grow(walker: _Walker, layer: list[str], seen: dict[str, int], depth: int) -> list[str]:
    """The next level of a breadth-first search, recording each new node's depth."""
    found: list[str] = []
    for key in layer:
        for other in walker.neighbours(key):
            if other not in seen:
                seen[other] = depth
                found.append(other)
    return found


def _first_path(walker: _Walker, source: str, meeting: _Meeting) -> list[str]:
    """The shortest path whose keys come first, position by position.

    Nodes on some shortest path are, up to position ``ahead``, those at that
    distance from ``source`` that lead to ``middle`` (found walking back from
    it); after it, those one step nearer ``target`` each time. Taking the
    smallest such neighbour at each position then gives the first path.
    """
    ahead, length = meeting.ahead, meeting.ahead + meeting.behind
    on_path: list[set[str]] = [set() for _ in range(ahead)] + [meeting.middle]
    for position in range(ahead - 1, -1, -1):
        on_path[position] = {
            other
            for key in on_path[position + 1]
            for other in walker.neighbours(key)
            if meeting.ahead_of.get(other) == position
        }
    path = [source]
    for position in range(1, length + 1):
        if position <= ahead:
            wanted = on_path[position]
            path.append(min(k for k in walker.neighbours(path[-1]) if k in wanted))
        else:
            left = length - position
            path.append(
                min(k for k in walker.neighbours(path[-1]) if meeting.behind_of.get(k) == left)
            )
    return path


def _steps(walker: _Walker, keys: list[str]) -> list[Step]:
    """Name the edge taken at each step: a forward edge if any, the first relation by name."""
    steps = [Step(keys[0], None, True)]
    for previous, key in pairwise(keys):
        forward = walker.relations(previous, key)
        via, is_forward = (
            (forward[0], True) if forward else (walker.relations(key, previous)[0], False)
        )
        steps.append(Step(key, via, is_forward))
    return steps


# --- neighbourhoods --------------------------------------------------------------


def neighborhood(
    model: ShowGraph,
    key: str,
    depth: int = 1,
    relations: Collection[Relation] | None = None,
    limit: int = 200,
    kinds: Collection[NodeKind] | None = None,
) -> Neighborhood:
    """The nodes within ``depth`` edges of ``key`` (either way) and the edges among them.

    Parameters
    ----------
    model : ShowGraph
        The graph.
    key : str
        The centre node's key.
    depth : int
        How many edges away to look: 1 to ``MAX_DEPTH``.
    relations : collection of Relation, optional
        Only follow, and only return, edges of these relations; all when None.
    limit : int
        The most nodes to return (the centre included), at least 1.
    kinds : collection of NodeKind, optional
        Only step onto nodes of these kinds (the centre is always included).

    Returns
    -------
    Neighborhood
        ``nodes`` as (key, distance) ordered by distance then key, the nearest
        ``limit`` of them; ``edges`` every edge (of the allowed relations)
        between two returned nodes, ordered by source, target, relation;
        ``truncated`` True when more nodes were within reach.

    Raises
    ------
    ValueError
        If ``key`` is not in the graph, ``depth`` is out of range or ``limit`` < 1.

    Examples
    --------
    >>> from graph_data import load_graph
    >>> around = neighborhood(load_graph(), "actor:kit-connor", depth=2, limit=3)
    >>> around.nodes
    [('actor:kit-connor', 0), ('character:nick-nelson', 1), ('character:charlie-spring', 2)]
    >>> edges = [(e.source, e.relation.value, e.target) for e in around.edges]
    >>> edges  # doctest: +NORMALIZE_WHITESPACE
    [('actor:kit-connor', 'PORTRAYS', 'character:nick-nelson'),
     ('character:nick-nelson', 'RELATED_TO', 'character:charlie-spring')]
    >>> around.truncated
    True
    """
    _check_node(model, key)
    _check_range("depth", depth, MAX_DEPTH)
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    allowed = None if relations is None else frozenset(relations)
    distance = _within(_Walker(model, allowed, kinds), key, depth, limit)
    nearest = heapq.nsmallest(limit, ((d, k) for k, d in distance.items()))
    nodes = [(k, d) for d, k in nearest]
    edges = _edges_among(model, [k for k, _ in nodes], allowed)
    return Neighborhood(key, nodes, edges, truncated=len(distance) > limit)


def _within(walker: _Walker, key: str, depth: int, limit: int) -> dict[str, int]:
    """Breadth-first distances up to ``depth``; stops early once a level exceeds ``limit``.

    Stopping after a whole level keeps the answer exact: every later node is
    farther than all the ones found, so it could not be among the nearest.
    """
    distance = {key: 0}
    layer = [key]
    for level in range(1, depth + 1):
        if len(distance) > limit or not layer:
            break
        layer = _grow(walker, layer, distance, level)
    return distance


def _edges_among(
    model: ShowGraph, keys: list[str], relations: frozenset[Relation] | None
) -> list[Edge]:
    """Edges with both ends in ``keys``; looks up ``keys`` in a hub's adjacency, not the reverse."""
    members = set(keys)
    succ: Any = model.graph.succ
    edges: list[Edge] = []
    for source in keys:
        adjacency = succ[source]
        if len(adjacency) > len(members):
            targets = [k for k in members if k in adjacency]
        else:
            targets = [k for k in adjacency if k in members]
        for target in targets:
            for relation, attrs in adjacency[target].items():
                if relations is None or relation in relations:
                    edges.append(
                        Edge(source, target, Relation(relation), tuple(attrs.get("sources", ())))
                    )
    edges.sort(key=lambda e: (e.source, e.target, e.relation))
    return edges
