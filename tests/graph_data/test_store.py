"""The journal store: durable appends, snapshots, replay, torn and corrupt lines."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from graph_data import BUILTIN_DATASET
from graph_data.changes import Change, edges_to_json, node_to_json
from graph_data.edits import Edit, SourceRequest, create_node, update_node
from graph_data.kinds import NodeKind
from graph_data.model import ShowGraph
from graph_data.store import JournalStore, MemoryStore, StoreError, read_snapshot


def actor_change(model: ShowGraph, name: str) -> Callable[[int], Change]:
    def make(version: int) -> Change:
        edit = Edit(model, "alice", version)
        edit.cite(SourceRequest(keys=["source:article"]))
        create_node(edit, NodeKind.ACTOR, {"name": name})
        return Change(version, "alice", tuple(edit.done()), f"create {name}")

    return make


def state(model: ShowGraph) -> tuple[object, ...]:
    nodes = sorted((node_to_json(model.require(k)) for k in model.graph.nodes), key=str)
    edges = sorted(edges_to_json(model), key=str)
    return model.version, nodes, edges


def test_first_start_loads_the_dataset_and_never_touches_it(tmp_path: Path) -> None:
    before = BUILTIN_DATASET.read_bytes()
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    assert (model.version, model.count(NodeKind.ACTOR)) == (0, 6)
    store.write(model, actor_change(model, "Jenny Walser"))
    store.close(model)
    assert BUILTIN_DATASET.read_bytes() == before


def test_writes_survive_a_restart(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    for name in ("Jenny Walser", "Bradley Riches"):
        change, others = store.write(model, actor_change(model, name))
        assert change is not None
        assert others == []
    assert model.version == 2
    lines = (tmp_path / "journal.jsonl").read_bytes().splitlines()
    assert [Change.from_json(line).version for line in lines] == [1, 2]
    again = JournalStore(tmp_path, BUILTIN_DATASET).open()  # no clean shutdown: a replay
    assert state(again) == state(model)


def test_snapshot_every_n_changes_restarts_the_journal(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET, snapshot_every=2)
    model = store.open()
    for name in ("A One", "B Two", "C Three"):
        store.write(model, actor_change(model, name))
    assert read_snapshot(tmp_path / "snapshot.json").version == 2
    lines = (tmp_path / "journal.jsonl").read_bytes().splitlines()
    assert [Change.from_json(line).version for line in lines] == [3]
    assert state(JournalStore(tmp_path, BUILTIN_DATASET).open()) == state(model)


def test_clean_shutdown_snapshots(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    store.write(model, actor_change(model, "Jenny Walser"))
    store.close(model)
    assert (tmp_path / "journal.jsonl").read_bytes() == b""
    assert state(JournalStore(tmp_path, BUILTIN_DATASET).open()) == state(model)


def test_a_torn_last_line_is_dropped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    store.write(model, actor_change(model, "Jenny Walser"))
    with (tmp_path / "journal.jsonl").open("ab") as journal:
        journal.write(b'{"version": 2, "writer": "alice", "ops": [{"op": "put_no')
    reopened = JournalStore(tmp_path, BUILTIN_DATASET)
    again = reopened.open()
    assert again.version == 1
    assert "line 2 is incomplete" in caplog.text
    # The torn bytes are gone, so the next append starts on a clean line.
    reopened.write(again, actor_change(again, "Bradley Riches"))
    assert JournalStore(tmp_path, BUILTIN_DATASET).open().version == 2


def test_corruption_before_the_end_stops_start_up_naming_file_and_line(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    for name in ("A One", "B Two"):
        store.write(model, actor_change(model, name))
    journal = tmp_path / "journal.jsonl"
    lines = journal.read_bytes().splitlines()
    journal.write_bytes(lines[0] + b"\nnot json at all\n" + lines[1] + b"\n")
    with pytest.raises(StoreError, match=r"journal\.jsonl: line 2: not a valid change"):
        JournalStore(tmp_path, BUILTIN_DATASET).open()


def test_a_missing_version_is_corruption(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    for name in ("A One", "B Two", "C Three"):
        store.write(model, actor_change(model, name))
    journal = tmp_path / "journal.jsonl"
    lines = journal.read_bytes().splitlines()
    journal.write_bytes(lines[0] + b"\n" + lines[2] + b"\n")
    with pytest.raises(StoreError, match="line 2: version 3 follows 1; changes are missing"):
        JournalStore(tmp_path, BUILTIN_DATASET).open()


def test_a_second_process_catches_up(tmp_path: Path) -> None:
    first, second = JournalStore(tmp_path, BUILTIN_DATASET), JournalStore(tmp_path, BUILTIN_DATASET)
    one, two = first.open(), second.open()
    first.write(one, actor_change(one, "Jenny Walser"))
    applied = second.catch_up(two)
    assert [c.version for c in applied] == [1]
    assert state(two) == state(one)
    # A write through the second first applies what it has not seen.
    first.write(one, actor_change(one, "Bradley Riches"))
    change, others = second.write(two, actor_change(two, "Rhea Norwood"))
    assert ([c.version for c in others], change and change.version) == ([2], 3)
    first.catch_up(one)
    assert state(one) == state(two)


def test_catching_up_across_a_snapshot(tmp_path: Path) -> None:
    first = JournalStore(tmp_path, BUILTIN_DATASET, snapshot_every=2)
    second = JournalStore(tmp_path, BUILTIN_DATASET, snapshot_every=2)
    one, two = first.open(), second.open()
    for name in ("A One", "B Two", "C Three"):  # the journal rotates after the second
        first.write(one, actor_change(one, name))
    assert [c.version for c in second.catch_up(two)] == [1, 2, 3]
    assert state(two) == state(one)


def test_a_refused_edit_writes_nothing(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    change, _ = store.write(model, lambda version: None)
    assert change is None
    assert model.version == 0
    assert os.path.getsize(tmp_path / "journal.jsonl") == 0


def test_memory_store_applies_in_place() -> None:
    from graph_data import load_graph

    model = load_graph()
    store = MemoryStore(model)

    def make(version: int) -> Change:
        edit = Edit(model, "alice", version)
        edit.cite(SourceRequest(keys=["source:article"]))
        update_node(edit, "actor:kit-connor", {"name": "Kit Connor (actor)"})
        return Change(version, "alice", tuple(edit.done()))

    store.write(model, make)
    assert model.require("actor:kit-connor").data.name == "Kit Connor (actor)"
    assert model.version == 1


def test_behind_notices_another_writer_cheaply(tmp_path: Path) -> None:
    first, second = JournalStore(tmp_path, BUILTIN_DATASET), JournalStore(tmp_path, BUILTIN_DATASET)
    one, two = first.open(), second.open()
    assert not second.behind()
    first.write(one, actor_change(one, "Jenny Walser"))
    assert second.behind()
    second.catch_up(two)
    assert not second.behind()
    assert not first.behind()  # its own line does not count
