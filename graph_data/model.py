"""The graph model: a typed face over one ``networkx.MultiDiGraph``.

Nodes are keyed ``kind:id`` (``actor:kit-connor``) and carry a ``GraphNode``
under the attribute ``node``; edges are keyed by their ``Relation`` and carry
their ``sources`` (and, for a portrayal, its role and episodes). Everything
above this module (resolvers, the command line, tests) asks these methods and
never walks networkx itself, so the storage can change without touching them.

Reads walk the adjacency (``G.succ`` / ``G.pred``) of one node at a time; no
query copies the graph.

Memory: a million-node graph has about five million edges, so what an edge
costs decides what the graph costs. networkx keeps, per edge, an entry in
both adjacency maps, a dict of keys (relations) and a dict of attributes.
Most edges carry nothing but a sources tuple that thousands of others share,
so equal attribute dicts, and equal one-relation key dicts, are one object
(``SharedDict``). Shared dicts refuse in-place changes; ``add_edge`` and
``remove_edge`` replace the dicts of the one pair they change (copy on
write), so a change never leaks into another edge. The graph is changed only
through this class's methods, never through networkx's ``add_edge``.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Generic, NoReturn, TypeVar, cast

import networkx as nx
from pydantic import BaseModel

from graph_data.fanout import FanOut
from graph_data.filters import node_names
from graph_data.kinds import CastRole, NodeKind, Relation
from graph_data.loader import Dataset
from graph_data.locks import RWLock
from graph_data.records import (
    FIELDS_OF,
    ActorFields,
    CharacterFields,
    CreatorFields,
    EpisodeFields,
    EventFields,
    SceneFields,
    SeasonFields,
    ShowFields,
    Sourced,
    SourceFields,
    WorkFields,
)
from graph_data.retries import RecentRequests
from graph_data.text import fold

F = TypeVar("F")
_LAST = 1 << 30  # sorts unnumbered scenes after numbered ones
_KIND_RANK = {kind: rank for rank, kind in enumerate(NodeKind)}
# What the sort keys of seasons and episodes depend on (``ShowGraph._compute_sort_key``).
_ORDERING = frozenset({Relation.HAS_SEASON, Relation.HAS_EPISODE})
_PARENTS = frozenset({NodeKind.SHOW, NodeKind.SEASON})


_MEASURING = threading.Lock()  # one fan-out measure at a time (ShowGraph.fanout)

_PREFIXES = {kind: f"{kind.value.lower()}:" for kind in NodeKind}


NO_FIELD_SOURCES: Mapping[str, tuple[str, ...]] = MappingProxyType({})


class SharedDict(dict[Any, Any]):
    """A dict that many edges hold at once, so it refuses to change in place.

    Edge attributes and one-relation key dicts are shared between edges (see
    the module docstring); changing one in place would change every edge that
    holds it. ``ShowGraph.add_edge`` builds new ones instead. Copies
    (``dict(d)``, ``d.copy()``) are plain dicts.
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(
            "edge attributes are shared between edges and cannot change in place; "
            "use ShowGraph.add_edge or remove_edge"
        )

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _refuse
    __ior__ = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))


def node_key(kind: NodeKind, local_id: str) -> str:
    """The graph key of a record: its kind in lower case, a colon, its id.

    Interned, so the many edges that name a node share one string.
    """
    return sys.intern(_PREFIXES[kind] + local_id)


@dataclass(frozen=True, slots=True)
class GraphNode(Generic[F]):
    """One node: its key, kind, facts, and the sources of those facts."""

    key: str
    kind: NodeKind
    data: F
    sources: tuple[str, ...]
    # Most nodes have no per-field sources: they share one empty, read-only mapping.
    field_sources: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: NO_FIELD_SOURCES)

    @property
    def local_id(self) -> str:
        return self.key.partition(":")[2]

    def sources_of(self, field_name: str) -> tuple[str, ...]:
        """The sources of one field (camelCase): its own if it has any, else the node's."""
        return self.field_sources.get(field_name, self.sources)

    @property
    def label(self) -> str:
        """A human name for the node: its name or title, else its id."""
        data: Any = self.data
        for attr in _label_fields(type(data)):
            value = getattr(data, attr, None)
            if value:
                return str(value)
        return self.local_id


_LABEL_FIELDS: dict[type, tuple[str, ...]] = {}


def _label_fields(record: type) -> tuple[str, ...]:
    """Which of ``name`` and ``title`` records of this type have, looked up once per type:
    asking a pydantic record for a field it lacks raises inside, which is slow."""
    found = _LABEL_FIELDS.get(record)
    if found is None:
        fields = getattr(record, "model_fields", None)
        found = tuple(a for a in ("name", "title") if fields is None or a in fields)
        _LABEL_FIELDS[record] = found
    return found


_NEW_NODE = GraphNode.__new__
_SET_NODE_FIELDS = tuple(
    getattr(GraphNode, name).__set__ for name in ("key", "kind", "data", "sources", "field_sources")
)


def make_node(
    key: str,
    kind: NodeKind,
    data: Any,
    sources: tuple[str, ...],
    field_sources: Mapping[str, tuple[str, ...]] = NO_FIELD_SOURCES,
) -> GraphNode[Any]:
    """``GraphNode(...)``, made three times faster for bulk loads.

    A frozen dataclass sets each field through ``object.__setattr__``; here
    the slots are set directly. The result is an ordinary ``GraphNode``.
    """
    node = _NEW_NODE(GraphNode)
    set_key, set_kind, set_data, set_sources, set_field_sources = _SET_NODE_FIELDS
    set_key(node, key)
    set_kind(node, kind)
    set_data(node, data)
    set_sources(node, sources)
    set_field_sources(node, field_sources)
    return node


@dataclass(frozen=True, slots=True)
class Portrayal:
    """An actor playing a character in a show; ``episodes`` are resolved keys."""

    actor: str
    character: str
    show: str
    role: CastRole
    credited_name: str | None
    episodes: tuple[str, ...]
    sources: tuple[str, ...]
    field_sources: Mapping[str, tuple[str, ...]]

    def sources_of(self, field_name: str) -> tuple[str, ...]:
        return self.field_sources.get(field_name, self.sources)


