"""Relay global object identification: the Node interface and opaque global ids.

A global id is base64 of ``TypeName:local-id`` (``Actor:kit-connor``), as in
SWAPI; clients treat it as opaque, and ``node(id:)`` turns any of them back
into its object. Every node type registers itself here with ``node_type`` so
that a graph node of any kind can be wrapped in its GraphQL type.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry

from graph_data import GraphNode, ShowGraph, node_key
from graph_data.kinds import NodeKind
from schema import enums  # noqa: F401 - registers the enums before any type uses them
from schema.errors import UserError

if TYPE_CHECKING:
    from schema.history import ChangeConnection

T = TypeVar("T")

# Every kind has one GraphQL type; its name is the kind in title case.
TYPE_NAMES: dict[NodeKind, str] = {kind: kind.value.title() for kind in NodeKind}
_KINDS_BY_TYPE = {name: kind for kind, name in TYPE_NAMES.items()}
_WRAPPERS: dict[NodeKind, Callable[[GraphNode[Any]], Any]] = {}


@strawberry.interface(description="An object with a global id: `node(id:)` fetches any of them.")
class Node:
    graph_node: strawberry.Private[GraphNode[Any]]

    @strawberry.field(description="Opaque global id, stable across restarts and versions.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id(self.graph_node))

    @strawberry.field(
        description="The changes that touched this node, newest first: who, when, why, and "
        "each fact's old and new value."
    )
    def history(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Annotated[ChangeConnection, strawberry.lazy("schema.history")]:
        from schema.history import node_history

        return node_history(info, self.graph_node.key, first, after)


def node_type(kind: NodeKind) -> Callable[[type[T]], type[T]]:
    """Register the GraphQL type that wraps graph nodes of one kind."""

    def register(cls: type[T]) -> type[T]:
        _WRAPPERS[kind] = cls  # a strawberry type is constructed with graph_node=...
        return cls

    return register


def wrap(node: GraphNode[Any]) -> Any:
    """The GraphQL object for a graph node, whatever its kind."""
    return _WRAPPERS[node.kind](graph_node=node)  # type: ignore[call-arg]


def wrap_all(nodes: Iterable[GraphNode[Any]]) -> list[Any]:
    return [wrap(node) for node in nodes]


def shared_object(graph: ShowGraph, cls: type[T], node: GraphNode[Any]) -> T:
    """``cls(graph_node=node)``, made once per node and state of the graph, then reused.

    Such an object holds nothing but its node, so requests can share it
    (``ShowGraph.memo`` forgets them all at the next change). A node that is
    not the one remembered under its key gets an object of its own.
    """
    return _remembered(graph.memo(cls), cls, node)


def shared_objects(graph: ShowGraph, cls: type[T]) -> Callable[[GraphNode[Any]], T]:
    """``shared_object`` for many nodes: the table is looked up once, for a whole listing."""
    return partial(_remembered, graph.memo(cls), cls)


def _remembered(table: dict[str, Any], cls: type[T], node: GraphNode[Any]) -> T:
    found = table.get(node.key)
    if found is None or found.graph_node is not node:
        found = table[node.key] = cls(graph_node=node)  # type: ignore[call-arg]
    return found


def encode_id(node: GraphNode[Any]) -> str:
    return encode_key(node.key)


def encode_key(key: str) -> str:
    """The global id of a graph key, also for a node that no longer exists."""
    kind, _, local_id = key.partition(":")
    raw = f"{TYPE_NAMES[NodeKind(kind.upper())]}:{local_id}"
    return base64.b64encode(raw.encode()).decode()


def node_type_of(kind: NodeKind) -> type:
    """The registered GraphQL type of a kind."""
    return _WRAPPERS[kind]  # type: ignore[return-value]


def decode_id(global_id: str) -> str:
    """The graph key behind a global id; ``UserError`` if it is not one of ours."""
    try:
        raw = base64.b64decode(global_id.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    type_name, _, local_id = raw.partition(":")
    kind = _KINDS_BY_TYPE.get(type_name)
    if kind is None or not local_id:
        raise UserError(f"'{global_id}' is not a valid id: use the `id` field of a node")
    return node_key(kind, local_id)


def resolve_id(graph: ShowGraph, global_id: str) -> Any | None:
    """The object behind a global id, or None when no such node exists (any more)."""
    node = graph.node(decode_id(global_id))
    return wrap(node) if node is not None else None
