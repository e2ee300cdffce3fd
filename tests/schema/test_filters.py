"""Name filters: case- and accent-insensitive, fields combined with AND."""

from __future__ import annotations

from tests.conftest import GraphQL

CHARACTERS = "query($where: CharacterWhere) { characters(where: $where) { nodes { name } } }"


def names(gql: GraphQL, where: dict[str, object]) -> list[str]:
    return [n["name"] for n in gql(CHARACTERS, where=where)["characters"]["nodes"]]


def test_eq_ignores_case_and_accents(gql: GraphQL) -> None:
    assert names(gql, {"name": {"eq": "ÉLLE"}}) == ["Elle"]


def test_eq_matches_full_names_and_aliases(gql: GraphQL) -> None:
    assert names(gql, {"name": {"eq": "tara jones"}}) == ["Tara"]
    assert names(gql, {"name": {"eq": "Charlie"}}) == ["Charlie Spring"]


def test_contains_and_in(gql: GraphQL) -> None:
    assert names(gql, {"name": {"contains": "NEL"}}) == ["Nick Nelson"]
    assert names(gql, {"name": {"in": ["tao", "darcy", "nobody"]}}) == ["Darcy", "Tao"]


def test_conditions_combine_with_and(gql: GraphQL) -> None:
    # "Elle Argent" contains an "a": each condition may match any of the names.
    assert names(gql, {"name": {"contains": "a", "in": ["Tara", "Tao", "Elle"]}}) == [
        "Elle",
        "Tao",
        "Tara",
    ]
    assert names(gql, {"name": {"eq": "Tara", "contains": "x"}}) == []


def test_empty_filter_returns_everything(gql: GraphQL) -> None:
    assert len(names(gql, {})) == 6
    assert len(names(gql, {"name": {}})) == 6


def test_actor_and_show_filters(gql: GraphQL) -> None:
    data = gql(
        '{ actors(where: {name: {contains: "gao"}}) { nodes { name } } '
        'shows(where: {name: {eq: "nope"}}) { totalCount } }'
    )
    assert data == {"actors": {"nodes": [{"name": "William Gao"}]}, "shows": {"totalCount": 0}}