@dataclass(frozen=True, slots=True)
class Relationship:
    """A relationship seen from one character: its kind and the other character."""

    kind: str
    other: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CoStar:
    """Another actor and what two actors' characters share."""

    actor: str
    shared_episodes: int
    shared_scenes: int


_NO_EDGES: Mapping[Any, Any] = MappingProxyType({})


@dataclass(slots=True)
class _Derived:
    """Answers worked out from one state of the graph: a table per question, by key.

    ``ShowGraph._changed`` replaces the whole object, so no answer outlives
    the graph it was read from, and a lookup costs a dict ``get`` (no key
    tuple, no closure). Readers fill the tables concurrently; each entry is
    a finished, immutable value stored in one assignment, so a reader sees an
    answer whole or not at all.
    """

    out: dict[Relation, dict[str, tuple[GraphNode[Any], ...]]] = field(
        default_factory=lambda: {relation: {} for relation in Relation}
    )
    into: dict[Relation, dict[str, tuple[GraphNode[Any], ...]]] = field(
        default_factory=lambda: {relation: {} for relation in Relation}
    )
    episode_characters: dict[str, tuple[GraphNode[Any], ...]] = field(default_factory=dict)
    character_episodes: dict[str, tuple[GraphNode[Any], ...]] = field(default_factory=dict)
    portrayals: dict[tuple[str, str], Portrayal] = field(default_factory=dict)
    actor_portrayals: dict[str, tuple[Portrayal, ...]] = field(default_factory=dict)
    character_portrayals: dict[str, tuple[Portrayal, ...]] = field(default_factory=dict)
    above: dict[object, dict[Any, Any]] = field(default_factory=dict)  # see ShowGraph.memo


