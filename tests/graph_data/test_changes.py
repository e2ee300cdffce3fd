"""Changes: their JSON line round-trips, and applying one rebuilds the same graph."""

from __future__ import annotations

import pytest

from graph_data import ShowGraph, load_graph
from graph_data.changes import (
    Change,
    DeleteEdge,
    DeleteNode,
    PutEdge,
    PutNode,
    apply,
    edges_to_json,
    node_to_json,
)
from graph_data.kinds import NodeKind, Relation


def snapshot_ops(model: ShowGraph) -> tuple[PutNode | PutEdge, ...]:
    nodes = [PutNode(**node_to_json(model.require(key))) for key in model.graph.nodes]
    edges = [PutEdge(**edge) for edge in edges_to_json(model)]
    return (*nodes, *edges)


def test_a_change_round_trips_through_its_json_line() -> None:
    change = Change(
        7,
        "alice",
        (
            DeleteNode(key="actor:x"),
            DeleteEdge(source="a:b", target="c:d", relation=Relation.WROTE),
        ),
        "tidy up",
    )
    again = Change.from_json(change.to_json())
    assert again == change


def test_replaying_every_node_and_edge_rebuilds_the_graph() -> None:
    original = load_graph()
    rebuilt = ShowGraph()
    apply(rebuilt, Change(3, "alice", snapshot_ops(original)))
    assert rebuilt.version == 3
    assert sorted(map(str, edges_to_json(rebuilt))) == sorted(map(str, edges_to_json(original)))
    for key in original.graph.nodes:
        assert rebuilt.require(key) == original.require(key)
    assert rebuilt.portrayals_of_actor("actor:kit-connor") == original.portrayals_of_actor(
        "actor:kit-connor"
    )


def test_touched_lists_every_node_a_change_concerns() -> None:
    change = Change(
        1,
        "alice",
        (
            PutNode(key="actor:x", kind=NodeKind.ACTOR, fields={"name": "X"}, sources=["source:a"]),
            PutEdge(
                source="actor:x",
                target="character:y",
                relation=Relation.PORTRAYS,
                sources=["source:a"],
                props={"role": "MAIN"},
            ),
            DeleteNode(key="scene:z"),
        ),
    )
    assert list(change.touched()) == [
        ("actor:x", "ACTOR"),
        ("actor:x", "ACTOR"),
        ("character:y", "CHARACTER"),
        ("scene:z", "SCENE"),
    ]


@pytest.mark.parametrize(
    "line",
    [
        b"not json",
        b'{"version": 1}',
        b'{"version": 1, "writer": "a", "at": "t", "ops": [{"op": "explode"}]}',
        b'{"version": "one", "writer": "a", "at": "t", "ops": []}',
    ],
)
def test_bad_lines_are_refused(line: bytes) -> None:
    with pytest.raises(ValueError, match="not a valid change"):
        Change.from_json(line)


def test_facts_are_validated_again_on_replay() -> None:
    bad = Change(
        1,
        "alice",
        (
            PutNode(
                key="season:s",
                kind=NodeKind.SEASON,
                fields={"number": "two", "status": "RELEASED"},
                sources=["source:a"],
            ),
        ),
    )
    with pytest.raises(ValueError, match="valid integer"):
        apply(ShowGraph(), bad)
