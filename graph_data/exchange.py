"""Import and export: the graph as GraphML, GEXF, node-link JSON or a dataset file.

Why four formats: GraphML and GEXF are what graph tools open (networkx,
Gephi, yEd, Cytoscape); node-link JSON is networkx's own JSON, lossless for
any graph (edits included) and the way to move a graph between showgraph
servers; the dataset format (``format: showgraph/1``) is what people write by
hand and ``showgraph validate`` checks, so an exported dataset can be edited
and loaded again.

Every export reads back (``read_graph``) into an equal graph: the same node
keys, kinds, facts, sources and field sources, and the same edges with their
relation, sources and properties. The graph version is not carried: it counts
the changes of one data directory.

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
``import_into`` writes the graph as one change through the store, which other
processes following the journal pick up.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, get_origin
from xml.etree.ElementTree import ParseError

import networkx as nx
import orjson
import yaml
from pydantic import BaseModel, ValidationError
from rapidfuzz import process
from tqdm import tqdm  # type: ignore[import-untyped]

from graph_data.changes import (
    Change,
    DeleteEdge,
    DeleteNode,
    Op,
    PutEdge,
    PutNode,
    apply_op,
    edge_to_json,
    node_to_json,
)
from graph_data.edits import PARENT_OF, RELATION_ENDS, a_kind
from graph_data.kinds import CastRole, NodeKind, Relation
from graph_data.loader import BUILTIN_DATASET, DatasetError, Problem, load_dataset
from graph_data.model import GraphNode, ShowGraph, node_key
from graph_data.records import FIELDS_OF, FORMAT, NODE_SECTIONS, PortrayalRecord
from graph_data.store import JournalStore, Store, StoreError

_BAD: Any = object()  # a value already reported as undecodable

FORMATS = ("graphml", "gexf", "json", "dataset")
NODE_LINK_FORMAT = "showgraph-node-link/1"
PROGRESS_MIN_ITEMS = 10_000
"""Inputs with more nodes plus edges than this show a progress bar on stderr."""

_SUFFIXES = {".graphml": "graphml", ".gexf": "gexf", ".yaml": "dataset", ".yml": "dataset"}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_RELATION_KIND = re.compile(r"^[A-Z][A-Z0-9_]*$")
_KINDS = frozenset(NodeKind)
_RELATIONS = frozenset(Relation)
_ROLES = frozenset(CastRole)

# Flat (GraphML/GEXF) node attributes that are not facts; a fact with one of
# these names is written under _FACT_PREFIX.
_NODE_ATTRS = frozenset({"kind", "label", "sources", "fieldSources"})
_FACT_PREFIX = "fields."
# Edge properties: the name the model keeps -> the flat attribute name.
_FLAT_PROP = {"credited_name": "creditedName", "field_sources": "fieldSources"}
_MODEL_PROP = {flat: name for name, flat in _FLAT_PROP.items()}
_JSON_PROPS = frozenset({"episodes", "field_sources"})
_PORTRAYS_PROPS = ("show", "role", "credited_name", "episodes", "field_sources")
_PROPS_OF: dict[Relation, frozenset[str]] = {
    Relation.PORTRAYS: frozenset(_PORTRAYS_PROPS),
    Relation.RELATED_TO: frozenset({"kind"}),
}


def _aliases(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(info.alias or name for name, info in model.model_fields.items())


# Facts stored as lists (JSON strings in GraphML/GEXF), per kind.
_JSON_FACTS = {
    kind: frozenset(
        info.alias or name
        for name, info in model.model_fields.items()
        if get_origin(info.annotation) in (tuple, list, dict)
    )
    for kind, model in FIELDS_OF.items()
}
# Fields that ``fieldSources`` may name: the record's facts and links.
_NOT_SOURCED = frozenset({"id", "sources", "fieldSources"})
_SOURCED_FIELDS = {kind: _aliases(record) - _NOT_SOURCED for kind, record in NODE_SECTIONS.values()}
_PORTRAYAL_FIELDS = _aliases(PortrayalRecord) - _NOT_SOURCED


class ExchangeError(DatasetError):
    """An import or export refused; ``problems`` lists every reason, each located.

    A ``DatasetError``, so callers that report a bad dataset file report this
    the same way.
    """

    def __init__(self, problems: list[Problem], what: str = "the graph") -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        Exception.__init__(self, f"{len(problems)} problem(s) in {what}:\n{lines}")


@dataclass(slots=True)
class _Problems:
    file: str
    found: list[Problem] = field(default_factory=list)

    def add(self, record: str, where: str, message: str) -> None:
        self.found.append(Problem(self.file, record, where, message))


def _shown(total: int, show: bool | None) -> bool:
    return total > PROGRESS_MIN_ITEMS if show is None else show


@contextmanager
def _ticks(total: int, desc: str, show: bool | None) -> Iterator[Callable[[], object]]:
    """A function to call once per item, advancing a tqdm bar on stderr when there are many.

    ``show`` forces the bar on or off; by default it shows for more than
    ``PROGRESS_MIN_ITEMS`` items, where the wait is long enough to wonder.
    """
    if not _shown(total, show):
        yield lambda: None
        return
    with tqdm(total=total, desc=desc, unit=" items", file=sys.stderr) as bar:
        yield bar.update


def _size(model: ShowGraph) -> int:
    return int(model.graph.number_of_nodes() + model.graph.number_of_edges())


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _suggest(value: str, choices: Iterable[str]) -> str:
    best = process.extractOne(value, list(choices), score_cutoff=60)
    return f"; did you mean '{best[0]}'?" if best else ""


# --- export -----------------------------------------------------------------------------------


def export_graph(
    model: ShowGraph, fmt: str, out: Path | IO[Any], *, progress: bool | None = None
) -> None:
    """Write the graph as ``fmt`` (one of ``FORMATS``) to a path or an open file.

    The whole file is built in memory first, so a refused export (a dataset
    that cannot hold the graph) leaves ``out`` untouched. Holds the graph's
    read lock meanwhile, so a server's writes never tear an export.
    """
    fmt = _check_format(fmt)
    with model.lock.reading():
        if fmt == "dataset":
            as_json = isinstance(out, Path) and out.suffix == ".json"
            data = graph_to_dataset(model, progress=progress)
            body = dataset_bytes(data, as_json=as_json)
        elif fmt == "json":
            body = orjson.dumps(node_link(model, progress=progress)) + b"\n"
        else:
            flat = flat_graph(model, progress=progress)
            buffer = io.BytesIO()
            if fmt == "graphml":
                nx.write_graphml(flat, buffer)
            else:
                simple = len({(u, v) for u, v in flat.edges()}) == flat.number_of_edges()
                # A DiGraph when no two edges share ends: no networkx_key column in Gephi.
                nx.write_gexf(nx.DiGraph(flat) if simple else flat, buffer)
            body = buffer.getvalue()
    _write(out, body)


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return fmt


def _write(out: Path | IO[Any], body: bytes) -> None:
    if isinstance(out, Path):
        out.write_bytes(body)
    elif isinstance(out, io.TextIOBase):
        out.write(body.decode())
        out.flush()
    else:
        out.write(body)
        out.flush()


def node_link(model: ShowGraph, *, progress: bool | None = None) -> dict[str, Any]:
    """The graph as networkx node-link data with the JSON shapes of snapshots."""
    graph = nx.MultiDiGraph(format=NODE_LINK_FORMAT)
    with _ticks(_size(model), "export", progress) as tick:
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


def flat_graph(model: ShowGraph, *, progress: bool | None = None) -> nx.MultiDiGraph:
    """The graph with scalar attributes only, as GraphML and GEXF need (module docstring)."""
    flat = nx.MultiDiGraph()
    with _ticks(_size(model), "export", progress) as tick:
        for key in model.graph.nodes:
            tick()
            node = model.require(key)
            raw = node_to_json(node)
            attrs: dict[str, Any] = {"kind": raw["kind"], "label": node.label}
            for name, value in raw["fields"].items():
                flat_name = _FACT_PREFIX + name if name in _NODE_ATTRS else name
                attrs[flat_name] = _dumps(value) if isinstance(value, list | dict) else value
            attrs["sources"] = _dumps(raw["sources"])
            attrs["fieldSources"] = _dumps(raw["field_sources"])
            flat.add_node(key, **attrs)
        edges = model.graph.edges(keys=True, data=True)
        for index, (u, v, relation, edge_attrs) in enumerate(edges):
            tick()
            raw = edge_to_json(u, v, relation, edge_attrs)
            edge = {"relation": raw["relation"], "label": raw["relation"]}
            edge["sources"] = _dumps(raw["sources"])
            for name, value in raw["props"].items():
                if value is not None:
                    encoded = _dumps(value) if isinstance(value, list | dict) else value
                    edge[_FLAT_PROP.get(name, name)] = encoded
            flat.add_edge(u, v, key=f"e{index}", **edge)
    return flat


def graph_to_dataset(model: ShowGraph, *, progress: bool | None = None) -> dict[str, Any]:
    """The graph as a ``showgraph/1`` dataset mapping that ``graph_data.loader`` accepts.

    Nodes become records (in their natural order) and edges the links that
    records make: ``season.show``, ``episode.season``, ``scene.episode`` or
    ``scene.season``, ``scene.characters``, ``character.show``,
    ``work.authors``, ``show.basedOn`` and ``show.creators``,
    ``event.revealed``, and the ``portrayals``, ``relationships`` and
    ``appearances`` sections.

    A record's links of one field share that field's sources. Where they cite
    other sources than the record's, the record gets ``fieldSources`` for the
    field, so nothing is lost (the node's own ``fieldSources`` entry for that
    link field then follows its links). Where links of one field cite
    different sources from each other, or a show is based on two works, the
    format cannot hold the graph: ``ExchangeError`` lists every such case
    rather than dropping any (json, graphml and gexf hold any graph).
    """
    problems = validate_graph(model, "(graph to export)", progress=progress)
    if problems:
        raise ExchangeError(problems, "the graph to export")
    with _ticks(_size(model), "export", progress) as tick:
        return _DatasetWriter(model, tick).run()


@dataclass
class _DatasetWriter:
    model: ShowGraph
    tick: Callable[[], object]
    problems: _Problems = field(default_factory=lambda: _Problems("(export as dataset)"))

    def run(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": FORMAT}
        for section, (kind, _) in NODE_SECTIONS.items():
            records = []
            for node in self.model.nodes_of(kind):
                self.tick()
                records.append(self._record(section, node))
            if records:
                data[section] = records
        links = self._link_sections()
        data.update({section: records for section, records in links.items() if records})
        if self.problems.found:
            raise ExchangeError(self.problems.found, "the graph to export as a dataset")
        return data

    def _record(self, section: str, node: GraphNode[Any]) -> dict[str, Any]:
        g = self.model.graph
        key, kind = node.key, node.kind
        pred, succ = g.pred[key], g.succ[key]

        def into(relation: Relation) -> list[tuple[str, tuple[str, ...]]]:
            return [(u, es[relation]["sources"]) for u, es in pred.items() if relation in es]

        def out(relation: Relation) -> list[tuple[str, tuple[str, ...]]]:
            return [(v, es[relation]["sources"]) for v, es in succ.items() if relation in es]

        # Parent links first (as people write them), then facts, then other links.
        parents: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        links: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        match kind:
            case NodeKind.SEASON:
                parents["show"] = into(Relation.HAS_SEASON)
            case NodeKind.EPISODE:
                parents["season"] = into(Relation.HAS_EPISODE)
            case NodeKind.SCENE:
                for parent in into(Relation.HAS_SCENE):
                    is_episode = g.nodes[parent[0]]["kind"] is NodeKind.EPISODE
                    parents["episode" if is_episode else "season"] = [parent]
                links["characters"] = into(Relation.APPEARS_IN)
            case NodeKind.CHARACTER:
                parents["show"] = into(Relation.HAS_CHARACTER)
            case NodeKind.WORK:
                links["authors"] = into(Relation.WROTE)
            case NodeKind.SHOW:
                links["basedOn"] = out(Relation.BASED_ON)
                links["creators"] = into(Relation.CREATED)
            case NodeKind.EVENT:
                links["revealed"] = out(Relation.REVEALED)

        record: dict[str, Any] = {"id": _local(key)}
        record.update({name: _local(found[0][0]) for name, found in parents.items()})
        record.update(node.data.model_dump(mode="json", by_alias=True, exclude_defaults=True))
        for name, found in links.items():
            if found:
                ids = [_local(other) for other, _ in found]
                record[name] = ids[0] if name == "basedOn" else ids
        if kind is NodeKind.SOURCE:
            return record  # a source cites itself (validate_graph checked it)
        field_sources = {name: _locals(keys) for name, keys in node.field_sources.items()}
        label = f"{section} (id '{_local(key)}')"
        if len(links.get("basedOn", ())) > 1:
            self.problems.add(
                label,
                "basedOn",
                f"the show is based on {len(links['basedOn'])} works, but a dataset "
                "record names one; export json, graphml or gexf to keep them all",
            )
        for name, found in {**parents, **links}.items():
            cited = sorted({sources for _, sources in found})
            if len(cited) > 1:
                shown = ", ".join(str(_locals(sources)) for sources in cited)
                self.problems.add(
                    label,
                    f"fieldSources.{name}",
                    f"its {len(found)} '{name}' links cite different sources ({shown}), but "
                    "a dataset record gives all links of one field the same sources; "
                    "export json, graphml or gexf to keep them",
                )
            elif cited and cited[0] != node.sources_of(name):
                field_sources[name] = _locals(cited[0])
        record["sources"] = _locals(node.sources)
        if field_sources:
            record["fieldSources"] = field_sources
        return record

    def _link_sections(self) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {
            "portrayals": [],
            "relationships": [],
            "appearances": [],
        }
        g = self.model.graph
        for u, v, relation, attrs in g.edges(keys=True, data=True):
            self.tick()
            props = edge_to_json(u, v, relation, attrs)["props"]
            sources = _locals(attrs["sources"])
            if relation == Relation.PORTRAYS:
                record: dict[str, Any] = {"actor": _local(u), "character": _local(v)}
                if props.get("show"):
                    record["show"] = _local(props["show"])
                record["role"] = props["role"]
                if props.get("credited_name") is not None:
                    record["creditedName"] = props["credited_name"]
                if props.get("episodes") is not None:
                    record["episodes"] = _locals(props["episodes"])
                record["sources"] = sources
                if props.get("field_sources"):
                    record["fieldSources"] = {
                        name: _locals(keys) for name, keys in props["field_sources"].items()
                    }
                found["portrayals"].append(record)
            elif relation == Relation.RELATED_TO:
                found["relationships"].append(
                    {"from": _local(u), "to": _local(v), "kind": props["kind"], "sources": sources}
                )
            elif relation == Relation.APPEARS_IN and g.nodes[v]["kind"] is NodeKind.EPISODE:
                found["appearances"].append(
                    {"character": _local(u), "episode": _local(v), "sources": sources}
                )
        return found


def _local(key: str) -> str:
    return key.partition(":")[2]


def _locals(keys: Iterable[str]) -> list[str]:
    return [_local(key) for key in keys]


def dataset_bytes(data: Mapping[str, Any], *, as_json: bool = False) -> bytes:
    """A dataset mapping as file contents: YAML for people, or JSON (faster to load)."""
    if as_json:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = str(yaml.dump(dict(data), Dumper=dumper, sort_keys=False, allow_unicode=True))
    header = "# Exported by `showgraph export --format dataset`; check with `showgraph validate`.\n"
    return (header + text).encode()


# --- reading --------------------------------------------------------------------------------


def read_graph(path: Path, fmt: str | None = None, *, progress: bool | None = None) -> ShowGraph:
    """Read a file any export wrote (or a dataset file) into a checked ShowGraph.

    ``fmt`` defaults to the one the file's name says (``.graphml``, ``.gexf``,
    ``.yaml``); a ``.json`` file is a dataset when it says ``format:
    showgraph/1``, else node-link JSON. Raises ``DatasetError`` (for graph
    files its subclass ``ExchangeError``) listing every problem, each with the
    file, the node or edge and the field, so one pass fixes them all.
    """
    name = str(path)
    raw: Any = None
    try:
        if not path.is_file():
            raise _ReadError("file not found")
        if fmt is None:
            fmt, raw = _detect(path)
        fmt = _check_format(fmt)
        if fmt == "dataset":
            return ShowGraph.from_dataset(load_dataset(path))
        reader = _Reader(_Problems(name))
        if fmt == "json":
            reader.node_link(_read_json(path) if raw is None else raw)
        else:
            reader.flat(_read_xml(path, fmt))
    except _ReadError as error:
        raise ExchangeError([Problem(name, "(file)", "-", str(error))], name) from None
    return reader.build(progress)


class _ReadError(Exception):
    pass


def _detect(path: Path) -> tuple[str, Any]:
    """The format a file's name (and, for .json, its content) says; the parsed JSON if read."""
    if path.suffix in _SUFFIXES:
        return _SUFFIXES[path.suffix], None
    if path.suffix != ".json":
        raise _ReadError(
            f"cannot tell the format of '{path.name}' from its name: give one of "
            f"{', '.join(FORMATS)}"
        )
    raw = _read_json(path)
    if isinstance(raw, dict) and raw.get("format") == FORMAT:
        return "dataset", None
    if isinstance(raw, dict) and "nodes" in raw:
        return "json", raw
    raise _ReadError(
        f"neither a dataset (format: {FORMAT}) nor node-link JSON (with 'nodes' and 'edges')"
    )


