"""Caches in front of execution: whole responses, and persisted query documents.

``ResponseCache`` keeps serialized answers keyed by everything that can change
them (the document, operation, variables, who asks, and the graph version), so
a repeated query is answered without executing it, and any write, which moves
the version on, makes every older entry unreachable. It is bounded in bytes.

``PersistedQueries`` implements Apollo's automatic persisted queries: a client
sends ``extensions.persistedQuery.sha256Hash`` instead of the document once
the server has seen it. In allow-list mode only the documents registered from
a file may run, by hash or by text.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import orjson

APQ_VERSION = 1

K = TypeVar("K")
V = TypeVar("V")


class LeastRecentlyUsed(Generic[K, V]):
    """A map of at most ``size`` entries, the least recently used dropped first; shared by
    threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class Sightings:
    """Keys seen once, remembered by hash (oldest first out): whether one has repeated.

    The caches in front of execution keep an entry only once its key has
    proven that it repeats, as a second sighting shows: a server sent a new
    alias or new variables with every request would otherwise pay for keeping
    each one (a parse tree, compiled code, an answer and its ETag, remembered
    bytes) and push out the entries that do repeat. A key is forgotten when
    it repeats (the cache holds it from then on) or when ``size`` newer ones
    pushed it out. Hashes are plain ints, which the garbage collector never
    walks; two keys sharing a hash only make one kept a sighting early.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        # Oldest first. An OrderedDict, not a dict: a dict's first key, once many were
        # deleted from the front, is found by scanning their empty slots (8.5 µs a call
        # at 16,384 keys, against 0.5 µs here).
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._lock = threading.Lock()

    def repeated(self, key: object) -> bool:
        """Whether ``key`` was seen before; a key seen for the first time is noted."""
        hashed = hash(key)
        with self._lock:
            if hashed in self._seen:
                del self._seen[hashed]
                return True
            self._seen[hashed] = None
            if len(self._seen) > self.size:
                self._seen.popitem(last=False)
        return False

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


def response_key(
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    scope: str,
    version: int,
) -> str:
    """A digest of everything that decides an answer (variables in canonical JSON)."""
    parts = orjson.dumps(
        [query, operation_name, variables or {}, scope, version], option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(parts).hexdigest()


@dataclass(frozen=True, slots=True)
class CachedResponse:
    body: bytes
    status: int
    media_type: str
    cost: int = 1  # what running it cost, charged again to a rate-limited client on a hit
    etag: str | None = None  # its strong ETag (server.http_caching), computed once


class ResponseCache:
    """A least-recently-used map of responses, at most ``max_bytes`` of bodies."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> CachedResponse | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: str, response: CachedResponse) -> None:
        """Remember a response; one larger than a quarter of the budget is not kept."""
        size = len(response.body)
        if size > self.max_bytes // 4:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[key] = response
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.body)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes


# (method, body or query string, Accept, Content-Type, graph version)
RequestBytes = tuple[str, bytes, bytes, bytes, int]
# (document text, operationName, Accept, Content-Type) of a POST
DocumentKey = tuple[str, str | None, bytes, bytes]


@dataclass(frozen=True, slots=True)
class KnownRequest:
    """What an anonymous request's exact bytes were prepared into, once they were read.

    It names its document by text, not by the parsed tree: the tree stays in
    the parsed-document cache, which bounds it, and a request whose tree was
    evicted goes the full path again.
    """

    key: str | None  # its response-cache key; None when there is no response cache
    operation: str | None  # the name of the operation it runs, for metrics
    label: str  # the operation as log records name it (server.metrics.operation_label)
    media_type: str  # what its Accept header chose
    text: str  # the document
    operation_name: str | None  # as the request asked
    variables: Any  # coerced (graphql-core's VariableValues)
    cost: int  # the estimate at this graph version


@dataclass(frozen=True, slots=True)
class KnownDocument:
    """What an anonymous POST's document, operation and headers were found to ask.

    The stages before coercing variables (persisted query, parse, operation,
    transport, validation) give one verdict for one document, operation name
    and set of headers, whatever the variables; a request that differs from
    an answered one only in its variables starts from here.
    """

    operation: str | None  # the name of the operation it runs, for metrics
    label: str  # the operation as log records name it
    media_type: str  # what its Accept header chose
    text: str  # the document (the parsed-document cache's own string)
    operation_name: str | None  # as the request asked


