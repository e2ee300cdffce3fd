"""Node-link JSON: networkx's own JSON, lossless for any graph (edits included)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import orjson

from graph_data.changes import (
    edge_to_json,
    node_to_json,
)
from graph_data.formats.building import GraphReader, RawEdge, RawNode
from graph_data.formats.common import (
    NODE_LINK_FORMAT,
    Problems,
    as_list,
    graph_size,
    read_json_file,
    ticks,
)
from graph_data.model import ShowGraph
from graph_data.records import HISTORY_SECTION


def node_link(model: ShowGraph, *, progress: bool | None = None) -> dict[str, Any]:
    """The graph as networkx node-link data with the JSON shapes of snapshots."""
    graph = nx.MultiDiGraph(format=NODE_LINK_FORMAT)
    with ticks(graph_size(model), "export", progress) as tick:
        for key in model.graph.nodes:
            tick()
            raw = node_to_json(model.require(key))
            del raw["key"]
            graph.add_node(key, **raw)
        for u, v, relation, attrs in model.graph.edges(keys=True, data=True):
            tick()
            raw = edge_to_json(u, v, relation, attrs)
            props = {"relation": raw["relation"], "sources": raw["sources"], "props": raw["props"]}
            graph.add_edge(u, v, key=raw["relation"], **props)
    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    return data


def collect(reader: GraphReader, raw: Any) -> None:
    add = reader.problems.add
    if not isinstance(raw, dict):
        add("(file)", "-", "expected node-link JSON: an object with 'nodes' and 'edges'")
        return
    graph = raw.get("graph") or {}
    if isinstance(graph, dict) and graph.get("format", NODE_LINK_FORMAT) != NODE_LINK_FORMAT:
        add("(file)", "graph.format", f"must be '{NODE_LINK_FORMAT}'")
    if raw.get("directed") is False:
        add("(file)", "directed", "the graph is directed: edges go from source to target")
    history = raw.get(HISTORY_SECTION, [])
    if not isinstance(history, list):
        add("(file)", HISTORY_SECTION, "must be a list of changes, as export --with-history writes")
    edges_name = "edges" if "edges" in raw or "links" not in raw else "links"
    for section in ("nodes", edges_name):
        if not isinstance(raw.get(section), list):
            add("(file)", section, "must be a list")
    for index, item in enumerate(as_list(raw.get("nodes"))):
        key = item.get("id") if isinstance(item, dict) else None
        label = f"nodes[{index}]" + (f" (id '{key}')" if isinstance(key, str) else "")
        if not isinstance(item, dict):
            add(label, "-", "a node must be an object")
            continue
        for extra in sorted(set(item) - {"id", "kind", "fields", "sources", "field_sources"}):
            add(label, extra, "unknown attribute")
            reader.broken_key(key)
        reader.nodes.append(
            RawNode(
                label,
                key,
                item.get("kind"),
                item.get("fields", {}),
                item.get("sources"),
                item.get("field_sources", {}),
                flat=False,
            )
        )
    for index, item in enumerate(as_list(raw.get(edges_name))):
        if not isinstance(item, dict):
            add(f"{edges_name}[{index}]", "-", "an edge must be an object")
            continue
        relation = item.get("relation", item.get("key"))
        ends = f"{item.get('source')} {relation} {item.get('target')}"
        label = f"{edges_name}[{index}] ({ends})"
        known = {"source", "target", "key", "relation", "sources", "props"}
        for extra in sorted(set(item) - known):
            add(label, extra, "unknown attribute")
        if "key" in item and item["key"] != relation:
            add(label, "key", f"the key is the relation '{relation}' (got {item['key']!r})")
        reader.edges.append(
            RawEdge(
                label,
                item.get("source"),
                item.get("target"),
                relation,
                item.get("sources"),
                item.get("props", {}),
                flat=False,
            )
        )


def write(
    model: ShowGraph,
    *,
    history: list[dict[str, Any]] | None = None,
    progress: bool | None = None,
) -> bytes:
    """The graph as node-link JSON (see ``graph_data.formats``), with ``history`` if given.

    The history (changes as ``Change.to_dict``, oldest first) is a top-level
    ``history`` key beside ``nodes`` and ``edges``: networkx ignores it, so
    the file still opens as plain node-link data.
    """
    data = node_link(model, progress=progress)
    if history is not None:
        data[HISTORY_SECTION] = history
    return orjson.dumps(data) + b"\n"


def read(
    path: Path, raw: Any = None, *, progress: bool | None = None
) -> tuple[ShowGraph, list[Any]]:
    """The checked graph of a node-link file and the history it carries (``raw``: its data)."""
    reader = GraphReader(Problems(str(path)))
    data = read_json_file(path) if raw is None else raw
    collect(reader, data)
    history = data.get(HISTORY_SECTION) if isinstance(data, dict) else None
    return reader.build(progress), history if isinstance(history, list) else []
