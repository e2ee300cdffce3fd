"""Synthetic datasets in the real format, for load tests and benchmarks.

``generate(shows, seed)`` returns a mapping that ``graph_data.loader`` accepts
as it is (``format: showgraph/1``, one list per section), shaped like real TV
data rather than like a uniform random graph, because the costs we want to
measure depend on the shape:

- a few global sources (an article, reference knowledge) and one episode guide
  per show, cited by that show's records; full names cite reference knowledge
  through ``fieldSources``, as in the built-in dataset;
- creators (some create several shows) and works that some shows adapt;
- seasons per show, the first ones released with 6-12 episodes, the last ones
  possibly filming, announced or in development, with stills revealed at an
  event;
- scenes of 2-5 characters; a main cast of 6-15 characters (MAIN portrayals,
  no explicit episode list, present in most episodes), recurring and guest
  characters (RECURRING / GUEST portrayals listing their episodes), a few
  recast characters (two MAIN portrayals splitting the episodes), actors who
  appear in several shows, relationships, aliases, and episode-level
  ``appearances`` for characters seen without a recorded scene.

Output depends only on ``shows``, ``seed`` and ``shape`` (one ``random.Random``,
no set iteration), so a seed names a dataset. ``shows_for_nodes`` picks the
number of shows for a target node count; ``count_graph`` predicts the node and
edge counts of the graph the dataset builds, without building it.

``generate_nodes`` aims at a node count instead: shows until there are
enough, then the last scenes dropped to land on it.

Command line: ``showgraph generate --nodes N | --shows N [--seed S] --output PATH``
(its arguments are parsed in ``server.cli``).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from graph_data.records import FORMAT, LINK_SECTIONS, NODE_SECTIONS

Record = dict[str, Any]

NODES_PER_SHOW = 680.0
"""Mean nodes one show adds with the default ``Shape`` (measured over 400 shows, seeds 0-3).

