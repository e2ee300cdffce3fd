"""Durable writes: a journal of changes plus snapshots, in one data directory.

Layout of the data directory::

    snapshot.json   the whole graph at some version (written atomically)
    journal.jsonl   one change per line, every change after the snapshot
    history.sqlite3 every change, snapshots or not (``graph_data.history``)
    write.lock      held (flock) by whichever process is writing

Start-up loads the snapshot (or, the first time, the dataset file, which is
never modified, and then writes the first snapshot, so that no later start
reads the dataset again) and replays the journal. A write, in any worker process,
takes the file lock, first applies changes other workers appended (so it
validates against the newest graph), then appends its own line and fsyncs it
before anyone is told it succeeded. All of that happens in the writers' turn
(``graph_data.locks``), which readers do not wait for; only applying a change
in memory stops them, for as long as that takes. Every ``snapshot_every``
changes a forked child process writes the graph as of that version to a
temporary file (``BackgroundSnapshot``), which is then renamed over the
snapshot, and the journal lines it holds are dropped; on a clean shutdown the
same is done in process and the journal restarts empty.

A last line cut short by a crash is dropped with a warning; a bad line
anywhere else stops start-up with an error naming the file and the line,
because silently skipping it would lose an acknowledged write.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import logging
import math
import operator
import os
import re
import sys
import threading
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from enum import Enum
from itertools import chain
from pathlib import Path
from typing import IO, Any, NoReturn, Protocol, cast

import orjson
from pydantic import TypeAdapter, ValidationError

from graph_data.changes import (
    Change,
    PutEdge,
    _props_in,
    apply,
    apply_op,
    node_from_json,
)
from graph_data.history import History, SqliteHistory
from graph_data.kinds import NodeKind, Relation
from graph_data.loader import DatasetPaths, load_dataset
from graph_data.model import SharedDict, ShowGraph, lean_facts, make_node
from graph_data.records import FIELDS_OF

logger = logging.getLogger("showgraph.store")

SNAPSHOT_FORMAT = "showgraph-snapshot/2"
SNAPSHOT_FORMAT_1 = "showgraph-snapshot/1"  # still read (see "snapshots" below)
DEFAULT_SNAPSHOT_EVERY = 1000


class StoreError(Exception):
    """The store of record cannot be read back safely; the message says where."""


class StoreUnavailableError(StoreError):
    """The store of record cannot be reached right now.

    Raised by a write (or a catch-up) while the database behind the store is
    away; the graph in memory is untouched and keeps serving reads. Nothing
    was written, unless ``outcome_unknown`` (the database went away during
    the commit, which may have gone through). Callers answer "store
    unavailable" and may retry later: the store reconnects by itself.
    ``applied`` holds changes of other writers that were applied to the graph
    before the store went away, so the caller can still publish them.
    """

    def __init__(
        self, message: str, applied: Sequence[Change] = (), *, outcome_unknown: bool = False
    ) -> None:
        super().__init__(message)
        self.applied = list(applied)
        # True when the database went away during the commit: the change may be written.
        self.outcome_unknown = outcome_unknown


class JournalStore:
    """The embedded store of record: snapshot + journal in ``data_dir``."""

    def __init__(
        self,
        data_dir: Path,
        dataset: DatasetPaths,
        snapshot_every: int = DEFAULT_SNAPSHOT_EVERY,
        history_keep: int = 0,
    ) -> None:
        self.data_dir = data_dir
        self.dataset = dataset
        self.snapshot_every = snapshot_every
        self.history_keep = history_keep
        self.snapshot_path = data_dir / "snapshot.json"
        self.journal_path = data_dir / "journal.jsonl"
        self.lock_path = data_dir / "write.lock"
        self._history: SqliteHistory | None = None
        self._journal: IO[bytes] | None = None  # open for reading what others append
        self._line = 0
        self._since_snapshot = 0
        self._background = BackgroundSnapshot(self.snapshot_path)

    # --- start-up ---------------------------------------------------------------

    def open(self) -> ShowGraph:
        """The graph as of the last acknowledged write: snapshot (or dataset) + journal."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._history = SqliteHistory(self.data_dir / "history.sqlite3")
        with self._file_lock():
            first = not self.snapshot_path.exists()
            model = self._load_base()
            self._journal = self._open_journal()
            self._replay(model)
            if first:  # so that no later start, even after a crash, reads the dataset again
                self._snapshot(model)
        return model

    def _load_base(self) -> ShowGraph:
        if not self.snapshot_path.exists():
            return ShowGraph.from_dataset(load_dataset(self.dataset))
        return read_snapshot(self.snapshot_path)

    @property
    def history(self) -> SqliteHistory:
        """Every change kept, snapshots or not (``graph_data.history``); after ``open``."""
        if self._history is None:
            raise StoreError(f"{self.data_dir}: open() the store first")
        return self._history

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

        Takes the writers' turn (re-entered if the caller holds it).
        """
        with model.lock.turn(), self._file_lock():
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
            change = _parse(journal, line, complete, f"{self.journal_path}: line {self._line}")
            if change is not None and not complete:
                # A whole record whose final newline was lost: keep it, and end the
                # line so that the next append starts on a line of its own.
                with self.journal_path.open("ab") as writable:
                    writable.write(b"\n")
                    os.fsync(writable.fileno())
                journal.seek(0, os.SEEK_END)
            if change is None:
                # Under the file lock nobody is mid-append: this is a crashed writer's
                # torn last line, whose write was never acknowledged.
                version = re.match(rb'\s*\{\s*"version"\s*:\s*(\d+)', line)
                logger.warning(
                    "%s: line %d is incomplete (a crash mid-write): change %s, %d bytes dropped",
                    self.journal_path,
                    self._line,
                    version.group(1).decode() if version else "of unknown version",
                    journal.seek(0, os.SEEK_END) - start,
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
            self.history.add([change])  # kept already, unless its writer crashed first
            with model.lock.writing():
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
        change written (or None) and the changes of others applied first.

        Runs in the writers' turn (re-entered if the caller holds it): the
        journal line is fsynced while readers go on, and only applying the
        change stops them.
        """
        with model.lock.turn(), self._file_lock():
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
            self.history.add([change])
            # Durable now; readers wait only for the change to be applied in memory.
            with model.lock.writing():
                apply(model, change)
            self._since_snapshot += 1
            if self._since_snapshot >= self.snapshot_every and self._background.start(
                model, self._install
            ):
                self._since_snapshot = 0
            return change, others

    def close(self, model: ShowGraph) -> None:
        """Clean shutdown: snapshot so the next start-up has no journal to replay."""
        self.settle()
        with model.lock.turn(), self._file_lock():
            self._replay(model)
            if self._since_snapshot:
                self._snapshot(model)
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._history is not None:
            self._history.close()
            self._history = None

    def settle(self) -> None:
        """Until the snapshot being written in the background (if any) is in place."""
        self._background.wait()

    def _snapshot(self, model: ShowGraph) -> None:
        """Write the snapshot here and now, then empty the journal (under the file lock)."""
        write_snapshot(model, self.snapshot_path)
        self._compact(model.version)
        self._since_snapshot = 0

    def _install(self, version: int, written: Path) -> None:
        """Put a snapshot a child process wrote in place, unless a newer one is there already.

        Another worker process may have snapshotted meanwhile and dropped the
        journal lines up to its version; installing an older snapshot then
        would leave a gap, so the older one is discarded.
        """
        with self._file_lock():
            current = snapshot_version(self.snapshot_path)
            if current is not None and current >= version:
                written.unlink(missing_ok=True)
                return
            os.replace(written, self.snapshot_path)
            _fsync_dir(self.data_dir)
            self._compact(version)

    def _compact(self, version: int) -> None:
        """Drop the journal lines a snapshot at ``version`` holds (under the file lock).

        The lines after it (written while a child wrote the snapshot) move to a
        new journal file that replaces the old one; readers of the old file see
        the new inode and go on in the new file, skipping what they applied.
        """
        # The history is the only copy of the lines dropped: make it durable first.
        self.history.checkpoint()
        self.history.prune(self.history_keep, version)
        kept = bytearray()
        with self.journal_path.open("rb") as journal:
            for _start, line, complete in _lines(journal):
                if not complete or _line_version(line) > version:
                    kept += line + (b"\n" if complete else b"")
        _replace_durably(
            self.journal_path, bytes(kept), self.journal_path.with_suffix(".jsonl.tmp")
        )

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
#
# A snapshot is one JSON document (orjson), laid out in columns so that a
# million-node graph loads in seconds: no object per edge in the file, and
# facts validated a column at a time rather than a record at a time.
#
#     format     "showgraph-snapshot/2"
#     version    the graph version
#     requests   the clientMutationIds still in the retry window (graph_data.retries)
#     tuples     every distinct sources tuple: [["source:article"], ...]
#     nodes      keys: [key, ...] in graph order; kinds: [kind index, ...];
#                kind_names: ["SHOW", ...]; sources: [tuple index, ...];
#                field_sources: [[node index, {field: tuple index}], ...] (sparse);
#                facts: {KIND: {field: [value, ...]}}, one column per field of
#                the kind's facts, its rows the kind's nodes in graph order
#     edges      relations: ["HAS_SEASON", ...];
#                attr_rows: [{"sources": tuple index, "props": {...}}, ...];
#                links: [[[relation index, attr row index], ...], ...], the key
#                dicts of node pairs (a pair joined by two relations has two);
#                out_degree, out_v, out_link: the successors of each node in
#                turn (how many, which, through which link), in the order of
#                the graph's adjacency; in_degree, in_u, in_link: the same for
#                predecessors. Both halves are stored so that each fills its
#                adjacency map a node at a time, with no Python work per edge.
#
# Index columns are packed: little-endian uint32, base64 (``_pack``).
#
# Version 1 (a list of node and edge objects, as in the journal) is still
# read, so data directories written before keep working; the next snapshot
# is written as version 2.

