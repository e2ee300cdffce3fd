"""Actors, portrayals and co-stars: the actor-to-character link in one query."""

from __future__ import annotations

from tests.conftest import GraphQL


def test_which_episodes_and_scenes_did_an_actor_play_a_character_in(gql: GraphQL) -> None:
    data = gql("""{ actors(where: {name: {eq: "Kit Connor"}}) { nodes {
        name shows { name }
        portrayals { character { name } show { name } role episodeCount
          episodes { number title season { number } } scenes { kind summary } }
        characters { name } } } }""")
    (kit,) = data["actors"]["nodes"]
    assert kit["shows"] == [{"name": "Heartstopper"}]
    assert kit["characters"] == [{"name": "Nick Nelson"}]
    (portrayal,) = kit["portrayals"]
    assert portrayal["character"] == {"name": "Nick Nelson"}
    assert (portrayal["role"], portrayal["episodeCount"]) == ("MAIN", 1)
    assert portrayal["episodes"] == [{"number": 1, "title": "Out", "season": {"number": 2}}]
    assert [s["kind"] for s in portrayal["scenes"]] == ["SCENE", "STILL"]


def test_character_lists_its_actors(gql: GraphQL) -> None:
    data = gql("""{ characters(where: {name: {eq: "Elle"}}) { nodes {
        actors { name } portrayals { actor { name } character { name } } } } }""")
    (elle,) = data["characters"]["nodes"]
    assert elle["actors"] == [{"name": "Yasmin Finney"}]
    assert elle["portrayals"] == [
        {"actor": {"name": "Yasmin Finney"}, "character": {"name": "Elle"}}
    ]


def test_co_stars_rank_by_shared_episodes_then_scenes(gql: GraphQL) -> None:
    data = gql("""{ actors(where: {name: {eq: "Joe Locke"}}) { nodes {
        coStars(first: 3) { totalCount
          edges { sharedEpisodes sharedScenes node { name } } } } } }""")
    co_stars = data["actors"]["nodes"][0]["coStars"]
    assert co_stars["totalCount"] == 5
    assert co_stars["edges"] == [
        {"sharedEpisodes": 1, "sharedScenes": 2, "node": {"name": "Kit Connor"}},
        {"sharedEpisodes": 0, "sharedScenes": 0, "node": {"name": "Corinna Brown"}},
        {"sharedEpisodes": 0, "sharedScenes": 0, "node": {"name": "Kizzy Edgell"}},
    ]
    data = gql("""{ actors(where: {name: {eq: "Corinna Brown"}}) { nodes {
        coStars(first: 1) { edges { sharedScenes node { name } } } } } }""")
    assert data["actors"]["nodes"][0]["coStars"]["edges"] == [
        {"sharedScenes": 1, "node": {"name": "Kizzy Edgell"}}
    ]


def test_cast_of_a_show_pages_through_portrayals(gql: GraphQL) -> None:
    data = gql("""{ shows { nodes { cast(first: 2) { totalCount
        pageInfo { hasNextPage endCursor } nodes { actor { name } character { name } } } } } }""")
    cast = data["shows"]["nodes"][0]["cast"]
    assert cast["totalCount"] == 6
    assert cast["nodes"] == [
        {"actor": {"name": "Joe Locke"}, "character": {"name": "Charlie Spring"}},
        {"actor": {"name": "Kizzy Edgell"}, "character": {"name": "Darcy"}},
    ]
    after = cast["pageInfo"]["endCursor"]
    rest = gql(
        """query($after: String) { shows { nodes { cast(after: $after) {
        nodes { actor { name } } } } } }""",
        after=after,
    )
    assert [n["actor"]["name"] for n in rest["shows"]["nodes"][0]["cast"]["nodes"]] == [
        "Yasmin Finney",
        "Kit Connor",
        "William Gao",
        "Corinna Brown",
    ]  # by character name