``shows_for_nodes`` divides by it; a test keeps it honest, so re-measure it
(``count_graph(generate(400))[0] / 400``) after changing ``Shape``.
"""

GLOBAL_SOURCES = 2  # the article and the reference source, shared by every show


@dataclass(frozen=True, slots=True)
class Shape:
    """The knobs of the generated data; ranges are inclusive ``(low, high)``."""

    seasons: tuple[int, int] = (2, 6)
    unreleased_seasons: tuple[int, int] = (0, 2)  # at the end; never all of them
    episodes: tuple[int, int] = (6, 12)  # per released season
    scenes: tuple[int, int] = (12, 30)  # per episode
    scene_sizes: tuple[int, ...] = (2, 3, 4, 5, 5, 5, 5, 5)  # drawn uniformly: mean 4.25
    main_cast: tuple[int, int] = (6, 15)
    main_presence: float = 0.85  # chance a main character is in a given episode
    recurring: tuple[int, int] = (4, 12)  # per show
    recurring_episodes: tuple[int, int] = (3, 8)
    guests: tuple[int, int] = (2, 6)  # per released season
    guest_episodes: tuple[int, int] = (1, 2)
    off_scene: float = 0.12  # chance a present character is seen only as an appearance
    appearances: bool = True  # False: no episode-level appearances; everyone is in a scene
    shared_actor: float = 0.12  # chance a role goes to an actor from another show
    recast: float = 0.04  # chance a main character is recast for the last released season
    based_on: float = 0.4  # chance a show adapts a work
    reused_work: float = 0.15  # of those, chance the work was already adapted
    reused_creator: float = 0.3  # chance a show's creator already created another show
    relationships: tuple[int, int] = (3, 10)  # per show
    aliases: float = 0.3  # chance a character has aliases
    full_name_from_reference: float = 0.6  # chance a fullName cites the reference source


# --- vocabulary ------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST = _words(
    "Ada Alex Amara Ana Ben Bea Caleb Chloe Dara Dev Eli Ella Elle Emil Eva Finn Freya Gabe "
    "Gia Hana Hugo Ida Imran Isla Jae Jade Jonah Juno Kai Kara Kit Lena Leo Lior Luca Lux Maya "
    "Mei Milo Mina Nadia Nico Noor Ola Omar Otto Pia Priya Quinn Rafe Rhea Rosa Ruben Sami "
    "Sana Theo Tara Tao Una Uri Vera Vik Wren Xan Yara Yusuf Zara Zed Nick Charlie Darcy Isaac "
    "Imogen Ben Tori Aled Frances Georgia Harry Joel Kemi Lotte Marek Nell Oskar Petra"
)
_LAST = _words(
    "Abara Adeyemi Alvarez Andersen Argent Baker Bauer Bianchi Brennan Castillo Chen Costa "
    "Dahl Diaz Dubois Ekwueme Engel Farrow Fischer Fontaine Garcia Greene Haddad Hale Hughes "
    "Ivanova Jensen Jones Kaur Kowalski Kruger Larsen Laurent Lindqvist Lopez Mahmoud Martin "
    "Meyer Moreau Nakamura Nelson Novak Nowak Okafor Olsson Ortiz Park Patel Petrov Quinn "
    "Ramos Reyes Rossi Sato Schmidt Silva Singh Spring Suzuki Tanaka Torres Umar Varga Vance "
    "Walsh Weber Xu Yamada Yilmaz Young Zhang Zielinski"
)
_NICKNAMES = _words("Ace Bee Bug Chip Doc Duke Fox Ginger Jinx Kid Moss Pip Red Scout Sunny Tig")
_ADJECTIVES = _words(
    "Silent Golden Broken Hidden Electric Northern Quiet Wild Last Crimson Paper Glass Lost "
    "Bright Hollow Midnight Secret Burning Little Distant Velvet Iron Endless Falling Summer "
    "Winter Savage Gentle Lonely Brave Strange Open Borrowed"
)
_NOUNS = _words(
    "Harbor Kingdom Orchard Signal Academy Garden Frontier Lighthouse Station Verdict Circle "
    "Highway Inheritance Season Chorus Tide Republic Archive Estate Bridge Hotel Parish "
    "Island Protocol Crossing Empire Theatre Canyon Diary Colony Factory Precinct"
)
_PATTERNS = ("The {a} {n}", "{a} {n}", "The {n}", "{n} Street", "{a}")
_GENRES = (
    "Drama",
    "Comedy",
    "Romantic comedy-drama",
    "Crime",
    "Thriller",
    "Science fiction",
    "Fantasy",
    "Mystery",
    "Teen drama",
    "Sitcom",
    "Horror",
    "Historical drama",
    "LGBTQ",
    "Documentary",
)
_NETWORKS = ("Netflix", "BBC One", "HBO", "Channel 4", "Hulu", "Apple TV+", "Prime Video", "ITV")
_TITLE_WORDS = _words(
    "Pilot Meet Crush Kiss Secret Friend Girls Bully Boyfriend Out Family Promise Challenge "
    "Heat Sorry Perfect Homecoming Reunion Storm Exodus Fallout Aftermath Confession Lies "
    "Trust Prom Finale Beginnings Endings Goodbye Hello Rivals Allies Ghosts Echoes Fire "
    "Water Blood Ties Strangers Home Away Truth Dare Masks Mirrors Thresholds Crossroads "
    "Legacy Origins Departure Arrival Night Day Dawn Dusk Winter Spring Summer Autumn"
)
_ACTIONS = (
    "argue about the plan",
    "share a secret",
    "meet for the first time",
    "make up after the fight",
    "plan a surprise",
    "run into each other",
    "wait for news",
    "celebrate a win",
    "hide from the others",
    "talk late into the night",
    "confront an old rival",
    "study together",
    "prepare for the party",
    "say goodbye",
)
_PLACES = (
    "the school corridor",
    "a rooftop",
    "the kitchen",
    "the beach",
    "a crowded bar",
    "the train station",
    "the hospital",
    "the park",
    "a movie theatre",
    "the office",
    "a balcony",
    "the library",
    "the car",
    "the locker room",
)
_RELATIONS = ("DATING", "FRIENDS", "SIBLINGS", "RIVALS", "MARRIED", "EXES", "PARENT_OF")
_WORK_KINDS = ("novel", "graphic novel series", "comic book", "memoir", "play", "short story")
_PUBLISHERS = ("Screen Weekly", "The Episode Guide", "TV Almanac", "Streaming Digest")
_EVENTS = ("Tudum", "Comic-Con", "Upfronts", "TV Fest", "Fan Expo")
_CITIES = ("Brazil", "San Diego", "London", "Seoul", "Berlin", "Toronto")

_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")


# --- the generator -------------------------------------------------------------------


@dataclass(slots=True)
class _Cast:
    """The characters of one show, with the actor playing each."""

    main: list[str] = field(default_factory=list)
    recurring: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # character id -> display name
    actors: dict[str, str] = field(default_factory=dict)  # character id -> actor id


@dataclass(slots=True)
class _Generator:
    """Builds the sections of one dataset; each ``_method`` adds records to them."""

    rng: random.Random
    shape: Shape
    sections: dict[str, list[Record]] = field(default_factory=dict)
    _taken: dict[str, dict[str, int]] = field(default_factory=dict)
    _actors: list[str] = field(default_factory=list)
    _creators: list[str] = field(default_factory=list)
    _works: list[str] = field(default_factory=list)
    _show_names: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for name in (*NODE_SECTIONS, *LINK_SECTIONS):
            self.sections[name] = []

    def run(self, shows: int) -> dict[str, Any]:
        self.start()
        for number in range(shows):
            self._show(number)
        return self.dataset()

    def dataset(self) -> dict[str, Any]:
        return {"format": FORMAT, **self.sections}

    def nodes(self) -> int:
        """Nodes of the graph so far: one per record of a node section."""
        return sum(len(self.sections[section]) for section in NODE_SECTIONS)

    def start(self) -> None:
        """The sources every show cites."""
        self.sections["sources"] += [
            {
                "id": "article",
                "kind": "ARTICLE",
                "title": "Synthetic news article about the shows",
                "publisher": "Generated",
                "publishedOn": "2024-01",
            },
            {
                "id": "reference",
                "kind": "REFERENCE",
                "title": "Synthetic reference knowledge (not stated in the article)",
                "note": "Full names and other facts a generated article does not state.",
            },
        ]

    def trim_scenes(self, nodes: int) -> None:
        """Drop the last scenes (never stills, which events reveal) until ``nodes`` remain.

        Scenes are leaves that nothing else needs, and most of a show's nodes,
        so the count can land on any target above the shows' other nodes.
        """
        excess = self.nodes() - nodes
        scenes = self.sections["scenes"]
        dropped: set[int] = set()
        for index in range(len(scenes) - 1, -1, -1):
            if len(dropped) >= excess:
                break
            if scenes[index].get("kind", "SCENE") == "SCENE":
                dropped.add(index)
        self.sections["scenes"] = [s for i, s in enumerate(scenes) if i not in dropped]

    # --- helpers -----------------------------------------------------------------

    def _id(self, section: str, base: str) -> str:
        """A unique id in ``section``: ``base``, else ``base-2``, ``base-3``..."""
        taken = self._taken.setdefault(section, {})
        count = taken.get(base, 0) + 1
        taken[base] = count
        return base if count == 1 else f"{base}-{count}"

    def _between(self, bounds: tuple[int, int]) -> int:
        return self.rng.randint(bounds[0], bounds[1])

    def _chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def _person(self) -> str:
        return f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}"

    # --- shows and what they come from ---------------------------------------------

    def _show(self, number: int) -> None:
        rng = self.rng
        name = self._show_name()
        show = self._id("shows", _slug(name))
        guide = f"{show}-guide"
        first_year = 1995 + number % 29
        self.sections["sources"].append(
            {
                "id": guide,
                "kind": "REFERENCE",
                "title": f"Episode guide: {name}",
                "url": f"https://example.org/guides/{show}",
                "publisher": rng.choice(_PUBLISHERS),
                "publishedOn": f"{first_year + 6}-{rng.randint(1, 12):02d}",
            }
        )
        record: Record = {
            "id": show,
            "name": name,
            "synopsis": f"{self._person()} and friends in a {rng.choice(_GENRES).lower()} "
            f"set around {rng.choice(_PLACES)}.",
            "genres": rng.sample(_GENRES, rng.randint(1, 3)),
            "network": rng.choice(_NETWORKS),
            "creators": self._show_creators(guide),
            "sources": ["article"],
            "fieldSources": {"creators": [guide]},
        }
        if self._chance(self.shape.based_on):
            record["basedOn"] = self._work(guide, record["creators"])
        self.sections["shows"].append(record)
        cast = self._cast(show, guide)
        stills = self._seasons(show, guide, first_year, cast)
        self._relationships(cast, guide)
        self._event(show, stills)

    def _show_name(self) -> str:
        """A name no other generated show has: drawn again when taken, then numbered."""
        rng = self.rng
        for _ in range(20):
            name = rng.choice(_PATTERNS).format(a=rng.choice(_ADJECTIVES), n=rng.choice(_NOUNS))
            if name not in self._show_names:
                break
        base, count = name, 1
        while name in self._show_names:
            count += 1
            name = f"{base} {count}"
        self._show_names.add(name)
        return name

    def _show_creators(self, guide: str) -> list[str]:
        count = self.rng.choice((1, 1, 1, 2, 2, 3))
        chosen: list[str] = []
        for _ in range(count):
            if self._creators and self._chance(self.shape.reused_creator):
                creator = self.rng.choice(self._creators)
                if creator in chosen:
                    continue
            else:
                name = self._person()
                creator = self._id("creators", _slug(name))
                self.sections["creators"].append({"id": creator, "name": name, "sources": [guide]})
                self._creators.append(creator)
            chosen.append(creator)
        return chosen

    def _work(self, guide: str, creators: list[str]) -> str:
        """The work a show adapts: now and then one adapted before, else a new one."""
        if self._works and self._chance(self.shape.reused_work):
            return self.rng.choice(self._works)
        rng = self.rng
        title = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
        work = self._id("works", _slug(title))
        authors = creators[:1] if self._chance(0.5) else []
        if not authors:  # an outside author, known to no other show
            name = self._person()
            author = self._id("creators", _slug(name))
            self.sections["creators"].append({"id": author, "name": name, "sources": [guide]})
            authors = [author]
        self.sections["works"].append(
            {
                "id": work,
                "title": title,
                "kind": rng.choice(_WORK_KINDS),
                "authors": authors,
                "sources": [guide],
            }
        )
        self._works.append(work)
        return work

    # --- characters and actors ---------------------------------------------------

    def _cast(self, show: str, guide: str) -> _Cast:
        cast = _Cast()
        cast.main = [
            self._character(show, guide, cast) for _ in range(self._between(self.shape.main_cast))
        ]
        cast.recurring = [
            self._character(show, guide, cast) for _ in range(self._between(self.shape.recurring))
        ]
        return cast

    def _character(self, show: str, guide: str, cast: _Cast) -> str:
        """A character of ``show`` and the actor who plays it (portrayal added later)."""
        rng = self.rng
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        character = self._id("characters", _slug(f"{first} {last}"))
        record: Record = {"id": character, "show": show, "sources": [guide]}
        if self._chance(0.5):  # known by first name; the full name comes from elsewhere
            record["name"] = first
            record["fullName"] = f"{first} {last}"
            if self._chance(self.shape.full_name_from_reference):
                record["fieldSources"] = {"fullName": ["reference"]}
        else:
            record["name"] = f"{first} {last}"
        if self._chance(self.shape.aliases):
            nickname = rng.choice(_NICKNAMES)
            record["aliases"] = [nickname] if "fullName" in record else [first, nickname]
        self.sections["characters"].append(record)
        cast.names[character] = record["name"]
        cast.actors[character] = self._actor(guide, cast)
        return character

    def _actor(self, guide: str, cast: _Cast) -> str:
        """An actor for a new role: sometimes one known from another show."""
        if self._actors and self._chance(self.shape.shared_actor):
            actor = self.rng.choice(self._actors)
            if actor not in cast.actors.values():
                return actor
        name = self._person()
        actor = self._id("actors", _slug(name))
        self.sections["actors"].append({"id": actor, "name": name, "sources": [guide]})
        self._actors.append(actor)
        return actor

    def _guests(self, show: str, guide: str, cast: _Cast) -> list[str]:
        return [self._character(show, guide, cast) for _ in range(self._between(self.shape.guests))]

    # --- seasons, episodes, scenes -------------------------------------------------

    def _seasons(self, show: str, guide: str, first_year: int, cast: _Cast) -> list[str]:
        """Seasons of a show, their episodes and scenes, and every portrayal.

        Returns the stills published for the seasons not yet released.
        """
        total = self._between(self.shape.seasons)
        unreleased = min(self._between(self.shape.unreleased_seasons), total - 1)
        released = total - unreleased
        by_season: list[list[str]] = []
        guests: dict[str, list[str]] = {}  # guest -> the episodes it is in
        stills: list[str] = []
        for number in range(1, total + 1):
            season = f"{show}-s{number}"
            year = first_year + number - 1
            if number <= released:
                episodes = self._released_season(show, season, number, year, guide)
                by_season.append(episodes)
                for guest in self._guests(show, guide, cast):
                    count = min(self._between(self.shape.guest_episodes), len(episodes))
                    guests[guest] = self._pick(episodes, count)
            else:
                stills += self._unreleased_season(show, season, number, year, cast)
        episodes = [e for season_episodes in by_season for e in season_episodes]
        recurring = {
            character: self._pick(
                episodes, min(self._between(self.shape.recurring_episodes), len(episodes))
            )
            for character in cast.recurring
        }
        present = self._presence(cast, episodes, recurring, guests)
        appears: dict[str, list[str]] = {}  # character -> its episodes, in order
        for episode, characters in present.items():
            self._scenes(episode, characters, cast, guide)
            for character in characters:
                appears.setdefault(character, []).append(episode)
        self._portrayals(cast, guide, appears, recurring, guests, set(by_season[-1]))
        return stills

    def _pick(self, episodes: list[str], count: int) -> list[str]:
        """``count`` of ``episodes``, keeping their broadcast order."""
        chosen = sorted(self.rng.sample(range(len(episodes)), count))
        return [episodes[index] for index in chosen]

    def _released_season(
        self, show: str, season: str, number: int, year: int, guide: str
    ) -> list[str]:
        rng = self.rng
        count = self._between(self.shape.episodes)
        month = rng.randint(1, 12)
        premiere = f"{year}-{month:02d}-{rng.randint(1, 28):02d}"
        all_at_once = self._chance(0.5)
        record: Record = {
            "id": season,
            "show": show,
            "number": number,
            "status": "RELEASED",
            "premiereDate": premiere,
            "filmingStarted": f"{year - 1}-{rng.randint(1, 6):02d}",
            "filmingEnded": f"{year - 1}-{rng.randint(7, 12):02d}",
            "episodeCount": count,
            "releasedAllAtOnce": all_at_once,
            "sources": [guide],
            "fieldSources": {"premiereDate": ["article"]},
        }
        if self._chance(0.3):
            hours = rng.randint(1_000, 90_000) * 1_000
            record["viewership"] = [
                {
                    "hoursViewed": hours,
                    "label": f"{hours / 1e6:.2f} million hours viewed in its first week",
                    "periodStart": premiere,
                    "sources": ["article"],
                }
            ]
        self.sections["seasons"].append(record)
        episodes = []
        for episode_number in range(1, count + 1):
            episode = f"{season}e{episode_number}"
            day = 1 + (0 if all_at_once else 7 * (episode_number - 1))
            self.sections["episodes"].append(
                {
                    "id": episode,
                    "season": season,
                    "number": episode_number,
                    "title": rng.choice(_TITLE_WORDS),
                    "releaseDate": f"{year}-{month:02d}-{min(day, 28):02d}",
                    "sources": [guide],
                }
            )
            episodes.append(episode)
        return episodes

    def _unreleased_season(
        self, show: str, season: str, number: int, year: int, cast: _Cast
    ) -> list[str]:
        """A season still being made: no episodes yet, perhaps a published still."""
        rng = self.rng
        status = rng.choice(("FILMING", "ANNOUNCED", "IN_DEVELOPMENT"))
        record: Record = {
            "id": season,
            "show": show,
            "number": number,
            "status": status,
            "sources": ["article"],
        }
        if status == "FILMING":
            record["filmingStarted"] = f"{year - 1}-{rng.randint(1, 12):02d}"
        if status == "ANNOUNCED":
            record["premiereDate"] = str(year)
        self.sections["seasons"].append(record)
        if status == "IN_DEVELOPMENT":
            return []
        pair = rng.sample(cast.main, 2)
        still = f"{season}-still"
        self.sections["scenes"].append(
            {
                "id": still,
                "season": season,
                "kind": "STILL",
                "summary": f"{cast.names[pair[0]]} and {cast.names[pair[1]]} "
                f"at {rng.choice(_PLACES)}.",
                "characters": pair,
                "sources": ["article"],
            }
        )
        return [still]

    def _presence(
        self,
        cast: _Cast,
        episodes: list[str],
        recurring: dict[str, list[str]],
        guests: dict[str, list[str]],
    ) -> dict[str, list[str]]:
        """Who is in each episode: most of the main cast, plus the recurring and guests."""
        present: dict[str, list[str]] = {episode: [] for episode in episodes}
        for characters in present.values():
            characters.extend(c for c in cast.main if self._chance(self.shape.main_presence))
            if len(characters) < 2:
                characters[:] = self.rng.sample(cast.main, 2)
        for extra in (recurring, guests):
            for character, where in extra.items():
                for episode in where:
                    present[episode].append(character)
        return present

    def _scenes(self, episode: str, present: list[str], cast: _Cast, guide: str) -> None:
        """Scenes of 2-5 present characters, until each on screen is in one.

        A present character kept off screen is recorded as an episode-level
        appearance instead, so everyone present is seen one way or the other.
        """
        rng = self.rng
        off_scene = self.shape.off_scene if self.shape.appearances else 0.0
        on_screen = [c for c in present if not self._chance(off_scene)]
        if len(on_screen) < 2:
            on_screen = present[:]
        rng.shuffle(on_screen)
        uncovered = dict.fromkeys(on_screen)
        planned = self._between(self.shape.scenes)
        order = 0
        while order < planned or uncovered:
            order += 1
            size = min(rng.choice(self.shape.scene_sizes), len(on_screen))
            newcomers = list(uncovered)[:size]
            others = [c for c in on_screen if c not in newcomers]
            characters = newcomers + rng.sample(others, size - len(newcomers))
            for character in newcomers:
                del uncovered[character]
            record: Record = {
                "id": f"{episode}-{order}",
                "episode": episode,
                "order": order,
                "summary": self._summary(characters, cast),
                "characters": characters,
                "sources": [guide],
            }
            if self._chance(0.3):
                record["location"] = rng.choice(_PLACES)
            self.sections["scenes"].append(record)
        seen = set(on_screen)
        self.sections["appearances"] += [
            {"character": character, "episode": episode, "sources": [guide]}
            for character in present
            if character not in seen
        ]

    def _summary(self, characters: list[str], cast: _Cast) -> str:
        names = [cast.names[c] for c in characters]
        who = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        return f"{who} {self.rng.choice(_ACTIONS)} at {self.rng.choice(_PLACES)}."

    # --- links between people ------------------------------------------------------

    def _portrayals(
        self,
        cast: _Cast,
        guide: str,
        appears: dict[str, list[str]],
        recurring: dict[str, list[str]],
        guests: dict[str, list[str]],
        last_season: set[str],
    ) -> None:
        """MAIN portrayals leave their episodes to the graph; the others list them."""
        out = self.sections["portrayals"]
        for character in cast.main:
            actor = cast.actors[character]
            episodes = appears.get(character, [])
            before = [e for e in episodes if e not in last_season]
            if before and len(before) < len(episodes) and self._chance(self.shape.recast):
                # Recast for the last released season: each actor lists their episodes.
                after = [e for e in episodes if e in last_season]
                successor = self._actor(guide, cast)
                out.append(self._portrayal(actor, character, "MAIN", guide, before))
                out.append(self._portrayal(successor, character, "MAIN", guide, after))
            else:
                out.append(self._portrayal(actor, character, "MAIN", guide, None))
        for role, extras in (("RECURRING", recurring), ("GUEST", guests)):
            for character, episodes in extras.items():
                link = self._portrayal(cast.actors[character], character, role, guide, episodes)
                if role == "GUEST" and self._chance(0.2):
                    link["creditedName"] = f"{cast.names[character].split()[0]} (uncredited)"
                out.append(link)

    def _portrayal(
        self, actor: str, character: str, role: str, guide: str, episodes: list[str] | None
    ) -> Record:
        link: Record = {"actor": actor, "character": character, "role": role, "sources": [guide]}
        if episodes is not None:
            link["episodes"] = episodes
        if role == "MAIN" and self._chance(0.5):
            link["fieldSources"] = {"role": ["article"]}
        return link

    def _relationships(self, cast: _Cast, guide: str) -> None:
        """Typed links among the main and recurring characters, one per pair at most."""
        people = cast.main + cast.recurring
        pairs: dict[tuple[str, str], None] = {}
        for _ in range(self._between(self.shape.relationships)):
            a, b = self.rng.sample(people, 2)
            if (a, b) in pairs or (b, a) in pairs:
                continue
            pairs[(a, b)] = None
            self.sections["relationships"].append(
                {"from": a, "to": b, "kind": self.rng.choice(_RELATIONS), "sources": [guide]}
            )

    def _event(self, show: str, stills: list[str]) -> None:
        """An event revealing the stills of a show's coming seasons, when it has any."""
        if not stills:
            return
        rng = self.rng
        name = rng.choice(_EVENTS)
        self.sections["events"].append(
            {
                "id": self._id("events", f"{show}-{_slug(name)}"),
                "name": name,
                "description": "A fan event where the network showed what comes next.",
                "organizer": "Generated",
                "location": rng.choice(_CITIES),
                "revealed": stills,
                "sources": ["article"],
            }
        )