_FACT_COLUMNS: dict[NodeKind, dict[str, TypeAdapter[list[Any]]]] = {
    kind: {
        name: TypeAdapter(cast(Any, list)[info.rebuild_annotation()])
        for name, info in model.model_fields.items()
    }
    for kind, model in FIELDS_OF.items()
}


def snapshot_body(model: ShowGraph) -> dict[str, Any]:
    """The whole graph as plain JSON: what a snapshot holds, in a file or a database row."""
    graph = model.graph
    tuples: dict[tuple[str, ...], int] = {}

    def tuple_index(value: tuple[str, ...]) -> int:
        found = tuples.get(value)
        if found is None:
            found = tuples[value] = len(tuples)
        return found

    keys = list(graph._node)
    index = {key: i for i, key in enumerate(keys)}
    kind_names = [kind.value for kind in NodeKind]
    kind_index = {kind: i for i, kind in enumerate(NodeKind)}
    kinds: list[int] = []
    sources: list[int] = []
    field_sources: list[list[Any]] = []
    by_kind: dict[NodeKind, list[Any]] = {kind: [] for kind in NodeKind}
    for i, attrs in enumerate(graph._node.values()):
        node = attrs["node"]
        kinds.append(kind_index[node.kind])
        sources.append(tuple_index(node.sources))
        if node.field_sources:
            named = {name: tuple_index(keys) for name, keys in node.field_sources.items()}
            field_sources.append([i, named])
        by_kind[node.kind].append(node.data.__dict__)
    facts = {
        kind.value: {
            name: adapter.dump_python([row[name] for row in rows], mode="json", by_alias=True)
            for name, adapter in _FACT_COLUMNS[kind].items()
        }
        for kind, rows in by_kind.items()
        if rows
    }

    # Each half: per node its degree, then its neighbours and their key dicts in
    # adjacency order; key dicts are numbered by identity (shared ones once).
    # The per-edge work runs in C (map, chain, dict), not in a Python loop.
    halves: dict[str, list[int]] = {}
    by_id: dict[int, Mapping[Any, Any]] = {}
    for name, adjacency, other in (("out", graph._succ, "v"), ("in", graph._pred, "u")):
        neighbours = [adjacency[key] for key in keys]
        identities = list(map(id, chain.from_iterable(n.values() for n in neighbours)))
        by_id.update(
            zip(identities, chain.from_iterable(n.values() for n in neighbours), strict=True)
        )
        halves[f"{name}_degree"] = list(map(len, neighbours))
        halves[f"{name}_{other}"] = list(map(index.__getitem__, chain.from_iterable(neighbours)))
        halves[f"{name}_link"] = identities  # numbered below, once every key dict is known
    number = {identity: i for i, identity in enumerate(by_id)}
    for name in ("out", "in"):
        halves[f"{name}_link"] = list(map(number.__getitem__, halves[f"{name}_link"]))

    relations: dict[str, int] = {}
    attr_rows: dict[int, tuple[int, Mapping[str, Any]]] = {}  # by id(): shared dicts once
    links: list[list[list[int]]] = []
    for keydict in by_id.values():
        pairs = []
        for relation, attrs in keydict.items():
            row = attr_rows.get(id(attrs))
            if row is None:
                row = attr_rows[id(attrs)] = (len(attr_rows), attrs)
            pairs.append([relations.setdefault(str(relation), len(relations)), row[0]])
        links.append(pairs)
    rows = [
        {"sources": tuple_index(attrs["sources"]), "props": _plain_props(attrs)}
        for _, attrs in attr_rows.values()
    ]
    return {
        "format": SNAPSHOT_FORMAT,
        "version": model.version,
        "requests": model.requests.to_json(),
        "tuples": [list(value) for value in tuples],
        "nodes": {
            "keys": keys,
            "kinds": _pack(kinds),
            "kind_names": kind_names,
            "sources": _pack(sources),
            "field_sources": field_sources,
            "facts": facts,
        },
        "edges": {
            "relations": list(relations),
            "attr_rows": rows,
            "links": links,
            **{name: _pack(column) for name, column in halves.items()},
        },
    }


