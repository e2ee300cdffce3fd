"""Writes end to end: tokens, durability across kill -9, live events, several processes."""

from __future__ import annotations

import base64
import json
import random
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from websockets.sync.client import connect

from graph_data import load_graph
from graph_data.kinds import NodeKind
from server.app import create_app
from server.settings import Settings
from tests.server.conftest import LiveServer

ALICE = "alice-token-0123456789"
BOB = "bob-token-abcdefghijkl"
TOKENS = f"alice={ALICE},bob={BOB}"
ARTICLE = base64.b64encode(b"Source:article").decode()
CREATE = (
    "mutation($name: String!) { createActor(input: {fields: {name: $name}, "
    f'sources: ["{ARTICLE}"]}}) {{ node {{ id }} userErrors {{ message }} graphVersion }} }}'
)
ACTORS = "{ graphVersion actors(first: 100) { totalCount nodes { name } } }"


def app_client(tmp_path: Path) -> TestClient:
    settings = Settings(data_dir=tmp_path / "data", tokens=TOKENS)
    return TestClient(create_app(settings))


def post(client: Any, query: str, token: str | None = None, **variables: Any) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


@pytest.mark.parametrize("token", [None, "wrong-token-0123456789", f"{ALICE}x"])
def test_a_write_without_a_valid_token_is_401_and_changes_nothing(
    tmp_path: Path, token: str | None
) -> None:
    with app_client(tmp_path) as client:
        response = post(client, CREATE, token, name="Jenny Walser")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {
            "errors": [
                {
                    "message": "mutations need a valid bearer token "
                    "(Authorization: Bearer <token>)",
                    "extensions": {"code": "UNAUTHENTICATED"},
                }
            ]
        }
        assert post(client, ACTORS).json()["data"]["graphVersion"] == 0
    assert (tmp_path / "data" / "journal.jsonl").read_bytes() == b""


def test_a_write_with_a_token_is_recorded_under_its_name(tmp_path: Path) -> None:
    with app_client(tmp_path) as client:
        body = post(client, CREATE, BOB, name="Jenny Walser").json()
        assert body["data"]["createActor"]["graphVersion"] == 1
        assert post(client, ACTORS).json()["data"]["actors"]["totalCount"] == 7
        (line,) = (tmp_path / "data" / "journal.jsonl").read_bytes().splitlines()
    assert json.loads(line)["writer"] == "bob"
    assert ALICE.encode() not in line
    assert BOB.encode() not in line


def test_queries_stay_public(tmp_path: Path) -> None:
    with app_client(tmp_path) as client:
        assert post(client, ACTORS).json()["data"]["actors"]["totalCount"] == 6


def serve(data_dir: Path, *args: str) -> LiveServer:
    server = LiveServer("--data-dir", str(data_dir), *args, env={"SHOWGRAPH_TOKENS": TOKENS})
    server.wait_ready()
    return server


def create(url: str, name: str, token: str) -> Any:
    """Create an actor through the server at ``url``; the mutation's payload."""
    with httpx.Client(base_url=url, timeout=10) as client:
        return post(client, CREATE, token, name=name).json()["data"]["createActor"]


PAGE = """query($after: String) { graphVersion actors(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } nodes { name } } }"""


def actor_names(url: str) -> tuple[int, list[str]]:
    """The graph version and every actor's name, paging through them all."""
    names: list[str] = []
    after = None
    while True:
        body = httpx.post(
            f"{url}/graphql", json={"query": PAGE, "variables": {"after": after}}, timeout=10
        ).json()["data"]
        names += [n["name"] for n in body["actors"]["nodes"]]
        if not body["actors"]["pageInfo"]["hasNextPage"]:
            return body["graphVersion"], names
        after = body["actors"]["pageInfo"]["endCursor"]


FEED = """query($after: String) { changes(since: 0, first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } nodes { graphVersion fields { field new } } } }"""


