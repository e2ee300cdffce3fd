"""The PostgreSQL store, against a real server (tests/postgres.py starts one).

No mocks: two stores on one database stand for two replicas, and the outage
test really stops and restarts the server. Waits poll with generous timeouts;
nothing asserts a tight wall-clock figure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from graph_data import BUILTIN_DATASET
from graph_data.changes import Change, edges_to_json, node_to_json
from graph_data.edits import Edit, SourceRequest, create_node
from graph_data.history import Filter, PastGraphs
from graph_data.kinds import NodeKind
from graph_data.model import ShowGraph
from graph_data.pgstore import (
    PostgresStore,
    SchemaTooNewError,
    db_init,
    db_snapshot,
    known_migrations,
    migrate,
)
from graph_data.store import SNAPSHOT_FORMAT, StoreError, StoreUnavailableError
from tests.graph_data import graphs
from tests.graph_data.test_history import run_steps
from tests.postgres import PostgresCluster

WAIT = 10.0  # seconds: far beyond what any of these should take


def actor_change(model: ShowGraph, name: str, writer: str = "alice") -> Callable[[int], Change]:
    def make(version: int) -> Change:
        edit = Edit(model, writer, version)
        edit.cite(SourceRequest(keys=["source:article"]))
        create_node(edit, NodeKind.ACTOR, {"name": name})
        return Change(version, writer, tuple(edit.done()), f"create {name}")

    return make


def state(model: ShowGraph) -> tuple[object, ...]:
    nodes = sorted((node_to_json(model.require(k)) for k in model.graph.nodes), key=str)
    edges = sorted(edges_to_json(model), key=str)
    return model.version, nodes, edges


def write(store: PostgresStore, model: ShowGraph, name: str) -> Change:
    with model.lock.turn():
        change, _ = store.write(model, actor_change(model, name))
    assert change is not None
    return change


def follow(store: PostgresStore, model: ShowGraph, version: int) -> None:
    """What a server's follow loop does, until ``model`` reaches ``version``.

    It waits for the store's wake-up (PostgreSQL's notification), never sleeps.
    """
    woken = threading.Event()
    store.wake_on_change(woken.set)
    while model.version < version:
        if store.behind():
            store.catch_up(model)
            continue
        assert woken.wait(WAIT), f"still at {model.version}, waiting for {version}"
        woken.clear()


def rows(dsn: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query.encode()).fetchall()


@pytest.fixture
def stores(pg_dsn: str) -> Iterator[Callable[..., tuple[PostgresStore, ShowGraph]]]:
    """Open stores (replicas) on the test's database; all closed afterwards."""
    opened: list[tuple[PostgresStore, ShowGraph]] = []

    def open_store(**options: Any) -> tuple[PostgresStore, ShowGraph]:
        store = PostgresStore(pg_dsn, BUILTIN_DATASET, **options)
        opened.append((store, store.open()))
        return opened[-1]

    yield open_store
    for store, model in opened:
        store.close(model)


def test_first_start_loads_the_dataset_and_seeds_snapshot_0(
    pg_dsn: str, stores: Callable[..., tuple[PostgresStore, ShowGraph]]
) -> None:
    store, model = stores()
    assert (model.version, model.count(NodeKind.ACTOR)) == (0, 6)
    assert rows(pg_dsn, "SELECT version, format FROM snapshots") == [(0, SNAPSHOT_FORMAT)]
    assert rows(pg_dsn, "SELECT version, name FROM schema_migrations") == [
        (1, "initial"),
        (2, "client_mutation_ids"),
        (3, "history"),
    ]
    assert not store.behind()


def test_writes_are_rows_and_survive_a_restart(
    pg_dsn: str, stores: Callable[..., tuple[PostgresStore, ShowGraph]]
) -> None:
    store, model = stores()
    first = write(store, model, "Jenny Walser")
    write(store, model, "Bradley Riches")
    assert model.version == 2
    table = rows(pg_dsn, "SELECT version, writer, summary, sources FROM changes ORDER BY version")
    assert table == [
        (1, "alice", "create Jenny Walser", ["source:article"]),
        (2, "alice", "create Bradley Riches", ["source:article"]),
    ]
    assert first.sources == ["source:article"]
    _, again = stores()  # the first store was not closed: a replay
    assert state(again) == state(model)


def test_a_snapshot_every_n_changes_and_start_up_from_it(
    pg_dsn: str, stores: Callable[..., tuple[PostgresStore, ShowGraph]]
) -> None:
    store, model = stores(snapshot_every=2)
    for name in ("A One", "B Two", "C Three", "D Four", "E Five"):
        write(store, model, name)
        store.settle()  # snapshots are written by a child process while writes go on
    assert rows(pg_dsn, "SELECT version FROM snapshots ORDER BY version") == [(2,), (4,)]
    _, again = stores()
    assert state(again) == state(model)