def _plain_props(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: [list(item) if isinstance(item, tuple) else item for item in value]
        if isinstance(value, tuple)
        else {k: list(v) for k, v in value.items()}
        if isinstance(value, Mapping)
        else value.value
        if isinstance(value, Enum)
        else value
        for name, value in attrs.items()
        if name != "sources"
    }


def _pack(numbers: Sequence[int]) -> str:
    """A column of node or table indexes: little-endian uint32, base64 (no int object each)."""
    packed = array("I", numbers)
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def _unpack(container: Mapping[str, Any], name: str, where: str, below: int | None) -> array[int]:
    """A column written by ``_pack``, each index checked to be below ``below``.

    ``below=None`` leaves the check to the caller, which indexes with every
    value anyway (a long column's ``max()`` costs a tenth of a second).
    """
    raw = _get(container, name, where, str)
    try:
        data = base64.b64decode(raw, validate=True)
        packed = array("I")
        packed.frombytes(data)
    except (ValueError, binascii.Error) as error:
        raise ValueError(f"{where}.{name}: not a packed index column ({error})") from None
    if sys.byteorder == "big":
        packed.byteswap()
    if below is not None and packed and max(packed) >= below:
        raise ValueError(f"{where}.{name}: index {max(packed)} out of range (below {below})")
    return packed


