"""PostgreSQL as the store of record: a change table, snapshots, LISTEN/NOTIFY.

The same ``Store`` protocol as the journal store, for running several
replicas against one database. Tables (``graph_data/migrations/``)::

    graph_head   one row: the graph version; writers lock it to take turns
    changes      one row per accepted change (version, writer, at, summary,
                 ops as JSONB, cited sources), append-only
    snapshots    the whole graph at a version (the journal store's snapshot JSON)

**Writes.** One transaction per change: lock the head row
(``SELECT ... FOR UPDATE``), apply the changes other replicas committed since
our graph's version (they come back as ``others``), ask ``make_change`` for
head + 1 against that newest graph, insert the row, move the head,
``NOTIFY showgraph_changes, '<version>'`` and commit; only then is the change
applied in memory. Readers go on during all the round trips: the writer holds
only the writers' turn, and stops readers just while it applies the change.
The version comes from the database, so two replicas never hand out the same
one, a rejected or failed write leaves no gap, and nobody sees half a change.

**Following.** A background thread holds a dedicated connection that LISTENs;
a notification records the highest version announced, which makes
``behind()`` true without touching the database or a lock. The thread
reconnects with backoff; after any reconnect it marks the store behind, so the
next ``catch_up`` (a query for the versions after ours) picks up whatever was
committed while nobody was listening: a missed notification loses nothing.

**Start-up.** Migrations first (versioned files, under an advisory lock so
replicas starting together take turns; a schema newer than this code stops
start-up naming both versions). The first start seeds the database with the
dataset as snapshot 0, so every replica starts from the same graph even if
their dataset files differ; after that the database is the only truth. Then
LISTEN, then the newest snapshot plus the changes after it, read in one
repeatable-read transaction.

**When PostgreSQL goes away.** Reads never touch the database, so they go on
from memory. A write fails with ``StoreUnavailableError`` and writes nothing;
while the listener knows the database is unreachable it is refused at once,
without trying (readers never waited for writers anyway). The pool and the
listener reconnect by themselves, and the listener's reconnect makes the
store catch up.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from graph_data.changes import Change, apply
from graph_data.history import Filter
from graph_data.loader import DatasetPaths, load_dataset
from graph_data.model import ShowGraph
from graph_data.store import (
    DEFAULT_SNAPSHOT_EVERY,
    SNAPSHOT_FORMAT,
    BackgroundSnapshot,
    StoreError,
    StoreUnavailableError,
    model_from_snapshot_body,
    snapshot_body,
)

logger = logging.getLogger("showgraph.pgstore")

CHANNEL = "showgraph_changes"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# pg_advisory_xact_lock key for migrations: any constant that no other user of
# the database picks ("showgrap" in ASCII).
MIGRATION_LOCK_KEY = 0x73686F7767726170
DEFAULT_TIMEOUT = 2.0  # seconds a write waits for a connection before "store unavailable"
DOWN_TIMEOUT = 0.25  # the same while the listener knows the database is unreachable
LISTEN_POLL = 0.1  # seconds between the listener's looks at its stop flag (a local wait)
BACKOFF_FIRST, BACKOFF_MAX = 0.1, 1.0  # listener reconnect delays
KEEP_SNAPSHOTS = 2

_UNAVAILABLE = (psycopg.OperationalError, psycopg.InterfaceError)
# The changes after a version, each as the journal's JSON line, so that
# ``Change.from_json`` validates a row exactly as it validates a journal line.
# A whole change, what it did included, as ``Change.from_json`` reads it: what a
# replica applies and tells its subscribers is the history's record itself.
_CHANGE_JSON = (
    "(jsonb_build_object('version', version, 'writer', writer, 'at', at, 'summary', summary,"
    " 'ops', ops, 'clientMutationId', client_mutation_id, 'result', result, 'note', note)"
    " || coalesce(details, '{}'::jsonb))::text"
)
_CHANGES_AFTER = f"SELECT version, {_CHANGE_JSON} FROM changes WHERE version > %s ORDER BY version"
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class SchemaTooNewError(StoreError):
    """The database was migrated by a newer showgraph than this one."""


def is_postgres_dsn(setting: str) -> bool:
    """Whether a ``SHOWGRAPH_STORE`` value names PostgreSQL rather than a data directory."""
    return setting.startswith(("postgresql://", "postgres://"))


def describe(dsn: str) -> str:
    """Where a DSN points, for messages: host, port and database, never the password."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "an unparsable DSN"
    host = str(parts.get("host") or "localhost")
    port = str(parts.get("port") or 5432)
    return f"PostgreSQL {host}:{port}/{parts.get('dbname') or parts.get('user') or ''}"