def test_db_init_and_db_snapshot(
    pg_dsn: str, stores: Callable[..., tuple[PostgresStore, ShowGraph]]
) -> None:
    assert db_init(pg_dsn) == [1, 2, 3]
    assert db_init(pg_dsn) == []
    store, model = stores()
    write(store, model, "Jenny Walser")
    assert db_snapshot(pg_dsn, BUILTIN_DATASET) == 1
    assert rows(pg_dsn, "SELECT max(version) FROM snapshots") == [(1,)]
    _, again = stores()
    assert state(again) == state(model)


def test_another_replica_is_woken_by_a_write_and_applies_it(
    stores: Callable[..., tuple[PostgresStore, ShowGraph]],
) -> None:
    first, one = stores()
    second, two = stores()
    assert not second.behind()
    write(first, one, "Jenny Walser")
    follow(second, two, 1)
    assert state(two) == state(one)
    assert not second.behind()
    assert not first.behind()  # its own notification does not count
    write(second, two, "Bradley Riches")
    follow(first, one, 2)
    assert state(one) == state(two)


def test_a_write_first_applies_what_others_committed(
    stores: Callable[..., tuple[PostgresStore, ShowGraph]],
) -> None:
    first, one = stores()
    second, two = stores()
    write(first, one, "Jenny Walser")
    with two.lock.turn():
        change, others = second.write(two, actor_change(two, "Bradley Riches"))
    assert ([c.version for c in others], change and change.version) == ([1], 2)
    follow(first, one, 2)
    assert state(one) == state(two)


def test_concurrent_writers_agree_with_each_other_and_with_a_replay(
    pg_dsn: str, stores: Callable[..., tuple[PostgresStore, ShowGraph]]
) -> None:
    replicas = [stores(snapshot_every=7), stores(snapshot_every=7)]
    per_writer = 15
    errors: list[BaseException] = []

    def run(index: int) -> None:
        store, model = replicas[index]
        try:
            for n in range(per_writer):
                write(store, model, f"Writer{index} Actor{n}")
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    total = 2 * per_writer
    for store, model in replicas:
        follow(store, model, total)
    (_, one), (_, two) = replicas
    assert one.version == two.version == total
    assert state(one) == state(two)
    versions = [row[0] for row in rows(pg_dsn, "SELECT version FROM changes ORDER BY version")]
    assert versions == list(range(1, total + 1))  # gapless, no duplicates
    # A replay of the whole change table over the seed, ignoring the snapshots.
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM snapshots WHERE version > 0")
    _, replayed = stores()
    assert state(replayed) == state(one)


def test_a_rejected_or_failed_change_writes_nothing_and_leaves_no_gap(
    pg_dsn: str, stores: Callable[..., tuple[PostgresStore, ShowGraph]]
) -> None:
    store, model = stores()
    with model.lock.turn():
        assert store.write(model, lambda version: None) == (None, [])

    def broken(version: int) -> Change:
        raise RuntimeError("a bug while building the change")

    with model.lock.turn(), pytest.raises(RuntimeError, match="a bug"):
        store.write(model, broken)
    assert model.version == 0
    assert rows(pg_dsn, "SELECT count(*) FROM changes") == [(0,)]
    assert rows(pg_dsn, "SELECT version FROM graph_head") == [(0,)]
    assert write(store, model, "Jenny Walser").version == 1


def test_the_change_table_is_append_only(
    pg_dsn: str, stores: Callable[..., tuple[PostgresStore, ShowGraph]]
) -> None:
    store, model = stores()
    write(store, model, "Jenny Walser")
    for statement in ("UPDATE changes SET writer = 'mallory'", "DELETE FROM changes"):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            rows(pg_dsn, statement)


def test_migrations_run_once(pg_dsn: str) -> None:
    assert [m.version for m in known_migrations()] == [1, 2, 3]
    assert migrate(pg_dsn) == [1, 2, 3]
    before = rows(pg_dsn, "SELECT version, name, applied_at FROM schema_migrations")
    assert migrate(pg_dsn) == []
    assert rows(pg_dsn, "SELECT version, name, applied_at FROM schema_migrations") == before


def test_a_newer_schema_stops_start_up_naming_both_versions(pg_dsn: str) -> None:
    migrate(pg_dsn)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (42, 'future')")
    expected = r"schema is at version 42, but this showgraph knows migrations up to version 3"
    with pytest.raises(SchemaTooNewError, match=expected):
        migrate(pg_dsn)
    with pytest.raises(SchemaTooNewError, match=expected):
        PostgresStore(pg_dsn, BUILTIN_DATASET).open()


def test_an_unreachable_database_at_start_up_is_store_unavailable(tmp_path: Path) -> None:
    store = PostgresStore(f"host={tmp_path} port=1 dbname=none", BUILTIN_DATASET, timeout=1)
    with pytest.raises(StoreUnavailableError, match="store unavailable"):
        store.open()


