"""The change hub: every listener gets each change; at most ``limit`` listen at once."""

from __future__ import annotations

import asyncio

import pytest
from starlette.testclient import TestClient

from graph_data import load_graph
from graph_data.changes import Change
from server.app import create_app
from server.hub import ChangeHub
from server.limits import LimitExceededError
from server.settings import Settings

WATCH = "subscription { graphChanged { graphVersion } }"


def test_every_listener_gets_each_change_and_one_over_the_limit_is_refused() -> None:
    async def scenario() -> None:
        hub = ChangeHub(limit=2)
        hub.bind(asyncio.get_running_loop())
        first, second = hub.listen(), hub.listen()
        waiting = [asyncio.ensure_future(anext(first)), asyncio.ensure_future(anext(second))]
        while len(hub._queues) < 2:  # both generators have started listening
            await asyncio.sleep(0)
        with pytest.raises(LimitExceededError, match="2 subscriptions open"):
            await anext(hub.listen())
        change = Change(1, "alice", ())
        hub.publish([change])
        assert await asyncio.gather(*waiting) == [change, change]
        await first.aclose()  # a place is free again
        third = hub.listen()
        waiting = [asyncio.ensure_future(anext(third))]
        while len(hub._queues) < 2:
            await asyncio.sleep(0)
        hub.publish([Change(2, "alice", ())])
        assert [c.version for c in await asyncio.gather(*waiting)] == [2]
        await second.aclose()
        await third.aclose()

    asyncio.run(scenario())


def test_a_subscription_over_the_limit_is_an_error_naming_the_setting() -> None:
    app = create_app(Settings().with_overrides(max_subscriptions=1), graph=load_graph())
    with (
        TestClient(app) as client,
        client.websocket_connect("/graphql", ["graphql-transport-ws"]) as socket,
    ):
        socket.send_json({"type": "connection_init"})
        assert socket.receive_json()["type"] == "connection_ack"
        socket.send_json({"id": "1", "type": "subscribe", "payload": {"query": WATCH}})
        assert app.state.writes.hub.wait_for_listeners(1, timeout=10)
        socket.send_json({"id": "2", "type": "subscribe", "payload": {"query": WATCH}})
        refused = socket.receive_json()
        while refused["type"] == "ping":
            refused = socket.receive_json()
    assert refused["id"] == "2", refused
    assert "payload" in refused, refused
    payload = refused["payload"]
    errors = payload if isinstance(payload, list) else payload["errors"]
    assert errors[0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert errors[0]["extensions"]["setting"] == "SHOWGRAPH_MAX_SUBSCRIPTIONS"
