"""The journal store: durable appends, snapshots, replay, torn and corrupt lines."""

from __future__ import annotations

import base64
import os
import tempfile
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from graph_data import BUILTIN_DATASET, load_dataset, load_graph
from graph_data.changes import Change, edges_to_json, node_to_json
from graph_data.edits import Edit, SourceRequest, create_node, update_node
from graph_data.generate import generate, write_dataset
from graph_data.kinds import NodeKind, Relation
from graph_data.loader import Dataset
from graph_data.model import ShowGraph
from graph_data.store import (
    SNAPSHOT_FORMAT,
    JournalStore,
    MemoryStore,
    StoreError,
    read_snapshot,
    write_snapshot,
)


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


def test_the_first_start_snapshots_so_no_later_start_reads_the_dataset(tmp_path: Path) -> None:
    dataset = tmp_path / "dataset.yaml"
    dataset.write_bytes(BUILTIN_DATASET.read_bytes())
    data_dir = tmp_path / "data"
    store = JournalStore(data_dir, dataset)
    model = store.open()
    assert (data_dir / "snapshot.json").exists()
    store.write(model, actor_change(model, "Jenny Walser"))  # then a crash: no clean stop
    dataset.unlink()  # a later start must not need it
    again = JournalStore(data_dir, dataset).open()
    assert state(again) == state(model)


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
    store.settle()  # the snapshot at 2 is written by a child process while writes go on
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
    assert "line 2 is incomplete (a crash mid-write): change 2, 56 bytes dropped" in caplog.text
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


# --- snapshots ------------------------------------------------------------------------------


def generated_graph() -> ShowGraph:
    """A synthetic graph of two shows (portrayals, relationships, dates, many edges)."""
    model = ShowGraph.from_dataset(load_dataset_mapping(generate(2, seed=3)))
    model.version = 3
    return model


def load_dataset_mapping(data: dict[str, Any]) -> Dataset:
    with tempfile.TemporaryDirectory() as directory:
        return load_dataset(write_dataset(data, Path(directory) / "generated.json"))


def snapshot_of(model: ShowGraph, path: Path) -> dict[str, Any]:
    write_snapshot(model, path)
    return dict(orjson.loads(path.read_bytes()))


def test_a_snapshot_round_trip_gives_the_same_graph(tmp_path: Path) -> None:
    model = generated_graph()
    path = tmp_path / "snapshot.json"
    body = snapshot_of(model, path)
    assert body["format"] == SNAPSHOT_FORMAT
    again = read_snapshot(path)
    assert state(again) == state(model)
    assert list(again.graph.nodes) == list(model.graph.nodes)
    for key in model.graph:  # the same neighbours in the same order
        assert list(again.graph.succ[key]) == list(model.graph.succ[key])
        assert list(again.graph.pred[key]) == list(model.graph.pred[key])
    # Read back, equal edges share their dicts again (the memory saving survives a restart).
    some = [attrs for _, _, attrs in again.graph.edges(data=True)]
    assert len({id(attrs) for attrs in some}) < len(some) / 2


def test_a_snapshot_keeps_a_change_of_one_shared_edge_to_that_edge(tmp_path: Path) -> None:
    model = load_graph()
    edges = [(u, v, r) for u, v, r in model.graph.edges(keys=True) if r == Relation.HAS_EPISODE]
    (u, v, r), (u2, v2, r2) = edges[:2]
    assert model.edge(u, v, r) is model.edge(u2, v2, r2)
    model.add_edge(u, v, r, ["source:reference"])
    write_snapshot(model, tmp_path / "s.json")
    again = read_snapshot(tmp_path / "s.json")
    assert again.edge(u, v, r) == {"sources": ("source:reference",)}
    assert again.edge(u2, v2, r2) == model.edge(u2, v2, r2)
    assert again.edge(u2, v2, r2) != again.edge(u, v, r)


def test_a_version_1_snapshot_is_still_read(tmp_path: Path) -> None:
    model = load_graph()
    model.version = 7
    path = tmp_path / "snapshot.json"
    body = {
        "format": "showgraph-snapshot/1",
        "version": model.version,
        "nodes": [node_to_json(model.require(key)) for key in model.graph.nodes],
        "edges": list(edges_to_json(model)),
    }
    path.write_bytes(orjson.dumps(body))
    assert state(read_snapshot(path)) == state(model)
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    opened = store.open()
    store.write(opened, actor_change(opened, "Jenny Walser"))
    store.close(opened)  # the next snapshot is written in the current format
    assert orjson.loads(path.read_bytes())["format"] == SNAPSHOT_FORMAT
    assert state(read_snapshot(path)) == state(opened)


