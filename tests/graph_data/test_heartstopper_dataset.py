"""Every fact of the built-in Heartstopper dataset, asked through GraphQL over HTTP.

Each test checks the value and where it comes from: ARTICLE for what the seed
article states, REFERENCE for widely documented facts it does not state.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQL

SOURCE = "sourcesOf(field: $field) { kind }"


def kinds(sources: list[dict[str, Any]]) -> list[str]:
    return [source["kind"] for source in sources]


def show(gql: GraphQL, selection: str) -> Any:
    data = gql(
        f'{{ shows(where: {{name: {{eq: "Heartstopper"}}}}) {{ nodes {{ {selection} }} }} }}'
    )
    (found,) = data["shows"]["nodes"]
    return found


def test_show_facts_come_from_the_article(gql: GraphQL) -> None:
    found = show(gql, "name genres network synopsis sources { kind title }")
    assert found["name"] == "Heartstopper"
    assert found["genres"] == ["Romantic comedy-drama", "LGBTQ"]
    assert found["network"] == "Netflix"
    assert found["synopsis"] == (
        "Teens Charlie and Nick discover their unlikely friendship might be something more "
        "as they navigate school and young love in this coming-of-age series."
    )
    for field in ("name", "genres", "network", "synopsis"):
        data = gql("query($field: String!) { shows { nodes { " + SOURCE + " } } }", field=field)
        assert kinds(data["shows"]["nodes"][0]["sourcesOf"]) == ["ARTICLE"], field


def test_based_on_the_graphic_novels_by_alice_oseman(gql: GraphQL) -> None:
    found = show(
        gql,
        """
        basedOn { title kind sources { kind } authors { name sources { kind } } }
        creators { name }
        bo: sourcesOf(field: "basedOn") { kind }
        cr: sourcesOf(field: "creators") { kind }
    """,
    )
    work = found["basedOn"]
    assert (work["title"], work["kind"]) == ("Heartstopper", "graphic novel series")
    assert kinds(work["sources"]) == ["ARTICLE"]
    assert [a["name"] for a in work["authors"]] == ["Alice Oseman"]
    assert kinds(work["authors"][0]["sources"]) == ["ARTICLE"]
    assert kinds(found["bo"]) == ["ARTICLE"]
    # That she also created the TV series is reference knowledge, not the article's.
    assert [c["name"] for c in found["creators"]] == ["Alice Oseman"]
    assert kinds(found["cr"]) == ["REFERENCE"]


SEASON = """
  number status premiereDate filmingStarted filmingEnded episodeCount releasedAllAtOnce
  viewership { hoursViewed label sources { kind } }
  episodes { number title releaseDate
    t: sourcesOf(field: "title") { kind } r: sourcesOf(field: "releaseDate") { kind } }
  st: sourcesOf(field: "status") { kind }
  pd: sourcesOf(field: "premiereDate") { kind }
  fs: sourcesOf(field: "filmingStarted") { kind }
  ec: sourcesOf(field: "episodeCount") { kind }
