"""The fan-out stays equal to a count made from scratch, through every kind of change."""

from __future__ import annotations

import random

from graph_data import load_graph
from graph_data.fanout import FanOut
from graph_data.kinds import NodeKind, Relation


def from_scratch(graph: object) -> dict[tuple[NodeKind, Relation, bool], int]:
    fanout = FanOut.measure(graph.graph._node, graph.graph._succ)  # type: ignore[attr-defined]
    return {
        (kind, relation, outgoing): fanout.most(kind, relation, outgoing)
        for kind in NodeKind
        for relation in Relation
        for outgoing in (True, False)
    }


def kept(graph: object) -> dict[tuple[NodeKind, Relation, bool], int]:
    fanout = graph.fanout  # type: ignore[attr-defined]
    return {
        (kind, relation, outgoing): fanout.most(kind, relation, outgoing)
        for kind in NodeKind
        for relation in Relation
        for outgoing in (True, False)
    }


def test_the_largest_fan_out_of_the_built_in_graph() -> None:
    graph = load_graph()
    assert graph.fanout.most(NodeKind.SEASON, Relation.HAS_EPISODE) == 8
    assert graph.fanout.most(NodeKind.SHOW, Relation.HAS_CHARACTER) == 6
    assert graph.fanout.most(NodeKind.CHARACTER, Relation.PORTRAYS, outgoing=False) == 1


def test_edits_keep_it_exact() -> None:
    graph = load_graph()
    assert kept(graph) == from_scratch(graph)  # measured once, on first use
    rng = random.Random(7)
    characters = [n.key for n in graph.nodes_of(NodeKind.CHARACTER)]
    scenes = [n.key for n in graph.nodes_of(NodeKind.SCENE)]
    for _ in range(40):
        character, scene = rng.choice(characters), rng.choice(scenes)
        if graph.edge(character, scene, Relation.APPEARS_IN) is None:
            graph.add_edge(character, scene, Relation.APPEARS_IN, ["source:x"])
        else:
            graph.remove_edge(character, scene, Relation.APPEARS_IN)
        assert kept(graph) == from_scratch(graph)
    season = graph.nodes_of(NodeKind.SEASON)[0].key
    graph.remove_node(season)  # every edge of a node at once
    assert kept(graph) == from_scratch(graph)
