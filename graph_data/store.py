"""Durable writes: a journal of changes plus snapshots, in one data directory.

Layout of the data directory::

    snapshot.json   the whole graph at some version (written atomically)
    journal.jsonl   one change per line, every change after the snapshot
    write.lock      held (flock) by whichever process is writing

Start-up loads the snapshot (or, the first time, the dataset file, which is
never modified) and replays the journal. A write, in any worker process,
takes the file lock, first applies changes other workers appended (so it
validates against the newest graph), then appends its own line and fsyncs it
before anyone is told it succeeded. Every ``snapshot_every`` changes, and on a
clean shutdown, the graph is written to a temporary file, fsynced and renamed
over the snapshot; the journal then restarts empty.

A last line cut short by a crash is dropped with a warning; a bad line
anywhere else stops start-up with an error naming the file and the line,
because silently skipping it would lose an acknowledged write.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Protocol

import orjson

from graph_data.changes import (
    Change,
    PutEdge,
    apply,
    apply_op,
    edges_to_json,
    node_from_json,
    node_to_json,
)
from graph_data.kinds import Relation
from graph_data.loader import load_dataset
from graph_data.model import ShowGraph

logger = logging.getLogger("showgraph.store")

SNAPSHOT_FORMAT = "showgraph-snapshot/1"
DEFAULT_SNAPSHOT_EVERY = 1000


class StoreError(Exception):
    """The store of record cannot be read back safely; the message says where."""


class StoreUnavailableError(StoreError):
    """The store of record cannot be reached right now, and nothing was written.

    Raised by a write (or a catch-up) while the database behind the store is
    away; the graph in memory is untouched and keeps serving reads. Callers
    answer "store unavailable" and may retry later: the store reconnects by
    itself. ``applied`` holds changes of other writers that were applied to
    the graph before the store went away, so the caller can still publish them.
    """

    def __init__(self, message: str, applied: Sequence[Change] = ()) -> None:
        super().__init__(message)
        self.applied = list(applied)


class JournalStore:
    """The embedded store of record: snapshot + journal in ``data_dir``."""

    def __init__(
        self, data_dir: Path, dataset: Path, snapshot_every: int = DEFAULT_SNAPSHOT_EVERY
    ) -> None:
        self.data_dir = data_dir
        self.dataset = dataset
        self.snapshot_every = snapshot_every
        self.snapshot_path = data_dir / "snapshot.json"
        self.journal_path = data_dir / "journal.jsonl"
        self.lock_path = data_dir / "write.lock"
        self._journal: IO[bytes] | None = None  # open for reading what others append
        self._line = 0
        self._since_snapshot = 0

    # --- start-up ---------------------------------------------------------------

    def open(self) -> ShowGraph:
        """The graph as of the last acknowledged write: snapshot (or dataset) + journal."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._file_lock():
            model = self._load_base()
            self._journal = self._open_journal()
            self._replay(model)
        return model

    def _load_base(self) -> ShowGraph:
        if not self.snapshot_path.exists():
            return ShowGraph.from_dataset(load_dataset(self.dataset))
        return read_snapshot(self.snapshot_path)

    def _open_journal(self) -> IO[bytes]:
        self.journal_path.touch(exist_ok=True)
        self._line = 0  # lines consumed, for error messages
        return self.journal_path.open("rb")

    # --- following other writers ----------------------------------------------------

    def behind(self) -> bool:
        """Cheap check, without locks: has the journal grown or been replaced since we read it?"""
        if self._journal is None:
            return False
        try:
            status = os.stat(self.journal_path)
        except FileNotFoundError:
            return False
        mine = os.fstat(self._journal.fileno())
        return status.st_ino != mine.st_ino or status.st_size > self._journal.tell()

    def catch_up(self, model: ShowGraph) -> list[Change]:
        """Apply changes other processes appended since we last looked; cheap when none.

        The caller holds the graph's write lock.
        """
        with self._file_lock():
            return self._replay(model)

    def _replay(self, model: ShowGraph) -> list[Change]:
        assert self._journal is not None, "open() first"
        applied = self._read_lines(model, self._journal)
        if self._rotated():  # a snapshot was taken: the old file is complete, go on in the new
            self._journal.close()
            self._journal = self._open_journal()
            applied += self._read_lines(model, self._journal)
        return applied

    def _rotated(self) -> bool:
        assert self._journal is not None
        try:
            return os.stat(self.journal_path).st_ino != os.fstat(self._journal.fileno()).st_ino
        except FileNotFoundError:
            return False

    def _read_lines(self, model: ShowGraph, journal: IO[bytes]) -> list[Change]:
        """Apply the complete lines after the current position (we hold the file lock)."""
        applied = []
        for start, line, complete in _lines(journal):
            self._line += 1
            try:
                change = Change.from_json(line) if complete else None
            except ValueError as error:
                if not _at_end(journal):
                    raise StoreError(f"{self.journal_path}: line {self._line}: {error}") from None
                change = None
            if change is None:
                # Under the file lock nobody is mid-append: this is a crashed writer's
                # torn last line, whose write was never acknowledged.
                logger.warning(
                    "%s: line %d is incomplete (a crash mid-write); dropped",
                    self.journal_path,
                    self._line,
                )
                self._line -= 1
                self._truncate(start)
                journal.seek(start)
                break
            if change.version <= model.version:
                continue  # already in the snapshot (a crash between snapshot and rotation)
            if change.version != model.version + 1:
                raise StoreError(
                    f"{self.journal_path}: line {self._line}: version {change.version} follows "
                    f"{model.version}; changes are missing"
                )
            apply(model, change)
            self._since_snapshot += 1
            applied.append(change)
        return applied

    def _truncate(self, size: int) -> None:
        """Cut the journal back to its last complete line, so the next append starts clean."""
        with self.journal_path.open("r+b") as writable:
            writable.truncate(size)
            os.fsync(writable.fileno())

    # --- writing ------------------------------------------------------------------------

    def write(
        self, model: ShowGraph, make_change: Callable[[int], Change | None]
    ) -> tuple[Change | None, list[Change]]:
        """Append and apply the change ``make_change`` builds for the next version.

        ``make_change`` runs after catching up, against the newest graph; it
        returns None to write nothing (the request was invalid). Returns the
        change written (or None) and the changes of others applied first. The
        caller holds the graph's write lock.
        """
        with self._file_lock():
            others = self._replay(model)
            change = make_change(model.version + 1)
            if change is None:
                return None, others
            line = change.to_json() + b"\n"
            with self.journal_path.open("ab") as journal:
                journal.write(line)
                journal.flush()
                os.fsync(journal.fileno())
            assert self._journal is not None
            self._journal.seek(0, os.SEEK_END)  # our own line: applied below, not replayed
            self._line += 1
            apply(model, change)
            self._since_snapshot += 1
            if self._since_snapshot >= self.snapshot_every:
                self._snapshot(model)
            return change, others

    def close(self, model: ShowGraph) -> None:
        """Clean shutdown: snapshot so the next start-up has no journal to replay."""
        with self._file_lock():
            self._replay(model)
            if self._since_snapshot:
                self._snapshot(model)
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def _snapshot(self, model: ShowGraph) -> None:
        """Write the snapshot atomically, then start an empty journal (under the file lock)."""
        write_snapshot(model, self.snapshot_path)
        empty = self.journal_path.with_suffix(".jsonl.tmp")
        with empty.open("wb") as fresh:
            os.fsync(fresh.fileno())
        os.replace(empty, self.journal_path)
        _fsync_dir(self.data_dir)
        assert self._journal is not None
        self._journal.close()
        self._journal = self._open_journal()
        self._since_snapshot = 0

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Exclusive across processes: one writer (or reader of a half-written tail) at a time."""
        with self.lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


# --- snapshots ----------------------------------------------------------------------------


def snapshot_body(model: ShowGraph) -> dict[str, Any]:
    """The whole graph as plain JSON: what a snapshot holds, in a file or a database row."""
    return {
        "format": SNAPSHOT_FORMAT,
        "version": model.version,
        "nodes": [node_to_json(model.require(key)) for key in model.graph.nodes],
        "edges": list(edges_to_json(model)),
    }


def model_from_snapshot_body(body: Mapping[str, Any]) -> ShowGraph:
    """The graph a snapshot body holds (the inverse of ``snapshot_body``).

    Raises ValueError, KeyError or TypeError when the body is not a snapshot;
    the caller knows where it came from and says so.
    """
    if body.get("format") != SNAPSHOT_FORMAT:
        raise ValueError(f"format is {body.get('format')!r}, expected {SNAPSHOT_FORMAT!r}")
    model = ShowGraph()
    for raw in body["nodes"]:
        model.add_node(node_from_json(raw))
    for raw in body["edges"]:
        apply_op(model, PutEdge(**{**raw, "relation": Relation(raw["relation"])}))
    model.version = int(body["version"])
    return model


def write_snapshot(model: ShowGraph, path: Path) -> None:
    """The whole graph as JSON, written to a temporary file, fsynced and renamed."""
    body = snapshot_body(model)
    temporary = path.with_suffix(".json.tmp")
    with temporary.open("wb") as handle:
        handle.write(orjson.dumps(body))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def read_snapshot(path: Path) -> ShowGraph:
    """The graph a snapshot holds; ``StoreError`` naming the file when it is unreadable."""
    try:
        model = model_from_snapshot_body(orjson.loads(path.read_bytes()))
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise StoreError(f"{path}: cannot read the snapshot: {error}") from None
    return model


# --- journal reading helpers -----------------------------------------------------------------


def _lines(journal: IO[bytes]) -> Iterator[tuple[int, bytes, bool]]:
    """(offset, text, ends with a newline) of each line from the current position on."""
    while True:
        start = journal.tell()
        line = journal.readline()
        if not line:
            return
        complete = line.endswith(b"\n")
        yield start, line.rstrip(b"\n"), complete
        if not complete:
            return


def _at_end(journal: IO[bytes]) -> bool:
    """True when nothing follows the current line (so a bad line is the torn last one)."""
    position = journal.tell()
    rest = journal.read()
    journal.seek(position)
    return not rest.strip()


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: fsync the directory that holds the renamed file."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- the store interface ----------------------------------------------------------------------


class Store(Protocol):
    """Where accepted changes are kept; the graph model and resolvers do not know which."""

    def open(self) -> ShowGraph: ...

    def write(
        self, model: ShowGraph, make_change: Callable[[int], Change | None]
    ) -> tuple[Change | None, list[Change]]: ...

    def behind(self) -> bool: ...

    def catch_up(self, model: ShowGraph) -> list[Change]: ...

    def close(self, model: ShowGraph) -> None: ...


class MemoryStore:
    """Keeps nothing: changes live as long as the process (tests, throwaway servers)."""

    def __init__(self, model: ShowGraph) -> None:
        self.model = model

    def open(self) -> ShowGraph:
        return self.model

    def write(
        self, model: ShowGraph, make_change: Callable[[int], Change | None]
    ) -> tuple[Change | None, list[Change]]:
        change = make_change(model.version + 1)
        if change is not None:
            apply(model, change)
        return change, []

    def behind(self) -> bool:
        return False

    def catch_up(self, model: ShowGraph) -> list[Change]:
        return []

    def close(self, model: ShowGraph) -> None:
        return None