def _get(container: Mapping[str, Any], name: str, where: str, kind: type) -> Any:
    value = container.get(name) if isinstance(container, Mapping) else None
    if not isinstance(value, kind):
        raise ValueError(f"{where}.{name}: expected a {kind.__name__}, got {type(value).__name__}")
    return value


def model_from_snapshot_body(body: Mapping[str, Any]) -> ShowGraph:
    """The graph a snapshot body holds (the inverse of ``snapshot_body``).

    Raises ValueError (or KeyError, TypeError) saying what is wrong when the
    body is not a snapshot; the caller knows where it came from and says so.
    Every fact is validated again; indexes are checked to be in range.
    """
    found = body.get("format") if isinstance(body, Mapping) else None
    if found == SNAPSHOT_FORMAT_1:
        return _model_from_body_1(body)
    if found != SNAPSHOT_FORMAT:
        raise ValueError(
            f"format is {found!r}, expected {SNAPSHOT_FORMAT!r} (or {SNAPSHOT_FORMAT_1!r})"
        )
    version = body.get("version")
    if not isinstance(version, int) or version < 0:
        raise ValueError(f"version: expected a whole number >= 0, got {version!r}")
    tuples = [
        tuple(_strings(value, f"tuples[{i}]"))
        for i, value in enumerate(_get(body, "tuples", "snapshot", list))
    ]
    model = ShowGraph()
    with model.bulk():
        keys = _read_nodes(model, _get(body, "nodes", "snapshot", dict), tuples)
        _read_edges(model, _get(body, "edges", "snapshot", dict), keys, tuples)
    model.version = version
    model.requests.load(body.get("requests") or [])  # absent in snapshots before safe retries
    return model


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(type(item) is str for item in value):
        raise ValueError(f"{where}: expected a list of strings")
    return value


