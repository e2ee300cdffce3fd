"""The cost estimate: fields counted once per item the lists above them hold on the graph served."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLSchema, execute, parse
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_data import ShowGraph, load_graph
from graph_data.generate import generate, shows_for_nodes, write_dataset
from graph_data.kinds import NodeKind
from schema import build_schema
from schema.relay import encode_key
from server.context import RequestContext
from server.cost import actual_cost, field_costs_of, operation_cost
from server.pipeline.documents import parse_document
from server.pipeline.operations import select_operation
from server.pipeline.variables import coerce_variables


@pytest.fixture(scope="module")
def graphql_schema() -> GraphQLSchema:
    return build_schema()._schema


@pytest.fixture(scope="module")
def heartstopper() -> ShowGraph:
    return load_graph()


def cost(
    schema: GraphQLSchema,
    graph: ShowGraph,
    query: str,
    variables: dict[str, Any] | None = None,
    name: str | None = None,
    max_page_size: int = 100,
) -> int:
    document = parse_document(query, 10_000, 10**6)
    operation = select_operation(document, name)
    coerced = coerce_variables(schema, operation, variables, hide_suggestions=False)
    return operation_cost(
        schema,
        operation,
        document.fragments,
        coerced,
        graph,
        default_page_size=20,
        max_page_size=max_page_size,
    )


def resolved(schema: GraphQLSchema, graph: ShowGraph, query: str, **variables: Any) -> int:
    """What the reference executor actually resolves for the query, counted from its answer."""
    result = execute(
        schema, parse(query), context_value=RequestContext(graph=graph), variable_values=variables
    )
    assert not result.errors, result.errors
    return actual_cost(result.data, select_operation(parse_document(query, 10_000, 10**6), None))


# The queries a new user writes in GraphiQL (issue 13): each must be allowed, and its
# estimate must bound what it resolves, within 10 times.
ORDINARY = [
    "{ shows { nodes { name seasons { number episodes { title scenes { summary "
    "characters { name } sources { kind } } } } } } }",
    "{ shows { nodes { name seasons { number episodes { number title characters { name "
    "actors { name } } } } } } }",
    "{ actors { nodes { name portrayals { role character { name } episodes { title scenes { "
    "summary characters { name } } } } } } }",
    "{ shows { nodes { seasons { episodes { scenes { characters { name } } } } } } }",
    "{ shows { nodes { season(number: 2) { episodes { title scenes { summary characters "
    "{ name } sources { kind title } } } } } } }",
    "{ shows { nodes { name characters { nodes { name actors { name } episodes { title "
    "scenes { summary } } } } } } }",
    "{ actors(first: 100) { nodes { coStars(first: 100) { nodes { coStars(first: 100) { "
    "nodes { coStars(first: 100) { nodes { name } } } } } } } } }",
    "{ characters { nodes { name relationships { kind } scenes { summary } portrayals { "
    "actor { name shows { name } episodes { title } } scenes { summary } } } } }",
    '{ search(text: "nick") { node { id } } nodes(ids: ["KIT", "SHOW"]) { id } }'.replace(
        "KIT", encode_key("actor:kit-connor")
    ).replace("SHOW", encode_key("show:heartstopper")),
    "{ __schema { types { name fields { name } } } }",
]


@pytest.mark.parametrize("query", ORDINARY)
def test_the_estimate_bounds_what_runs_and_stays_close(
    graphql_schema: GraphQLSchema, heartstopper: ShowGraph, query: str
) -> None:
    requested = cost(graphql_schema, heartstopper, query)
    actual = resolved(graphql_schema, heartstopper, query)
    assert actual <= requested <= 10 * max(actual, 1), (requested, actual)
    assert requested <= 50_000  # the default max_cost lets it run


def test_deep_co_stars_cost_what_they_would_resolve(
    graphql_schema: GraphQLSchema, heartstopper: ShowGraph
) -> None:
    six_deep = "{ actors { nodes { " + "coStars { nodes { " * 6 + "name" + " } }" * 6 + " } } }"
    # 6 actors with 5 co-stars each: about 94,000 names, over the default limit.
    assert cost(graphql_schema, heartstopper, six_deep) > 6 * 5**6 > 50_000


def test_lists_follow_the_graph_as_it_changes(graphql_schema: GraphQLSchema) -> None:
    graph = load_graph()
    query = "{ shows { nodes { seasons { number } } } }"
    before = cost(graphql_schema, graph, query)
    season = next(iter(graph.nodes_of(NodeKind.SEASON)))
    show = graph.season_show(season.key)
    graph.remove_edge(show.key, season.key, "HAS_SEASON")  # type: ignore[arg-type]
    graph.version += 1  # as every change does (graph_data.changes): kept costs key on it
    assert cost(graphql_schema, graph, query) == before - 1  # one season fewer at most


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A connection and its count: no page is fetched.
        ("{ actors { totalCount } }", 2),
        # A page is what `first` asks, never more than the nodes there are (6 actors).
        ("{ actors(first: 3) { nodes { name } } }", 1 + 1 + 3),
        ("{ actors(first: 50) { nodes { name } } }", 1 + 1 + 6),
        # A `first` over the page-size limit counts as the limit: the field answers the error.
        ("{ actors(first: 500) { nodes { name } } }", 1 + 1 + 6),
        # Leaves, lists of them included, cost 1.
        ("{ shows { nodes { genres } } }", 1 + 1 + 1),
        # nodes(ids:) counts the ids.
        ('{ nodes(ids: ["a", "b", "c"]) { id } }', 1 + 3 * 1),
        # Skipped fields cost nothing; included ones count.
        ("{ actors @skip(if: true) { totalCount } graphVersion }", 1),
        ("{ actors @include(if: true) { totalCount } graphVersion }", 3),
        # A fragment on a type the object can never be costs nothing.
        ("{ shows { nodes { ... on Node { id } } } }", 1 + 1 + 1),
        # Introspection counts 1 a field: its size is the schema's, not the data's.
        ("{ __schema { types { fields { name } } } }", 4),
        ("{ __typename }", 1),
    ],
)
def test_cost_of(
    graphql_schema: GraphQLSchema, heartstopper: ShowGraph, query: str, expected: int
) -> None:
    assert cost(graphql_schema, heartstopper, query) == expected


def test_variables_count_as_they_coerce(
    graphql_schema: GraphQLSchema, heartstopper: ShowGraph
) -> None:
    query = "query($f: Int) { actors(first: $f) { nodes { name } } }"
    as_int = cost(graphql_schema, heartstopper, query, {"f": 3})
    assert cost(graphql_schema, heartstopper, query, {"f": 3.0}) == as_int == 1 + 1 + 3
    skip = "query($s: Boolean!) { actors @skip(if: $s) { totalCount } }"
    assert cost(graphql_schema, heartstopper, skip, {"s": True}) == 0
    assert cost(graphql_schema, heartstopper, skip, {"s": False}) == 2


def test_the_operation_that_runs_is_the_one_counted(
    graphql_schema: GraphQLSchema, heartstopper: ShowGraph
) -> None:
    query = "query Small { __typename } query Big { actors(first: 100) { nodes { name } } }"
    assert cost(graphql_schema, heartstopper, query, name="Small") == 1
    assert cost(graphql_schema, heartstopper, query, name="Big") == 1 + 1 + 6


# Filtered listings that start from a show (schema.filters.candidates): the filter narrows
# what is tested, not what is returned, so the estimate is the page's, and they run.
FILTERED = [
    "query($show: String!, $part: String!) { characters(first: 10, where: {show: {name: "
    "{eq: $show}}, name: {contains: $part}}) { totalCount nodes { name show { name } "
    "actors { name } } } }",
    "query($show: String!) { actors(first: 20, where: {characters: {show: {name: {eq: $show}}}})"
    " { totalCount nodes { name characters { name } } } }",
    "query($show: String!) { episodes(first: 20, where: {season: {show: {name: {eq: $show}}}})"
    " { nodes { title characters { name } } } }",
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> ShowGraph:
    path = tmp_path_factory.mktemp("cost") / "generated.json"
    write_dataset(generate(shows_for_nodes(10_000), seed=4), path)
    return load_graph(path)


@pytest.mark.parametrize("query", FILTERED)
def test_filtered_listings_are_estimated_as_their_page_and_allowed(
    graphql_schema: GraphQLSchema, generated: ShowGraph, query: str
) -> None:
    show = generated.nodes_of(NodeKind.SHOW)[3]
    part = generated.show_characters(show.key)[0].data.name[:2]
    variables = {"show": show.data.name, "part": part}
    if "$part" not in query:
        del variables["part"]
    requested = cost(graphql_schema, generated, query, variables)
    actual = resolved(graphql_schema, generated, query, **variables)
    assert 0 < actual <= requested <= 50_000, (requested, actual)


def keys_in(value: Any) -> int:
    """The definition ``actual_cost`` counts by: every key of every object within."""
    if isinstance(value, dict):
        return sum(1 + keys_in(inner) for inner in value.values())
    if isinstance(value, list):
        return sum(keys_in(inner) for inner in value)
    return 0


ANSWERS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=30,
)


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(data=st.dictionaries(st.sampled_from(["a", "b", "__typename", "__schema"]), ANSWERS))
def test_the_actual_cost_counts_every_key_of_every_object(data: dict[str, Any]) -> None:
    """Introspection at the root counts 1 a field, as in the estimate; the rest by keys."""
    operation = select_operation(parse_document("{ a b __typename __schema }", 100, 1000), None)
    expected = sum(1 if key.startswith("__") else 1 + keys_in(v) for key, v in data.items())
    assert actual_cost(data, operation) == expected


def test_the_actual_cost_of_an_answer_nested_past_the_stack() -> None:
    operation = select_operation(parse_document("{ a }", 100, 1000), None)
    deep: Any = {"x": 1}
    for _ in range(5000):
        deep = {"x": [deep]}
    assert actual_cost({"a": deep}, operation) == 5002


def test_a_kept_field_cost_is_what_a_fresh_estimate_gives(
    graphql_schema: GraphQLSchema, heartstopper: ShowGraph
) -> None:
    """A document sharing fields with a known one (another alias) costs them from
    ``FieldCosts``; its estimate is what it would be without them."""
    queries = [*ORDINARY, "{ shows { nodes { ... on Node { id } ... on Show { name } } } }"]
    for query in queries:
        aliased = query.replace("{ ", "{ again: ", 1)
        cost(graphql_schema, heartstopper, query)  # its fields' costs are kept
        kept = cost(graphql_schema, heartstopper, aliased)
        field_costs_of(heartstopper).clear()
        assert (
            kept
            == cost(graphql_schema, heartstopper, aliased)
            == cost(graphql_schema, heartstopper, query)
        ), query


def test_fields_with_variables_are_costed_with_each_requests_values(
    graphql_schema: GraphQLSchema, heartstopper: ShowGraph
) -> None:
    query = "query ($n: Int) { KEY: actors(first: $n) { nodes { name } } }"
    for alias, n in (("a", 1), ("b", 3), ("c", 1)):
        assert cost(graphql_schema, heartstopper, query.replace("KEY", alias), {"n": n}) == 2 + n
