"""Response caching, ETags and persisted queries over HTTP."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from starlette.testclient import TestClient

from server.app import create_app
from server.caching import sha256
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
        again = cached.post("/graphql", json={"query": QUERY})
        plain = uncached.post("/graphql", json={"query": QUERY})
        assert first.content == again.content == plain.content
        cache = cached.app.state.endpoint.cache  # type: ignore[attr-defined]
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
