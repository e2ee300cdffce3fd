"""Unexpected errors are masked for the client and logged with the same id."""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient

from graph_data import ShowGraph, load_graph
from server.app import create_app


class BrokenGraph(ShowGraph):
    def co_stars(self, actor: str) -> list:  # type: ignore[type-arg]
        raise RuntimeError("secret detail at /srv/showgraph/model.py")


def test_unexpected_errors_are_masked_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    broken = BrokenGraph(load_graph().graph)
    with TestClient(create_app(graph=broken)) as client, caplog.at_level(logging.ERROR):
        response = client.post(
            "/graphql",
            json={"query": "{ actors(first: 1) { nodes { name coStars { totalCount } } } }"},
        )
    body = response.json()
    (error,) = body["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["path"] == ["actors", "nodes", 0, "coStars"]
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text
    error_id = error["extensions"]["errorId"]
    (record,) = [r for r in caplog.records if error_id in r.getMessage()]
    assert record.exc_info is not None
    assert "secret detail" in str(record.exc_info[1])


def test_user_errors_are_shown_as_written(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "{ shows(first: 101) { totalCount } }"})
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "limit": 100}
    assert "errorId" not in error["extensions"]


def test_faults_outside_execution_are_masked_too(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(request: object) -> object:
        raise KeyError("secret key at /srv/showgraph/server/graphql_http.py")

    monkeypatch.setattr("server.graphql_http._params_from_query_string", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 500
    (error,) = response.json()["errors"]
    assert error["message"] == "Internal server error"
    assert "secret" not in response.text
    assert "KeyError" not in response.text
    assert ".py" not in response.text
    (record,) = [r for r in caplog.records if error["extensions"]["errorId"] in r.getMessage()]
    assert record.exc_info is not None


def test_limit_errors_are_shown_as_written(client: TestClient) -> None:
    deep = "{ shows { nodes { " + "seasons { show { " * 15 + "name" + " } }" * 15 + " } } }"
    response = client.post("/graphql", json={"query": deep})
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert "errorId" not in error["extensions"]