def test_a_missed_notification_is_caught_up_after_the_listener_reconnects(
    pg_dsn: str, stores: Callable[..., tuple[PostgresStore, ShowGraph]]
) -> None:
    first, one = stores()
    second, two = stores()
    # A change committed without a notification: what a replica misses while
    # its listener is away. Only a reconnect can tell the replica about it.
    unheard = actor_change(two, "Jenny Walser")(1)
    ops = orjson.dumps([op.model_dump(mode="json") for op in unheard.ops]).decode()
    with psycopg.connect(pg_dsn) as conn:
        conn.execute(
            "INSERT INTO changes (version, writer, at, summary, ops)"
            " VALUES (1, %s, %s, %s, %s::jsonb)",
            (unheard.writer, unheard.at, unheard.summary, ops),
        )
        conn.execute("UPDATE graph_head SET version = 1")
    assert not first.behind()
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'showgraph-listen' AND datname = current_database()"
        )
    follow(first, one, 1)
    follow(second, two, 1)
    assert state(one) == state(two)
    assert one.require("actor:jenny-walser").data.name == "Jenny Walser"


def test_an_outage_keeps_reads_refuses_writes_and_recovers_by_itself(
    pg_dsn: str,
    postgres: PostgresCluster,
    stores: Callable[..., tuple[PostgresStore, ShowGraph]],
) -> None:
    first, one = stores()
    second, two = stores()
    acknowledged = write(first, one, "Jenny Walser")
    follow(second, two, 1)

    postgres.stop("fast")
    try:
        for model in (one, two):  # reads come from memory
            with model.lock.reading():
                assert model.require("actor:jenny-walser").data.name == "Jenny Walser"
                assert model.count(NodeKind.ACTOR) == 7
        with pytest.raises(StoreUnavailableError, match="nothing was written"):
            first.write(one, actor_change(one, "Never Written"))
        assert one.version == 1
        assert not first.behind()
        assert not second.behind()
        woken = threading.Event()  # the listener wakes its store once it listens again
        second.wake_on_change(woken.set)
    finally:
        postgres.start()

    # Writes work again by themselves: the listener reconnects and the pool with it.
    while not second.reachable():
        assert woken.wait(WAIT * 3), "the listener did not come back"
        woken.clear()
    after = write(second, two, "Bradley Riches")
    assert after.version == 2  # the refused write took no version
    follow(first, one, 2)  # the listener reconnected and caught up by itself
    assert state(one) == state(two)
    versions = rows(pg_dsn, "SELECT version, summary FROM changes ORDER BY version")
    assert versions == [(1, acknowledged.summary), (2, "create Bradley Riches")]
    with pytest.raises(StoreError, match="open"):
        PostgresStore(pg_dsn, BUILTIN_DATASET).write(one, actor_change(one, "X"))


def test_a_nul_in_a_name_is_the_same_user_error_as_on_the_journal_and_writes_nothing(
    pg_dsn: str, stores: Callable[..., tuple[PostgresStore, ShowGraph]]
) -> None:
    from schema import build_schema
    from schema.context import Context

    store, model = stores()
    query = """mutation($input: CreateActorInput!) { createActor(input: $input) {
      node { id } userErrors { field message } } }"""
    context = Context(graph=model, store=store, writer="alice", published=lambda changes: None)
    result = build_schema().execute_sync(
        query,
        variable_values={"input": {"fields": {"name": "Jenny\x00"}, "newSource": {"title": "A"}}},
        context_value=context,
    )
    assert result.errors is None, result.errors
    assert result.data == {
        "createActor": {
            "node": None,
            "userErrors": [
                {
                    "field": ["input", "fields", "name"],
                    "message": "contains a NUL character (\\u0000), which cannot be stored",
                }
            ],
        }
    }
    assert model.version == 0
    assert rows(pg_dsn, "SELECT count(*) FROM changes") == [(0,)]


def test_every_replica_knows_the_retry_keys_of_the_others(
    stores: Callable[..., tuple[PostgresStore, ShowGraph]],
) -> None:
    first, one = stores(snapshot_every=1)
    second, two = stores()

    def keyed(version: int) -> Change:
        made = actor_change(one, "Jenny Walser")(version)
        return replace(made, client_mutation_id="retry-me", result="actor:jenny-walser")

    first.write(one, keyed)
    first.settle()  # the snapshot at 1 carries the key too
    follow(second, two, 1)
    for model in (one, two, stores()[1]):  # a replica, and a fresh start from the snapshot
        attempt = model.requests.find("alice", "retry-me")
        assert attempt is not None
        assert (attempt.version, attempt.result) == (1, "actor:jenny-walser")
        assert model.requests.find("bob", "retry-me") is None


def test_replicas_share_one_history_and_read_the_same_past(
    stores: Callable[..., tuple[PostgresStore, ShowGraph]],
) -> None:
    first, one = stores()
    second, two = stores()
    states = run_steps(first, one)  # every change made through replica A
    applied = second.catch_up(two)  # what B applies, and tells its subscribers
    feed, total = second.history.feed(0, two.version, 100, Filter())
    assert total == len(states) - 1
    assert feed == first.history.between(0, one.version) == applied  # B's feed has A's
    assert [c.note for c in feed][:2] == ["step 0", "step 1"]
    for version, expected in enumerate(states):
        assert graphs.state(PastGraphs(second.history).as_of(two, version)) == expected
    page, count = second.history.of_node("actor:kit-connor", two.version, None, 10)
    assert ([c.version for c in page], count) == ([7, 2], 2)