# --- public API -------------------------------------------------------------------------


def generate(shows: int, seed: int = 0, shape: Shape | None = None) -> dict[str, Any]:
    """A valid dataset (``format: showgraph/1``) of ``shows`` synthetic shows.

    Deterministic: the same arguments give an equal mapping in any process.
    """
    if shows < 1:
        raise ValueError(f"shows must be at least 1 (got {shows})")
    return _Generator(random.Random(seed), shape or Shape()).run(shows)


def generate_nodes(nodes: int, seed: int = 0, shape: Shape | None = None) -> dict[str, Any]:
    """A valid dataset of ``nodes`` graph nodes, or as close as the shows allow.

    Shows are added until there are enough nodes, then the last scenes are
    dropped to land on ``nodes``; from 200 nodes up the count is within 10%
    (exactly ``nodes`` unless the shows' other nodes alone are more).
    Deterministic, like ``generate``.
    """
    if nodes < 1:
        raise ValueError(f"nodes must be at least 1 (got {nodes})")
    generator = _Generator(random.Random(seed), shape or Shape())
    generator.start()
    number = 0
    while generator.nodes() < nodes:
        generator._show(number)
        number += 1
    generator.trim_scenes(nodes)
    return generator.dataset()


def shows_for_nodes(nodes: int) -> int:
    """How many shows make about ``nodes`` graph nodes with the default shape."""
    return max(1, round((nodes - GLOBAL_SOURCES) / NODES_PER_SHOW))


