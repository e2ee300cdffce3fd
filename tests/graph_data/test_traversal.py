"""Tests for graph_data.traversal: paths and neighbourhoods on the built-in data,
errors, and properties checked against networkx on a generated graph."""

from __future__ import annotations

import doctest
import random
from itertools import pairwise
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_data import GraphNode, ShowGraph, load_graph, traversal
from graph_data.kinds import NodeKind, Relation
from graph_data.records import ActorFields
from graph_data.traversal import (
    MAX_DEPTH,
    MAX_PATH_LENGTH,
    Edge,
    Step,
    neighborhood,
    shortest_path,
)

KIT, TARA = "actor:kit-connor", "character:tara-jones"


@pytest.fixture(scope="module")
def builtin() -> ShowGraph:
    return load_graph()


# --- shortest paths on the built-in dataset -----------------------------------


def test_kit_connor_to_tara_through_the_show(builtin: ShowGraph) -> None:
    assert shortest_path(builtin, KIT, TARA) == [
        Step(KIT, None, True),
        Step("character:nick-nelson", Relation.PORTRAYS, True),
        Step("show:heartstopper", Relation.HAS_CHARACTER, False),
        Step(TARA, Relation.HAS_CHARACTER, True),
    ]


def test_kit_connor_to_tara_through_scenes(builtin: ShowGraph) -> None:
    only = {Relation.PORTRAYS, Relation.APPEARS_IN, Relation.HAS_SCENE, Relation.REVEALED}
    path = shortest_path(builtin, KIT, TARA, relations=only)
    assert path is not None
    assert path[:2] == [
        Step(KIT, None, True),
        Step("character:nick-nelson", Relation.PORTRAYS, True),
    ]
    assert path[2].via is Relation.APPEARS_IN
    assert path[2].forward
    assert path[2].key.startswith("scene:")
    assert path[-1] == Step(TARA, Relation.APPEARS_IN, False)
    assert len(path) == 6  # five edges: actor, character, scene, event, scene, character


def test_path_backwards_reverses_the_directions(builtin: ShowGraph) -> None:
    path = shortest_path(builtin, TARA, KIT)
    assert path is not None
    assert [s.key for s in path] == [TARA, "show:heartstopper", "character:nick-nelson", KIT]
    assert [s.forward for s in path[1:]] == [False, True, False]


def test_path_to_itself_is_one_step(builtin: ShowGraph) -> None:
    assert shortest_path(builtin, KIT, KIT) == [Step(KIT, None, True)]


def test_no_path_within_max_length(builtin: ShowGraph) -> None:
    assert shortest_path(builtin, KIT, TARA, max_length=2) is None
    assert shortest_path(builtin, KIT, TARA, max_length=3) is not None


def test_no_path_through_the_given_relations(builtin: ShowGraph) -> None:
    assert shortest_path(builtin, KIT, TARA, relations=[Relation.PORTRAYS]) is None
    assert shortest_path(builtin, KIT, TARA, relations=[]) is None


@pytest.mark.parametrize(("source", "target"), [("actor:nobody", TARA), (KIT, "character:x")])
def test_unknown_key_is_an_error(builtin: ShowGraph, source: str, target: str) -> None:
    with pytest.raises(ValueError, match="no node has the key"):
        shortest_path(builtin, source, target)


@pytest.mark.parametrize("max_length", [0, -1, MAX_PATH_LENGTH + 1])
def test_max_length_out_of_range_is_an_error(builtin: ShowGraph, max_length: int) -> None:
    with pytest.raises(ValueError, match=f"max_length must be between 1 and {MAX_PATH_LENGTH}"):
        shortest_path(builtin, KIT, TARA, max_length=max_length)


def test_documented_maxima() -> None:
    assert (MAX_PATH_LENGTH, MAX_DEPTH) == (10, 3)


# --- neighbourhoods on the built-in dataset -----------------------------------


def test_neighborhood_of_an_actor(builtin: ShowGraph) -> None:
    around = neighborhood(builtin, KIT)
    assert around.center == KIT
    assert around.nodes == [(KIT, 0), ("character:nick-nelson", 1)]
    assert around.edges == [
        Edge(KIT, "character:nick-nelson", Relation.PORTRAYS, ("source:reference",))
    ]
    assert not around.truncated


def test_neighborhood_is_ordered_and_truncated(builtin: ShowGraph) -> None:
    around = neighborhood(builtin, "character:nick-nelson", depth=2, limit=5)
    assert len(around.nodes) == 5
    assert around.truncated
    assert around.nodes == sorted(around.nodes, key=lambda pair: (pair[1], pair[0]))
    assert around.nodes[0] == ("character:nick-nelson", 0)
    kept = {key for key, _ in around.nodes}
    assert all(e.source in kept and e.target in kept for e in around.edges)


def test_neighborhood_through_some_relations(builtin: ShowGraph) -> None:
    around = neighborhood(
        builtin, TARA, depth=3, relations=[Relation.RELATED_TO, Relation.PORTRAYS]
    )
    assert around.nodes == [
        (TARA, 0),
        ("actor:corinna-brown", 1),
        ("character:darcy-olsson", 1),
        ("actor:kizzy-edgell", 2),
    ]
    assert {e.relation for e in around.edges} == {Relation.RELATED_TO, Relation.PORTRAYS}


