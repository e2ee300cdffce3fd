"""Events such as fan conventions, where news about a show was revealed."""

from __future__ import annotations

import strawberry

from graph_data.dates import PartialDate
from graph_data.kinds import NodeKind
from graph_data.records import EventFields
from schema.context import Info, graph_of
from schema.relay import Node, node_type
from schema.seasons import Scene
from schema.sources import NodeSources, Sourced


@node_type(NodeKind.EVENT)
@strawberry.type(description="An event, such as a fan convention, where something was revealed.")
class Event(NodeSources, Node, Sourced):
    @strawberry.field(description="Name of the event.")
    def name(self) -> str:
        return self._data.name

    @strawberry.field(description="What the event is.")
    def description(self) -> str | None:
        return self._data.description

    @strawberry.field(description="Who held it.")
    def organizer(self) -> str | None:
        return self._data.organizer

    @strawberry.field(description="Where it was held.")
    def location(self) -> str | None:
        return self._data.location

    @strawberry.field(description="When it was held, when known.")
    def date(self) -> PartialDate | None:
        return self._data.date

    @strawberry.field(description="Scenes and stills first shown at the event.")
    def revealed(self, info: Info) -> list[Scene]:
        return [Scene(graph_node=s) for s in graph_of(info).revealed(self.graph_node.key)]

    @property
    def _data(self) -> EventFields:
        return self.graph_node.data  # type: ignore[no-any-return]
