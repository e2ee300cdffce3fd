"""History in the API: change records, the change feed, a node's history, reads as of a version.

One record type, ``ChangeEvent``, serves the feed (``changes``), each node's
``history`` and the ``graphChanged`` subscription, so a client can switch
between polling the feed and subscribing without missing or repeating a
change: both are ordered by ``graphVersion``, and a feed's cursor is a version.

The records come from the store's history (``graph_data.history``), never
from the graph in memory, and only up to the version of the graph being
served. Who made a change (``writer``, a token's name) is shown to readers
with a token, and to everyone when the server's setting says so.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

import strawberry
from strawberry.scalars import JSON

from graph_data.changes import Change
from graph_data.changes import EdgeChangeKind as EdgeChangeKindValue
from graph_data.history import Filter, HistoryError
from graph_data.kinds import NodeKind, Relation
from graph_data.store import StoreError
from schema.connections import PageInfo, check_first
from schema.context import Context, Info, graph_of
from schema.errors import UserError
from schema.relay import decode_id, encode_key

if TYPE_CHECKING:
    from schema.query import Query

MAX_IDS = 100  # nodes a feed may follow at once, as `nodes(ids:)` may fetch
# Past versions one request may read: each costs a fork and the undo of every
# change since, which the cost of its fields does not count.
MAX_VERSIONS = 2

EdgeChangeKind = strawberry.enum(
    EdgeChangeKindValue,
    name="EdgeChangeKind",
    description="What a change did to a link.",
)


@strawberry.type(description="A node a change created, altered, linked or removed.")
class ChangedNode:
    id: strawberry.ID = strawberry.field(description="Its global id (it may no longer exist).")
    kind: NodeKind = strawberry.field(description="Its kind.")


@strawberry.type(description="One fact of one node a change set, altered or cleared.")
class FieldChange:
    id: strawberry.ID = strawberry.field(description="The node's global id.")
    field: str = strawberry.field(description="The fact's field name, e.g. `name`.")
    old: JSON | None = strawberry.field(description="Its value before; null when it had none.")
    new: JSON | None = strawberry.field(description="Its value after; null when cleared.")


@strawberry.type(description="One link a change added, altered or removed.")
class EdgeChange:
    from_: strawberry.ID = strawberry.field(name="from", description="Where the link starts.")
    relation: Relation = strawberry.field(description="The link's label.")
    to: strawberry.ID = strawberry.field(description="Where the link points.")
    change: EdgeChangeKind = strawberry.field(description="What the change did to it.")  # type: ignore[valid-type]


@strawberry.type(description="One accepted change: what it did, who made it, when and why.")
class ChangeEvent:
    graph_version: int = strawberry.field(description="The graph version this change made.")
    writer: str | None = strawberry.field(
        description="The name of the token that made it; null for readers without a token "
        "unless the server shows writers to everyone."
    )
    at: str = strawberry.field(description="When it was accepted (ISO 8601, UTC).")
    summary: str = strawberry.field(description='What it did, e.g. "create actor".')
    note: str | None = strawberry.field(description="The writer's edit summary, if given.")
    client_mutation_id: str | None = strawberry.field(
        description="The clientMutationId of the mutation that made it, if given."
    )
    changed: list[ChangedNode] = strawberry.field(description="The nodes it touched.")
    sources: list[strawberry.ID] = strawberry.field(
        description="Global ids of the Source nodes it cites."
    )
    fields: list[FieldChange] = strawberry.field(
        description="Each fact it changed, with the old and new value."
    )
    edges: list[EdgeChange] = strawberry.field(description="Each link it put or removed.")


def event(change: Change, context: Context) -> ChangeEvent:
    """The API's record of a change, as this request's reader may see it."""
    touched = dict(change.touched())
    shown = context.writer is not None or context.writers_public
    return ChangeEvent(
        graph_version=change.version,
        writer=change.writer if shown else None,
        at=change.at,
        summary=change.summary,
        note=change.note or None,
        client_mutation_id=change.client_mutation_id,
        changed=[
            ChangedNode(id=strawberry.ID(encode_key(key)), kind=NodeKind(kind))
            for key, kind in touched.items()
        ],
        sources=[strawberry.ID(encode_key(key)) for key in change.sources],
        fields=[
            FieldChange(id=strawberry.ID(encode_key(f.key)), field=f.field, old=f.old, new=f.new)
            for f in change.fields
        ],
        edges=[
            EdgeChange(
                from_=strawberry.ID(encode_key(e.source)),
                relation=e.relation,
                to=strawberry.ID(encode_key(e.target)),
                change=e.change,
            )
            for e in change.edges
        ],
    )


# --- connections ------------------------------------------------------------------------------


@strawberry.type(description="One change of a connection with its cursor.")
class ChangeEdge:
    cursor: str = strawberry.field(description="Opaque position of this change, for `after`.")
    node: ChangeEvent = strawberry.field(description="The change.")


@strawberry.type(description="A page of changes, with the total count and cursors to page on.")
class ChangeConnection:
    total_count: int = strawberry.field(description="Changes in the whole list, not the page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    edges: list[ChangeEdge] = strawberry.field(description="The page's changes with cursors.")
    nodes: list[ChangeEvent] = strawberry.field(description="The page's changes.")


def _connection(
    changes: list[Change], context: Context, total: int, has_next: bool, has_previous: bool
) -> ChangeConnection:
    events = [event(change, context) for change in changes]
    cursors = [_cursor(change.version) for change in changes]
    return ChangeConnection(
        total_count=total,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
        edges=[ChangeEdge(cursor=c, node=e) for c, e in zip(cursors, events, strict=True)],
        nodes=events,
    )


def _cursor(version: int) -> str:
    return base64.b64encode(f"change:{version}".encode()).decode()


def _version_of(after: str) -> int:
    try:
        prefix, _, number = base64.b64decode(after, validate=True).decode().partition(":")
        if prefix != "change":
            raise ValueError(prefix)
        return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise UserError(f"`after` is not a cursor of a list of changes: {after!r}") from None


def _asked(info: Info) -> Context:
    context: Context = info._raw_info.context
    return context


# --- the fields -------------------------------------------------------------------------------


def change_feed(
    info: Info,
    since: int,
    first: int | None,
    after: str | None,
    kinds: list[NodeKind] | None,
    ids: list[strawberry.ID] | None,
) -> ChangeConnection:
    """``Query.changes``: the changes after ``since`` (or the cursor), oldest first."""
    size = check_first(first)
    if since < 0:
        raise UserError(f"`since` is a graph version, 0 or more (got {since})")
    if ids is not None and len(ids) > MAX_IDS:
        raise UserError(f"`ids` is limited to {MAX_IDS} ids (got {len(ids)})")
    context = _asked(info)
    upto = graph_of(info).version
    only = Filter(
        keys=frozenset(decode_id(i) for i in ids) if ids is not None else None,
        kinds=frozenset(k.value for k in kinds) if kinds is not None else None,
    )
    start = max(since, _version_of(after)) if after is not None else since
    history = context.history()
    try:
        page, remaining = history.feed(start, upto, size, only)
        total = remaining if start == since else history.feed(since, upto, 0, only)[1]
    except StoreError as error:
        raise _unreadable(error) from None
    return _connection(page, context, total, remaining > len(page), total > remaining)


def node_history(info: Info, key: str, first: int | None, after: str | None) -> ChangeConnection:
    """``Node.history``: the changes that touched ``key``, newest first."""
    size = check_first(first)
    context = _asked(info)
    upto = graph_of(info).version
    before = _version_of(after) if after is not None else None
    try:
        page, total = context.history().of_node(key, upto, before, size + 1)
    except StoreError as error:
        raise _unreadable(error) from None
    return _connection(page[:size], context, total, len(page) > size, before is not None)


def as_of(info: Info, version: int) -> Query:
    """``Query.asOf``: every field below reads the graph as it was at ``version``."""
    from schema.query import Query

    raw = info._raw_info
    if raw.path.prev is not None:
        raise UserError("`asOf` reads from the root of a query; it cannot be nested")
    context = _asked(info)
    read = {graph.version for graph in (context.as_of or {}).values()}
    if version not in read and len(read) >= MAX_VERSIONS:
        raise UserError(
            f"a query may read at most {MAX_VERSIONS} past versions (this one asks for more); "
            "send the others in another request"
        )
    try:
        past = context.past_graphs().as_of(context.graph, version)
    except HistoryError as error:
        raise UserError(str(error)) from None
    except StoreError as error:
        raise _unreadable(error) from None
    if context.as_of is None:
        context.as_of = {}
    context.as_of[str(raw.path.key)] = past
    return Query()


def _unreadable(error: StoreError) -> UserError:
    """The store of record (PostgreSQL) is away: the graph still answers, its history not."""
    return UserError(f"the history cannot be read now: {error}", code="STORE_UNAVAILABLE")
