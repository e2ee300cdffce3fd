"""Changes: the one unit of every write, and the JSON form of nodes and edges.

A ``Change`` is a list of operations (put or delete a node, put or delete an
edge) with the graph version it produces, the writer and the time. Mutations
compute a change against the current graph, the journal stores it as one JSON
line, and ``apply`` replays it: the same function runs for a live write, for
a journal replay at start-up and for another worker catching up, so all three
end in the same graph.

A change also says what it did, for the history (``graph_data.history``):
``undo`` is the operations that bring back the graph before it, ``fields``
each fact it changed with the old and new value, ``edges`` each link it put
or removed. ``graph_data.diffs`` works them out when the change is made, from
the graph it is made against, so every store keeps them with the change.

Nodes and edges have one JSON form (``node_to_json``/``edge_to_json``), shared
by changes and snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from graph_data.kinds import CastRole, NodeKind, Relation
from graph_data.model import GraphNode, ShowGraph
from graph_data.records import FIELDS_OF
from graph_data.retries import Attempt


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PutNode(_Op):
    """Create a node, or replace its facts and sources (its edges stay)."""

    op: Literal["put_node"] = "put_node"
    key: str
    kind: NodeKind
    fields: dict[str, Any]
    sources: list[str]
    field_sources: dict[str, list[str]] = Field(default_factory=dict)


class DeleteNode(_Op):
    """Remove a node with every edge touching it."""

    op: Literal["delete_node"] = "delete_node"
    key: str


class PutEdge(_Op):
    """Create an edge, or replace the one with the same ends and relation."""

    op: Literal["put_edge"] = "put_edge"
    source: str
    target: str
    relation: Relation
    sources: list[str]
    props: dict[str, Any] = Field(default_factory=dict)


class DeleteEdge(_Op):
    op: Literal["delete_edge"] = "delete_edge"
    source: str
    target: str
    relation: Relation


Op = PutNode | DeleteNode | PutEdge | DeleteEdge
_OPS: TypeAdapter[list[Op]] = TypeAdapter(list[Annotated[Op, Field(discriminator="op")]])


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One fact of one node a change set, altered or cleared (None: not set)."""

    key: str
    field: str  # the fact's camelCase name, as in the API and the dataset files
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "field": self.field, "old": self.old, "new": self.new}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> FieldChange:
        return cls(str(raw["key"]), str(raw["field"]), raw["old"], raw["new"])


class EdgeChangeKind(Enum):
    ADDED = "ADDED"
    CHANGED = "CHANGED"  # its sources or properties
    REMOVED = "REMOVED"


@dataclass(frozen=True, slots=True)
class EdgeChange:
    """One link a change added, altered or removed (removing a node removes its links)."""

    source: str
    relation: Relation
    target: str
    change: EdgeChangeKind

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "relation": self.relation.value,
            "target": self.target,
            "change": self.change.value,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> EdgeChange:
        return cls(
            str(raw["source"]),
            Relation(raw["relation"]),
            str(raw["target"]),
            EdgeChangeKind(raw["change"]),
        )


