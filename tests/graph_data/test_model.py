"""The graph model's storage: shared edge dicts never let one edge's change reach another."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graph_data import BUILTIN_DATASETS, load_dataset, load_graph
from graph_data.generate import generate
from graph_data.kinds import NodeKind, Relation
from graph_data.loader import Dataset
from graph_data.model import NO_FIELD_SOURCES, GraphNode, SharedDict, ShowGraph, node_key
from graph_data.records import FIELDS_OF, ActorFields, CharacterFields, Sourced

ARTICLE = ("source:article",)
REFERENCE = ("source:reference",)


def small() -> ShowGraph:
    model = ShowGraph()
    for key in ("actor:a", "actor:b"):
        model.add_node(GraphNode(key, NodeKind.ACTOR, ActorFields(name=key), ARTICLE))
    for key in ("character:x", "character:y"):
        model.add_node(GraphNode(key, NodeKind.CHARACTER, CharacterFields(name=key), ARTICLE))
    model.add_edge("character:x", "character:y", Relation.RELATED_TO, ARTICLE, kind="FRIEND")
    model.add_edge("character:y", "character:x", Relation.RELATED_TO, ARTICLE, kind="FRIEND")
    return model


def test_equal_edges_share_one_attribute_dict() -> None:
    model = small()
    one = model.edge("character:x", "character:y", Relation.RELATED_TO)
    other = model.edge("character:y", "character:x", Relation.RELATED_TO)
    assert one == {"kind": "FRIEND", "sources": ARTICLE}
    assert one is other
    assert (
        model.graph._succ["character:x"]["character:y"]
        is model.graph._pred["character:y"]["character:x"]
    )


def test_replacing_an_edge_leaves_the_edges_it_shared_with_alone() -> None:
    model = small()
    model.add_edge("character:x", "character:y", Relation.RELATED_TO, REFERENCE, kind="RIVAL")
    assert model.edge("character:x", "character:y", Relation.RELATED_TO) == {
        "kind": "RIVAL",
        "sources": REFERENCE,
    }
    assert model.edge("character:y", "character:x", Relation.RELATED_TO) == {
        "kind": "FRIEND",
        "sources": ARTICLE,
    }


def test_a_second_relation_on_a_pair_does_not_reach_pairs_sharing_its_key_dict() -> None:
    model = small()
    model.add_edge("character:x", "character:y", Relation.APPEARS_IN, ARTICLE)
    assert set(model.graph.succ["character:x"]["character:y"]) == {
        Relation.RELATED_TO,
        Relation.APPEARS_IN,
    }
    assert set(model.graph.succ["character:y"]["character:x"]) == {Relation.RELATED_TO}
    model.remove_edge("character:x", "character:y", Relation.RELATED_TO)
    assert set(model.graph.succ["character:x"]["character:y"]) == {Relation.APPEARS_IN}
    assert set(model.graph.pred["character:y"]["character:x"]) == {Relation.APPEARS_IN}
    assert set(model.graph.succ["character:y"]["character:x"]) == {Relation.RELATED_TO}
    model.remove_edge("character:x", "character:y", Relation.APPEARS_IN)
    assert "character:y" not in model.graph.succ["character:x"]
    assert "character:x" not in model.graph.pred["character:y"]
    assert model.graph.number_of_edges() == 1


def test_removing_a_missing_edge_is_an_error_as_in_networkx() -> None:
    with pytest.raises(nx.NetworkXError):
        small().remove_edge("actor:a", "character:x", Relation.PORTRAYS)


def test_shared_dicts_refuse_changes_in_place() -> None:
    model = small()
    attrs = model.edge("character:x", "character:y", Relation.RELATED_TO)
    assert isinstance(attrs, SharedDict)
    with pytest.raises(TypeError, match="shared between edges"):
        attrs["kind"] = "RIVAL"  # type: ignore[index]
    with pytest.raises(TypeError, match="shared between edges"):
        attrs.update(kind="RIVAL")  # type: ignore[attr-defined]
    keydict = model.graph._succ["character:x"]["character:y"]
    assert isinstance(keydict, SharedDict)
    with pytest.raises(TypeError):
        del keydict[Relation.RELATED_TO]
    assert model.edge("character:y", "character:x", Relation.RELATED_TO) == {
        "kind": "FRIEND",
        "sources": ARTICLE,
    }
    copied = copy.deepcopy(attrs)
    assert copied == attrs
    assert copied is not attrs
    assert dict(attrs) == attrs


def test_an_edge_to_a_missing_node_adds_a_bare_node_as_networkx_does() -> None:
    model = small()
    model.add_edge("actor:a", "character:z", Relation.PORTRAYS, ARTICLE, role="MAIN")
    assert "character:z" in model.graph
    assert model.graph.nodes["character:z"] == {}


def test_the_built_graph_has_every_edge_of_the_dataset_with_its_own_attributes() -> None:
    model = load_graph()
    edges = list(model.graph.edges(keys=True, data=True))
    assert len(edges) == model.graph.number_of_edges() > 0
    for u, v, relation, attrs in edges:
        assert model.edge(u, v, relation) is attrs
        assert attrs["sources"]
        assert all(s.startswith("source:") for s in attrs["sources"])
    portrayals = [attrs for _, _, r, attrs in edges if r == Relation.PORTRAYS]
    assert portrayals
    assert all(isinstance(p["field_sources"], dict) for p in portrayals)


def test_nodes_without_field_sources_share_one_read_only_mapping() -> None:
    model = load_graph()
    bare = [n for n in model.nodes_of(NodeKind.SCENE) if not n.field_sources]
    assert len(bare) > 1
    assert all(n.field_sources is bare[0].field_sources for n in bare)
    with pytest.raises(TypeError):
        bare[0].field_sources["name"] = ARTICLE  # type: ignore[index]


def test_a_kind_is_sorted_on_its_first_use_only_and_again_after_a_change() -> None:
    model = load_graph()
    actors = model.nodes_of(NodeKind.ACTOR)
    assert [a.label for a in actors] == sorted((a.label for a in actors), key=str.casefold)
    assert {key.partition(":")[0] for key in model._sort_keys} == {"actor"}  # no other kind
    assert model.count(NodeKind.SCENE) == len(model.nodes_of(NodeKind.SCENE)) > 0
    model.add_node(GraphNode("actor:aaa", NodeKind.ACTOR, ActorFields(name="Aaron A"), ARTICLE))
    assert model.nodes_of(NodeKind.ACTOR)[0].key == "actor:aaa"
    assert model.count(NodeKind.ACTOR) == len(actors) + 1


def test_neighbour_lists_are_shared_tuples_until_the_next_change() -> None:
    model = small()
    assert model.out("actor:a", Relation.PORTRAYS) == ()
    model.add_edge("actor:a", "character:y", Relation.PORTRAYS, ARTICLE)
    model.add_edge("actor:a", "character:x", Relation.PORTRAYS, ARTICLE)
    found = model.out("actor:a", Relation.PORTRAYS)
    assert [n.key for n in found] == ["character:x", "character:y"]  # natural order
    assert model.out("actor:a", Relation.PORTRAYS) is found  # remembered, not copied
    assert [n.key for n in model.into("character:x", Relation.PORTRAYS)] == ["actor:a"]
    model.remove_edge("actor:a", "character:x", Relation.PORTRAYS)
    assert [n.key for n in model.out("actor:a", Relation.PORTRAYS)] == ["character:y"]
    assert model.into("character:x", Relation.PORTRAYS) == ()
    model.remove_node("character:y")
    assert model.out("actor:a", Relation.PORTRAYS) == ()
    assert model.out("actor:missing", Relation.PORTRAYS) == ()


def test_portrayal_lists_follow_the_portrays_edges_and_share_their_links() -> None:
    model = load_graph()
    (link,) = model.portrayals_of_actor("actor:kit-connor")
    assert link.character == "character:nick-nelson"
    assert [c.key for c in model.out("actor:kit-connor", Relation.PORTRAYS)] == [link.character]
    (same,) = model.portrayals_of_character("character:nick-nelson")
    assert same is link
    assert model.portrayals_of_actor("actor:kit-connor") is model.portrayals_of_actor(
        "actor:kit-connor"
    )
    model.remove_edge("actor:kit-connor", "character:nick-nelson", Relation.PORTRAYS)
    assert model.portrayals_of_actor("actor:kit-connor") == ()
    assert model.portrayals_of_character("character:nick-nelson") == ()


def test_episode_characters_are_remembered_until_an_appearance_changes() -> None:
    model = load_graph()
    episode = "episode:heartstopper-s2e1"
    before = model.episode_characters(episode)
    assert [c.key for c in before] == ["character:charlie-spring", "character:nick-nelson"]
    assert model.episode_characters(episode) is before
    assert episode not in {e.key for e in model.character_episodes("character:tara-jones")}
    model.add_edge("character:tara-jones", episode, Relation.APPEARS_IN, ARTICLE)
    assert [c.key for c in model.episode_characters(episode)] == [
        "character:charlie-spring",
        "character:nick-nelson",
        "character:tara-jones",
    ]
    assert episode in {e.key for e in model.character_episodes("character:tara-jones")}


def test_memo_tables_are_kept_until_the_next_change() -> None:
    model = small()
    table = model.memo("characters of actors")
    table["actor:a"] = ("answer",)
    assert model.memo("characters of actors") is table
    assert model.memo("something else") == {}
    model.add_edge("actor:a", "character:x", Relation.PORTRAYS, ARTICLE)
    assert model.memo("characters of actors") == {}


# --- the bulk builder against one public call per node and edge --------------------------------


def _one_call_each(dataset: Dataset) -> ShowGraph:
    """The graph of a dataset built with ``add_node`` / ``add_edge`` only, in the documented
    order: every node, then each node record's links in turn, then the link sections."""
    model = ShowGraph()
    k = node_key

    def cite(record: Any, name: str) -> tuple[str, ...]:
        return tuple(k(NodeKind.SOURCE, i) for i in record.sources_for(name))

    for kind, records in dataset.nodes.items():
        for r in records:
            key = k(kind, r.id)
            sourced = isinstance(r, Sourced)
            facts = FIELDS_OF[kind].model_construct(
                **{n: getattr(r, n) for n in FIELDS_OF[kind].model_fields}
            )
            field_sources = (
                {n: tuple(k(NodeKind.SOURCE, i) for i in ids) for n, ids in r.field_sources.items()}
                if sourced and r.field_sources
                else NO_FIELD_SOURCES
            )
            sources = cite(r, "-") if sourced else (key,)
            model.add_node(GraphNode(key, kind, facts, sources, field_sources))
    for kind, records in dataset.nodes.items():
        for r in records:
            key = k(kind, r.id)
            edges: list[tuple[str, str, Relation, str]] = []
            if kind is NodeKind.WORK:
                edges = [
                    (k(NodeKind.CREATOR, a), key, Relation.WROTE, "authors") for a in r.authors
                ]
            elif kind is NodeKind.SHOW:
                if r.based_on:
                    edges.append((key, k(NodeKind.WORK, r.based_on), Relation.BASED_ON, "basedOn"))
                edges += [
                    (k(NodeKind.CREATOR, c), key, Relation.CREATED, "creators") for c in r.creators
                ]
            elif kind is NodeKind.SEASON:
                edges = [(k(NodeKind.SHOW, r.show), key, Relation.HAS_SEASON, "show")]
            elif kind is NodeKind.EPISODE:
                edges = [(k(NodeKind.SEASON, r.season), key, Relation.HAS_EPISODE, "season")]
            elif kind is NodeKind.SCENE:
                if r.episode:
                    edges = [(k(NodeKind.EPISODE, r.episode), key, Relation.HAS_SCENE, "episode")]
                else:
                    edges = [(k(NodeKind.SEASON, r.season), key, Relation.HAS_SCENE, "season")]
                edges += [
                    (k(NodeKind.CHARACTER, c), key, Relation.APPEARS_IN, "characters")
                    for c in r.characters
                ]
            elif kind is NodeKind.CHARACTER:
                edges = [(k(NodeKind.SHOW, r.show), key, Relation.HAS_CHARACTER, "show")]
            elif kind is NodeKind.EVENT:
                edges = [
                    (key, k(NodeKind.SCENE, s), Relation.REVEALED, "revealed") for s in r.revealed
                ]
            for u, v, relation, name in edges:
                model.add_edge(u, v, relation, cite(r, name))
    for link in dataset.links["portrayals"]:
        model.add_edge(
            k(NodeKind.ACTOR, link.actor),
            k(NodeKind.CHARACTER, link.character),
            Relation.PORTRAYS,
            cite(link, "-"),
            show=k(NodeKind.SHOW, link.show) if link.show else None,
            role=link.role,
            credited_name=link.credited_name,
            episodes=None
            if link.episodes is None
            else tuple(k(NodeKind.EPISODE, e) for e in link.episodes),
            field_sources={
                n: tuple(k(NodeKind.SOURCE, i) for i in ids)
                for n, ids in link.field_sources.items()
            },
        )
    for link in dataset.links["relationships"]:
        model.add_edge(
            k(NodeKind.CHARACTER, link.from_),
            k(NodeKind.CHARACTER, link.to),
            Relation.RELATED_TO,
            cite(link, "-"),
            kind=link.kind,
        )
    for link in dataset.links["appearances"]:
        model.add_edge(
            k(NodeKind.CHARACTER, link.character),
            k(NodeKind.EPISODE, link.episode),
            Relation.APPEARS_IN,
            cite(link, "-"),
        )
    return model


