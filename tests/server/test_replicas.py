"""Several ``showgraph serve`` replicas on one PostgreSQL database, end to end.

Real server processes (``LiveServer``) on the throwaway cluster of
``tests/postgres.py``; the outage test really stops and restarts PostgreSQL.
Every wait polls against a generous deadline. The one timing assertion is the
"served by both within a second" promise, checked with a 1.5 s bound: the
extra half second absorbs a busy CI machine and the poll's own requests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from psycopg.conninfo import conninfo_to_dict

from graph_data import BUILTIN_DATASET
from graph_data.kinds import NodeKind
from graph_data.pgstore import PostgresStore
from tests.postgres import PostgresCluster
from tests.server.conftest import LiveServer
from tests.server.test_writes import (
    ACTORS,
    ALICE,
    BOB,
    CREATE,
    TOKENS,
    actor_names,
    feed_names,
    post,
)

WAIT = 30.0  # seconds: far beyond what any of these should take
PROMISE = 1.0  # a write is served by every replica within this...
SLACK = 0.5  # ...plus this, for a busy machine (see the module docstring)
BUILTIN_ACTORS = 6


def store_url(dsn: str) -> str:
    """A key=value DSN as the postgresql:// URL that ``--store`` takes."""
    parts = conninfo_to_dict(dsn)
    dbname = quote(str(parts.pop("dbname")), safe="")
    return f"postgresql:///{dbname}?{urlencode({k: str(v) for k, v in parts.items()})}"


@pytest.fixture
def replicas(pg_dsn: str) -> Iterator[Callable[[], LiveServer]]:
    """Start ``showgraph serve --store URL`` replicas on the test's database; all stopped after."""
    started: list[LiveServer] = []

    def start() -> LiveServer:
        server = LiveServer("--store", store_url(pg_dsn), env={"SHOWGRAPH_TOKENS": TOKENS})
        started.append(server)
        server.wait_ready()
        return server

    yield start
    for server in started:
        server.stop()


def create(client: httpx.Client, name: str, token: str = ALICE) -> httpx.Response:
    return post(client, CREATE, token, name=name)  # type: ignore[no-any-return]


def acknowledged(response: httpx.Response) -> bool:
    """A write the server answered as done (200, no user errors)."""
    return response.status_code == 200 and not response.json()["data"]["createActor"]["userErrors"]


def version(url: str) -> int:
    body = httpx.post(f"{url}/graphql", json={"query": "{ graphVersion }"}, timeout=10).json()
    return int(body["data"]["graphVersion"])


