"""GEXF: what Gephi opens; scalar attributes (``graph_data.formats.flat``)."""

from __future__ import annotations

import io
from pathlib import Path

import networkx as nx

from graph_data.formats import flat
from graph_data.formats.building import GraphReader
from graph_data.formats.common import Problems
from graph_data.model import ShowGraph


def write(model: ShowGraph, *, progress: bool | None = None) -> bytes:
    """The graph as a GEXF document."""
    graph = flat.flat_graph(model, progress=progress)
    buffer = io.BytesIO()
    simple = len({(u, v) for u, v in graph.edges()}) == graph.number_of_edges()
    # A DiGraph when no two edges share ends: no networkx_key column in Gephi.
    nx.write_gexf(nx.DiGraph(graph) if simple else graph, buffer)
    return buffer.getvalue()


def read(path: Path, *, progress: bool | None = None) -> ShowGraph:
    """The checked graph of a GEXF file that ``write`` (or Gephi keeping it) wrote."""
    reader = GraphReader(Problems(str(path)))
    flat.collect(reader, flat.read_xml(path, "gexf"))
    return reader.build(progress)
