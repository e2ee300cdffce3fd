"""Diffs: a change's undo brings back the graph before it; its facts and links say what it did."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_data import ShowGraph, load_graph
from graph_data.changes import (
    Change,
    EdgeChange,
    EdgeChangeKind,
    FieldChange,
    apply,
    apply_op,
)
from graph_data.diffs import make_change
from graph_data.edits import (
    Edit,
    EditRejectedError,
    SourceRequest,
    create_node,
    delete_node,
    link,
    unlink,
    update_node,
)
from graph_data.kinds import NodeKind, Relation
from tests.graph_data.graphs import state

ARTICLE = SourceRequest(keys=["source:article"])
# Sequences of edits tried; SHOWGRAPH_TEST_EXAMPLES raises it for a longer search.
EXAMPLES = int(os.environ.get("SHOWGRAPH_TEST_EXAMPLES", "40"))


def made(model: ShowGraph, step: Callable[[Edit], Any], note: str = "") -> Change:
    edit = Edit(model, "alice", model.version + 1)
    edit.cite(ARTICLE)
    step(edit)
    return make_change(model, model.version + 1, "alice", edit.done(), "test", note=note)


def undo(model: ShowGraph, change: Change) -> None:
    for op in change.undo:
        apply_op(model, op)
    model.version = change.version - 1


def test_an_update_records_each_fact_it_changed_with_old_and_new_values() -> None:
    model = load_graph()
    change = made(model, lambda e: update_node(e, "actor:kit-connor", {"name": "Kit C."}))
    assert change.fields == (FieldChange("actor:kit-connor", "name", "Kit Connor", "Kit C."),)
    assert change.edges == ()
    before = state(model)
    apply(model, change)
    undo(model, change)
    assert state(model) == before


def test_a_cascade_delete_records_every_fact_and_link_it_removed() -> None:
    model = load_graph()
    links = model.graph.degree("character:nick-nelson")
    change = made(model, lambda e: delete_node(e, "character:nick-nelson", cascade=True))
    removed = [e for e in change.edges if e.change is EdgeChangeKind.REMOVED]
    assert len(removed) == links
    assert FieldChange("character:nick-nelson", "name", "Nick Nelson", None) in change.fields
    before = state(model)
    apply(model, change)
    assert "character:nick-nelson" not in model.graph
    undo(model, change)
    assert state(model) == before


def test_a_new_source_and_a_node_citing_it_in_one_change_undo_to_nothing() -> None:
    model = load_graph()
    edit = Edit(model, "alice", 1)
    edit.cite(SourceRequest(new_title="A press release"))
    create_node(edit, NodeKind.ACTOR, {"name": "Jenny Walser"})
    change = make_change(model, 1, "alice", edit.done(), "create actor")
    assert FieldChange("actor:jenny-walser", "name", None, "Jenny Walser") in change.fields
    (source,) = [key for key in change.sources if key not in model.graph]
    assert FieldChange(source, "title", None, "A press release") in change.fields
    before = state(model)
    apply(model, change)
    undo(model, change)
    assert state(model) == before


def test_changing_a_link_records_it_as_changed() -> None:
    model = load_graph()
    actor, character = "actor:kit-connor", "character:nick-nelson"
    change = made(model, lambda e: link(e, actor, Relation.PORTRAYS, character, {"role": "GUEST"}))
    assert change.edges == (
        EdgeChange(actor, Relation.PORTRAYS, character, EdgeChangeKind.CHANGED),
    )


def test_the_undo_and_what_changed_survive_a_journal_line() -> None:
    model = load_graph()
    change = made(model, lambda e: delete_node(e, "actor:joe-locke", cascade=True), note="why")
    assert Change.from_json(change.to_json()) == change


# --- any sequence of edits -------------------------------------------------------------------

_NAMES = st.sampled_from(["Jenny Walser", "Kit Connor", "Yasmin Finney", "A", "Zed"])


@st.composite
def edit_steps(draw: st.DrawFn, model: ShowGraph) -> Callable[[Edit], Any]:
    """One edit the API could send, against the nodes the graph has now."""
    actors = sorted(n.key for n in model.nodes_of(NodeKind.ACTOR))
    characters = sorted(n.key for n in model.nodes_of(NodeKind.CHARACTER))
    everything = sorted(k for k in model.graph.nodes if not k.startswith("source:"))
    choice = draw(st.sampled_from(["create", "update", "link", "unlink", "delete"]))
    if choice == "create" or not actors:
        name = draw(_NAMES)
        return lambda e: create_node(e, NodeKind.ACTOR, {"name": name})
    actor = draw(st.sampled_from(actors))
    if choice == "update":
        name = draw(_NAMES)
        return lambda e: update_node(e, actor, {"name": name})
    if choice in ("link", "unlink") and characters:
        character = draw(st.sampled_from(characters))
        if choice == "unlink":
            return lambda e: unlink(e, actor, Relation.PORTRAYS, character)
        role = draw(st.sampled_from(["MAIN", "RECURRING", "GUEST"]))
        return lambda e: link(e, actor, Relation.PORTRAYS, character, {"role": role})
    victim = draw(st.sampled_from(everything))
    return lambda e: delete_node(e, victim, cascade=True)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.data())
def test_undoing_every_change_of_any_sequence_gives_back_each_earlier_graph(
    data: st.DataObject,
) -> None:
    model = load_graph()
    states, changes = [state(model)], []
    for _ in range(data.draw(st.integers(1, 8))):
        try:
            change = made(model, data.draw(edit_steps(model)))
        except EditRejectedError:
            continue
        apply(model, change)
        states.append(state(model))
        changes.append(change)
    for change in reversed(changes):
        undo(model, change)
        states.pop()
        assert state(model) == states[-1]
