"""Graphs the format and import tests share, and how they compare graphs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from graph_data import ShowGraph, load_graph
from graph_data.changes import Change, apply, edges_to_json, node_to_json
from graph_data.edits import Edit, SourceRequest, create_node, link, update_node
from graph_data.formats import export_graph, read_graph
from graph_data.kinds import NodeKind, Relation

SUFFIX = {"graphml": ".graphml", "gexf": ".gexf", "json": ".json", "dataset": ".yaml"}
FORMATS = list(SUFFIX)


def nodes(model: ShowGraph) -> list[dict[str, Any]]:
    return sorted((node_to_json(model.require(k)) for k in model.graph.nodes), key=str)


def edges(model: ShowGraph) -> list[dict[str, Any]]:
    return sorted(edges_to_json(model), key=str)


def state(model: ShowGraph) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Everything a graph says except its version: nodes (key, kind, facts, sources) and edges."""
    return nodes(model), edges(model)


def round_trip(model: ShowGraph, fmt: str, directory: Path, name: str = "graph") -> ShowGraph:
    path = directory / f"{name}{SUFFIX[fmt]}"
    export_graph(model, fmt, path, progress=False)
    return read_graph(path, progress=False)


def commit(model: ShowGraph, step: Callable[[Edit], Any], sources: SourceRequest) -> None:
    edit = Edit(model, "alice", model.version + 1)
    edit.cite(sources)
    step(edit)
    apply(model, Change(model.version + 1, "alice", tuple(edit.done())))


ARTICLE = SourceRequest(keys=["source:article"])
REFERENCE = SourceRequest(keys=["source:reference"])


def edited_graph() -> ShowGraph:
    """The built-in graph after writes: a user-edit source, a new actor and portrayal, new facts."""
    model = load_graph()
    commit(
        model,
        lambda e: create_node(e, NodeKind.ACTOR, {"name": "Jenny Walser"}, "jenny-walser"),
        SourceRequest(new_title="A fan wiki", new_url="https://example.org/wiki"),
    )
    props = {
        "role": "GUEST",
        "credited_name": "Tori's friend",
        "episodes": ["episode:heartstopper-s1e2", "episode:heartstopper-s1e3"],
    }
    commit(
        model,
        lambda e: link(e, "actor:jenny-walser", Relation.PORTRAYS, "character:tara-jones", props),
        SourceRequest(keys=["source:user-edit-1"]),
    )
    commit(
        model,
        lambda e: update_node(e, "character:charlie-spring", {"aliases": ["Charlie", "Char"]}),
        REFERENCE,
    )
    return model