def _read_json(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except OSError as error:
        raise _ReadError(f"cannot read the file: {error}") from None
    except orjson.JSONDecodeError as error:
        raise _ReadError(f"invalid JSON: {error}") from None


def _read_xml(path: Path, fmt: str) -> Any:
    try:
        if fmt == "graphml":
            return nx.read_graphml(path)
        return nx.read_gexf(path)
    except (OSError, ParseError, nx.NetworkXError, ValueError, KeyError, TypeError) as error:
        raise _ReadError(f"not readable as {fmt.upper()}: {error}") from None


@dataclass(slots=True)
class _RawNode:
    """A node as the file has it, before any check; ``flat`` for GraphML/GEXF naming."""

    label: str
    key: Any
    kind: Any
    fields: Any
    sources: Any
    field_sources: Any
    flat: bool


@dataclass(slots=True)
class _RawEdge:
    label: str
    source: Any
    target: Any
    relation: Any
    sources: Any
    props: Any
    flat: bool


@dataclass
class _Reader:
    """Collects a file's nodes and edges, then checks and builds them (``build``)."""

    problems: _Problems
    nodes: list[_RawNode] = field(default_factory=list)
    edges: list[_RawEdge] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)  # keys in the file whose node is invalid
    kinds: dict[str, NodeKind] = field(default_factory=dict)  # of every node in the file

    # --- node-link JSON -----------------------------------------------------------------

    def node_link(self, raw: Any) -> None:
        add = self.problems.add
        if not isinstance(raw, dict):
            add("(file)", "-", "expected node-link JSON: an object with 'nodes' and 'edges'")
            return
        graph = raw.get("graph") or {}
        if isinstance(graph, dict) and graph.get("format", NODE_LINK_FORMAT) != NODE_LINK_FORMAT:
            add("(file)", "graph.format", f"must be '{NODE_LINK_FORMAT}'")
        if raw.get("directed") is False:
            add("(file)", "directed", "the graph is directed: edges go from source to target")
        edges_name = "edges" if "edges" in raw or "links" not in raw else "links"
        for section in ("nodes", edges_name):
            if not isinstance(raw.get(section), list):
                add("(file)", section, "must be a list")
        for index, item in enumerate(_list(raw.get("nodes"))):
            key = item.get("id") if isinstance(item, dict) else None
            label = f"nodes[{index}]" + (f" (id '{key}')" if isinstance(key, str) else "")
            if not isinstance(item, dict):
                add(label, "-", "a node must be an object")
                continue
            for extra in sorted(set(item) - {"id", "kind", "fields", "sources", "field_sources"}):
                add(label, extra, "unknown attribute")
                self._broken(key)
            self.nodes.append(
                _RawNode(
                    label,
                    key,
                    item.get("kind"),
                    item.get("fields", {}),
                    item.get("sources"),
                    item.get("field_sources", {}),
                    flat=False,
                )
            )
        for index, item in enumerate(_list(raw.get(edges_name))):
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
            self.edges.append(
                _RawEdge(
                    label,
                    item.get("source"),
                    item.get("target"),
                    relation,
                    item.get("sources"),
                    item.get("props", {}),
                    flat=False,
                )
            )

    # --- GraphML / GEXF --------------------------------------------------------------------

    def flat(self, graph: Any) -> None:
        if not graph.is_directed():
            self.problems.add("(file)", "-", "the graph must be directed (edgedefault)")
        for key, found in graph.nodes(data=True):
            attrs = dict(found)
            attrs.pop("label", None)
            label = f"node '{key}'"
            if not attrs and graph.degree(key):
                continue  # networkx added the end of an edge the file lacks; the edge says so
            kind = attrs.pop("kind", None)
            sources = self._json(label, key, "sources", attrs.pop("sources", None))
            field_sources = self._json(label, key, "fieldSources", attrs.pop("fieldSources", "{}"))
            json_facts = _JSON_FACTS[NodeKind(kind)] if _is_kind(kind) else frozenset()
            facts = {}
            for name, value in attrs.items():
                fact = name.removeprefix(_FACT_PREFIX)
                facts[fact] = (
                    self._json(label, key, name, value)
                    if fact in json_facts and isinstance(value, str)
                    else value
                )
            self.nodes.append(_RawNode(label, key, kind, facts, sources, field_sources, True))
        for u, v, found in graph.edges(data=True):
            attrs = dict(found)
            for ignored in ("label", "id", "key"):
                attrs.pop(ignored, None)
            relation = attrs.pop("relation", None)
            label = f"edge {u} {relation} {v}"
            sources = self._json(label, None, "sources", attrs.pop("sources", None))
            props = {}
            for name, value in attrs.items():
                prop = _MODEL_PROP.get(name, name)
                json = prop in _JSON_PROPS and isinstance(value, str)
                props[prop] = self._json(label, None, name, value) if json else value
            self.edges.append(_RawEdge(label, u, v, relation, sources, props, True))

    def _json(self, label: str, key: Any, where: str, value: Any) -> Any:
        """A JSON-encoded attribute decoded; ``_BAD`` after a problem when it is not JSON."""
        if not isinstance(value, str):
            return value
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            self.problems.add(label, where, f"not valid JSON: {value[:60]!r}")
            self._broken(key)
            return _BAD

    def _broken(self, key: Any) -> None:
        if isinstance(key, str):
            self.broken.add(key)

    # --- checking and building ------------------------------------------------------------

    def build(self, progress: bool | None) -> ShowGraph:
        """The graph of every valid node and edge; ``ExchangeError`` if anything was not."""
        model = ShowGraph()
        labels: dict[str, str] = {}
        seen: dict[str, str] = {}  # key -> label of its first node, valid or not
        partial: set[str] = set()  # nodes missing an edge that was refused
        edges_seen: dict[tuple[str, str, str], str] = {}
        with _ticks(len(self.nodes) + len(self.edges), "read", progress) as tick:
            for raw in self.nodes:
                tick()
                if isinstance(raw.key, str) and raw.key in seen:
                    self.problems.add(raw.label, "id", f"duplicate key (first at {seen[raw.key]})")
                    continue
                if isinstance(raw.key, str):
                    seen[raw.key] = raw.label
                    if _is_kind(raw.kind):
                        self.kinds[raw.key] = NodeKind(raw.kind)
                node = self._node(raw)
                if node is not None and raw.key not in self.broken:
                    model.add_node(node)
                    labels[node.key] = raw.label
                else:
                    self._broken(raw.key)
            for edge in self.edges:
                tick()
                added = self._edge(model, edge, seen, edges_seen)
                if added is None:
                    partial.update(e for e in (edge.source, edge.target) if isinstance(e, str))
                else:
                    labels[added] = edge.label
        problems = self.problems.found + validate_graph(
            model, self.problems.file, labels, partial=partial, progress=progress
        )
        if problems:
            raise ExchangeError(problems, self.problems.file)
        return model

    def _node(self, raw: _RawNode) -> GraphNode[Any] | None:
        add = self.problems.add
        ok = True
        if not isinstance(raw.key, str) or not raw.key:
            add(raw.label, "id", "a node needs a key, e.g. 'show:heartstopper'")
            ok = False
        kind = NodeKind(raw.kind) if _is_kind(raw.kind) else None
        if raw.kind is None:
            add(raw.label, "kind", "missing: every node names its kind (SHOW, ...)")
        elif kind is None:
            hint = _suggest(raw.kind, list(NodeKind)) if isinstance(raw.kind, str) else ""
            add(raw.label, "kind", f"unknown node kind {raw.kind!r}{hint}")
        sources = _strings(raw.sources)
        if sources is None and raw.sources is not _BAD:
            add(raw.label, "sources", "must be a list of source keys")
        field_sources = _string_lists(raw.field_sources)
        if field_sources is None and raw.field_sources is not _BAD:
            where = "fieldSources" if raw.flat else "field_sources"
            add(raw.label, where, "must map fields to source keys")
        if not isinstance(raw.fields, dict):
            add(raw.label, "fields", "must be an object of facts")
            return None
        if kind is None:
            return None
        facts = {name: value for name, value in raw.fields.items() if value is not _BAD}
        ok = ok and len(facts) == len(raw.fields)
        try:
            data = FIELDS_OF[kind].model_validate(facts)
        except ValidationError as error:
            for detail in error.errors():
                where = ".".join(str(part) for part in detail["loc"]) or "-"
                add(raw.label, _fact_where(where, raw.flat), _message(detail, kind))
            return None
        if not ok or sources is None or field_sources is None:
            return None
        return GraphNode(
            key=raw.key,
            kind=kind,
            data=data,
            sources=tuple(sources),
            field_sources={name: tuple(keys) for name, keys in field_sources.items()},
        )

    def _edge(
        self,
        model: ShowGraph,
        raw: _RawEdge,
        seen: Mapping[str, str],
        edges_seen: dict[tuple[str, str, str], str],
    ) -> str | None:
        """Add one edge; its label key ("u REL v"), or None when it was refused."""
        add = self.problems.add
        ok = True
        known = isinstance(raw.relation, str) and raw.relation in _RELATIONS
        relation = Relation(raw.relation) if known else None
        if relation is None:
            hint = _suggest(raw.relation, list(Relation)) if isinstance(raw.relation, str) else ""
            add(raw.label, "relation", f"unknown relation {raw.relation!r}{hint}")
            ok = False
        broken_end = False
        for end, where in ((raw.source, "source"), (raw.target, "target")):
            if not isinstance(end, str):
                add(raw.label, where, "an edge needs the key of its node")
                ok = False
            elif end not in seen:
                hint = _suggest(end, seen) if len(self.problems.found) < 50 else ""
                add(raw.label, where, f"no node has the key '{end}'{hint}")
                ok = False
            elif end in self.broken:
                broken_end = True  # not added, but checked as far as it can be
        sources = _strings(raw.sources)
        if sources is None and raw.sources is not _BAD:
            add(raw.label, "sources", "must be a list of source keys")
        if ok and broken_end and relation is not None:
            self._check_unbuilt(raw, relation, sources)
            ok = False
        props: dict[str, Any] | None = None
        if not isinstance(raw.props, dict):
            add(raw.label, "props", "must be an object")
        elif any(value is _BAD for value in raw.props.values()):
            ok = False
        elif relation is not None:
            props = _check_props(relation, raw.props, raw.label, self.problems, raw.flat)
        if not ok or relation is None or props is None or sources is None:
            return None
        ends = (raw.source, relation.value, raw.target)
        if ends in edges_seen:
            add(raw.label, "relation", f"duplicate edge (first at {edges_seen[ends]})")
            return None
        edges_seen[ends] = raw.label
        apply_op(
            model,
            PutEdge(
                source=raw.source,
                target=raw.target,
                relation=relation,
                sources=sources,
                props=props,
            ),
        )
        return " ".join(ends)

    def _check_unbuilt(self, raw: _RawEdge, relation: Relation, sources: list[str] | None) -> None:
        """The checks of an edge that touches an invalid node, which the graph cannot hold."""
        tail, head = self.kinds.get(raw.source), self.kinds.get(raw.target)
        if tail is not None and head is not None:
            for where, message in _end_problems(relation, raw.source, raw.target, tail, head):
                self.problems.add(raw.label, where, message)
        for index, source in enumerate(sources or ()):
            if self.kinds.get(source) is not NodeKind.SOURCE:
                self.problems.add(
                    raw.label, f"sources.{index}", f"no source has the key '{source}'"
                )
        if sources == []:
            self.problems.add(raw.label, "sources", "needs at least one source")


