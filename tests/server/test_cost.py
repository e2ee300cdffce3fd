"""The cost estimate: fields counted once per item the lists above them may hold."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLSchema, parse

from schema import build_schema
from server.cost import PageRequest, operation_cost


@pytest.fixture(scope="module")
def graphql_schema() -> GraphQLSchema:
    return build_schema()._schema


def cost(
    schema: GraphQLSchema,
    query: str,
    variables: dict[str, Any] | None = None,
    name: str | None = None,
) -> int:
    return operation_cost(schema, parse(query), name, variables, 20).cost


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A connection and its count: no page is fetched.
        ("{ actors { totalCount } }", 2),
        # `first` sizes the page lists of a connection ...
        ("{ actors(first: 10) { nodes { name } } }", 1 + 1 + 10 * 1),
        # ... and `first` left out is the default page size, 20.
        ("{ actors { nodes { name } } }", 1 + 1 + 20 * 1),
        # Only the page lists: totalCount and pageInfo are there once.
        (
            "{ actors(first: 10) { totalCount pageInfo { hasNextPage } edges { node { name } } } }",
            1 + 1 + 2 + (1 + 10 * 2),
        ),
        # A list without `first` counts 10 items.
        ("{ actors(first: 1) { nodes { portrayals { role } } } }", 1 + (1 + (1 + 10 * 1))),
        # A list with `first` of its own (search) counts that many.
        ('{ search(text: "x", first: 2) { score } }', 1 + 2 * 1),
        # nodes(ids:) counts the ids.
        ('{ nodes(ids: ["a", "b", "c"]) { id } }', 1 + 3 * 1),
        # A fragment counts each time it is spread; inline fragments add no level.
        (
            "{ actors(first: 2) { nodes { ...A ... on Actor { id } } } } "
            "fragment A on Actor { name }",
            1 + (1 + 2 * 2),
        ),
        # Introspection counts 1 a field: its size is the schema's, not the data's.
        ("{ __schema { types { fields { name } } } }", 4),
        ("{ __typename }", 1),
    ],
)
def test_cost_of(graphql_schema: GraphQLSchema, query: str, expected: int) -> None:
    assert cost(graphql_schema, query) == expected


def test_variables_and_their_defaults(graphql_schema: GraphQLSchema) -> None:
    query = (
        "query($n: Int = 5, $ids: [ID!]!) "
        "{ actors(first: $n) { nodes { id } } nodes(ids: $ids) { id } }"
    )
    assert cost(graphql_schema, query, {"ids": ["a", "b"]}) == (1 + 1 + 5) + (1 + 2)
    assert cost(graphql_schema, query, {"n": 50, "ids": []}) == (1 + 1 + 50) + 1


def test_the_operation_that_runs_is_the_one_counted(graphql_schema: GraphQLSchema) -> None:
    query = "query Small { __typename } query Big { actors(first: 100) { nodes { name } } }"
    assert cost(graphql_schema, query, name="Small") == 1
    assert cost(graphql_schema, query, name="Big") == 102
    assert cost(graphql_schema, query, name="Missing") == 0


def test_page_requests_are_recorded(graphql_schema: GraphQLSchema) -> None:
    estimate = operation_cost(
        graphql_schema,
        parse(
            "query($n: Int) { actors(first: 3) { nodes { coStars(first: $n) { totalCount } } } }"
        ),
        None,
        {"n": 500},
        20,
    )
    assert estimate.pages == [PageRequest("actors", 3), PageRequest("coStars", 500)]
    assert estimate.largest_page() == PageRequest("coStars", 500)
