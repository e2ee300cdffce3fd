"""TVmaze's show JSON as an import format (a reader only).

Reads what ``https://api.tvmaze.com/shows/:id?embed[]=episodes&embed[]=cast``
returns, from a file the user downloaded (nothing is fetched here), and turns
it into a ``showgraph/1`` dataset mapping, checked by ``graph_data.loader``
like any dataset file:

- the show: ``name``, ``genres``, ``network.name`` (or ``webChannel.name``),
  ``summary`` as the synopsis with its HTML removed;
- a season per ``season`` number of ``_embedded.episodes``, with the earliest
  ``airdate`` as its premiere date (season 1 falls back on ``premiered``), its
  episode count, and status RELEASED once an episode has aired (ANNOUNCED before);
- an episode per entry: ``number``, ``name`` as its title (null, or TVmaze's
  placeholder "TBA", stays unknown),
  ``airdate`` as its release date; specials without a number are left out,
  since an episode of this graph has a number;
- a character and an actor per ``_embedded.cast`` entry (``character`` and
  ``person``), with a MAIN portrayal: TVmaze's cast is the main cast;
- every fact cites one REFERENCE source naming TVmaze and the show's URL.

Ids are made from names (``heartstopper``, ``heartstopper-s1e2``,
``nick-nelson``), as the built-in dataset writes them, so importing a show's
TVmaze file into a graph that already holds the show updates the same nodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeGuard

from graph_data.formats.common import ExchangeError, read_json_file
from graph_data.loader import DatasetError, Problem, load_data
from graph_data.model import ShowGraph
from graph_data.reading import short
from graph_data.records import FORMAT

_SLUG = re.compile(r"[^a-z0-9]+")
_PLACEHOLDERS = frozenset({"TBA", "TBD"})  # what TVmaze writes for a title not yet known


def looks_like(raw: Any) -> bool:
    """True for TVmaze's show JSON with embedded episodes (how ``read_graph`` tells it)."""
    embedded = raw.get("_embedded") if isinstance(raw, dict) else None
    return isinstance(embedded, dict) and "episodes" in embedded and "name" in raw


def read(path: Path, raw: Any = None, *, today: date | None = None) -> ShowGraph:
    """The checked graph of a TVmaze show file; ``ExchangeError`` lists what does not fit.

    ``today`` decides which seasons have aired (default: today's date).
    """
    name = str(path)
    raw = read_json_file(path) if raw is None else raw
    problems: list[Problem] = []
    data = to_dataset(raw, name, problems, today or date.today())
    if problems:
        raise ExchangeError(problems, name)
    try:
        return ShowGraph.from_dataset(load_data(data, f"{name} (read as a dataset)"))
    except DatasetError as error:
        raise ExchangeError(error.problems, name) from None


def strip_html(text: str) -> str:
    """The text of an HTML fragment, entities decoded and white space collapsed."""
    parser = _Text()
    parser.feed(text)
    parser.close()
    return " ".join("".join(parser.parts).split())


class _Text(HTMLParser):
    """Collects the text of an HTML fragment; block tags separate words, scripts are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0  # inside <script> or <style>

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self.hidden += 1
        elif tag in {"p", "br", "li", "div"}:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self.hidden:
            self.hidden -= 1


def slug(text: str) -> str:
    """An id from a name: lower case, runs of other characters as one '-'."""
    return _SLUG.sub("-", text.lower()).strip("-")


def to_dataset(raw: Any, name: str, problems: list[Problem], today: date) -> dict[str, Any]:
    """The dataset mapping of TVmaze's JSON; what does not fit goes to ``problems``."""

    def bad(record: str, where: str, message: str) -> None:
        problems.append(Problem(name, record, where, message))

    if not isinstance(raw, dict):
        bad("(file)", "-", "expected TVmaze's show JSON: an object with 'name' and '_embedded'")
        return {}
    show_name = _text(raw.get("name"))
    if show_name is None:
        bad("(show)", "name", f"a show needs its name (got {short(raw.get('name'))})")
        return {}
    show_id = slug(show_name) or f"tvmaze-{raw.get('id')}"
    url = _text(raw.get("url"))
    source_id = f"tvmaze-{slug(str(raw.get('id', show_id))) or show_id}"
    source = {
        "id": source_id,
        "kind": "REFERENCE",
        "title": f"TVmaze: {show_name}",
        "publisher": "TVmaze",
        "note": f"Imported from TVmaze's show JSON (show {raw.get('id')}); HTML removed "
        "from the summary.",
    }
    if url:
        source["url"] = url
    cite = [source_id]
    show: dict[str, Any] = {"id": show_id, "name": show_name, "sources": cite}
    genres = raw.get("genres")
    if isinstance(genres, list) and all(isinstance(g, str) for g in genres):
        show["genres"] = [g for g in genres if g.strip()]
    elif genres is not None:
        bad("(show)", "genres", "must be a list of strings")
    for channel in ("network", "webChannel"):
        found = raw.get(channel)
        if isinstance(found, dict) and _text(found.get("name")):
            show["network"] = _text(found.get("name"))
            break
    summary = _text(raw.get("summary"))
    if summary:
        show["synopsis"] = strip_html(summary)
    embedded = raw.get("_embedded")
    if not isinstance(embedded, dict):
        bad("(show)", "_embedded", "missing: download the show with ?embed[]=episodes&embed[]=cast")
        embedded = {}
    seasons, episodes = _episodes(embedded.get("episodes"), show_id, cite, bad)
    if 1 in seasons and "premiereDate" not in seasons[1] and _date(raw.get("premiered")):
        seasons[1]["premiereDate"] = _date(raw.get("premiered"))
    for season in seasons.values():
        aired = any(
            e["season"] == season["id"] and e.get("releaseDate", "9999") <= today.isoformat()
            for e in episodes
        )
        season["status"] = "RELEASED" if aired else "ANNOUNCED"
    characters, actors, portrayals = _cast(embedded.get("cast"), show_id, cite, bad)
    return {
        "format": FORMAT,
        "sources": [source],
        "shows": [show],
        "seasons": list(seasons.values()),
        "episodes": episodes,
        "characters": characters,
        "actors": actors,
        "portrayals": portrayals,
    }


