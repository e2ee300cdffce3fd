"""Characters: their episodes, scenes, actors and counts."""

from __future__ import annotations

from tests.conftest import GraphQL


def test_character_counts_and_episodes(gql: GraphQL) -> None:
    data = gql("""{ characters(where: {name: {eq: "Charlie"}}) { nodes {
        counts { episodes scenes actors }
        episodes(where: {number: {eq: 1}}) { title }
        scenes { kind } show { name } } } }""")
    charlie = data["characters"]["nodes"][0]
    assert charlie["counts"] == {"episodes": 1, "scenes": 2, "actors": 1}
    assert charlie["episodes"] == [{"title": "Out"}]
    assert [s["kind"] for s in charlie["scenes"]] == ["SCENE", "STILL"]
    assert charlie["show"] == {"name": "Heartstopper"}


def test_relationships_read_from_both_ends(gql: GraphQL) -> None:
    data = gql("""{ characters(where: {name: {in: ["Charlie", "Darcy"]}}) { nodes {
        name relationships { kind character { name } } } } }""")
    assert data["characters"]["nodes"] == [
        {
            "name": "Charlie Spring",
            "relationships": [{"kind": "DATING", "character": {"name": "Nick Nelson"}}],
        },
        {"name": "Darcy", "relationships": [{"kind": "DATING", "character": {"name": "Tara"}}]},
    ]