# --- migrations ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: ``NNNN_name.sql`` in the migrations directory."""

    version: int
    name: str
    path: Path


def known_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in order; numbered 1, 2, 3... with none missing."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise StoreError(f"{path}: a migration is named NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path))
    if not found:
        raise StoreError(f"{directory}: no migration files (is the package installed whole?)")
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise StoreError(f"{migration.path}: expected migration {expected:04d} here")
    return found


def migrate(dsn: str) -> list[int]:
    """Bring the database's schema up to date; returns the versions applied (none: no-op)."""
    try:
        with psycopg.connect(dsn, autocommit=True, **_connect_options(DEFAULT_TIMEOUT)) as conn:
            return _migrate(conn)
    except _UNAVAILABLE as error:
        raise StoreUnavailableError(f"store unavailable: {describe(dsn)}: {error}") from None


def _migrate(conn: psycopg.Connection[Any], directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply the missing migrations in one transaction, one replica at a time.

    DDL is transactional in PostgreSQL, so a failing migration leaves the
    schema as it was; the advisory lock makes a second replica wait and then
    find nothing to do.
    """
    migrations = known_migrations(directory)
    newest = migrations[-1].version
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY,"
            " name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        current = max(applied, default=0)
        if current > newest:
            raise SchemaTooNewError(
                f"the database schema is at version {current}, but this showgraph knows "
                f"migrations up to version {newest} only; upgrade showgraph (a newer "
                "release migrated this database)"
            )
        done = []
        for migration in migrations:
            if migration.version in applied:
                continue
            if migration.version < current:
                raise StoreError(
                    f"the database has schema version {current} but not migration "
                    f"{migration.version:04d} ({migration.name}); it was not made by showgraph"
                )
            try:
                conn.execute(migration.path.read_bytes())  # no parameters: several statements
            except psycopg.Error as error:
                if isinstance(error, _UNAVAILABLE):
                    raise
                raise StoreError(f"{migration.path}: {_first_line(error)}") from None
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
            logger.info("applied migration %04d_%s", migration.version, migration.name)
            done.append(migration.version)
    return done


# --- functions for the command line ---------------------------------------------------------


def db_init(dsn: str) -> list[int]:
    """``showgraph db init``: create or upgrade the schema; the migration versions applied."""
    return migrate(dsn)


def db_snapshot(dsn: str, dataset: DatasetPaths) -> int:
    """``showgraph db snapshot``: store the current graph as a snapshot row; its version.

    Start-up then replays only the changes after it. ``dataset`` seeds an
    empty database, as the server would.
    """
    store = PostgresStore(dsn, dataset)
    model = store.open()
    try:
        with model.lock.reading():
            store.snapshot(model)
        return model.version
    finally:
        store.close(model)


# --- the store ------------------------------------------------------------------------------


class PostgresStore:
    """The store of record in PostgreSQL; see the module docstring."""

    def __init__(
        self,
        dsn: str,
        dataset: DatasetPaths,
        snapshot_every: int = DEFAULT_SNAPSHOT_EVERY,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        pool_size: int = 4,
        history_keep: int = 0,
    ) -> None:
        self.dsn = dsn
        self.history = PostgresHistory(self, history_keep)
        self.dataset = dataset
        self.snapshot_every = snapshot_every
        self.timeout = timeout
        self.pool_size = pool_size
        self.where = describe(dsn)
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self._listener: _Listener | None = None
        self._seen = 0  # the version of the graph this store keeps up to date
        self._wake: Callable[[], None] = lambda: None
        self._since_snapshot = 0  # changes this replica wrote since it last stored a snapshot
        self._background = BackgroundSnapshot(Path(tempfile.gettempdir()) / "showgraph-snapshot")

    # --- start-up -------------------------------------------------------------------------

    def open(self) -> ShowGraph:
        """Migrate, start listening, then load the newest snapshot (or the dataset) + changes."""
        if self._pool is not None:
            raise StoreError(f"{self.where}: the store is already open")
        pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            self.dsn,
            min_size=1,
            max_size=self.pool_size,
            kwargs={"autocommit": True, **_connect_options(self.timeout)},
            check=ConnectionPool.check_connection,  # a connection the outage broke is replaced
            timeout=self.timeout,
            name="showgraph",
            open=False,
        )
        try:
            pool.open(wait=True, timeout=self.timeout)
        except _UNAVAILABLE as error:
            pool.close()
            raise StoreUnavailableError(f"store unavailable: {self.where}: {error}") from None
        self._pool = pool
        try:
            with self._connection() as conn:
                _migrate(conn)
            # Listen before reading, so that nothing committed after the read goes unannounced.
            self._listener = _Listener(
                self.dsn, self.timeout, on_reconnect=self._refresh_pool, wake=lambda: self._wake()
            )
            self._listener.start()
            if not self._listener.listening.wait(self.timeout + 1):
                raise StoreUnavailableError(f"store unavailable: {self.where}: cannot LISTEN")
            with self._connection() as conn:
                seeded = self._seed(conn)
                model = self._load(conn, seeded)
        except BaseException:
            self._shut_down()
            raise
        self._seen = model.version
        logger.info("opened %s at version %d", self.where, model.version)
        return model

    def _seed(self, conn: psycopg.Connection[Any]) -> ShowGraph | None:
        """On the very first start, store the dataset as snapshot 0; that graph, or None.

        Done under the head lock, so that of two replicas starting at once on
        an empty database exactly one seeds it and the other loads that.
        """
        with conn.transaction():
            head = _one(conn.execute("SELECT version FROM graph_head FOR UPDATE"))
            if _one(conn.execute("SELECT EXISTS (SELECT 1 FROM snapshots)")):
                return None
            model = ShowGraph.from_dataset(load_dataset(self.dataset))
            if head:
                logger.warning(
                    "%s: %d changes but no snapshot; replaying them over %s",
                    self.where,
                    head,
                    self.dataset,
                )
                return model
            _insert_snapshot(conn, model.version, orjson.dumps(snapshot_body(model)))
            logger.info("%s: seeded with %s as snapshot 0", self.where, self.dataset)
            return model

    def _load(self, conn: psycopg.Connection[Any], base: ShowGraph | None) -> ShowGraph:
        """The newest snapshot (or ``base``) plus every change after it, as of one moment."""
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            model = base
            if model is None:
                row = conn.execute(
                    "SELECT version, body FROM snapshots ORDER BY version DESC LIMIT 1"
                ).fetchone()
                if row is None:
                    raise StoreError(f"{self.where}: the snapshots table is empty")
                try:
                    model = model_from_snapshot_body(orjson.loads(row[1]))
                except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                    raise StoreError(
                        f"{self.where}: cannot read the snapshot at version {row[0]}: {error}"
                    ) from None
            self._replay(conn, model, stream=True)
        return model

    # --- following other writers ------------------------------------------------------------

    def behind(self) -> bool:
        """Cheap, lock-free: has a newer version been announced, or a notification been missed?"""
        listener = self._listener
        if listener is None or not listener.connected:
            return False  # nothing to fetch from while the database is away
        return listener.resync or listener.notified > self._seen

    def wake_on_change(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` (from the listener's thread) as soon as another replica commits.

        So a follower catches up the moment PostgreSQL notifies instead of at
        its next look.
        """
        self._wake = wake

    def reachable(self) -> bool:
        """Cheap, lock-free: whether the listener holds a connection to the database.

        False from the moment the listener loses the database until it listens
        again; the server's readiness follows it (``behind()`` stays False
        meanwhile, so no catch-up would ever report the outage).
        """
        listener = self._listener
        return listener is not None and listener.connected

    def catch_up(self, model: ShowGraph) -> list[Change]:
        """Apply the changes committed after the graph's version (caller holds the write lock)."""
        listener = self._require_open()
        listener.resync = False  # before reading: a reconnect during the query asks again
        try:
            with model.lock.turn(), self._connection() as conn, conn.transaction():
                return self._replay(conn, model)
        except BaseException:
            listener.resync = True
            raise

    def _replay(
        self, conn: psycopg.Connection[Any], model: ShowGraph, *, stream: bool = False
    ) -> list[Change]:
        """Apply the changes after ``model.version``, in order and without gaps.

        ``stream`` reads through a server-side cursor, for a long replay at
        start-up; a write or catch-up reads a few rows in one round trip.
        """
        cursor = conn.cursor(name="showgraph_replay") if stream else conn.cursor()
        with cursor:
            cursor.execute(_CHANGES_AFTER, (model.version,))
            return self._apply_rows(model, cursor)

    def _apply_rows(self, model: ShowGraph, rows: Iterable[tuple[Any, ...]]) -> list[Change]:
        """Apply (version, change JSON) rows of ``_CHANGES_AFTER``, checking for gaps."""
        applied = []
        for version, text in rows:
            if version != model.version + 1:
                raise StoreError(
                    f"{self.where}: change {version} follows {model.version}; changes are missing"
                )
            try:
                change = Change.from_json(text)
            except ValueError as error:
                raise StoreError(f"{self.where}: change {version}: {error}") from None
            with model.lock.writing():
                apply(model, change)
            applied.append(change)
        self._seen = model.version
        return applied

    # --- writing -------------------------------------------------------------------------------

    def write(
        self, model: ShowGraph, make_change: Callable[[int], Change | None]
    ) -> tuple[Change | None, list[Change]]:
        """Commit and apply the change ``make_change`` builds for the database's next version.

        ``make_change`` runs inside the transaction, after the changes of
        others are applied, against the newest graph; it returns None to write
        nothing. Runs in the writers' turn (re-entered if the caller holds it),
        so readers go on during the round trips and the commit; only applying
        the committed change stops them. Raises ``StoreUnavailableError`` when
        the database cannot be reached.
        """
        listener = self._require_open()
        if not listener.connected:
            # Known to be away: answer at once. Trying would make every writer
            # queued behind this one wait its own timeout in turn.
            raise StoreUnavailableError(
                f"store unavailable: {self.where} cannot be reached (the connection was "
                f"lost {listener.outage()} ago); nothing was written"
            )
        with model.lock.turn():
            change, others = self._commit(model, make_change, listener)
            if change is None:
                return None, others
            with model.lock.writing():
                apply(model, change)
            self._seen = change.version
            self._since_snapshot += 1
            if self._since_snapshot >= self.snapshot_every and self._background.start(
                model, self._store_snapshot
            ):
                self._since_snapshot = 0
            return change, others

    def _commit(
        self, model: ShowGraph, make_change: Callable[[int], Change | None], listener: _Listener
    ) -> tuple[Change | None, list[Change]]:
        """The transaction of ``write``: lock the head, catch up, insert the change, commit."""
        pool = self._pool
        assert pool is not None
        others: list[Change] = []
        change: Change | None = None
        committing = False
        # Should the listener lose the database meanwhile, give up sooner.
        timeout = self.timeout if listener.connected else min(self.timeout, DOWN_TIMEOUT)
        try:
            # Pipelined: the lock and the read of what others committed meanwhile
            # go in one round trip, the row, head and notification in another.
            with pool.connection(timeout=timeout) as conn, conn.pipeline(), conn.transaction():
                locked = conn.execute("SELECT version FROM graph_head FOR UPDATE")
                newer = conn.execute(_CHANGES_AFTER, (model.version,))  # runs once locked
                head = _one(locked)
                if head < model.version:
                    raise StoreError(
                        f"{self.where}: the database is at version {head} but the graph in "
                        f"memory at {model.version}; was the database restored from a backup?"
                    )
                others = self._apply_rows(model, newer)
                if model.version != head:
                    raise StoreError(
                        f"{self.where}: the head says {head} but the changes end at {model.version}"
                    )
                change = make_change(head + 1)
                if change is None:
                    return None, others  # rejected: the transaction wrote nothing
                if change.version != head + 1:
                    raise StoreError(f"a change for version {head + 1} says {change.version}")
                _insert_change(conn, change)
                committing = True  # leaving the block commits
        except _UNAVAILABLE as error:
            if committing and change is not None:
                message = (
                    f"store unavailable: {self.where} went away while committing version "
                    f"{change.version} ({_first_line(error)}); if the commit went through, "
                    "the change is applied here once the database answers again"
                )
            else:
                message = (
                    f"store unavailable: {self.where} cannot be reached "
                    f"({_first_line(error)}); nothing was written"
                )
            raise StoreUnavailableError(
                message, applied=others, outcome_unknown=committing
            ) from None
        except psycopg.Error as error:
            raise StoreError(f"{self.where}: {_first_line(error)}") from None
        return change, others

    # --- snapshots -----------------------------------------------------------------------------

    def snapshot(self, model: ShowGraph) -> None:
        """Store the graph as a snapshot row (the caller holds at least its read lock)."""
        self._require_open()
        with self._connection() as conn, conn.transaction():
            _insert_snapshot(conn, model.version, orjson.dumps(snapshot_body(model)))

    def settle(self) -> None:
        """Until the snapshot being written in the background (if any) is stored."""
        self._background.wait()

    def _store_snapshot(self, version: int, written: Path) -> None:
        """A periodic snapshot a child process wrote to ``written``, stored as a row.

        The change is committed already, so a failure only warns.
        """
        try:
            body = written.read_bytes()
            with self._connection() as conn, conn.transaction():
                _insert_snapshot(conn, version, body)
        except StoreError as error:
            logger.warning("snapshot at version %d not stored: %s", version, error)
        finally:
            written.unlink(missing_ok=True)

    # --- shutting down ---------------------------------------------------------------------------

    def close(self, model: ShowGraph) -> None:
        """Stop listening and close the connections.

        No snapshot here, unlike the journal store: with several replicas
        each would store the same graph; every ``snapshot_every`` changes and
        ``showgraph db snapshot`` are enough.
        """
        self.settle()
        self._shut_down()

    def _shut_down(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # --- helpers ---------------------------------------------------------------------------------

    def _require_open(self) -> _Listener:
        if self._listener is None or self._pool is None:
            raise StoreError(f"{self.where}: open() the store first")
        return self._listener

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection; an unreachable database becomes ``StoreUnavailableError``."""
        assert self._pool is not None
        try:
            with self._pool.connection() as conn:
                yield conn
        except _UNAVAILABLE as error:
            raise StoreUnavailableError(
                f"store unavailable: {self.where}: {_first_line(error)}"
            ) from None
        except psycopg.Error as error:  # say which database; the rest is the server's own words
            raise StoreError(f"{self.where}: {_first_line(error)}") from None

    def _refresh_pool(self) -> None:
        """After an outage: swap out pooled connections it broke before a write meets them."""
        pool = self._pool
        if pool is not None:
            try:
                pool.check()
            except Exception:  # only an optimisation; a write checks its connection anyway
                logger.debug("pool check failed", exc_info=True)


# --- history ------------------------------------------------------------------------------------


class PostgresHistory:
    """The history of a PostgreSQL store: its ``changes`` table (``graph_data.history``).

    Every replica writes its changes there in the transaction that commits
    them, so all replicas read one history. The table is append-only, the
    log of record, so ``prune`` keeps it whole; ``keep`` narrows only how far
    back reads as of a version go.
    """

    def __init__(self, store: PostgresStore, keep: int = 0) -> None:
        self.store = store
        self.keep = keep

    def add(self, changes: Sequence[Change]) -> None:
        return None  # written with the change itself (_insert_change)

    def feed(self, since: int, upto: int, first: int, only: Filter) -> tuple[list[Change], int]:
        where = "version > %s AND version <= %s"
        parameters: list[Any] = [since, upto]
        if only.keys is not None:
            where += " AND touched && %s"
            parameters.append(sorted(only.keys))
        if only.kinds is not None:
            where += " AND kinds && %s"
            parameters.append(sorted(only.kinds))
        with self.store._connection() as conn:
            rows = conn.execute(
                f"SELECT {_CHANGE_JSON} FROM changes WHERE {where} ORDER BY version LIMIT %s",
                [*parameters, first],
            ).fetchall()
            total = _one(conn.execute(f"SELECT count(*) FROM changes WHERE {where}", parameters))
        return self._changes(rows), total

    def of_node(
        self, key: str, upto: int, before: int | None, first: int
    ) -> tuple[list[Change], int]:
        below = upto + 1 if before is None else min(before, upto + 1)
        with self.store._connection() as conn:
            rows = conn.execute(
                f"SELECT {_CHANGE_JSON} FROM changes WHERE touched @> ARRAY[%s]"
                " AND version < %s ORDER BY version DESC LIMIT %s",
                (key, below, first),
            ).fetchall()
            total = _one(
                conn.execute(
                    "SELECT count(*) FROM changes WHERE touched @> ARRAY[%s] AND version <= %s",
                    (key, upto),
                )
            )
        return self._changes(rows), total

    def between(self, low: int, high: int) -> list[Change]:
        with self.store._connection() as conn:
            rows = conn.execute(
                f"SELECT {_CHANGE_JSON} FROM changes WHERE version > %s AND version <= %s"
                " ORDER BY version",
                (low, high),
            ).fetchall()
        return self._changes(rows)

    def floor(self, upto: int) -> int:
        with self.store._connection() as conn:
            stuck = _one(
                conn.execute(
                    "SELECT coalesce(max(version), 0) FROM changes"
                    " WHERE details IS NULL AND version <= %s",
                    (upto,),
                )
            )
        return max(int(stuck), upto - self.keep if self.keep else 0)

    def prune(self, keep: int, upto: int) -> None:
        return None  # see the class docstring

    def close(self) -> None:
        return None  # the store's connections are the store's

    def _changes(self, rows: Iterable[tuple[Any, ...]]) -> list[Change]:
        try:
            return [Change.from_json(text) for (text,) in rows]
        except ValueError as error:
            raise StoreError(f"{self.store.where}: a change in the history: {error}") from None


# --- rows ---------------------------------------------------------------------------------------


def _insert_change(conn: psycopg.Connection[Any], change: Change) -> None:
    """The change row, the new head and the notification, in the caller's transaction."""
    line = change.to_dict()
    details = {name: line[name] for name in ("undo", "fields", "edges") if name in line}
    touched = dict(change.touched())
    conn.execute(
        "INSERT INTO changes (version, writer, at, summary, ops, sources, client_mutation_id,"
        " result, note, details, touched, kinds)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            change.version,
            change.writer,
            change.at,
            change.summary,
            Jsonb(line["ops"], dumps=orjson.dumps),
            change.sources,
            change.client_mutation_id,
            None if change.client_mutation_id is None else Jsonb(change.result, orjson.dumps),
            change.note,
            Jsonb(details, dumps=orjson.dumps) if details else None,
            list(touched),
            sorted(set(touched.values())),
        ),
    )
    conn.execute("UPDATE graph_head SET version = %s", (change.version,))
    # Delivered at commit, and only if it commits.
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(change.version)))


