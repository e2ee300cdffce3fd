"""Building a checked graph from the nodes and edges a graph file holds, whatever its format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError

from graph_data.changes import (
    PutEdge,
    apply_op,
)
from graph_data.formats.checks import validate_graph
from graph_data.formats.common import (
    BAD,
    RELATIONS,
    ExchangeError,
    Problems,
    check_props,
    end_problems,
    fact_message,
    fact_where,
    is_kind,
    string_lists,
    strings,
    suggest,
    ticks,
)
from graph_data.kinds import NodeKind, Relation
from graph_data.model import GraphNode, ShowGraph
from graph_data.records import FIELDS_OF


@dataclass(slots=True)
class RawNode:
    """A node as the file has it, before any check; ``flat`` for GraphML/GEXF naming."""

    label: str
    key: Any
    kind: Any
    fields: Any
    sources: Any
    field_sources: Any
    flat: bool


@dataclass(slots=True)
class RawEdge:
    label: str
    source: Any
    target: Any
    relation: Any
    sources: Any
    props: Any
    flat: bool


@dataclass
class GraphReader:
    """Holds the nodes and edges a format's ``collect`` found in a file; ``build`` checks them."""

    problems: Problems
    nodes: list[RawNode] = field(default_factory=list)
    edges: list[RawEdge] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)  # keys in the file whose node is invalid
    kinds: dict[str, NodeKind] = field(default_factory=dict)  # of every node in the file

    def json_attr(self, label: str, key: Any, where: str, value: Any) -> Any:
        """A JSON-encoded attribute decoded; ``BAD`` after a problem when it is not JSON."""
        if not isinstance(value, str):
            return value
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            self.problems.add(label, where, f"not valid JSON: {value[:60]!r}")
            self.broken_key(key)
            return BAD

    def broken_key(self, key: Any) -> None:
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
        with ticks(len(self.nodes) + len(self.edges), "read", progress) as tick:
            for raw in self.nodes:
                tick()
                if isinstance(raw.key, str) and raw.key in seen:
                    self.problems.add(raw.label, "id", f"duplicate key (first at {seen[raw.key]})")
                    continue
                if isinstance(raw.key, str):
                    seen[raw.key] = raw.label
                    if is_kind(raw.kind):
                        self.kinds[raw.key] = NodeKind(raw.kind)
                node = self._node(raw)
                if node is not None and raw.key not in self.broken:
                    model.add_node(node)
                    labels[node.key] = raw.label
                else:
                    self.broken_key(raw.key)
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

    def _node(self, raw: RawNode) -> GraphNode[Any] | None:
        add = self.problems.add
        ok = True
        if not isinstance(raw.key, str) or not raw.key:
            add(raw.label, "id", "a node needs a key, e.g. 'show:heartstopper'")
            ok = False
        kind = NodeKind(raw.kind) if is_kind(raw.kind) else None
        if raw.kind is None:
            add(raw.label, "kind", "missing: every node names its kind (SHOW, ...)")
        elif kind is None:
            hint = suggest(raw.kind, list(NodeKind)) if isinstance(raw.kind, str) else ""
            add(raw.label, "kind", f"unknown node kind {raw.kind!r}{hint}")
        sources = strings(raw.sources)
        if sources is None and raw.sources is not BAD:
            add(raw.label, "sources", "must be a list of source keys")
        field_sources = string_lists(raw.field_sources)
        if field_sources is None and raw.field_sources is not BAD:
            where = "fieldSources" if raw.flat else "field_sources"
            add(raw.label, where, "must map fields to source keys")
        if not isinstance(raw.fields, dict):
            add(raw.label, "fields", "must be an object of facts")
            return None
        if kind is None:
            return None
        facts = {name: value for name, value in raw.fields.items() if value is not BAD}
        ok = ok and len(facts) == len(raw.fields)
        try:
            data = FIELDS_OF[kind].model_validate(facts)
        except ValidationError as error:
            for detail in error.errors():
                where = ".".join(str(part) for part in detail["loc"]) or "-"
                add(raw.label, fact_where(where, raw.flat), fact_message(detail, kind))
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
        raw: RawEdge,
        seen: Mapping[str, str],
        edges_seen: dict[tuple[str, str, str], str],
    ) -> str | None:
        """Add one edge; its label key ("u REL v"), or None when it was refused."""
        add = self.problems.add
        ok = True
        known = isinstance(raw.relation, str) and raw.relation in RELATIONS
        relation = Relation(raw.relation) if known else None
        if relation is None:
            hint = suggest(raw.relation, list(Relation)) if isinstance(raw.relation, str) else ""
            add(raw.label, "relation", f"unknown relation {raw.relation!r}{hint}")
            ok = False
        broken_end = False
        for end, where in ((raw.source, "source"), (raw.target, "target")):
            if not isinstance(end, str):
                add(raw.label, where, "an edge needs the key of its node")
                ok = False
            elif end not in seen:
                hint = suggest(end, seen) if len(self.problems.found) < 50 else ""
                add(raw.label, where, f"no node has the key '{end}'{hint}")
                ok = False
            elif end in self.broken:
                broken_end = True  # not added, but checked as far as it can be
        sources = strings(raw.sources)
        if sources is None and raw.sources is not BAD:
            add(raw.label, "sources", "must be a list of source keys")
        if ok and broken_end and relation is not None:
            self._check_unbuilt(raw, relation, sources)
            ok = False
        props: dict[str, Any] | None = None
        if not isinstance(raw.props, dict):
            add(raw.label, "props", "must be an object")
        elif any(value is BAD for value in raw.props.values()):
            ok = False
        elif relation is not None:
            props = check_props(relation, raw.props, raw.label, self.problems, raw.flat)
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

    def _check_unbuilt(self, raw: RawEdge, relation: Relation, sources: list[str] | None) -> None:
        """The checks of an edge that touches an invalid node, which the graph cannot hold."""
        tail, head = self.kinds.get(raw.source), self.kinds.get(raw.target)
        if tail is not None and head is not None:
            for where, message in end_problems(relation, raw.source, raw.target, tail, head):
                self.problems.add(raw.label, where, message)
        for index, source in enumerate(sources or ()):
            if self.kinds.get(source) is not NodeKind.SOURCE:
                self.problems.add(
                    raw.label, f"sources.{index}", f"no source has the key '{source}'"
                )
        if sources == []:
            self.problems.add(raw.label, "sources", "needs at least one source")
