"""Connections: default and maximum page sizes, and cursors that round-trip."""

from __future__ import annotations

import base64

import pytest

from graph_data import ShowGraph
from graph_data.kinds import NodeKind
from schema.connections import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, paginate
from schema.errors import UserError
from tests.conftest import GraphQL

PAGE = """query($first: Int, $after: String) { actors(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { name } } nodes { name } } }"""


def test_paging_through_returns_every_item_once(gql: GraphQL) -> None:
    names: list[str] = []
    after = None
    while True:
        page = gql(PAGE, first=4, after=after)["actors"]
        assert page["totalCount"] == 6
        assert [e["node"] for e in page["edges"]] == page["nodes"]
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        names += [n["name"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert names == [
        "Corinna Brown",
        "Joe Locke",
        "Kit Connor",
        "Kizzy Edgell",
        "William Gao",
        "Yasmin Finney",
    ]


def test_first_defaults_and_is_capped(gql: GraphQL) -> None:
    assert DEFAULT_PAGE_SIZE == 20
    assert MAX_PAGE_SIZE == 100
    assert len(gql(PAGE)["actors"]["nodes"]) == 6
    assert gql.errors(PAGE, first=101) == [
        "`first` is limited to 100 items per page (got 101); page through with `after`"
    ]
    assert gql.errors(PAGE, first=-1) == ["`first` must not be negative (got -1)"]
    empty = gql(PAGE, first=0)["actors"]
    assert empty["nodes"] == []
    assert empty["pageInfo"]["endCursor"] is None
    assert empty["pageInfo"]["hasNextPage"] is True


def test_nested_connections_are_capped_too(gql: GraphQL) -> None:
    messages = gql.errors("{ shows { nodes { characters(first: 1000) { totalCount } } } }")
    assert messages == [
        "`first` is limited to 100 items per page (got 1000); page through with `after`"
    ]


def test_bad_cursor_is_refused(gql: GraphQL) -> None:
    assert gql.errors(PAGE, after="%%%") == ["`after` is not a cursor of this connection: '%%%'"]
    gone = base64.b64encode(b"2:actor:nobody").decode()
    assert gql.errors(PAGE, after=gone) == [
        "`after` points at an item that is no longer in this list; start again"
    ]


def test_a_cursor_survives_the_list_shifting(graph: ShowGraph) -> None:
    actors = list(graph.nodes_of(NodeKind.ACTOR))
    first = paginate(actors, lambda n: n.key, 2, None)
    shifted = actors[1:]  # an item before the cursor disappeared
    after = paginate(shifted, lambda n: n.key, 2, first.cursors[-1])
    assert [n.key for n in after.items] == [n.key for n in actors[2:4]]


def test_paginate_checks_first_without_graphql() -> None:
    with pytest.raises(UserError, match="limited to 100"):
        paginate([], lambda item: str(item), 101, None)
