"""Response caching, ETags and persisted queries over HTTP."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.caching import sha256
from server.http_caching import cache_control, none_match, strong_etag
from server.settings import Settings

TOKEN = "cache-token-0123456789"
QUERY = "{ graphVersion actors { totalCount nodes { name } } }"
CREATE = (
    'mutation { createActor(input: {fields: {name: "Jenny Walser"}, sources: ["'
    + base64.b64encode(b"Source:article").decode()
    + '"]}) { graphVersion } }'
)


def app(**settings: object) -> TestClient:
    return TestClient(create_app(Settings(tokens=f"alice={TOKEN}", **settings)))  # type: ignore[arg-type]


def test_cached_and_uncached_answers_are_identical() -> None:
    with app() as cached, app(cache_bytes=0) as uncached:
        first = cached.post("/graphql", json={"query": QUERY})
        cache = cached.app.state.endpoint.cache  # type: ignore[attr-defined]
        assert (cache.hits, cache.misses) == (0, 0)  # a document seen once leaves no answer
        second = cached.post("/graphql", json={"query": QUERY})  # it repeats: kept now
        again = cached.post("/graphql", json={"query": QUERY})
        plain = uncached.post("/graphql", json={"query": QUERY})
        assert first.content == second.content == again.content == plain.content
        assert (cache.hits, cache.misses) == (1, 1)


def test_get_answers_carry_an_etag_and_304_when_unchanged() -> None:
    with app(cache_control="public, max-age=5") as client:
        response = client.get("/graphql", params={"query": QUERY})
        tag = response.headers["etag"]
        assert response.headers["cache-control"] == "public, max-age=5"
        again = client.get("/graphql", params={"query": QUERY}, headers={"if-none-match": tag})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)


def test_a_write_moves_the_etag_and_the_cached_answer_on() -> None:
    with app() as client:
        before = client.get("/graphql", params={"query": QUERY})
        assert before.json()["data"]["actors"]["totalCount"] == 6
        written = client.post(
            "/graphql", json={"query": CREATE}, headers={"authorization": f"Bearer {TOKEN}"}
        )
        assert written.json()["data"]["createActor"]["graphVersion"] == 1
        stale = client.get(
            "/graphql", params={"query": QUERY}, headers={"if-none-match": before.headers["etag"]}
        )
        assert stale.status_code == 200
        assert stale.headers["etag"] != before.headers["etag"]
        assert stale.json()["data"]["actors"]["totalCount"] == 7


def apq(query: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}


def test_automatic_persisted_queries_over_post_and_get() -> None:
    with app() as client:
        missing = client.post("/graphql", json={"extensions": apq(QUERY)})
        assert missing.status_code == 200
        assert missing.json()["errors"][0] == {
            "message": "PersistedQueryNotFound",
            "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
        }
        registered = client.post("/graphql", json={"query": QUERY, "extensions": apq(QUERY)})
        assert registered.json()["data"]["actors"]["totalCount"] == 6
        by_hash = client.get("/graphql", params={"extensions": json.dumps(apq(QUERY))})
        assert by_hash.json() == registered.json()
        wrong = client.post(
            "/graphql", json={"query": "{ shows { totalCount } }", "extensions": apq(QUERY)}
        )
        assert wrong.status_code == 400
        assert wrong.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


def test_allow_list_mode_runs_only_registered_queries(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed.json"
    allowed.write_text(json.dumps([QUERY]), encoding="utf-8")
    with app(allow_list=str(allowed)) as client:
        assert client.post("/graphql", json={"query": QUERY}).status_code == 200
        by_hash = client.post("/graphql", json={"extensions": apq(QUERY)})
        assert by_hash.json()["data"]["actors"]["totalCount"] == 6
        refused = client.post("/graphql", json={"query": "{ shows { totalCount } }"})
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"


def test_a_client_can_ask_for_a_fresh_answer() -> None:
    with app() as client:
        client.post("/graphql", json={"query": QUERY})
        fresh = client.post(
            "/graphql", json={"query": QUERY}, headers={"cache-control": "no-cache"}
        )
        assert fresh.json()["data"]["actors"]["totalCount"] == 6
        cache = client.app.state.endpoint.cache  # type: ignore[attr-defined]
        assert cache.hits == 0


# --- RFC 9110 validators, Vary, Cache-Control and HEAD (server.http_caching) ---------------

SHOWS = "{ shows { totalCount nodes { name } } }"  # untouched by CREATE (an actor)


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"abc"', True),
        ('W/"abc"', True),  # weak comparison: a proxy weakened our tag
        ('"x", "abc"', True),
        ('"x",W/"abc" , "y"', True),
        ("*", True),
        ('"x", "y"', False),
        ('"ab"', False),
        ("abc", False),  # not quoted: not an entity tag
        ('"a,bc"', False),  # the comma is inside the tag
        ("", False),
        (None, False),
    ],
)
def test_if_none_match_uses_weak_comparison_lists_and_star(
    header: str | None, matches: bool
) -> None:
    assert none_match(header, '"abc"') is matches


def test_the_etag_is_strong_and_depends_on_bytes_and_media_type() -> None:
    tag = strong_etag(b'{"data":1}', "application/json")
    assert tag.startswith('"')  # strong: no W/
    assert tag.endswith('"')
    assert tag == strong_etag(b'{"data":1}', "application/json")
    assert tag != strong_etag(b'{"data":2}', "application/json")
    assert tag != strong_etag(b'{"data":1}', "application/graphql-response+json")


@pytest.mark.parametrize(
    ("configured", "credentials", "sent"),
    [
        ("public, max-age=60", False, "public, max-age=60"),
        ("public, max-age=60", True, "private, max-age=60"),
        ("PUBLIC,max-age=60", True, "private, max-age=60"),
        ("no-cache", True, "private, no-cache"),
        ("private, max-age=5", True, "private, max-age=5"),
        ("no-store", True, "no-store"),
    ],
)
def test_answers_to_requests_with_credentials_are_private(
    configured: str, credentials: bool, sent: str
) -> None:
    assert cache_control(configured, credentials) == sent


def test_an_unchanged_answer_keeps_its_etag_across_a_write() -> None:
    with app() as client:
        before = client.get("/graphql", params={"query": SHOWS})
        written = client.post(
            "/graphql", json={"query": CREATE}, headers={"authorization": f"Bearer {TOKEN}"}
        )
        assert written.json()["data"]["createActor"]["graphVersion"] == 1
        after = client.get("/graphql", params={"query": SHOWS})
        assert after.content == before.content
        assert after.headers["etag"] == before.headers["etag"]
        again = client.get(
            "/graphql", params={"query": SHOWS}, headers={"if-none-match": before.headers["etag"]}
        )
        assert again.status_code == 304


@pytest.mark.parametrize("cache_bytes", [0, 2**20])  # with and without the response cache
@pytest.mark.parametrize("form", ["W/{tag}", '"nope", {tag}', "{tag}, W/{tag}", "*"])
def test_revalidation_answers_304_to_weak_tags_lists_and_star(cache_bytes: int, form: str) -> None:
    with app(cache_bytes=cache_bytes) as client:
        first = client.get("/graphql", params={"query": QUERY})
        tag = first.headers["etag"]
        again = client.get(
            "/graphql", params={"query": QUERY}, headers={"if-none-match": form.format(tag=tag)}
        )
        assert (again.status_code, again.content) == (304, b"")
        assert again.headers["etag"] == tag
        assert again.headers["vary"] == "Accept"
        other = client.get("/graphql", params={"query": QUERY}, headers={"if-none-match": '"x"'})
        assert (other.status_code, other.content) == (200, first.content)


def test_every_answer_varies_on_accept() -> None:
    with app() as client:
        for _ in range(2):  # the second time the fast lane knows the bytes
            got = client.get("/graphql", params={"query": QUERY})
            posted = client.post("/graphql", json={"query": QUERY})
            assert got.headers["vary"] == posted.headers["vary"] == "Accept"
        page = client.get("/graphql", headers={"accept": "text/html"})
        assert page.headers["vary"] == "Accept"  # GraphiQL or JSON, by Accept
        refused = client.get("/graphql", params={"query": "{ nope }"})
        assert refused.headers["vary"] == "Accept"


def test_with_cors_answers_vary_on_origin_too() -> None:
    friend = "https://friend.example"
    with app(cors_origins=(friend,)) as client:
        for _ in range(2):
            plain = client.get("/graphql", params={"query": QUERY})
            assert plain.headers["vary"] == "Accept, Origin"
        cross = client.get("/graphql", params={"query": QUERY}, headers={"origin": friend})
        assert cross.headers["vary"] == "Accept, Origin"
        assert cross.headers["access-control-allow-origin"] == friend


def test_an_authenticated_get_is_never_public() -> None:
    with app(cache_control="public, max-age=60") as client:
        anonymous = client.get("/graphql", params={"query": QUERY})
        assert anonymous.headers["cache-control"] == "public, max-age=60"
        for authorization in (f"Bearer {TOKEN}", "Bearer not-a-token"):
            mine = client.get(
                "/graphql", params={"query": QUERY}, headers={"authorization": authorization}
            )
            assert mine.headers["cache-control"] == "private, max-age=60"
            assert mine.content == anonymous.content


def test_head_answers_like_get_without_the_body() -> None:
    with app(cache_control="public, max-age=5") as client:
        got = client.get("/graphql", params={"query": QUERY})
        head = client.head("/graphql", params={"query": QUERY})
        assert (head.status_code, head.content) == (200, b"")
        for name in ("etag", "cache-control", "content-type", "content-length", "vary"):
            assert head.headers[name] == got.headers[name], name
        revalidated = client.head(
            "/graphql", params={"query": QUERY}, headers={"if-none-match": got.headers["etag"]}
        )
        assert revalidated.status_code == 304
        refused = client.head("/graphql", params={"query": CREATE})
        assert (refused.status_code, refused.content) == (405, b"")
        assert refused.headers["allow"] == "POST"