def _insert_snapshot(conn: psycopg.Connection[Any], version: int, body: bytes) -> None:
    """A snapshot row (``body``: the snapshot's JSON), keeping the newest ``KEEP_SNAPSHOTS``."""
    conn.execute(
        "INSERT INTO snapshots (version, format, body) VALUES (%s, %s, %s)"
        " ON CONFLICT (version) DO NOTHING",
        (version, SNAPSHOT_FORMAT, body),
    )
    conn.execute(
        "DELETE FROM snapshots WHERE version <"
        " (SELECT version FROM snapshots ORDER BY version DESC OFFSET %s LIMIT 1)",
        (KEEP_SNAPSHOTS - 1,),
    )


def _one(cursor: psycopg.Cursor[Any]) -> Any:
    row = cursor.fetchone()
    assert row is not None
    return row[0]


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _connect_options(timeout: float) -> dict[str, Any]:
    """libpq options: give up connecting in about ``timeout``; notice a dead peer over TCP."""
    return {
        "connect_timeout": max(2, round(timeout)),  # libpq's minimum is 2 seconds
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "application_name": "showgraph",
    }


# --- the listener -------------------------------------------------------------------------------


class _Listener:
    """LISTENs on a connection of its own in a daemon thread, reconnecting with backoff.

    The store reads its fields without a lock: each is one attribute,
    written by one thread, and a stale read only delays a catch-up by one look.
    """

    def __init__(
        self,
        dsn: str,
        timeout: float,
        on_reconnect: Callable[[], None],
        wake: Callable[[], None],
    ) -> None:
        self.dsn = dsn
        self.timeout = timeout
        self.on_reconnect = on_reconnect
        self.wake = wake  # told of every newer version announced, and of a reconnect
        self.notified = 0  # the highest version announced
        self.resync = False  # a notification may have been missed: catch up with a query
        self.connected = False
        self.down_since: datetime | None = None
        self.listening = threading.Event()  # set once the first LISTEN is in place
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="showgraph-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=LISTEN_POLL + self.timeout + 1)

    def _run(self) -> None:
        delay = BACKOFF_FIRST
        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as error:
                self._lost(error)
            except Exception:  # never let the thread die: the store would stop following
                logger.exception("listener failed; reconnecting")
                self._lost(None)
            if self._stop.wait(delay):
                return
            delay = BACKOFF_FIRST if self.connected else min(delay * 2, BACKOFF_MAX)

    def _listen(self) -> None:
        options = {**_connect_options(self.timeout), "application_name": "showgraph-listen"}
        with psycopg.connect(self.dsn, autocommit=True, **options) as conn:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
            again = self.listening.is_set()
            if again:
                # Whatever was committed while we were away was announced to nobody.
                self.resync = True
                logger.warning("listening again after %s", self.outage())
                self.on_reconnect()
            self.connected = True
            self.down_since = None
            self.listening.set()
            if again:
                self.wake()  # catch up now with what nobody announced
            while not self._stop.is_set():
                for notification in conn.notifies(timeout=LISTEN_POLL):
                    self._note(notification.payload)
        self.connected = False

    def _note(self, payload: str) -> None:
        try:
            version = int(payload)
        except ValueError:
            logger.warning("ignored a notification that is not a version: %r", payload)
            return
        if version > self.notified:
            self.notified = version
            self.wake()

    def _lost(self, error: BaseException | None) -> None:
        if self.connected or self.down_since is None:
            logger.warning("lost the database connection: %s", error and _first_line(error))
            self.down_since = datetime.now(UTC)
        self.connected = False

    def outage(self) -> str:
        if self.down_since is None:
            return "a moment"
        return f"{(datetime.now(UTC) - self.down_since).total_seconds():.1f} s"


__all__ = [
    "CHANNEL",
    "Migration",
    "PostgresStore",
    "SchemaTooNewError",
    "db_init",
    "db_snapshot",
    "describe",
    "is_postgres_dsn",
    "known_migrations",
    "migrate",
]
