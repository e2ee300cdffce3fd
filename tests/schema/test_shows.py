"""Shows, their works and creators, and the counts people ask for."""

from __future__ import annotations

from tests.conftest import GraphQL


def test_show_counts(gql: GraphQL) -> None:
    data = gql("{ shows { nodes { counts { seasons episodes characters actors } } } }")
    assert data["shows"]["nodes"][0]["counts"] == {
        "seasons": 3,
        "episodes": 16,
        "characters": 6,
        "actors": 6,
    }


def test_show_episodes_connection(gql: GraphQL) -> None:
    data = gql("""{ shows { nodes { episodes(first: 2, where: {season: {number: {eq: 2}}}) {
        totalCount nodes { number title } } } } }""")
    assert data["shows"]["nodes"][0]["episodes"] == {
        "totalCount": 8,
        "nodes": [{"number": 1, "title": "Out"}, {"number": 2, "title": "Family"}],
    }


def test_work_and_creator_link_both_ways(gql: GraphQL) -> None:
    data = gql("""{ shows { nodes { basedOn { adaptations { name } }
        creators { works { title } shows { name } } } } }""")
    show = data["shows"]["nodes"][0]
    assert show["basedOn"]["adaptations"] == [{"name": "Heartstopper"}]
    assert show["creators"] == [
        {"works": [{"title": "Heartstopper"}], "shows": [{"name": "Heartstopper"}]}
    ]
