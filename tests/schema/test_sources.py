"""Sources of facts: per object, per field, and the errors for a wrong field name."""

from __future__ import annotations

from tests.conftest import GraphQL


def test_sources_is_the_union_of_record_and_field_sources(gql: GraphQL) -> None:
    data = gql('{ characters(where: {name: {eq: "Tao"}}) { nodes { sources { kind title } } } }')
    kinds = [s["kind"] for s in data["characters"]["nodes"][0]["sources"]]
    assert kinds == ["ARTICLE", "REFERENCE"]


def test_sources_of_an_unknown_field_lists_the_choices(gql: GraphQL) -> None:
    messages = gql.errors('{ actors(first: 1) { nodes { sourcesOf(field: "age") { kind } } } }')
    assert messages == [
        "`age` is not a field of Actor; choose one of: characters, coStars, episodes, name, "
        "portrayals, shows"
    ]


def test_a_source_describes_itself(gql: GraphQL) -> None:
    data = gql("{ sources { totalCount nodes { kind url publisher publishedOn } } }")
    assert data["sources"]["totalCount"] == 2
    reference = next(s for s in data["sources"]["nodes"] if s["kind"] == "REFERENCE")
    assert reference["url"] == "https://en.wikipedia.org/wiki/Heartstopper_(TV_series)"