def corrupt(body: dict[str, Any], where: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``body`` with the entry at dotted ``where`` set to ``value``."""
    body = orjson.loads(orjson.dumps(body))
    *path, last = where.split(".")
    target = body
    for part in path:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(last)] = value
    elif value is DELETE:
        del target[last]
    else:
        target[last] = value
    return body


DELETE = object()


def packed(*numbers: int) -> str:
    return base64.b64encode(array("I", numbers).tobytes()).decode()


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("format", "showgraph-snapshot/9", "format is 'showgraph-snapshot/9'"),
        ("version", -1, "version: expected a whole number"),
        ("tuples.0", "source:article", "tuples[0]: expected a list of strings"),
        ("nodes", DELETE, "snapshot.nodes: expected a dict"),
        ("nodes.kind_names.0", "SHWO", "nodes.kind_names"),
        ("nodes.keys.0", 5, "nodes.keys: expected a list of strings"),
        ("nodes.kinds", "not base64!", "nodes.kinds: not a packed index column"),
        ("nodes.sources", packed(0), "nodes.sources: 1 entries for"),
        ("nodes.sources", packed(*[99999] * 3), "nodes.sources: index 99999 out of range"),
        ("nodes.facts.ACTOR.name", [""] * 6, "nodes.facts.ACTOR.name[0]: String should have"),
        ("nodes.facts.ACTOR.nmae", [], "nodes.facts.ACTOR: columns ['name', 'nmae']"),
        ("nodes.facts.EPISODE.number", [1], "nodes.facts.EPISODE.number: expected a list"),
        ("edges.out_link", packed(1, 2), "edges: the out_* and in_* columns do not describe"),
        ("edges.out_v", packed(*[10**6] * 3), "edges: the out_* and in_* columns do not"),
        ("edges.links.0", [], "edges.links[0]: empty"),
        ("edges.links.1", [["x", 0]], "edges.links[1]: expected [[relation, attr row], ...]"),
        ("edges.relations.0", "LIKES", "edges.relations: 'LIKES' is not a valid Relation"),
        ("edges.attr_rows.0", {"props": {}}, "edges.attr_rows[0]: KeyError('sources')"),
    ],
)
def test_a_corrupt_snapshot_names_the_file_and_what_is_wrong(
    tmp_path: Path, where: str, value: Any, message: str
) -> None:
    path = tmp_path / "snapshot.json"
    body = corrupt(snapshot_of(load_graph(), path), where, value)
    path.write_bytes(orjson.dumps(body))
    with pytest.raises(StoreError) as caught:
        read_snapshot(path)
    assert str(caught.value).startswith(f"{path}: cannot read the snapshot: ")
    assert message in str(caught.value)


def test_links_out_of_range_in_both_halves_are_found_as_they_are_used(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.json"
    body = snapshot_of(load_graph(), path)
    edges = len(base64.b64decode(body["edges"]["out_link"])) // 4
    body["edges"]["out_link"] = body["edges"]["in_link"] = packed(*[10**6] * edges)
    path.write_bytes(orjson.dumps(body))
    with pytest.raises(StoreError, match=r"edges\.out_\*: a node or link index is out of range"):
        read_snapshot(path)


def test_a_snapshot_that_is_not_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.json"
    path.write_bytes(b'{"format": "showgraph-snapshot/2", "nodes"')
    with pytest.raises(StoreError, match=f"^{path}: cannot read the snapshot: "):
        JournalStore(tmp_path, BUILTIN_DATASET).open()


def test_a_reader_is_not_stopped_while_a_write_is_made_durable(tmp_path: Path) -> None:
    import threading

    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    planning, leave = threading.Event(), threading.Event()
    make = actor_change(model, "Jenny Walser")

    def slow(version: int) -> Change:
        planning.set()
        leave.wait()  # the writer holds its turn, as during an fsync or a commit
        return make(version)

    writer = threading.Thread(target=store.write, args=(model, slow))
    writer.start()
    planning.wait()
    with model.lock.reading():  # would wait forever if the writer held the read side
        assert model.version == 0
    leave.set()
    writer.join(timeout=10)
    assert model.version == 1


def test_a_background_snapshot_keeps_the_changes_written_meanwhile(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET, snapshot_every=2)
    model = store.open()
    for name in ("A One", "B Two", "C Three", "D Four"):  # the second starts a snapshot at 2
        store.write(model, actor_change(model, name))
    store.settle()
    snapshot = read_snapshot(tmp_path / "snapshot.json")
    lines = (tmp_path / "journal.jsonl").read_bytes().splitlines()
    assert snapshot.version in (2, 4)  # 4 when the child at 2 ended before the fourth write
    assert [Change.from_json(line).version for line in lines] == list(
        range(snapshot.version + 1, 5)
    )
    assert not list(tmp_path.glob("*.tmp"))
    assert state(JournalStore(tmp_path, BUILTIN_DATASET).open()) == state(model)


def test_an_older_snapshot_never_replaces_a_newer_one(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    older = tmp_path / "older.tmp"
    write_snapshot(model, older)  # version 0, as a slow child would have written it
    for name in ("A One", "B Two"):
        store.write(model, actor_change(model, name))
    store.close(model)  # snapshot at 2, journal emptied
    store._install(0, older)
    assert read_snapshot(tmp_path / "snapshot.json").version == 2
    assert not older.exists()
    assert state(JournalStore(tmp_path, BUILTIN_DATASET).open()) == state(model)


def test_a_whole_last_record_without_its_newline_is_kept_and_the_line_ended(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    store.write(model, actor_change(model, "Jenny Walser"))
    journal = tmp_path / "journal.jsonl"
    journal.write_bytes(journal.read_bytes().rstrip(b"\n"))
    reopened = JournalStore(tmp_path, BUILTIN_DATASET)
    again = reopened.open()
    assert state(again) == state(model)
    assert "incomplete" not in caplog.text
    assert journal.read_bytes().endswith(b"\n")
    reopened.write(again, actor_change(again, "Bradley Riches"))
    assert JournalStore(tmp_path, BUILTIN_DATASET).open().version == 2


def test_a_crash_between_installing_a_snapshot_and_compacting_is_finished_at_start_up(
    tmp_path: Path,
) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    for name in ("Jenny Walser", "Yasmin Finney"):
        store.write(model, actor_change(model, name))
    expected = state(model)
    # The snapshot is in place but the process died before dropping its journal lines.
    write_snapshot(model, tmp_path / "snapshot.json")
    assert (tmp_path / "journal.jsonl").read_bytes().count(b"\n") == 2
    again = JournalStore(tmp_path, BUILTIN_DATASET)
    reopened = again.open()
    assert state(reopened) == expected
    assert (tmp_path / "journal.jsonl").read_bytes() == b""
    again.close(reopened)
    assert (tmp_path / "journal.jsonl").read_bytes() == b""