class ShowGraph:
    """The knowledge graph with typed accessors; see the module docstring."""

    def __init__(self, graph: nx.MultiDiGraph | None = None) -> None:
        self.graph: nx.MultiDiGraph = graph if graph is not None else nx.MultiDiGraph()
        self.version = 0
        self.lock = RWLock()  # readers share it; a change is applied under its write side
        self.requests = RecentRequests()  # clientMutationIds of recent changes (safe retries)
        # Every node by kind, unsorted; and each kind sorted, on its first use only
        # (at a million nodes, sorting every kind at once took seconds).
        self._groups: dict[NodeKind, dict[str, GraphNode[Any]]] | None = None
        # How many nodes of each kind: kept exact by every change, so that the
        # cost analysis, which runs before any lock is taken, reads it safely.
        self._counts: Counter[NodeKind] = Counter()
        self._by_kind: dict[NodeKind, list[GraphNode[Any]]] = {}
        self._sort_keys: dict[str, tuple[Any, ...]] = {}
        # Keys of each kind's nodes by the folded forms of their names (``named``):
        # a kind's table is built on its first lookup, then kept by every change.
        self._names: dict[NodeKind, dict[str, set[str]]] = {}
        # Answers derived from the graph (ordered neighbour lists, portrayals, ...),
        # kept until the next change; readers share them.
        self._derived = _Derived()
        # Shared edge dicts by content: attributes, and one-relation key dicts.
        self._attrs: dict[tuple[Any, ...], SharedDict] = {}
        self._keydicts: dict[tuple[Any, ...], SharedDict] = {}
        self._shared: set[int] = set()  # ids of the dicts in self._attrs
        # The busiest node's edges per relation (graph_data.fanout): measured on
        # first use, then kept exact by every change.
        self._fanout: FanOut | None = None
        # Whether neighbour dicts may be shared with a fork, and which are not (``fork``).
        self._borrowed = False
        self._owned: set[str] = set()

    # --- building ------------------------------------------------------------

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Around building a whole graph: no collector while it runs, then freeze.

        The collector is paused while millions of long-lived objects are made
        (it would scan them again and again for nothing), and what was built
        is then frozen out of its way.
        """
        enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            gc.freeze()  # before the collector is back, or its first pass walks everything
            if enabled:
                gc.enable()
            self._counts = Counter(a["kind"] for a in self.graph._node.values() if "kind" in a)
            self._groups = None
            self._names = {}
            self._changed()

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> ShowGraph:
        """Build the graph from validated records (see ``graph_data.loader``)."""
        model = cls()
        with model.bulk():
            _Builder(model).build(dataset)
        return model

    def fork(self) -> ShowGraph:
        """A copy to change apart from this graph (a read as of an older version).

        Copy on write: the two graphs share every node's attribute and
        neighbour dicts, and each copies a node's own (``_own``) before it next
        changes them, so forking costs three dict copies (20 ms at 100k nodes,
        where ``nx.MultiDiGraph.copy`` took 2.5 s and copying each node's dicts
        0.3 s). Nodes, edge attributes and key dicts are immutable and stay
        shared. The caller holds the read lock, so no change runs meanwhile.
        """
        source = self.graph
        graph = nx.MultiDiGraph()
        graph._node = dict(source._node)
        graph._succ = graph._adj = dict(source._succ)
        graph._pred = dict(source._pred)
        copy = ShowGraph(graph)
        copy.version = self.version
        copy._counts = Counter(self._counts)
        copy._borrowed = self._borrowed = True
        self._owned = set()  # this graph's dicts are shared again from now on
        return copy

    def _own(self, key: str) -> None:
        """In a fork, copy ``key``'s neighbour dicts before changing them (see ``fork``)."""
        if key not in self._owned:
            self._owned.add(key)
            graph = self.graph
            graph._succ[key] = dict(graph._succ[key])
            graph._pred[key] = dict(graph._pred[key])

    def add_node(self, node: GraphNode[Any]) -> None:
        """Add a node, or replace the one with the same key (its edges stay)."""
        self._put_node(node)
        self._changed(node.kind, node.key)

    def _put_node(self, node: GraphNode[Any]) -> None:
        graph = self.graph
        key = node.key
        if key not in graph._succ:
            graph._succ[key] = {}
            graph._pred[key] = {}
            self._counts[node.kind] += 1
            if self._borrowed:
                self._owned.add(key)
        # A new attribute dict, where networkx would update it: a fork shares the old one.
        attrs = graph._node.get(key)
        if attrs is not None:
            self._unname(attrs.get("node"))
        new = {"kind": node.kind, "node": node}
        graph._node[key] = new if attrs is None else {**attrs, **new}
        if self._groups is not None:
            self._groups[node.kind][key] = node
        names = self._names.get(node.kind)
        if names is not None:
            _name_node(names, node)
        nx._clear_cache(graph)

    def remove_node(self, key: str) -> None:
        """Remove a node and every edge touching it."""
        if key in self.graph._succ:
            for v, edges in list(self.graph._succ[key].items()):
                for relation in list(edges):
                    self._drop_edge(key, v, relation)
            for u, edges in list(self.graph._pred[key].items()):
                for relation in list(edges):
                    self._drop_edge(u, key, relation)
        attrs = self.graph._node.get(key, {})
        kind = attrs.get("kind")
        self._unname(attrs.get("node"))
        self.graph.remove_node(key)
        if kind is not None:
            self._counts[kind] -= 1
            if self._groups is not None:
                self._groups[kind].pop(key, None)
        self._changed(kind, key)

    def add_edge(
        self, u: str, v: str, relation: Relation, sources: Iterable[str], **props: Any
    ) -> None:
        """Add an edge, or replace the one with the same ends and relation."""
        self._put_edge(u, v, relation, self.edge_attrs(tuple(sources), props))
        self._changed(relation=relation)

    def edge_attrs(self, sources: tuple[str, ...], props: Mapping[str, Any]) -> SharedDict:
        """The attribute dict of an edge: one shared object per distinct content.

        ``props`` whose values cannot be hashed (a portrayal's field sources)
        give a dict of the edge's own, read-only all the same.
        """
        content = (sources, *props.items())
        try:
            found = self._attrs.get(content)
        except TypeError:  # unhashable property values: not shared
            return SharedDict(props, sources=sources)
        if found is None:
            found = self._attrs[content] = SharedDict(props, sources=sources)
            self._shared.add(id(found))
        return found

    def shared_keydict(self, relation: Relation, attrs: SharedDict) -> SharedDict:
        """The key dict ``{relation: attrs}`` of a pair with one edge, shared when attrs are."""
        content = (relation, id(attrs))
        keydict = self._keydicts.get(content)
        if keydict is None:
            keydict = SharedDict({relation: attrs})
            if id(attrs) in self._shared:  # kept alive by self._attrs: its id stays its own
                self._keydicts[content] = keydict
        return keydict

    def _put_edge(self, u: str, v: str, relation: Relation, attrs: SharedDict) -> None:
        """Set one edge in both adjacency maps; the pair's key dict is replaced, never changed.

        Replacing an edge first removes it, so it moves to the end, as with
        networkx's ``remove_edge`` then ``add_edge``.
        """
        graph = self.graph
        succ, pred = graph._succ, graph._pred
        for end in (u, v):
            if end not in succ:  # as networkx does: a missing end becomes a bare node
                succ[end] = {}
                pred[end] = {}
                graph._node[end] = {}
            elif self._borrowed:
                self._own(end)
        old = succ[u].get(v)
        if old is not None and relation in old:
            self._drop_edge(u, v, relation)
            old = succ[u].get(v)
        if old is None:
            keydict = self.shared_keydict(relation, attrs)
        else:
            keydict = SharedDict(old)
            dict.__setitem__(keydict, relation, attrs)
        succ[u][v] = keydict
        pred[v][u] = keydict
        nx._clear_cache(graph)
        self._count_edge(u, v, relation, attrs, +1)

    def remove_edge(self, u: str, v: str, relation: Relation) -> None:
        if relation not in self.graph._succ.get(u, {}).get(v, ()):
            raise nx.NetworkXError(f"The edge {u}-{v} with key {relation} is not in the graph.")
        self._drop_edge(u, v, relation)
        nx._clear_cache(self.graph)
        self._changed(relation=relation)

    def _drop_edge(self, u: str, v: str, relation: Relation) -> None:
        if self._borrowed:
            self._own(u)
            self._own(v)
        succ, pred = self.graph._succ, self.graph._pred
        dropped = succ[u][v][relation]
        rest = {key: attrs for key, attrs in succ[u][v].items() if key != relation}
        if rest:
            succ[u][v] = pred[v][u] = SharedDict(rest)
        else:
            del succ[u][v]
            del pred[v][u]
        self._count_edge(u, v, relation, dropped, -1)

    def _count_edge(
        self, u: str, v: str, relation: Relation, attrs: Mapping[str, Any], change: int
    ) -> None:
        """Keep the fan-out exact after one edge came (+1) or went (-1)."""
        fanout = self._fanout
        if fanout is None:  # not measured yet: it will be, whole, when first asked
            return
        fanout.edge_properties(relation, attrs, change)
        graph = self.graph
        for end, adjacency, outgoing in ((u, graph._succ, True), (v, graph._pred, False)):
            kind = graph._node[end].get("kind")
            if kind is not None:
                after = sum(relation in edges for edges in adjacency[end].values())
                fanout.moved((kind, relation, outgoing), after - change, after)

    @property
    def fanout(self) -> FanOut:
        """The largest number of edges of each relation a node has (``graph_data.fanout``).

        Measured once, in one pass over the edges (about 1 s at 100k nodes), by
        whichever reader asks first; the others wait for that one pass.
        """
        found = self._fanout
        if found is None:
            # The cost analysis may ask before any lock is taken: measure under
            # the read lock, so no change is applied halfway through the pass.
            with _MEASURING, self.lock.reading():
                found = self._fanout
                if found is None:
                    found = self._fanout = FanOut.measure(self.graph._node, self.graph._succ)
        return found

    def _changed(
        self, kind: NodeKind | None = None, key: str | None = None, relation: Relation | None = None
    ) -> None:
        """Forget what was derived from the old graph, as far as the change reaches.

        Neighbour tables always go. The sorted kinds go only where the change
        can reorder them: shows and seasons (their keys and numbers) and the
        HAS_SEASON / HAS_EPISODE links order the seasons and episodes under
        them, so those clear every order; any other node only its own kind's;
        other links none. (Clearing every order on every write made the next
        read re-sort whole kinds: 30 ms a read after each write at 100k nodes.)
        """
        self._derived = _Derived()
        if kind is not None and kind not in _PARENTS:
            self._by_kind.pop(kind, None)
            self._sort_keys.pop(key or "", None)
            return
        if relation is not None and relation not in _ORDERING:
            return
        self._by_kind = {}
        self._sort_keys.clear()

    def memo(self, question: object) -> dict[Any, Any]:
        """A table for what a layer above works out from this state of the graph.

        ``question`` is any hashable key (a name, or a class for its objects).
        The GraphQL layer keeps objects it builds from the model's answers
        here (an actor's characters as GraphQL objects, say), so that later
        requests reuse them; the table goes with the next change, as the
        model's own tables do. Fill it as they are filled: store a finished,
        immutable value in one assignment, since concurrent readers share it.
        """
        tables = self._derived.above
        found = tables.get(question)
        if found is None:
            found = tables.setdefault(question, {})  # atomic: racing readers get one table
        return found

    # --- nodes ---------------------------------------------------------------

    def node(self, key: str) -> GraphNode[Any] | None:
        """The node with this key, or None."""
        attrs = self.graph._node.get(key)  # the dict itself: networkx's NodeView.get is slow
        if attrs is None:
            return None
        node: GraphNode[Any] = attrs["node"]  # typed here, not by cast(): that is a call
        return node

    def require(self, key: str) -> GraphNode[Any]:
        """The node with this key, for keys read off an edge (an edge never outlives its ends).

        Reads the dict itself rather than calling ``node``: resolvers call this
        once per linked object.
        """
        attrs = self.graph._node.get(key)
        if attrs is None:
            raise LookupError(f"no node {key!r}: the graph is inconsistent")
        node: GraphNode[Any] = attrs["node"]
        return node

    def nodes_of(self, kind: NodeKind) -> Sequence[GraphNode[Any]]:
        """All nodes of a kind in their natural order (see ``sort_key``).

        Each kind is sorted on its first use, into a new list published whole,
        so a reader never sees a list being sorted.
        """
        found = self._by_kind.get(kind)
        if found is None:
            found = self._by_kind[kind] = sorted(self._grouped()[kind].values(), key=self.sort_key)
        return found

    def _grouped(self) -> dict[NodeKind, dict[str, GraphNode[Any]]]:
        """Every node by kind, unsorted: built on first use, then kept by every change."""
        groups = self._groups
        if groups is None:
            groups = {k: {} for k in NodeKind}
            for key, attrs in self.graph._node.items():
                if "kind" in attrs:
                    groups[attrs["kind"]][key] = attrs["node"]
            self._groups = groups
        return groups

    def named(self, kind: NodeKind, folded: Iterable[str]) -> list[GraphNode[Any]]:
        """The nodes of ``kind`` with a name (``node_names``) whose ``fold`` is in ``folded``.

        In natural order, as ``nodes_of`` lists them, so a filter on names can
        start from the few nodes that can match instead of testing every node
        of the kind: for (f) of ``bench/inprocess.py`` (an ``in`` of three
        names over 62 actors), the scan took about 140 of 400 µs a request.
        The table is built on the kind's first lookup (one pass over its nodes,
        under the read lock like every read) and kept exact by ``add_node``
        and ``remove_node``, which run under the write lock.
        """
        names = self._names.get(kind)
        if names is None:
            names = {}
            for node in self._grouped()[kind].values():
                _name_node(names, node)
            self._names[kind] = names
        keys: set[str] = set()
        for each in folded:
            keys.update(names.get(each, ()))
        return self._sorted(keys)

    def _unname(self, node: GraphNode[Any] | None) -> None:
        """Take a node that is going (or being replaced) out of its kind's name table."""
        if node is None:
            return
        names = self._names.get(node.kind)
        if names is None:
            return
        for name in node_names(node):
            folded = fold(name)
            keys = names.get(folded)
            if keys is not None:
                keys.discard(node.key)
                if not keys:
                    del names[folded]

    def count(self, kind: NodeKind) -> int:
        """How many nodes of ``kind``; safe without the read lock (one dict read)."""
        return self._counts[kind]

    def sort_key(self, node: GraphNode[Any]) -> tuple[Any, ...]:
        """Natural order: seasons and episodes by number, scenes by order, the rest by name."""
        found = self._sort_keys.get(node.key)
        if found is None:
            found = self._sort_keys[node.key] = self._compute_sort_key(node)
        return found

    def _compute_sort_key(self, node: GraphNode[Any]) -> tuple[Any, ...]:
        """The kind comes first, so a mixed list (scenes and episodes) still compares."""
        data: Any = node.data
        rank = _KIND_RANK[node.kind]
        if node.kind is NodeKind.SEASON:
            show = self.parent(node.key, Relation.HAS_SEASON)
            return (rank, show or "", data.number, node.key)
        if node.kind is NodeKind.EPISODE:
            season = self.node(self.parent(node.key, Relation.HAS_EPISODE) or "")
            season_order = self.sort_key(season) if season else ()
            return (rank, *season_order, data.number, node.key)
        if node.kind is NodeKind.SCENE:
            return (rank, data.order or _LAST, node.key)
        return (rank, node.label.casefold(), node.key)

    def sources(self, keys: Iterable[str]) -> list[GraphNode[SourceFields]]:
        """Source nodes for source keys, in the order given, without repeats."""
        found = (self.node(key) for key in dict.fromkeys(keys))
        return [node for node in found if node is not None]

    # --- walking the adjacency ----------------------------------------------

    def out(self, key: str, relation: Relation) -> tuple[GraphNode[Any], ...]:
        """Nodes that ``key`` points at through ``relation``, in natural order.

        Worked out once per node and relation until the next change, and
        shared by every caller: a tuple, so no caller can change it for the rest.
        """
        table = self._derived.out[relation]
        found = table.get(key)
        if found is None:
            found = table[key] = self._adjacent(self.graph._succ.get(key, _NO_EDGES), relation)
        return found

    def into(self, key: str, relation: Relation) -> tuple[GraphNode[Any], ...]:
        """Nodes that point at ``key`` through ``relation``, in natural order; shared as ``out``."""
        table = self._derived.into[relation]
        found = table.get(key)
        if found is None:
            found = table[key] = self._adjacent(self.graph._pred.get(key, _NO_EDGES), relation)
        return found

    def _adjacent(self, adjacency: Mapping[str, Any], relation: Relation) -> tuple[Any, ...]:
        return tuple(self._sorted(k for k, edges in adjacency.items() if relation in edges))

    def edge(self, u: str, v: str, relation: Relation) -> Mapping[str, Any] | None:
        """The attributes of one edge (its sources and properties), or None."""
        found = self.graph._succ.get(u, _NO_EDGES).get(v, _NO_EDGES).get(relation)
        return cast("Mapping[str, Any] | None", found)

    def parent(self, key: str, relation: Relation) -> str | None:
        """The key of the node that points at ``key`` through ``relation`` (its parent)."""
        for u, edges in self.graph._pred.get(key, _NO_EDGES).items():
            if relation in edges:
                return cast(str, u)
        return None

    def _sorted(self, keys: Iterable[str]) -> list[GraphNode[Any]]:
        attrs = self.graph._node
        nodes = [attrs[key]["node"] for key in keys]
        return sorted(nodes, key=self.sort_key)

    # --- shows, works and creators --------------------------------------------

    def seasons(self, show: str) -> tuple[GraphNode[SeasonFields], ...]:
        return self.out(show, Relation.HAS_SEASON)

    def show_characters(self, show: str) -> tuple[GraphNode[CharacterFields], ...]:
        return self.out(show, Relation.HAS_CHARACTER)

    def based_on(self, show: str) -> GraphNode[WorkFields] | None:
        works = self.out(show, Relation.BASED_ON)
        return works[0] if works else None

    def adaptations(self, work: str) -> tuple[GraphNode[ShowFields], ...]:
        return self.into(work, Relation.BASED_ON)

    def show_creators(self, show: str) -> tuple[GraphNode[CreatorFields], ...]:
        return self.into(show, Relation.CREATED)

    def authors(self, work: str) -> tuple[GraphNode[CreatorFields], ...]:
        return self.into(work, Relation.WROTE)

    def works(self, creator: str) -> tuple[GraphNode[WorkFields], ...]:
        return self.out(creator, Relation.WROTE)

    def creator_shows(self, creator: str) -> tuple[GraphNode[ShowFields], ...]:
        return self.out(creator, Relation.CREATED)

    def show_episodes(self, show: str) -> list[GraphNode[EpisodeFields]]:
        """Every episode of the show, in broadcast order."""
        return [e for season in self.seasons(show) for e in self.episodes(season.key)]

    def show_actors(self, show: str) -> list[GraphNode[ActorFields]]:
        return self._sorted({p.actor for p in self.portrayals_in_show(show)})

    def count_out(self, key: str, relation: Relation) -> int:
        """How many edges of ``relation`` leave ``key``, without building the list."""
        return sum(relation in edges for edges in self.graph._succ.get(key, _NO_EDGES).values())

    # --- seasons, episodes, scenes -------------------------------------------

    def season_show(self, season: str) -> GraphNode[ShowFields]:
        return self._parent(season, Relation.HAS_SEASON)

    def episodes(self, season: str) -> tuple[GraphNode[EpisodeFields], ...]:
        return self.out(season, Relation.HAS_EPISODE)

    def episode_season(self, episode: str) -> GraphNode[SeasonFields]:
        return self._parent(episode, Relation.HAS_EPISODE)

    def scenes(self, parent: str) -> tuple[GraphNode[SceneFields], ...]:
        """Scenes of an episode, or stills placed directly in a season."""
        return self.out(parent, Relation.HAS_SCENE)

    def scene_episode(self, scene: str) -> GraphNode[EpisodeFields] | None:
        parent = self._parent(scene, Relation.HAS_SCENE)
        return parent if parent.kind is NodeKind.EPISODE else None

    def scene_season(self, scene: str) -> GraphNode[SeasonFields]:
        parent = self._parent(scene, Relation.HAS_SCENE)
        return parent if parent.kind is NodeKind.SEASON else self.episode_season(parent.key)

    def scene_characters(self, scene: str) -> tuple[GraphNode[CharacterFields], ...]:
        return self.into(scene, Relation.APPEARS_IN)

    def episode_characters(self, episode: str) -> tuple[GraphNode[CharacterFields], ...]:
        """Characters seen in the episode, directly or in one of its scenes.

        Worked out once per episode until the next change (a deep query asks
        for every episode's characters), and shared as ``out`` is.
        """
        table = self._derived.episode_characters
        found = table.get(episode)
        if found is None:
            found = table[episode] = tuple(self._episode_characters(episode))
        return found

    def _episode_characters(self, episode: str) -> list[GraphNode[CharacterFields]]:
        keys = {node.key for node in self.into(episode, Relation.APPEARS_IN)}
        for scene in self.scenes(episode):
            keys.update(node.key for node in self.scene_characters(scene.key))
        return self._sorted(keys)

    def season_characters(self, season: str) -> list[GraphNode[CharacterFields]]:
        """Characters seen in the season: in its episodes, their scenes, or its stills."""
        keys = {c.key for e in self.episodes(season) for c in self.episode_characters(e.key)}
        for still in self.scenes(season):
            keys.update(c.key for c in self.scene_characters(still.key))
        return self._sorted(keys)

    def revealed_by(self, scene: str) -> tuple[GraphNode[EventFields], ...]:
        return self.into(scene, Relation.REVEALED)

    def revealed(self, event: str) -> tuple[GraphNode[SceneFields], ...]:
        return self.out(event, Relation.REVEALED)

    def _parent(self, key: str, relation: Relation) -> GraphNode[Any]:
        parent = self.parent(key, relation)
        if parent is None:  # the loader guarantees every child has its parent
            raise LookupError(f"{key} has no {relation} parent")
        return cast("GraphNode[Any]", self.graph._node[parent]["node"])

    # --- characters and actors -----------------------------------------------

    def character_show(self, character: str) -> GraphNode[ShowFields]:
        return self._parent(character, Relation.HAS_CHARACTER)

    def character_scenes(self, character: str) -> list[GraphNode[SceneFields]]:
        return [n for n in self.out(character, Relation.APPEARS_IN) if n.kind is NodeKind.SCENE]

    def character_episodes(self, character: str) -> tuple[GraphNode[EpisodeFields], ...]:
        """Episodes the character appears in, directly or through a scene (shared, as ``out``)."""
        table = self._derived.character_episodes
        found = table.get(character)
        if found is None:
            found = table[character] = tuple(self._character_episodes(character))
        return found

    def _character_episodes(self, character: str) -> list[GraphNode[EpisodeFields]]:
        keys = {
            n.key for n in self.out(character, Relation.APPEARS_IN) if n.kind is NodeKind.EPISODE
        }
        for scene in self.character_scenes(character):
            episode = self.scene_episode(scene.key)
            if episode is not None:
                keys.add(episode.key)
        return self._sorted(keys)

    def character_seasons(self, character: str) -> list[GraphNode[SeasonFields]]:
        """Seasons the character is seen in: through episodes, scenes or stills."""
        keys = {self.episode_season(e.key).key for e in self.character_episodes(character)}
        keys.update(self.scene_season(s.key).key for s in self.character_scenes(character))
        return self._sorted(keys)

    def relationships(self, character: str) -> list[Relationship]:
        """Relationships in both directions, as seen from this character."""
        found = [
            Relationship(attrs["kind"], v, attrs["sources"])
            for v, edges in self.graph._succ[character].items()
            for relation, attrs in edges.items()
            if relation == Relation.RELATED_TO
        ] + [
            Relationship(attrs["kind"], u, attrs["sources"])
            for u, edges in self.graph._pred[character].items()
            for relation, attrs in edges.items()
            if relation == Relation.RELATED_TO
        ]
        return sorted(
            found, key=lambda r: (r.kind, self.sort_key(self.graph._node[r.other]["node"]))
        )

    def portrayals_of_actor(self, actor: str) -> tuple[Portrayal, ...]:
        """The actor's portrayals, in the order of ``out(actor, PORTRAYS)`` (shared, as ``out``)."""
        table = self._derived.actor_portrayals
        found = table.get(actor)
        if found is None:
            characters = self.out(actor, Relation.PORTRAYS)
            found = table[actor] = tuple(self._portrayal(actor, c.key) for c in characters)
        return found

    def portrayals_of_character(self, character: str) -> tuple[Portrayal, ...]:
        """The character's portrayals, in the order of ``into(character, PORTRAYS)`` (shared)."""
        table = self._derived.character_portrayals
        found = table.get(character)
        if found is None:
            actors = self.into(character, Relation.PORTRAYS)
            found = table[character] = tuple(self._portrayal(a.key, character) for a in actors)
        return found

    def portrayals_in_show(self, show: str) -> list[Portrayal]:
        """The cast of a show: portrayals of its characters, by character then actor."""
        return [
            p
            for c in self.show_characters(show)
            for p in self.portrayals_of_character(c.key)
            if p.show == show
        ]

    def _portrayal(self, actor: str, character: str) -> Portrayal:
        """One link, made once: the actor's and the character's lists share it."""
        table = self._derived.portrayals
        found = table.get((actor, character))
        if found is None:
            found = table[(actor, character)] = self._make_portrayal(actor, character)
        return found

    def _make_portrayal(self, actor: str, character: str) -> Portrayal:
        attrs = self.graph._succ[actor][character][Relation.PORTRAYS]
        show: str = attrs["show"] or self.character_show(character).key
        episodes = attrs["episodes"]
        if episodes is None:
            episodes = tuple(
                e.key
                for e in self.character_episodes(character)
                if self.season_show(self.episode_season(e.key).key).key == show
            )
        return Portrayal(
            actor,
            character,
            show,
            attrs["role"],
            attrs["credited_name"],
            tuple(episodes),
            attrs["sources"],
            attrs["field_sources"],
        )

    def portrayal_scenes(self, link: Portrayal) -> list[GraphNode[SceneFields]]:
        """The character's scenes in the portrayal's show and episodes (stills included)."""
        found = []
        for scene in self.character_scenes(link.character):
            episode = self.scene_episode(scene.key)
            if episode is not None and episode.key not in link.episodes:
                continue
            if self.season_show(self.scene_season(scene.key).key).key == link.show:
                found.append(scene)
        return found

    def actor_episodes(self, actor: str) -> list[GraphNode[EpisodeFields]]:
        """Episodes the actor appears in, through any of their portrayals."""
        return self._sorted({e for p in self.portrayals_of_actor(actor) for e in p.episodes})

    def actor_shows(self, actor: str) -> list[GraphNode[ShowFields]]:
        return self._sorted({p.show for p in self.portrayals_of_actor(actor)})

    def co_stars(self, actor: str) -> list[CoStar]:
        """Actors sharing a show, most shared episodes first, then most shared scenes."""
        mine = self._appearances(actor)
        shows = {node.key for node in self.actor_shows(actor)}
        others = {p.actor for show in shows for p in self.portrayals_in_show(show)} - {actor}
        found = []
        for other in others:
            theirs = self._appearances(other)
            found.append(CoStar(other, len(mine[0] & theirs[0]), len(mine[1] & theirs[1])))
        return sorted(
            found,
            key=lambda c: (
                -c.shared_episodes,
                -c.shared_scenes,
                self.sort_key(self.graph._node[c.actor]["node"]),
            ),
        )

    def _appearances(self, actor: str) -> tuple[set[str], set[str]]:
        """(episode keys, scene keys) where any of the actor's portrayals appear."""
        episodes: set[str] = set()
        scenes: set[str] = set()
        for portrayal in self.portrayals_of_actor(actor):
            episodes.update(portrayal.episodes)
            scenes.update(s.key for s in self.character_scenes(portrayal.character))
        return episodes, scenes


