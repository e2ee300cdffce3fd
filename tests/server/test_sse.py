"""GraphQL over Server-Sent Events (graphql-sse, distinct connections) through the pipeline.

Finite streams (queries, mutations, refusals) are read in-process; subscriptions
need a real socket, so they run against ``showgraph serve``, with httpx and
with the ``graphql-sse`` npm client (pinned by ``sse/package-lock.json``,
installed by ``scripts/test.sh``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import ExecutionResult
from starlette.testclient import TestClient

from graph_data import ShowGraph, load_graph
from server import executor
from server.app import create_app
from server.caching import sha256
from server.pipeline import GraphQLRequest, Transport
from server.settings import Settings
from server.sse import (
    COMPLETE,
    PING,
    EventStream,
    Subscription,
    _events,
    prepared_stream,
    wants_events,
)
from tests.server.conftest import LiveServer

TOKEN = "sse-token-0123456789abcdef"
EVENTS = {"accept": "text/event-stream"}
CREATE = (
    "mutation Create($title: String!) { createSource(input: {fields: "
    "{title: $title, kind: USER_EDIT}}) { graphVersion userErrors { message } } }"
)
WATCH = "subscription { graphChanged { graphVersion summary writer } }"
CLIENT_DIR = Path(__file__).with_name("sse")


def messages(text: str) -> list[tuple[str, Any]]:
    """The events of a stream as (event, data); comments are left out."""
    found = []
    for block in text.split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        if not lines:
            continue
        fields = dict(line.split(":", 1) for line in lines)
        data = fields["data"].strip()
        found.append((fields["event"].strip(), json.loads(data) if data else None))
    return found


@pytest.fixture
def writable() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(tokens=f"alice={TOKEN}"))) as client:
        yield client


def stream(client: TestClient, body: dict[str, Any], **headers: str) -> list[tuple[str, Any]]:
    response = client.post("/graphql", json=body, headers={**EVENTS, **headers})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-store"
    return messages(response.text)


def test_a_query_streams_one_result_then_complete(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "{ actors { totalCount } }"}, headers=EVENTS)
    assert response.text.startswith(":\n\n")  # the stream starts at once
    ((event, data), end) = messages(response.text)
    assert (event, data["data"]) == ("next", {"actors": {"totalCount": 6}})
    assert data["extensions"]["cost"]["requested"] == 2
    assert end == ("complete", None)
    assert response.text.endswith(COMPLETE.decode())


def test_a_query_over_get_streams_too(client: TestClient) -> None:
    response = client.get("/graphql", params={"query": "{ graphVersion }"}, headers=EVENTS)
    assert messages(response.text) == [
        ("next", {"data": {"graphVersion": 0}, "extensions": response_cost(response.text)}),
        ("complete", None),
    ]


def response_cost(text: str) -> Any:
    return messages(text)[0][1]["extensions"]


def test_refusals_are_errors_in_an_accepted_stream(client: TestClient) -> None:
    # The protocol: validation and the other checks before execution answer 200, in `next`.
    ((event, data), end) = stream(client, {"query": "{ nope }"})
    assert event == "next"
    assert "Cannot query field 'nope'" in data["errors"][0]["message"]
    assert end == ("complete", None)
    deep = "{ actors { nodes { " + "coStars { nodes { " * 6 + "name" + " } }" * 6 + " } } }"
    ((_, limited), _) = stream(client, {"query": deep})
    assert limited["errors"][0]["extensions"]["setting"] == "SHOWGRAPH_MAX_COST"


def test_mutations_need_the_token_as_over_http(writable: TestClient) -> None:
    variables = {"title": "over SSE"}
    ((_, refused), _) = stream(writable, {"query": CREATE, "variables": variables})
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert writable.app.state.graph.version == 0  # type: ignore[attr-defined]
    ((_, written), _) = stream(
        writable, {"query": CREATE, "variables": variables}, authorization=f"Bearer {TOKEN}"
    )
    assert written["data"]["createSource"] == {"graphVersion": 1, "userErrors": []}


def test_a_get_stream_runs_no_mutation(writable: TestClient) -> None:
    response = writable.get(
        "/graphql",
        params={"query": CREATE, "variables": json.dumps({"title": "x"})},
        headers={**EVENTS, "authorization": f"Bearer {TOKEN}"},
    )
    ((_, refused), _) = messages(response.text)
    assert refused["errors"][0]["message"] == "mutations are not allowed when using GET; use POST"
    assert writable.app.state.graph.version == 0  # type: ignore[attr-defined]


def test_persisted_queries_work_over_sse(client: TestClient) -> None:
    query = "{ characters { totalCount } }"
    apq = {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}
    ((_, missing), _) = stream(client, {"extensions": apq})
    assert missing["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    ((_, registered), _) = stream(client, {"query": query, "extensions": apq})
    ((_, by_hash), _) = stream(client, {"extensions": apq})
    assert by_hash["data"] == registered["data"] == {"characters": {"totalCount": 6}}


def test_unreadable_requests_get_http_errors(client: TestClient) -> None:
    bad = client.post(
        "/graphql", content=b"{not json", headers={**EVENTS, "content-type": "application/json"}
    )
    assert bad.status_code == 400
    assert "not valid JSON" in bad.json()["errors"][0]["message"]
    form = client.post(
        "/graphql", content=b"query=x", headers={**EVENTS, "content-type": "text/plain"}
    )
    assert form.status_code == 415


def test_rate_limits_apply_as_over_http(graph: ShowGraph) -> None:
    limited = Settings(rate_limit=True, rate_limit_burst=3, rate_limit_per_second=1e-6, max_cost=3)
    with TestClient(create_app(limited, graph=graph)) as client:
        answers = [
            client.post("/graphql", json={"query": "{ graphVersion }"}, headers=EVENTS)
            for _ in range(4)
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "x-ratelimit-remaining" in answers[0].headers
    assert answers[-1].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "retry-after" in answers[-1].headers


class BrokenGraph(ShowGraph):
    def co_stars(self, actor: str) -> list:  # type: ignore[type-arg]
        raise RuntimeError("secret detail at /srv/showgraph/model.py")


def test_unexpected_errors_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    broken = BrokenGraph(load_graph().graph)
    query = "{ actors(first: 1) { nodes { coStars { totalCount } } } }"
    with TestClient(create_app(graph=broken)) as client, caplog.at_level(logging.ERROR):
        response = client.post("/graphql", json={"query": query}, headers=EVENTS)
    ((_, data), _) = messages(response.text)
    assert data["errors"][0]["message"] == "Internal server error"
    assert "secret" not in response.text
    assert any(data["errors"][0]["extensions"]["errorId"] in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("accept", "events"),
    [
        ("text/event-stream", True),
        ("text/event-stream, application/json", True),
        ("application/json, text/event-stream", False),
        ("application/graphql-response+json", False),
        ("", False),
    ],
)
def test_the_first_of_events_or_json_in_accept_wins(accept: str, events: bool) -> None:
    assert wants_events(accept) is events


def test_json_clients_still_cannot_subscribe(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": WATCH})
    assert response.status_code == 400
    assert "text/event-stream" in response.json()["errors"][0]["message"]


# --- the stream of a subscription, without HTTP --------------------------------------------


class Source:
    """A subscription source that yields one result each time ``release`` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.closed = False

    def __aiter__(self) -> Source:
        return self

    async def __anext__(self) -> ExecutionResult:
        await self.release.wait()
        self.release.clear()
        return ExecutionResult({"n": 1})

    async def aclose(self) -> None:
        self.closed = True


