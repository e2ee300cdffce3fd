"""The executor: a deadline that really stops the work, and no suggestions when asked."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLField,
    GraphQLInt,
    GraphQLObjectType,
    GraphQLSchema,
    execute,
    parse,
)
from starlette.testclient import TestClient

from graph_data import ShowGraph, load_graph
from graph_data.generate import generate, write_dataset
from server.app import create_app
from server.executor import executor_class
from server.settings import Settings
from tests.server.conftest import LiveServer

GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}


class SlowGraph(ShowGraph):
    """Each co-star lookup takes 0.2 s, and is recorded."""

    calls: list[str]

    def co_stars(self, actor: str) -> Any:
        self.calls.append(actor)
        time.sleep(0.2)
        return super().co_stars(actor)


def test_a_slow_query_is_stopped_at_the_deadline() -> None:
    graph = SlowGraph(load_graph().graph)
    graph.calls = []
    query = "{ actors { nodes { name coStars { totalCount } } } }"  # 6 lookups: 1.2 s
    with TestClient(create_app(Settings(execution_timeout=0.5), graph=graph)) as client:
        response = client.post("/graphql", json={"query": query}, headers=GRAPHQL_RESPONSE)

        # Execution had begun, so it is a result (200, data null), not a refused request.
        assert response.status_code == 200
        body = response.json()
        assert body.pop("extensions")["cost"]["actual"] == 0  # nothing was resolved
        assert body == {
            "data": None,
            "errors": [
                {
                    "message": "Time limit exceeded: the query ran for more than 0.5 seconds and "
                    "was stopped; the limit is 0.5 seconds.",
                    "extensions": {
                        "code": "TIMEOUT",
                        "limit": 0.5,
                        "setting": "SHOWGRAPH_EXECUTION_TIMEOUT",
                    },
                }
            ],
        }
        # The work stopped: the lookups after the deadline never started.
        assert 1 <= len(graph.calls) < 6

        # And the next query is answered.
        graph.calls.clear()
        normal = client.post("/graphql", json={"query": "{ actors { totalCount } }"})
        assert normal.json()["data"] == {"actors": {"totalCount": 6}}


def test_a_mutation_is_never_stopped_halfway() -> None:
    def slow(*_: Any) -> int:
        time.sleep(0.2)
        return 1

    fields = {"slow": GraphQLField(GraphQLInt, resolve=slow)}
    schema = GraphQLSchema(
        GraphQLObjectType("Query", fields), GraphQLObjectType("Mutation", fields)
    )
    executor = executor_class(0.1, hide_suggestions=False)
    query = execute(schema, parse("{ a: slow b: slow }"), executor_class=executor)
    assert query.errors is not None
    assert query.errors[0].message.startswith("Time limit exceeded")
    # A write that began is let finish and reported, not applied and then timed out.
    mutation = execute(schema, parse("mutation { a: slow b: slow }"), executor_class=executor)
    assert (mutation.data, mutation.errors) == ({"a": 1, "b": 1}, None)


def test_a_query_within_the_deadline_is_untouched() -> None:
    graph = SlowGraph(load_graph().graph)
    graph.calls = []
    query = '{ actors(where: {name: {eq: "Kit Connor"}}) { nodes { coStars { totalCount } } } }'
    with TestClient(create_app(Settings(execution_timeout=5), graph=graph)) as client:
        response = client.post("/graphql", json={"query": query})
    assert response.json()["data"]["actors"]["nodes"][0]["coStars"]["totalCount"] > 0


def test_no_suggestions_without_introspection(graph: ShowGraph) -> None:
    wrong_field = "{ actorz { totalCount } }"
    wrong_enum = 'query($k: [NodeKind!]) { search(text: "kit", kinds: $k) { score } }'
    variables = {"k": ["ACTR"]}
    with TestClient(create_app(Settings(introspection=False), graph=graph)) as closed:
        field = closed.post("/graphql", json={"query": wrong_field}).text
        enum = closed.post("/graphql", json={"query": wrong_enum, "variables": variables}).text
    assert "Cannot query field 'actorz' on type 'Query'." in field
    assert "Value 'ACTR' does not exist in 'NodeKind' enum." in enum
    assert "Did you mean" not in field + enum


def test_suggestions_with_introspection(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "{ actorz { totalCount } }"})
    assert "Did you mean 'actors'?" in response.text


SLOW_QUERY = (
    "{ characters(first: 100) { nodes { name episodes { title scenes { summary "
    "characters { name episodes { title } } } } } } }"
)


@pytest.fixture(scope="module")
def three_shows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated dataset big enough for SLOW_QUERY to run for minutes."""
    return write_dataset(generate(3, seed=1), tmp_path_factory.mktemp("data") / "three.json")


def test_live_a_slow_query_is_stopped_and_the_server_keeps_serving(three_shows: Path) -> None:
    server = LiveServer(
        "--dataset", str(three_shows), "--max-cost", "1000000000", "--execution-timeout", "0.5"
    )
    try:
        server.wait_ready()
        url = f"{server.url}/graphql"
        with ThreadPoolExecutor(max_workers=1) as pool:
            slow = pool.submit(
                httpx.post,
                url,
                json={"query": SLOW_QUERY},
                headers=GRAPHQL_RESPONSE,
                timeout=60,
            )
            # While it runs, other queries are answered.
            during = httpx.post(url, json={"query": "{ shows { totalCount } }"}, timeout=5)
            assert during.json()["data"] == {"shows": {"totalCount": 3}}
            response = slow.result()
        assert response.status_code == 200
        body = response.json()
        assert body["data"] is None
        assert body["errors"][0]["message"].startswith(
            "Time limit exceeded: the query ran for more than 0.5 seconds and was stopped"
        )
        after = httpx.post(url, json={"query": "{ shows { totalCount } }"}, timeout=5)
        assert after.json()["data"] == {"shows": {"totalCount": 3}}
    finally:
        server.stop()