def _end_problems(
    relation: Relation, u: str, v: str, tail: NodeKind, head: NodeKind
) -> list[tuple[str, str]]:
    """(field, message) for ends that the relation cannot join (``RELATION_ENDS``)."""
    found = []
    allowed_from, allowed_to = RELATION_ENDS[relation]
    for kind, allowed, where, verb in (
        (tail, allowed_from, "source", "starts at"),
        (head, allowed_to, "target", "ends at"),
    ):
        if kind not in allowed:
            wanted = " or ".join(a_kind(k) for k in sorted(allowed))
            found.append((where, f"{relation.value} {verb} {wanted}, not at {a_kind(kind)}"))
    if u == v:
        found.append(("target", "a node cannot be linked to itself"))
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_kind(value: Any) -> bool:
    return isinstance(value, str) and value in _KINDS


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def _string_lists(value: Any) -> dict[str, list[str]] | None:
    if isinstance(value, dict) and all(_strings(item) is not None for item in value.values()):
        return value
    return None


def _name(prop: str, flat: bool) -> str:
    """Where a property or field sits in the file: its flat attribute or JSON path."""
    return _FLAT_PROP.get(prop, prop) if flat else f"props.{prop}"


def _fact_where(loc: str, flat: bool) -> str:
    if not flat:
        return f"fields.{loc}"
    return _FACT_PREFIX + loc if loc.split(".")[0] in _NODE_ATTRS else loc


