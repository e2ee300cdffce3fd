"""History: every change the graph took, kept by the store, and reads as of a version.

Each store keeps the changes it applies (``graph_data.changes``), with the
undo, facts and links ``graph_data.diffs`` worked out when each was made:

- the journal store and the memory store in a SQLite file (``SqliteHistory``;
  the data directory's ``history.sqlite3``, a temporary file for memory);
- PostgreSQL in its append-only ``changes`` table (``graph_data.pgstore``).

A store adds a change to its history before applying it to the graph, so the
history never lacks a change the graph has; readers ask only for versions up
to the graph's (``upto``), so it never shows one the graph does not have yet.
History lives on disk, not in the graph: memory stays bounded however long it
grows. ``keep`` (the ``SHOWGRAPH_HISTORY_KEEP`` setting) bounds it to the
latest changes; 0 keeps everything.

A read as of version V (``as_of``) forks the current graph (copy on write,
``ShowGraph.fork``) and applies the undo of every change after V, newest
first. Changes made before histories kept undos (an older journal) cannot be
undone: ``floor`` is the oldest version a read may ask for.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from graph_data.changes import Change, apply_op
from graph_data.model import ShowGraph

# Past graphs kept for more reads as of the same version (paging asks again). A
# fork holds its own copy of the graph's three node-keyed dicts: about 12 MB at
# 100k nodes (sys.getsizeof), 120 MB at a million, plus what its undo changed.
AS_OF_CACHE = 2


class HistoryError(Exception):
    """A version outside the history, or another question it cannot answer; says which."""


@dataclass(frozen=True, slots=True)
class Filter:
    """Which changes a feed wants: touching one of ``keys`` and a node of one of ``kinds``."""

    keys: frozenset[str] | None = None
    kinds: frozenset[str] | None = None

    def wants(self, change: Change) -> bool:
        touched = dict(change.touched())
        if self.keys is not None and not self.keys.intersection(touched):
            return False
        return self.kinds is None or bool(self.kinds.intersection(touched.values()))


class History(Protocol):
    """The changes a store keeps; see the module docstring."""

    def add(self, changes: Sequence[Change]) -> None:
        """Keep these changes (those kept already are left as they are)."""

    def feed(self, since: int, upto: int, first: int, only: Filter) -> tuple[list[Change], int]:
        """Up to ``first`` changes after ``since`` up to ``upto``, oldest first; and how many."""

    def of_node(
        self, key: str, upto: int, before: int | None, first: int
    ) -> tuple[list[Change], int]:
        """The changes touching ``key`` below ``before``, newest first; and how many in all."""

    def between(self, low: int, high: int) -> list[Change]:
        """Every change after ``low`` up to ``high``, oldest first."""

    def floor(self, upto: int) -> int:
        """The oldest version the graph at ``upto`` can be read as of."""

    def prune(self, keep: int, upto: int) -> None:
        """Forget all but the latest ``keep`` changes up to ``upto`` (0: keep everything)."""

    def close(self) -> None: ...


class SqliteHistory:
    """History in a SQLite file: one row per change, plus the nodes and kinds it touched.

    SQLite (the standard library's) because the history is a growing,
    indexed, on-disk table shared by a data directory's worker processes:
    exactly what it is for. WAL mode, so readers never wait for a writer;
    ``synchronous=NORMAL``, so a change is one write, not an fsync: the
    journal is the store of record, every journal line is added again at
    start-up (``add`` ignores those kept), and ``checkpoint`` makes the
    history durable before the journal drops lines.
    """

    def __init__(self, path: Path | None = None) -> None:
        if path is None:  # the memory store's: removed with the process
            self._directory: tempfile.TemporaryDirectory[str] | None = tempfile.TemporaryDirectory(
                prefix="showgraph-history-"
            )
            path = Path(self._directory.name) / "history.sqlite3"
        else:
            self._directory = None
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._opening = threading.Lock()
        with self._connection() as db:
            db.executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection: one each, since a connection serves one thread at a time."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(
                self.path, timeout=60, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
            with self._opening:
                self._all.append(db)
        return db

    def add(self, changes: Sequence[Change]) -> None:
        if not changes:
            return
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT OR IGNORE INTO changes (version, body, undoable) VALUES (?, ?, ?)",
                [(c.version, c.to_json(), bool(c.undo)) for c in changes],
            )
            db.executemany(
                "INSERT OR IGNORE INTO touched (key, kind, version) VALUES (?, ?, ?)",
                [
                    (key, kind, c.version)
                    for c in changes
                    for key, kind in dict(c.touched()).items()
                ],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def feed(self, since: int, upto: int, first: int, only: Filter) -> tuple[list[Change], int]:
        where, parameters = _feed_where(since, upto, only)
        db = self._connection()
        rows = db.execute(
            f"SELECT body FROM changes WHERE {where} ORDER BY version LIMIT ?",
            [*parameters, first],
        ).fetchall()
        (total,) = db.execute(f"SELECT count(*) FROM changes WHERE {where}", parameters).fetchone()
        return _changes(rows), total

    def of_node(
        self, key: str, upto: int, before: int | None, first: int
    ) -> tuple[list[Change], int]:
        db = self._connection()
        below = upto + 1 if before is None else min(before, upto + 1)
        rows = db.execute(
            "SELECT body FROM changes WHERE version IN (SELECT version FROM touched "
            "WHERE key = ? AND version < ? ORDER BY version DESC LIMIT ?) ORDER BY version DESC",
            (key, below, first),
        ).fetchall()
        (total,) = db.execute(
            "SELECT count(*) FROM touched WHERE key = ? AND version <= ?", (key, upto)
        ).fetchone()
        return _changes(rows), total

    def between(self, low: int, high: int) -> list[Change]:
        rows = self._connection().execute(
            "SELECT body FROM changes WHERE version > ? AND version <= ? ORDER BY version",
            (low, high),
        )
        return _changes(rows)

    def floor(self, upto: int) -> int:
        db = self._connection()
        (oldest,) = db.execute("SELECT min(version) FROM changes").fetchone()
        (stuck,) = db.execute(
            "SELECT max(version) FROM changes WHERE NOT undoable AND version <= ?", (upto,)
        ).fetchone()
        lowest = upto if oldest is None else oldest - 1
        return max(lowest, stuck or 0)

    def prune(self, keep: int, upto: int) -> None:
        if keep <= 0:
            return
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        db.execute("DELETE FROM changes WHERE version <= ?", (upto - keep,))
        db.execute("DELETE FROM touched WHERE version <= ?", (upto - keep,))
        db.execute("COMMIT")

    def checkpoint(self) -> None:
        """Make every change added so far durable in the database file itself."""
        self._connection().execute("PRAGMA wal_checkpoint(FULL)")

    def close(self) -> None:
        with self._opening:
            for db in self._all:
                db.close()
            self._all.clear()
        self._local = threading.local()
        if self._directory is not None:
            self._directory.cleanup()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    version  INTEGER PRIMARY KEY,
    body     BLOB    NOT NULL,  -- the change's JSON (Change.to_json)
    undoable INTEGER NOT NULL   -- whether it carries its undo (changes made before did not)
);
CREATE TABLE IF NOT EXISTS touched (
    key     TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (key, version)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS touched_kind ON touched (kind, version);
CREATE INDEX IF NOT EXISTS touched_version ON touched (version);
"""


def _feed_where(since: int, upto: int, only: Filter) -> tuple[str, list[object]]:
    where = "version > ? AND version <= ?"
    parameters: list[object] = [since, upto]
    for column, wanted in (("key", only.keys), ("kind", only.kinds)):
        if wanted is not None:
            marks = ", ".join("?" * len(wanted))
            where += f" AND version IN (SELECT version FROM touched WHERE {column} IN ({marks}))"
            parameters.extend(sorted(wanted))
    return where, parameters


def _changes(rows: Iterable[tuple[bytes]]) -> list[Change]:
    return [Change.from_json(body) for (body,) in rows]


# --- reads as of a version ----------------------------------------------------------------


class PastGraphs:
    """Graphs as of past versions, made from the current graph and the history."""

    def __init__(self, history: History, size: int = AS_OF_CACHE) -> None:
        self.history = history
        self.size = size
        self._made: OrderedDict[int, ShowGraph] = OrderedDict()
        self._lock = threading.Lock()

    def as_of(self, model: ShowGraph, version: int) -> ShowGraph:
        """``model`` as it was at ``version``; the caller holds its read lock.

        A past version never changes (history is never rewritten), so the
        graphs made are kept for the next read as of the same version.
        """
        if version == model.version:
            return model
        if version > model.version:
            raise HistoryError(
                f"version {version} is newer than the graph (version {model.version})"
            )
        floor = self.history.floor(model.version)
        if version < floor:
            raise HistoryError(
                f"version {version} is outside the history kept: the oldest version it can "
                f"be read as of is {floor}"
            )
        with self._lock:
            found = self._made.get(version)
            if found is not None:
                self._made.move_to_end(version)
                return found
        past = undone(model, self.history.between(version, model.version))
        with self._lock:
            self._made[version] = past
            while len(self._made) > self.size:
                self._made.popitem(last=False)
        return past


def undone(model: ShowGraph, changes: Sequence[Change]) -> ShowGraph:
    """A fork of ``model`` with ``changes`` (its latest, oldest first) undone, newest first."""
    past = model.fork()
    for change in reversed(changes):
        for op in change.undo:
            apply_op(past, op)
        past.version = change.version - 1
    return past
