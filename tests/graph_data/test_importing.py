"""Importing into a store: one change, merged by default, checked whole, nothing half-done."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph_data import BUILTIN_DATASET, GraphNode, ShowGraph, load_graph
from graph_data.changes import Change
from graph_data.formats import ExchangeError, read_export, read_graph
from graph_data.formats import common as common_module
from graph_data.generate import generate, write_dataset
from graph_data.importing import import_history, import_into
from graph_data.kinds import Relation
from graph_data.store import JournalStore
from tests.graph_data.formats.test_formats import broken_graphml, broken_node_link
from tests.graph_data.graphs import (
    edited_graph,
    round_trip,
    state,
)


@pytest.fixture(scope="module")
def builtin() -> ShowGraph:
    return load_graph()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> ShowGraph:
    path = write_dataset(generate(2, seed=20), tmp_path_factory.mktemp("gen") / "two.json")
    model = load_graph(path)
    assert model.graph.number_of_nodes() > 1500
    return model


@pytest.fixture
def edited() -> ShowGraph:
    return edited_graph()


@pytest.mark.parametrize("make", [broken_node_link, broken_graphml], ids=["node-link", "graphml"])
def test_a_refused_import_changes_nothing_in_the_store(
    make: Callable[[ShowGraph, Path], Path], builtin: ShowGraph, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    store = JournalStore(data_dir, BUILTIN_DATASET)
    model = store.open()
    before = state(model)
    path = make(builtin, tmp_path)
    with pytest.raises(ExchangeError):
        import_into(store, model, read_graph(path), "tester")
    assert store.catch_up(model) == []
    assert (state(model), model.version) == (before, 0)
    assert (data_dir / "journal.jsonl").read_bytes() == b""


def test_import_into_checks_a_graph_it_is_handed(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    incoming = load_graph()
    incoming.add_edge(
        "actor:kit-connor", "scene:heartstopper-s2e1-opening", Relation.APPEARS_IN, ["nope"]
    )
    incoming.remove_edge("show:heartstopper", "season:heartstopper-s1", Relation.HAS_SEASON)
    with pytest.raises(ExchangeError) as caught:
        import_into(store, model, incoming, "tester")
    assert [(p.record, p.field) for p in caught.value.problems] == [
        ("node 'season:heartstopper-s1'", "HAS_SEASON"),
        ("edge actor:kit-connor APPEARS_IN scene:heartstopper-s2e1-opening", "source"),
        ("edge actor:kit-connor APPEARS_IN scene:heartstopper-s2e1-opening", "sources.0"),
    ]
    assert (tmp_path / "journal.jsonl").read_bytes() == b""
    assert model.version == 0


# --- importing into a store --------------------------------------------------------------------


def test_import_is_one_change_that_another_process_sees(
    generated: ShowGraph, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    writer = JournalStore(data_dir, BUILTIN_DATASET)
    model = writer.open()
    follower = JournalStore(data_dir, BUILTIN_DATASET)
    followed = follower.open()
    incoming = round_trip(generated, "gexf", tmp_path)

    change = import_into(writer, model, incoming, "tester", replace=True, progress=False)
    assert change is not None
    assert (change.version, change.writer, model.version) == (1, "tester", 1)
    lines = (data_dir / "journal.jsonl").read_bytes().splitlines()
    assert len(lines) == 1
    assert state(model) == state(generated)

    assert follower.catch_up(followed) == [change]
    assert state(followed) == state(generated)
    assert followed.version == 1
    assert state(JournalStore(data_dir, BUILTIN_DATASET).open()) == state(generated)

    assert import_into(writer, model, incoming, "tester", progress=False) is None
    builtin = load_graph()
    back = import_into(writer, model, builtin, "tester", replace=True, progress=False)
    assert back is not None
    edges_gone = generated.graph.number_of_edges()
    assert back.summary.endswith(
        f"deleted; {builtin.graph.number_of_edges()} edge(s) put, {edges_gone} deleted"
    )
    assert [c.version for c in follower.catch_up(followed)] == [2]
    assert state(followed) == state(builtin)


def test_import_into_writes_only_the_differences(edited: ShowGraph, tmp_path: Path) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    change = import_into(store, model, edited, "tester")
    assert change is not None
    assert sorted(op.op for op in change.ops) == ["put_edge", "put_node", "put_node", "put_node"]
    assert state(model) == state(edited)


def test_a_large_import_shows_a_progress_bar(
    builtin: ShowGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr(common_module, "PROGRESS_MIN_ITEMS", 10)
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    incoming = load_graph()
    incoming.remove_node("actor:kit-connor")
    assert import_into(store, model, incoming, "tester", replace=True) is not None
    assert capsys.readouterr().err == ""  # stderr is not a terminal here: no bar
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    incoming.remove_node("actor:joe-locke")
    assert import_into(store, model, incoming, "tester", replace=True) is not None
    err = capsys.readouterr().err
    assert "import" in err
    assert "100%" in err


# --- merging ------------------------------------------------------------------------------------


def test_an_import_merges_and_deletes_nothing(generated: ShowGraph, tmp_path: Path) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    builtin_nodes, builtin_edges = model.graph.number_of_nodes(), model.graph.number_of_edges()
    change = import_into(store, model, generated, "tester", progress=False)
    assert change is not None
    new_nodes = generated.graph.number_of_nodes() - 2  # the article and reference sources
    assert change.summary == (
        f"import: {new_nodes + 2} node(s) put, 0 deleted; "
        f"{generated.graph.number_of_edges()} edge(s) put, 0 deleted"
    )
    assert model.graph.number_of_nodes() == builtin_nodes + new_nodes
    assert model.graph.number_of_edges() == builtin_edges + generated.graph.number_of_edges()
    assert model.node("show:heartstopper") is not None  # the other show stays
    assert state(JournalStore(tmp_path, BUILTIN_DATASET).open()) == state(model)


def renumbered(model: ShowGraph, key: str, number: int) -> GraphNode[Any]:
    node = model.require(key)
    data = node.data.model_copy(update={"number": number})
    return GraphNode(key, node.kind, data, node.sources, node.field_sources)


def moved(model: ShowGraph, episode: str, season: str, number: int) -> None:
    old = model.parent(episode, Relation.HAS_EPISODE)
    assert old is not None
    model.remove_edge(old, episode, Relation.HAS_EPISODE)
    model.add_node(renumbered(model, episode, number))
    model.add_edge(season, episode, Relation.HAS_EPISODE, ["source:article"])


def test_a_merge_updates_facts_and_moves_a_child(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    incoming = load_graph()
    moved(incoming, "episode:heartstopper-s2e1", "season:heartstopper-s1", 9)
    change = import_into(store, model, incoming, "tester")
    assert change is not None
    assert change.summary == "import: 1 node(s) put, 0 deleted; 1 edge(s) put, 1 deleted"
    parent = model.parent("episode:heartstopper-s2e1", Relation.HAS_EPISODE)
    assert parent == "season:heartstopper-s1"
    assert model.require("episode:heartstopper-s2e1").data.number == 9


def test_a_merge_that_would_break_a_rule_changes_nothing(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    model = store.open()
    incoming = load_graph()
    incoming.remove_node("episode:heartstopper-s1e1")  # valid alone: s1 has no episode 1 here
    moved(incoming, "episode:heartstopper-s2e1", "season:heartstopper-s1", 1)
    with pytest.raises(ExchangeError) as caught:
        import_into(store, model, incoming, "tester")
    assert "number 1 is already used in 'season:heartstopper-s1'" in str(caught.value)
    assert "the graph the import would make" in str(caught.value)
    assert (model.version, (tmp_path / "journal.jsonl").read_bytes()) == (0, b"")


# --- an export's history, into a new store ----------------------------------------------------


@pytest.fixture
def exported(tmp_path: Path) -> tuple[Path, list[Change], list[Any]]:
    """A node-link export with history of a data directory after a run of mutations.

    Also the graph after each version (``state``), from version 0 on.
    """
    from graph_data.formats import export_graph
    from tests.graph_data.test_restoring import mutated

    store = JournalStore(tmp_path / "old", BUILTIN_DATASET)
    model = store.open()
    seen = mutated(store, model)
    changes = store.history.between(0, model.version)
    path = tmp_path / "with-history.json"
    export_graph(model, "json", path, history=changes)
    store.close(model)
    return path, changes, seen


def test_a_history_starts_a_new_store_with_the_same_versions(
    exported: tuple[Path, list[Change], list[Any]], tmp_path: Path
) -> None:
    from graph_data.history import PastGraphs

    path, changes, seen = exported
    incoming, history = read_export(path)
    store = JournalStore(tmp_path / "new", BUILTIN_DATASET)
    model = store.open()

    written = import_history(store, model, incoming, history, str(path))

    assert written == changes
    assert model.version == len(changes)
    assert store.history.between(0, model.version) == changes  # writers, times, notes, undos
    past = PastGraphs(store.history)
    assert [state(past.as_of(model, v)) for v in range(model.version + 1)] == seen
    assert state(JournalStore(tmp_path / "new", BUILTIN_DATASET).open()) == seen[-1]


def _refused(store: JournalStore, path: Path, history: list[Any], match: str) -> None:
    incoming = read_export(path)[0]
    model = store.open()
    before = model.version
    with pytest.raises(ExchangeError, match=match):
        import_history(store, model, incoming, history, str(path))
    assert model.version == before
    assert store.history.between(before, before + 100) == []


def test_a_history_goes_only_into_an_empty_store(
    exported: tuple[Path, list[Change], list[Any]], tmp_path: Path
) -> None:
    path, _, _ = exported
    store = JournalStore(tmp_path / "new", BUILTIN_DATASET)
    model = store.open()
    import_into(store, model, load_graph(), "tester", replace=True)  # nothing differs
    import_into(store, model, edited_graph(), "tester")
    assert model.version == 1
    _refused(store, path, read_export(path)[1], "the store is at version 1, not 0")


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda h: h.pop(2), r"history\[2\].*expected version 3"),
        (lambda h: h[1].pop("ops"), r"history\[1\].*not a valid change"),
        (lambda h: h[0]["undo"].clear(), "its undos are damaged"),
        (lambda h: h.pop(0), "expected version 1"),
    ],
    ids=["a gap", "no ops", "a lost undo", "not from version 1"],
)
def test_a_damaged_history_is_refused_before_anything_is_written(
    exported: tuple[Path, list[Change], list[Any]],
    tmp_path: Path,
    damage: Callable[[list[Any]], Any],
    match: str,
) -> None:
    path, _, _ = exported
    history = read_export(path)[1]
    damage(history)
    _refused(JournalStore(tmp_path / "new", BUILTIN_DATASET), path, history, match)


def test_a_history_that_began_from_another_graph_is_refused(
    exported: tuple[Path, list[Change], list[Any]], tmp_path: Path
) -> None:
    path, _, _ = exported
    other = write_dataset(generate(1, seed=3), tmp_path / "other.json")
    store = JournalStore(tmp_path / "new", other)
    _refused(store, path, read_export(path)[1], "it began from another graph")


def test_a_history_starts_a_new_postgresql_database(
    exported: tuple[Path, list[Change], list[Any]], pg_dsn: str
) -> None:
    from graph_data.pgstore import PostgresStore

    path, changes, seen = exported
    incoming, history = read_export(path)
    store = PostgresStore(pg_dsn, BUILTIN_DATASET)
    model = store.open()
    try:
        assert import_history(store, model, incoming, history, str(path)) == changes
        assert store.history.between(0, model.version) == changes
    finally:
        store.close(model)
    replica = PostgresStore(pg_dsn, BUILTIN_DATASET)
    followed = replica.open()
    try:
        assert followed.version == len(changes)
        assert state(followed) == seen[-1]
    finally:
        replica.close(followed)