def test_silence_is_filled_with_pings_and_the_source_is_closed() -> None:
    async def scenario() -> None:
        source = Source()
        stream: AsyncIterator[bytes] = _events(Subscription(source), ping_seconds=0.01)
        assert await anext(stream) == PING  # at once
        assert await anext(stream) == PING  # after 10 ms without a result
        source.release.set()
        assert await anext(stream) == b'event: next\ndata: {"data":{"n":1}}\n\n'
        await stream.aclose()  # what Starlette does when the client leaves
        assert source.closed

    asyncio.run(scenario())


# --- subscriptions on a real socket -----------------------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[LiveServer]:
    server = LiveServer(env={"SHOWGRAPH_TOKENS": f"alice={TOKEN}"})
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def test_a_subscription_streams_the_change_a_mutation_makes(served: LiveServer) -> None:
    url = f"{served.url}/graphql"
    with (
        httpx.Client(timeout=30) as http,
        http.stream("POST", url, json={"query": WATCH}, headers=EVENTS) as events,
    ):
        assert events.status_code == 200
        # The headers arrived: the subscription listens, so this change reaches it.
        written = http.post(
            url,
            json={"query": CREATE, "variables": {"title": "seen over SSE"}},
            headers={"authorization": f"Bearer {TOKEN}"},
        ).json()
        version = written["data"]["createSource"]["graphVersion"]
        text = ""
        for chunk in events.iter_text():
            text += chunk
            if "event: next" in text and text.endswith("\n\n"):
                break
    ((event, data),) = messages(text)
    assert event == "next"
    assert data["data"]["graphChanged"] == {
        "graphVersion": version,
        "summary": "create source",
        "writer": None,  # who wrote it is shown only to readers with a token
    }


