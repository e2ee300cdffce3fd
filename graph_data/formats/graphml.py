"""GraphML: what networkx, yEd and Cytoscape open, in the flat encoding of ``formats.flat``."""

from __future__ import annotations

import io
from pathlib import Path

import networkx as nx

from graph_data.formats import flat
from graph_data.formats.building import GraphReader
from graph_data.formats.common import Problems
from graph_data.model import ShowGraph


def write(model: ShowGraph, *, progress: bool | None = None) -> bytes:
    """The graph as a GraphML document."""
    buffer = io.BytesIO()
    nx.write_graphml(flat.flat_graph(model, progress=progress), buffer)
    return buffer.getvalue()


def read(path: Path, *, progress: bool | None = None) -> ShowGraph:
    """The checked graph of a GraphML file that ``write`` (or a graph tool keeping it) wrote."""
    reader = GraphReader(Problems(str(path)))
    flat.collect(reader, flat.read_xml(path, "graphml"))
    return reader.build(progress)