def wait_until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> float:
    """Poll ``condition`` until true; the seconds it took. Fails after ``timeout``."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, f"{what}: not after {timeout} s"
        time.sleep(0.02)
    return time.monotonic() - start


def replay(dsn: str) -> tuple[int, list[str]]:
    """The graph a fresh store builds from the database: version and actor names."""
    store = PostgresStore(dsn, BUILTIN_DATASET)
    model = store.open()
    try:
        with model.lock.reading():
            names = [node.data.name for node in model.nodes_of(NodeKind.ACTOR)]
            return model.version, names
    finally:
        store.close(model)


def ready(url: str) -> int:
    return httpx.get(f"{url}/readyz", timeout=10).status_code


def test_a_write_through_either_replica_is_served_by_both_within_a_second(
    pg_dsn: str, replicas: Callable[[], LiveServer]
) -> None:
    one, two = replicas(), replicas()
    with (
        httpx.Client(base_url=one.url, timeout=10) as a,
        httpx.Client(base_url=two.url, timeout=10) as b,
    ):
        for n, (writer, other) in enumerate([(a, two), (b, one), (a, two), (b, one)], start=1):
            name = f"Written {n}"
            assert acknowledged(create(writer, name))
            took = wait_until(
                lambda name=name, url=other.url: name in actor_names(url)[1],
                f"{name} on {other.url}",
            )
            assert took < PROMISE + SLACK, f"{name} took {took:.2f} s to reach the other replica"
    head, names = replay(pg_dsn)
    for server in (one, two):
        served_version, served = actor_names(server.url)
        assert (served_version, sorted(served)) == (head, sorted(names)) == (4, sorted(names))


def test_concurrent_writes_through_both_end_in_the_same_graph_as_a_replay(
    pg_dsn: str, replicas: Callable[[], LiveServer]
) -> None:
    servers = [replicas(), replicas()]
    done: list[str] = []
    failures: list[str] = []

    def writer(server: LiveServer, token: str, label: str) -> None:
        with httpx.Client(base_url=server.url, timeout=WAIT) as client:
            for n in range(15):
                name = f"Actor {label}-{n}"
                response = create(client, name, token)
                if acknowledged(response):
                    done.append(name)
                else:
                    failures.append(f"{name}: {response.status_code} {response.text}")

    threads = [
        threading.Thread(target=writer, args=(server, token, f"{i}{token[0]}"))
        for i, server in enumerate(servers)
        for token in (ALICE, BOB)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT * 4)
    assert not failures
    assert len(done) == 60

    head, names = replay(pg_dsn)
    assert head == 60
    for server in servers:
        wait_until(lambda s=server: version(s.url) == head, f"{server.url} at version {head}")
        served_version, served = actor_names(server.url)
        assert served_version == head
        assert sorted(served) == sorted(names)
    assert set(done) <= set(names)
    assert len(names) == BUILTIN_ACTORS + 60
    # One history: both replicas' feeds hold every change once, whoever made it.
    feeds = [feed_names(server.url) for server in servers]
    assert feeds[0] == feeds[1]
    assert [v for v, _ in feeds[0]] == list(range(1, head + 1))
    assert sorted(name for _, name in feeds[0]) == sorted(done)


def test_stopping_postgresql_keeps_reads_refuses_writes_and_both_replicas_recover(
    pg_dsn: str, postgres: PostgresCluster, replicas: Callable[[], LiveServer]
) -> None:
    servers = [replicas(), replicas()]
    acked: list[str] = []
    refused: list[int] = []
    unexpected: list[str] = []
    stop = threading.Event()

    def writer(server: LiveServer, label: str) -> None:
        """Writes until told to stop, before, during and after the outage."""
        with httpx.Client(base_url=server.url, timeout=WAIT) as client:
            n = 0
            while not stop.is_set():
                name = f"Actor {label}-{n}"
                n += 1
                response = create(client, name)
                if acknowledged(response):
                    acked.append(name)
                elif response.status_code == 503 and store_unavailable(response):
                    refused.append(1)
                    time.sleep(0.05)  # like a client backing off
                else:
                    unexpected.append(f"{name}: {response.status_code} {response.text}")

    threads = [threading.Thread(target=writer, args=(s, str(i))) for i, s in enumerate(servers)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(acked) >= 10, "ten writes acknowledged before the outage")
        postgres.stop("fast")
        try:
            for server in servers:
                wait_until(lambda s=server: ready(s.url) == 503, f"{server.url}/readyz 503")
                body = httpx.get(f"{server.url}/readyz", timeout=10).json()
                assert body["status"] == "store unavailable"
                # Reads answer from memory.
                response = httpx.post(f"{server.url}/graphql", json={"query": ACTORS}, timeout=10)
                assert response.status_code == 200
                assert "errors" not in response.json()
                # A write fails cleanly.
                with httpx.Client(base_url=server.url, timeout=WAIT) as client:
                    response = create(client, "Never Written")
                assert response.status_code == 503
                assert store_unavailable(response), response.text
                assert response.json()["data"] is None
        finally:
            if not postgres.running():
                postgres.start()

        # Both replicas come back by themselves: ready, and writes go through again.
        for server in servers:
            wait_until(lambda s=server: ready(s.url) == 200, f"{server.url}/readyz 200")
        already = len(acked)
        wait_until(lambda: len(acked) >= already + 10, "ten writes acknowledged after the outage")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=WAIT * 2)
    assert not unexpected, unexpected[:5]
    assert refused, "no write was refused during the outage"

    head, names = replay(pg_dsn)
    assert set(acked) <= set(names), "an acknowledged write was lost"
    assert "Never Written" not in names
    assert head == len(names) - BUILTIN_ACTORS  # every change one whole actor, no gaps
    for server in servers:
        wait_until(lambda s=server: version(s.url) == head, f"{server.url} at version {head}")
        assert sorted(actor_names(server.url)[1]) == sorted(names)


def store_unavailable(response: httpx.Response) -> bool:
    body: Any = response.json()
    return any(
        (error.get("extensions") or {}).get("code") == "STORE_UNAVAILABLE"
        for error in body.get("errors") or ()
    )
