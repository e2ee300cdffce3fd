"""What a change does to the graph it is made against: its undo, its facts and its links.

A change is a list of operations (``graph_data.changes``); the history needs
more: the graph before it (to read as of an older version, and to restore
one), and, for people, each fact's old and new value and each link put or
removed. All of it follows from the graph the change is made against, so it
is worked out once, when the change is made, and kept with it.

The operations of one change may build on each other (a new source, then a
node citing it; a cascade deleting children, then their parent), so they are
walked in order over a small overlay of what the earlier ones did, without
touching the graph. The undo is each operation's inverse, last one first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from graph_data.changes import (
    Change,
    DeleteEdge,
    DeleteNode,
    EdgeChange,
    EdgeChangeKind,
    FieldChange,
    Op,
    PutEdge,
    PutNode,
    edge_to_json,
    node_to_json,
)
from graph_data.kinds import Relation
from graph_data.model import ShowGraph

EdgeKey = tuple[str, str, Relation]


def make_change(
    model: ShowGraph,
    version: int,
    writer: str,
    ops: Sequence[Op],
    summary: str = "",
    *,
    note: str = "",
    client_mutation_id: str | None = None,
    result: Any = None,
) -> Change:
    """The change ``ops`` make to ``model`` as it is now, with its undo, facts and links."""
    walk = _Walk(model)
    for op in ops:
        walk.step(op)
    return Change(
        version,
        writer,
        tuple(ops),
        summary,
        client_mutation_id=client_mutation_id,
        result=result,
        note=note,
        undo=tuple(reversed(walk.undo)),
        fields=tuple(walk.fields),
        edges=tuple(walk.edges),
    )


class _Walk:
    """The graph as the operations so far left it: ``model`` under an overlay."""

    def __init__(self, model: ShowGraph) -> None:
        self.model = model
        self.nodes: dict[str, dict[str, Any] | None] = {}  # node JSON; None: deleted
        self.links: dict[EdgeKey, dict[str, Any] | None] = {}  # edge JSON; None: deleted
        self.undo: list[Op] = []  # the inverse of each operation, in their order
        self.fields: list[FieldChange] = []
        self.edges: list[EdgeChange] = []

    def step(self, op: Op) -> None:
        if isinstance(op, PutNode):
            self._put_node(op)
        elif isinstance(op, DeleteNode):
            self._delete_node(op.key)
        elif isinstance(op, PutEdge):
            self._put_edge(op)
        else:
            self._delete_edge((op.source, op.target, op.relation))

    # --- nodes -------------------------------------------------------------------------

    def node(self, key: str) -> dict[str, Any] | None:
        if key in self.nodes:
            return self.nodes[key]
        found = self.model.node(key)
        return None if found is None else node_to_json(found)

    def _put_node(self, op: PutNode) -> None:
        before = self.node(op.key)
        after = op.model_dump(mode="json", exclude={"op"})
        self.undo.append(PutNode(**before) if before else DeleteNode(key=op.key))
        old = before["fields"] if before else {}
        for name in dict.fromkeys([*old, *op.fields]):
            if old.get(name) != op.fields.get(name):
                self.fields.append(FieldChange(op.key, name, old.get(name), op.fields.get(name)))
        self.nodes[op.key] = after

    def _delete_node(self, key: str) -> None:
        before = self.node(key)
        if before is None:
            return  # nothing to remove (the model ignores it as well)
        inverse: list[Op] = [PutNode(**before)]
        for edge_key in list(self._edges_of(key)):
            edge = self.edge(edge_key)
            assert edge is not None
            inverse.append(PutEdge(**edge))
            self.edges.append(_edge_change(edge_key, EdgeChangeKind.REMOVED))
            self.links[edge_key] = None
        # Applied in reverse with the rest: the node first, then its links.
        self.undo.extend(reversed(inverse))
        for name, value in before["fields"].items():
            self.fields.append(FieldChange(key, name, value, None))
        self.nodes[key] = None

    def _edges_of(self, key: str) -> Iterator[EdgeKey]:
        """Every link touching ``key`` now: the model's, less those removed, plus those put."""
        graph = self.model.graph
        seen: set[EdgeKey] = set()
        if key in graph._succ:
            for v, relations in graph._succ[key].items():
                seen.update((key, v, relation) for relation in relations)
            for u, relations in graph._pred[key].items():
                seen.update((u, key, relation) for relation in relations)
        seen.update(k for k in self.links if key in (k[0], k[1]))
        yield from (k for k in sorted(seen) if self.edge(k) is not None)

    # --- edges -------------------------------------------------------------------------

    def edge(self, key: EdgeKey) -> dict[str, Any] | None:
        if key in self.links:
            return self.links[key]
        attrs = self.model.edge(*key)
        return None if attrs is None else edge_to_json(*key, attrs)

    def _put_edge(self, op: PutEdge) -> None:
        key = (op.source, op.target, op.relation)
        before = self.edge(key)
        if before is None:
            self.undo.append(DeleteEdge(source=op.source, target=op.target, relation=op.relation))
            self.edges.append(_edge_change(key, EdgeChangeKind.ADDED))
        else:
            self.undo.append(PutEdge(**before))
            self.edges.append(_edge_change(key, EdgeChangeKind.CHANGED))
        self.links[key] = op.model_dump(mode="json", exclude={"op"})

    def _delete_edge(self, key: EdgeKey) -> None:
        before = self.edge(key)
        if before is None:
            return
        self.undo.append(PutEdge(**before))
        self.edges.append(_edge_change(key, EdgeChangeKind.REMOVED))
        self.links[key] = None


def _edge_change(key: EdgeKey, change: EdgeChangeKind) -> EdgeChange:
    source, target, relation = key
    return EdgeChange(source, relation, target, change)