def _layout(model: ShowGraph) -> Any:
    """Everything about a graph that order can change: nodes, and each node's neighbours."""
    g = model.graph
    nodes = [
        (
            key,
            attrs["kind"],
            attrs["node"].data.model_dump(),
            attrs["node"].sources,
            dict(attrs["node"].field_sources),
        )
        for key, attrs in g._node.items()
    ]

    def half(adjacency: Any) -> Any:
        return [
            (u, [(v, [(r, dict(a)) for r, a in keydict.items()]) for v, keydict in ends.items()])
            for u, ends in adjacency.items()
        ]

    shared = all(g._succ[u][v] is g._pred[v][u] for u in g._succ for v in g._succ[u])
    return nodes, half(g._succ), half(g._pred), shared


def _awkward(tmp_path: Path) -> Path:
    """A generated dataset plus what the bulk path hands to the full one: a character listed
    twice in a scene, a scene citing its own sources for its characters, a relationship given
    twice with two kinds, an appearance also recorded through a scene."""
    data = generate(3, seed=2)
    scene = data["scenes"][0]
    scene["characters"] = [*scene["characters"], scene["characters"][0]]
    data["scenes"][1]["fieldSources"] = {"characters": [data["sources"][0]["id"]]}
    first = data["relationships"][0]
    data["relationships"].append({**first, "kind": "RIVALS"})
    if scene.get("episode"):
        data["appearances"].append(
            {
                "character": scene["characters"][0],
                "episode": scene["episode"],
                "sources": scene["sources"],
            }
        )
    path = tmp_path / "awkward.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_bulk_build_equals_one_call_per_node_and_edge(tmp_path: Path) -> None:
    """Same nodes, same neighbours in the same order, same attributes, dicts still shared."""
    for paths in (BUILTIN_DATASETS, _awkward(tmp_path)):
        dataset = load_dataset(paths)
        built, reference = ShowGraph.from_dataset(dataset), _one_call_each(dataset)
        assert _layout(built) == _layout(reference)
        assert built.fanout.most(NodeKind.SHOW, Relation.HAS_CHARACTER) == reference.fanout.most(
            NodeKind.SHOW, Relation.HAS_CHARACTER
        )


