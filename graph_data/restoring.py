"""Restoring the graph as of a past version, as one new change (``showgraph restore``).

History is never rewritten: a restore to version N is a change like any
other, the next version, whose operations bring the current graph to the
graph as of N. So every server following the store (another worker on the
data directory, another PostgreSQL replica) picks it up as it picks up any
change, the history shows who restored what and why, and a restore can
itself be undone by restoring to the version before it.

The graph as of N comes from the history (``graph_data.history.undone``: a
copy-on-write fork of the current graph with the undo of every later change
applied), and the operations from comparing the two graphs whole
(``graph_data.importing.diff_ops`` with ``replace``), not from chaining the
undos: one change holds each node and edge at most once, however many times
the changes in between touched it.

Everything is worked out inside the store's write, after it caught up with
other writers and under the writers' turn: a change written meanwhile by
another process is undone too, never lost under the restore. On PostgreSQL
every replica is a writer (the head lock orders them), so any replica may
restore; there is no writer of record to refuse on.
"""

from __future__ import annotations

from graph_data.changes import Change
from graph_data.diffs import make_change
from graph_data.history import History, undone
from graph_data.importing import diff_ops
from graph_data.model import ShowGraph
from graph_data.records import short_text_problem
from graph_data.store import Store

WRITER = "showgraph-restore"


class RestoreError(Exception):
    """A version that cannot be restored to; the message says why and what can be."""


def restore_to(
    store: Store,
    model: ShowGraph,
    version: int,
    *,
    writer: str = WRITER,
    note: str = "",
) -> Change | None:
    """Make ``model`` (and the store) equal to the graph as of ``version``, as ONE new change.

    Returns the change written, or None when the graph already equals that
    version's (a later change was reverted by hand, or restored already):
    writing an empty change would only move the version. Raises
    ``RestoreError`` for a version the history cannot give back.
    """
    check_text("note", note)
    check_text("writer", writer)

    def plan_change(next_version: int) -> Change | None:
        check_version(store.history, model.version, version)
        with model.lock.reading():  # fork touches the model's copy-on-write marks
            past = undone(model, store.history.between(version, model.version))
        ops = diff_ops(model, past, replace=True, progress=False)
        if not ops:
            return None
        summary = f"restore to version {version}"
        return make_change(model, next_version, writer, ops, summary, note=note)

    change, _ = store.write(model, plan_change)
    return change


def check_text(name: str, text: str) -> None:
    """Refuse text every store could not keep, as a mutation's note is refused (before writing)."""
    problem = short_text_problem(text)
    if problem is not None:
        raise RestoreError(f"{name} {problem}")


def check_version(history: History, current: int, version: int) -> None:
    """Refuse a version newer than the graph, equal to it, or older than the history reaches.

    Checked against the graph the store caught up to, so "newer" means newer
    than every change any writer made, not just the ones this process saw.
    """
    if version > current:
        raise RestoreError(f"version {version} is newer than the graph (version {current})")
    if version == current:
        raise RestoreError(f"nothing to restore: the graph is at version {version} already")
    floor = history.floor(current)
    if version < floor:
        raise RestoreError(
            f"version {version} is older than the history kept: the oldest version the "
            f"graph (version {current}) can be restored to is {floor}"
        )
