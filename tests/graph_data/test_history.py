"""History: kept by every store through snapshots and restarts; reads as of any kept version."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph_data import BUILTIN_DATASET, ShowGraph, load_graph
from graph_data.changes import Change, apply
from graph_data.diffs import make_change
from graph_data.edits import (
    Edit,
    SourceRequest,
    create_node,
    delete_node,
    link,
    unlink,
    update_node,
)
from graph_data.history import Filter, HistoryError, PastGraphs, SqliteHistory
from graph_data.kinds import NodeKind, Relation
from graph_data.store import JournalStore, MemoryStore, Store
from tests.graph_data.graphs import state

ARTICLE = SourceRequest(keys=["source:article"])

# A morning of edits: each step is one mutation, as the API would plan it.
STEPS: list[Callable[[Edit], Any]] = [
    lambda e: create_node(e, NodeKind.ACTOR, {"name": "Jenny Walser"}),
    lambda e: update_node(e, "actor:kit-connor", {"name": "Kit C."}),
    lambda e: link(
        e, "actor:jenny-walser", Relation.PORTRAYS, "character:nick-nelson", {"role": "GUEST"}
    ),
    lambda e: update_node(e, "actor:jenny-walser", {"name": "Jenny W."}),
    lambda e: unlink(e, "actor:jenny-walser", Relation.PORTRAYS, "character:nick-nelson"),
    lambda e: delete_node(e, "character:tao-xu", cascade=True),
    lambda e: update_node(e, "actor:kit-connor", {"name": "Kit Connor"}),
    lambda e: delete_node(e, "actor:jenny-walser", cascade=True),
]


def writer(model: ShowGraph, step: Callable[[Edit], Any], note: str = "") -> Any:
    def make(version: int) -> Change:
        edit = Edit(model, "alice", version)
        edit.cite(ARTICLE)
        step(edit)
        return make_change(model, version, "alice", edit.done(), "edit", note=note)

    return make


def run_steps(store: Store, model: ShowGraph) -> list[Any]:
    """Write every step through ``store``; the state of the graph at each version, from 0."""
    states = [state(model)]
    for number, step in enumerate(STEPS):
        store.write(model, writer(model, step, note=f"step {number}"))
        states.append(state(model))
    return states


@pytest.fixture(params=["memory", "journal"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "memory":
        opened: Store = MemoryStore(load_graph())
    else:
        opened = JournalStore(tmp_path / "data", BUILTIN_DATASET, snapshot_every=3)
    model = opened.open()
    yield opened, model
    opened.close(model)


def test_every_past_version_reads_back_as_a_replay_made_it(store: Any) -> None:
    opened, model = store
    states = run_steps(opened, model)
    # The same changes replayed forward from the dataset, one version at a time.
    replay = load_graph()
    for version in range(1, len(states)):
        (change,) = opened.history.between(version - 1, version)
        apply(replay, change)
        assert state(replay) == states[version]
    past = PastGraphs(opened.history)
    for version, expected in enumerate(states):
        as_of = past.as_of(model, version)
        assert (as_of.version, state(as_of)) == (version, expected)
    assert state(model) == states[-1]  # reading the past leaves the present alone


def test_a_read_as_of_the_past_stays_right_while_the_graph_moves_on(store: Any) -> None:
    opened, model = store
    forked, then = model.fork(), state(model)
    run_steps(opened, model)
    assert state(forked) == then  # the writes copied what they changed: the fork kept it
    assert state(PastGraphs(opened.history).as_of(model, 0)) == then


def test_versions_outside_the_history_are_refused_with_the_range(store: Any) -> None:
    opened, model = store
    run_steps(opened, model)
    past = PastGraphs(opened.history)
    with pytest.raises(HistoryError, match="version 99 is newer than the graph"):
        past.as_of(model, 99)
    opened.history.prune(3, model.version)
    with pytest.raises(HistoryError, match="oldest version it can be read as of is 5"):
        past.as_of(model, 4)
    assert past.as_of(model, 5).version == 5


def test_the_feed_and_a_node_s_history_page_through_the_kept_changes(store: Any) -> None:
    opened, model = store
    run_steps(opened, model)
    history = opened.history
    page, total = history.feed(0, model.version, 3, Filter())
    assert ([c.version for c in page], total) == ([1, 2, 3], 8)
    page, total = history.feed(6, model.version, 10, Filter())
    assert ([c.version for c in page], total) == ([7, 8], 2)
    page, total = history.feed(0, 4, 10, Filter())  # never past the graph's version
    assert [c.version for c in page] == [1, 2, 3, 4]
    page, total = history.feed(0, model.version, 10, Filter(keys=frozenset({"actor:kit-connor"})))
    assert [c.version for c in page] == [2, 7]
    page, total = history.feed(0, model.version, 10, Filter(kinds=frozenset({"CHARACTER"})))
    assert [c.version for c in page] == [3, 5, 6]
    page, total = history.of_node("actor:jenny-walser", model.version, None, 2)
    assert ([c.version for c in page], total) == ([8, 5], 5)
    page, total = history.of_node("actor:jenny-walser", model.version, 5, 10)
    assert [c.version for c in page] == [4, 3, 1]
    assert [c.note for c in page] == ["step 3", "step 2", "step 0"]


def test_the_journal_store_keeps_its_history_through_snapshots_and_restarts(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    first = JournalStore(data, BUILTIN_DATASET, snapshot_every=2)
    model = first.open()
    states = run_steps(first, model)
    first.settle()
    first.close(model)
    assert (data / "journal.jsonl").read_bytes() == b""  # every line is in a snapshot
    again = JournalStore(data, BUILTIN_DATASET)
    reopened = again.open()
    try:
        changes = again.history.between(0, reopened.version)
        assert [c.version for c in changes] == list(range(1, len(STEPS) + 1))
        assert state(PastGraphs(again.history).as_of(reopened, 2)) == states[2]
    finally:
        again.close(reopened)


def test_a_change_whose_writer_crashed_before_keeping_it_is_kept_at_the_next_start(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    first = JournalStore(data, BUILTIN_DATASET)
    model = first.open()
    run_steps(first, model)
    # As if the writer died between its journal line and its history row.
    SqliteHistory(data / "history.sqlite3").prune(2, model.version)
    again = JournalStore(data, BUILTIN_DATASET)
    reopened = again.open()
    try:
        assert [c.version for c in again.history.between(0, reopened.version)] == list(
            range(1, len(STEPS) + 1)
        )
    finally:
        again.close(reopened)
    first.close(model)


def test_a_journal_written_before_histories_kept_undos_bounds_reads_as_of(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = JournalStore(data, BUILTIN_DATASET)
    model = store.open()
    run_steps(store, model)
    old = Change(model.version + 1, "alice", writer(model, STEPS[0])(0).ops, "old style")
    store.write(model, lambda version: Change(version, "alice", old.ops, "old style"))
    with pytest.raises(HistoryError, match="oldest version it can be read as of is 9"):
        PastGraphs(store.history).as_of(model, 8)
    store.close(model)


def test_history_keep_bounds_what_the_journal_store_keeps(tmp_path: Path) -> None:
    store = JournalStore(tmp_path / "data", BUILTIN_DATASET, history_keep=3)
    model = store.open()
    run_steps(store, model)
    store.close(model)  # a snapshot: the history is pruned as the journal is
    history = SqliteHistory(tmp_path / "data" / "history.sqlite3")
    assert [c.version for c in history.between(0, model.version)] == [6, 7, 8]
    assert history.floor(model.version) == 5
    history.close()
