"""Search, paths and neighbourhoods through GraphQL, on the built-in dataset."""

from __future__ import annotations

import base64

import pytest

from tests.conftest import GraphQL

SEARCH = """query($text: String!, $kinds: [NodeKind!], $first: Int) {
  search(text: $text, kinds: $kinds, first: $first) {
    score matched node { __typename id ... on Actor { name } ... on Character { name }
                         ... on Episode { title } } } }"""


def gid(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    ("text", "typename", "name", "matched"),
    [
        ("charlie", "Character", "Charlie Spring", "Charlie"),
        ("Kit Conor", "Actor", "Kit Connor", "Kit Connor"),
        ("tara jones", "Character", "Tara", "Tara Jones"),
        ("truth dare", "Episode", "Truth/Dare", "Truth/Dare"),
        ("ÉLLE", "Character", "Elle", "Elle"),
    ],
)
def test_search_ranks_the_intended_node_first(
    gql: GraphQL, text: str, typename: str, name: str, matched: str
) -> None:
    hits = gql(SEARCH, text=text)["search"]
    best = hits[0]
    assert best["node"]["__typename"] == typename
    assert best["node"].get("name", best["node"].get("title")) == name
    assert best["matched"] == matched
    assert 0 < best["score"] <= 1
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_search_by_kind_and_size(gql: GraphQL) -> None:
    hits = gql(SEARCH, text="heartstopper", kinds=["WORK"], first=5)["search"]
    assert [(h["node"]["__typename"], h["score"]) for h in hits] == [("Work", 1.0)]
    assert gql(SEARCH, text="zzzzqqq")["search"] == []


@pytest.mark.parametrize(
    ("text", "first", "message"),
    [
        ("   ", None, "`text`: search text must contain at least one letter or digit"),
        ("", None, "`text`: search text must contain at least one letter or digit"),
        (
            "nick",
            101,
            "`first` is limited to 100 items per page (got 101); page through with `after`",
        ),
    ],
)
def test_search_errors(gql: GraphQL, text: str, first: int | None, message: str) -> None:
    assert gql.errors(SEARCH, text=text, first=first) == [message]


PATH = """query($from: ID!, $to: ID!, $max: Int, $relations: [Relation!]) {
  path(from: $from, to: $to, maxLength: $max, relations: $relations) {
    via forward node { __typename ... on Actor { name } ... on Character { name }
      ... on Show { name } ... on Scene { summary } ... on Season { number } } } }"""


def test_shortest_path_from_an_actor_to_a_character(gql: GraphQL) -> None:
    steps = gql(PATH, **{"from": gid("Actor:kit-connor"), "to": gid("Character:tara-jones")})[
        "path"
    ]
    assert steps == [
        {"via": None, "forward": None, "node": {"__typename": "Actor", "name": "Kit Connor"}},
        {
            "via": "PORTRAYS",
            "forward": True,
            "node": {"__typename": "Character", "name": "Nick Nelson"},
        },
        {
            "via": "HAS_CHARACTER",
            "forward": False,
            "node": {"__typename": "Show", "name": "Heartstopper"},
        },
        {
            "via": "HAS_CHARACTER",
            "forward": True,
            "node": {"__typename": "Character", "name": "Tara"},
        },
    ]


def test_path_through_scenes_only(gql: GraphQL) -> None:
    steps = gql(
        PATH,
        **{
            "from": gid("Actor:kit-connor"),
            "to": gid("Character:tara-jones"),
            "relations": ["PORTRAYS", "APPEARS_IN", "REVEALED"],
        },
    )["path"]
    assert [s["via"] for s in steps] == [
        None,
        "PORTRAYS",
        "APPEARS_IN",
        "REVEALED",
        "REVEALED",
        "APPEARS_IN",
    ]
    assert steps[-1]["node"] == {"__typename": "Character", "name": "Tara"}


def test_no_path_within_max_length_is_null(gql: GraphQL) -> None:
    found = gql(
        PATH, **{"from": gid("Actor:kit-connor"), "to": gid("Character:tara-jones"), "max": 2}
    )
    assert found == {"path": None}


def test_path_errors(gql: GraphQL) -> None:
    ends = {"from": gid("Actor:kit-connor"), "to": gid("Character:tara-jones")}
    assert gql.errors(PATH, **ends, max=11) == ["`maxLength` must be between 1 and 10 (got 11)"]
    assert gql.errors(PATH, **{**ends, "to": gid("Character:nobody")}) == [
        f"`to`: no node has the id '{gid('Character:nobody')}'"
    ]


NEIGHBORHOOD = """query($id: ID!, $depth: Int!, $kinds: [NodeKind!], $first: Int, $after: String) {
  neighborhood(id: $id, depth: $depth, kinds: $kinds, first: $first, after: $after) {
    center { id } totalCount truncated pageInfo { hasNextPage endCursor }
    nodes { distance node { id } }
    edges { relation source { id } target { id } sources { kind } } } }"""


def test_neighborhood_of_an_actor(gql: GraphQL) -> None:
    found = gql(NEIGHBORHOOD, id=gid("Actor:kit-connor"), depth=1)["neighborhood"]
    assert found["totalCount"] == 2
    assert found["truncated"] is False
    assert [(n["distance"], n["node"]["id"]) for n in found["nodes"]] == [
        (0, gid("Actor:kit-connor")),
        (1, gid("Character:nick-nelson")),
    ]
    assert found["edges"] == [
        {
            "relation": "PORTRAYS",
            "source": {"id": gid("Actor:kit-connor")},
            "target": {"id": gid("Character:nick-nelson")},
            "sources": [{"kind": "REFERENCE"}],
        }
    ]


def test_neighborhood_pages_give_each_node_and_edge_once(gql: GraphQL) -> None:
    whole = gql(NEIGHBORHOOD, id=gid("Character:nick-nelson"), depth=2, first=100)["neighborhood"]
    nodes, edges, after = [], [], None
    while True:
        page = gql(NEIGHBORHOOD, id=gid("Character:nick-nelson"), depth=2, first=3, after=after)[
            "neighborhood"
        ]
        nodes += page["nodes"]
        edges += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert nodes == whole["nodes"]
    assert len(nodes) == whole["totalCount"] > 3
    key = lambda e: (e["source"]["id"], e["relation"], e["target"]["id"])  # noqa: E731
    assert sorted(map(key, edges)) == sorted(map(key, whole["edges"]))
    assert len(set(map(key, edges))) == len(edges)


def test_neighborhood_restricted_to_kinds(gql: GraphQL) -> None:
    found = gql(NEIGHBORHOOD, id=gid("Actor:kit-connor"), depth=3, kinds=["CHARACTER", "ACTOR"])[
        "neighborhood"
    ]
    assert [n["node"]["id"] for n in found["nodes"]] == [
        gid("Actor:kit-connor"),
        gid("Character:nick-nelson"),
        gid("Character:charlie-spring"),
        gid("Actor:joe-locke"),
    ]


def test_neighborhood_errors(gql: GraphQL) -> None:
    assert gql.errors(NEIGHBORHOOD, id=gid("Actor:kit-connor"), depth=4) == [
        "`depth` must be between 1 and 3 (got 4)"
    ]
    assert gql.errors(NEIGHBORHOOD, id=gid("Actor:kit-connor"), depth=1, first=101) == [
        "`first` is limited to 100 items per page (got 101); page through with `after`"
    ]