def count_graph(data: dict[str, Any]) -> tuple[int, int]:
    """(nodes, edges) of the graph ``ShowGraph.from_dataset`` builds from ``data``.

    Counts one edge per link a record makes, as the README's table lists them;
    that equals the graph's count when no link is repeated, which holds for
    generated data (a test compares it with a built graph).
    """
    nodes = sum(len(data.get(section, ())) for section in NODE_SECTIONS)
    edges = (
        sum(len(w.get("authors", ())) for w in data.get("works", ()))
        + sum(len(s.get("creators", ())) + ("basedOn" in s) for s in data.get("shows", ()))
        + len(data.get("seasons", ()))
        + len(data.get("episodes", ()))
        + sum(1 + len(s.get("characters", ())) for s in data.get("scenes", ()))
        + len(data.get("characters", ()))
        + sum(len(e.get("revealed", ())) for e in data.get("events", ()))
        + len(data.get("portrayals", ()))
        + len(data.get("relationships", ()))
        + len(data.get("appearances", ()))
    )
    return nodes, edges


def write_dataset(data: dict[str, Any], path: str | Path) -> Path:
    """Write ``data`` as JSON (``.json``, via orjson) or YAML (``.yaml``/``.yml``)."""
    path = Path(path)
    if path.suffix == ".json":
        path.write_bytes(orjson.dumps(data))
    elif path.suffix in {".yaml", ".yml"}:
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        with path.open("w", encoding="utf-8") as out:
            yaml.dump(data, out, Dumper=dumper, sort_keys=False, allow_unicode=True)
    else:
        raise ValueError(f"cannot tell the format of {path}: name it .json, .yaml or .yml")
    return path