def _message(detail: Any, kind: NodeKind) -> str:
    if detail["type"] == "missing":
        return "missing required field"
    if detail["type"] == "extra_forbidden":
        return f"{a_kind(kind)} has no such fact"
    message = str(detail["msg"]).removeprefix("Value error, ")
    if detail["type"] != "value_error" and "input" in detail:
        message += f" (got {detail['input']!r})"
    return message


def _check_props(
    relation: Relation, props: Mapping[str, Any], label: str, problems: _Problems, flat: bool
) -> dict[str, Any] | None:
    """An edge's properties (JSON form), checked; with PORTRAYS defaults filled in."""
    before = len(problems.found)
    allowed = _PROPS_OF.get(relation, frozenset())
    for name in props:
        if name not in allowed:
            what = f"no property '{name}'" if allowed else "no properties"
            problems.add(label, _name(name, flat), f"{relation.value} links have {what}")
    if relation is Relation.RELATED_TO:
        kind = props.get("kind")
        if not isinstance(kind, str) or not _RELATION_KIND.match(kind):
            problems.add(
                label, _name("kind", flat), f"needs a kind in capitals, e.g. DATING (got {kind!r})"
            )
    elif relation is Relation.PORTRAYS:
        role = props.get("role")
        if not isinstance(role, str) or role not in _ROLES:
            problems.add(
                label, _name("role", flat), f"must be MAIN, RECURRING or GUEST (got {role!r})"
            )
        for name in ("show", "credited_name"):
            if props.get(name) is not None and not isinstance(props[name], str):
                problems.add(label, _name(name, flat), "must be a string")
        episodes = props.get("episodes")
        if episodes is not None and _strings(episodes) is None:
            problems.add(label, _name("episodes", flat), "must be a list of episode keys")
        field_sources = props.get("field_sources", {})
        if _string_lists(field_sources) is None:
            problems.add(label, _name("field_sources", flat), "must map fields to source keys")
    if len(problems.found) > before:
        return None
    if relation is Relation.PORTRAYS:
        return {name: props.get(name) for name in _PORTRAYS_PROPS} | {
            "field_sources": props.get("field_sources", {})
        }
    return dict(props)