def test_counts_follow_every_change_and_every_bulk_load() -> None:
    """The cost analysis reads counts without a lock, so they are kept, not derived."""
    model = load_graph()
    assert model.count(NodeKind.ACTOR) == len(model.nodes_of(NodeKind.ACTOR)) == 6
    for name in ("Jenny Walser", "Jenny Walser (actor)"):  # the second replaces the first
        fields = ActorFields(name=name)
        model.add_node(GraphNode("actor:jenny-walser", NodeKind.ACTOR, fields, ARTICLE))
    assert model.count(NodeKind.ACTOR) == 7
    model.remove_node("actor:kit-connor")
    assert model.count(NodeKind.ACTOR) == 6
    for kind in NodeKind:
        assert model.count(kind) == len(model.nodes_of(kind))


def test_orders_after_changes_equal_orders_worked_out_afresh() -> None:
    """Each change forgets only the orders it can change; what is kept must still be right."""
    from dataclasses import replace

    model = load_graph()

    def warm() -> None:
        for kind in NodeKind:
            model.nodes_of(kind)

    def afresh() -> dict[NodeKind, list[str]]:
        fresh = ShowGraph(model.graph)  # the same graph, nothing derived yet
        fresh._counts = model._counts
        return {kind: [n.key for n in fresh.nodes_of(kind)] for kind in NodeKind}

    def kept() -> dict[NodeKind, list[str]]:
        return {kind: [n.key for n in model.nodes_of(kind)] for kind in NodeKind}

    warm()
    model.add_node(GraphNode("actor:aaron", NodeKind.ACTOR, ActorFields(name="Aaron"), ARTICLE))
    assert kept() == afresh()
    season = model.nodes_of(NodeKind.SEASON)[0]
    warm()
    model.add_node(replace(season, data=season.data.model_copy(update={"number": 99})))
    assert kept() == afresh()
    episode = model.nodes_of(NodeKind.EPISODE)[0]
    [(parent, _)] = [
        (u, r) for u, r in model.graph.pred[episode.key].items() if Relation.HAS_EPISODE in r
    ]
    other = next(s.key for s in model.nodes_of(NodeKind.SEASON) if s.key != parent)
    warm()
    model.remove_edge(parent, episode.key, Relation.HAS_EPISODE)
    model.add_edge(other, episode.key, Relation.HAS_EPISODE, ARTICLE)
    assert kept() == afresh()
    warm()
    model.remove_node(model.nodes_of(NodeKind.SHOW)[0].key)
    assert kept() == afresh()


