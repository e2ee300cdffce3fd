"""History in the API: the change feed, a node's history, asOf, notes and who may see writers."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from graph_data import load_graph
from schema.connections import MAX_PAGE_SIZE
from server.app import create_app
from server.settings import Settings

TOKEN = "alice-token-0123456789"
WRITER = {"authorization": f"Bearer {TOKEN}"}
ARTICLE = base64.b64encode(b"Source:article").decode()
KIT = base64.b64encode(b"Actor:kit-connor").decode()
NICK = base64.b64encode(b"Character:nick-nelson").decode()

RENAME = """mutation($id: ID!, $name: String!, $note: String) {
  updateActor(input: {id: $id, fields: {name: $name}, sources: ["{ARTICLE}"], note: $note}) {
    graphVersion userErrors { field message } } }""".replace("{ARTICLE}", ARTICLE)
CREATE = """mutation($name: String!) {
  createActor(input: {fields: {name: $name}, sources: ["{ARTICLE}"]}) { node { id } } }""".replace(
    "{ARTICLE}", ARTICLE
)
LINK = """mutation($from: ID!, $to: ID!) {
  linkNodes(input: {from: $from, relation: PORTRAYS, to: $to, role: GUEST,
    sources: ["{ARTICLE}"], note: "a cameo"}) { graphVersion userErrors { message } } }""".replace(
    "{ARTICLE}", ARTICLE
)
FEED = """query($since: Int!, $first: Int, $after: String, $kinds: [NodeKind!], $ids: [ID!]) {
  changes(since: $since, first: $first, after: $after, kinds: $kinds, ids: $ids) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { graphVersion } } } }"""


class Api:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def raw(self, query: str, headers: dict[str, str] | None = None, **variables: Any) -> Any:
        body = {"query": query, "variables": variables}
        return self.client.post("/graphql", json=body, headers=headers or {}).json()

    def __call__(self, query: str, headers: dict[str, str] | None = None, **variables: Any) -> Any:
        body = self.raw(query, headers, **variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def errors(self, query: str, **variables: Any) -> list[str]:
        body = self.raw(query, **variables)
        assert body.get("errors"), body
        return [error["message"] for error in body["errors"]]


def open_api(**settings: Any) -> Iterator[Api]:
    configured = Settings().with_overrides(tokens=f"alice={TOKEN}", cache_bytes=0, **settings)
    with TestClient(create_app(configured, graph=load_graph())) as client:
        yield Api(client)


@pytest.fixture
def api() -> Iterator[Api]:
    yield from open_api()


def write_some(api: Api) -> None:
    """Six changes: renames of Kit Connor, two new actors, and a link."""
    for number in range(3):
        api(RENAME, WRITER, id=KIT, name=f"Kit {number}", note=f"rename {number}")
    for name in ("Jenny Walser", "Yasmin Finney"):
        api(CREATE, WRITER, name=name)
    api(LINK, WRITER, **{"from": KIT, "to": NICK})


def test_a_change_says_who_when_why_and_what_it_did(api: Api) -> None:
    api(RENAME, WRITER, id=KIT, name="Kit C.", note="his credited name")
    query = """{ changes(since: 0) { nodes { graphVersion writer at summary note
      clientMutationId changed { id kind } sources fields { id field old new }
      edges { from relation to change } } } }"""
    (change,) = api(query, WRITER)["changes"]["nodes"]
    assert change.pop("at").endswith("+00:00")
    assert change == {
        "graphVersion": 1,
        "writer": "alice",
        "summary": "update actor:kit-connor",
        "note": "his credited name",
        "clientMutationId": None,
        "changed": [{"id": KIT, "kind": "ACTOR"}],
        "sources": [ARTICLE],
        "fields": [{"id": KIT, "field": "name", "old": "Kit Connor", "new": "Kit C."}],
        "edges": [],
    }


def test_a_link_lists_the_edge_it_put(api: Api) -> None:
    api(LINK, WRITER, **{"from": KIT, "to": NICK})
    query = "{ changes(since: 0) { nodes { note edges { from relation to change } } } }"
    (change,) = api(query)["changes"]["nodes"]
    assert change == {
        "note": "a cameo",
        "edges": [{"from": KIT, "relation": "PORTRAYS", "to": NICK, "change": "CHANGED"}],
    }


def test_readers_without_a_token_do_not_see_who_wrote(api: Api) -> None:
    api(RENAME, WRITER, id=KIT, name="Kit C.")
    query = "{ changes(since: 0) { nodes { writer } } }"
    assert api(query)["changes"]["nodes"] == [{"writer": None}]
    assert api(query, WRITER)["changes"]["nodes"] == [{"writer": "alice"}]


def test_a_setting_shows_writers_to_everyone() -> None:
    for api in open_api(history_writers_public=True):
        api(RENAME, WRITER, id=KIT, name="Kit C.")
        assert api("{ changes(since: 0) { nodes { writer } } }")["changes"]["nodes"] == [
            {"writer": "alice"}
        ]


@pytest.mark.parametrize(
    "arguments",
    [{}, {"kinds": ["ACTOR"]}, {"kinds": ["CHARACTER"]}, {"ids": [KIT]}, {"ids": [NICK, KIT]}],
)
def test_the_feed_resumed_from_every_cursor_gives_each_change_exactly_once(
    api: Api, arguments: dict[str, Any]
) -> None:
    write_some(api)
    whole = api(FEED, since=0, first=MAX_PAGE_SIZE, **arguments)["changes"]
    versions = [edge["node"]["graphVersion"] for edge in whole["edges"]]
    assert versions == sorted(versions)
    assert whole["totalCount"] == len(versions)
    for index, edge in enumerate(whole["edges"]):
        rest: list[int] = []
        after = edge["cursor"]
        while True:
            page = api(FEED, since=0, first=2, after=after, **arguments)["changes"]
            rest += [e["node"]["graphVersion"] for e in page["edges"]]
            assert page["pageInfo"]["hasPreviousPage"]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert rest == versions[index + 1 :]
    # A client that remembers only the last version it saw resumes with `since`.
    assert [
        e["node"]["graphVersion"] for e in api(FEED, since=3, **arguments)["changes"]["edges"]
    ] == [v for v in versions if v > 3]


def test_the_feed_refuses_a_bad_cursor_and_a_negative_version(api: Api) -> None:
    assert api.errors(FEED, since=-1) == ["`since` is a graph version, 0 or more (got -1)"]
    assert api.errors(FEED, since=0, after="bm9wZQ==") == [
        "`after` is not a cursor of a list of changes: 'bm9wZQ=='"
    ]
    assert api.errors(FEED, since=0, first=MAX_PAGE_SIZE + 1)[0].startswith("`first` is limited")
    assert api.errors(FEED, since=0, ids=[KIT] * 101) == ["`ids` is limited to 100 ids (got 101)"]


def test_a_node_s_history_is_newest_first_and_pages(api: Api) -> None:
    write_some(api)
    query = """query($after: String) { node(id: "{KIT}") { ... on Actor {
      history(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
        nodes { graphVersion note } } } } }""".replace("{KIT}", KIT)
    first = api(query)["node"]["history"]
    assert first["totalCount"] == 4
    assert first["nodes"] == [
        {"graphVersion": 6, "note": "a cameo"},
        {"graphVersion": 3, "note": "rename 2"},
    ]
    second = api(query, after=first["pageInfo"]["endCursor"])["node"]["history"]
    assert [n["graphVersion"] for n in second["nodes"]] == [2, 1]
    assert not second["pageInfo"]["hasNextPage"]


def test_as_of_reads_any_query_from_the_graph_as_it_was(api: Api) -> None:
    write_some(api)
    query = """query($v: Int!) { graphVersion asOf(version: $v) { graphVersion
      actors { totalCount } node(id: "{KIT}") { ... on Actor { name history { totalCount } } } } }
    """.replace("{KIT}", KIT)
    expected = {0: ("Kit Connor", 6, 0), 2: ("Kit 1", 6, 2), 4: ("Kit 2", 7, 3), 6: ("Kit 2", 8, 4)}
    for version, (name, actors, edits) in expected.items():
        data = api(query, v=version)
        assert data["graphVersion"] == 6
        past = data["asOf"]
        assert past["graphVersion"] == version
        assert past["actors"]["totalCount"] == actors
        assert past["node"] == {"name": name, "history": {"totalCount": edits}}


def test_as_of_outside_the_history_or_nested_is_an_error_of_that_field(api: Api) -> None:
    write_some(api)
    assert api.errors("{ asOf(version: 7) { graphVersion } }") == [
        "version 7 is newer than the graph (version 6)"
    ]
    body = api.raw("{ graphVersion asOf(version: 1) { asOf(version: 0) { graphVersion } } }")
    assert body["data"] == {"graphVersion": 6, "asOf": {"asOf": None}}
    assert body["errors"][0]["message"] == (
        "`asOf` reads from the root of a query; it cannot be nested"
    )


def test_as_of_pays_the_cost_limit_like_any_query() -> None:
    for api in open_api(max_cost=20):
        body = api.raw(
            "{ asOf(version: 0) { actors(first: 100) { nodes { name "
            "coStars { nodes { name } } } } } }"
        )
        assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED", body
        assert "data" not in body


def test_a_note_is_checked_like_any_stored_text(api: Api) -> None:
    long = api(RENAME, WRITER, id=KIT, name="Kit", note="x" * 501)["updateActor"]
    assert long["userErrors"] == [
        {"field": ["input", "note"], "message": "note is 501 characters long; at most 500 are kept"}
    ]
    nul = api(RENAME, WRITER, id=KIT, name="Kit", note="a\x00b")["updateActor"]
    assert nul["userErrors"][0]["field"] == ["input", "note"]
    assert api("{ changes(since: 0) { totalCount } }")["changes"]["totalCount"] == 0


def test_subscription_events_are_the_feed_s_records(api: Api) -> None:
    fields = "graphVersion writer summary note changed { id kind } fields { id field old new }"
    with api.client.websocket_connect("/graphql", ["graphql-transport-ws"]) as socket:
        socket.send_json({"type": "connection_init"})
        assert socket.receive_json()["type"] == "connection_ack"
        socket.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": f"subscription {{ graphChanged {{ {fields} }} }}"},
            }
        )
        api.client.app.state.writes.hub.wait_for_listeners(1, timeout=10)  # type: ignore[attr-defined]
        api(RENAME, WRITER, id=KIT, name="Kit C.", note="seen twice")
        message = socket.receive_json()
    event = message["payload"]["data"]["graphChanged"]
    (record,) = api(f"{{ changes(since: 0) {{ nodes {{ {fields} }} }} }}")["changes"]["nodes"]
    assert event == record, json.dumps([event, record])


def test_the_cost_of_the_feed_counts_the_page_asked_for() -> None:
    for api in open_api(max_cost=100):
        write_some(api)
        small = api.raw("{ changes(since: 0, first: 2) { nodes { graphVersion summary } } }")
        assert "errors" not in small, small["errors"]
        assert small["extensions"]["cost"]["requested"] == 1 + 1 + 2 * 2
        big = api.raw("{ changes(since: 0, first: 60) { nodes { graphVersion summary } } }")
        assert big["errors"][0]["extensions"]["cost"] == 1 + 1 + 60 * 2


def test_a_query_reads_at_most_two_past_versions(api: Api) -> None:
    write_some(api)
    body = api.raw(
        "{ a: asOf(version: 1) { graphVersion } b: asOf(version: 2) { graphVersion } "
        "c: asOf(version: 1) { graphVersion } d: asOf(version: 3) { graphVersion } }"
    )
    assert body["data"] == {
        "a": {"graphVersion": 1},
        "b": {"graphVersion": 2},
        "c": {"graphVersion": 1},
        "d": None,
    }
    assert body["errors"][0]["message"].startswith("a query may read at most 2 past versions")