# --- checking a whole graph ------------------------------------------------------------------


def validate_graph(
    model: ShowGraph,
    file: str = "(graph)",
    labels: Mapping[str, str] | None = None,
    *,
    partial: Iterable[str] = (),
    progress: bool | None = None,
) -> list[Problem]:
    """Every problem of a graph as a whole, located; empty when it is sound.

    The checks the dataset loader makes, for graphs that did not come from a
    dataset: keys are ``kind:id``; facts fit their kind; every node and edge
    cites existing sources (a source cites itself); each relation joins the
    kinds ``RELATION_ENDS`` allows; seasons, episodes, scenes and characters
    have exactly one parent; numbers are unique among siblings; a portrayal's
    show and episodes exist and agree. ``labels`` names nodes (by key) and
    edges ("u REL v") as the file does; ``partial`` lists nodes whose parent
    check to skip (an edge of theirs was refused, and already reported).
    """
    return _Validator(model, _Problems(file), labels or {}, frozenset(partial)).run(progress)


@dataclass
class _Validator:
    model: ShowGraph
    problems: _Problems
    labels: Mapping[str, str]
    partial: frozenset[str]

    def run(self, progress: bool | None) -> list[Problem]:
        g = self.model.graph
        self.sources = {
            key for key, attrs in g.nodes(data=True) if attrs.get("kind") == NodeKind.SOURCE
        }
        numbers: dict[tuple[str, int], str] = {}
        with _ticks(_size(self.model), "check", progress) as tick:
            for key, attrs in g.nodes(data=True):
                tick()
                node = attrs.get("node")
                if not isinstance(node, GraphNode):
                    self._add_node(
                        key, "kind", "the node has no kind or facts (an edge to nowhere?)"
                    )
                    continue
                self._node(node)
                self._parent(node, numbers)
            for u, v, relation, attrs in g.edges(keys=True, data=True):
                tick()
                self._edge(u, v, relation, attrs)
        return self.problems.found

    def _add_node(self, key: str, where: str, message: str) -> None:
        self.problems.add(self.labels.get(key, f"node '{key}'"), where, message)

    def _node(self, node: GraphNode[Any]) -> None:
        key, kind = node.key, node.kind
        prefix, _, local = key.partition(":")
        if prefix != kind.value.lower() or not _ID.match(local):
            self._add_node(
                key,
                "id",
                f"the key of {a_kind(kind)} is '{kind.value.lower()}:' and an id of letters, "
                "digits, '.', '_' and '-'",
            )
        try:
            FIELDS_OF[kind].model_validate(node.data.model_dump(by_alias=True))
        except (ValidationError, AttributeError) as error:
            self._add_node(key, "fields", f"facts that do not fit {a_kind(kind)}: {error}")
        if kind is NodeKind.SOURCE:
            if tuple(node.sources) != (key,) or node.field_sources:
                self._add_node(key, "sources", f"a source cites itself: sources must be ['{key}']")
            return
        self._cites(self._add_node, key, "sources", node.sources)
        for name, keys in node.field_sources.items():
            if name not in _SOURCED_FIELDS[kind]:
                self._add_node(key, f"fieldSources.{name}", f"not a field of {a_kind(kind)}")
            self._cites(self._add_node, key, f"fieldSources.{name}", keys)
        if kind is NodeKind.SEASON:
            for index, view in enumerate(getattr(node.data, "viewership", ())):
                named = [("sources", view.sources)]
                named += [(f"fieldSources.{n}", ids) for n, ids in view.field_sources.items()]
                for where, ids in named:
                    for number, source_id in enumerate(ids):
                        if node_key(NodeKind.SOURCE, source_id) not in self.sources:
                            self._add_node(
                                key,
                                f"viewership.{index}.{where}.{number}",
                                f"no source has the id '{source_id}'",
                            )

    def _cites(
        self, add: Callable[[str, str, str], None], at: str, where: str, keys: Sequence[str]
    ) -> None:
        if not keys:
            add(at, where, "needs at least one source: every fact names where it comes from")
        for index, source in enumerate(keys):
            if source not in self.sources:
                add(at, f"{where}.{index}", f"no source has the key '{source}'")

    def _parent(self, node: GraphNode[Any], numbers: dict[tuple[str, int], str]) -> None:
        if node.kind not in PARENT_OF or node.key in self.partial:
            return
        relation, kinds = PARENT_OF[node.kind]
        parents = [
            u
            for u, edges in self.model.graph.pred[node.key].items()
            if relation in edges and self.model.graph.nodes[u].get("kind") in kinds
        ]
        if len(parents) != 1:
            wanted = " or ".join(a_kind(k) for k in sorted(kinds))
            self._add_node(
                node.key,
                relation.value,
                f"{a_kind(node.kind)} needs exactly one parent ({wanted}, through "
                f"{relation.value}); it has {len(parents)}",
            )
            return
        number = getattr(node.data, "number", None)
        if node.kind in (NodeKind.SEASON, NodeKind.EPISODE) and isinstance(number, int):
            taken = numbers.setdefault((parents[0], number), node.key)
            if taken != node.key:
                self._add_node(
                    node.key,
                    "fields.number",
                    f"number {number} is already used in {parents[0]} by {taken}",
                )

    def _edge(self, u: str, v: str, relation: str, attrs: Mapping[str, Any]) -> None:
        label = self.labels.get(f"{u} {relation} {v}", f"edge {u} {relation} {v}")

        def add(_: str, where: str, message: str) -> None:
            self.problems.add(label, where, message)

        if relation not in _RELATIONS:
            add(label, "relation", f"unknown relation {relation!r}")
            return
        rel = Relation(relation)
        tail, head = self.model.node(u), self.model.node(v)
        if tail is None or head is None:
            return  # reported with the node
        for where, message in _end_problems(rel, u, v, tail.kind, head.kind):
            add(label, where, message)
        self._cites(add, label, "sources", attrs.get("sources") or ())
        props = edge_to_json(u, v, relation, attrs)["props"]
        checked = _check_props(rel, props, label, self.problems, flat=True)
        if rel is not Relation.PORTRAYS or checked is None:
            return
        for name, keys in checked["field_sources"].items():
            if name not in _PORTRAYAL_FIELDS:
                add(label, f"fieldSources.{name}", "not a field of a portrayal")
            self._cites(add, label, f"fieldSources.{name}", keys)
        show = checked["show"]
        if show is not None:
            found = self.model.node(show)
            if found is None or found.kind is not NodeKind.SHOW:
                add(label, "show", f"no show has the key '{show}'")
                return
        else:
            show = self.model.parent(v, Relation.HAS_CHARACTER)
        for index, episode in enumerate(checked["episodes"] or ()):
            found = self.model.node(episode)
            if found is None or found.kind is not NodeKind.EPISODE:
                add(label, f"episodes.{index}", f"no episode has the key '{episode}'")
                continue
            season = self.model.parent(episode, Relation.HAS_EPISODE)
            in_show = self.model.parent(season, Relation.HAS_SEASON) if season else None
            if show is not None and in_show is not None and in_show != show:
                add(label, f"episodes.{index}", f"{episode} is in {in_show}, not in {show}")


