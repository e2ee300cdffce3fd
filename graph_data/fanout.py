"""How many edges of one relation the busiest node has: the graph's real fan-out.

The query cost (``server.cost``) needs, for every list a query can ask for, a
size that no node in the graph exceeds, so that its estimate is a true upper
bound of the work on the data being served, and close to it. Assuming a
fixed size per list (10, say) multiplies the estimate by 10 per level of
nesting and refuses ordinary queries; the largest real fan-out does not.

For each (node kind, relation, direction) this keeps a histogram: how many
nodes have each number of such edges. The maximum is the largest degree
with a node in it. A change moves one node from one degree to the next, so
the histogram stays exact through every write at the cost of counting that
node's edges; a graph built in bulk is measured once, in one pass, when it
is first asked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from typing import Any

from graph_data.kinds import NodeKind, Relation

# (kind of the node, relation, True for edges leaving it / False for edges reaching it)
Key = tuple[NodeKind, Relation, bool]

# Edge properties holding lists that a resolver returns (a portrayal's episodes):
# their longest length is kept the same way, keyed (relation, property).
LIST_PROPERTIES: tuple[tuple[Relation, str], ...] = ((Relation.PORTRAYS, "episodes"),)


class FanOut:
    """Degree histograms per ``Key``; see the module docstring."""

    def __init__(self) -> None:
        self._histograms: dict[Hashable, Counter[int]] = {}
        self._most: dict[Hashable, int] = {}

    @classmethod
    def measure(cls, nodes: Mapping[str, Any], succ: Mapping[str, Any]) -> FanOut:
        """The histograms of a whole graph (networkx's node and successor maps), in one pass."""
        fanout = cls()
        outgoing: Counter[tuple[str, Relation]] = Counter()
        incoming: Counter[tuple[str, Relation]] = Counter()
        for u, targets in succ.items():
            for v, edges in targets.items():
                for relation, attrs in edges.items():
                    outgoing[(u, relation)] += 1
                    incoming[(v, relation)] += 1
                    fanout.edge_properties(relation, attrs, +1)
        for counts, direction in ((outgoing, True), (incoming, False)):
            for (key, relation), degree in counts.items():
                kind = nodes[key].get("kind")
                if kind is not None:
                    fanout._move((kind, relation, direction), 0, degree)
        return fanout

    def most(self, kind: NodeKind, relation: Relation, outgoing: bool = True) -> int:
        """The largest number of ``relation`` edges any ``kind`` node has in that direction."""
        return self._most.get((kind, relation, outgoing), 0)

    def longest(self, relation: Relation, name: str) -> int:
        """The longest list an edge of ``relation`` holds in its property ``name``."""
        return self._most.get((relation, name), 0)

    def edge_properties(self, relation: Relation, attrs: Mapping[str, Any], change: int) -> None:
        """Count the list properties of an edge that came (+1) or went (-1)."""
        for tracked, name in LIST_PROPERTIES:
            if relation == tracked:
                value = attrs.get(name)
                if value:
                    length = len(value)
                    if change > 0:
                        self._move((relation, name), 0, length)
                    else:
                        self._move((relation, name), length, 0)

    def moved(self, key: Key, before: int, after: int) -> None:
        """One node of ``key[0]`` went from ``before`` to ``after`` such edges."""
        if before != after:
            self._move(key, before, after)

    def _move(self, key: Hashable, before: int, after: int) -> None:
        histogram = self._histograms.setdefault(key, Counter())
        if before:
            histogram[before] -= 1
            if not histogram[before]:
                del histogram[before]
        if after:
            histogram[after] += 1
        most = self._most.get(key, 0)
        if after > most:
            self._most[key] = after
        elif before == most and before not in histogram:
            self._most[key] = max(histogram, default=0)
