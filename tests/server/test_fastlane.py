"""The fast lane: plain GraphQL requests skip the generic layers, and nothing else changes."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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
    assert response.json()["data"] == {"graphVersion": 0}


def test_cross_origin_requests_keep_their_cors_headers(graph: ShowGraph) -> None:
    settings = Settings(cors_origins=["https://fans.example"])
    with TestClient(create_app(settings, graph=graph)) as client:
        response = client.post(
            "/graphql", json={"query": QUERY}, headers={"origin": "https://fans.example"}
        )
        assert response.headers["access-control-allow-origin"] == "https://fans.example"
        assert response.json()["data"]["actors"]["totalCount"] == 6


def known_answer(client: TestClient, headers: list[tuple[bytes, bytes]], body: bytes) -> Any:
    """What the endpoint answers from these bytes alone: (start, body) messages, or None."""
    endpoint = client.app.state.endpoint  # type: ignore[attr-defined]
    scope = {"method": "POST", "path": "/graphql", "headers": headers}
    return asyncio.run(endpoint.known_answer(scope, body))


POSTED = [(b"accept", b"*/*"), (b"content-type", b"application/json")]


def test_a_repeat_is_answered_from_its_bytes_exactly_as_the_full_path(
    client: TestClient,
) -> None:
    body = b'{"query": "' + QUERY.encode() + b'"}'
    headers = {"content-type": "application/json"}
    client.post("/graphql", content=body, headers=headers)  # seen once: nothing kept
    first = client.post("/graphql", content=body, headers=headers)  # kept from now on
    start, answer = known_answer(client, POSTED, body)
    assert answer["body"] == first.content
    assert (b"content-type", b"application/json") in start["headers"]
    repeat = client.post("/graphql", content=body, headers=headers)
    assert repeat.content == first.content
    assert repeat.headers["content-type"] == first.headers["content-type"]
    # Requests whose answer depends on more than their bytes take the full path...
    for name in (b"authorization", b"if-none-match"):
        assert known_answer(client, [*POSTED, (name, b"x")], body) is None
    assert known_answer(client, [(b"accept", b"text/x"), POSTED[1]], body) is None
    # ... and so do bytes that were never answered as they are now (a 415 for this one).
    assert known_answer(client, [POSTED[0], (b"content-type", b"text/plain")], body) is None
    # A client asking for a fresh answer gets it from the query's compiled plan.
    fresh = known_answer(client, [*POSTED, (b"cache-control", b"no-cache")], body)
    assert fresh[1]["body"] == first.content


@pytest.mark.parametrize(
    "settings", [Settings(cache_bytes=0), Settings()], ids=["no cache", "cache"]
)
def test_uncached_repeats_run_their_plan_without_the_full_path(
    settings: Settings, graph: ShowGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {"cache-control": "no-cache"}
    with TestClient(create_app(settings, graph=graph)) as client:
        endpoint = client.app.state.endpoint  # type: ignore[attr-defined]
        pipeline = endpoint.pipeline
        pipeline.executor.in_background = False
        client.post("/graphql", json={"query": QUERY}, headers=headers)  # seen once: not kept
        posted = client.post("/graphql", json={"query": QUERY}, headers=headers)
        got = client.get("/graphql", params={"query": QUERY}, headers=headers)
        assert pipeline.documents.peek(QUERY).plans[None] is not None  # compiled on its 2nd run
        runs = []
        execute = pipeline.execute

        async def counted(*args: object) -> object:
            runs.append(1)
            return await execute(*args)

        monkeypatch.setattr(pipeline, "execute", counted)

        async def full_path(*args: object) -> None:
            raise AssertionError("took the full path")

        monkeypatch.setattr(endpoint, "handle", full_path)
        for _ in range(3):
            again = client.post("/graphql", json={"query": QUERY}, headers=headers)
            assert (again.status_code, again.content) == (200, posted.content)
            got_again = client.get("/graphql", params={"query": QUERY}, headers=headers)
            assert got_again.content == got.content
            for name in ("etag", "cache-control", "content-type"):
                assert got_again.headers.get(name) == got.headers.get(name)
        assert len(runs) == 6  # each one ran, none came from the response cache


def test_bytes_whose_document_was_forgotten_take_the_full_path(
    graph: ShowGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_app(Settings(cache_bytes=0), graph=graph)) as client:
        endpoint = client.app.state.endpoint  # type: ignore[attr-defined]
        first = client.post("/graphql", json={"query": QUERY})
        # The parsed-document cache let it go (it is bounded): the bytes alone cannot answer.
        monkeypatch.setattr(endpoint.pipeline.documents, "peek", lambda text: None)
        handled = []
        handle = endpoint.handle
        monkeypatch.setattr(endpoint, "handle", lambda *a: handled.append(1) or handle(*a))
        again = client.post("/graphql", json={"query": QUERY})
        assert again.content == first.content
        assert handled == [1]


def test_rate_limited_or_authorized_requests_take_the_full_path(graph: ShowGraph) -> None:
    body = b'{"query": "' + QUERY.encode() + b'"}'
    limited = Settings(rate_limit=True, cache_bytes=0)
    with TestClient(create_app(limited, graph=graph)) as client:
        for _ in range(2):
            response = client.post("/graphql", content=body, headers=dict(POSTED))
            assert "x-ratelimit-remaining" in response.headers  # charged every time
        assert known_answer(client, POSTED, body) is None
    with TestClient(create_app(Settings(tokens=f"alice={TOKEN}"), graph=graph)) as client:
        authorized = [*POSTED, (b"authorization", f"Bearer {TOKEN}".encode())]
        for _ in range(2):
            client.post("/graphql", content=body, headers=authorized)
        assert known_answer(client, authorized, body) is None
        # The same bytes without the token would be known: only the token kept them out.
        client.post("/graphql", content=body, headers=POSTED)
        assert known_answer(client, POSTED, body) is not None


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


NAMED = "query Named($n: String!) { actors(where: {name: {eq: $n}}) { nodes { name } } }"


def posted(query: str, variables: object = None, **more: object) -> bytes:
    return orjson.dumps({"query": query, "variables": variables, **more})


def full_path_answer(graph: ShowGraph, settings: Settings, body: bytes) -> Any:
    """What a server that never saw the document answers these bytes (parsed for once)."""
    with TestClient(create_app(settings, graph=graph)) as fresh:
        response = fresh.post("/graphql", content=body, headers=dict(POSTED))
        return response.status_code, response.json()


def test_a_known_document_with_new_variables_skips_the_full_path(
    graph: ShowGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    with TestClient(create_app(settings, graph=graph)) as client:
        for _ in range(2):  # kept from its second sighting
            client.post("/graphql", content=posted(NAMED, {"n": "x"}), headers=dict(POSTED))
        for name in ["Kit Connor", "kit connor", "Nobody", "Joe Locke"]:
            body = posted(NAMED, {"n": name})
            start, answer = known_answer(client, POSTED, body)
            assert start["status"] == 200
            assert orjson.loads(answer["body"]) == full_path_answer(graph, settings, body)[1]
        # Seen once, nothing of it is kept; seen twice, its exact bytes are remembered
        # and its answer cached, so the same variables in other bytes, once those have
        # repeated too, come from the cache.
        endpoint = client.app.state.endpoint  # type: ignore[attr-defined]
        joe = posted(NAMED, {"n": "Joe Locke"})
        raw = ("POST", joe, b"*/*", b"application/json", graph.version)
        assert endpoint.known.get(raw) is None
        kept = len(endpoint.cache._entries)
        known_answer(client, POSTED, joe)
        assert endpoint.known.get(raw) is not None
        assert len(endpoint.cache._entries) == kept + 1
        spaced = b'{"variables": {"n": "Joe Locke"}, "query": "' + NAMED.encode() + b'"}'
        _, spaced_once = known_answer(client, POSTED, spaced)  # new bytes: run
        monkeypatch.setattr(endpoint.pipeline, "execute", None)  # must not run again
        _, again = known_answer(client, POSTED, joe)
        _, cached = known_answer(client, POSTED, spaced)
        assert again["body"] == cached["body"] == spaced_once["body"] == answer["body"]


def test_what_the_full_path_would_refuse_or_read_otherwise_takes_it(graph: ShowGraph) -> None:
    settings = Settings(max_cost=12)
    sized = "query Sized($n: Int) { actors(first: $n) { nodes { name characters { name } } } }"
    with TestClient(create_app(settings, graph=graph)) as client:
        for query in (NAMED, sized):
            for _ in range(2):
                variables = {"n": "Kit Connor"} if query == NAMED else {"n": 1}
                client.post("/graphql", content=posted(query, variables), headers=dict(POSTED))
        assert known_answer(client, POSTED, posted(sized, {"n": 2})) is not None
        refused = [
            posted(NAMED, {"n": 5}),  # a variable of the wrong type
            posted(NAMED, {}),  # a required variable missing
            posted(NAMED, ["Kit Connor"]),  # variables not an object
            posted(NAMED, {"n": "Kit Connor"}, operationName="Other"),
            posted(NAMED, {"n": "Kit Connor"}, operationName=5),
            posted(NAMED, {"n": "Kit Connor"}, extensions={"persistedQuery": {}}),
            posted(sized, {"n": 100}),  # over max_cost with this variable
            b'{"query": "' + NAMED.encode() + b'", "variables": ',  # not JSON
        ]
        for body in refused:
            assert known_answer(client, POSTED, body) is None, body
            response = client.post("/graphql", content=body, headers=dict(POSTED))
            assert "errors" in response.json(), body
        over = client.post("/graphql", content=posted(sized, {"n": 100}), headers=dict(POSTED))
        assert over.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
        # Other headers, or a token, are other requests.
        body = posted(NAMED, {"n": "Joe Locke"})
        assert known_answer(client, [(b"accept", b"application/json"), POSTED[1]], body) is None
        assert known_answer(client, [*POSTED, (b"authorization", b"Bearer x")], body) is None


MIXED = (
    "query Mixed($names: [String!], $first: Int, $contains: String) { actors(first: $first, "
    "where: {name: {in: $names, contains: $contains}}) { totalCount nodes { name } } }"
)
_ODD = st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=8)
_NAMES = st.lists(st.sampled_from(["Kit Connor", "joe locke", "Nobody"]), max_size=4)
_VALID = st.fixed_dictionaries(
    {},
    optional={
        "names": st.none() | _NAMES | st.sampled_from(["Kit Connor", ""]),
        "first": st.none() | st.integers(min_value=0, max_value=30),
        "contains": st.none() | st.sampled_from(["o", "KIT", "zz"]),
    },
)
_VARIABLES = st.fixed_dictionaries(
    {},
    optional={
        "names": st.none()
        | st.text(max_size=12)
        | st.lists(st.sampled_from(["Kit Connor", "joe locke", "Nobody"]) | _ODD, max_size=4),
        "first": st.none() | st.integers(min_value=-5, max_value=2**40) | _ODD,
        "contains": st.none() | st.sampled_from(["o", "KIT", "zz"]) | _ODD,
        "unused": _ODD,
    },
)


@pytest.fixture(scope="module")
def mixed_client(graph: ShowGraph) -> Iterator[TestClient]:
    """A server without a response cache that has seen ``MIXED`` twice: it knows it."""
    with TestClient(create_app(Settings(cache_bytes=0), graph=graph)) as client:
        for _ in range(2):
            client.post("/graphql", content=posted(MIXED, {}), headers=dict(POSTED))
        yield client


def test_new_variables_answer_as_the_full_path_does(mixed_client: TestClient) -> None:
    """The known-document lane against the full path, over generated variables; both
    answered and refused ones must come up."""
    lanes: list[bool] = []

    @settings(max_examples=60, deadline=None, database=None, derandomize=True)
    @given(variables=_VALID | _VARIABLES | st.lists(_ODD, max_size=2) | _ODD)
    def check(variables: Any) -> None:
        body = posted(MIXED, variables)
        lane = known_answer(mixed_client, POSTED, body)
        # If-None-Match sends a POST the full path, and changes nothing else of its answer.
        headers = {**dict(POSTED), "if-none-match": "x"}
        full = mixed_client.post("/graphql", content=body, headers=headers)
        lanes.append(lane is not None)
        if lane is None:
            assert "data" not in full.json(), full.json()  # refused before running
        else:
            assert (lane[0]["status"], lane[1]["body"]) == (full.status_code, full.content)

    check()
    assert lanes.count(True) >= 10, lanes
    assert lanes.count(False) >= 10, lanes
