"""The flat encoding that GraphML and GEXF share: scalar attributes only (see docs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import networkx as nx

from graph_data.changes import (
    edge_to_json,
    node_to_json,
)
from graph_data.formats.building import GraphReader, RawEdge, RawNode
from graph_data.formats.common import (
    FACT_PREFIX,
    FLAT_PROP,
    JSON_FACTS,
    JSON_PROPS,
    MODEL_PROP,
    NODE_ATTRS,
    dumps,
    graph_size,
    is_kind,
    ticks,
)
from graph_data.kinds import NodeKind
from graph_data.model import ShowGraph
from graph_data.reading import ReadError


def flat_graph(model: ShowGraph, *, progress: bool | None = None) -> nx.MultiDiGraph:
    """The graph with scalar attributes only, as GraphML and GEXF need (module docstring)."""
    flat = nx.MultiDiGraph()
    with ticks(graph_size(model), "export", progress) as tick:
        for key in model.graph.nodes:
            tick()
            node = model.require(key)
            raw = node_to_json(node)
            attrs: dict[str, Any] = {"kind": raw["kind"], "label": node.label}
            for name, value in raw["fields"].items():
                flat_name = FACT_PREFIX + name if name in NODE_ATTRS else name
                attrs[flat_name] = dumps(value) if isinstance(value, list | dict) else value
            attrs["sources"] = dumps(raw["sources"])
            attrs["fieldSources"] = dumps(raw["field_sources"])
            flat.add_node(key, **attrs)
        edges = model.graph.edges(keys=True, data=True)
        for index, (u, v, relation, edge_attrs) in enumerate(edges):
            tick()
            raw = edge_to_json(u, v, relation, edge_attrs)
            edge = {"relation": raw["relation"], "label": raw["relation"]}
            edge["sources"] = dumps(raw["sources"])
            for name, value in raw["props"].items():
                if value is not None:
                    encoded = dumps(value) if isinstance(value, list | dict) else value
                    edge[FLAT_PROP.get(name, name)] = encoded
            flat.add_edge(u, v, key=f"e{index}", **edge)
    return flat


def read_xml(path: Path, fmt: str) -> Any:
    try:
        if fmt == "graphml":
            return nx.read_graphml(path)
        return nx.read_gexf(path)
    except (OSError, ParseError, nx.NetworkXError, ValueError, KeyError, TypeError) as error:
        raise ReadError(f"not readable as {fmt.upper()}: {error}") from None


def collect(reader: GraphReader, graph: Any) -> None:
    if not graph.is_directed():
        reader.problems.add("(file)", "-", "the graph must be directed (edgedefault)")
    for key, found in graph.nodes(data=True):
        attrs = dict(found)
        attrs.pop("label", None)
        label = f"node '{key}'"
        if not attrs and graph.degree(key):
            continue  # networkx added the end of an edge the file lacks; the edge says so
        kind = attrs.pop("kind", None)
        sources = reader.json_attr(label, key, "sources", attrs.pop("sources", None))
        field_sources = reader.json_attr(
            label, key, "fieldSources", attrs.pop("fieldSources", "{}")
        )
        json_facts = JSON_FACTS[NodeKind(kind)] if is_kind(kind) else frozenset()
        facts = {}
        for name, value in attrs.items():
            fact = name.removeprefix(FACT_PREFIX)
            facts[fact] = (
                reader.json_attr(label, key, name, value)
                if fact in json_facts and isinstance(value, str)
                else value
            )
        reader.nodes.append(RawNode(label, key, kind, facts, sources, field_sources, True))
    for u, v, found in graph.edges(data=True):
        attrs = dict(found)
        for ignored in ("label", "id", "key"):
            attrs.pop(ignored, None)
        relation = attrs.pop("relation", None)
        label = f"edge {u} {relation} {v}"
        sources = reader.json_attr(label, None, "sources", attrs.pop("sources", None))
        props = {}
        for name, value in attrs.items():
            prop = MODEL_PROP.get(name, name)
            json = prop in JSON_PROPS and isinstance(value, str)
            props[prop] = reader.json_attr(label, None, name, value) if json else value
        reader.edges.append(RawEdge(label, u, v, relation, sources, props, True))
