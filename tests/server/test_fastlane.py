"""The fast lane: plain GraphQL requests skip the generic layers, and nothing else changes."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from graph_data import ShowGraph
from server.app import create_app
from server.settings import Settings

QUERY = "{ graphVersion actors { totalCount nodes { name } } }"
TOKEN = "lane-token-0123456789"
CREATE = (
    'mutation { createActor(input: {fields: {name: "Jenny Walser"}, sources: ["'
    + base64.b64encode(b"Source:article").decode()
    + '"]}) { graphVersion } }'
)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(tokens=f"alice={TOKEN}", max_body_bytes=2000))) as c:
        yield c


def test_answers_carry_a_request_id_the_callers_when_sane(client: TestClient) -> None:
    fresh = client.post("/graphql", json={"query": QUERY})
    again = client.post("/graphql", json={"query": QUERY})
    assert fresh.headers["x-request-id"] != again.headers["x-request-id"]
    given = client.post("/graphql", json={"query": QUERY}, headers={"x-request-id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    odd = client.post("/graphql", json={"query": QUERY}, headers={"x-request-id": "a b"})
    assert odd.headers["x-request-id"] != "a b"


def test_bodies_over_the_limit_still_get_413_announced_or_streamed(client: TestClient) -> None:
    big = {"query": QUERY, "variables": {"pad": "x" * 3000}}
    assert client.post("/graphql", json=big).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts as it streams
        yield b'{"query": "{ graphVersion }", "pad": "'
        yield b"x" * 3000
        yield b'"}'

    streamed = client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert "x-request-id" in streamed.headers


def test_a_small_streamed_body_is_answered_by_the_whole_stack(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": '
        yield b'"{ graphVersion }"}'

    response = client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.json() == {"data": {"graphVersion": 0}}


def test_cross_origin_requests_keep_their_cors_headers(graph: ShowGraph) -> None:
    settings = Settings(cors_origins=["https://fans.example"])
    with TestClient(create_app(settings, graph=graph)) as client:
        response = client.post(
            "/graphql", json={"query": QUERY}, headers={"origin": "https://fans.example"}
        )
        assert response.headers["access-control-allow-origin"] == "https://fans.example"
        assert response.json()["data"]["actors"]["totalCount"] == 6


def test_a_repeat_is_answered_from_its_bytes_exactly_as_the_full_path(
    client: TestClient,
) -> None:
    endpoint = client.app.state.endpoint  # type: ignore[attr-defined]
    body = b'{"query": "' + QUERY.encode() + b'"}'
    headers = {"content-type": "application/json"}
    first = client.post("/graphql", content=body, headers=headers)
    scope = {"method": "POST", "path": "/graphql", "headers": [(b"accept", b"*/*")]}
    known = endpoint.known_answer(scope, body)
    assert known is not None
    assert known["body"] == first.content
    repeat = client.post("/graphql", content=body, headers=headers)
    assert repeat.content == first.content
    assert repeat.headers["content-type"] == first.headers["content-type"]
    # Requests whose answer depends on more than their bytes take the full path.
    for name in (b"authorization", b"cache-control", b"if-none-match"):
        conditional = {**scope, "headers": [(name, b"x")]}
        assert endpoint.known_answer(conditional, body) is None
    assert endpoint.known_answer({**scope, "headers": [(b"accept", b"text/x")]}, body) is None


def test_a_known_get_carries_the_same_validators(client: TestClient) -> None:
    first = client.get("/graphql", params={"query": QUERY})
    repeat = client.get("/graphql", params={"query": QUERY})
    assert repeat.content == first.content
    assert repeat.headers["etag"] == first.headers["etag"]
    assert repeat.headers["cache-control"] == first.headers["cache-control"]
    not_modified = client.get(
        "/graphql", params={"query": QUERY}, headers={"if-none-match": first.headers["etag"]}
    )
    assert not_modified.status_code == 304


def test_a_write_makes_known_requests_unknown(client: TestClient) -> None:
    before = client.post("/graphql", json={"query": QUERY})
    client.post("/graphql", json={"query": QUERY})
    written = client.post(
        "/graphql", json={"query": CREATE}, headers={"authorization": f"Bearer {TOKEN}"}
    )
    assert written.json()["data"]["createActor"]["graphVersion"] == 1
    after = client.post("/graphql", json={"query": QUERY})
    assert after.json()["data"]["actors"]["totalCount"] == 7
    assert before.json()["data"]["actors"]["totalCount"] == 6


def test_known_answers_are_counted_in_the_metrics(client: TestClient) -> None:
    query = "query Counted { graphVersion }"
    for _ in range(3):
        client.post("/graphql", json={"query": query})
    metrics = client.get("/metrics").text
    line = next(
        line
        for line in metrics.splitlines()
        if line.startswith("showgraph_graphql_requests_total") and 'operation="Counted"' in line
    )
    assert line.endswith(" 3.0")