# --- importing ---------------------------------------------------------------------------------


def import_into(
    store: Store,
    model: ShowGraph,
    incoming: ShowGraph,
    writer: str,
    *,
    summary: str = "",
    progress: bool | None = None,
) -> Change | None:
    """Make ``model`` (and the store) hold ``incoming``, as ONE change; None if already equal.

    The change holds only the differences: edges and nodes that ``incoming``
    lacks are deleted, nodes and edges that are new or differ are put. One
    change is one journal line, so the import is all or nothing after a crash,
    other processes following the journal apply it whole, and the version
    moves by one. ``incoming`` is checked first (``validate_graph``); a graph
    with problems raises ``ExchangeError`` and changes nothing. The
    differences are computed after the store caught up with other writers,
    under the graph's write lock.
    """
    problems = validate_graph(incoming, "(graph to import)", progress=progress)
    if problems:
        raise ExchangeError(problems, "the graph to import")

    def make_change(version: int) -> Change | None:
        ops = diff_ops(model, incoming, progress=progress)
        if not ops:
            return None
        return Change(version, writer, tuple(ops), summary or _describe(ops))

    with model.lock.writing():
        change, _ = store.write(model, make_change)
    return change


def diff_ops(current: ShowGraph, incoming: ShowGraph, *, progress: bool | None = None) -> list[Op]:
    """The operations that turn ``current`` into ``incoming``: deletes first, then puts."""
    now, then = current.graph, incoming.graph
    ops: list[Op] = []
    for u, v, relation in now.edges(keys=True):
        if u in then and v in then and not then.has_edge(u, v, key=relation):
            ops.append(DeleteEdge(source=u, target=v, relation=relation))
    ops.extend(DeleteNode(key=key) for key in now if key not in then)
    puts: list[Op] = []
    with _ticks(_size(incoming), "import", progress) as tick:
        for key in then.nodes:
            tick()
            node = node_to_json(incoming.require(key))
            mine = current.node(key)
            if mine is None or node_to_json(mine) != node:
                puts.append(PutNode(**node))
        for u, v, relation, attrs in then.edges(keys=True, data=True):
            tick()
            edge = edge_to_json(u, v, relation, attrs)
            theirs = current.edge(u, v, relation)
            if theirs is None or edge_to_json(u, v, relation, theirs) != edge:
                puts.append(PutEdge(**edge))
    return ops + puts


