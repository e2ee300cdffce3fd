"""Seasons, episodes and scenes: lookups by number and the counts per season."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.conftest import GraphQL

TVMAZE_FILE = Path(__file__).parents[1] / "graph_data/formats/data/tvmaze-harbour-lights.json"


def test_season_counts_and_characters(gql: GraphQL) -> None:
    data = gql("""{ shows { nodes {
        s2: season(number: 2) { episodeCount counts { episodes characters stills }
                                characters { name } }
        s3: season(number: 3) { counts { episodes characters stills } }
        missing: season(number: 9) { number } } } }""")
    show = data["shows"]["nodes"][0]
    assert show["s2"]["episodeCount"] == 8
    assert show["s2"]["counts"] == {"episodes": 8, "characters": 6, "stills": 3}
    assert [c["name"] for c in show["s2"]["characters"]] == [
        "Charlie Spring",
        "Darcy",
        "Elle",
        "Nick Nelson",
        "Tao",
        "Tara",
    ]
    assert show["s3"]["counts"] == {"episodes": 0, "characters": 0, "stills": 0}
    assert show["missing"] is None


def test_episode_lookup_and_its_parents(gql: GraphQL) -> None:
    data = gql("""{ shows { nodes { season(number: 1) { episode(number: 3) {
        title season { number } show { name } characters { name } } } } } }""")
    episode = data["shows"]["nodes"][0]["season"]["episode"]
    assert episode == {
        "title": "Kiss",
        "season": {"number": 1},
        "show": {"name": "Heartstopper"},
        "characters": [],
    }


def test_scene_knows_its_episode_and_season(gql: GraphQL) -> None:
    data = gql("""{ episodes(where: {title: {eq: "Out"}}) { nodes { scenes {
        episode { title } season { number } order } } } }""")
    assert data["episodes"]["nodes"][0]["scenes"] == [
        {"episode": {"title": "Out"}, "season": {"number": 2}, "order": 1}
    ]


def test_an_episode_without_a_known_title() -> None:
    from starlette.testclient import TestClient

    from graph_data.formats import tvmaze
    from server.app import create_app

    graph = tvmaze.read(TVMAZE_FILE, today=date(2024, 6, 1))
    with TestClient(create_app(graph=graph)) as client:
        data = GraphQL(client)("""{ shows { nodes { season(number: 1) { episodes {
            number title knownTitle sourcesOf(field: "title") { kind } } } } } }""")
    episodes = data["shows"]["nodes"][0]["season"]["episodes"]
    assert episodes == [
        {
            "number": 1,
            "title": "First Light",
            "knownTitle": "First Light",
            "sourcesOf": [{"kind": "REFERENCE"}],
        },
        # The contract keeps `title` non-null: a label; `knownTitle` says it is unknown.
        {
            "number": 2,
            "title": "Episode 2",
            "knownTitle": None,
            "sourcesOf": [{"kind": "REFERENCE"}],
        },
    ]