def test_neighborhood_exactly_at_the_limit_is_not_truncated(builtin: ShowGraph) -> None:
    whole = neighborhood(builtin, KIT, depth=2)
    again = neighborhood(builtin, KIT, depth=2, limit=len(whole.nodes))
    assert again.nodes == whole.nodes
    assert not again.truncated


@pytest.mark.parametrize("depth", [0, MAX_DEPTH + 1])
def test_depth_out_of_range_is_an_error(builtin: ShowGraph, depth: int) -> None:
    with pytest.raises(ValueError, match=f"depth must be between 1 and {MAX_DEPTH}"):
        neighborhood(builtin, KIT, depth=depth)


def test_neighborhood_errors(builtin: ShowGraph) -> None:
    with pytest.raises(ValueError, match="no node has the key"):
        neighborhood(builtin, "actor:nobody")
    with pytest.raises(ValueError, match="limit must be at least 1"):
        neighborhood(builtin, KIT, limit=0)


def test_docstring_examples_run() -> None:
    assert doctest.testmod(traversal).failed == 0


# --- a generated graph, checked against networkx ----------------------------------

RELATIONS = [Relation.PORTRAYS, Relation.APPEARS_IN, Relation.HAS_SCENE, Relation.RELATED_TO]
N = 3000


@pytest.fixture(scope="module")
def generated() -> ShowGraph:
    """3,000 nodes, sparse enough for long paths and separate components, with three
    hubs, parallel edges of different relations and edges both ways."""
    rng = random.Random(7)
    model = ShowGraph()
    keys = [f"actor:n{i:04d}" for i in range(N)]
    for key in keys:
        model.add_node(GraphNode(key, NodeKind.ACTOR, ActorFields(name=key), ("source:gen",)))
    for _ in range(int(N * 1.1)):
        u, v = rng.sample(keys, 2)
        model.add_edge(u, v, rng.choice(RELATIONS), (f"source:s{rng.randint(0, 9)}",))
        if rng.random() < 0.05:
            model.add_edge(v, u, rng.choice(RELATIONS), ("source:back",))
    for hub in rng.sample(keys, 3):
        for other in rng.sample(keys, 150):
            if other != hub:
                model.add_edge(hub, other, Relation.HAS_SCENE, ("source:hub",))
    return model


def _undirected(model: ShowGraph, relations: frozenset[Relation] | None) -> Any:
    """The networkx reference: an undirected view, filtered by relation, never a copy."""
    graph = model.graph
    if relations is not None:
        graph = nx.subgraph_view(graph, filter_edge=lambda u, v, k: k in relations)
    return graph.to_undirected(as_view=True)


_NODES = st.integers(0, N - 1).map(lambda i: f"actor:n{i:04d}")
_RELATION_SETS = st.none() | st.frozensets(st.sampled_from(RELATIONS), min_size=1)


def _first_shortest_path(view: Any, source: str, target: str) -> list[str]:
    """The smallest shortest path key by key, by walking down the distances to target."""
    to_target = nx.single_source_shortest_path_length(view, target)
    path = [source]
    while path[-1] != target:
        left = to_target[path[-1]] - 1
        path.append(min(k for k in view[path[-1]] if to_target.get(k) == left))
    return path


@settings(max_examples=150, deadline=None)
@given(
    source=_NODES,
    target=_NODES,
    max_length=st.integers(1, MAX_PATH_LENGTH),
    relations=_RELATION_SETS,
)
def test_shortest_path_agrees_with_networkx(
    generated: ShowGraph,
    source: str,
    target: str,
    max_length: int,
    relations: frozenset[Relation] | None,
) -> None:
    view = _undirected(generated, relations)
    try:
        expected: int | None = nx.shortest_path_length(view, source, target)
    except nx.NetworkXNoPath:
        expected = None
    path = shortest_path(generated, source, target, max_length, relations)
    if expected is None or expected > max_length:
        assert path is None
        return
    assert path is not None
    assert len(path) - 1 == expected
    assert [s.key for s in path] == _first_shortest_path(view, source, target)
    assert path[0] == Step(source, None, True)
    for before, step in pairwise(path):
        assert step.via is not None
        assert relations is None or step.via in relations
        u, v = (before.key, step.key) if step.forward else (step.key, before.key)
        assert generated.edge(u, v, step.via) is not None


@settings(max_examples=100, deadline=None)
@given(
    key=_NODES,
    depth=st.integers(1, MAX_DEPTH),
    relations=_RELATION_SETS,
    limit=st.integers(1, 400),
)
def test_neighborhood_agrees_with_networkx(
    generated: ShowGraph,
    key: str,
    depth: int,
    relations: frozenset[Relation] | None,
    limit: int,
) -> None:
    view = _undirected(generated, relations)
    reach = nx.single_source_shortest_path_length(view, key, cutoff=depth)
    around = neighborhood(generated, key, depth, relations, limit)
    expected = sorted(((k, d) for k, d in reach.items()), key=lambda pair: (pair[1], pair[0]))
    assert around.nodes == expected[:limit]
    assert around.truncated == (len(reach) > limit)
    assert all(d == reach[k] <= depth for k, d in around.nodes)
    kept = {k for k, _ in around.nodes}
    wanted = sorted(
        (u, v, r)
        for u, v, r in generated.graph.subgraph(kept).edges(keys=True)
        if relations is None or r in relations
    )
    assert [(e.source, e.target, e.relation) for e in around.edges] == wanted
    for e in around.edges:
        assert e.sources == generated.graph.edges[e.source, e.target, e.relation]["sources"]
