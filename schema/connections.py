"""Cursor connections: one paging helper that every connection uses.

``first`` defaults to ``DEFAULT_PAGE_SIZE`` and may not exceed ``MAX_PAGE_SIZE``.
A cursor is base64 of ``offset:key``: the offset makes the next page a list
slice, and the key lets us notice that the list changed under the cursor and
find the item again, so pages stay correct across writes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry

from graph_data import GraphNode
from schema.errors import UserError
from schema.relay import wrap

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

T = TypeVar("T")
N = TypeVar("N")


@strawberry.type(description="Where a page sits in its connection (Relay cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item, if any.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item; pass it as `after` for the next page."
    )


@strawberry.type(description="One item of a connection with its cursor.")
class Edge(Generic[N]):
    cursor: str = strawberry.field(description="Opaque position of this item, for `after`.")
    node: N = strawberry.field(description="The item.")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """A slice of a list plus what a connection needs to describe it.

    Cursors are made when asked for: most queries read ``nodes`` alone.
    """

    items: Sequence[T]
    start: int  # the position of items[0] in the whole list
    key_of: Callable[[T], str]
    total: int
    has_next: bool
    has_previous: bool

    def cursor(self, index: int) -> str:
        return _cursor(self.start + index, self.key_of(self.items[index]))

    @property
    def cursors(self) -> list[str]:
        return [self.cursor(index) for index in range(len(self.items))]

    def page_info(self) -> PageInfo:
        return PageInfo(
            has_next_page=self.has_next,
            has_previous_page=self.has_previous,
            start_cursor=self.cursor(0) if self.items else None,
            end_cursor=self.cursor(len(self.items) - 1) if self.items else None,
        )


@strawberry.type
class Paged:
    """The fields every connection answers from its page (not a type of the schema).

    Connections make each field when it is asked for: most queries read
    ``nodes`` alone, and never pay for edges or cursors.
    """

    page: strawberry.Private[Page[Any]]

    @strawberry.field(description="Items in the whole list, not the page.")
    def total_count(self) -> int:
        return self.page.total

    @strawberry.field(description="Cursors and whether more pages exist.")
    def page_info(self) -> PageInfo:
        return self.page.page_info()


@strawberry.type(description="A page of a list, with the total count and cursors to page on.")
class Connection(Paged, Generic[N]):
    wrap: strawberry.Private[Callable[[Any], N]]

    @strawberry.field(description="The page's items with their cursors.")
    def edges(self) -> list[Edge[N]]:
        page, wrap = self.page, self.wrap
        return [Edge(cursor=page.cursor(i), node=wrap(item)) for i, item in enumerate(page.items)]

    @strawberry.field(description="The page's items, without cursors.")
    def nodes(self) -> list[N]:
        return [self.wrap(item) for item in self.page.items]


# The most items a page may hold in this request: the server's setting, at most
# MAX_PAGE_SIZE. A context variable, so that every resolver that pages sees the
# setting without each being handed it.
_PAGE_LIMIT: ContextVar[int] = ContextVar("page_limit", default=MAX_PAGE_SIZE)


@contextmanager
def page_limit(limit: int) -> Iterator[None]:
    """Within this block, pages hold at most ``limit`` items (``check_first``)."""
    token = _PAGE_LIMIT.set(min(limit, MAX_PAGE_SIZE))
    try:
        yield
    finally:
        _PAGE_LIMIT.reset(token)


def check_first(first: int | None, argument: str = "first") -> int:
    """The page size to use; ``UserError`` naming the limit when it is out of range.

    An error of the field that asked, with its path, so the rest of the query
    still answers (as any resolver error would).
    """
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0:
        raise UserError(f"`{argument}` must not be negative (got {first})")
    limit = _PAGE_LIMIT.get()
    if first > limit:
        raise UserError(
            f"`{argument}` is limited to {limit} items per page (got {first}); "
            "page through with `after`",
            limit=limit,
        )
    return first


def paginate(
    items: Sequence[T], key_of: Callable[[T], str], first: int | None, after: str | None
) -> Page[T]:
    """The page of ``items`` after the ``after`` cursor, at most ``first`` long."""
    size = check_first(first)
    start = _position_after(items, key_of, after) if after else 0
    page = items[start : start + size]
    return Page(page, start, key_of, len(items), start + size < len(items), start > 0)


def connection(
    items: Sequence[T],
    key_of: Callable[[T], str],
    wrap: Callable[[T], N],
    first: int | None,
    after: str | None,
) -> Connection[N]:
    """A Relay connection over ``items`` whose objects are made by ``wrap``."""
    return Connection(page=paginate(items, key_of, first, after), wrap=wrap)


def node_connection(
    nodes: Sequence[GraphNode[Any]], first: int | None, after: str | None
) -> Connection[Any]:
    """A connection of graph nodes, each wrapped in its GraphQL type, cursors by key."""
    return connection(nodes, lambda node: node.key, wrap, first, after)


def _cursor(offset: int, key: str) -> str:
    return base64.b64encode(f"{offset}:{key}".encode()).decode()


def _position_after(items: Sequence[T], key_of: Callable[[T], str], after: str) -> int:
    try:
        offset_text, _, key = base64.b64decode(after, validate=True).decode().partition(":")
        offset = int(offset_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise UserError(f"`after` is not a cursor of this connection: {after!r}") from None
    if 0 <= offset < len(items) and key_of(items[offset]) == key:
        return offset + 1
    for index, item in enumerate(items):  # the list changed since the cursor was issued
        if key_of(item) == key:
            return index + 1
    raise UserError("`after` points at an item that is no longer in this list; start again")