def _name_node(names: dict[str, set[str]], node: GraphNode[Any]) -> None:
    """Enter a node in its kind's name table under each of its folded names."""
    for name in node_names(node):
        names.setdefault(fold(name), set()).add(node.key)


# Every node of a kind built from a record has all its fields set: one shared set
# per kind instead of one per node (pydantic keeps it for ``exclude_unset``; the
# facts are frozen, so nothing changes it).
_ALL_FIELDS: dict[NodeKind, set[str]] = {
    kind: set(model.model_fields) for kind, model in FIELDS_OF.items()
}


def lean_facts(kind: NodeKind, names: Sequence[str], columns: Sequence[Sequence[Any]]) -> list[Any]:
    """Facts of many nodes from validated columns (one per field, in ``names`` order).

    Built as ``model_construct`` builds them, without its per-call overhead,
    and sharing the kind's fields set; the values must be validated already.
    """
    model = FIELDS_OF[kind]
    if set(names) != set(model.model_fields):
        raise ValueError(f"{kind.value} facts need the fields {sorted(model.model_fields)}")
    fields = _ALL_FIELDS[kind]
    new = model.__new__
    set_dict, set_fields, set_extra, set_private = _SET_FACT_SLOTS
    built: list[Any] = []
    add = built.append
    # The dicts are made in C (map over zip); the loop only sets the slots.
    for values in map(dict, map(zip, repeat(names), zip(*columns, strict=True))):
        facts = new(model)
        set_dict(facts, values)
        set_fields(facts, fields)
        set_extra(facts, None)
        set_private(facts, None)
        add(facts)
    return built