def _read_nodes(
    model: ShowGraph, nodes: Mapping[str, Any], tuples: list[tuple[str, ...]]
) -> list[str]:
    where = "nodes"
    keys = _strings(nodes.get("keys"), f"{where}.keys")
    names = _strings(nodes.get("kind_names"), f"{where}.kind_names")
    try:
        kind_list = [NodeKind(name) for name in names]
    except ValueError as error:
        raise ValueError(f"{where}.kind_names: {error}") from None
    kinds = _unpack(nodes, "kinds", where, len(kind_list))
    sources = _unpack(nodes, "sources", where, len(tuples))
    for name, column in (("kinds", kinds), ("sources", sources)):
        if len(column) != len(keys):
            raise ValueError(f"{where}.{name}: {len(column)} entries for {len(keys)} keys")
    field_sources: dict[int, Mapping[str, tuple[str, ...]]] = {}
    for entry in _get(nodes, "field_sources", where, list):
        try:
            index, named = entry
            field_sources[index] = {name: tuples[i] for name, i in named.items()}
            keys[index]
        except (TypeError, ValueError, IndexError, AttributeError):
            raise ValueError(f"{where}.field_sources: bad entry {entry!r}") from None

    counts = Counter(kinds)
    facts = _get(nodes, "facts", where, dict)
    data_of: list[Iterator[Any]] = []
    for i, kind in enumerate(kind_list):
        data_of.append(iter(_read_facts(kind, facts.get(kind.value), counts.get(i, 0))))
    unknown = set(facts) - {kind.value for kind in kind_list}
    if unknown:
        raise ValueError(f"{where}.facts: no nodes of kind {sorted(unknown)}")

    node_attrs = model.graph._node
    for key, k, s in zip(keys, kinds, sources, strict=True):
        kind = kind_list[k]
        node_attrs[key] = {"kind": kind, "node": make_node(key, kind, next(data_of[k]), tuples[s])}
    if len(node_attrs) != len(keys):
        raise ValueError(f"{where}.keys: {len(keys) - len(node_attrs)} duplicate key(s)")
    for index, named in field_sources.items():  # few: the nodes are made again with them
        attrs = node_attrs[keys[index]]
        attrs["node"] = replace(attrs["node"], field_sources=named)
    return keys