def _episodes(
    items: Any, show_id: str, cite: list[str], bad: Any
) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    seasons: dict[int, dict[str, Any]] = {}
    episodes: list[dict[str, Any]] = []
    if not isinstance(items, list):
        bad("_embedded", "episodes", "must be the list of the show's episodes")
        return seasons, episodes
    for index, item in enumerate(items):
        label = f"_embedded.episodes[{index}]"
        if not isinstance(item, dict):
            bad(label, "-", "an episode must be an object")
            continue
        season, number = item.get("season"), item.get("number")
        if not _count(season):
            bad(label, "season", f"must be a season number (got {short(season)})")
            continue
        if number is None:
            continue  # a special without a number: this graph numbers its episodes
        if not _count(number):
            bad(label, "number", f"must be an episode number (got {short(number)})")
            continue
        season_id = f"{show_id}-s{season}"
        record = seasons.setdefault(
            season,
            {
                "id": season_id,
                "show": show_id,
                "number": season,
                "episodeCount": 0,
                "sources": cite,
            },
        )
        record["episodeCount"] += 1
        episode: dict[str, Any] = {
            "id": f"{show_id}-s{season}e{number}",
            "season": season_id,
            "number": number,
            "sources": cite,
        }
        title = _text(item.get("name"))
        if title and title.upper() not in _PLACEHOLDERS:
            episode["title"] = title
        aired = _date(item.get("airdate"))
        if aired:
            episode["releaseDate"] = aired
            if aired < record.get("premiereDate", "9999"):
                record["premiereDate"] = aired
        episodes.append(episode)
    return dict(sorted(seasons.items())), episodes


def _cast(
    items: Any, show_id: str, cite: list[str], bad: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    characters: dict[str, dict[str, Any]] = {}
    actors: dict[str, dict[str, Any]] = {}
    portrayals: list[dict[str, Any]] = []
    for index, item in enumerate(items if isinstance(items, list) else ()):
        label = f"_embedded.cast[{index}]"
        pair = _pair(item)
        if pair is None:
            bad(label, "-", "a cast entry has a 'person' and a 'character', each with a name")
            continue
        (person_id, person), (character_id, character) = pair
        actor = _unique(actors, slug(person) or f"person-{person_id}", person_id)
        actors.setdefault(
            actor, {"id": actor, "name": person, "sources": cite, "_tvmaze": person_id}
        )
        role = _unique(characters, slug(character) or f"character-{character_id}", character_id)
        characters.setdefault(
            role,
            {
                "id": role,
                "show": show_id,
                "name": character,
                "sources": cite,
                "_tvmaze": character_id,
            },
        )
        portrayals.append({"actor": actor, "character": role, "role": "MAIN", "sources": cite})
    unique = {(p["actor"], p["character"]): p for p in portrayals}
    return list(_plain(characters)), list(_plain(actors)), list(unique.values())


def _pair(item: Any) -> tuple[tuple[Any, str], tuple[Any, str]] | None:
    if not isinstance(item, dict):
        return None
    person, character = item.get("person"), item.get("character")
    if not isinstance(person, dict) or not isinstance(character, dict):
        return None
    person_name, character_name = _text(person.get("name")), _text(character.get("name"))
    if person_name is None or character_name is None:
        return None
    return (person.get("id"), person_name), (character.get("id"), character_name)


def _unique(taken: dict[str, dict[str, Any]], base: str, tvmaze_id: Any) -> str:
    """``base``, unless another TVmaze person or character has it: then ``base-<its id>``."""
    found = taken.get(base)
    if found is None or found["_tvmaze"] == tvmaze_id:
        return base
    return f"{base}-{slug(str(tvmaze_id))}"


def _plain(records: dict[str, dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for record in records.values():
        yield {key: value for key, value in record.items() if key != "_tvmaze"}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _date(value: Any) -> str | None:
    """An ISO date as TVmaze writes it; "" (TVmaze's "not known") is None."""
    return value if isinstance(value, str) and value else None


def _count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
