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

An export's history (``showgraph export --with-history``) can start a new
store instead (``import_history``): its changes are written as they were, so
the new store's versions and history are the old one's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import networkx as nx

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
from graph_data.history import undone
from graph_data.integrity import PARENT_OF
from graph_data.loader import Problem
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


# --- an export's history, into a new store ----------------------------------------------------


def import_history(
    store: Store, model: ShowGraph, incoming: ShowGraph, history: Sequence[Any], name: str
) -> list[Change]:
    """Write an export's history into an EMPTY store, change by change, as the file numbers it.

    So a new data directory (or database) carries the old one's history:
    the same versions, writers, times, notes and undos, and reads as of any
    of them. Only into a store at version 0, and only a history that starts
    at version 1 and leads from this store's graph to the file's (replayed
    forwards, and undone backwards): anything else could not be numbered as
    the file numbers it. Every problem raises ``ExchangeError`` before the
    first change is written. Each change is its own write (journal line or
    transaction); an interrupted import leaves the store at one of the
    history's versions, which a new store made again avoids.
    """
    changes = checked_history(history, name)
    written: list[Change] = []
    with model.lock.turn():

        def next_change(version: int) -> Change:
            if not written:
                _check_leads_to(model, incoming, changes, name)
            change = changes[len(written)]
            if change.version != version:
                raise ExchangeError(
                    [_problem(name, len(written), "version", f"the store is at {version - 1}")],
                    "the history to import",
                )
            return change

        for _ in changes:
            change, _ = store.write(model, next_change)
            assert change is not None
            written.append(change)
    return written


def checked_history(history: Sequence[Any], name: str) -> list[Change]:
    """The history's changes, each valid and numbered 1, 2, 3...; every problem, each located."""
    changes: list[Change] = []
    problems = []
    for index, entry in enumerate(history):
        try:
            change = Change.from_dict(entry)
        except ValueError as error:
            problems.append(_problem(name, index, "-", str(error)))
            continue
        if change.version != index + 1:
            problems.append(
                _problem(
                    name,
                    index,
                    "version",
                    f"expected version {index + 1}: a history starts at version 1 and counts "
                    f"up by one (got {change.version})",
                )
            )
        changes.append(change)
    if problems:
        raise ExchangeError(problems, "the history to import")
    return changes


def _check_leads_to(
    model: ShowGraph, incoming: ShowGraph, changes: Sequence[Change], name: str
) -> None:
    """Refuse a history that this store's graph does not start, or that does not end in the file's.

    Checked both ways because both are used: the journal replays the
    operations forwards, and reads as of a version apply the undos backwards.
    """
    if model.version != 0:
        raise ExchangeError(
            [
                Problem(
                    name,
                    "history",
                    "-",
                    f"the store is at version {model.version}, not 0: "
                    "a history can only start a new store (an empty data directory or "
                    "database); import without --with-history to merge the graph alone",
                )
            ],
            "the history to import",
        )
    forwards = _replayed(model, changes)
    problems = []
    if _differs(forwards, incoming):
        problems.append(
            Problem(
                name,
                "history",
                "ops",
                "replayed from this store's graph, the history does "
                "not make the file's graph: it began from another graph (another dataset)",
            )
        )
    elif _differs(_undone_or_none(incoming, changes), model):
        problems.append(
            Problem(
                name,
                "history",
                "undo",
                "undone from the file's graph, the history does "
                "not lead back to this store's graph: its undos are damaged",
            )
        )
    if problems:
        raise ExchangeError(problems, "the history to import")


def _replayed(model: ShowGraph, changes: Sequence[Change]) -> ShowGraph | None:
    """A fork of ``model`` with the changes' operations applied; None if one does not apply."""
    with model.lock.reading():  # fork touches the model's copy-on-write marks
        forwards = model.fork()
    try:
        for change in changes:
            for op in change.ops:
                apply_op(forwards, op)
    except (nx.NetworkXError, KeyError, ValueError):  # an edge or node another graph lacks
        return None
    return forwards


def _undone_or_none(incoming: ShowGraph, changes: Sequence[Change]) -> ShowGraph | None:
    try:
        return undone(incoming, changes)
    except (nx.NetworkXError, KeyError, ValueError):
        return None


def _differs(graph: ShowGraph | None, other: ShowGraph) -> bool:
    return graph is None or bool(diff_ops(graph, other, replace=True, progress=False))


def _problem(name: str, index: int, where: str, message: str) -> Problem:
    return Problem(name, f"history[{index}]", where, message)
