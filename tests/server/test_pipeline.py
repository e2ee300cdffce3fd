"""One pipeline: the same request gets the same answer on every path."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Awaitable, Iterator
from typing import Any

import orjson
import pytest
from graphql import execute, parse, specified_rules, validate
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import queries
from starlette.testclient import TestClient

from graph_data import ShowGraph
from schema.build import STRAWBERRY_RULES
from server.app import create_app, served_schema
from server.context import RequestContext
from server.errors import format_error
from server.pipeline import GraphQLRequest, Refused, Transport
from server.settings import Settings
from tests.server.test_properties import SCALARS

QUERY = "query A { actors { totalCount } } query B { shows { totalCount } }"


def test_get_and_post_agree_on_an_empty_operation_name(client: TestClient) -> None:
    post = client.post("/graphql", json={"query": QUERY, "operationName": ""})
    get = client.get("/graphql", params={"query": QUERY, "operationName": ""})
    assert post.json() == get.json() == {"errors": [{"message": "Unknown operation named ''."}]}
    named = client.get("/graphql", params={"query": QUERY, "operationName": "B"})
    assert named.json()["data"] == {"shows": {"totalCount": 1}}


def test_a_persisted_query_is_learnt_only_once_it_validates(client: TestClient) -> None:
    invalid = "{ nonsense }"
    digest = hashlib.sha256(invalid.encode()).hexdigest()
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    registering = client.post("/graphql", json={"query": invalid, "extensions": persisted})
    assert "Cannot query field 'nonsense'" in registering.json()["errors"][0]["message"]
    by_hash = client.post("/graphql", json={"extensions": persisted})
    assert by_hash.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_every_stage_refuses_with_its_own_error(client: TestClient) -> None:
    pipeline = client.app.state.endpoint.pipeline  # type: ignore[attr-defined]

    def refusal(query: str, **variables: object) -> str:
        request = GraphQLRequest(query, dict(variables), None, None, Transport.POST)
        try:
            pipeline.prepare(request)
        except Refused as refused:
            return refused.errors[0].message
        raise AssertionError("prepared")

    assert refusal("{ actors {").startswith("Syntax Error")
    assert refusal(QUERY).startswith("The document has several operations")
    assert refusal("{ nonsense }").startswith("Cannot query field")
    assert "has invalid value" in refusal("query($n: Int!) { actors(first: $n) { totalCount } }")
    assert refusal("subscription { graphChanged { graphVersion } }").startswith(
        "subscriptions need a stream"
    )


def test_a_huge_document_is_refused_while_lexing(client: TestClient) -> None:
    huge = "{ " + "a " * 70_000 + "}"  # 70,000 tokens, far past the 2,000 allowed
    response = client.post(
        "/graphql",
        content=orjson.dumps({"query": huge}),
        headers={"content-type": "application/json"},
    )
    assert response.json()["errors"][0]["extensions"]["setting"] == "SHOWGRAPH_MAX_TOKENS"
    pipeline = client.app.state.endpoint.pipeline  # type: ignore[attr-defined]
    assert pipeline.documents.peek(huge) is None  # nothing of it was kept


# --- against the reference ----------------------------------------------------------------

UNLIMITED = Settings(max_cost=10**9, max_depth=1000, max_aliases=10**6, max_tokens=10**6)
SCHEMA = served_schema(UNLIMITED)._schema
RULES = (*specified_rules, *STRAWBERRY_RULES)
REFERENCE = settings(
    max_examples=150 * (10 if os.environ.get("HYPOTHESIS_EXPLORE") == "1" else 1),
    derandomize=os.environ.get("HYPOTHESIS_EXPLORE") != "1",
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def reference(graph: ShowGraph, query: str) -> dict[str, Any]:
    """What graphql-core alone answers: validation errors, or the executed result."""
    document = parse(query)
    errors = validate(SCHEMA, document, RULES)
    if errors:
        return {"errors": [e.message for e in errors]}
    result = execute(SCHEMA, document, context_value=RequestContext(graph=graph))
    assert not isinstance(result, Awaitable)
    return {
        "data": result.data,
        "errors": [format_error(e)["message"] for e in result.errors or ()],
    }


def answered(client: TestClient, query: str) -> dict[str, Any]:
    body = client.post("/graphql", json={"query": query}).json()
    found = {"errors": [e["message"] for e in body.get("errors", ())]}
    if "data" in body:
        found["data"] = body["data"]
    return found


@pytest.fixture(scope="module")
def unlimited(graph: ShowGraph) -> Iterator[TestClient]:
    with TestClient(create_app(UNLIMITED, graph=graph)) as client:
        client.app.state.endpoint.pipeline.executor.in_background = False  # type: ignore[attr-defined]
        yield client


@pytest.fixture(scope="module")
def limited(graph: ShowGraph) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), graph=graph)) as client:
        yield client


@REFERENCE
@given(query=queries(SCHEMA, custom_scalars=SCALARS))
def test_generated_queries_answer_as_graphql_core_does(
    graph: ShowGraph, unlimited: TestClient, limited: TestClient, query: str
) -> None:
    expected = reference(graph, query)
    # The first run, the second (which compiles a plan) and the third (from the plan).
    for _ in range(3):
        assert answered(unlimited, query) == expected, query
    # With the default limits: the same answer, or a documented limit's refusal.
    body = limited.post("/graphql", json={"query": query}).json()
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors", ())}
    if "LIMIT_EXCEEDED" not in codes:
        assert answered(limited, query) == expected, query


def test_a_verdict_is_kept_for_new_values_of_variables_it_does_not_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """(f) of the benchmark: a new filter value each request is analysed once, while a
    new page size, a new graph version or a refusal is analysed again."""
    import server.pipeline
    from graph_data import load_graph

    graph = load_graph()
    pipeline = create_app(Settings(max_cost=15), graph=graph).state.endpoint.pipeline
    analysed: list[int] = []
    real = server.pipeline.analyse

    def counting(*args: Any) -> int:
        analysed.append(1)
        return real(*args)

    monkeypatch.setattr(server.pipeline, "analyse", counting)
    query = (
        "query($n: String!, $first: Int) { actors(first: $first, where: {name: {in: [$n]}}) "
        "{ nodes { name characters { name } } } }"
    )

    def cost(**variables: Any) -> int | str:
        request = GraphQLRequest(query, variables, None, None, Transport.POST)
        try:
            return pipeline.prepare(request).cost
        except Refused as refused:
            return refused.errors[0].message

    first = cost(n="a", first=2)  # a document seen once is not kept, nor its verdicts
    analysed.clear()
    assert [cost(n=name, first=2) for name in ("b", "c", "d")] == [first] * 3
    assert len(analysed) == 1
    assert cost(n="a", first=3) != first
    assert len(analysed) == 2
    graph.version += 1
    assert cost(n="a", first=2) == first
    assert len(analysed) == 3
    refused = cost(n="a", first=6)
    assert isinstance(refused, str)
    assert refused.startswith("Cost limit exceeded")
    assert cost(n="b", first=6) == refused
    assert len(analysed) == 5
