"""GraphQL over WebSocket: every operation goes through the request pipeline."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin, Subprotocol

from graph_data import ShowGraph
from server import executor
from server.app import create_app
from server.settings import Settings
from tests.server.conftest import LiveServer

TOKEN = "a-token-of-sixteen-or-more"
PROTOCOL = ["graphql-transport-ws"]
CREATE = (
    'mutation { createActor(input: {fields: {name: "Jenny Walser"}, '
    'newSource: {title: "Netflix cast announcement"}}) { node { id } userErrors { message } } }'
)


@contextmanager
def connect(client: TestClient, payload: dict[str, Any] | None = None) -> Iterator[Any]:
    """A socket past connection_init (with ``payload``) and its acknowledgement."""
    with client.websocket_connect("/graphql", subprotocols=PROTOCOL) as websocket:
        websocket.send_json({"type": "connection_init", "payload": payload or {}})
        assert websocket.receive_json()["type"] == "connection_ack"
        yield websocket


def run(websocket: Any, query: str, id_: str = "1") -> list[dict[str, Any]]:
    """Send one operation and collect its messages until it completes or fails."""
    websocket.send_json({"id": id_, "type": "subscribe", "payload": {"query": query}})
    messages = []
    while True:
        message = websocket.receive_json()
        messages.append(message)
        if message["type"] in ("complete", "error"):
            return messages


@pytest.fixture
def writable() -> Iterator[TestClient]:
    """An app over its own graph (so writes stay in this test), where alice may write."""
    with TestClient(create_app(Settings(tokens=f"alice={TOKEN}"))) as client:
        yield client


def graph_of(client: TestClient) -> ShowGraph:
    return client.app.state.graph  # type: ignore[attr-defined,no-any-return]


def test_a_query_answers_with_its_cost(writable: TestClient) -> None:
    with connect(writable) as websocket:
        first, last = run(websocket, "{ actors { totalCount } }")
    assert first["payload"]["data"] == {"actors": {"totalCount": 6}}
    assert first["payload"]["extensions"]["cost"]["requested"] == 2
    assert last == {"id": "1", "type": "complete"}


@pytest.mark.parametrize(
    "payload",
    [
        {"Authorization": f"Bearer {TOKEN}"},
        {"authorization": f"Bearer {TOKEN}"},
        {"headers": {"Authorization": f"Bearer {TOKEN}"}},
    ],
)
def test_a_mutation_with_the_token_in_connection_init_is_written(
    writable: TestClient, payload: dict[str, Any]
) -> None:
    with connect(writable, payload) as websocket:
        (answer, _) = run(websocket, CREATE)
    assert answer["payload"]["data"]["createActor"]["node"]["id"], answer
    assert graph_of(writable).node("actor:jenny-walser") is not None


@pytest.mark.parametrize("payload", [None, {"Authorization": "Bearer not-the-token"}])
def test_a_mutation_without_a_valid_token_is_refused(
    writable: TestClient, payload: dict[str, Any] | None
) -> None:
    with connect(writable, payload) as websocket:
        (refusal,) = run(websocket, CREATE)
    assert refusal["type"] == "error"
    (error,) = refusal["payload"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "connection_init" in error["message"]
    assert graph_of(writable).node("actor:jenny-walser") is None


def test_limits_apply_as_over_http(writable: TestClient) -> None:
    six_deep = "{ actors { nodes { " + "coStars { nodes { " * 6 + "name" + " } }" * 6 + " } } }"
    with connect(writable) as websocket:
        (refusal,) = run(websocket, six_deep)
    assert refusal["payload"][0]["extensions"]["setting"] == "SHOWGRAPH_MAX_COST"


def test_operations_are_charged_to_the_same_rate_limit(graph: ShowGraph) -> None:
    # Every request costs 1 on arrival; a burst of 3 lets three through, then refuses.
    limited = Settings(rate_limit=True, rate_limit_burst=3, rate_limit_per_second=1e-6, max_cost=3)
    with TestClient(create_app(limited, graph=graph)) as client, connect(client) as websocket:
        answers = [run(websocket, "{ graphVersion }", str(i))[0] for i in range(4)]
    assert [a["type"] for a in answers] == ["next", "next", "next", "error"]
    assert answers[-1]["payload"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_a_foreign_origin_is_refused(writable: TestClient) -> None:
    with (
        pytest.raises(WebSocketDisconnect),
        writable.websocket_connect(
            "/graphql", subprotocols=PROTOCOL, headers={"origin": "https://evil.example"}
        ) as websocket,
    ):
        websocket.receive_json()


FRIEND = "https://friend.example"


@pytest.fixture(scope="module")
def served_to_friend() -> Iterator[LiveServer]:
    """``showgraph serve --cors-origins FRIEND``: a real socket, as browsers reach it."""
    server = LiveServer("--cors-origins", FRIEND)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


async def first_answer(url: str, origin: str | None) -> dict[str, Any]:
    """Connect to the real /graphql socket (sending ``origin``) and run one query."""
    async with ws_connect(
        url,
        subprotocols=[Subprotocol("graphql-transport-ws")],
        origin=None if origin is None else Origin(origin),
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        query = {"query": "{ graphVersion }"}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": query}))
        return json.loads(await socket.recv())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "origin",
    [None, FRIEND, "http://127.0.0.1:{port}", "http://localhost:{port}"],
)
def test_the_real_socket_lets_in_cors_origins_and_its_own_pages(
    served_to_friend: LiveServer, origin: str | None
) -> None:
    url = served_to_friend.url.replace("http://", "ws://") + "/graphql"
    sent = None if origin is None else origin.format(port=served_to_friend.port)
    if sent is not None and "localhost" in sent:
        url = url.replace("127.0.0.1", "localhost")  # a page on that host, to that host
    answer = asyncio.run(first_answer(url, sent))
    assert answer["payload"]["data"] == {"graphVersion": 0}


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "http://127.0.0.1.evil.example", FRIEND + ":8443"]
)
def test_the_real_socket_refuses_foreign_origins_with_403(
    served_to_friend: LiveServer, origin: str
) -> None:
    url = served_to_friend.url.replace("http://", "ws://") + "/graphql"
    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(first_answer(url, origin))
    assert refused.value.response.status_code == 403


def test_a_subscription_outlives_the_execution_timeout(
    writable: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The time limit is for producing each event, not for the stream (issue 14)."""
    hub = writable.app.state.writes.hub  # type: ignore[attr-defined]
    with connect(writable, {"Authorization": f"Bearer {TOKEN}"}) as websocket:
        subscribe = {"query": "subscription { graphChanged { graphVersion summary } }"}
        websocket.send_json({"id": "s", "type": "subscribe", "payload": subscribe})
        assert hub.wait_for_listeners(1, timeout=10)
        an_hour_on = executor.clock() + 3600  # far past the 10 s execution timeout
        monkeypatch.setattr(executor, "clock", lambda: an_hour_on)
        websocket.send_json({"id": "m", "type": "subscribe", "payload": {"query": CREATE}})
        seen = {}
        while set(seen) != {"s", "m"}:
            message = websocket.receive_json()
            if message["type"] == "next":
                seen[message["id"]] = message["payload"]
    assert seen["s"] == {"data": {"graphChanged": {"graphVersion": 1, "summary": "create actor"}}}
