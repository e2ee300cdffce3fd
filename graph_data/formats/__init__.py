"""Import and export: the graph as GraphML, GEXF, node-link JSON, a dataset file, or TVmaze.

One module per format, each a reader and a writer over the graph model:
``dataset`` (``showgraph/1``), ``nodelink`` (``json``), ``graphml``, ``gexf``
(both over the shared flat encoding of ``flat``), and ``tvmaze`` (a reader
only: the JSON of TVmaze's public API, see docs/dataset-format.md). Nodes and
edges read from a graph file are checked and built by ``building``, and the
whole graph by ``checks``; ``common`` holds what they share.

Why these formats: GraphML and GEXF are what graph tools open (networkx,
Gephi, yEd, Cytoscape); node-link JSON is networkx's own JSON, lossless for
any graph (edits included) and the way to move a graph between showgraph
servers; the dataset format (``format: showgraph/1``) is what people write by
hand and ``showgraph validate`` checks, so an exported dataset can be edited
and loaded again; TVmaze's JSON is what people can download about a real show.

Every export reads back (``read_graph``) into an equal graph: the same node
keys, kinds, facts, sources and field sources, and the same edges with their
relation, sources and properties. The graph version is not carried: it counts
the changes of one data directory. For the same reason the history that
``json`` and ``dataset`` exports may carry (``history``: a top-level list of
``Change.to_dict``, oldest first) is returned by ``read_export`` but never
imported into another store (docs/dataset-format.md).

Encodings
---------
``json``: ``networkx.node_link_data(G, edges="edges")`` of a MultiDiGraph
whose node attributes are ``node_to_json`` without the key (``kind``,
``fields``, ``sources``, ``field_sources``) and whose edge attributes are
``edge_to_json`` without the ends (``relation``, ``sources``, ``props``); the
edge key is the relation, and ``graph.format`` is ``showgraph-node-link/1``.
These are the shapes of snapshots and journal changes.

``graphml`` and ``gexf`` hold only scalar attributes, so each node becomes:

- ``kind``: the node kind (``SHOW``, ...); ``label``: its name or title, for
  Gephi (ignored on import);
- every fact under its camelCase name (``name``, ``premiereDate``): strings,
  numbers and booleans as themselves, dates as ISO 8601 strings. A fact whose
  name the attributes above take (the ``kind`` of a source, work or scene) is
  written ``fields.kind``, its path in ``node_to_json``;
- list-valued facts (``genres``, ``aliases``, ``viewership``) as JSON strings,
  e.g. ``'["Romantic comedy-drama","LGBTQ"]'``: encoded, never dropped;
- ``sources``: a JSON list of source keys; ``fieldSources``: a JSON object
  from a field's camelCase name to a list of source keys.

Each edge becomes ``relation`` (its key in the graph), ``label`` (the relation
again, for Gephi), ``sources`` (JSON list) and its properties under camelCase
names: ``kind`` of a RELATED_TO edge; ``show``, ``role``, ``creditedName``,
``episodes`` (JSON list) and ``fieldSources`` (JSON object) of a PORTRAYS
edge. A fact or property that is absent (None) is not written, so ``episodes``
missing means "the character's episodes" and ``[]`` means none. Edge ids are
``e0``, ``e1``, ...: Gephi drops edges whose id repeats, and the relation alone
repeats.

``dataset``: a ``showgraph/1`` file (YAML; JSON when the path ends in
``.json``) with records rebuilt from nodes and their links from edges (see
``graph_to_dataset``).

Imports are checked whole before anything changes: ``read_graph`` raises one
``ExchangeError`` listing every problem (file, node or edge, field), and
``graph_data.importing.import_into`` writes the graph as one change through the
store, which other processes following the journal pick up.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from graph_data.changes import Change
from graph_data.formats import dataset, gexf, graphml, nodelink, tvmaze
from graph_data.formats.common import FORMATS, ExchangeError, read_json_file
from graph_data.loader import Problem
from graph_data.model import ShowGraph
from graph_data.reading import ReadError
from graph_data.records import FORMAT

IMPORT_FORMATS = (*FORMATS, "tvmaze")
HISTORY_FORMATS = ("json", "dataset")  # the formats an export's history fits in
SUFFIXES = {".graphml": "graphml", ".gexf": "gexf", ".yaml": "dataset", ".yml": "dataset"}


def export_graph(
    model: ShowGraph,
    fmt: str,
    out: Path | IO[Any],
    *,
    history: Sequence[Change] | None = None,
    progress: bool | None = None,
) -> None:
    """Write the graph as ``fmt`` (one of ``FORMATS``) to a path or an open file.

    The whole file is built in memory first, so a refused export (a dataset
    that cannot hold the graph) leaves ``out`` untouched. Holds the graph's
    read lock meanwhile, so a server's writes never tear an export.

    ``history`` (the changes that led to the graph, oldest first) goes into
    the file too; only the formats of ``HISTORY_FORMATS`` hold a list of
    changes (GraphML and GEXF hold scalar attributes), others refuse it.
    """
    _check_format(fmt, FORMATS)
    if history is not None and fmt not in HISTORY_FORMATS:
        raise ValueError(
            f"the {fmt} format cannot hold the history: use one of {', '.join(HISTORY_FORMATS)}"
        )
    entries = None if history is None else [change.to_dict() for change in history]
    with model.lock.reading():
        if fmt == "dataset":
            as_json = isinstance(out, Path) and out.suffix == ".json"
            body = dataset.write(model, as_json=as_json, history=entries, progress=progress)
        elif fmt == "json":
            body = nodelink.write(model, history=entries, progress=progress)
        elif fmt == "graphml":
            body = graphml.write(model, progress=progress)
        else:
            body = gexf.write(model, progress=progress)
    _write(out, body)


def _check_format(fmt: str, known: tuple[str, ...]) -> None:
    if fmt not in known:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(known)}")


def _write(out: Path | IO[Any], body: bytes) -> None:
    if isinstance(out, Path):
        out.write_bytes(body)
    elif isinstance(out, io.TextIOBase):
        out.write(body.decode())
        out.flush()
    else:
        out.write(body)
        out.flush()


def read_graph(path: Path, fmt: str | None = None, *, progress: bool | None = None) -> ShowGraph:
    """Read a file any export wrote (or a dataset, or TVmaze's JSON) into a checked ShowGraph.

    The history an export may carry is left aside (``read_export`` returns it).
    """
    return read_export(path, fmt, progress=progress)[0]


def read_export(
    path: Path, fmt: str | None = None, *, progress: bool | None = None
) -> tuple[ShowGraph, list[Any]]:
    """The checked graph of a file (as ``read_graph``) and the history it carries, as read.

    ``fmt`` defaults to the one the file's name says (``.graphml``, ``.gexf``,
    ``.yaml``); a ``.json`` file is a dataset when it says ``format:
    showgraph/1``, TVmaze's when it has TVmaze's ``_embedded`` episodes, else
    node-link JSON. Raises ``DatasetError`` (for graph files its subclass
    ``ExchangeError``) listing every problem, each with the file, the node or
    edge and the field, so one pass fixes them all.
    """
    name = str(path)
    raw: Any = None
    try:
        if not path.is_file():
            raise ReadError("file not found" if not path.exists() else "not a file")
        if fmt is None:
            fmt, raw = _detect(path)
        _check_format(fmt, IMPORT_FORMATS)
        if fmt == "dataset":
            return dataset.read(path)
        if fmt == "json":
            return nodelink.read(path, raw, progress=progress)
        if fmt == "tvmaze":
            return tvmaze.read(path, raw), []
        if fmt == "graphml":
            return graphml.read(path, progress=progress), []
        return gexf.read(path, progress=progress), []
    except ReadError as error:
        raise ExchangeError([Problem(name, "(file)", "-", str(error), error.line)], name) from None


def _detect(path: Path) -> tuple[str, Any]:
    """The format a file's name (and, for .json, its content) says; the parsed JSON if read."""
    if path.suffix in SUFFIXES:
        return SUFFIXES[path.suffix], None
    if path.suffix != ".json":
        raise ReadError(
            f"cannot tell the format of '{path.name}' from its name: give one of "
            f"{', '.join(IMPORT_FORMATS)}"
        )
    raw = read_json_file(path)
    if isinstance(raw, dict) and raw.get("format") == FORMAT:
        return "dataset", None
    if tvmaze.looks_like(raw):
        return "tvmaze", raw
    if isinstance(raw, dict) and "nodes" in raw:
        return "json", raw
    raise ReadError(
        f"neither a dataset (format: {FORMAT}), node-link JSON (with 'nodes' and 'edges') "
        "nor TVmaze's show JSON (with '_embedded' episodes)"
    )


__all__ = [
    "FORMATS",
    "HISTORY_FORMATS",
    "IMPORT_FORMATS",
    "SUFFIXES",
    "ExchangeError",
    "export_graph",
    "read_export",
    "read_graph",
]
