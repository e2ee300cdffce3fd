"""Browser safety: no other origin by default, configured origins for CORS and WebSockets."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from graph_data import ShowGraph
from server.app import create_app
from server.cors import POLICY_VIOLATION, origin_allowed
from server.settings import Settings

QUERY = {"query": "{ actors { totalCount } }"}
FRIEND = "https://friend.example"
STRANGER = "https://evil.example"
PREFLIGHT = {
    "access-control-request-method": "POST",
    "access-control-request-headers": "content-type",
}


@pytest.fixture(scope="module")
def open_to_friend(graph: ShowGraph) -> TestClient:
    return TestClient(create_app(Settings(cors_origins=(FRIEND,), rate_limit=True), graph=graph))


def test_no_cross_origin_access_by_default(client: TestClient) -> None:
    response = client.post("/graphql", json=QUERY, headers={"origin": STRANGER})
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options("/graphql", headers={"origin": STRANGER, **PREFLIGHT})
    assert preflight.status_code >= 400
    assert "access-control-allow-origin" not in preflight.headers


def test_a_configured_origin_may_call(open_to_friend: TestClient) -> None:
    preflight = open_to_friend.options("/graphql", headers={"origin": FRIEND, **PREFLIGHT})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == FRIEND
    assert "POST" in preflight.headers["access-control-allow-methods"]

    response = open_to_friend.post("/graphql", json=QUERY, headers={"origin": FRIEND})
    assert response.headers["access-control-allow-origin"] == FRIEND
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-ratelimit-remaining" in exposed
    assert "retry-after" in exposed


def test_other_origins_stay_out(open_to_friend: TestClient) -> None:
    preflight = open_to_friend.options("/graphql", headers={"origin": STRANGER, **PREFLIGHT})
    assert preflight.status_code == 400
    response = open_to_friend.post("/graphql", json=QUERY, headers={"origin": STRANGER})
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (None, True),  # not a browser page
        ("http://testserver", True),  # the server's own pages
        (FRIEND, True),
        (STRANGER, False),
        ("null", False),  # sandboxed frames, file:// pages
        ("http://testserver.evil.example", False),
    ],
)
def test_websocket_origins_follow_the_same_rule(
    open_to_friend: TestClient, origin: str | None, allowed: bool
) -> None:
    headers = {"origin": origin} if origin else {}
    connecting = open_to_friend.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"], headers=headers
    )
    if allowed:
        with connecting as websocket:
            websocket.send_json({"type": "connection_init"})
            assert websocket.receive_json() == {"type": "connection_ack"}
            websocket.send_json(
                {"id": "1", "type": "subscribe", "payload": {"query": "{ graphVersion }"}}
            )
            assert websocket.receive_json()["payload"]["data"] == {"graphVersion": 0}
    else:
        with pytest.raises(WebSocketDisconnect) as refused, connecting:
            pass
        assert refused.value.code == POLICY_VIOLATION


def test_origin_allowed() -> None:
    assert origin_allowed("https://api.example:8443", "api.example:8443", ())
    assert origin_allowed("https://API.example", "api.example", ())
    assert not origin_allowed("https://api.example", "api.example:8443", ())
    assert origin_allowed("https://anything.example", "api.example", ("*",))
    assert not origin_allowed("https://a.example", None, ())