class KnownRequests(Generic[K, V]):
    """Requests read once, so that a repeat is answered without reading them again.

    A client repeating a query sends the same bytes; what they ask (the cache
    key, the document to run) is then known without decoding JSON, reading the
    document or hashing it again (``RequestBytes`` to ``KnownRequest``). A
    client sending new variables sends the same document: what it asks is
    known but for its variables (``DocumentKey`` to ``KnownDocument``). Only
    anonymous requests are remembered, as their answer is the same for
    everyone. Bounded in the bytes of the remembered keys (``size``), and in
    their number.
    """

    def __init__(self, max_bytes: int, size: Callable[[K], int], max_entries: int = 4096) -> None:
        self.max_bytes = max_bytes
        self.size = size
        self.max_entries = max_entries
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def put(self, key: K, known: V) -> None:
        size = self.size(key)
        if size > self.max_bytes // 4:
            return
        with self._lock:
            if self._entries.pop(key, None) is not None:
                self._bytes -= size
            self._entries[key] = known
            self._bytes += size
            while self._bytes > self.max_bytes or len(self._entries) > self.max_entries:
                old, _ = self._entries.popitem(last=False)
                self._bytes -= self.size(old)


def request_bytes_size(raw: RequestBytes) -> int:
    return 2 * len(raw[1]) + len(raw[2]) + len(raw[3])  # the bytes, and the document text


def document_key_size(key: DocumentKey) -> int:
    return len(key[0]) + len(key[2]) + len(key[3])


class PersistedQueryError(Exception):
    """A persisted-query request that cannot run; ``code`` is Apollo's error code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class PersistedQueries:
    """Documents by the sha256 of their text: learnt from clients, or fixed by an allow-list.

    Learnt documents are bounded by the bytes of their text (``max_bytes``),
    the least recently used forgotten first; a document is learnt only once
    it has validated (``register``), so a client cannot fill the store with
    documents that never ran.
    """

    def __init__(
        self, max_bytes: int = 16 * 2**20, allow_list: dict[str, str] | None = None
    ) -> None:
        self.max_bytes = max_bytes
        self.allow_list = allow_list
        self._known: OrderedDict[str, str] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def resolve(
        self, query: str | None, extensions: dict[str, Any] | None
    ) -> tuple[str | None, str | None]:
        """The document to run, and the hash to ``register`` it under once it validates.

        From the text or the hash; PersistedQueryError when refused. The
        document is None when the request has neither (the caller reports it).
        """
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if query is not None and self.allow_list is not None:
                self._check_allowed(sha256(query))
            return query, None
        digest = _hash_of(persisted)
        if query is None:
            found = self._lookup(digest)
            if found is None:
                self._check_allowed(digest)
                raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            return found, None
        if sha256(query) != digest:
            raise PersistedQueryError(
                "provided sha256Hash does not match the query", "PERSISTED_QUERY_HASH_MISMATCH"
            )
        self._check_allowed(digest)
        return query, None if self.allow_list is not None else digest

    def _check_allowed(self, digest: str) -> None:
        if self.allow_list is not None and digest not in self.allow_list:
            raise PersistedQueryError(
                "this server only runs registered queries; this one is not registered",
                "PERSISTED_QUERY_NOT_ALLOWED",
            )

    def _lookup(self, digest: str) -> str | None:
        if self.allow_list is not None:
            return self.allow_list.get(digest)
        with self._lock:
            found = self._known.get(digest)
            if found is not None:
                self._known.move_to_end(digest)
            return found

    def register(self, digest: str, query: str) -> None:
        """Learn a validated document under its hash; one larger than the budget is not."""
        if self.allow_list is not None or len(query) > self.max_bytes:
            return
        with self._lock:
            old = self._known.pop(digest, None)
            if old is not None:
                self._bytes -= len(old)
            self._known[digest] = query
            self._bytes += len(query)
            while self._bytes > self.max_bytes:
                _, evicted = self._known.popitem(last=False)
                self._bytes -= len(evicted)


def _hash_of(persisted: Any) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != APQ_VERSION:
        raise PersistedQueryError(
            f"persistedQuery must be {{version: {APQ_VERSION}, sha256Hash}}",
            "PERSISTED_QUERY_INVALID",
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64:
        raise PersistedQueryError(
            "persistedQuery.sha256Hash must be 64 hexadecimal characters", "PERSISTED_QUERY_INVALID"
        )
    return digest.lower()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_allow_list(path: Path) -> dict[str, str]:
    """Registered documents from a JSON file: a list of query strings, or {hash: query}.

    Hashes are checked against their documents, so the file cannot smuggle in
    a query under another query's hash.
    """
    try:
        raw = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        raise ValueError(f"allow-list {path}: {error}") from None
    queries = (
        raw if isinstance(raw, list) else list(raw.values()) if isinstance(raw, dict) else None
    )
    if queries is None or not all(isinstance(q, str) for q in queries):
        raise ValueError(f"allow-list {path}: expected a JSON list of queries or {{hash: query}}")
    if isinstance(raw, dict):
        for digest, query in raw.items():
            if sha256(query) != str(digest).lower():
                raise ValueError(f"allow-list {path}: {digest} is not the sha256 of its query")
    return {sha256(query): query for query in queries}
