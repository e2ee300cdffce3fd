"""Shared fixtures: the built-in graph, the app over it, and a GraphQL helper."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from graph_data import ShowGraph, load_graph
from server.app import create_app

# A throwaway PostgreSQL cluster (fixtures ``postgres``, ``pg_dsn``) for every test directory.
pytest_plugins = ["tests.postgres"]


@pytest.fixture(scope="session")
def graph() -> ShowGraph:
    return load_graph()


@pytest.fixture(scope="session")
def client(graph: ShowGraph) -> Iterator[TestClient]:
    with TestClient(create_app(graph=graph)) as test_client:
        yield test_client


class GraphQL:
    """POSTs queries over HTTP (ASGI) and returns ``data``, failing on any error."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def __call__(self, query: str, **variables: Any) -> Any:
        body = self.raw(query, **variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def raw(self, query: str, **variables: Any) -> Any:
        response = self.client.post("/graphql", json={"query": query, "variables": variables})
        return response.json()

    def errors(self, query: str, **variables: Any) -> list[str]:
        """The error messages of a query that must fail."""
        body = self.raw(query, **variables)
        assert body.get("errors"), body
        return [error["message"] for error in body["errors"]]


@pytest.fixture(scope="session")
def gql(client: TestClient) -> GraphQL:
    return GraphQL(client)
