"""Subscriptions: live change events, at /graphql over WebSocket or Server-Sent Events."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from graph_data.history import Filter
from graph_data.kinds import NodeKind
from schema.context import Info
from schema.errors import UserError
from schema.history import ChangeEvent, event
from schema.relay import decode_id


@strawberry.type(description="Live updates.")
class Subscription:
    @strawberry.subscription(
        description="Every change from now on; with `ids` or `kinds`, only changes touching "
        "one of those nodes or a node of one of those kinds. The records of the `changes` "
        "feed: resume the feed from the last `graphVersion` seen to fill a gap."
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
        only = Filter(
            keys=frozenset(decode_id(i) for i in ids) if ids else None,
            kinds=frozenset(k.value for k in kinds) if kinds else None,
        )
        async for change in listen():
            if only.wants(change):
                yield event(change, info.context)