def _named_by_scan(model: ShowGraph, kind: NodeKind, folded: set[str]) -> list[str]:
    """What ``named`` must answer, worked out by testing every node of the kind."""
    from graph_data.filters import node_names
    from graph_data.text import fold

    return [
        n.key for n in model.nodes_of(kind) if any(fold(name) in folded for name in node_names(n))
    ]


def test_named_finds_what_a_scan_finds_through_every_change() -> None:
    """The name table is kept by each change, not rebuilt: after adds, renames (a node
    replaced under its key), new aliases and removals it answers as a fresh scan does."""
    from dataclasses import replace

    from graph_data.text import fold

    model = load_graph()
    every = {
        kind: {fold(name) for n in model.nodes_of(kind) for name in _names_of(n)}
        for kind in NodeKind
    }

    def check() -> None:
        for kind in (NodeKind.ACTOR, NodeKind.CHARACTER, NodeKind.SHOW):
            wanted = every[kind] | {"nobody", "aaron", "tao xu", "tao", "nicholas"}
            for name in sorted(wanted):
                assert [n.key for n in model.named(kind, {name})] == _named_by_scan(
                    model, kind, {name}
                ), (kind, name)
            several = {"tao", "nick", "kit connor", "aaron"}
            assert [n.key for n in model.named(kind, several)] == _named_by_scan(
                model, kind, several
            )

    check()  # builds the tables
    model.add_node(GraphNode("actor:aaron", NodeKind.ACTOR, ActorFields(name="Aaron"), ARTICLE))
    check()
    model.add_node(GraphNode("actor:aaron", NodeKind.ACTOR, ActorFields(name="Tao Xu"), ARTICLE))
    check()  # renamed: no longer found as Aaron
    nick = model.node("character:nick-nelson")
    assert nick is not None
    model.add_node(replace(nick, data=nick.data.model_copy(update={"aliases": ["Nicholas"]})))
    check()
    assert [n.key for n in model.named(NodeKind.CHARACTER, {"nicholas"})] == [nick.key]
    model.remove_node("character:nick-nelson")
    model.remove_node("actor:kit-connor")
    check()


def _names_of(node: GraphNode[object]) -> list[str]:
    from graph_data.filters import node_names

    return node_names(node)


def test_named_lists_nodes_in_natural_order_once_each() -> None:
    """A node whose several names are asked for is listed once, in ``nodes_of`` order."""
    model = load_graph()
    found = model.named(NodeKind.CHARACTER, {"tara", "tara jones", "tao", "elle", "elle argent"})
    assert [n.key for n in found] == [
        n.key for n in model.nodes_of(NodeKind.CHARACTER) if n in found
    ]
    assert len({n.key for n in found}) == len(found) == 3


def test_a_fork_keeps_a_name_table_of_its_own() -> None:
    """A change to a fork (an older version's read) never reaches the original's names."""
    model = load_graph()
    assert model.named(NodeKind.ACTOR, {"aaron"}) == []
    fork = model.fork()
    fork.add_node(GraphNode("actor:aaron", NodeKind.ACTOR, ActorFields(name="Aaron"), ARTICLE))
    assert [n.key for n in fork.named(NodeKind.ACTOR, {"aaron"})] == ["actor:aaron"]
    assert model.named(NodeKind.ACTOR, {"aaron"}) == []