def _read_facts(kind: NodeKind, columns: Any, count: int) -> list[Any]:
    """The facts of ``count`` nodes of one kind, each column validated as a whole."""
    where = f"nodes.facts.{kind.value}"
    if count == 0 and columns is None:
        return []
    if not isinstance(columns, dict):
        raise ValueError(f"{where}: expected a mapping of columns for {count} node(s)")
    adapters = _FACT_COLUMNS[kind]
    if set(columns) != set(adapters):
        raise ValueError(f"{where}: columns {sorted(columns)}, expected {sorted(adapters)}")
    values = []
    for name, adapter in adapters.items():
        column = columns[name]
        if not isinstance(column, list) or len(column) != count:
            raise ValueError(f"{where}.{name}: expected a list of {count} value(s)")
        try:
            values.append(adapter.validate_python(column))
        except ValidationError as error:
            first = error.errors()[0]
            raise ValueError(
                f"{where}.{name}[{first['loc'][0]}]: {first['msg']} (got {first.get('input')!r})"
            ) from None
    return lean_facts(kind, list(adapters), values)


def _read_edges(
    model: ShowGraph, edges: Mapping[str, Any], keys: list[str], tuples: list[tuple[str, ...]]
) -> None:
    """Both adjacency maps, each filled a node at a time from its packed columns."""
    where = "edges"
    names = _strings(edges.get("relations"), f"{where}.relations")
    try:
        relations = [Relation(name) for name in names]
    except ValueError as error:
        raise ValueError(f"{where}.relations: {error}") from None
    rows = _get(edges, "attr_rows", where, list)
    attrs_of: dict[tuple[int, int], Any] = {}

    def attrs(r: int, a: int) -> Any:
        found = attrs_of.get((r, a))
        if found is None:
            try:
                row = rows[a]
                props = _props_in(relations[r], row["props"])
                found = attrs_of[r, a] = model.edge_attrs(tuples[row["sources"]], props)
            except (KeyError, TypeError, ValueError, IndexError) as error:
                raise _BadRowError(f"{where}.attr_rows[{a}]: {error!r}") from None
        return found

    table: list[SharedDict] = []
    for i, pairs in enumerate(_get(edges, "links", where, list)):
        try:
            content = {relations[r]: attrs(r, a) for r, a in pairs}
        except _BadRowError:
            raise
        except (TypeError, ValueError, IndexError):
            raise ValueError(f"{where}.links[{i}]: expected [[relation, attr row], ...]") from None
        if len(content) == 1:  # one edge between the pair: the model's shared key dict
            [(relation, shared)] = content.items()
            table.append(model.shared_keydict(relation, shared))
        elif content:
            table.append(SharedDict(content))
        else:
            raise ValueError(f"{where}.links[{i}]: empty")

    n = len(keys)
    out_degree = _unpack(edges, "out_degree", where, n + 1)
    out_v = _unpack(edges, "out_v", where, None)  # checked as used, in _fill
    out_link = _unpack(edges, "out_link", where, None)
    in_degree = _unpack(edges, "in_degree", where, n + 1)
    in_u = _unpack(edges, "in_u", where, None)
    in_link = _unpack(edges, "in_link", where, None)
    # The two halves must describe the same edges: same counts, same index sums.
    if not (
        len(out_degree) == len(in_degree) == n
        and sum(out_degree) == len(out_v) == len(out_link) == len(in_u) == len(in_link)
        and sum(in_degree) == len(in_u)
        and sum(out_link) == sum(in_link)
        and sum(out_v) == sum(map(operator.mul, range(n), in_degree))
        and sum(in_u) == sum(map(operator.mul, range(n), out_degree))
    ):
        raise ValueError(f"{where}: the out_* and in_* columns do not describe the same edges")
    _fill(model.graph._succ, keys, out_degree, out_v, out_link, table, f"{where}.out_")
    _fill(model.graph._pred, keys, in_degree, in_u, in_link, table, f"{where}.in_")


class _BadRowError(ValueError):
    """An attribute row of a snapshot that cannot be read (its message says why)."""