"""


def season(gql: GraphQL, number: int) -> Any:
    return show(gql, f"season(number: {number}) {{ {SEASON} }}")["season"]


def test_season_one(gql: GraphQL) -> None:
    found = season(gql, 1)
    assert (found["status"], found["premiereDate"], found["episodeCount"]) == (
        "RELEASED",
        "2022-04-22",
        8,
    )
    assert found["releasedAllAtOnce"] is True
    assert kinds(found["pd"]) == kinds(found["ec"]) == kinds(found["st"]) == ["ARTICLE"]
    assert [(v["hoursViewed"], v["label"], kinds(v["sources"])) for v in found["viewership"]] == [
        (14_550_000.0, "generated more than 14.55 million hours viewed", ["ARTICLE"]),
        (
            23_940_000.0,
            "the next week since its release saw even more viewership with "
            "23.94 million hours viewed",
            ["ARTICLE"],
        ),
    ]


def test_season_one_episode_titles_are_reference_knowledge(gql: GraphQL) -> None:
    episodes = season(gql, 1)["episodes"]
    assert [e["title"] for e in episodes] == [
        "Meet",
        "Crush",
        "Kiss",
        "Secret",
        "Friend",
        "Girls",
        "Bully",
        "Boyfriend",
    ]
    assert [e["number"] for e in episodes] == list(range(1, 9))
    assert all(kinds(e["t"]) == ["REFERENCE"] for e in episodes)
    # Released all at once on the premiere date: that much the article says.
    assert all(e["releaseDate"] == "2022-04-22" and kinds(e["r"]) == ["ARTICLE"] for e in episodes)


def test_season_two(gql: GraphQL) -> None:
    found = season(gql, 2)
    assert found["premiereDate"] == "2023-08-03"
    assert (found["filmingStarted"], found["filmingEnded"]) == ("2022-09", "2022-12")
    assert found["episodeCount"] == 8
    assert kinds(found["pd"]) == kinds(found["fs"]) == ["ARTICLE"]
    # The article predates the premiere; that it happened is reference knowledge.
    assert (found["status"], kinds(found["st"])) == ("RELEASED", ["REFERENCE"])


def test_season_two_episode_titles_in_order(gql: GraphQL) -> None:
    episodes = season(gql, 2)["episodes"]
    assert [(e["number"], e["title"]) for e in episodes] == [
        (1, "Out"),
        (2, "Family"),
        (3, "Promise"),
        (4, "Challenge"),
        (5, "Heat"),
        (6, "Truth/Dare"),
        (7, "Sorry"),
        (8, "Perfect"),
    ]
    assert all(kinds(e["t"]) == ["ARTICLE"] for e in episodes)
    assert all(kinds(e["r"]) == ["REFERENCE"] for e in episodes)


def test_season_three_is_in_development(gql: GraphQL) -> None:
    found = season(gql, 3)
    assert (found["status"], kinds(found["st"])) == ("IN_DEVELOPMENT", ["ARTICLE"])
    assert (found["premiereDate"], found["episodeCount"], found["episodes"]) == (None, None, [])


def test_opening_scene_of_season_two(gql: GraphQL) -> None:
    found = show(
        gql,
        """season(number: 2) { episode(number: 1) { scenes {
        kind order summary location sources { kind }
        characters { name } revealedAt { name location organizer description sources { kind } }
    } } }""",
    )
    (scene,) = found["season"]["episode"]["scenes"]
    assert (scene["kind"], scene["order"], scene["location"]) == ("SCENE", 1, None)
    assert scene["summary"].startswith(
        "During the first two minutes, Charlie and Nick are a happy couple who text each other"
    )
    assert scene["summary"].endswith("looking around for Nick, who surprises him from behind.")
    assert sorted(c["name"] for c in scene["characters"]) == ["Charlie Spring", "Nick Nelson"]
    assert kinds(scene["sources"]) == ["ARTICLE"]
    (event,) = scene["revealedAt"]
    assert event == {
        "name": "Tudum",
        "location": "Brazil",
        "organizer": "Netflix",
        "description": "Netflix's annual fan event",
        "sources": [{"kind": "ARTICLE"}],
    }


def test_three_stills_revealed_at_tudum(gql: GraphQL) -> None:
    found = show(
        gql,
        """season(number: 2) { stills {
        kind summary location characters { name } episode { number }
        sources { kind } revealedAt { name }
    } }""",
    )
    stills = {
        tuple(sorted(c["name"] for c in s["characters"])): s for s in found["season"]["stills"]
    }
    assert set(stills) == {("Charlie Spring", "Nick Nelson"), ("Darcy", "Tara"), ("Elle", "Tao")}
    assert stills[("Darcy", "Tara")]["location"] == "a balcony"
    assert stills[("Elle", "Tao")]["location"] == "the movie theatre"
    for still in stills.values():
        assert (still["kind"], still["episode"]) == ("STILL", None)
        assert kinds(still["sources"]) == ["ARTICLE"]
        assert still["revealedAt"] == [{"name": "Tudum"}]


CAST = [
    # actor, character, full name, full-name source, link source, role source
    ("Kit Connor", "Nick Nelson", "Nick Nelson", "ARTICLE", "REFERENCE", "ARTICLE"),
    ("Joe Locke", "Charlie Spring", "Charlie Spring", "ARTICLE", "REFERENCE", "ARTICLE"),
    ("Corinna Brown", "Tara", "Tara Jones", "REFERENCE", "ARTICLE", "REFERENCE"),
    ("Kizzy Edgell", "Darcy", "Darcy Olsson", "REFERENCE", "ARTICLE", "REFERENCE"),
    ("Yasmin Finney", "Elle", "Elle Argent", "REFERENCE", "ARTICLE", "REFERENCE"),
    ("William Gao", "Tao", "Tao Xu", "REFERENCE", "ARTICLE", "REFERENCE"),
]


@pytest.mark.parametrize(
    ("actor", "character", "full_name", "full_src", "link_src", "role_src"), CAST
)
def test_six_actors_and_their_portrayals(
    gql: GraphQL,
    actor: str,
    character: str,
    full_name: str,
    full_src: str,
    link_src: str,
    role_src: str,
) -> None:
    data = gql(
        """query($name: String!) { actors(where: {name: {eq: $name}}) { nodes {
        name sources { kind }
        portrayals { role show { name }
          link: sourcesOf(field: "character") { kind } r: sourcesOf(field: "role") { kind }
          character { name fullName sources { kind } n: sourcesOf(field: "name") { kind }
                      f: sourcesOf(field: "fullName") { kind } } }
    } } }""",
        name=actor,
    )
    (found,) = data["actors"]["nodes"]
    assert kinds(found["sources"]) == ["ARTICLE"]
    (portrayal,) = found["portrayals"]
    assert (portrayal["role"], portrayal["show"]["name"]) == ("MAIN", "Heartstopper")
    assert kinds(portrayal["link"]) == [link_src]
    assert kinds(portrayal["r"]) == [role_src]
    played = portrayal["character"]
    assert (played["name"], played["fullName"]) == (character, full_name)
    assert kinds(played["n"]) == ["ARTICLE"]
    assert kinds(played["f"]) == [full_src]


def test_there_are_exactly_six_characters_and_six_actors(gql: GraphQL) -> None:
    data = gql("{ actors { totalCount } characters { totalCount } }")
    assert data == {"actors": {"totalCount": 6}, "characters": {"totalCount": 6}}


def test_nick_and_charlie_are_a_couple(gql: GraphQL) -> None:
    data = gql("""{ characters(where: {name: {eq: "Nick Nelson"}}) { nodes {
        relationships { kind character { name } sources { kind } } } } }""")
    assert data["characters"]["nodes"][0]["relationships"] == [
        {
            "kind": "DATING",
            "character": {"name": "Charlie Spring"},
            "sources": [{"kind": "ARTICLE"}],
        }
    ]


def test_sources_are_described(gql: GraphQL) -> None:
    data = gql("{ sources { nodes { kind title url note } } }")
    by_kind = {s["kind"]: s for s in data["sources"]["nodes"]}
    assert set(by_kind) == {"ARTICLE", "REFERENCE"}
    assert "000_356b2295d440740a" in by_kind["ARTICLE"]["note"]
    assert "not stated in the article" in by_kind["REFERENCE"]["title"]