def _describe(ops: Sequence[Op]) -> str:
    counts = dict.fromkeys(("put_node", "delete_node", "put_edge", "delete_edge"), 0)
    for op in ops:
        counts[op.op] += 1
    return (
        f"import: {counts['put_node']} node(s) put, {counts['delete_node']} deleted; "
        f"{counts['put_edge']} edge(s) put, {counts['delete_edge']} deleted"
    )


# --- command line ------------------------------------------------------------------------------


def export_main(argv: Sequence[str] | None = None) -> int:
    """``showgraph export``: write the graph (a dataset, or a data directory's) in a format."""
    parser = argparse.ArgumentParser(
        prog="showgraph export",
        description="Write the graph as GraphML, GEXF, node-link JSON or a showgraph/1 dataset.",
    )
    parser.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        help="default: from --output's name (.graphml, .gexf, .yaml)",
    )
    parser.add_argument(
        "--output", "-o", type=Path, help="file to write (default: standard output)"
    )
    _source_flags(parser, data_dir_required=False)
    args = parser.parse_args(argv)
    output: Path | None = None if args.output in (None, Path("-")) else args.output
    fmt = args.format or (_SUFFIXES.get(output.suffix) if output else None)
    if fmt is None:
        parser.error("give --format (graphml, gexf, json or dataset)")
    try:
        model = _open(args)
        export_graph(model, fmt, output if output is not None else sys.stdout.buffer)
    except (DatasetError, StoreError) as error:
        print(f"showgraph export: {error}", file=sys.stderr)
        return 1
    if output is not None:
        nodes, edges = model.graph.number_of_nodes(), model.graph.number_of_edges()
        print(f"wrote {output}: {fmt}, {nodes} nodes, {edges} edges", file=sys.stderr)
    return 0


