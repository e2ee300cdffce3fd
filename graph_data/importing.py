"""Importing a graph into a store of record, as one change: merged in, or replacing all.

A merge (the default) adds what the file holds and updates what it holds
differently (a node's facts and sources, an edge's sources and properties, a
child's parent), and deletes nothing else: a data directory or database that
holds one show keeps it when another show is imported. ``replace=True`` makes
the store hold exactly the file's graph, deleting what the file lacks.

Either way the result is checked whole (``graph_data.formats.checks``)
before anything is written: an import that would break an integrity rule (a
season number already used in the show, an episode in another show) changes
nothing and lists every problem.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from graph_data.changes import (
    Change,
    DeleteEdge,
    DeleteNode,
    Op,
    PutEdge,
    PutNode,
    apply_op,
    edge_to_json,
    node_to_json,
)
from graph_data.diffs import make_change
from graph_data.formats.checks import validate_graph
from graph_data.formats.common import ExchangeError, graph_size, ticks
from graph_data.integrity import PARENT_OF
from graph_data.model import ShowGraph
from graph_data.store import Store


def import_into(
    store: Store,
    model: ShowGraph,
    incoming: ShowGraph,
    writer: str,
    *,
    replace: bool = False,
    summary: str = "",
    progress: bool | None = None,
) -> Change | None:
    """Merge ``incoming`` into ``model`` (and the store), as ONE change; None if nothing differs.

    The change holds only the differences (``diff_ops``). One change is one
    journal line (or one transaction), so the import is all or nothing after a
    crash, other processes apply it whole, and the version moves by one.
    ``incoming`` is checked first, then the graph it would make; a problem
    raises ``ExchangeError`` and changes nothing. The differences are computed
    after the store caught up with other writers, under the graph's write lock.
    """
    problems = validate_graph(incoming, "(graph to import)", progress=progress)
    if problems:
        raise ExchangeError(problems, "the graph to import")

    def plan_change(version: int) -> Change | None:
        ops = diff_ops(model, incoming, replace=replace, progress=progress)
        if not ops:
            return None
        if not replace:
            after = merged(model, ops)
            found = validate_graph(after, "(graph after the import)", progress=progress)
            if found:
                raise ExchangeError(found, "the graph the import would make")
        return make_change(model, version, writer, ops, summary or describe(ops))

    change, _ = store.write(model, plan_change)
    return change


def diff_ops(
    current: ShowGraph,
    incoming: ShowGraph,
    *,
    replace: bool = False,
    progress: bool | None = None,
) -> list[Op]:
    """The operations that bring ``incoming`` into ``current``: deletes first, then puts.

    Merging deletes only the parent links of children that ``incoming`` puts
    under another parent (a child has one parent). Replacing also deletes
    every node and edge ``incoming`` lacks, each edge counted on its own, so
    the summary says how many links went with the nodes.
    """
    now, then = current.graph, incoming.graph
    ops: list[Op] = []
    if replace:
        for u, v, relation in now.edges(keys=True):
            if not then.has_edge(u, v, key=relation):
                ops.append(DeleteEdge(source=u, target=v, relation=relation))
        ops.extend(DeleteNode(key=key) for key in now if key not in then)
    else:
        ops.extend(_moved_children(current, incoming))
    puts: list[Op] = []
    with ticks(graph_size(incoming), "import", progress) as tick:
        for key in then.nodes:
            tick()
            node = node_to_json(incoming.require(key))
            mine = current.node(key)
            if mine is None or node_to_json(mine) != node:
                puts.append(PutNode(**node))
        for u, v, relation, attrs in then.edges(keys=True, data=True):
            tick()
            edge = edge_to_json(u, v, relation, attrs)
            theirs = current.edge(u, v, relation)
            if theirs is None or edge_to_json(u, v, relation, theirs) != edge:
                puts.append(PutEdge(**edge))
    return ops + puts


def _moved_children(current: ShowGraph, incoming: ShowGraph) -> list[Op]:
    """Delete the current parent links of children the incoming graph puts elsewhere."""
    ops: list[Op] = []
    for key, attrs in incoming.graph.nodes(data=True):
        kind = attrs["kind"]
        if kind not in PARENT_OF or key not in current.graph:
            continue
        relation = PARENT_OF[kind][0]
        for parent, edges in current.graph.pred[key].items():
            if relation in edges and not incoming.graph.has_edge(parent, key, key=relation):
                ops.append(DeleteEdge(source=parent, target=key, relation=relation))
    return ops


def merged(current: ShowGraph, ops: Sequence[Op]) -> ShowGraph:
    """A new graph: ``current`` with ``ops`` applied (``current`` is left as it is)."""
    after = ShowGraph()
    with after.bulk():
        for key in current.graph:
            after.add_node(current.require(key))
        for u, v, relation, attrs in current.graph.edges(keys=True, data=True):
            apply_op(after, PutEdge(**edge_to_json(u, v, relation, attrs)))
        for op in ops:
            apply_op(after, op)
    return after


def describe(ops: Sequence[Op]) -> str:
    """The change for a person: how many nodes and edges were put and deleted."""
    counts = Counter(op.op for op in ops)
    return (
        f"import: {counts['put_node']} node(s) put, {counts['delete_node']} deleted; "
        f"{counts['put_edge']} edge(s) put, {counts['delete_edge']} deleted"
    )
