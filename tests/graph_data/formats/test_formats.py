"""Export and import formats: each round-trips, graph tools open it, bad files are refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pytest

from graph_data import BUILTIN_DATASET, DatasetError, ShowGraph, check_dataset, load_graph
from graph_data.changes import Change
from graph_data.edits import link, unlink
from graph_data.formats import ExchangeError, export_graph, read_export, read_graph
from graph_data.formats.dataset import graph_to_dataset
from graph_data.generate import generate, write_dataset
from graph_data.kinds import Relation
from tests.graph_data.graphs import (
    ARTICLE,
    FORMATS,
    REFERENCE,
    SUFFIX,
    commit,
    edges,
    edited_graph,
    nodes,
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


# --- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_builtin_graph_round_trips(fmt: str, builtin: ShowGraph, tmp_path: Path) -> None:
    back = round_trip(builtin, fmt, tmp_path)
    assert state(back) == state(builtin)
    assert set(back.graph.nodes) == set(builtin.graph.nodes)
    kinds = {key: attrs["kind"] for key, attrs in back.graph.nodes(data=True)}
    assert kinds == {key: attrs["kind"] for key, attrs in builtin.graph.nodes(data=True)}


@pytest.mark.parametrize("fmt", FORMATS)
def test_generated_graph_round_trips(fmt: str, generated: ShowGraph, tmp_path: Path) -> None:
    back = round_trip(generated, fmt, tmp_path)
    assert back.graph.number_of_nodes() == generated.graph.number_of_nodes()
    assert back.graph.number_of_edges() == generated.graph.number_of_edges()
    assert state(back) == state(generated)


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "json"])
def test_an_edited_graph_round_trips_exactly(fmt: str, edited: ShowGraph, tmp_path: Path) -> None:
    back = round_trip(edited, fmt, tmp_path)
    assert state(back) == state(edited)
    portrayal = back.edge("actor:jenny-walser", "character:tara-jones", Relation.PORTRAYS)
    assert portrayal is not None
    assert portrayal["episodes"] == ("episode:heartstopper-s1e2", "episode:heartstopper-s1e3")


def test_an_edited_graph_round_trips_through_a_dataset(edited: ShowGraph, tmp_path: Path) -> None:
    back = round_trip(edited, "dataset", tmp_path)
    assert state(back) == state(edited)


def test_dataset_json_round_trips(builtin: ShowGraph, tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    export_graph(builtin, "dataset", path)
    assert json.loads(path.read_text())["format"] == "showgraph/1"
    assert state(read_graph(path)) == state(builtin)  # told apart from node-link by content


def test_exported_dataset_validates_and_keeps_sources(generated: ShowGraph, tmp_path: Path) -> None:
    path = tmp_path / "export.yaml"
    export_graph(generated, "dataset", path, progress=False)
    _, problems = check_dataset(path)
    assert problems == []
    data = graph_to_dataset(load_graph(BUILTIN_DATASET))
    show = data["shows"][0]
    assert show["basedOn"] == "heartstopper-novels"
    assert show["fieldSources"] == {"creators": ["reference"]}
    assert data["seasons"][0]["show"] == "heartstopper"
    nick = next(p for p in data["portrayals"] if p["character"] == "nick-nelson")
    assert nick == {
        "actor": "kit-connor",
        "character": "nick-nelson",
        "role": "MAIN",
        "sources": ["reference"],
        "fieldSources": {"role": ["article"]},
    }


def test_link_sources_that_differ_from_the_record_become_field_sources(tmp_path: Path) -> None:
    model = load_graph()
    work = "work:heartstopper-novels"
    commit(model, lambda e: unlink(e, "creator:alice-oseman", Relation.WROTE, work), ARTICLE)
    commit(model, lambda e: link(e, "creator:alice-oseman", Relation.WROTE, work), REFERENCE)
    record = graph_to_dataset(model)["works"][0]
    assert record["authors"] == ["alice-oseman"]
    assert record["sources"] == ["article"]
    assert record["fieldSources"] == {"authors": ["reference"]}
    back = round_trip(model, "dataset", tmp_path)
    assert edges(back) == edges(model)
    # The node now also says where its authors come from; nothing else differs.
    assert back.require(work).field_sources == {"authors": ("source:reference",)}
    others = [n for n in nodes(back) if n["key"] != work]
    assert others == [n for n in nodes(model) if n["key"] != work]


def test_links_of_one_field_citing_different_sources_refuse_a_dataset_export(
    edited: ShowGraph, tmp_path: Path
) -> None:
    scene = "scene:heartstopper-s2-still-tara-darcy"
    commit(
        edited, lambda e: link(e, "character:elle-argent", Relation.APPEARS_IN, scene), REFERENCE
    )
    out = tmp_path / "refused.yaml"
    with pytest.raises(ExchangeError) as caught:
        export_graph(edited, "dataset", out)
    [problem] = caught.value.problems
    assert problem.record == "scenes (id 'heartstopper-s2-still-tara-darcy')"
    assert problem.field == "fieldSources.characters"
    assert "cite different sources (['article'], ['reference'])" in problem.message
    assert not out.exists()
    assert state(round_trip(edited, "json", tmp_path)) == state(edited)  # json keeps it


# --- graph tools open the files ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_tools_open_the_file_with_list_attributes(
    fmt: str, builtin: ShowGraph, tmp_path: Path
) -> None:
    path = tmp_path / f"graph{SUFFIX[fmt]}"
    export_graph(builtin, fmt, path)
    graph = nx.read_graphml(path) if fmt == "graphml" else nx.read_gexf(path)
    assert graph.number_of_nodes() == builtin.graph.number_of_nodes()
    assert graph.number_of_edges() == builtin.graph.number_of_edges()
    show = graph.nodes["show:heartstopper"]
    assert (show["kind"], show["label"], show["name"]) == ("SHOW", "Heartstopper", "Heartstopper")
    assert json.loads(show["genres"]) == ["Romantic comedy-drama", "LGBTQ"]
    assert json.loads(show["sources"]) == ["source:article"]
    assert json.loads(show["fieldSources"]) == {"creators": ["source:reference"]}
    charlie = graph.nodes["character:charlie-spring"]
    assert json.loads(charlie["aliases"]) == ["Charlie"]
    season = graph.nodes["season:heartstopper-s1"]
    assert season["number"] == 1
    assert season["releasedAllAtOnce"] is True
    assert season["premiereDate"] == "2022-04-22"
    assert json.loads(season["viewership"])[0]["hoursViewed"] == 14_550_000
    assert graph.nodes["scene:heartstopper-s2-still-elle-tao"]["fields.kind"] == "STILL"
    kit = graph.get_edge_data("actor:kit-connor", "character:nick-nelson")
    assert kit["relation"] == "PORTRAYS"
    assert kit["role"] == "MAIN"
    assert json.loads(kit["fieldSources"]) == {"role": ["source:article"]}
    assert "episodes" not in kit  # absent: the character's own episodes


def test_graphml_edge_ids_are_unique(builtin: ShowGraph, tmp_path: Path) -> None:
    path = tmp_path / "graph.graphml"
    export_graph(builtin, "graphml", path)
    ids = re.findall(r'<edge [^>]*id="([^"]+)"', path.read_text())
    assert len(ids) == len(set(ids)) == builtin.graph.number_of_edges()


# --- refusing bad files -----------------------------------------------------------------------


def broken_node_link(builtin: ShowGraph, tmp_path: Path) -> Path:
    path = tmp_path / "good.json"
    export_graph(builtin, "json", path)
    data = json.loads(path.read_text())
    data["nodes"].append(
        {"id": "show:x", "kind": "SHWO", "fields": {"name": "X"}, "sources": ["source:article"]}
    )
    season = next(n for n in data["nodes"] if n["id"] == "season:heartstopper-s3")
    season["fields"]["number"] = -1
    data["edges"] += [
        {
            "source": "show:heartstopper",
            "target": "season:heartstopper-s9",
            "relation": "HAS_SEASON",
            "sources": ["source:article"],
            "props": {},
        },
        {
            "source": "show:heartstopper",
            "target": "character:nick-nelson",
            "relation": "HAS_SEASON",
            "sources": ["source:wiki"],
            "props": {},
        },
    ]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    return broken


def broken_graphml(builtin: ShowGraph, tmp_path: Path) -> Path:
    path = tmp_path / "good.graphml"
    export_graph(builtin, "graphml", path)
    graph = nx.read_graphml(path)
    graph.add_node("show:x", kind="SHWO", name="X", sources='["source:article"]')
    graph.nodes["season:heartstopper-s3"]["number"] = -1
    graph.nodes["show:heartstopper"]["genres"] = '["Romance",'
    graph.add_edge(
        "show:heartstopper", "character:nick-nelson", relation="HAS_SEASON", sources='["x"]'
    )
    broken = tmp_path / "broken.graphml"
    nx.write_graphml(graph, broken)
    return broken


def test_a_broken_node_link_file_lists_every_problem(builtin: ShowGraph, tmp_path: Path) -> None:
    path = broken_node_link(builtin, tmp_path)
    with pytest.raises(ExchangeError) as caught:
        read_graph(path)
    found = [(p.record, p.field, p.message) for p in caught.value.problems]
    data = json.loads(path.read_text())
    last = len(data["edges"]) - 1
    season = next(i for i, n in enumerate(data["nodes"]) if n["id"] == "season:heartstopper-s3")
    assert all(p.file == str(path) for p in caught.value.problems)
    assert found == [
        (
            f"nodes[{season}] (id 'season:heartstopper-s3')",
            "fields.number",
            "Input should be greater than or equal to 0 (got -1)",
        ),
        (
            f"nodes[{builtin.graph.number_of_nodes()}] (id 'show:x')",
            "kind",
            "unknown node kind 'SHWO'; did you mean 'SHOW'?",
        ),
        (
            f"edges[{last - 1}] (show:heartstopper HAS_SEASON season:heartstopper-s9)",
            "target",
            "no node has the key 'season:heartstopper-s9'; did you mean 'season:heartstopper-s1'?",
        ),
        (
            f"edges[{last}] (show:heartstopper HAS_SEASON character:nick-nelson)",
            "target",
            "HAS_SEASON ends at a season, not at a character",
        ),
        (
            f"edges[{last}] (show:heartstopper HAS_SEASON character:nick-nelson)",
            "sources.0",
            "no source has the key 'source:wiki'",
        ),
    ]


def test_a_broken_graphml_file_lists_every_problem(builtin: ShowGraph, tmp_path: Path) -> None:
    broken = broken_graphml(builtin, tmp_path)
    with pytest.raises(ExchangeError) as caught:
        read_graph(broken)
    found = {(p.record, p.field, p.message) for p in caught.value.problems}
    assert found == {
        (
            "node 'season:heartstopper-s3'",
            "number",
            "Input should be greater than or equal to 0 (got -1)",
        ),
        ("node 'show:x'", "kind", "unknown node kind 'SHWO'; did you mean 'SHOW'?"),
        ("node 'show:heartstopper'", "genres", "not valid JSON: '[\"Romance\",'"),
        (
            "edge show:heartstopper HAS_SEASON character:nick-nelson",
            "target",
            "HAS_SEASON ends at a season, not at a character",
        ),
        (
            "edge show:heartstopper HAS_SEASON character:nick-nelson",
            "sources.0",
            "no source has the key 'x'",
        ),
    }


def test_edges_to_nodes_missing_from_a_graphml_file_are_named(
    builtin: ShowGraph, tmp_path: Path
) -> None:
    path = tmp_path / "good.graphml"
    export_graph(builtin, "graphml", path)
    text = path.read_text()
    key = {
        name: re.search(f'id="(d[0-9]+)" for="edge" attr.name="{name}"', text).group(1)  # type: ignore[union-attr]
        for name in ("relation", "sources")
    }
    dangling = (
        '<edge source="show:heartstopper" target="season:heartstopper-s9" id="x">'
        f'<data key="{key["relation"]}">HAS_SEASON</data>'
        f'<data key="{key["sources"]}">["source:article"]</data></edge>'
    )
    broken = tmp_path / "broken.graphml"
    broken.write_text(text.replace("</graph>", dangling + "</graph>"))
    graph = nx.read_graphml(broken)  # networkx adds the missing end as a bare node
    assert "season:heartstopper-s9" in graph
    with pytest.raises(ExchangeError) as caught:
        read_graph(broken)
    messages = {(p.record, p.field, p.message) for p in caught.value.problems}
    assert messages == {
        (
            "edge show:heartstopper HAS_SEASON season:heartstopper-s9",
            "target",
            "no node has the key 'season:heartstopper-s9'; did you mean 'season:heartstopper-s1'?",
        )
    }


def test_a_broken_dataset_file_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    text = BUILTIN_DATASET.read_text().replace("show: heartstopper", "show: heartstoper", 1)
    path.write_text(text.replace("number: 2", "number: -2", 1))
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the loader's DatasetError
        read_graph(path)
    messages = [str(p) for p in getattr(caught.value, "problems", [])]
    assert len(messages) == 2, messages
    assert "unknown show 'heartstoper'" in messages[0]  # in file order: the season is later
    assert "(line 76): Input should be greater than or equal to 0 (got -2)" in messages[1]


# --- the history an export carries --------------------------------------------------------------


@pytest.fixture
def with_history() -> tuple[ShowGraph, list[Change]]:
    """The built-in graph after a run of mutations (creates, links, a cascade delete...)."""
    from graph_data.store import MemoryStore
    from tests.graph_data.test_restoring import mutated

    model = load_graph()
    store = MemoryStore(model)
    mutated(store, model)
    changes = store.history.between(0, model.version)
    store.close(model)
    return model, changes


@pytest.mark.parametrize("name", ["graph.json", "graph.yaml", "graph-dataset.json"])
def test_an_export_carries_the_history_oldest_first(
    with_history: tuple[ShowGraph, list[Change]], tmp_path: Path, name: str
) -> None:
    model, changes = with_history
    fmt = "dataset" if name != "graph.json" else "json"
    path = tmp_path / name
    export_graph(model, fmt, path, history=changes)

    graph, history = read_export(path, fmt)
    assert state(graph) == state(model)  # the records alone make the graph
    assert [Change.from_dict(entry) for entry in history] == changes
    assert [entry["version"] for entry in history] == list(range(1, len(changes) + 1))
    assert state(read_graph(path, fmt)) == state(model)
    if fmt == "json":  # still plain node-link data to networkx
        raw = json.loads(path.read_text())
        assert nx.node_link_graph(raw, edges="edges").number_of_nodes() == len(model.graph)
    else:  # and still a dataset that validate and serve accept
        assert check_dataset(path)[1] == []


def test_an_export_without_history_has_no_history_key(builtin: ShowGraph, tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    export_graph(builtin, "json", path)
    assert "history" not in json.loads(path.read_text())
    assert read_export(path)[1] == []


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_formats_of_scalar_attributes_refuse_the_history(
    with_history: tuple[ShowGraph, list[Change]], tmp_path: Path, fmt: str
) -> None:
    model, changes = with_history
    path = tmp_path / f"graph{SUFFIX[fmt]}"
    with pytest.raises(ValueError, match=f"the {fmt} format cannot hold the history"):
        export_graph(model, fmt, path, history=changes)
    assert not path.exists()


@pytest.mark.parametrize("name", ["graph.json", "graph.yaml"])
def test_a_history_that_is_not_a_list_is_refused(
    builtin: ShowGraph, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    export_graph(builtin, "json" if name == "graph.json" else "dataset", path, history=[])
    text = path.read_text()
    if name == "graph.json":
        path.write_text(text.replace('"history":[]', '"history":{"version":1}'))
    else:
        path.write_text(text.replace("history: []", "history: {version: 1}"))
    with pytest.raises(DatasetError, match=r"history.*a list of changes"):
        read_graph(path)
