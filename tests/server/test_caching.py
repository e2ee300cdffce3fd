"""Response cache and persisted queries, without HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.caching import (
    CachedResponse,
    KnownRequest,
    KnownRequests,
    PersistedQueries,
    PersistedQueryError,
    RequestBytes,
    ResponseCache,
    load_allow_list,
    request_bytes_size,
    response_key,
    sha256,
)

QUERY = "{ actors { totalCount } }"


def test_the_key_covers_everything_that_decides_an_answer() -> None:
    base = response_key(QUERY, None, {"a": 1, "b": 2}, "public", 3)
    assert base == response_key(QUERY, None, {"b": 2, "a": 1}, "public", 3)  # canonical vars
    for other in [
        response_key(QUERY + " ", None, {"a": 1, "b": 2}, "public", 3),
        response_key(QUERY, "Op", {"a": 1, "b": 2}, "public", 3),
        response_key(QUERY, None, {"a": 1, "b": 3}, "public", 3),
        response_key(QUERY, None, {"a": 1, "b": 2}, "alice", 3),
        response_key(QUERY, None, {"a": 1, "b": 2}, "public", 4),
    ]:
        assert other != base


def test_the_cache_is_bounded_in_bytes_and_evicts_the_least_recent() -> None:
    cache = ResponseCache(max_bytes=400)
    for name in "abcd":
        cache.put(name, CachedResponse(b"x" * 100, 200, "application/json"))
    assert cache.get("a") is not None  # now the most recent
    cache.put("e", CachedResponse(b"y" * 100, 200, "application/json"))
    assert cache.get("b") is None
    assert cache.get("a") is not None
    assert cache.size_bytes <= 400
    cache.put("huge", CachedResponse(b"z" * 101, 200, "application/json"))
    assert cache.get("huge") is None  # larger than a quarter of the budget
    assert (cache.hits, cache.misses) == (2, 2)


def apq(digest: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def test_automatic_persisted_queries_flow() -> None:
    store = PersistedQueries()
    with pytest.raises(PersistedQueryError) as missing:
        store.resolve(None, apq(sha256(QUERY)))
    assert (str(missing.value), missing.value.code) == (
        "PersistedQueryNotFound",
        "PERSISTED_QUERY_NOT_FOUND",
    )
    # Text with its hash: run it, and learn it under that hash once it validates.
    assert store.resolve(QUERY, apq(sha256(QUERY))) == (QUERY, sha256(QUERY))
    with pytest.raises(PersistedQueryError):  # not learnt before it is registered
        store.resolve(None, apq(sha256(QUERY)))
    store.register(sha256(QUERY), QUERY)
    assert store.resolve(None, apq(sha256(QUERY))) == (QUERY, None)
    with pytest.raises(PersistedQueryError, match="does not match") as mismatch:
        store.resolve("{ other }", apq(sha256(QUERY)))
    assert mismatch.value.code == "PERSISTED_QUERY_HASH_MISMATCH"
    with pytest.raises(PersistedQueryError, match="sha256Hash must be 64"):
        store.resolve(None, apq("abc"))
    with pytest.raises(PersistedQueryError, match="version"):
        store.resolve(None, {"persistedQuery": {"version": 2, "sha256Hash": sha256(QUERY)}})
    assert store.resolve(QUERY, None) == (QUERY, None)  # plain requests are untouched


def test_the_learnt_documents_are_bounded_in_bytes() -> None:
    store = PersistedQueries(max_bytes=10)  # two documents of 5 characters
    for query in ["{ a }", "{ b }", "{ c }"]:
        store.register(sha256(query), query)
    with pytest.raises(PersistedQueryError):
        store.resolve(None, apq(sha256("{ a }")))  # the oldest went
    assert store.resolve(None, apq(sha256("{ c }"))) == ("{ c }", None)
    store.register(sha256("{ " + "x" * 20 + " }"), "{ " + "x" * 20 + " }")  # larger than all
    assert store.resolve(None, apq(sha256("{ b }"))) == ("{ b }", None)


def test_allow_list_mode_runs_only_registered_documents(tmp_path: Path) -> None:
    path = tmp_path / "allowed.json"
    path.write_text(json.dumps([QUERY]), encoding="utf-8")
    store = PersistedQueries(allow_list=load_allow_list(path))
    assert store.resolve(None, apq(sha256(QUERY))) == (QUERY, None)
    assert store.resolve(QUERY, None) == (QUERY, None)
    for query, extensions in [
        ("{ shows { totalCount } }", None),
        (None, apq(sha256("{ shows { totalCount } }"))),
        ("{ shows { totalCount } }", apq(sha256("{ shows { totalCount } }"))),
    ]:
        with pytest.raises(PersistedQueryError) as refused:
            store.resolve(query, extensions)
        assert refused.value.code == "PERSISTED_QUERY_NOT_ALLOWED"


def test_allow_list_files_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "allowed.json"
    path.write_text(json.dumps({sha256(QUERY): QUERY}), encoding="utf-8")
    assert load_allow_list(path) == {sha256(QUERY): QUERY}
    path.write_text(json.dumps({sha256("{ x }"): QUERY}), encoding="utf-8")
    with pytest.raises(ValueError, match="is not the sha256 of its query"):
        load_allow_list(path)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="expected a JSON list"):
        load_allow_list(path)


def known_request(key: str | None) -> KnownRequest:
    return KnownRequest(key, None, "anonymous", "application/json", "{ a }", None, None, 1)


def test_known_requests_are_bounded_in_bytes_and_forget_the_oldest() -> None:
    def raw(n: int, version: int = 0) -> RequestBytes:
        return ("POST", b"q" * 39 + bytes([n]), b"*/*", b"application/json", version)

    known: KnownRequests[RequestBytes, KnownRequest] = KnownRequests(400, request_bytes_size)
    for n in range(10):
        known.put(raw(n), known_request(f"key{n}"))
    kept = [n for n in range(10) if known.get(raw(n))]
    assert kept == [6, 7, 8, 9]  # 99 bytes each (the body counted twice, for its text)
    assert known.get(raw(9, version=1)) is None  # another version
    big = ("POST", b"x" * 200, b"", b"", 0)
    known.put(big, known_request("big"))  # over a quarter
    assert known.get(big) is None
    # Remembering the same bytes again replaces what they ask, and counts them once.
    known.put(raw(9), known_request("again"))
    assert known.get(raw(9)) == known_request("again")
    assert [n for n in range(10) if known.get(raw(n))] == [6, 7, 8, 9]


def test_known_requests_are_bounded_in_number() -> None:
    known: KnownRequests[RequestBytes, KnownRequest] = KnownRequests(
        10**6, request_bytes_size, max_entries=3
    )
    for n in range(5):
        known.put(
            ("GET", b"%d" % n, b"", b"", 0),
            known_request(None),
        )
    assert [n for n in range(5) if known.get(("GET", b"%d" % n, b"", b"", 0))] == [2, 3, 4]