def test_the_graphql_sse_client_queries_is_refused_and_subscribes(served: LiveServer) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("the graphql-sse client test needs Node.js (`node`) on PATH")
    if not (CLIENT_DIR / "node_modules" / "graphql-sse").is_dir():
        pytest.fail("graphql-sse is not installed: run `bash scripts/test.sh`, which installs it")
    result = subprocess.run(
        [node, str(CLIENT_DIR / "client.mjs"), f"{served.url}/graphql"],
        env={"SHOWGRAPH_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    steps = {line["step"]: line for line in map(json.loads, result.stdout.splitlines())}
    ((query,),) = [steps["query"]["results"]]
    assert query["data"]["actors"] == {"totalCount": 6}
    ((invalid,),) = [steps["invalid"]["results"]]
    assert "Cannot query field 'nope'" in invalid["errors"][0]["message"]
    ((refused,),) = [steps["unauthenticated"]["results"]]
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    subscription = steps["subscription"]
    ((wrote,),) = [subscription["wrote"]]
    version = wrote["data"]["createSource"]["graphVersion"]
    assert subscription["result"]["data"]["graphChanged"] == {
        "graphVersion": version,
        "summary": "create source",
        "writer": None,  # who wrote it is shown only to readers with a token
    }


def test_a_subscription_listens_before_its_stream_starts() -> None:
    app = create_app(Settings())
    pipeline = app.state.endpoint.pipeline
    hub = pipeline.writes.hub

    async def scenario() -> None:
        prepared = pipeline.prepare(GraphQLRequest(WATCH, None, None, None, Transport.SSE))
        response = await prepared_stream(pipeline, prepared)
        assert len(hub._queues) == 1  # before a byte is sent, a change would reach it
        assert isinstance(response, EventStream)
        assert response.subscription is not None
        await response.subscription.close()
        assert len(hub._queues) == 0

    asyncio.run(scenario())


def test_a_stream_outlives_the_execution_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The time limit is for producing each event, not for the stream (as over WebSocket)."""
    app = create_app(Settings(tokens=f"alice={TOKEN}"))
    pipeline = app.state.endpoint.pipeline
    writes = pipeline.writes

    async def scenario() -> None:
        writes.hub.bind(asyncio.get_running_loop())  # what the app's lifespan does
        watch = GraphQLRequest(WATCH, None, None, None, Transport.SSE)
        response = await prepared_stream(pipeline, pipeline.prepare(watch))
        messages_ = response.body_iterator
        assert await anext(messages_) == PING
        an_hour_on = executor.clock() + 3600  # far past the 10 s execution timeout
        monkeypatch.setattr(executor, "clock", lambda: an_hour_on)
        create = GraphQLRequest(CREATE, {"title": "late"}, None, None, Transport.SSE, "alice")
        written = await pipeline.execute(pipeline.prepare(create))
        assert written.errors is None, written.errors
        event = await anext(messages_)
        assert messages(event.decode()) == [
            (
                "next",
                {
                    "data": {
                        "graphChanged": {
                            "graphVersion": 1,
                            "summary": "create source",
                            "writer": None,  # who wrote it is shown only to readers with a token
                        }
                    }
                },
            )
        ]
        await messages_.aclose()  # type: ignore[attr-defined]

    asyncio.run(scenario())