# The slots pydantic gives every model, set directly (``lean_facts``).
_SET_FACT_SLOTS = tuple(
    vars(BaseModel)[name].__set__
    for name in (
        "__dict__",
        "__pydantic_fields_set__",
        "__pydantic_extra__",
        "__pydantic_private__",
    )
)


class _Builder:
    """Turns validated records into nodes and edges; links take their record's sources.

    Written for bulk: a million-node dataset makes about five million edges,
    and building them one ``add_edge``-like call each (shared dicts looked
    up, both ends checked, caches cleared) took 25 s. Here each kind's
    records are walked in one loop, node keys come from a table filled as
    the nodes are made, the key dict of an edge is found from its sources
    tuple in one lookup, and an edge between two known nodes that are not
    yet linked (all but a handful) is two dict stores. Anything else (an
    edge replacing another, a second relation between the same pair, an
    end that is not a node) goes through ``ShowGraph._put_edge``. Edges are
    made in the same order as one call per edge would make them, so every
    node's neighbours come out in the same order (``tests/graph_data/test_model.py``).
    """

    def __init__(self, model: ShowGraph) -> None:
        self.model = model
        self._tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._keys: dict[NodeKind, dict[str, str]] = {kind: {} for kind in NodeKind}
        # (relation, source ids) -> the key dict of an edge citing them and nothing else
        self._keydicts: dict[tuple[Relation, tuple[str, ...]], SharedDict] = {}
        graph = model.graph
        self._succ, self._pred = graph._succ, graph._pred

    def build(self, dataset: Dataset) -> None:
        for kind, records in dataset.nodes.items():
            self._nodes(kind, records)
        for kind, records in dataset.nodes.items():
            self._links_of(kind, records)
        k = self._key
        for link in dataset.links.get("portrayals", ()):
            self._edge(
                k(NodeKind.ACTOR, link.actor),
                k(NodeKind.CHARACTER, link.character),
                Relation.PORTRAYS,
                self._sources(link.sources),
                show=k(NodeKind.SHOW, link.show) if link.show else None,
                role=link.role,
                credited_name=link.credited_name,
                episodes=None
                if link.episodes is None
                else tuple(k(NodeKind.EPISODE, e) for e in link.episodes),
                field_sources=dict(self._field_sources(link)),  # plain JSON-like props
            )
        for link in dataset.links.get("relationships", ()):
            self._edge(
                k(NodeKind.CHARACTER, link.from_),
                k(NodeKind.CHARACTER, link.to),
                Relation.RELATED_TO,
                self._sources(link.sources),
                kind=link.kind,
            )
        link_edge = self._link
        for link in dataset.links.get("appearances", ()):
            link_edge(
                link,
                "-",
                k(NodeKind.CHARACTER, link.character),
                k(NodeKind.EPISODE, link.episode),
                Relation.APPEARS_IN,
            )
        nx._clear_cache(self.model.graph)

    def _edge(
        self, u: str, v: str, relation: Relation, sources: tuple[str, ...], **props: Any
    ) -> None:
        """An edge with properties (a portrayal, a relationship): the general path."""
        model = self.model
        model._put_edge(u, v, relation, model.edge_attrs(sources, props))

    def _key(self, kind: NodeKind, local_id: str) -> str:
        """The key of a record's node: from the table of nodes made, else made (and interned)."""
        return self._keys[kind].get(local_id) or node_key(kind, local_id)

    def _sources(self, ids: tuple[str, ...]) -> tuple[str, ...]:
        """Source keys; equal tuples are shared (most records of a show cite the same few)."""
        found = self._tuples.get(ids)
        if found is None:
            found = self._tuples[ids] = tuple(node_key(NodeKind.SOURCE, i) for i in ids)
        return found

    def _field_sources(self, record: Sourced) -> Mapping[str, tuple[str, ...]]:
        if not record.field_sources:
            return NO_FIELD_SOURCES
        return {name: self._sources(ids) for name, ids in record.field_sources.items()}

    def _nodes(self, kind: NodeKind, records: Sequence[Any]) -> None:
        """The nodes of one kind: facts built from columns, then one node each."""
        if not records:
            return
        names = list(FIELDS_OF[kind].model_fields)
        facts = lean_facts(kind, names, [list(map(attrgetter(n), records)) for n in names])
        model = self.model
        succ, pred, attrs = self._succ, self._pred, model.graph._node
        keys = self._keys[kind]
        ids = [record.id for record in records]
        prefix, intern = _PREFIXES[kind], sys.intern
        made = [intern(prefix + local_id) for local_id in ids]  # node_key, in one loop
        if isinstance(records[0], Sourced):
            sources_of, tuples = self._sources, self._tuples
            cited = [tuples.get(r.sources) or sources_of(r.sources) for r in records]
            field_sources = [
                self._field_sources(r) if r.field_sources else NO_FIELD_SOURCES for r in records
            ]
        else:  # a source cites itself
            cited = [(key,) for key in made]
            field_sources = [NO_FIELD_SOURCES] * len(records)
        new, slots = GraphNode.__new__, _SET_NODE_FIELDS
        set_key, set_kind, set_data, set_sources, set_field_sources = slots
        for key, data, sources, own in zip(made, facts, cited, field_sources, strict=True):
            node = new(GraphNode)  # make_node, written out: a million calls saved
            set_key(node, key)
            set_kind(node, kind)
            set_data(node, data)
            set_sources(node, sources)
            set_field_sources(node, own)
            if key in succ:
                model._put_node(node)
            else:  # _put_node, without what a bulk build does once at the end
                succ[key] = {}
                pred[key] = {}
                attrs[key] = {"kind": kind, "node": node}
        keys.update(zip(ids, made, strict=True))

    def _keydict(self, relation: Relation, ids: tuple[str, ...]) -> SharedDict:
        """The shared key dict of an edge of ``relation`` citing the sources ``ids``."""
        keydict = self._keydicts.get((relation, ids))
        if keydict is None:
            model = self.model
            attrs = model.edge_attrs(self._sources(ids), {})
            keydict = self._keydicts[(relation, ids)] = model.shared_keydict(relation, attrs)
        return keydict

    def _put(self, u: str, v: str, relation: Relation, keydict: SharedDict) -> None:
        """One edge: two dict stores when both ends are nodes not linked yet, else the full path."""
        ends = self._succ.get(u)
        if ends is None or v in ends or v not in self._pred:
            self.model._put_edge(u, v, relation, keydict[relation])
        else:
            ends[v] = keydict
            self._pred[v][u] = keydict

    def _link(self, record: Sourced, field_name: str, u: str, v: str, relation: Relation) -> None:
        """One edge a record declares, citing the record's sources for that field."""
        ids = (
            record.field_sources.get(field_name, record.sources)
            if record.field_sources
            else record.sources
        )
        self._put(u, v, relation, self._keydict(relation, ids))

    def _scenes(self, records: Sequence[Any]) -> None:
        """A scene's edges (its parent's, its characters'): most of a big graph's edges.

        The same edges as ``_link`` makes, with the key dicts looked up once per
        scene and the two dict stores written out here (4 of the 5 million
        edges of the 1M-node bench dataset are these).
        """
        keys, characters = self._keys[NodeKind.SCENE], self._keys[NodeKind.CHARACTER]
        episodes = self._keys[NodeKind.EPISODE]
        k, link, keydict_of, put = self._key, self._link, self._keydict, self._put
        succ, pred = self._succ, self._pred
        has_scene, appears_in = Relation.HAS_SCENE, Relation.APPEARS_IN
        pairs: dict[tuple[str, ...], tuple[SharedDict, SharedDict]] = {}  # by sources
        for record in records:
            key = keys[record.id]
            if record.field_sources:  # some field cites its own sources
                if record.episode:
                    link(record, "episode", k(NodeKind.EPISODE, record.episode), key, has_scene)
                else:
                    link(record, "season", k(NodeKind.SEASON, record.season), key, has_scene)
                for character in record.characters:
                    link(record, "characters", k(NodeKind.CHARACTER, character), key, appears_in)
                continue
            sources = record.sources
            found = pairs.get(sources)
            if found is None:
                found = pairs[sources] = (
                    keydict_of(has_scene, sources),
                    keydict_of(appears_in, sources),
                )
            parent_keydict, keydict = found
            if record.episode:
                parent = episodes.get(record.episode) or k(NodeKind.EPISODE, record.episode)
            else:
                parent = k(NodeKind.SEASON, record.season)
            into = pred.get(key)
            ends = succ.get(parent)
            if into is None or ends is None or key in ends:
                put(parent, key, has_scene, parent_keydict)
            else:
                ends[key] = parent_keydict
                into[parent] = parent_keydict
            for character in record.characters:
                u = characters.get(character) or k(NodeKind.CHARACTER, character)
                ends = succ.get(u)
                if into is None or ends is None or key in ends:
                    put(u, key, appears_in, keydict)
                else:
                    ends[key] = keydict
                    into[u] = keydict

    def _links_of(self, kind: NodeKind, records: Sequence[Any]) -> None:
        """The edges node records of one kind declare through their reference fields."""
        keys = self._keys[kind]
        k = self._key
        link = self._link
        match kind:
            case NodeKind.WORK:
                for record in records:
                    key = keys[record.id]
                    for author in record.authors:
                        link(record, "authors", k(NodeKind.CREATOR, author), key, Relation.WROTE)
            case NodeKind.SHOW:
                for record in records:
                    key = keys[record.id]
                    if record.based_on:
                        work = k(NodeKind.WORK, record.based_on)
                        link(record, "basedOn", key, work, Relation.BASED_ON)
                    for creator in record.creators:
                        link(
                            record, "creators", k(NodeKind.CREATOR, creator), key, Relation.CREATED
                        )
            case NodeKind.SEASON:
                for record in records:
                    show = k(NodeKind.SHOW, record.show)
                    link(record, "show", show, keys[record.id], Relation.HAS_SEASON)
            case NodeKind.EPISODE:
                for record in records:
                    season = k(NodeKind.SEASON, record.season)
                    link(record, "season", season, keys[record.id], Relation.HAS_EPISODE)
            case NodeKind.SCENE:
                self._scenes(records)
            case NodeKind.CHARACTER:
                for record in records:
                    show = k(NodeKind.SHOW, record.show)
                    link(record, "show", show, keys[record.id], Relation.HAS_CHARACTER)
            case NodeKind.EVENT:
                for record in records:
                    key = keys[record.id]
                    for scene in record.revealed:
                        link(record, "revealed", key, k(NodeKind.SCENE, scene), Relation.REVEALED)