def _fill(
    adjacency: dict[str, dict[str, Any]],
    keys: list[str],
    degrees: array[int],
    others: array[int],
    links: array[int],
    table: list[SharedDict],
    where: str,
) -> None:
    """One adjacency map, a node at a time: each node's neighbours made in one call."""
    key_of = keys.__getitem__
    link_of = table.__getitem__

    def neighbours() -> Iterator[tuple[str, dict[str, Any]]]:
        start = 0
        for key, degree in zip(keys, degrees, strict=True):
            if not degree:
                yield key, {}
                continue
            end = start + degree
            found = dict(
                zip(map(key_of, others[start:end]), map(link_of, links[start:end]), strict=True)
            )
            if len(found) != degree:
                raise ValueError(f"{where}: {key} has the same neighbour twice")
            start = end
            yield key, found

    try:
        adjacency.update(neighbours())
    except IndexError:
        raise ValueError(f"{where}*: a node or link index is out of range") from None


def _model_from_body_1(body: Mapping[str, Any]) -> ShowGraph:
    """A version-1 snapshot: nodes and edges as in the journal, one object each."""
    model = ShowGraph()
    with model.bulk():
        for raw in body["nodes"]:
            model.add_node(node_from_json(raw))
        for raw in body["edges"]:
            apply_op(model, PutEdge(**{**raw, "relation": Relation(raw["relation"])}))
    model.version = int(body["version"])
    return model


def write_snapshot(model: ShowGraph, path: Path) -> None:
    """The whole graph as JSON, written to a temporary file, fsynced and renamed."""
    _replace_durably(path, orjson.dumps(snapshot_body(model)), path.with_suffix(".json.tmp"))


def _replace_durably(path: Path, data: bytes, temporary: Path) -> None:
    """``path`` holds ``data`` or what it held before, never a part: write, fsync, rename."""
    _write_durably(temporary, data)
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def _write_durably(path: Path, data: bytes) -> None:
    """``data`` in ``path``, fsynced: on disk before anyone is told it is there."""
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def read_snapshot(path: Path) -> ShowGraph:
    """The graph a snapshot holds; ``StoreError`` naming the file when it is unreadable."""
    try:
        model = model_from_snapshot_body(orjson.loads(path.read_bytes()))
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise StoreError(f"{path}: cannot read the snapshot: {error}") from None
    return model


# --- snapshots in the background ----------------------------------------------------------


class BackgroundSnapshot:
    """One snapshot at a time, written by a forked child from the graph as it was at the fork.

    ``fork()`` gives the child a copy-on-write image of the process: the graph
    as of that instant, consistent because the caller holds the writers' turn,
    while nobody in the parent waits for the child to serialize it. Done under
    the lock, a snapshot of a 100k-node graph stalled every reader and writer
    for 0.6-1.5 s; Redis's BGSAVE works the same way.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._waiter: threading.Thread | None = None

    def start(self, model: ShowGraph, then: Callable[[int, Path], None]) -> bool:
        """Fork a child writing ``model`` to a temporary file; ``then(version, file)`` after.

        False (and nothing started) while the previous snapshot is still being
        written: the caller tries again on a later change. The caller holds
        the turn, so the graph does not change during the fork.
        """
        if self._waiter is not None and self._waiter.is_alive():
            return False
        version = model.version
        written = self.path.with_name(f"{self.path.name}.{os.getpid()}.{version}.tmp")
        pid = os.fork()
        if pid == 0:  # the child: write, and leave without running any of the parent's code
            _write_and_exit(model, written)
        self._waiter = threading.Thread(
            target=self._finish,
            args=(pid, version, written, then),
            name="showgraph-snapshot",
            daemon=True,
        )
        self._waiter.start()
        return True

    def wait(self) -> None:
        """Until the snapshot being written (if any) is installed or given up."""
        if self._waiter is not None:
            self._waiter.join()

    @staticmethod
    def _finish(pid: int, version: int, written: Path, then: Callable[[int, Path], None]) -> None:
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            written.unlink(missing_ok=True)
            logger.warning(
                "the snapshot at version %d failed (its process exited with %d); "
                "every change is still in the store, the next snapshot tries again",
                version,
                code,
            )
            return
        try:
            then(version, written)
        except Exception:  # the changes are durable already: a lost snapshot costs start-up time
            written.unlink(missing_ok=True)
            logger.exception("the snapshot at version %d could not be stored", version)


def _write_and_exit(model: ShowGraph, path: Path) -> NoReturn:
    """In the forked child: the snapshot file, fsynced; exit 0 only if it is complete."""
    code = 1
    try:
        os.nice(10)  # the server's readers and writers come first for the CPU
        _write_durably(path, orjson.dumps(snapshot_body(model)))
        code = 0
    except BaseException as error:  # the parent logs the exit code; say why on stderr
        os.write(2, f"showgraph: snapshot to {path} failed: {error!r}\n".encode())
    finally:
        os._exit(code)


_VERSION_AT_START = re.compile(rb'^\{"format":"[^"]*","version":(\d+)')


def snapshot_version(path: Path) -> int | None:
    """The version of the snapshot file at ``path`` (None: no file), without reading it all.

    ``snapshot_body`` puts the format and the version first, so the head of
    the file tells; older files are read whole.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(128)
    except FileNotFoundError:
        return None
    match = _VERSION_AT_START.match(head)
    if match is not None:
        return int(match[1])
    return read_snapshot(path).version


