"""Restoring a past version: one new change, equal to that version's graph, undoable itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph_data import BUILTIN_DATASET, ShowGraph
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
from graph_data.kinds import NodeKind, Relation
from graph_data.restoring import RestoreError, restore_to
from graph_data.store import JournalStore, MemoryStore, Store
from tests.graph_data.graphs import state

REFERENCE = SourceRequest(keys=["source:reference"])
GUEST = {"role": "GUEST"}


def commit(store: Store, model: ShowGraph, step: Callable[[Edit], Any]) -> None:
    """One mutation through the store, as the API makes it (planned, then written as a change)."""

    def plan(version: int) -> Any:
        edit = Edit(model, "alice", version)
        edit.cite(REFERENCE)
        step(edit)
        assert not edit.errors, edit.errors
        return make_change(model, version, "alice", edit.done(), "edit")

    change, _ = store.write(model, plan)
    assert change is not None


STEPS: list[Callable[[Edit], Any]] = [
    lambda e: create_node(e, NodeKind.ACTOR, {"name": "Jenny Walser"}, "jenny-walser"),
    lambda e: update_node(e, "character:charlie-spring", {"aliases": ["Charlie", "Char"]}),
    lambda e: link(e, "actor:jenny-walser", Relation.PORTRAYS, "character:tara-jones", GUEST),
    lambda e: unlink(e, "actor:kit-connor", Relation.PORTRAYS, "character:nick-nelson"),
    lambda e: delete_node(e, "season:heartstopper-s2", cascade=True),
    lambda e: update_node(e, "actor:jenny-walser", {"name": "Jenny W."}),
]


def mutated(store: Store, model: ShowGraph) -> list[frozenset[bytes]]:
    """Run every step; the graph after each version, from version 0 on."""
    seen = [state(model)]
    for step in STEPS:
        commit(store, model, step)
        seen.append(state(model))
    return seen


def test_restore_to_every_earlier_version_gives_that_graph_as_one_change(tmp_path: Path) -> None:
    for target in range(len(STEPS)):
        data_dir = tmp_path / f"data-{target}"
        store = JournalStore(data_dir, BUILTIN_DATASET)
        model = store.open()
        seen = mutated(store, model)
        before = model.version

        change = restore_to(store, model, target, note="bad edits")

        assert change is not None
        assert (change.version, model.version) == (before + 1, before + 1)
        assert (change.summary, change.note, change.writer) == (
            f"restore to version {target}",
            "bad edits",
            "showgraph-restore",
        )
        assert state(model) == seen[target]
        assert store.history.between(before, model.version) == [change]
        lines = (data_dir / "journal.jsonl").read_bytes().splitlines()
        assert len(lines) == len(STEPS) + 1  # one line: the restore, nothing rewritten
        # A fresh start replays the restore like any change.
        again = JournalStore(data_dir, BUILTIN_DATASET)
        assert state(again.open()) == seen[target]
        store.close(model)


def test_a_restore_is_undone_by_restoring_the_version_before_it(tmp_path: Path) -> None:
    store = JournalStore(tmp_path / "data", BUILTIN_DATASET)
    model = store.open()
    seen = mutated(store, model)
    latest = model.version
    restore_to(store, model, 1)
    back = restore_to(store, model, latest)
    assert back is not None
    assert back.version == latest + 2
    assert state(model) == seen[latest]
    # Every version, the restores' included, reads back from the history.
    restore_to(store, model, latest + 1)
    assert state(model) == seen[1]
    store.close(model)


def test_another_process_on_the_data_directory_picks_up_a_restore(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    writer = JournalStore(data_dir, BUILTIN_DATASET)
    model = writer.open()
    follower = JournalStore(data_dir, BUILTIN_DATASET)
    followed = follower.open()
    seen = mutated(writer, model)
    follower.catch_up(followed)

    change = restore_to(writer, model, 2)

    assert follower.catch_up(followed) == [change]
    assert state(followed) == seen[2]
    assert followed.version == model.version


def test_a_restore_undoes_what_another_writer_wrote_first(tmp_path: Path) -> None:
    """Planned after catching up: a change this process had not seen is undone, not lost."""
    data_dir = tmp_path / "data"
    mine = JournalStore(data_dir, BUILTIN_DATASET)
    model = mine.open()
    other = JournalStore(data_dir, BUILTIN_DATASET)
    theirs = other.open()
    seen = mutated(other, theirs)  # this process has seen none of it
    change = restore_to(mine, model, 3)
    assert change is not None
    assert change.version == len(STEPS) + 1
    assert state(model) == seen[3]


def test_a_graph_that_already_equals_the_version_writes_nothing() -> None:
    from graph_data import load_graph

    model = load_graph()
    store = MemoryStore(model)
    commit(store, model, STEPS[0])
    commit(store, model, lambda e: delete_node(e, "actor:jenny-walser"))
    assert restore_to(store, model, 0) is None
    assert model.version == 2


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (7, "version 7 is newer than the graph (version 2)"),
        (2, "nothing to restore: the graph is at version 2 already"),
        (-1, "the oldest version the graph (version 2) can be restored to is 0"),
    ],
)
def test_versions_that_cannot_be_restored_say_why(version: int, message: str) -> None:
    from graph_data import load_graph

    model = load_graph()
    store = MemoryStore(model)
    commit(store, model, STEPS[0])
    commit(store, model, STEPS[1])
    with pytest.raises(RestoreError, match=message.replace("(", r"\(").replace(")", r"\)")):
        restore_to(store, model, version)
    assert model.version == 2


def test_a_version_before_the_history_kept_is_refused(tmp_path: Path) -> None:
    """With a bounded history, the message names the oldest version still possible."""
    from graph_data import load_graph

    model = load_graph()
    store = MemoryStore(model, history_keep=2)
    for step in STEPS:
        commit(store, model, step)
    store.history.prune(2, model.version)
    floor = store.history.floor(model.version)
    assert floor == model.version - 2
    with pytest.raises(RestoreError, match=f"can be restored to is {floor}"):
        restore_to(store, model, floor - 1)
    assert restore_to(store, model, floor) is not None


def test_a_note_every_store_cannot_keep_is_refused_before_writing() -> None:
    from graph_data import load_graph

    model = load_graph()
    store = MemoryStore(model)
    commit(store, model, STEPS[0])
    with pytest.raises(RestoreError, match="note is 501 characters long"):
        restore_to(store, model, 0, note="x" * 501)
    with pytest.raises(RestoreError, match="NUL"):
        restore_to(store, model, 0, writer="a\x00b")
    assert model.version == 1