def feed_names(url: str) -> list[tuple[int, str]]:
    """Every change of the feed as (version, the name it set), paging from the first."""
    changes: list[tuple[int, str]] = []
    after = None
    while True:
        body = httpx.post(
            f"{url}/graphql", json={"query": FEED, "variables": {"after": after}}, timeout=10
        ).json()["data"]["changes"]
        for change in body["nodes"]:
            (name,) = [f["new"] for f in change["fields"] if f["field"] == "name"]
            changes.append((change["graphVersion"], name))
        if not body["pageInfo"]["hasNextPage"]:
            return changes
        after = body["pageInfo"]["endCursor"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_acknowledged_writes_survive_kill_9(tmp_path: Path, seed: int) -> None:
    data_dir = tmp_path / "data"
    # Snapshots every few changes, so the kill may also land while one is written.
    server = serve(data_dir, "--snapshot-every", "7")
    acknowledged: list[str] = []
    progress = threading.Condition()
    stop = threading.Event()

    def writer(number: int) -> None:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            for n in range(10_000):
                if stop.is_set():
                    return
                name = f"Actor {number}-{n}"
                try:
                    response = post(client, CREATE, ALICE, name=name)
                except httpx.TransportError:
                    return
                if (
                    response.status_code == 200
                    and not response.json()["data"]["createActor"]["userErrors"]
                ):
                    with progress:
                        acknowledged.append(name)
                        progress.notify_all()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    # Kill once a seeded number of writes is acknowledged, while others are in flight.
    kill_after = random.Random(seed).randint(1, 60)
    with progress:
        assert progress.wait_for(lambda: len(acknowledged) >= kill_after, timeout=60)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert acknowledged, "no write was acknowledged before the kill"

    restarted = serve(data_dir)
    try:
        version, names = actor_names(restarted.url)
        assert set(acknowledged) <= set(names)
        # Nothing half-applied: every change made exactly one actor.
        assert version == len(names) - 6
        # The history has every change once, in order, snapshots or not.
        history = feed_names(restarted.url)
        assert [v for v, _ in history] == list(range(1, version + 1))
        built_in = {actor.data.name for actor in load_graph().nodes_of(NodeKind.ACTOR)}
        assert sorted(name for _, name in history) == sorted(set(names) - built_in)
    finally:
        restarted.stop()
    # A clean stop snapshots: the next start-up has no journal to replay.
    assert (data_dir / "journal.jsonl").read_bytes() == b""
    again = serve(data_dir)
    try:
        assert actor_names(again.url) == (version, names)  # replay and snapshot agree
    finally:
        again.stop()


def test_a_subscriber_receives_the_change_events_of_a_write(tmp_path: Path) -> None:
    server = serve(tmp_path / "data")
    try:
        ws_url = server.url.replace("http://", "ws://") + "/graphql"
        with connect(ws_url, subprotocols=["graphql-transport-ws"], open_timeout=10) as socket:
            socket.send(json.dumps({"type": "connection_init"}))
            assert json.loads(socket.recv(timeout=10))["type"] == "connection_ack"
            socket.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {
                            "query": "subscription { graphChanged(kinds: [ACTOR]) "
                            "{ graphVersion writer summary changed { kind } } }"
                        },
                    }
                )
            )
            # The protocol does not say when a subscription listens, so write until
            # an event arrives: it is the event of one of those writes.
            message: dict[str, Any] = {}
            for attempt in range(1, 50):
                create(server.url, f"Jenny Walser {attempt}", ALICE)
                try:
                    message = json.loads(socket.recv(timeout=0.5))
                except TimeoutError:
                    continue
                while message["type"] == "ping":
                    message = json.loads(socket.recv(timeout=10))
                break
        assert message["type"] == "next"
        event = message["payload"]["data"]["graphChanged"]
        assert 1 <= event.pop("graphVersion") <= attempt
        assert event == {
            "writer": None,  # who wrote it is shown only to readers with a token
            "summary": "create actor",
            "changed": [{"kind": "ACTOR"}],
        }
    finally:
        server.stop()


def wait_for(url: str, name: str) -> None:
    """Until ``url`` serves an actor called ``name`` (asked again at once, never a sleep)."""
    deadline = time.monotonic() + 30
    while name not in actor_names(url)[1]:
        assert time.monotonic() < deadline, f"{url} did not serve {name!r}"


def test_two_processes_on_one_data_dir_serve_each_others_writes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    one, two = serve(data_dir), serve(data_dir)
    try:
        create(one.url, "Written Through One", ALICE)
        wait_for(two.url, "Written Through One")
        create(two.url, "Written Through Two", BOB)
        wait_for(one.url, "Written Through Two")
        assert actor_names(one.url) == actor_names(two.url)
    finally:
        one.stop()
        two.stop()


def test_workers_of_one_server_all_serve_a_write(tmp_path: Path) -> None:
    server = serve(tmp_path / "data", "--workers", "2")
    try:
        assert create(server.url, "Seen By All", ALICE)["userErrors"] == []
        # Fresh connections land on either worker: until 20 in a row see the write.
        deadline, in_a_row = time.monotonic() + 30, 0
        while in_a_row < 20:
            assert time.monotonic() < deadline, "a worker never served the write"
            with httpx.Client(timeout=10) as client:
                body = client.post(f"{server.url}/graphql", json={"query": ACTORS}).json()
            seen = "Seen By All" in [n["name"] for n in body["data"]["actors"]["nodes"]]
            in_a_row = in_a_row + 1 if seen else 0
    finally:
        server.stop()
