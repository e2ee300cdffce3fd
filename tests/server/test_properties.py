"""Property tests: thousands of generated requests, and every answer a proper GraphQL answer.

Queries come from the served schema (hypothesis-graphql): valid ones, ones it
makes invalid on purpose, valid ones with characters changed, mutations (sent
without a token), plain noise, and arbitrary JSON bodies and GET parameters:
about 4,000 requests in all. Whatever arrives, the server must answer with a
well-formed GraphQL response, never a 5xx, never a Python exception's text,
and never an internal error at all for a valid query.

The examples are derandomised so that CI sees the same ones every run; set
``HYPOTHESIS_EXPLORE=1`` to explore new ones (and ten times as many).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLScalarType, GraphQLSchema, specified_scalar_types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, mutations, nodes, queries
from starlette.testclient import TestClient

from graph_data import ShowGraph
from server.app import create_app, served_schema
from server.settings import Settings

EXPLORE = os.environ.get("HYPOTHESIS_EXPLORE") == "1"
SCALE = 10 if EXPLORE else 1


def fuzz(examples: int) -> Any:
    return settings(
        max_examples=examples * SCALE,
        derandomize=not EXPLORE,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# Text that only a Python exception or traceback would put in an answer.
LEAK = re.compile(
    r"Traceback|File \"|\.py\b|\b(?:Type|Value|Key|Attribute|Index|Runtime|Assertion|Recursion|"
    r"ZeroDivision|NotImplemented|Lookup|Name|OS|Unicode(?:Decode|Encode)?)Error\b|"
    r"\bException\b|<[a-z_.]+ object at 0x"
)
TOP_LEVEL = {"data", "errors", "extensions"}
ACCEPTS = ["application/json", "application/graphql-response+json", "*/*"]


@pytest.fixture(scope="module")
def app_client(graph: ShowGraph) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), graph=graph)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def closed_client(graph: ShowGraph) -> Iterator[TestClient]:
    settings = Settings(profile="production", introspection=False, rate_limit=False)
    with TestClient(create_app(settings, graph=graph)) as test_client:
        yield test_client


def graphql_schema() -> GraphQLSchema:
    return served_schema(Settings())._schema


def scalar_strategies(schema: GraphQLSchema) -> dict[str, st.SearchStrategy[Any]]:
    """Strings for every custom scalar, Dates often well-formed."""
    strategies: dict[str, st.SearchStrategy[Any]] = {}
    for name, kind in schema.type_map.items():
        if isinstance(kind, GraphQLScalarType) and name not in specified_scalar_types:
            values = st.text(max_size=20)
            if name == "Date":
                values = st.sampled_from(["2023", "2022-09", "2023-08-03", "2023-13"]) | values
            strategies[name] = values.map(nodes.String)
    return strategies


SCHEMA = graphql_schema()
SCALARS = scalar_strategies(SCHEMA)
VALID = queries(SCHEMA, custom_scalars=SCALARS)
MUTATIONS = mutations(SCHEMA, custom_scalars=SCALARS)
INVALID = from_schema(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def check_answer(response: httpx.Response, *, valid: bool = False) -> dict[str, Any]:
    """The properties every answer has; returns the body."""
    assert response.status_code < 500, response.text
    assert not LEAK.search(response.text), response.text
    media_type = response.headers["content-type"].split(";")[0]
    assert media_type in {"application/json", "application/graphql-response+json"}
    body = response.json()
    assert isinstance(body, dict), body
    assert body.keys() <= TOP_LEVEL, body
    assert body.keys() & {"data", "errors"}, body
    if "data" in body:
        assert body["data"] is None or isinstance(body["data"], dict)
    else:  # a request error: no data, at least one error, and never a 200 for the new type
        assert media_type == "application/json" or response.status_code >= 400
    for error in body.get("errors", []) or ():
        assert isinstance(error, dict), error
        assert isinstance(error.get("message"), str), error
        assert error.keys() <= {"message", "locations", "path", "extensions"}, error
        for location in error.get("locations", []):
            assert location.keys() == {"line", "column"}
        assert all(isinstance(step, str | int) for step in error.get("path", []))
        code = error.get("extensions", {}).get("code")
        if code == "INTERNAL_SERVER_ERROR":
            assert error["message"] == "Internal server error"
            assert not valid, f"an internal error for a valid query: {error}"
    if "errors" in body:
        assert body["errors"], body
    if response.status_code == 200 and media_type == "application/graphql-response+json":
        assert "data" in body
    return body


SUGGESTION = re.compile(r"Did you mean (?!'\w+ \{ \.\.\. \}'\?)")

EDITS = st.lists(
    st.tuples(st.integers(min_value=0, max_value=10_000), st.text(max_size=3)),
    min_size=1,
    max_size=4,
)


def damaged(query: str, edits: list[tuple[int, str]]) -> str:
    """``query`` with a few characters replaced, inserted or dropped."""
    for position, text in edits:
        at = position % (len(query) + 1)
        query = query[:at] + text + query[at + 1 :]
    return query


# Generating a query from this schema takes tens of milliseconds, sending it a
# few: so each generated query is also sent damaged, twice, to the app without
# introspection. 600 examples make 1,800 requests.
@fuzz(600)
@given(query=VALID, accept=st.sampled_from(ACCEPTS), edits=st.tuples(EDITS, EDITS))
def test_valid_and_damaged_queries(
    app_client: TestClient,
    closed_client: TestClient,
    query: str,
    accept: str,
    edits: tuple[list[tuple[int, str]], list[tuple[int, str]]],
) -> None:
    response = app_client.post("/graphql", json={"query": query}, headers={"accept": accept})
    body = check_answer(response, valid=True)
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors", [])}
    # A valid query runs, unless a limit or a user mistake (a bad argument value) stops it.
    assert "data" in body or codes <= {"LIMIT_EXCEEDED", "BAD_USER_INPUT"}, body
    for edit in edits:
        response = closed_client.post("/graphql", json={"query": damaged(query, edit)})
        check_answer(response)
        # Introspection is off there, so no error suggests a name of the schema. (A
        # field written without its selection is told "Did you mean 'season { ... }'?",
        # which repeats the client's own words and gives nothing away.)
        assert not SUGGESTION.search(response.text), response.text


@fuzz(100)
@given(mutation=MUTATIONS, accept=st.sampled_from(ACCEPTS))
def test_mutations(app_client: TestClient, mutation: str, accept: str) -> None:
    # Without a token none may write; whatever the refusal, it is a proper answer.
    response = app_client.post("/graphql", json={"query": mutation}, headers={"accept": accept})
    check_answer(response)


@fuzz(600)
@given(query=INVALID, accept=st.sampled_from(ACCEPTS))
def test_invalid_queries(app_client: TestClient, query: str, accept: str) -> None:
    response = app_client.post("/graphql", json={"query": query}, headers={"accept": accept})
    body = check_answer(response)
    assert body.get("errors"), body


@fuzz(500)
@given(query=st.text(max_size=200), method=st.sampled_from(["GET", "POST"]))
def test_noise(app_client: TestClient, query: str, method: str) -> None:
    if method == "GET":
        response = app_client.get("/graphql", params={"query": query})
    else:
        response = app_client.post("/graphql", json={"query": query})
    check_answer(response)


@fuzz(500)
@given(
    body=JSON_VALUES | st.binary(max_size=100),
    content_type=st.sampled_from(["application/json", "text/plain", "application/graphql", ""]),
)
def test_arbitrary_bodies(app_client: TestClient, body: Any, content_type: str) -> None:
    content = body if isinstance(body, bytes) else httpx.Request("POST", "/", json=body).content
    headers = {"content-type": content_type} if content_type else {}
    check_answer(app_client.post("/graphql", content=content, headers=headers))


@fuzz(500)
@given(
    params=st.dictionaries(
        st.sampled_from(["query", "variables", "operationName", "extensions"]),
        st.text(max_size=40)
        | JSON_VALUES.map(lambda v: httpx.Request("GET", "/", json=v).content.decode()),
    )
)
def test_arbitrary_get_parameters(app_client: TestClient, params: dict[str, str]) -> None:
    response = app_client.get("/graphql", params=params, headers={"accept": "application/json"})
    check_answer(response)