def _line_version(line: bytes) -> float:
    """The version of a journal line; infinite for a line that is not a change (kept)."""
    try:
        version = orjson.loads(line).get("version")
    except (orjson.JSONDecodeError, AttributeError):
        return math.inf
    return version if isinstance(version, int) else math.inf


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


def check_journal(path: Path) -> None:
    """``StoreError`` naming the first line of ``path`` that is not a change, as start-up would.

    For a command that starts several workers: each would stop on the same
    line, so it is found once, before they are spawned. A bad last line is a
    torn write, which start-up drops, so it passes.
    """
    if not path.exists():
        return
    with path.open("rb") as journal:
        for number, (_, line, complete) in enumerate(_lines(journal), start=1):
            if _parse(journal, line, complete, f"{path}: line {number}") is None:
                return


def _parse(journal: IO[bytes], line: bytes, complete: bool, where: str) -> Change | None:
    """The change a journal line holds, or None for a torn last line (a crash mid-append).

    A bad line anywhere else is ``StoreError`` naming ``where``: skipping it
    could lose an acknowledged write.
    """
    try:
        return Change.from_json(line)
    except ValueError as error:
        if complete and not _at_end(journal):
            raise StoreError(f"{where}: {error}") from None
        return None


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
    """Where accepted changes are kept; the graph model and resolvers do not know which.

    ``write`` and ``catch_up`` take the graph's writers' turn themselves (a
    caller already holding it re-enters) and apply each change under the
    lock's short ``writing()`` section, after it is durable.
    """

    def open(self) -> ShowGraph: ...

    def write(
        self, model: ShowGraph, make_change: Callable[[int], Change | None]
    ) -> tuple[Change | None, list[Change]]: ...

    def behind(self) -> bool: ...

    def catch_up(self, model: ShowGraph) -> list[Change]: ...

    def close(self, model: ShowGraph) -> None: ...

    @property
    def history(self) -> History: ...


class MemoryStore:
    """Keeps nothing: changes live as long as the process (tests, throwaway servers).

    Its history is a temporary file, so that it too stays out of memory.
    """

    def __init__(self, model: ShowGraph, history_keep: int = 0) -> None:
        self.model = model
        self.history_keep = history_keep
        self.history = SqliteHistory()

    def open(self) -> ShowGraph:
        return self.model

    def write(
        self, model: ShowGraph, make_change: Callable[[int], Change | None]
    ) -> tuple[Change | None, list[Change]]:
        with model.lock.turn():
            change = make_change(model.version + 1)
            if change is not None:
                self.history.add([change])
                with model.lock.writing():
                    apply(model, change)
                if change.version % DEFAULT_SNAPSHOT_EVERY == 0:
                    self.history.prune(self.history_keep, change.version)
        return change, []

    def behind(self) -> bool:
        return False

    def catch_up(self, model: ShowGraph) -> list[Change]:
        return []

    def close(self, model: ShowGraph) -> None:
        self.history.close()
