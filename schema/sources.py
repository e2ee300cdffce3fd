"""Sources, and the `Sourced` interface through which every fact names its sources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry

from graph_data.dates import PartialDate
from graph_data.kinds import NodeKind, SourceKind
from graph_data.records import SourceFields
from schema.context import Info, graph_of
from schema.errors import UserError
from schema.relay import Node, node_type

# Fields that describe sources rather than state facts, so they have no sources of their own.
_NOT_FACTS = frozenset({"id", "sources", "sourcesOf", "counts", "history", "__typename"})


@node_type(NodeKind.SOURCE)
@strawberry.type(
    description="Where a fact comes from: every node and edge of the graph names its sources."
)
class Source(Node):
    @strawberry.field(description="Title of the source.")
    def title(self) -> str:
        return self._data.title

    @strawberry.field(description="What kind of source this is.")
    def kind(self) -> SourceKind:
        return self._data.kind

    @strawberry.field(description="Web address, when the source has one.")
    def url(self) -> str | None:
        return self._data.url

    @strawberry.field(description="Publisher, when known.")
    def publisher(self) -> str | None:
        return self._data.publisher

    @strawberry.field(description="Date of publication, when known.")
    def published_on(self) -> PartialDate | None:
        return self._data.published_on

    @strawberry.field(description="What the source covers and how it was used.")
    def note(self) -> str | None:
        return self._data.note

    @property
    def _data(self) -> SourceFields:
        return self.graph_node.data  # type: ignore[no-any-return]


@strawberry.interface(
    description="Something that states facts and names the sources of each of them."
)
class Sourced:
    @strawberry.field(
        description="Every source behind this object's facts. Use `sourcesOf` to see which "
        "source backs which field."
    )
    def sources(self, info: Info) -> list[Source]:
        own, by_field = self.source_map()
        keys = [*own, *(key for keys in by_field.values() for key in keys)]
        return [Source(graph_node=n) for n in graph_of(info).sources(keys)]

    @strawberry.field(
        description='The sources of one field, by its name in this type (e.g. "fullName").'
    )
    def sources_of(self, info: Info, field: str) -> list[Source]:
        parent = info._raw_info.parent_type  # the GraphQL type asked about, for its field names
        names = set(parent.fields) - _NOT_FACTS
        if field not in names:
            raise UserError(
                f"`{field}` is not a field of {parent.name}; "
                f"choose one of: {', '.join(sorted(names))}"
            )
        own, by_field = self.source_map()
        return [Source(graph_node=n) for n in graph_of(info).sources(by_field.get(field, own))]

    def source_map(self) -> tuple[tuple[str, ...], Mapping[str, tuple[str, ...]]]:
        """(the record's sources, per-field overrides), as source keys."""
        raise NotImplementedError


class NodeSources:
    """For node types: their sources are their graph node's."""

    graph_node: Any

    def source_map(self) -> tuple[tuple[str, ...], Mapping[str, tuple[str, ...]]]:
        return self.graph_node.sources, self.graph_node.field_sources