@dataclass(frozen=True, slots=True)
class Change:
    """One accepted write: what it did, who did it, and the version it made."""

    version: int
    writer: str
    ops: tuple[Op, ...]
    summary: str = ""
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds"))
    # A retry key (graph_data.retries) and what the mutation answered, when given.
    client_mutation_id: str | None = None
    result: Any = None
    # The writer's edit summary (every mutation takes an optional `note`).
    note: str = ""
    # What it did (graph_data.diffs): how to undo it, the facts and links it changed.
    undo: tuple[Op, ...] = ()
    fields: tuple[FieldChange, ...] = ()
    edges: tuple[EdgeChange, ...] = ()

    def to_json(self) -> bytes:
        """One line of the journal (without the newline)."""
        return orjson.dumps(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """The change as plain JSON: a journal line, a history row, an export's entry."""
        line: dict[str, Any] = {
            "version": self.version,
            "writer": self.writer,
            "at": self.at,
            "summary": self.summary,
            "ops": [op.model_dump(mode="json") for op in self.ops],
        }
        if self.client_mutation_id is not None:
            line["clientMutationId"] = self.client_mutation_id
            line["result"] = self.result
        if self.note:
            line["note"] = self.note
        if self.undo or self.fields or self.edges:
            line["undo"] = [op.model_dump(mode="json") for op in self.undo]
            line["fields"] = [f.to_json() for f in self.fields]
            line["edges"] = [e.to_json() for e in self.edges]
        return line

    @classmethod
    def from_json(cls, line: bytes | str) -> Change:
        """Parse and validate one journal line; ValueError says what is wrong."""
        try:
            return cls.from_dict(orjson.loads(line))
        except orjson.JSONDecodeError as error:
            raise ValueError(f"not a valid change: {error}") from None

    @classmethod
    def from_dict(cls, raw: Any) -> Change:
        """The inverse of ``to_dict``; ValueError says what is wrong."""
        try:
            return cls(
                version=int(raw["version"]),
                writer=str(raw["writer"]),
                at=str(raw["at"]),
                summary=str(raw.get("summary", "")),
                ops=tuple(_OPS.validate_python(raw["ops"])),
                client_mutation_id=_optional_text(raw.get("clientMutationId")),
                result=raw.get("result"),
                note=str(raw.get("note", "")),
                undo=tuple(_OPS.validate_python(raw.get("undo", []))),
                fields=tuple(map(FieldChange.from_json, raw.get("fields", []))),
                edges=tuple(map(EdgeChange.from_json, raw.get("edges", []))),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a valid change: {error}") from None

    @property
    def sources(self) -> list[str]:
        """The Source nodes the change cites, on its nodes, facts, links and link facts."""
        keys: set[str] = set()
        for op in self.ops:
            if isinstance(op, PutNode):
                keys.update(op.sources)
                for cited in op.field_sources.values():
                    keys.update(cited)
            elif isinstance(op, PutEdge):
                keys.update(op.sources)
                for cited in (op.props.get("field_sources") or {}).values():
                    keys.update(cited)
        return sorted(keys)

    def touched(self) -> Iterator[tuple[str, str]]:
        """(key, kind) of every node this change created, altered, removed or linked."""
        for op in self.ops:
            if isinstance(op, PutNode):
                yield op.key, op.kind.value
            elif isinstance(op, DeleteNode):
                yield op.key, op.key.partition(":")[0].upper()
            else:
                for key in (op.source, op.target):
                    yield key, key.partition(":")[0].upper()


def apply(model: ShowGraph, change: Change) -> None:
    """Apply a change and take its version. The caller holds the graph's write lock."""
    for op in change.ops:
        apply_op(model, op)
    model.version = change.version
    if change.client_mutation_id is not None:
        attempt = Attempt(change.version, change.at, change.summary, change.result)
        model.requests.note(change.writer, change.client_mutation_id, attempt)


def _optional_text(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"clientMutationId: expected text, got {type(value).__name__}")
    return value


def apply_op(model: ShowGraph, op: Op) -> None:
    if isinstance(op, PutNode):
        model.add_node(node_from_json(op.model_dump()))
    elif isinstance(op, DeleteNode):
        model.remove_node(op.key)
    elif isinstance(op, PutEdge):
        model.add_edge(
            op.source, op.target, op.relation, op.sources, **_props_in(op.relation, op.props)
        )
    else:
        model.remove_edge(op.source, op.target, op.relation)


# --- the JSON form of nodes and edges ------------------------------------------


def node_to_json(node: GraphNode[Any]) -> dict[str, Any]:
    """A node as plain JSON: key, kind, facts by their camelCase names, sources."""
    return {
        "key": node.key,
        "kind": node.kind.value,
        "fields": node.data.model_dump(mode="json", by_alias=True, exclude_none=True),
        "sources": list(node.sources),
        "field_sources": {name: list(keys) for name, keys in node.field_sources.items()},
    }


def node_from_json(raw: Mapping[str, Any]) -> GraphNode[Any]:
    """The inverse of ``node_to_json``; the facts are validated again."""
    kind = NodeKind(raw["kind"])
    return GraphNode(
        key=raw["key"],
        kind=kind,
        data=FIELDS_OF[kind].model_validate(raw["fields"]),
        sources=tuple(raw["sources"]),
        field_sources={name: tuple(keys) for name, keys in raw.get("field_sources", {}).items()},
    )


def edge_to_json(u: str, v: str, relation: str, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """An edge as plain JSON: ends, relation, sources and properties."""
    props = {name: _plain(value) for name, value in attrs.items() if name != "sources"}
    return {
        "source": u,
        "target": v,
        "relation": str(relation),
        "sources": list(attrs["sources"]),
        "props": props,
    }


def edges_to_json(model: ShowGraph) -> Iterable[dict[str, Any]]:
    for u, v, relation, attrs in model.graph.edges(keys=True, data=True):
        yield edge_to_json(u, v, relation, attrs)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, CastRole):
        return value.value
    return value


def _props_in(relation: Relation, props: Mapping[str, Any]) -> dict[str, Any]:
    """Edge properties back in the types the model keeps (tuples, enums)."""
    if relation is not Relation.PORTRAYS:
        return dict(props)
    episodes = props.get("episodes")
    return {
        "show": props.get("show"),
        "role": CastRole(props["role"]),
        "credited_name": props.get("credited_name"),
        "episodes": None if episodes is None else tuple(episodes),
        "field_sources": {k: tuple(v) for k, v in props.get("field_sources", {}).items()},
    }