def import_main(argv: Sequence[str] | None = None) -> int:
    """``showgraph import FILE``: replace a data directory's graph with a file's, as one change."""
    parser = argparse.ArgumentParser(
        prog="showgraph import",
        description=(
            "Check a file (a showgraph/1 dataset, node-link JSON, GraphML or GEXF from "
            "`showgraph export`) and make it the graph of a data directory, as one change "
            "that running servers pick up. Nothing changes unless the whole file is valid."
        ),
    )
    parser.add_argument("file", type=Path, help="the file to import")
    parser.add_argument(
        "--format", "-f", choices=FORMATS, help="default: from the file's name and content"
    )
    _source_flags(parser, data_dir_required=True)
    parser.add_argument(
        "--writer", default="showgraph-import", help="who the journal says made the change"
    )
    args = parser.parse_args(argv)
    try:
        incoming = read_graph(args.file, args.format)
        store = JournalStore(args.data_dir, args.dataset)
        model = store.open()
        change = import_into(store, model, incoming, args.writer)
    except (DatasetError, StoreError) as error:
        print(f"showgraph import: {error}", file=sys.stderr)
        return 1
    if change is None:
        print(
            f"nothing to import: {args.data_dir} already holds this graph (version {model.version})"
        )
    else:
        print(
            f"imported {args.file} into {args.data_dir}: version {change.version}, {change.summary}"
        )
    return 0


def _source_flags(parser: argparse.ArgumentParser, *, data_dir_required: bool) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        required=data_dir_required,
        help="a server's data directory (snapshot + journal)"
        + ("" if data_dir_required else "; default: read --dataset only"),
    )
    parser.add_argument(
        "--dataset",
        type=Path,
        default=BUILTIN_DATASET,
        help="the dataset file the data directory starts from (default: the built-in one)",
    )


def _open(args: argparse.Namespace) -> ShowGraph:
    if args.data_dir is None:
        return ShowGraph.from_dataset(load_dataset(args.dataset))
    if not args.data_dir.is_dir():
        problem = Problem(str(args.data_dir), "(directory)", "-", "no such data directory")
        raise ExchangeError([problem], str(args.data_dir))
    return JournalStore(args.data_dir, args.dataset).open()
