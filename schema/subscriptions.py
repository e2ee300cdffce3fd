"""Subscriptions: live change events, at /graphql over WebSocket or Server-Sent Events."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

import strawberry

from graph_data.changes import Change
from graph_data.history import Filter
from graph_data.kinds import NodeKind
from schema.context import Context, Info
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
        # Not a generator itself: what is wrong with the request fails the
        # subscription with its error, before any stream starts.
        listen = info.context.listen
        if listen is None:
            raise UserError("subscriptions are served over WebSocket or Server-Sent Events")
        only = Filter(
            keys=frozenset(decode_id(i) for i in ids) if ids else None,
            kinds=frozenset(k.value for k in kinds) if kinds else None,
        )
        return _events(listen(), only, info.context)


async def _events(
    changes: AsyncIterator[Change], only: Filter, context: Context
) -> AsyncGenerator[ChangeEvent, None]:
    async for change in changes:
        if only.wants(change):
            yield event(change, context)
