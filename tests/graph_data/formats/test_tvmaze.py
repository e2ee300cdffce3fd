"""TVmaze's show JSON as an import format, from a small file written in TVmaze's shape."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from graph_data.formats import ExchangeError, read_graph, tvmaze
from graph_data.kinds import NodeKind, Relation, SourceKind
from graph_data.model import ShowGraph

SHOW_FILE = Path(__file__).parent / "data" / "tvmaze-harbour-lights.json"
SOURCE = "source:tvmaze-99999"


@pytest.fixture(scope="module")
def graph() -> ShowGraph:
    return tvmaze.read(SHOW_FILE, today=date(2024, 6, 1))


def raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SHOW_FILE.read_text(encoding="utf-8"))
    return data


def test_the_show_and_its_facts(graph: ShowGraph) -> None:
    show = graph.require("show:harbour-lights").data
    assert (show.name, show.genres, show.network) == (
        "Harbour Lights",
        ("Drama", "Mystery"),
        "Example Stream",  # the webChannel, as there is no network
    )
    assert show.synopsis == (
        "Harbour Lights follows two siblings who keep a lighthouse running & its secrets "
        "hidden. Invented for showgraph's tests."
    )


def test_seasons_and_episodes(graph: ShowGraph) -> None:
    first, second = graph.seasons("show:harbour-lights")
    assert (first.data.number, first.data.status.value, str(first.data.premiere_date)) == (
        1,
        "RELEASED",
        "2024-04-12",
    )
    assert (second.data.status.value, second.data.premiere_date) == ("ANNOUNCED", None)
    assert first.data.episode_count == 2  # the special, without a number, is left out
    episodes = {e.key: e.data for e in graph.nodes_of(NodeKind.EPISODE)}
    assert sorted(episodes) == [
        "episode:harbour-lights-s1e1",
        "episode:harbour-lights-s1e2",
        "episode:harbour-lights-s2e1",
    ]
    assert episodes["episode:harbour-lights-s1e1"].title == "First Light"
    assert episodes["episode:harbour-lights-s1e2"].title is None  # TVmaze's null
    assert episodes["episode:harbour-lights-s2e1"].title is None  # TVmaze's "TBA"
    assert episodes["episode:harbour-lights-s2e1"].release_date is None  # airdate ""


def test_cast_becomes_characters_actors_and_portrayals(graph: ShowGraph) -> None:
    portrayals = sorted(
        (u, v, attrs["role"])
        for u, v, relation, attrs in graph.graph.edges(keys=True, data=True)
        if relation == Relation.PORTRAYS
    )
    assert portrayals == [
        ("actor:ana-other", "character:the-keeper-604", "MAIN"),  # two "The Keeper"s
        ("actor:jo-example", "character:mira-quay", "MAIN"),
        ("actor:sam-sample", "character:the-keeper", "MAIN"),  # one actor, two characters
        ("actor:sam-sample", "character:tom-quay", "MAIN"),
    ]
    assert {c.key for c in graph.show_characters("show:harbour-lights")} == {
        "character:mira-quay",
        "character:tom-quay",
        "character:the-keeper",
        "character:the-keeper-604",
    }


def test_every_fact_cites_tvmaze_and_the_show_url(graph: ShowGraph) -> None:
    source = graph.require(SOURCE).data
    assert (source.kind, source.publisher, source.url) == (
        SourceKind.REFERENCE,
        "TVmaze",
        "https://www.tvmaze.com/shows/99999/harbour-lights",
    )
    assert "TVmaze" in source.title
    for key in graph.graph.nodes:
        assert graph.require(key).sources == (SOURCE,)
    for _, _, attrs in graph.graph.edges(data=True):
        assert tuple(attrs["sources"]) == (SOURCE,)


def test_read_graph_tells_tvmaze_json_from_its_content(tmp_path: Path) -> None:
    copied = tmp_path / "show.json"
    copied.write_text(SHOW_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    assert read_graph(copied).node("show:harbour-lights") is not None
    assert read_graph(copied, "tvmaze").node("show:harbour-lights") is not None


def test_html_is_stripped_to_its_text() -> None:
    assert tvmaze.strip_html("<p>A <b>bold</b>&nbsp;move</p><p>Next&amp;last</p>") == (
        "A bold move Next&last"
    )
    assert tvmaze.strip_html("<script>alert(1)</script>plain <style>p {}</style>text") == (
        "plain text"
    )


def broken(tmp_path: Path, change: Any) -> list[tuple[str, str]]:
    data = raw()
    change(data)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ExchangeError) as caught:
        tvmaze.read(path)
    return [(p.record, p.field) for p in caught.value.problems]


def test_a_show_without_a_name_is_refused(tmp_path: Path) -> None:
    assert broken(tmp_path, lambda d: d.update(name="  ")) == [("(show)", "name")]


def test_bad_episodes_and_cast_entries_are_each_named(tmp_path: Path) -> None:
    def spoil(data: dict[str, Any]) -> None:
        episodes = data["_embedded"]["episodes"]
        episodes[0]["season"] = "one"
        episodes[1]["number"] = -2
        episodes.append("not an episode")
        data["_embedded"]["cast"][0]["person"] = None

    assert broken(tmp_path, spoil) == [
        ("_embedded.episodes[0]", "season"),
        ("_embedded.episodes[1]", "number"),
        ("_embedded.episodes[4]", "-"),
        ("_embedded.cast[0]", "-"),
    ]


def test_a_file_without_embedded_episodes_says_how_to_download_it(tmp_path: Path) -> None:
    problems = broken(tmp_path, lambda d: d.pop("_embedded"))
    assert problems == [("(show)", "_embedded"), ("_embedded", "episodes")]


def test_an_impossible_airdate_is_caught_by_the_dataset_checks(tmp_path: Path) -> None:
    def spoil(data: dict[str, Any]) -> None:
        data["_embedded"]["episodes"][0]["airdate"] = "2024-13-40"

    [(record, field)] = broken(tmp_path, spoil)
    assert (record.split(" ")[0], field) == ("episodes[0]", "releaseDate")


def test_not_a_show_at_all(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ExchangeError, match="expected TVmaze's show JSON"):
        tvmaze.read(path)
    assert copy.deepcopy(raw())["_embedded"]  # the sample itself is untouched
