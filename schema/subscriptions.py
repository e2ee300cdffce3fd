"""Subscriptions: live change events, at /graphql over WebSocket or Server-Sent Events."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from graph_data.changes import Change
from graph_data.kinds import NodeKind
from schema.context import Info
from schema.errors import UserError
from schema.relay import decode_id, encode_key


@strawberry.type(description="A node a change created, altered, linked or removed.")
class ChangedNode:
    id: strawberry.ID = strawberry.field(description="Its global id (it may no longer exist).")
    kind: NodeKind = strawberry.field(description="Its kind.")


@strawberry.type(description="One accepted change: what changed, by whom, and the new version.")
class ChangeEvent:
    graph_version: int = strawberry.field(description="The graph version this change made.")
    writer: str = strawberry.field(description="The name of the token that made it.")
    at: str = strawberry.field(description="When it was accepted (ISO 8601, UTC).")
    summary: str = strawberry.field(description='What it did, e.g. "create actor".')
    changed: list[ChangedNode] = strawberry.field(description="The nodes it touched.")


def event(change: Change) -> ChangeEvent:
    touched = dict(change.touched())
    return ChangeEvent(
        graph_version=change.version,
        writer=change.writer,
        at=change.at,
        summary=change.summary,
        changed=[
            ChangedNode(id=strawberry.ID(encode_key(key)), kind=NodeKind(kind))
            for key, kind in touched.items()
        ],
    )


@strawberry.type(description="Live updates.")
class Subscription:
    @strawberry.subscription(
        description="Every change from now on; with `ids` or `kinds`, only changes touching "
        "one of those nodes or a node of one of those kinds."
    )
    async def graph_changed(
        self,
        info: Info,
        ids: list[strawberry.ID] | None = None,
        kinds: list[NodeKind] | None = None,
    ) -> AsyncGenerator[ChangeEvent, None]:
        listen = info.context.listen
        if listen is None:
            raise UserError("subscriptions are served over WebSocket or Server-Sent Events")
        keys = {decode_id(i) for i in ids} if ids else None
        wanted_kinds = {k.value for k in kinds} if kinds else None
        async for change in listen():
            touched = dict(change.touched())
            if keys is not None and not keys.intersection(touched):
                continue
            if wanted_kinds is not None and not wanted_kinds.intersection(touched.values()):
                continue
            yield event(change)
